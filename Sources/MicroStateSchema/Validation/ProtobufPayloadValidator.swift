/// Validates protobuf binary payloads (protobuf encoding spec, "Message Structure") against message types of a
/// parsed `.proto` file, without generated code: validation on write.
///
/// Built once per schema: every message of the file (and the imported messages it reaches) is compiled into flat
/// lookup tables (field number → wire kind, nested message or enum), so `validate` allocates nothing per field
/// and walks the bytes once with an explicit, bounded stack (no recursion on the request path).
///
/// Checks: tags (field numbers 1...2^29-1 outside 19000...19999, wire types 0, 1, 2, 3, 4, 5), each declared
/// field's wire type against its type (repeated scalars packed or not), lengths within the enclosing message,
/// strings valid UTF-8 (proto2 too: protoc-generated parsers of both syntaxes reject or warn on invalid UTF-8,
/// and a registry should not store what a consumer may reject), nested messages and map entries, values of
/// proto2 (closed) enums, proto2 `required` fields. Unknown fields are accepted, as every protobuf parser does,
/// but must be well formed (unknown groups included). Oneof members seen more than once are accepted: the
/// spec says the last one wins.
public struct ProtobufPayloadValidator: Sendable {
    /// Deepest nesting of messages and groups. 100, protobuf's own default recursion limit (C++ `CodedInputStream`
    /// `kDefaultRecursionLimit`): deeper payloads are rejected by consumers anyway.
    public static let maxDepth = 100
    /// Required fields per message whose presence is checked (a bit each in a 64-bit mask). Required fields past
    /// the 64th of a message are not checked; proto3 has none and proto2 messages rarely have more than a few.
    public static let maxCheckedRequiredFields = 64
    /// Field numbers up to this are looked up in a dense table, larger ones by binary search: 512 keeps the dense
    /// table small for messages with a few sparse large numbers.
    static let maxDenseFieldNumber: Int32 = 512

    enum Kind: UInt8 {
        case varint, fixed32, fixed64, string, bytes, message, enumeration
    }

    struct Field {
        var number: Int32
        var kind: Kind
        var isRepeated: Bool
        /// Bit in the message's required mask, or 255 when the field is not (checked as) required.
        var requiredBit: UInt8
        /// Message index for `.message`, enum index for `.enumeration`, else -1.
        var target: Int32
    }

    struct Message {
        var denseStart: Int32
        var denseCount: Int32
        var sparseStart: Int32
        var sparseCount: Int32
        var requiredMask: UInt64
        var firstField: Int32
        var fieldCount: Int32
    }

    struct Enumeration {
        var valuesStart: Int32
        var valuesCount: Int32
        /// proto2 enums are closed: a value outside the declared ones is invalid.
        var isClosed: Bool
    }

    var fields: [Field] = []
    var fieldNames: [String] = []
    var messages: [Message] = []
    var messageNames: [String] = []
    /// Per message, `denseCount` entries: field index for number n at `denseStart + n - 1`, or -1.
    var dense: [Int32] = []
    /// Per message, (number, field index) sorted by number, for numbers above the dense range.
    var sparse: [(number: Int32, field: Int32)] = []
    var enums: [Enumeration] = []
    /// Per enum, its distinct values sorted.
    var enumValues: [Int32] = []
    var messageIndex: [String: Int] = [:]
    /// The message `validate` checks by default.
    public let rootMessage: String
    var root = 0

