/// Converts between `.proto` text and a serialized `google.protobuf.FileDescriptorProto`, the form Confluent's
/// Protobuf serializers register (base64 of the descriptor) and its deserializers ask for (`format=serialized`).
///
/// Pure Swift: a small protobuf wire reader and writer for the descriptor.proto fields that carry schema meaning
/// (names, numbers, labels, types, oneofs, map entries, defaults, `packed`, `json_name`, reserved and extension
/// ranges, enums, services). Other fields and options are skipped on decode and not written on encode.
/// Not supported, with a clear error: `group` fields, extension fields, `editions` files.
public enum ProtobufDescriptorCodec {
    /// Deepest message nesting accepted when decoding: descriptors are decoded recursively, so the depth is
    /// bounded (protoc itself refuses nesting deeper than 100; real schemas stay far below 32).
    public static let maxNestingDepth = 32

    /// Renders the serialized FileDescriptorProto `bytes` as `.proto` text that ``ProtoParser`` parses to the same
    /// declarations. Type names are written fully qualified with a leading dot (`.pkg.Msg`).
    public static func decodeFileDescriptor(_ bytes: [UInt8]) throws(ProtobufDescriptorError) -> String {
        let file = try DescriptorModel.File(decoding: bytes)
        return try TextRenderer.render(file)
    }

    /// Serializes the file `text` (its imports' texts by import path in `imports`) as a FileDescriptorProto named
    /// `name`, with fully-qualified type names, `json_name`, map entry messages and proto3 synthetic oneofs, as
    /// protoc writes them, so `google.protobuf`'s `DescriptorPool` can build message classes from it.
    /// Well-known imports missing from `imports` are taken from ``ProtobufWellKnownTypes`` and listed as
    /// dependencies like any other import (deserializers find them in protobuf's default pool).
    public static func encodeFileDescriptor(
        text: String, name: String, imports: [String: String]
    ) throws(ProtobufDescriptorError) -> [UInt8] {
        let file: ProtoFile
        let schema: ProtobufSchema
        do {
            file = try ProtoParser.parse(text)
            schema = try ProtobufSchema.parse(
                text, imports: ProtobufWellKnownTypes.addingBuiltIns(importedBy: text, to: imports))
        } catch {
            throw ProtobufDescriptorError(.invalidSchema, "\(error)")
        }
        return try DescriptorModel.File(file, schema: schema, name: name).encoded()
    }

    /// Standard base64 (RFC 4648 §4) with padding.
    public static func base64Encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(index + 1 < bytes.count ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard base64 (RFC 4648 §4); padding optional, no whitespace. Nil when `text` is not base64.
    public static func base64Decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var padding = 0
        for c in text.utf8 {
            let value: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            guard padding == 0 else { return nil }  // data after padding
            values.append(value)
        }
        guard padding <= 2, values.count % 4 != 1 else { return nil }
        if padding > 0 && (values.count + padding) % 4 != 0 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for value in values {
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}

/// A descriptor that cannot be decoded or a schema that cannot be encoded.
public struct ProtobufDescriptorError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String
        /// The bytes are not a well-formed FileDescriptorProto.
        public static let malformed = Code(raw: "malformed")
        /// The descriptor uses something `.proto` text rendering does not support (groups, extensions, editions).
        public static let unsupported = Code(raw: "unsupported")
        /// The `.proto` text to encode does not parse or resolve.
        public static let invalidSchema = Code(raw: "invalidSchema")
        public var description: String { self.raw }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}

// MARK: - Wire format

/// Reads protobuf wire format (https://protobuf.dev/programming-guides/encoding/).
struct WireReader {
    let bytes: ArraySlice<UInt8>
    var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var isAtEnd: Bool { self.position >= self.bytes.endIndex }

    mutating func varint() throws(ProtobufDescriptorError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            guard self.position < self.bytes.endIndex else {
                throw ProtobufDescriptorError(.malformed, "truncated varint")
            }
            let byte = self.bytes[self.position]
            self.position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw ProtobufDescriptorError(.malformed, "varint longer than 10 bytes")
    }

