/// A minimal protobuf wire-format reader over a byte slice: field keys, varints and length-delimited fields,
/// skipping everything else. Used only for `google.protobuf.FileDescriptorSet`, for which protobuf-c ships no
/// generated code (see `DescriptorIndex`). Every read is bounds-checked; malformed input throws.
struct ProtobufReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    /// Wire types (protobuf encoding spec, "Message Structure").
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// The next field's number and wire type, or nil at the end.
    mutating func nextField() throws(WireError) -> (number: UInt64, type: WireType)? {
        guard self.index < self.bytes.endIndex else { return nil }
        let key = try self.readVarint()
        guard let type = WireType(rawValue: UInt8(key & 7)), key >> 3 != 0 else {
            throw WireError(code: .malformed, message: "invalid field key \(key) in a descriptor")
        }
        return (key >> 3, type)
    }

    /// A base-128 varint of at most 10 bytes.
    mutating func readVarint() throws(WireError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard self.index < self.bytes.endIndex else {
                throw WireError(code: .malformed, message: "truncated varint in a descriptor")
            }
            let byte = self.bytes[self.index]
            self.index += 1
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw WireError(code: .malformed, message: "varint longer than 10 bytes in a descriptor")
    }

    /// The payload of a length-delimited field (its key already read).
    mutating func readLengthDelimited() throws(WireError) -> ArraySlice<UInt8> {
        let length = try self.readVarint()
        guard length <= UInt64(self.bytes.endIndex - self.index) else {
            throw WireError(code: .malformed, message: "length \(length) past the end of a descriptor")
        }
        let start = self.index
        self.index += Int(length)
        return self.bytes[start..<self.index]
    }

    /// A length-delimited field as UTF-8 text.
    mutating func readString() throws(WireError) -> String {
        let payload = try self.readLengthDelimited()
        guard let string = String(validating: payload, as: UTF8.self) else {
            throw WireError(code: .malformed, message: "invalid UTF-8 in a descriptor name")
        }
        return string
    }

    /// Skips the value of a field of `type` (its key already read). Groups are refused: descriptor.proto has none.
    mutating func skip(_ type: WireType) throws(WireError) {
        let width: Int
        switch type {
        case .varint:
            _ = try self.readVarint()
            return
        case .lengthDelimited:
            _ = try self.readLengthDelimited()
            return
        case .fixed64: width = 8
        case .fixed32: width = 4
        case .startGroup, .endGroup:
            throw WireError(code: .malformed, message: "group field in a descriptor")
        }
        guard width <= self.bytes.endIndex - self.index else {
            throw WireError(code: .malformed, message: "truncated fixed-width field in a descriptor")
        }
        self.index += width
    }
}
