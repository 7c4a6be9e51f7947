import Testing

@testable import MicroStateSchema

@Suite("ConfluentWireFormat")
struct ConfluentWireFormatTests {
    @Test("The header's schema id is big-endian; Avro and JSON have no message indexes")
    func header() throws {
        let frame = try ConfluentWireFormat.parse([0, 0x01, 0x02, 0x03, 0x04, 0xAA], protobuf: false)
        #expect(frame.schemaID == 0x0102_0304)
        #expect(frame.messageIndexes == [])
        #expect(frame.payloadOffset == 5)
        #expect(ConfluentWireFormat.encode(schemaID: 0x0102_0304, payload: [0xAA]) == [0, 1, 2, 3, 4, 0xAA])
    }

    @Test("Protobuf message indexes: the single byte 0 is [0]; others are a zigzag count and zigzag indexes")
    func messageIndexes() throws {
        let first = try ConfluentWireFormat.parse([0, 0, 0, 0, 9, 0, 0x08], protobuf: true)
        #expect(first.messageIndexes == [0])
        #expect(first.payloadOffset == 6)
        // count 2 (zigzag 4), indexes 1 (2) and 70 (140 = 0x8C 0x01).
        let nested = try ConfluentWireFormat.parse([0, 0, 0, 0, 9, 4, 2, 0x8C, 0x01, 0x08], protobuf: true)
        #expect(nested.messageIndexes == [1, 70])
        #expect(nested.payloadOffset == 9)
        for indexes in [[0], [1, 70], [3], [0, 0, 5]] {
            let bytes = ConfluentWireFormat.encode(schemaID: -2, messageIndexes: indexes, payload: [1])
            let parsed = try ConfluentWireFormat.parse(bytes, protobuf: true)
            #expect(parsed.messageIndexes == indexes)
            #expect(parsed.schemaID == -2)
            #expect(Array(bytes[parsed.payloadOffset...]) == [1])
        }
        #expect(ConfluentWireFormat.encode(schemaID: 1, messageIndexes: [0], payload: []) == [0, 0, 0, 0, 1, 0])
    }

    @Test("Short input, a bad magic byte and malformed indexes are errors")
    func errors() {
        let cases: [([UInt8], Bool, ConfluentWireFormatError.Code)] = [
            ([], false, .tooShort), ([0, 0, 0, 1], false, .tooShort), ([1, 0, 0, 0, 1], false, .badMagic),
            ([0, 0, 0, 0, 1], true, .badMessageIndexes), ([0, 0, 0, 0, 1, 4, 2], true, .badMessageIndexes),
            ([0, 0, 0, 0, 1, 1], true, .badMessageIndexes), ([0, 0, 0, 0, 1, 0x82, 0x01], true, .badMessageIndexes),
            ([0, 0, 0, 0, 1, 2, 1], true, .badMessageIndexes),
        ]
        for (bytes, protobuf, code) in cases {
            do {
                _ = try ConfluentWireFormat.parse(bytes, protobuf: protobuf)
                Issue.record("accepted: \(bytes)")
            } catch {
                #expect(error.code == code, "\(bytes): \(error)")
            }
        }
    }

    @Test("Message indexes resolve in declaration order, map entries counted where protoc puts them")
    func resolve() throws {
        let file = try ProtoParser.parse("""
            syntax = "proto3"; package p;
            message A { message A1 {} map<string, string> m = 1; message A2 {} }
            message B {}
            """)
        #expect(ConfluentWireFormat.messageName(for: [0], in: file) == "p.A")
        #expect(ConfluentWireFormat.messageName(for: [1], in: file) == "p.B")
        #expect(ConfluentWireFormat.messageName(for: [0, 0], in: file) == "p.A.A1")
        #expect(ConfluentWireFormat.messageName(for: [0, 1], in: file) == nil)  // the map entry
        #expect(ConfluentWireFormat.messageName(for: [0, 2], in: file) == "p.A.A2")
        #expect(ConfluentWireFormat.messageName(for: [2], in: file) == nil)
    }
}