    /// The next (field number, wire type).
    mutating func tag() throws(ProtobufDescriptorError) -> (Int, Int) {
        let key = try self.varint()
        let field = key >> 3
        guard field >= 1, field <= 536_870_911 else {
            throw ProtobufDescriptorError(.malformed, "field number \(field) out of range")
        }
        return (Int(field), Int(key & 7))
    }

    mutating func lengthDelimited() throws(ProtobufDescriptorError) -> ArraySlice<UInt8> {
        let length = try self.varint()
        guard length <= UInt64(self.bytes.endIndex - self.position) else {
            throw ProtobufDescriptorError(.malformed, "length \(length) past the end of the input")
        }
        let end = self.position + Int(length)
        defer { self.position = end }
        return self.bytes[self.position..<end]
    }

    mutating func string() throws(ProtobufDescriptorError) -> String {
        let slice = try self.lengthDelimited()
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw ProtobufDescriptorError(.malformed, "string field is not UTF-8")
        }
        return text
    }

    mutating func int32() throws(ProtobufDescriptorError) -> Int32 { Int32(truncatingIfNeeded: try self.varint()) }

    mutating func bool() throws(ProtobufDescriptorError) -> Bool { try self.varint() != 0 }

    mutating func skip(wireType: Int) throws(ProtobufDescriptorError) {
        switch wireType {
        case 0: _ = try self.varint()
        case 1, 5:
            let size = wireType == 1 ? 8 : 4
            guard self.bytes.endIndex - self.position >= size else {
                throw ProtobufDescriptorError(.malformed, "truncated fixed-width field")
            }
            self.position += size
        case 2: _ = try self.lengthDelimited()
        default: throw ProtobufDescriptorError(.malformed, "unsupported wire type \(wireType)")
        }
    }

    /// Checks a known field arrives with the wire type descriptor.proto gives it.
    static func expect(_ wireType: Int, _ wanted: Int, field: Int) throws(ProtobufDescriptorError) {
        guard wireType == wanted else {
            throw ProtobufDescriptorError(.malformed, "field \(field) has wire type \(wireType), expected \(wanted)")
        }
    }
}

/// Writes protobuf wire format; fields are appended in the order called.
struct WireWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            self.bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        self.bytes.append(UInt8(value))
    }

    mutating func tag(_ field: Int, _ wireType: Int) { self.varint(UInt64(field) << 3 | UInt64(wireType)) }

    mutating func int(_ field: Int, _ value: Int64) {
        self.tag(field, 0)
        self.varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        self.tag(field, 0)
        self.varint(value ? 1 : 0)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        self.tag(field, 2)
        self.varint(UInt64(value.count))
        self.bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { self.bytes(field, Array(value.utf8)) }
}

// MARK: - Model

/// The subset of descriptor.proto this codec reads and writes; `Equatable` so tests can compare descriptors.
enum DescriptorModel {
    /// An inclusive or exclusive range exactly as the descriptor stores it.
    struct Range: Hashable {
        var start: Int32
        var end: Int32
    }

    struct Field: Hashable {
        var name = ""
        var number: Int32 = 0
        var label: Int32 = 0
        var type: Int32 = 0
        var typeName = ""
        var defaultValue: String?
        var oneofIndex: Int32?
        var jsonName: String?
        var proto3Optional = false
        var packed: Bool?
        var deprecated = false
    }

    struct Enum: Hashable {
        var name = ""
        var values: [(String, Int32)] = []
        var allowAlias = false
        var reservedRanges: [Range] = []
        var reservedNames: [String] = []

        static func == (a: Enum, b: Enum) -> Bool {
            a.name == b.name && a.values.elementsEqual(b.values, by: { $0 == $1 }) && a.allowAlias == b.allowAlias
                && a.reservedRanges == b.reservedRanges && a.reservedNames == b.reservedNames
        }

        func hash(into hasher: inout Hasher) { hasher.combine(self.name) }
    }

    struct Message: Hashable {
        var name = ""
        var fields: [Field] = []
        var nested: [Message] = []
        var enums: [Enum] = []
        var extensionRanges: [Range] = []
        var oneofs: [String] = []
        var reservedRanges: [Range] = []
        var reservedNames: [String] = []
        var isMapEntry = false
        var hasExtensions = false
    }

