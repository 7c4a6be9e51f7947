/// Limits on validating one binary datum. Data arrives on writes, so the work per datum is bounded.
public struct AvroBinaryLimits: Sendable, Hashable {
    /// Largest datum accepted. 16 MiB: above the server's largest value.
    public var maxBytes: Int
    /// Deepest value nesting (records in records, arrays in arrays, recursive lists). 256 allows long recursive
    /// chains while keeping the explicit work stack small.
    public var maxDepth: Int
    /// Most values decoded per datum. Zero-byte values (`null`, empty records) let a single block count claim
    /// billions of items in a few bytes; this caps that work. 1,048,576 values.
    public var maxValues: Int

    public init(maxBytes: Int = 16 << 20, maxDepth: Int = 256, maxValues: Int = 1 << 20) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxValues = maxValues
    }
}

/// Why bytes are not a valid Avro binary encoding of a schema.
public struct AvroBinaryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; extensible.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { self.rawValue }

        /// The data ends inside a value.
        public static let truncated = Code(rawValue: "truncated")
        /// A varint longer than its type allows, or out of the int range.
        public static let invalidVarint = Code(rawValue: "invalidVarint")
        /// A negative length, or a length beyond the remaining bytes.
        public static let invalidLength = Code(rawValue: "invalidLength")
        /// A boolean byte other than 0 or 1.
        public static let invalidBoolean = Code(rawValue: "invalidBoolean")
        /// A string that is not UTF-8.
        public static let invalidUTF8 = Code(rawValue: "invalidUTF8")
        /// A union branch index outside the union.
        public static let invalidUnionIndex = Code(rawValue: "invalidUnionIndex")
        /// An enum index outside the symbols.
        public static let invalidEnumIndex = Code(rawValue: "invalidEnumIndex")
        /// A block whose declared byte size differs from its items' encoded size.
        public static let blockSizeMismatch = Code(rawValue: "blockSizeMismatch")
        /// Bytes left after the datum.
        public static let trailingBytes = Code(rawValue: "trailingBytes")
        /// An `AvroBinaryLimits` limit was exceeded.
        public static let limitExceeded = Code(rawValue: "limitExceeded")
    }

    public var code: Code
    /// Where in the datum: `record Order field items item 3 record Item field sku`; empty at the root.
    public var path: String
    /// Byte offset in the datum where the problem was found.
    public var offset: Int
    public var message: String

    public init(code: Code, path: String, offset: Int, message: String) {
        self.code = code
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        "\(self.code)\(self.path.isEmpty ? "" : " at \(self.path)") (byte \(self.offset)): \(self.message)"
    }
}

extension AvroSchema {
    /// Checks that `bytes` are exactly one datum of this schema in Avro binary encoding (spec "Binary Encoding").
    ///
    /// Iterative with an explicit, bounded stack: data is untrusted and recursive schemas would otherwise let it
    /// choose the native stack depth.
    public func validateBinary(_ bytes: [UInt8], limits: AvroBinaryLimits = AvroBinaryLimits())
        throws(AvroBinaryError)
    {
        var validator = AvroBinaryValidator(schema: self, bytes: bytes, limits: limits)
        try validator.run()
    }
}

/// How one step of the walk appears in a path.
private enum AvroPathLabel {
    case root
    case field(record: String, field: String)
    case item(Int)
    case mapKey(Int)
    case mapValue(Int)
    case branch(Int)

    var text: String {
        switch self {
        case .root: ""
        case .field(let record, let field): "\(record) field \(field)"
        case .item(let index): "item \(index)"
        case .mapKey(let index): "map entry \(index) key"
        case .mapValue(let index): "map entry \(index) value"
        case .branch(let index): "union branch \(index)"
        }
    }
}

private struct AvroBinaryValidator {
    /// One pending piece of work. A collection stays on the stack while its items are decoded.
    private enum Task {
        case value(AvroType, depth: Int, label: AvroPathLabel)
        case key(depth: Int, label: AvroPathLabel)
        case collection(
            items: AvroType, isMap: Bool, remaining: Int, index: Int, blockEnd: Int?, depth: Int,
            label: AvroPathLabel)
    }

    let schema: AvroSchema
    let bytes: [UInt8]
    let limits: AvroBinaryLimits
    var offset = 0
    var values = 0
    /// Labels from the root to the current task, for error paths; `path.count == depth` before a task runs.
    private var path: [AvroPathLabel] = []
    private var stack: [Task] = []