    /// Compiles the validator for `messageName` (a full name without leading dot; nil: the first message declared
    /// in `schema`). `imports` are the parsed schemas of the files `schema` imports (transitively), so fields of
    /// imported message and enum types are checked too.
    public init(
        schema: ProtobufSchema, imports: [ProtobufSchema] = [], messageName: String? = nil
    ) throws(RegistryError) {
        var allMessages: [String: ProtobufMessageDescriptor] = [:]
        var allEnums: [String: (ProtobufEnumDescriptor, ProtoFile.Syntax)] = [:]
        for file in imports + [schema] {
            allMessages.merge(file.messages) { _, new in new }
            for (name, e) in file.enums { allEnums[name] = (e, file.syntax) }
        }
        guard let rootName = messageName ?? schema.messageOrder.first(where: { allMessages[$0]?.isMapEntry == false })
        else { throw .invalidSchema("Protobuf schema declares no message") }
        guard allMessages[rootName] != nil else { throw .invalidSchema("Protobuf message \(rootName) does not exist") }
        self.rootMessage = rootName
        // The schema's own messages in declaration order, then imported ones as fields reach them.
        var order = schema.messageOrder
        if !order.contains(rootName) { order.insert(rootName, at: 0) }
        for (index, name) in order.enumerated() { self.messageIndex[name] = index }
        var enumIndex: [String: Int] = [:]
        var next = 0
        while next < order.count {
            let name = order[next]
            next += 1
            guard let descriptor = allMessages[name] else {
                throw .invalidSchema("Protobuf message \(name) is not defined in the schema or its references")
            }
            try self.compile(descriptor, allMessages: allMessages, allEnums: allEnums, order: &order, enumIndex: &enumIndex)
        }
        self.root = self.messageIndex[rootName]!
    }

    private mutating func compile(
        _ descriptor: ProtobufMessageDescriptor,
        allMessages: [String: ProtobufMessageDescriptor],
        allEnums: [String: (ProtobufEnumDescriptor, ProtoFile.Syntax)],
        order: inout [String],
        enumIndex: inout [String: Int]
    ) throws(RegistryError) {
        var message = Message(
            denseStart: Int32(self.dense.count), denseCount: 0, sparseStart: Int32(self.sparse.count), sparseCount: 0,
            requiredMask: 0, firstField: Int32(self.fields.count), fieldCount: Int32(descriptor.fields.count))
        var requiredCount = 0
        var denseMax: Int32 = 0
        var sparse: [(number: Int32, field: Int32)] = []
        for field in descriptor.fields {
            let number = Int32(field.number)
            var compiled = Field(
                number: number, kind: .varint, isRepeated: field.label == .repeated, requiredBit: 255, target: -1)
            switch field.type {
            case .scalar(let scalar):
                switch scalar {
                case .int32, .int64, .uint32, .uint64, .sint32, .sint64, .bool: compiled.kind = .varint
                case .fixed32, .sfixed32, .float: compiled.kind = .fixed32
                case .fixed64, .sfixed64, .double: compiled.kind = .fixed64
                case .string: compiled.kind = .string
                case .bytes: compiled.kind = .bytes
                }
            case .message(let name):
                compiled.kind = .message
                if let index = self.messageIndex[name] {
                    compiled.target = Int32(index)
                } else {
                    guard allMessages[name] != nil else {
                        throw .invalidSchema("Protobuf message \(name) is not defined in the schema or its references")
                    }
                    self.messageIndex[name] = order.count
                    compiled.target = Int32(order.count)
                    order.append(name)
                }
            case .enum(let name):
                compiled.kind = .enumeration
                if let index = enumIndex[name] {
                    compiled.target = Int32(index)
                } else {
                    guard let (e, syntax) = allEnums[name] else {
                        throw .invalidSchema("Protobuf enum \(name) is not defined in the schema or its references")
                    }
                    let values = Set(e.values.map { Int32(truncatingIfNeeded: $0.number) }).sorted()
                    enumIndex[name] = self.enums.count
                    compiled.target = Int32(self.enums.count)
                    self.enums.append(
                        Enumeration(
                            valuesStart: Int32(self.enumValues.count), valuesCount: Int32(values.count),
                            isClosed: syntax == .proto2))
                    self.enumValues += values
                }
            }
            if field.label == .required, requiredCount < Self.maxCheckedRequiredFields {
                compiled.requiredBit = UInt8(requiredCount)
                message.requiredMask |= 1 << UInt64(requiredCount)
                requiredCount += 1
            }
            let fieldIndex = Int32(self.fields.count)
            self.fields.append(compiled)
            self.fieldNames.append(field.name)
            if number <= Self.maxDenseFieldNumber {
                denseMax = max(denseMax, number)
            } else {
                sparse.append((number, fieldIndex))
            }
        }
        var table = [Int32](repeating: -1, count: Int(denseMax))
        for index in 0..<descriptor.fields.count {
            let field = self.fields[Int(message.firstField) + index]
            if field.number <= denseMax { table[Int(field.number) - 1] = message.firstField + Int32(index) }
        }
        message.denseCount = denseMax
        self.dense += table
        sparse.sort { $0.number < $1.number }
        message.sparseCount = Int32(sparse.count)
        self.sparse += sparse
        self.messages.append(message)
        self.messageNames.append(descriptor.fullName)
    }