    struct Method: Hashable {
        var name = ""
        var inputType = ""
        var outputType = ""
        var clientStreaming = false
        var serverStreaming = false
    }

    struct Service: Hashable {
        var name = ""
        var methods: [Method] = []
    }

    struct File: Hashable {
        var name = ""
        var package = ""
        var dependencies: [String] = []
        var publicDependencies: [Int32] = []
        var weakDependencies: [Int32] = []
        var messages: [Message] = []
        var enums: [Enum] = []
        var services: [Service] = []
        var syntax = ""
        var hasExtensions = false
        var edition: Int32?
    }
}

// MARK: Decoding

extension DescriptorModel.File {
    init(decoding bytes: [UInt8]) throws(ProtobufDescriptorError) {
        var reader = WireReader(bytes[...])
        while !reader.isAtEnd {
            let (field, wire) = try reader.tag()
            switch field {
            case 1, 2, 3, 4, 5, 6, 7, 12:
                try WireReader.expect(wire, 2, field: field)
                switch field {
                case 1: self.name = try reader.string()
                case 2: self.package = try reader.string()
                case 3: self.dependencies.append(try reader.string())
                case 4: self.messages.append(try .init(decoding: try reader.lengthDelimited(), depth: 1))
                case 5: self.enums.append(try .init(decoding: try reader.lengthDelimited()))
                case 6: self.services.append(try .init(decoding: try reader.lengthDelimited()))
                case 7:
                    _ = try reader.lengthDelimited()
                    self.hasExtensions = true
                default: self.syntax = try reader.string()
                }
            case 10, 11:
                let values = try Self.repeatedInt32(&reader, wire: wire, field: field)
                if field == 10 { self.publicDependencies += values } else { self.weakDependencies += values }
            case 14:
                try WireReader.expect(wire, 0, field: field)
                self.edition = try reader.int32()
            default:
                try reader.skip(wireType: wire)
            }
        }
    }

    /// A repeated int32, packed or not (parsers must accept both).
    static func repeatedInt32(
        _ reader: inout WireReader, wire: Int, field: Int
    ) throws(ProtobufDescriptorError) -> [Int32] {
        if wire == 0 { return [try reader.int32()] }
        try WireReader.expect(wire, 2, field: field)
        var packed = WireReader(try reader.lengthDelimited())
        var values: [Int32] = []
        while !packed.isAtEnd { values.append(try packed.int32()) }
        return values
    }
}

extension DescriptorModel.Message {
    init(decoding bytes: ArraySlice<UInt8>, depth: Int) throws(ProtobufDescriptorError) {
        guard depth <= ProtobufDescriptorCodec.maxNestingDepth else {
            throw ProtobufDescriptorError(
                .malformed, "messages nested deeper than \(ProtobufDescriptorCodec.maxNestingDepth)")
        }
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            let (field, wire) = try reader.tag()
            guard (1...10).contains(field) else {
                try reader.skip(wireType: wire)
                continue
            }
            try WireReader.expect(wire, 2, field: field)
            switch field {
            case 1: self.name = try reader.string()
            case 2: self.fields.append(try .init(decoding: try reader.lengthDelimited()))
            case 3: self.nested.append(try .init(decoding: try reader.lengthDelimited(), depth: depth + 1))
            case 4: self.enums.append(try .init(decoding: try reader.lengthDelimited()))
            case 5: self.extensionRanges.append(try .init(decoding: try reader.lengthDelimited()))
            case 6:
                _ = try reader.lengthDelimited()
                self.hasExtensions = true
            case 7:
                var options = WireReader(try reader.lengthDelimited())
                while !options.isAtEnd {
                    let (option, optionWire) = try options.tag()
                    if option == 7, optionWire == 0 { self.isMapEntry = try options.bool() } else {
                        try options.skip(wireType: optionWire)
                    }
                }
            case 8:
                var oneof = WireReader(try reader.lengthDelimited())
                var name = ""
                while !oneof.isAtEnd {
                    let (f, w) = try oneof.tag()
                    if f == 1, w == 2 { name = try oneof.string() } else { try oneof.skip(wireType: w) }
                }
                self.oneofs.append(name)
            case 9: self.reservedRanges.append(try .init(decoding: try reader.lengthDelimited()))
            default: self.reservedNames.append(try reader.string())
            }
        }
    }
}

