import Testing

@testable import MicroStateSchema

@Suite("Avro Parsing Canonical Form")
struct AvroCanonicalFormTests {
    @Test("Canonical form applies PRIMITIVES, FULLNAMES, STRIP, ORDER and WHITESPACE", arguments: [
        (#""int""#, #""int""#),
        (#"{"type": "int"}"#, #""int""#),
        (#"{"type":"long","logicalType":"timestamp-millis"}"#, #""long""#),
        (#"[ "int" , {"type":"string"} ]"#, #"["int","string"]"#),
        (#"{"fields":[], "type":"record", "name":"foo"}"#, #"{"name":"foo","type":"record","fields":[]}"#),
        (#"{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}"#,
         #"{"name":"x.y.foo","type":"record","fields":[]}"#),
        (#"{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}"#,
         #"{"name":"a.b.foo","type":"record","fields":[]}"#),
        (#"{"type":"record","name":"R","doc":"d","aliases":["Q"],"fields":[{"type":{"type":"int"},"name":"a","default":1,"doc":"x","order":"ignore"}]}"#,
         #"{"name":"R","type":"record","fields":[{"name":"a","type":"int"}]}"#),
        (#"{"symbols":["A","B"],"type":"enum","name":"E","namespace":"n","default":"A","doc":"d"}"#,
         #"{"name":"n.E","type":"enum","symbols":["A","B"]}"#),
        (#"{"size":16,"type":"fixed","name":"MD5","logicalType":"uuid"}"#, #"{"name":"MD5","type":"fixed","size":16}"#),
        (#"{"items":{"type":"map","values":"bytes"},"type":"array"}"#,
         #"{"type":"array","items":{"type":"map","values":"bytes"}}"#),
        (#"{"type":"record","name":"Node","namespace":"l","fields":[{"name":"next","type":["null","Node"]},{"name":"other","type":"l.Node"}]}"#,
         #"{"name":"l.Node","type":"record","fields":[{"name":"next","type":["null","l.Node"]},{"name":"other","type":"l.Node"}]}"#),
        (#"{"type":"record","name":"O","namespace":"a","fields":[{"name":"i","type":{"type":"fixed","name":"I","size":1}},{"name":"j","type":"I"}]}"#,
         #"{"name":"a.O","type":"record","fields":[{"name":"i","type":{"name":"a.I","type":"fixed","size":1}},{"name":"j","type":"a.I"}]}"#),
    ])
    func canonical(text: String, expected: String) throws {
        #expect(try AvroSchema(parsing: text).canonicalForm == expected)
    }

    @Test("The canonical form parses to a schema with the same canonical form")
    func idempotent() throws {
        let text = #"{"type":"record","name":"O","namespace":"a","fields":[{"name":"i","type":{"type":"enum","name":"I","symbols":["X"]}},{"name":"m","type":{"type":"map","values":["null","I"]}}]}"#
        let once = try AvroSchema(parsing: text).canonicalForm
        #expect(try AvroSchema(parsing: once).canonicalForm == once)
    }

    @Test("CRC-64-AVRO fingerprints match Apache Avro's schema-tests.txt", arguments: [
        (#""null""#, Int64(7_195_948_357_588_979_594)),
        (#""boolean""#, -6_970_731_678_124_411_036),
        (#""int""#, 8_247_732_601_305_521_295),
        (#""long""#, -3_434_872_931_120_570_953),
        (#""string""#, -8_142_146_995_180_207_161),
        (#"{"type":"int","logicalType":"date"}"#, 8_247_732_601_305_521_295),
        ("[]", -1_241_056_759_729_112_623),
        (#"["int"]"#, -5_232_228_896_498_058_493),
        (#"{"fields":[], "type":"record", "name":"foo"}"#, -4_824_392_279_771_201_922),
    ])
    func fingerprints(text: String, expected: Int64) throws {
        #expect(try AvroSchema(parsing: text).fingerprint == UInt64(bitPattern: expected))
    }
}