    /// Whether `name` (a full name) can be validated with ``validate(_:messageName:)``.
    public func contains(messageName name: String) -> Bool { self.messageIndex[name] != nil }

    /// The first violation in `bytes` as one message of type `messageName` (default: ``rootMessage``), or nil
    /// when the payload is valid. A message name the validator does not know is a violation.
    public func validate(_ bytes: [UInt8], messageName: String? = nil) -> PayloadViolation? {
        bytes.withUnsafeBytes { self.validate($0, messageName: messageName) }
    }

    /// The first violation in `bytes` as one message of type `messageName` (default: ``rootMessage``), or nil.
    public func validate(_ bytes: UnsafeRawBufferPointer, messageName: String? = nil) -> PayloadViolation? {
        var root = self.root
        if let name = messageName {
            guard let index = self.messageIndex[name] else {
                return PayloadViolation(path: "", message: "message type \(name) is not in the schema")
            }
            root = index
        }
        return withUnsafeTemporaryAllocation(of: Frame.self, capacity: Self.maxDepth + 1) { frames in
            var walk = Walk(validator: self, bytes: bytes, frames: frames)
            return walk.run(root: root)
        }
    }

    @inline(__always)
    func lookup(message: Int, number: Int32) -> Int {
        let m = self.messages[message]
        if number <= m.denseCount { return Int(self.dense[Int(m.denseStart) + Int(number) - 1]) }
        var low = Int(m.sparseStart)
        var high = low + Int(m.sparseCount)
        while low < high {
            let mid = (low + high) >> 1
            let n = self.sparse[mid].number
            if n == number { return Int(self.sparse[mid].field) }
            if n < number { low = mid + 1 } else { high = mid }
        }
        return -1
    }

    @inline(__always)
    func isKnown(enumeration: Int, value: Int32) -> Bool {
        let e = self.enums[enumeration]
        if !e.isClosed { return true }
        var low = Int(e.valuesStart)
        var high = low + Int(e.valuesCount)
        while low < high {
            let mid = (low + high) >> 1
            let v = self.enumValues[mid]
            if v == value { return true }
            if v < value { low = mid + 1 } else { high = mid }
        }
        return false
    }
}

/// One open message or group on the walk's stack.
private struct Frame {
    /// Message index, or -1 for an unknown group (all of whose fields are unknown).
    var message: Int32
    /// Field number of the group this frame is, 0 for a length-delimited message.
    var group: Int32
    /// Field index in the parent's message (-1: unknown field), and the parent-relative tag's number and offset.
    var field: Int32
    var number: Int32
    var tagOffset: Int
    /// Offset of the first byte of the content, and one past the last.
    var start: Int
    var end: Int
    var seenRequired: UInt64
}

private struct Walk {
    let validator: ProtobufPayloadValidator
    let bytes: UnsafeRawBufferPointer
    let frames: UnsafeMutableBufferPointer<Frame>
    var depth = 0
    var pos = 0

    init(validator: ProtobufPayloadValidator, bytes: UnsafeRawBufferPointer, frames: UnsafeMutableBufferPointer<Frame>) {
        self.validator = validator
        self.bytes = bytes
        self.frames = frames
    }

    /// Reads a varint at `pos` (at most 10 bytes, the 10th at most 1), bounded by `end`; nil if malformed.
    @inline(__always)
    mutating func varint(end: Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while self.pos < end {
            let byte = self.bytes[self.pos]
            self.pos &+= 1
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift &+= 7
            if shift > 63 { return nil }
        }
        return nil
    }

