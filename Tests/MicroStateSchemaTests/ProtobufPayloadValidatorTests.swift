import Foundation
import Testing

@testable import MicroStateSchema

/// Encodes text-format messages with `protoc --encode`, the oracle for valid payloads.
enum ProtocEncoder {
    static let protoc = FileManager.default.isExecutableFile(atPath: "/usr/bin/protoc") ? "/usr/bin/protoc" : nil

    static func encode(proto: String, type: String, text: String) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encode-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try proto.write(to: dir.appendingPathComponent("m.proto"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.protoc!)
        process.arguments = ["-I\(dir.path)", "--encode=\(type)", "m.proto"]
        process.currentDirectoryURL = dir
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
        return [UInt8](data)
    }
}

@Suite("ProtobufPayloadValidator")
struct ProtobufPayloadValidatorTests {
    static let proto3 = """
        syntax = "proto3";
        package shop;
        enum Status { UNKNOWN = 0; OPEN = 1; CLOSED = 2; }
        message Order {
          string id = 1;
          repeated Item items = 2;
          repeated int32 counts = 3;
          map<string, int64> labels = 4;
          Status status = 5;
          oneof payment { string card = 6; Address billing = 7; }
          double total = 8;
          fixed32 f32 = 9;
          repeated fixed64 f64s = 10;
          bytes blob = 11;
          sint64 delta = 12;
          bool paid = 13;
          repeated Status history = 14;
        }
        message Item { string sku = 1; uint32 quantity = 2; Address ship_to = 3; }
        message Address { string street = 1; string zip = 2; }
        """

    static let proto2 = """
        syntax = "proto2";
        package legacy;
        enum Color { RED = 1; GREEN = 2; }
        message Thing {
          required string name = 1;
          optional Color color = 2;
          repeated Color colors = 3 [packed = true];
          repeated int32 numbers = 4;
          optional Part part = 5;
        }
        message Part { required int32 id = 1; }
        """

    static func validator(_ text: String, _ message: String? = nil) throws -> ProtobufPayloadValidator {
        try ProtobufPayloadValidator(schema: ProtobufSchema.parse(text), messageName: message)
    }