extension DescriptorModel.Range {
    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufDescriptorError) {
        self.init(start: 0, end: 0)
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 0): self.start = try reader.int32()
            case (2, 0): self.end = try reader.int32()
            default: try reader.skip(wireType: wire)
            }
        }
    }
}

extension DescriptorModel.Field {
    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufDescriptorError) {
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 2): self.name = try reader.string()
            case (2, 2):
                _ = try reader.string()
                throw ProtobufDescriptorError(.unsupported, "extension field \(self.name)")
            case (3, 0): self.number = try reader.int32()
            case (4, 0): self.label = try reader.int32()
            case (5, 0): self.type = try reader.int32()
            case (6, 2): self.typeName = try reader.string()
            case (7, 2): self.defaultValue = try reader.string()
            case (8, 2):
                var options = WireReader(try reader.lengthDelimited())
                while !options.isAtEnd {
                    let (option, optionWire) = try options.tag()
                    switch (option, optionWire) {
                    case (2, 0): self.packed = try options.bool()
                    case (3, 0): self.deprecated = try options.bool()
                    default: try options.skip(wireType: optionWire)
                    }
                }
            case (9, 0): self.oneofIndex = try reader.int32()
            case (10, 2): self.jsonName = try reader.string()
            case (17, 0): self.proto3Optional = try reader.bool()
            case (1...10, _), (17, _):
                throw ProtobufDescriptorError(.malformed, "field \(field) of FieldDescriptorProto has wire type \(wire)")
            default: try reader.skip(wireType: wire)
            }
        }
    }
}

extension DescriptorModel.Enum {
    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufDescriptorError) {
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 2): self.name = try reader.string()
            case (2, 2):
                var value = WireReader(try reader.lengthDelimited())
                var name = ""
                var number: Int32 = 0
                while !value.isAtEnd {
                    let (f, w) = try value.tag()
                    switch (f, w) {
                    case (1, 2): name = try value.string()
                    case (2, 0): number = try value.int32()
                    default: try value.skip(wireType: w)
                    }
                }
                self.values.append((name, number))
            case (3, 2):
                var options = WireReader(try reader.lengthDelimited())
                while !options.isAtEnd {
                    let (option, optionWire) = try options.tag()
                    if option == 2, optionWire == 0 { self.allowAlias = try options.bool() } else {
                        try options.skip(wireType: optionWire)
                    }
                }
            case (4, 2): self.reservedRanges.append(try .init(decoding: try reader.lengthDelimited()))
            case (5, 2): self.reservedNames.append(try reader.string())
            case (1...5, _):
                throw ProtobufDescriptorError(.malformed, "field \(field) of EnumDescriptorProto has wire type \(wire)")
            default: try reader.skip(wireType: wire)
            }
        }
    }
}

extension DescriptorModel.Service {
    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufDescriptorError) {
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 2): self.name = try reader.string()
            case (2, 2):
                var m = WireReader(try reader.lengthDelimited())
                var method = DescriptorModel.Method()
                while !m.isAtEnd {
                    let (f, w) = try m.tag()
                    switch (f, w) {
                    case (1, 2): method.name = try m.string()
                    case (2, 2): method.inputType = try m.string()
                    case (3, 2): method.outputType = try m.string()
                    case (5, 0): method.clientStreaming = try m.bool()
                    case (6, 0): method.serverStreaming = try m.bool()
                    default: try m.skip(wireType: w)
                    }
                }
                self.methods.append(method)
            default: try reader.skip(wireType: wire)
            }
        }
    }
}

// MARK: Rendering as .proto text

enum TextRenderer {
    /// FieldDescriptorProto.Type → scalar keyword (nil for group, message, enum).
    static let scalarNames: [Int32: String] = [
        1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool",
        9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
    ]