    mutating func run(root: Int) -> PayloadViolation? {
        let v = self.validator
        self.frames[0] = Frame(
            message: Int32(root), group: 0, field: -1, number: 0, tagOffset: 0, start: 0, end: self.bytes.count,
            seenRequired: 0)
        while true {
            let frame = self.frames[self.depth]
            if self.pos == frame.end {
                if frame.group != 0 {
                    return self.fail(at: -1, "group \(frame.group) is not closed before the end of its message")
                }
                if let violation = self.checkRequired() { return violation }
                if self.depth == 0 { return nil }
                self.depth -= 1
                continue
            }
            let tagOffset = self.pos
            guard let tag = self.varint(end: frame.end), tag <= UInt64(UInt32.max) else {
                return self.fail(at: -1, "malformed tag at byte \(tagOffset)")
            }
            let number = Int32(truncatingIfNeeded: tag >> 3)
            let wire = Int(tag & 7)
            guard number >= 1 && number <= (1 << 29) - 1 else {
                return self.fail(at: -1, "invalid field number \(number) at byte \(tagOffset)")
            }
            guard number < 19000 || number > 19999 else {
                return self.fail(at: -1, "field number \(number) at byte \(tagOffset) is reserved for protobuf")
            }
            let fieldIndex = frame.message >= 0 ? v.lookup(message: Int(frame.message), number: number) : -1
            var field: ProtobufPayloadValidator.Field? = nil
            if fieldIndex >= 0 {
                let f = v.fields[fieldIndex]
                field = f
                if f.requiredBit != 255 { self.frames[self.depth].seenRequired |= 1 << UInt64(f.requiredBit) }
            }
            let leaf = Leaf(field: fieldIndex, number: number, tagOffset: tagOffset, element: -1)
            switch wire {
            case 0:
                guard let value = self.varint(end: frame.end) else {
                    return self.fail(at: leaf, "malformed varint")
                }
                guard let f = field else { continue }
                switch f.kind {
                case .varint: break
                case .enumeration:
                    if !v.isKnown(enumeration: Int(f.target), value: Int32(truncatingIfNeeded: value)) {
                        return self.fail(at: leaf, "\(Int32(truncatingIfNeeded: value)) is not a value of the enum")
                    }
                default: return self.wireMismatch(leaf, f, wire)
                }
            case 1:
                guard frame.end - self.pos >= 8 else { return self.fail(at: leaf, "truncated 64-bit value") }
                self.pos &+= 8
                if let f = field, f.kind != .fixed64 { return self.wireMismatch(leaf, f, wire) }
            case 5:
                guard frame.end - self.pos >= 4 else { return self.fail(at: leaf, "truncated 32-bit value") }
                self.pos &+= 4
                if let f = field, f.kind != .fixed32 { return self.wireMismatch(leaf, f, wire) }
            case 2:
                guard let length = self.varint(end: frame.end) else { return self.fail(at: leaf, "malformed length") }
                guard length <= UInt64(frame.end - self.pos) else {
                    return self.fail(at: leaf, "length \(length) runs past the end of the enclosing message")
                }
                let start = self.pos
                let end = start + Int(length)
                guard let f = field else {
                    self.pos = end
                    continue
                }
                switch f.kind {
                case .bytes:
                    self.pos = end
                case .string:
                    if !isValidUTF8(self.bytes, start, end) { return self.fail(at: leaf, "string is not valid UTF-8") }
                    self.pos = end
                case .message:
                    guard self.depth < ProtobufPayloadValidator.maxDepth else {
                        return self.fail(at: leaf, "nested deeper than \(ProtobufPayloadValidator.maxDepth)")
                    }
                    self.depth += 1
                    self.frames[self.depth] = Frame(
                        message: f.target, group: 0, field: Int32(fieldIndex), number: number, tagOffset: tagOffset,
                        start: start, end: end, seenRequired: 0)
                case .varint, .enumeration:
                    guard f.isRepeated else { return self.wireMismatch(leaf, f, wire) }
                    var element = 0
                    while self.pos < end {
                        guard let value = self.varint(end: end) else {
                            return self.fail(at: leaf.at(element), "malformed varint in packed field")
                        }
                        if f.kind == .enumeration,
                            !v.isKnown(enumeration: Int(f.target), value: Int32(truncatingIfNeeded: value))
                        {
                            return self.fail(
                                at: leaf.at(element), "\(Int32(truncatingIfNeeded: value)) is not a value of the enum")
                        }
                        element += 1
                    }
                case .fixed32, .fixed64:
                    guard f.isRepeated else { return self.wireMismatch(leaf, f, wire) }
                    let size = f.kind == .fixed32 ? 4 : 8
                    guard Int(length) % size == 0 else {
                        return self.fail(at: leaf, "packed length \(length) is not a multiple of \(size)")
                    }
                    self.pos = end
                }
            case 3:
                if let f = field { return self.wireMismatch(leaf, f, wire) }
                guard self.depth < ProtobufPayloadValidator.maxDepth else {
                    return self.fail(at: leaf, "nested deeper than \(ProtobufPayloadValidator.maxDepth)")
                }
                self.depth += 1
                self.frames[self.depth] = Frame(
                    message: -1, group: number, field: -1, number: number, tagOffset: tagOffset, start: self.pos,
                    end: frame.end, seenRequired: 0)
            case 4:
                guard frame.group == number else {
                    return self.fail(at: -1, "unexpected end-group tag for field \(number) at byte \(tagOffset)")
                }
                // The parent continues after the group; its end is the group frame's `end`.
                self.depth -= 1
            default:
                return self.fail(at: -1, "invalid wire type \(wire) at byte \(tagOffset)")
            }
        }
    }