    @Test(
        "Payloads protoc encodes are valid: nested, repeated packed, maps, enums, oneofs, every wire type",
        .enabled(if: ProtocEncoder.protoc != nil))
    func protocEncodedPayloadsAreValid() throws {
        let cases: [(String, String, String)] = [
            (Self.proto3, "shop.Order", #"id: "o-1" items { sku: "A-1" quantity: 3 ship_to { zip: "12345" } } items { sku: "é€𝄞" } counts: [1, -2, 300000] labels { key: "k" value: -9 } labels { key: "k2" value: 1 } status: CLOSED card: "4111" total: 1.5 f32: 7 f64s: [1, 2] blob: "\377\000" delta: -77 paid: true history: [OPEN, CLOSED]"#),
            (Self.proto3, "shop.Order", #"billing { street: "Main" } status: OPEN"#),
            (Self.proto3, "shop.Order", ""),
            (Self.proto2, "legacy.Thing", #"name: "x" color: GREEN colors: [RED, GREEN] numbers: 1 numbers: 2 part { id: 3 }"#),
        ]
        for (proto, type, text) in cases {
            let bytes = try ProtocEncoder.encode(proto: proto, type: type, text: text)
            let validator = try Self.validator(proto, type)
            #expect(validator.validate(bytes) == nil, "\(type) \(text)")
            // protoc writes the (proto3) repeated scalars packed; proto2 `numbers` unpacked: both are accepted.
            if !text.isEmpty { #expect(!bytes.isEmpty) }
        }
    }

    @Test(
        "An open proto3 enum accepts any value; a closed proto2 enum only its declared values",
        .enabled(if: ProtocEncoder.protoc != nil))
    func enumOpenness() throws {
        // Field 5 (status) = 99: proto3 keeps unknown enum values.
        #expect(try Self.validator(Self.proto3).validate([0x28, 99]) == nil)
        let thing = try Self.validator(Self.proto2, "legacy.Thing")
        let name: [UInt8] = [0x0A, 1, 0x78]
        #expect(thing.validate(name + [0x10, 2]) == nil)
        let bad = try #require(thing.validate(name + [0x10, 7]))
        #expect(bad.path == "color")
        #expect(bad.message.contains("7 is not a value"))
        let packed = try #require(thing.validate(name + [0x1A, 3, 1, 2, 9]))
        #expect(packed.path == "colors[2]")
    }

    @Test("Invalid payloads are rejected with the path of the offending field")
    func invalidPayloadsNamePaths() throws {
        let order = try Self.validator(Self.proto3)
        let item0: [UInt8] = [0x12, 3, 0x0A, 1, 0x41]  // items[0] { sku: "A" }
        let cases: [(String, [UInt8], String, String)] = [
            ("invalid UTF-8 in a nested repeated message", item0 + [0x12, 3, 0x0A, 1, 0xFF], "items[1].sku", "UTF-8"),
            ("overlong UTF-8", [0x0A, 2, 0xC0, 0x80], "id", "UTF-8"),
            ("surrogate in UTF-8", [0x0A, 3, 0xED, 0xA0, 0x80], "id", "UTF-8"),
            ("varint for a string", [0x08, 1], "id", "wire type 0"),
            ("32-bit for a double", [0x45, 0, 0, 0, 0], "total", "wire type 5"),
            ("truncated 64-bit", [0x41, 0, 0], "total", "truncated"),
            ("length past the end", [0x0A, 5, 0x41], "id", "runs past"),
            ("length past the nested message", [0x12, 3, 0x0A, 5, 0x41], "items[0].sku", "runs past"),
            ("field number 0", [0x00, 1], "", "invalid field number 0"),
            ("reserved number 19000", [0xC0, 0xA4, 0x09, 1], "", "reserved"),
            ("wire type 6", [0x0E], "", "wire type 6"),
            ("wire type 7", [0x0F], "", "wire type 7"),
            ("truncated varint", [0x18, 0x80], "counts[0]", "malformed"),
            ("11-byte varint", [0x60] + [UInt8](repeating: 0xFF, count: 10) + [1], "delta", "malformed"),
            ("packed fixed64 with a ragged length", [0x52, 7, 0, 0, 0, 0, 0, 0, 0], "f64s[0]", "multiple of 8"),
            ("map value of the wrong type", [0x22, 8, 0x0A, 1, 0x6B, 0x15, 0, 0, 0, 0], "labels[0].value", "wire type 5"),
            ("deep nested address", [0x12, 6, 0x1A, 4, 0x12, 2, 0xC3, 0x28], "items[0].ship_to.zip", "UTF-8"),
            ("unknown group never closed", [0xFB, 0x01], "#31", "not closed"),
            ("stray end-group", [0x0C], "", "end-group"),
            ("malformed unknown field", [0xF8, 0x01, 0x80], "#31", "malformed"),
        ]
        for (name, bytes, path, message) in cases {
            guard let violation = order.validate(bytes) else {
                Issue.record("\(name): accepted")
                continue
            }
            #expect(violation.path == path, "\(name): \(violation)")
            #expect(violation.message.contains(message), "\(name): \(violation)")
        }
    }

    @Test("Unknown fields are accepted when well formed, unknown groups included")
    func unknownFields() throws {
        let order = try Self.validator(Self.proto3)
        // 31: varint, 32: 64-bit, 33: bytes, 34: group containing 1: varint, 35: 32-bit.
        let bytes: [UInt8] =
            [0xF8, 0x01, 5, 0x81, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 0x8A, 0x02, 1, 9, 0x93, 0x02, 0x08, 1, 0x94, 0x02]
            + [0x9D, 0x02, 1, 2, 3, 4]
        #expect(order.validate(bytes) == nil)
        // The same group closed by the wrong field number.
        #expect(order.validate([0x93, 0x02, 0x08, 1, 0x9C, 0x02]) != nil)
    }

    @Test("A missing proto2 required field is reported, nested ones with their path")
    func requiredFields() throws {
        let thing = try Self.validator(Self.proto2, "legacy.Thing")
        let missing = try #require(thing.validate([0x10, 1]))
        #expect(missing.path == "name")
        #expect(missing.message.contains("required"))
        let nested = try #require(thing.validate([0x0A, 1, 0x78, 0x2A, 0]))
        #expect(nested.path == "part.id")
        #expect(thing.validate([0x0A, 1, 0x78, 0x2A, 2, 0x08, 1]) == nil)
    }

    @Test("Nesting deeper than maxDepth is rejected; maxDepth itself is accepted")
    func depthLimit() throws {
        let validator = try Self.validator("syntax = \"proto3\"; message N { N next = 1; }")
        func nested(_ levels: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for _ in 0..<levels {
                var length = bytes.count
                var prefix: [UInt8] = [0x0A]
                while length >= 0x80 {
                    prefix.append(UInt8(length & 0x7F) | 0x80)
                    length >>= 7
                }
                prefix.append(UInt8(length))
                bytes = prefix + bytes
            }
            return bytes
        }
        #expect(validator.validate(nested(ProtobufPayloadValidator.maxDepth)) == nil)
        let violation = try #require(validator.validate(nested(ProtobufPayloadValidator.maxDepth + 1)))
        #expect(violation.message.contains("deeper than 100"))
    }

    @Test("Fields of imported message types are checked")
    func importedTypes() throws {
        let common = "syntax = \"proto3\"; package common; message Money { string currency = 1; int64 units = 2; }"
        let main = """
            syntax = "proto3"; package shop; import "common.proto";
            message Price { common.Money amount = 1; }
            """
        let validator = try ProtobufPayloadValidator(
            schema: ProtobufSchema.parse(main, imports: ["common.proto": common]),
            imports: [ProtobufSchema.parse(common)])
        #expect(validator.validate([0x0A, 2, 0x10, 5]) == nil)
        #expect(validator.validate([0x0A, 2, 0x11, 5])?.path == "amount.units")
    }
}