    static func render(_ file: DescriptorModel.File) throws(ProtobufDescriptorError) -> String {
        if file.edition != nil || file.syntax == "editions" {
            throw ProtobufDescriptorError(.unsupported, "editions files")
        }
        if file.hasExtensions { throw ProtobufDescriptorError(.unsupported, "extension fields") }
        let isProto3: Bool
        switch file.syntax {
        case "proto3": isProto3 = true
        case "", "proto2": isProto3 = false
        default: throw ProtobufDescriptorError(.unsupported, "syntax \"\(file.syntax)\"")
        }
        var out = "syntax = \"\(isProto3 ? "proto3" : "proto2")\";\n"
        if !file.package.isEmpty { out += "package \(file.package);\n" }
        for (index, dependency) in file.dependencies.enumerated() {
            let kind =
                file.publicDependencies.contains(Int32(index))
                ? "public " : file.weakDependencies.contains(Int32(index)) ? "weak " : ""
            out += "import \(kind)\(Self.quote(dependency));\n"
        }
        for e in file.enums { Self.render(e, indent: "", into: &out) }
        for message in file.messages { try Self.render(message, isProto3: isProto3, indent: "", into: &out) }
        for service in file.services {
            out += "service \(service.name) {\n"
            for m in service.methods {
                out += "  rpc \(m.name)(\(m.clientStreaming ? "stream " : "")\(m.inputType)) returns "
                out += "(\(m.serverStreaming ? "stream " : "")\(m.outputType));\n"
            }
            out += "}\n"
        }
        return out
    }

    static func render(_ e: DescriptorModel.Enum, indent: String, into out: inout String) {
        out += "\(indent)enum \(e.name) {\n"
        if e.allowAlias { out += "\(indent)  option allow_alias = true;\n" }
        for (name, number) in e.values { out += "\(indent)  \(name) = \(number);\n" }
        // Enum reserved ranges are inclusive in the descriptor.
        let ranges = e.reservedRanges.map { r in
            r.start == r.end ? "\(r.start)" : "\(r.start) to \(r.end == Int32.max ? "max" : "\(r.end)")"
        }
        if !ranges.isEmpty { out += "\(indent)  reserved \(ranges.joined(separator: ", "));\n" }
        if !e.reservedNames.isEmpty {
            out += "\(indent)  reserved \(e.reservedNames.map(Self.quote).joined(separator: ", "));\n"
        }
        out += "\(indent)}\n"
    }

    /// Message ranges are end-exclusive in the descriptor; `max` is 2^29 - 1.
    static func exclusiveRanges(_ ranges: [DescriptorModel.Range]) -> String {
        ranges.map { r in
            let last = r.end - 1
            return r.start == last ? "\(r.start)" : "\(r.start) to \(last >= 536_870_911 ? "max" : "\(last)")"
        }.joined(separator: ", ")
    }