    /// Where a violation is: the field (index, or -1 when unknown), its number, its tag's offset in the current
    /// frame, and the element of a packed run (-1: none).
    struct Leaf {
        var field: Int
        var number: Int32
        var tagOffset: Int
        var element: Int

        func at(_ element: Int) -> Leaf { Leaf(field: self.field, number: self.number, tagOffset: self.tagOffset, element: element) }
    }

    func wireMismatch(_ leaf: Leaf, _ field: ProtobufPayloadValidator.Field, _ wire: Int) -> PayloadViolation {
        let expected: String
        switch field.kind {
        case .varint, .enumeration: expected = field.isRepeated ? "varint (0) or packed (2)" : "varint (0)"
        case .fixed32: expected = field.isRepeated ? "32-bit (5) or packed (2)" : "32-bit (5)"
        case .fixed64: expected = field.isRepeated ? "64-bit (1) or packed (2)" : "64-bit (1)"
        case .string, .bytes, .message: expected = "length-delimited (2)"
        }
        return self.fail(at: leaf, "wire type \(wire) does not match the field's type, which needs \(expected)")
    }

    func checkRequired() -> PayloadViolation? {
        let frame = self.frames[self.depth]
        guard frame.message >= 0 else { return nil }
        let v = self.validator
        let message = v.messages[Int(frame.message)]
        guard frame.seenRequired != message.requiredMask else { return nil }
        for index in Int(message.firstField)..<Int(message.firstField + message.fieldCount) {
            let field = v.fields[index]
            if field.requiredBit != 255, frame.seenRequired & (1 << UInt64(field.requiredBit)) == 0 {
                let prefix = self.path(frames: self.depth)
                let name = v.fieldNames[index]
                return PayloadViolation(
                    path: prefix.isEmpty ? name : prefix + "." + name,
                    message: "required field \(name) (\(field.number)) of \(v.messageNames[Int(frame.message)]) is missing")
            }
        }
        return nil
    }

    func fail(at unknownLocation: Int, _ message: String) -> PayloadViolation {
        PayloadViolation(path: self.path(frames: self.depth), message: message)
    }

