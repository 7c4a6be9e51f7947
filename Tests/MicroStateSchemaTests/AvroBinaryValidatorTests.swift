import Testing

@testable import MicroStateSchema

private func validationError(_ schemaText: String, _ bytes: [UInt8], limits: AvroBinaryLimits = AvroBinaryLimits())
    throws -> AvroBinaryError?
{
    let schema = try AvroSchema(parsing: schemaText)
    do {
        try schema.validateBinary(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

private let order = #"""
    {"type":"record","name":"Order","fields":[
      {"name":"id","type":"long"},
      {"name":"email","type":["null","string"]},
      {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
      {"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[
        {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}},
      {"name":"hash","type":{"type":"fixed","name":"H","size":2}},
      {"name":"attrs","type":{"type":"map","values":"boolean"}}
    ]}
    """#

/// id=1, email="a@b", status=PAID, items=[{sku:"x",qty:2}], hash=0xAB 0xCD, attrs={"k":true}
private let validOrder: [UInt8] = [
    0x02,  // id 1
    0x02, 0x06, 0x61, 0x40, 0x62,  // union branch 1, string "a@b"
    0x02,  // enum index 1
    0x02, 0x02, 0x78, 0x04, 0x00,  // one item: "x", 2; end of array
    0xAB, 0xCD,  // fixed
    0x02, 0x02, 0x6B, 0x01, 0x00,  // one entry "k" -> true; end of map
]

@Suite("Avro binary validation")
struct AvroBinaryValidatorTests {
    @Test("Primitives accept their hand-encoded forms", arguments: [
        (#""null""#, [UInt8]()),
        (#""boolean""#, [0x01]),
        (#""int""#, [0x80, 0x01]),  // 64
        (#""int""#, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),  // Int32.min
        (#""long""#, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),  // Int64.min
        (#""float""#, [0, 0, 0x80, 0x3F]),
        (#""double""#, [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]),
        (#""bytes""#, [0x04, 0xFF, 0x00]),
        (#""string""#, [0x06, 0x66, 0x6F, 0x6F]),
        (#""string""#, [0x04, 0xC3, 0xA9]),
        (#"{"type":"array","items":"int"}"#, [0x00]),
        (#"{"type":"array","items":"int"}"#, [0x04, 0x02, 0x04, 0x02, 0x06, 0x00]),  // blocks [1,2] [3]
        (#"{"type":"array","items":"int"}"#, [0x03, 0x04, 0x02, 0x04, 0x00]),  // count -2, 2 bytes
        (#"{"type":"map","values":"long"}"#, [0x01, 0x06, 0x02, 0x61, 0x02, 0x00]),  // count -1, 3 bytes
        (#"["null","int"]"#, [0x00]),
        (#"["null","int"]"#, [0x02, 0x54]),
    ])
    func valid(schema: String, bytes: [UInt8]) throws {
        #expect(try validationError(schema, bytes) == nil)
    }

    @Test("A nested record with every complex type validates")
    func record() throws {
        #expect(try validationError(order, validOrder) == nil)
    }

    @Test("Malformed data is rejected with a code, the path and the offset", arguments: [
        (#""boolean""#, [0x02], AvroBinaryError.Code.invalidBoolean, "", 0),
        (#""boolean""#, [], .truncated, "", 0),
        (#""int""#, [0x80], .truncated, "", 0),
        (#""int""#, [0xFF, 0xFF, 0xFF, 0xFF, 0x1F], .invalidVarint, "", 0),
        (#""long""#, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], .invalidVarint, "", 0),
        (#""float""#, [0, 0, 0], .truncated, "", 0),
        (#""bytes""#, [0x01], .invalidLength, "", 0),
        (#""bytes""#, [0x08, 0x00], .invalidLength, "", 0),
        (#""string""#, [0x02, 0xFF], .invalidUTF8, "", 1),
        (#""int""#, [0x02, 0x00], .trailingBytes, "", 1),
        (#"["null","int"]"#, [0x04], .invalidUnionIndex, "", 0),
        (#"["null","int"]"#, [0x01], .invalidUnionIndex, "", 0),
        (#"["null","int"]"#, [0x02], .truncated, "union branch 1", 1),
        (#"{"type":"enum","name":"E","symbols":["A"]}"#, [0x02], .invalidEnumIndex, "", 0),
        (#"{"type":"array","items":"int"}"#, [0x02, 0x02], .truncated, "", 2),
        (#"{"type":"array","items":"int"}"#, [0x04, 0x02], .truncated, "item 1", 2),
        (#"{"type":"array","items":"int"}"#, [0x03, 0x06, 0x02, 0x04, 0x00], .blockSizeMismatch, "", 4),
        (#"{"type":"array","items":"int"}"#, [0x03, 0x7E, 0x02, 0x04, 0x00], .invalidLength, "", 1),
        (#"{"type":"map","values":"int"}"#, [0x02, 0x02, 0xC3, 0x02, 0x00], .invalidUTF8, "map entry 0 key", 2),
        (#"{"type":"map","values":"int"}"#, [0x02, 0x02, 0x61], .truncated, "map entry 0 value", 3),
        (#"{"type":"fixed","name":"F","size":4}"#, [1, 2, 3], .truncated, "", 0),
    ] as [(String, [UInt8], AvroBinaryError.Code, String, Int)])
    func malformed(schema: String, bytes: [UInt8], code: AvroBinaryError.Code, path: String, offset: Int) throws {
        let error = try validationError(schema, bytes)
        #expect(error?.code == code, "\(schema) \(bytes): \(String(describing: error))")
        #expect(error?.path == path, "\(schema) \(bytes): \(String(describing: error))")
        #expect(error?.offset == offset, "\(schema) \(bytes): \(String(describing: error))")
    }

    @Test("Errors inside records name the record fields on the way")
    func recordPaths() throws {
        var badSku = validOrder
        badSku[8] = 0x7E  // sku length 63, beyond the remaining bytes
        let error = try validationError(order, badSku)
        #expect(error?.path == "record Order field items item 0 record Item field sku")
        var badStatus = validOrder
        badStatus[6] = 0x04  // enum index 2
        #expect(try validationError(order, badStatus)?.path == "record Order field status")
        #expect(try validationError(order, Array(validOrder.dropLast()))?.path == "record Order field attrs")
    }

    @Test("Every truncation of a valid datum is rejected")
    func everyTruncation() throws {
        let schema = try AvroSchema(parsing: order)
        for length in 0..<validOrder.count {
            #expect(throws: AvroBinaryError.self, "length \(length)") {
                try schema.validateBinary(Array(validOrder.prefix(length)))
            }
        }
    }

    @Test("A recursive list validates up to the depth limit and no further")
    func recursion() throws {
        let list = #"{"type":"record","name":"L","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","L"]}]}"#
        let schema = try AvroSchema(parsing: list)
        func encoded(_ nodes: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for index in 0..<nodes { bytes += [0x02, index == nodes - 1 ? 0x00 : 0x02] }
            return bytes
        }
        #expect(throws: Never.self) { try schema.validateBinary(encoded(50)) }
        #expect(throws: Never.self) { try schema.validateBinary(encoded(10_000), limits: AvroBinaryLimits(maxDepth: 30_000)) }
        #expect(throws: AvroBinaryError.self) { try schema.validateBinary(encoded(200)) }
    }

    @Test("A huge block count of zero-byte items hits the value limit instead of looping")
    func zeroByteItems() throws {
        // count = 2^62 nulls, encoded in 10 bytes.
        let error = try validationError(
            #"{"type":"array","items":"null"}"#, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
        #expect(error?.code == .limitExceeded)
        let nulls = try validationError(#"{"type":"array","items":"null"}"#, [0x7E, 0x00], limits: AvroBinaryLimits(maxValues: 10))
        #expect(nulls?.code == .limitExceeded)
        #expect(try validationError(#"{"type":"array","items":"null"}"#, [0x7E, 0x00]) == nil)
    }

    @Test("The datum size limit is enforced")
    func sizeLimit() throws {
        let error = try validationError(#""bytes""#, [0x04, 1, 2], limits: AvroBinaryLimits(maxBytes: 2))
        #expect(error?.code == .limitExceeded)
    }
}