    static func render(
        _ message: DescriptorModel.Message, isProto3: Bool, indent: String, into out: inout String
    ) throws(ProtobufDescriptorError) {
        if message.hasExtensions { throw ProtobufDescriptorError(.unsupported, "extension fields") }
        out += "\(indent)message \(message.name) {\n"
        let inner = indent + "  "
        let entries = Dictionary(
            message.nested.filter(\.isMapEntry).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        // A oneof is synthetic (proto3 `optional`) when its only field is proto3_optional.
        var synthetic = Set<Int32>()
        for field in message.fields where field.proto3Optional {
            if let index = field.oneofIndex { synthetic.insert(index) }
        }
        var renderedOneofs = Set<Int32>()
        for field in message.fields {
            if let index = field.oneofIndex, !synthetic.contains(index) {
                guard !renderedOneofs.contains(index) else { continue }
                guard Int(index) >= 0, Int(index) < message.oneofs.count else {
                    throw ProtobufDescriptorError(.malformed, "field \(field.name) has oneof_index \(index) out of range")
                }
                renderedOneofs.insert(index)
                out += "\(inner)oneof \(message.oneofs[Int(index)]) {\n"
                for member in message.fields where member.oneofIndex == index {
                    out += try Self.fieldLine(member, label: "", entries: entries, indent: inner + "  ")
                }
                out += "\(inner)}\n"
                continue
            }
            let label: String
            switch field.label {
            case 3: label = "repeated "
            case 2: label = "required "
            case 1, 0: label = field.proto3Optional || !isProto3 ? "optional " : ""
            default: throw ProtobufDescriptorError(.malformed, "field \(field.name) has label \(field.label)")
            }
            out += try Self.fieldLine(field, label: label, entries: entries, indent: inner)
        }
        for e in message.enums { Self.render(e, indent: inner, into: &out) }
        for nested in message.nested where !nested.isMapEntry {
            try Self.render(nested, isProto3: isProto3, indent: inner, into: &out)
        }
        if !message.extensionRanges.isEmpty {
            out += "\(inner)extensions \(Self.exclusiveRanges(message.extensionRanges));\n"
        }
        if !message.reservedRanges.isEmpty {
            out += "\(inner)reserved \(Self.exclusiveRanges(message.reservedRanges));\n"
        }
        if !message.reservedNames.isEmpty {
            out += "\(inner)reserved \(message.reservedNames.map(Self.quote).joined(separator: ", "));\n"
        }
        out += "\(indent)}\n"
    }

    static func typeText(_ field: DescriptorModel.Field) throws(ProtobufDescriptorError) -> String {
        switch field.type {
        case 10: throw ProtobufDescriptorError(.unsupported, "group field \(field.name)")
        case 11, 14, 0:
            guard !field.typeName.isEmpty else {
                throw ProtobufDescriptorError(.malformed, "field \(field.name) has no type_name")
            }
            return field.typeName
        default:
            guard let name = Self.scalarNames[field.type] else {
                throw ProtobufDescriptorError(.malformed, "field \(field.name) has type \(field.type)")
            }
            return name
        }
    }

    static func fieldLine(
        _ field: DescriptorModel.Field, label: String, entries: [String: DescriptorModel.Message], indent: String
    ) throws(ProtobufDescriptorError) -> String {
        var typeText = try Self.typeText(field)
        var label = label
        let lastComponent = field.typeName.split(separator: ".").last.map(String.init) ?? ""
        if field.label == 3, field.type == 11, let entry = entries[lastComponent],
            let key = entry.fields.first(where: { $0.number == 1 }),
            let value = entry.fields.first(where: { $0.number == 2 })
        {
            typeText = "map<\(try Self.typeText(key)), \(try Self.typeText(value))>"
            label = ""
        }
        var options: [String] = []
        if let value = field.defaultValue {
            let literal: String
            switch field.type {
            case 9: literal = Self.quote(value)
            case 12: literal = "\"" + value + "\""  // already C-escaped in the descriptor
            default: literal = value
            }
            options.append("default = \(literal)")
        }
        if let jsonName = field.jsonName, jsonName != ProtoParser.defaultJSONName(field.name) {
            options.append("json_name = \(Self.quote(jsonName))")
        }
        if let packed = field.packed { options.append("packed = \(packed)") }
        if field.deprecated { options.append("deprecated = true") }
        let suffix = options.isEmpty ? "" : " [\(options.joined(separator: ", "))]"
        return "\(indent)\(label)\(typeText) \(field.name) = \(field.number)\(suffix);\n"
    }

    /// A double-quoted string literal with `\`, `"` and non-printable bytes escaped (octal).
    static func quote(_ text: String) -> String {
        var out = "\""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\""): out += "\\\""
            case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let octal = String(byte, radix: 8)
                out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return out + "\""
    }
}

// MARK: Building from .proto text