    func fail(at leaf: Leaf, _ message: String) -> PayloadViolation {
        let prefix = self.path(frames: self.depth)
        let frame = self.frames[self.depth]
        let component = self.component(
            parent: frame, field: leaf.field, number: leaf.number, tagOffset: leaf.tagOffset, element: leaf.element)
        let what = leaf.field >= 0 ? "field \(leaf.number)" : "unknown field \(leaf.number)"
        return PayloadViolation(
            path: prefix.isEmpty ? component : prefix + "." + component, message: "\(what): \(message)")
    }

    /// The path of frames 1...depth: `items[2].sku`.
    func path(frames depth: Int) -> String {
        var out = ""
        if depth == 0 { return out }
        for level in 1...depth {
            let frame = self.frames[level]
            let component = self.component(
                parent: self.frames[level - 1], field: Int(frame.field), number: frame.number,
                tagOffset: frame.tagOffset, element: -1)
            out += out.isEmpty ? component : "." + component
        }
        return out
    }

    /// A field's name (`#17` when unknown), with `[i]` when repeated: i counts the elements of the same field
    /// before `tagOffset` in `parent` (rescanned on this error path only) plus `element` within a packed run.
    func component(parent: Frame, field: Int, number: Int32, tagOffset: Int, element: Int) -> String {
        guard field >= 0 else { return "#\(number)" }
        let v = self.validator
        let name = v.fieldNames[field]
        let f = v.fields[field]
        guard f.isRepeated else { return name }
        let before = self.countElements(from: parent.start, to: tagOffset, number: number, kind: f.kind)
        return "\(name)[\(before + max(element, 0))]"
    }

    /// Elements of field `number` in the already-validated bytes `from..<to` of one message (packed runs count each
    /// element). Bounded by the bytes; nested groups are skipped by counting start and end tags.
    func countElements(from: Int, to: Int, number: Int32, kind: ProtobufPayloadValidator.Kind) -> Int {
        var walk = Walk(validator: self.validator, bytes: self.bytes, frames: self.frames)
        walk.pos = from
        var count = 0
        var groupDepth = 0
        while walk.pos < to {
            guard let tag = walk.varint(end: to) else { break }
            let n = Int32(truncatingIfNeeded: tag >> 3)
            let counts = groupDepth == 0 && n == number
            switch tag & 7 {
            case 0: _ = walk.varint(end: to)
            case 1: walk.pos += 8
            case 5: walk.pos += 4
            case 2:
                guard let length = walk.varint(end: to) else { return count }
                let end = walk.pos + Int(length)
                if counts {
                    switch kind {
                    case .varint, .enumeration:
                        while walk.pos < end { if walk.varint(end: end) == nil { break }; count += 1 }
                        count -= 1
                    case .fixed32: count += Int(length) / 4 - 1
                    case .fixed64: count += Int(length) / 8 - 1
                    default: break
                    }
                }
                walk.pos = end
            case 3: groupDepth += 1
            case 4: groupDepth -= 1
            default: return count
            }
            if counts && tag & 7 != 3 && tag & 7 != 4 { count += 1 }
        }
        return count
    }
}

/// Whether `bytes[start..<end]` is valid UTF-8 (Unicode 15 table 3-7: no overlong forms, surrogates or code
/// points above U+10FFFF). ASCII is skipped 8 bytes at a time.
@inline(__always)
private func isValidUTF8(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
    var i = start
    while i + 8 <= end {
        if bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
        i += 8
    }
    while i < end {
        let b0 = bytes[i]
        if b0 < 0x80 {
            i += 1
            continue
        }
        func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            i + offset < end && bytes[i + offset] >= low && bytes[i + offset] <= high
        }
        switch b0 {
        case 0xC2...0xDF:
            guard continuation(1) else { return false }
            i += 2
        case 0xE0...0xEF:
            let low: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let high: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            guard continuation(1, low, high), continuation(2) else { return false }
            i += 3
        case 0xF0...0xF4:
            let low: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let high: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            guard continuation(1, low, high), continuation(2), continuation(3) else { return false }
            i += 4
        default:
            return false
        }
    }
    return true
}
