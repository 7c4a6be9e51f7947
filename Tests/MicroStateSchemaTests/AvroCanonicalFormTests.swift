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

    /// Cases 018-033 of apache/avro share/test/data/schema-tests.txt: input, canonical form, fingerprint (signed).
    /// Case 026 gives `"default":"true"` for a boolean field; that default is invalid by the spec (and rejected
    /// here), so it is written as `true`. Defaults are stripped from the canonical form, so the expectations hold.
    @Test("Apache's schema-tests.txt canonical forms and fingerprints", arguments: [
        (#"[ "int" , {"type":"boolean"} ]"#, #"["int","boolean"]"#, Int64(5_392_556_393_470_105_090)),
        (#"{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}"#,
         #"{"name":"x.y.foo","type":"record","fields":[]}"#, 5_916_914_534_497_305_771),
        (#"{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}"#,
         #"{"name":"a.b.foo","type":"record","fields":[]}"#, -4_616_218_487_480_524_110),
        (#"{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}"#,
         #"{"name":"foo","type":"record","fields":[]}"#, -4_824_392_279_771_201_922),
        (#"{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}"#,
         #"{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}"#, 7_843_277_075_252_814_651),
        (#"{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true}, {"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo" }"#,
         #"{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}"#,
         -4_860_222_112_080_293_046),
        (#"{"type":"enum", "name":"foo", "symbols":["A1"]}"#, #"{"name":"foo","type":"enum","symbols":["A1"]}"#,
         -6_342_190_197_741_309_591),
        (#"{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}"#,
         #"{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}"#, -4_448_647_247_586_288_245),
        (#"{"name":"foo","type":"fixed","size":15}"#, #"{"name":"foo","type":"fixed","size":15}"#,
         1_756_455_273_707_447_556),
        (#"{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}"#,
         #"{"name":"x.y.z.foo","type":"fixed","size":32}"#, -3_064_184_465_700_546_786),
        (#"{ "items":{"type":"null"}, "type":"array"}"#, #"{"type":"array","items":"null"}"#, -589_620_603_366_471_059),
        (#"{ "values":"string", "type":"map"}"#, #"{"type":"map","values":"string"}"#, -8_732_877_298_790_414_990),
        (#"{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}"#,
         #"{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}"#,
         -1_759_257_747_318_642_341),
    ])
    func apacheVectors(text: String, canonical: String, fingerprint: Int64) throws {
        let schema = try AvroSchema(parsing: text)
        #expect(schema.canonicalForm == canonical)
        #expect(schema.fingerprint == UInt64(bitPattern: fingerprint))
    }

    @Test("A string default for a boolean (schema-tests.txt case 026 as written) is rejected")
    func apacheInvalidDefault() {
        #expect(throws: AvroSchemaError.self) {
            _ = try AvroSchema(
                parsing: #"{"fields":[{"type":"boolean","name":"f1","default":"true"}],"type":"record","name":"foo"}"#)
        }
    }
}