extension DescriptorModel.File {
    /// The descriptor protoc would write for `file`, with type names from its resolved `schema`.
    init(_ file: ProtoFile, schema: ProtobufSchema, name: String) throws(ProtobufDescriptorError) {
        self.name = name
        self.package = file.package
        for (index, imported) in file.imports.enumerated() {
            self.dependencies.append(imported.path)
            if imported.kind == .public { self.publicDependencies.append(Int32(index)) }
            if imported.kind == .weak { self.weakDependencies.append(Int32(index)) }
        }
        self.syntax = file.syntax == .proto3 ? "proto3" : ""
        let prefix = file.package
        self.enums = file.enums.map { DescriptorModel.Enum($0) }
        for message in file.messages {
            self.messages.append(try DescriptorModel.Message(message, scope: prefix, schema: schema, depth: 1))
        }
        for service in schema.services {
            var s = DescriptorModel.Service()
            s.name = String(service.fullName.split(separator: ".").last ?? "")
            for method in service.methods {
                s.methods.append(
                    DescriptorModel.Method(
                        name: method.name, inputType: "." + method.inputType, outputType: "." + method.outputType,
                        clientStreaming: method.clientStreaming, serverStreaming: method.serverStreaming))
            }
            self.services.append(s)
        }
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        if !self.name.isEmpty { w.string(1, self.name) }
        if !self.package.isEmpty { w.string(2, self.package) }
        for dependency in self.dependencies { w.string(3, dependency) }
        for message in self.messages { w.bytes(4, message.encoded()) }
        for e in self.enums { w.bytes(5, e.encoded()) }
        for service in self.services { w.bytes(6, service.encoded()) }
        for index in self.publicDependencies { w.int(10, Int64(index)) }
        for index in self.weakDependencies { w.int(11, Int64(index)) }
        if !self.syntax.isEmpty { w.string(12, self.syntax) }
        return w.bytes
    }
}

extension DescriptorModel.Enum {
    init(_ e: ProtoEnum) {
        self.name = e.name
        self.values = e.values.map { ($0.name, Int32(truncatingIfNeeded: $0.number)) }
        self.allowAlias = e.allowAlias
        self.reservedRanges = e.reservedRanges.map {
            DescriptorModel.Range(start: Int32(truncatingIfNeeded: $0.lower), end: Int32(truncatingIfNeeded: $0.upper))
        }
        self.reservedNames = e.reservedNames
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.string(1, self.name)
        for (name, number) in self.values {
            var v = WireWriter()
            v.string(1, name)
            v.int(2, Int64(number))
            w.bytes(2, v.bytes)
        }
        if self.allowAlias {
            var options = WireWriter()
            options.bool(2, true)
            w.bytes(3, options.bytes)
        }
        for range in self.reservedRanges { w.bytes(4, range.encoded()) }
        for name in self.reservedNames { w.string(5, name) }
        return w.bytes
    }
}

extension DescriptorModel.Range {
    /// From an inclusive `.proto` range to the end-exclusive form messages use.
    init(exclusive range: ProtoNumberRange) {
        self.init(start: Int32(truncatingIfNeeded: range.lower), end: Int32(truncatingIfNeeded: range.upper + 1))
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.int(1, Int64(self.start))
        w.int(2, Int64(self.end))
        return w.bytes
    }
}

extension DescriptorModel.Message {
    static func typeNumber(_ scalar: ProtoScalarType) -> Int32 {
        TextRenderer.scalarNames.first { $0.value == scalar.rawValue }!.key
    }

    /// Type, type_name for a resolved field type.
    static func type(_ type: ProtobufFieldType) -> (Int32, String) {
        switch type {
        case .scalar(let s): (Self.typeNumber(s), "")
        case .message(let name): (11, "." + name)
        case .enum(let name): (14, "." + name)
        }
    }