    init(schema: AvroSchema, bytes: [UInt8], limits: AvroBinaryLimits) {
        self.schema = schema
        self.bytes = bytes
        self.limits = limits
    }

    private func error(_ code: AvroBinaryError.Code, _ message: String, at offset: Int? = nil) -> AvroBinaryError {
        let text = self.path.map(\.text).filter { !$0.isEmpty }.joined(separator: " ")
        return AvroBinaryError(code: code, path: text, offset: offset ?? self.offset, message: message)
    }

    mutating func run() throws(AvroBinaryError) {
        guard self.bytes.count <= self.limits.maxBytes else {
            throw self.error(.limitExceeded, "datum is \(self.bytes.count) bytes; the limit is \(self.limits.maxBytes)")
        }
        self.stack.append(.value(self.schema.root, depth: 0, label: .root))
        while let task = self.stack.popLast() {
            switch task {
            case .value(let type, let depth, let label):
                self.enter(depth: depth, label: label)
                try self.decode(type, depth: depth)
            case .key(let depth, let label):
                self.enter(depth: depth, label: label)
                try self.decodeString()
            case .collection(let items, let isMap, let remaining, let index, let blockEnd, let depth, let label):
                self.enter(depth: depth, label: label)
                try self.step(
                    items: items, isMap: isMap, remaining: remaining, index: index, blockEnd: blockEnd, depth: depth,
                    label: label)
            }
        }
        guard self.offset == self.bytes.count else {
            self.path = []
            throw self.error(.trailingBytes, "\(self.bytes.count - self.offset) bytes after the datum")
        }
    }

    private mutating func enter(depth: Int, label: AvroPathLabel) {
        self.path.removeSubrange(min(depth, self.path.count)...)
        self.path.append(label)
    }

    private mutating func countValue() throws(AvroBinaryError) {
        self.values += 1
        guard self.values <= self.limits.maxValues else {
            throw self.error(.limitExceeded, "more than \(self.limits.maxValues) values")
        }
    }

    private mutating func decode(_ type: AvroType, depth: Int) throws(AvroBinaryError) {
        try self.countValue()
        guard depth < self.limits.maxDepth else {
            throw self.error(.limitExceeded, "values nest deeper than \(self.limits.maxDepth)")
        }
        switch type {
        case .primitive(let primitive, _):
            switch primitive {
            case .null: return
            case .boolean:
                guard self.offset < self.bytes.count else { throw self.error(.truncated, "missing boolean") }
                guard self.bytes[self.offset] <= 1 else {
                    throw self.error(.invalidBoolean, "boolean byte is \(self.bytes[self.offset]), not 0 or 1")
                }
                self.offset += 1
            case .int: _ = try self.readInt()
            case .long: _ = try self.readLong()
            case .float: try self.skip(4, "float")
            case .double: try self.skip(8, "double")
            case .bytes:
                let length = try self.readLength()
                try self.skip(length, "bytes")
            case .string: try self.decodeString()
            }
        case .array(let items):
            try self.startBlock(items: items, isMap: false, index: 0, depth: depth)
        case .map(let values):
            try self.startBlock(items: values, isMap: true, index: 0, depth: depth)
        case .union(let branches):
            let start = self.offset
            let index = try self.readLong()
            guard index >= 0, index < Int64(branches.count) else {
                throw self.error(
                    .invalidUnionIndex, "union index \(index) is outside 0..<\(branches.count)", at: start)
            }
            self.stack.append(.value(branches[Int(index)], depth: depth + 1, label: .branch(Int(index))))
        case .named(let fullname):
            let definition = self.schema.definition(of: fullname)
            switch definition.kind {
            case .fixed(let size, _):
                try self.skip(size, definition.label)
            case .enumeration(let symbols, _):
                let start = self.offset
                let index = try self.readInt()
                guard index >= 0, index < symbols.count else {
                    throw self.error(
                        .invalidEnumIndex, "\(definition.label) index \(index) is outside 0..<\(symbols.count)",
                        at: start)
                }
            case .record(let fields):
                for field in fields.reversed() {
                    self.stack.append(
                        .value(
                            field.type, depth: depth + 1,
                            label: .field(record: definition.label, field: field.name)))
                }
            }
        }
    }

