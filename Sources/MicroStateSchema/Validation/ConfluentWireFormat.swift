/// Confluent's framing of a serialized record: magic byte 0, the schema id as a 4-byte big-endian integer, for
/// Protobuf the message indexes, then the payload (Confluent docs, "Wire format").
///
/// Message indexes name the record's message type in its `.proto` file: a path of indexes, the first into the
/// file's top-level messages and each next one into the previous message's nested types, in declaration order.
/// They are written as a zigzag varint count followed by zigzag varint indexes; the single byte 0 stands for
/// `[0]`, the first message (the common case).
public struct ConfluentWireFormat: Sendable, Hashable {
    /// The first byte of every framed record.
    public static let magic: UInt8 = 0
    /// Most message indexes accepted: 64, deeper than any real nesting of message declarations, so a hostile
    /// count cannot make the parser loop or allocate much.
    public static let maxMessageIndexes = 64

    /// The registry's global schema id.
    public var schemaID: Int32
    /// The Protobuf message-index path (`[0]` for the first message); empty for Avro and JSON Schema.
    public var messageIndexes: [Int]
    /// Offset of the payload in the parsed bytes.
    public var payloadOffset: Int

    /// A header for `schemaID`; `payloadOffset` is where the payload starts in the framed bytes.
    public init(schemaID: Int32, messageIndexes: [Int] = [], payloadOffset: Int = 5) {
        self.schemaID = schemaID
        self.messageIndexes = messageIndexes
        self.payloadOffset = payloadOffset
    }

    /// Parses the framing at the start of `bytes`; `protobuf` says whether message indexes follow the id.
    public static func parse(_ bytes: [UInt8], protobuf: Bool) throws(ConfluentWireFormatError) -> ConfluentWireFormat {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ConfluentWireFormatError) in try Self.parse(raw, protobuf: protobuf) }
        }
        return try result.get()
    }

    /// Parses the framing at the start of `bytes`; `protobuf` says whether message indexes follow the id.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, protobuf: Bool
    ) throws(ConfluentWireFormatError) -> ConfluentWireFormat {
        guard bytes.count >= 5 else {
            throw ConfluentWireFormatError(code: .tooShort, message: "\(bytes.count) bytes; the header needs 5")
        }
        guard bytes[0] == Self.magic else {
            throw ConfluentWireFormatError(code: .badMagic, message: "first byte is \(bytes[0]), not 0")
        }
        let id = UInt32(bytes[1]) << 24 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 8 | UInt32(bytes[4])
        var frame = ConfluentWireFormat(schemaID: Int32(bitPattern: id), payloadOffset: 5)
        guard protobuf else { return frame }
        var pos = 5
        func zigzag() throws(ConfluentWireFormatError) -> Int64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while pos < bytes.count, shift < 64 {
                let byte = bytes[pos]
                pos += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1) }
                shift += 7
            }
            throw ConfluentWireFormatError(code: .badMessageIndexes, message: "truncated or malformed varint")
        }
        let count = try zigzag()
        guard count >= 0 && count <= Int64(Self.maxMessageIndexes) else {
            throw ConfluentWireFormatError(
                code: .badMessageIndexes, message: "message index count \(count) is not in 0...\(Self.maxMessageIndexes)")
        }
        if count == 0 {
            frame.messageIndexes = [0]
        } else {
            for _ in 0..<count {
                let index = try zigzag()
                guard index >= 0 && index <= Int64(Int32.max) else {
                    throw ConfluentWireFormatError(code: .badMessageIndexes, message: "negative message index \(index)")
                }
                frame.messageIndexes.append(Int(index))
            }
        }
        frame.payloadOffset = pos
        return frame
    }

    /// The header for `schemaID` (and, for Protobuf, `messageIndexes`; `[0]` is written as the single byte 0)
    /// followed by `payload`.
    public static func encode(schemaID: Int32, messageIndexes: [Int]? = nil, payload: [UInt8]) -> [UInt8] {
        let id = UInt32(bitPattern: schemaID)
        var out = WireWriter()
        out.bytes = [Self.magic, UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
        func zigzag(_ value: Int) {
            out.varint(UInt64(bitPattern: Int64(value) << 1 ^ Int64(value) >> 63))
        }
        if let indexes = messageIndexes {
            if indexes == [0] {
                out.bytes.append(0)
            } else {
                zigzag(indexes.count)
                for index in indexes { zigzag(index) }
            }
        }
        return out.bytes + payload
    }

    /// The full name of the message `indexes` select in `file` (nil when out of range).
    ///
    /// Takes the unresolved file because protoc's descriptor order puts a map field's synthesized entry among the
    /// nested messages at the field's position, which shifts the indexes of nested messages declared after it;
    /// the source locations kept by `ProtoFile` give that order.
    public static func messageName(for indexes: [Int], in file: ProtoFile) -> String? {
        guard let first = indexes.first, first >= 0, first < file.messages.count else { return nil }
        var message = file.messages[first]
        var name = file.package.isEmpty ? message.name : file.package + "." + message.name
        for index in indexes.dropFirst() {
            // Nested types in protoc's order: declared messages and map entries by source position.
            var nested: [(ProtoSourceLocation, ProtoMessage?)] = message.messages.map { ($0.location, $0) }
            for field in message.fields {
                if case .map = field.type { nested.append((field.location, nil)) }
            }
            nested.sort { ($0.0.line, $0.0.column) < ($1.0.line, $1.0.column) }
            guard index >= 0, index < nested.count, let next = nested[index].1 else { return nil }
            message = next
            name += "." + next.name
        }
        return name
    }
}

/// A record whose Confluent framing is malformed.
public struct ConfluentWireFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the framing; extensible.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { self.rawValue }

        /// Fewer than 5 bytes.
        public static let tooShort = Code(rawValue: "tooShort")
        /// The first byte is not 0.
        public static let badMagic = Code(rawValue: "badMagic")
        /// The Protobuf message-index array is truncated, negative or too long.
        public static let badMessageIndexes = Code(rawValue: "badMessageIndexes")
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "Confluent wire format \(self.code): \(self.message)" }
}