    /// protoc's `CEscape`: `\n \r \t \" \' \\` by name, other non-printable bytes as three octal digits.
    static func cEscape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "'"): out += "\\'"
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let octal = String(byte, radix: 8)
                out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return out
    }

    init(
        _ message: ProtoMessage, scope: String, schema: ProtobufSchema, depth: Int
    ) throws(ProtobufDescriptorError) {
        guard depth <= ProtobufDescriptorCodec.maxNestingDepth else {
            throw ProtobufDescriptorError(
                .invalidSchema, "messages nested deeper than \(ProtobufDescriptorCodec.maxNestingDepth)")
        }
        let fullName = scope.isEmpty ? message.name : scope + "." + message.name
        guard let resolved = schema.messages[fullName] else {
            throw ProtobufDescriptorError(.invalidSchema, "message \(fullName) did not resolve")
        }
        self.name = message.name
        self.oneofs = message.oneofs
        // Nested messages and map entries in source order, as protoc adds them while parsing.
        var nested: [(ProtoSourceLocation, DescriptorModel.Message)] = []
        for child in message.messages {
            nested.append((child.location, try .init(child, scope: fullName, schema: schema, depth: depth + 1)))
        }
        for (field, written) in zip(resolved.fields, message.fields) {
            var f = DescriptorModel.Field()
            f.name = field.name
            f.number = Int32(truncatingIfNeeded: field.number)
            f.label = field.label == .repeated ? 3 : field.label == .required ? 2 : 1
            (f.type, f.typeName) = Self.type(field.type)
            f.jsonName = field.jsonName
            f.packed = written.packed
            f.deprecated = written.deprecated
            if let value = written.defaultValue {
                // descriptor.proto: a bytes default is C-escaped, a string default is the text itself.
                f.defaultValue = field.type == .scalar(.bytes) ? Self.cEscape(value) : value
            }
            if let oneof = field.oneof, let index = message.oneofs.firstIndex(of: oneof) {
                f.oneofIndex = Int32(index)
            }
            if field.isProto3Optional {
                // protoc's synthetic oneof: "_" + field name, after the real oneofs.
                f.proto3Optional = true
                f.oneofIndex = Int32(self.oneofs.count)
                self.oneofs.append("_" + field.name)
            }
            if field.isMap, case .message(let entryName) = field.type, let entry = schema.messages[entryName] {
                var e = DescriptorModel.Message()
                e.name = String(entryName.split(separator: ".").last ?? "")
                e.isMapEntry = true
                for entryField in entry.fields {
                    var ef = DescriptorModel.Field()
                    ef.name = entryField.name
                    ef.number = Int32(truncatingIfNeeded: entryField.number)
                    ef.label = 1
                    (ef.type, ef.typeName) = Self.type(entryField.type)
                    ef.jsonName = entryField.jsonName
                    e.fields.append(ef)
                }
                nested.append((written.location, e))
            }
            self.fields.append(f)
        }
        self.nested = nested.sorted {
            ($0.0.line, $0.0.column) < ($1.0.line, $1.0.column)
        }.map(\.1)
        self.enums = message.enums.map { DescriptorModel.Enum($0) }
        self.extensionRanges = message.extensionRanges.map { DescriptorModel.Range(exclusive: $0) }
        self.reservedRanges = message.reservedRanges.map { DescriptorModel.Range(exclusive: $0) }
        self.reservedNames = message.reservedNames
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.string(1, self.name)
        for field in self.fields { w.bytes(2, field.encoded()) }
        for nested in self.nested { w.bytes(3, nested.encoded()) }
        for e in self.enums { w.bytes(4, e.encoded()) }
        for range in self.extensionRanges { w.bytes(5, range.encoded()) }
        if self.isMapEntry {
            var options = WireWriter()
            options.bool(7, true)
            w.bytes(7, options.bytes)
        }
        for oneof in self.oneofs {
            var o = WireWriter()
            o.string(1, oneof)
            w.bytes(8, o.bytes)
        }
        for range in self.reservedRanges { w.bytes(9, range.encoded()) }
        for name in self.reservedNames { w.string(10, name) }
        return w.bytes
    }
}

extension DescriptorModel.Field {
    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.string(1, self.name)
        w.int(3, Int64(self.number))
        w.int(4, Int64(self.label))
        w.int(5, Int64(self.type))
        if !self.typeName.isEmpty { w.string(6, self.typeName) }
        if let value = self.defaultValue { w.string(7, value) }
        if self.packed != nil || self.deprecated {
            var options = WireWriter()
            if let packed = self.packed { options.bool(2, packed) }
            if self.deprecated { options.bool(3, true) }
            w.bytes(8, options.bytes)
        }
        if let index = self.oneofIndex { w.int(9, Int64(index)) }
        if let jsonName = self.jsonName { w.string(10, jsonName) }
        if self.proto3Optional { w.bool(17, true) }
        return w.bytes
    }
}

extension DescriptorModel.Service {
    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.string(1, self.name)
        for method in self.methods {
            var m = WireWriter()
            m.string(1, method.name)
            m.string(2, method.inputType)
            m.string(3, method.outputType)
            if method.clientStreaming { m.bool(5, true) }
            if method.serverStreaming { m.bool(6, true) }
            w.bytes(2, m.bytes)
        }
        return w.bytes
    }
}