    /// Reads a block header: count, and for a negative count its byte size (spec "Complex Types (binary)").
    private mutating func startBlock(items: AvroType, isMap: Bool, index: Int, depth: Int) throws(AvroBinaryError) {
        let start = self.offset
        let count = try self.readLong()
        guard count != 0 else { return }
        var blockEnd: Int?
        var items64 = count
        if count < 0 {
            guard count != Int64.min else {
                throw self.error(.invalidLength, "block count \(count) is out of range", at: start)
            }
            items64 = -count
            let size = try self.readLength()
            blockEnd = self.offset + size
        }
        guard items64 <= Int64(self.limits.maxValues) else {
            throw self.error(.limitExceeded, "block of \(items64) items exceeds \(self.limits.maxValues)", at: start)
        }
        let label = self.path.last ?? .root
        self.stack.append(
            .collection(
                items: items, isMap: isMap, remaining: Int(items64), index: index, blockEnd: blockEnd, depth: depth,
                label: label))
    }

    private mutating func step(
        items: AvroType, isMap: Bool, remaining: Int, index: Int, blockEnd: Int?, depth: Int, label: AvroPathLabel
    ) throws(AvroBinaryError) {
        if remaining > 0 {
            self.stack.append(
                .collection(
                    items: items, isMap: isMap, remaining: remaining - 1, index: index + 1, blockEnd: blockEnd,
                    depth: depth, label: label))
            if isMap {
                self.stack.append(.value(items, depth: depth + 1, label: .mapValue(index)))
                self.stack.append(.key(depth: depth + 1, label: .mapKey(index)))
            } else {
                self.stack.append(.value(items, depth: depth + 1, label: .item(index)))
            }
            return
        }
        if let end = blockEnd, end != self.offset {
            throw self.error(
                .blockSizeMismatch, "block declared to end at byte \(end), its items end at byte \(self.offset)")
        }
        try self.startBlock(items: items, isMap: isMap, index: index, depth: depth)
    }

    // MARK: Primitives

    private mutating func skip(_ count: Int, _ what: String) throws(AvroBinaryError) {
        guard count <= self.bytes.count - self.offset else {
            throw self.error(.truncated, "\(what) needs \(count) bytes, \(self.bytes.count - self.offset) remain")
        }
        self.offset += count
    }

    private mutating func decodeString() throws(AvroBinaryError) {
        let length = try self.readLength()
        let start = self.offset
        try self.skip(length, "string")
        guard avroIsValidUTF8(self.bytes[start..<self.offset]) else {
            throw self.error(.invalidUTF8, "string is not valid UTF-8", at: start)
        }
    }

    /// A `long` length that must be non-negative and fit in the remaining bytes.
    private mutating func readLength() throws(AvroBinaryError) -> Int {
        let start = self.offset
        let length = try self.readLong()
        guard length >= 0 else { throw self.error(.invalidLength, "negative length \(length)", at: start) }
        guard length <= Int64(self.bytes.count - self.offset) else {
            throw self.error(
                .invalidLength, "length \(length) exceeds the \(self.bytes.count - self.offset) remaining bytes",
                at: start)
        }
        return Int(length)
    }

    /// A zig-zag varint of at most `maxBytes` bytes whose unused high bits in the last byte are zero.
    private mutating func readVarint(maxBytes: Int, lastByteMax: UInt8, what: String) throws(AvroBinaryError)
        -> UInt64
    {
        let start = self.offset
        var value: UInt64 = 0
        for index in 0..<maxBytes {
            guard self.offset < self.bytes.count else { throw self.error(.truncated, "\(what) is cut off", at: start) }
            let byte = self.bytes[self.offset]
            self.offset += 1
            if index == maxBytes - 1 && byte > lastByteMax {
                throw self.error(.invalidVarint, "\(what) varint overflows", at: start)
            }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value }
        }
        preconditionFailure("the last byte's continuation bit is rejected above")
    }

    private static func zigzag(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// int: at most 5 bytes; the 5th carries 4 bits (32 = 7*4 + 4).
    private mutating func readInt() throws(AvroBinaryError) -> Int {
        Int(Self.zigzag(try self.readVarint(maxBytes: 5, lastByteMax: 0x0F, what: "int")))
    }

    /// long: at most 10 bytes; the 10th carries 1 bit (64 = 7*9 + 1).
    private mutating func readLong() throws(AvroBinaryError) -> Int64 {
        Self.zigzag(try self.readVarint(maxBytes: 10, lastByteMax: 0x01, what: "long"))
    }
}
