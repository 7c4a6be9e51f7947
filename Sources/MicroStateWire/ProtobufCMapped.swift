internal import CProtobufC

/// A wire message backed by one protoc-c generated struct: the generic bridge every message type plugs into.
///
/// A conforming type says how to initialise its C struct, how to copy a decoded struct out into Swift and how to
/// fill a struct for encoding; ``decode(_:)`` and ``encode()`` do the rest once, through protobuf-c's
/// descriptor-driven `protobuf_c_message_*` functions (which the generated `*__unpack`/`*__pack` merely wrap).
protocol ProtobufCMapped: WireMessage {
    /// The protoc-c struct, e.g. `Microstate__V1__PutRequest`.
    associatedtype CMessage

    /// Calls the generated `*__init`; without it `base.descriptor` is NULL and `pack` crashes (the `*__INIT`
    /// macros are not imported into Swift).
    static func cInit(_ message: UnsafeMutablePointer<CMessage>)

    /// Copies every field out of a struct produced by `unpack`, which is freed right after.
    ///
    /// Throws for what protobuf-c accepts but the mapping refuses: invalid UTF-8 in a string that names something
    /// (see `String(validating:field:)`), in this message or any message nested in it.
    init(copying c: borrowing CMessage) throws(WireError)

    /// Fills `c`, already initialised by ``cInit(_:)``; every pointer stored in it must come from `arena`.
    func lower(into c: inout CMessage, arena: inout WireArena)
}

extension ProtobufCMapped {
    /// The generated descriptor, read back from an initialised struct: Swift cannot take a stable address of the
    /// imported `extern const` descriptor global, but `*__init` stores exactly that address.
    static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> {
        withUnsafeTemporaryAllocation(of: CMessage.self, capacity: 1) { buffer in
            let message = buffer.baseAddress!
            Self.cInit(message)
            return UnsafeRawPointer(message).load(as: ProtobufCMessage.self).descriptor
        }
    }

    /// Decodes `bytes` with protobuf-c, allocating from a stack-first arena, and copies the result out.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Self {
        let descriptor = Self.cDescriptor
        return try WireArena.withArena { (arena: inout WireArena) throws(WireError) -> Self in
            try withUnsafeMutablePointer(to: &arena) { (arenaPointer) throws(WireError) -> Self in
                var allocator = ProtobufCAllocator(
                    alloc: wireArenaAlloc,
                    free: wireArenaFree,
                    allocator_data: UnsafeMutableRawPointer(arenaPointer)
                )
                let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
                // NULL is protobuf-c's only failure signal: truncation, bad varints, wrong wire types and lengths
                // past the end all end up here, never in a trap.
                guard let message = protobuf_c_message_unpack(descriptor, &allocator, bytes.count, data) else {
                    throw WireError(
                        code: .malformed,
                        message: "invalid \(String(cString: descriptor.pointee.name)) (\(bytes.count) bytes)"
                    )
                }
                // Frees into the arena (a no-op), but keeps unpack/free paired should the allocator ever change.
                defer { protobuf_c_message_free_unpacked(message, &allocator) }
                return try Self(copying: UnsafeRawPointer(message).assumingMemoryBound(to: CMessage.self).pointee)
            }
        }
    }

    /// Builds the C struct tree in a stack-first arena and packs it into an exactly sized array.
    func encode() -> [UInt8] {
        WireArena.withArena { (arena: inout WireArena) -> [UInt8] in
            let message = arena.message(self)
            let base = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
            let size = protobuf_c_message_get_packed_size(base)
            if size <= packViaArenaLimit {
                // Measured on Swift 6.3.1: `Array(unsafeUninitializedCapacity:)` reaches an unspecialised stdlib
                // path that looks up `_ContiguousArrayStorage<UInt8>` metadata on every call (~60 ns, a third of a
                // Put encode), while `Array(UnsafeBufferPointer)` does not. For small messages packing into the
                // arena and copying out is the faster of the two.
                let packed = arena.allocate(UInt8.self, count: size)
                let written = protobuf_c_message_pack(base, packed)
                precondition(written == size, "protobuf-c packed \(written) bytes, announced \(size)")
                return [UInt8](UnsafeBufferPointer(start: packed, count: size))
            }
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                initialized = protobuf_c_message_pack(base, buffer.baseAddress)
                precondition(initialized == size, "protobuf-c packed \(initialized) bytes, announced \(size)")
            }
        }
    }
}

/// Encodings up to this size are packed into the arena and copied out (see `encode()`); larger ones are packed
/// straight into the array, where one copy more would cost more than the fixed overhead it saves.
private let packViaArenaLimit = 512

/// protobuf-c allocation callback: bump-allocates from the ``WireArena`` in `allocator_data`.
///
/// 8-byte alignment suits everything protobuf-c allocates (structs of pointers, `int64_t`, `double`; byte buffers).
private let wireArenaAlloc: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? = {
    data, size in
    data!.assumingMemoryBound(to: WireArena.self).pointee.allocate(byteCount: size, alignment: 8)
}

/// protobuf-c free callback: a no-op, the arena frees everything when decoding ends.
private let wireArenaFree: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, _ in }

// MARK: - Encoding helpers: Swift values into arena-backed C fields

extension WireArena {
    /// Copies `bytes` into the arena as a protobuf-c `bytes` field; empty stays `{0, NULL}` (not encoded).
    mutating func binaryData(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else {
            return ProtobufCBinaryData(len: 0, data: nil)
        }
        let copy = self.allocate(UInt8.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { source in
            copy.initialize(from: source.baseAddress!, count: source.count)
        }
        return ProtobufCBinaryData(len: bytes.count, data: copy)
    }

    /// Copies `string` into the arena as a NUL-terminated C string.
    ///
    /// protobuf-c measures strings with `strlen`, so a string containing U+0000 is encoded up to its first NUL.
    mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let copy = self.allocate(CChar.self, count: utf8.count + 1)
            if let source = utf8.baseAddress {
                UnsafeMutableRawPointer(copy).copyMemory(from: source, byteCount: utf8.count)
            }
            copy[utf8.count] = 0
            return copy
        }
    }

    /// Allocates, initialises and fills the C struct of `value`.
    mutating func message<M: ProtobufCMapped>(_ value: M) -> UnsafeMutablePointer<M.CMessage> {
        let message = self.allocate(M.CMessage.self, count: 1)
        M.cInit(message)
        value.lower(into: &message.pointee, arena: &self)
        return message
    }

    /// As ``message(_:)``, with nil (field absent, not encoded) for nil.
    mutating func optionalMessage<M: ProtobufCMapped>(_ value: M?) -> UnsafeMutablePointer<M.CMessage>? {
        guard let value else {
            return nil
        }
        return self.message(value)
    }

    /// Builds a repeated message field: one contiguous block of structs plus the pointer array protobuf-c wants.
    mutating func messages<M: ProtobufCMapped>(
        _ values: [M]
    ) -> (count: Int, pointers: UnsafeMutablePointer<UnsafeMutablePointer<M.CMessage>?>?) {
        guard !values.isEmpty else {
            return (0, nil)
        }
        let pointers = self.allocate(UnsafeMutablePointer<M.CMessage>?.self, count: values.count)
        let structs = self.allocate(M.CMessage.self, count: values.count)
        for (index, value) in values.enumerated() {
            let message = structs + index
            M.cInit(message)
            value.lower(into: &message.pointee, arena: &self)
            (pointers + index).initialize(to: message)
        }
        return (values.count, pointers)
    }
}

extension WireArena {
    /// Builds a repeated string field: the NUL-terminated copies plus the pointer array protobuf-c wants.
    mutating func cStrings(
        _ strings: [String]
    ) -> (count: Int, pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        guard !strings.isEmpty else {
            return (0, nil)
        }
        let pointers = self.allocate(UnsafeMutablePointer<CChar>?.self, count: strings.count)
        for (index, string) in strings.enumerated() {
            (pointers + index).initialize(to: self.cString(string))
        }
        return (strings.count, pointers)
    }

    /// Copies a repeated `int64` field into the arena (protobuf-c packs it, as proto3 requires).
    mutating func int64s(_ values: [Int64]) -> (count: Int, values: UnsafeMutablePointer<Int64>?) {
        guard !values.isEmpty else {
            return (0, nil)
        }
        let copy = self.allocate(Int64.self, count: values.count)
        values.withUnsafeBufferPointer { source in
            copy.initialize(from: source.baseAddress!, count: source.count)
        }
        return (values.count, copy)
    }
}

// MARK: - Decoding helpers: C fields out into Swift values

extension Array where Element == UInt8 {
    /// Copies a protobuf-c `bytes` field.
    init(copying data: ProtobufCBinaryData) {
        self.init(UnsafeBufferPointer(start: data.data, count: data.len))
    }
}

extension String {
    /// Copies a protobuf-c `string` field; NULL (never produced by `unpack`) reads as empty.
    init(copying cString: UnsafePointer<CChar>?) {
        // Most string fields (session tokens, idempotency keys) are empty: skip the UTF-8 validation call.
        guard let cString, cString.pointee != 0 else {
            self = ""
            return
        }
        // Invalid UTF-8 is repaired with U+FFFD rather than rejected: protobuf-c does not validate it either.
        self.init(cString: cString)
    }
}

extension String {
    /// Copies a protobuf-c `string` field, or returns nil when it is not valid UTF-8; NULL reads as empty.
    static func copyingValidUTF8(_ cString: UnsafePointer<CChar>?) -> String? {
        guard let cString, cString.pointee != 0 else {
            return ""
        }
        return String(validatingCString: cString)
    }

    /// Copies a protobuf-c `string` field that must be valid UTF-8 (proto3 requires it of every string); invalid
    /// bytes throw ``WireError/Code/malformed`` naming `field`.
    ///
    /// For strings that identify something (stream and group names, event ids and types, metadata): repairing them
    /// as `init(copying:)` does would give two different byte strings one name, and could turn a new append into a
    /// false idempotent retry of another (docs/adr/0004-event-streams.md, decision 4).
    init(validating cString: UnsafePointer<CChar>?, field: StaticString) throws(WireError) {
        guard let string = String.copyingValidUTF8(cString) else {
            throw WireError(code: .malformed, message: "invalid UTF-8 in \(field)")
        }
        self = string
    }
}

/// A protoc-c `map<string, string>` entry struct (`*__MetadataEntry`).
///
/// On the wire a proto3 map is a repeated message of key (field 1) and value (field 2); protoc-c generates exactly
/// that, so one entry struct per map field.
protocol CStringMapEntry {
    /// Calls the generated `*__init`.
    static func cInit(_ entry: UnsafeMutablePointer<Self>)
    /// The entry's key (field 1).
    var key: UnsafeMutablePointer<CChar>! { get set }
    /// The entry's value (field 2).
    var value: UnsafeMutablePointer<CChar>! { get set }
}

extension WireArena {
    /// Builds a `map<string, string>` field: the entry structs plus the pointer array protobuf-c wants.
    ///
    /// Entries go out sorted bytewise by key, so equal maps encode to equal bytes (a `Dictionary`'s order differs from
    /// process to process); other protobuf libraries' deterministic mode sorts the same way.
    mutating func stringMap<Entry: CStringMapEntry>(
        _ map: [String: String],
        as _: Entry.Type = Entry.self
    ) -> (count: Int, pointers: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?) {
        guard !map.isEmpty else {
            return (0, nil)
        }
        let sorted = map.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let pointers = self.allocate(UnsafeMutablePointer<Entry>?.self, count: sorted.count)
        let entries = self.allocate(Entry.self, count: sorted.count)
        for (index, (key, value)) in sorted.enumerated() {
            let entry = entries + index
            Entry.cInit(entry)
            entry.pointee.key = self.cString(key)
            entry.pointee.value = self.cString(value)
            (pointers + index).initialize(to: entry)
        }
        return (sorted.count, pointers)
    }
}

extension Dictionary where Key == String, Value == String {
    /// Copies a `map<string, string>` field; keys and values must be valid UTF-8, else ``WireError/Code/malformed``
    /// naming `field`.
    ///
    /// A key repeated on the wire keeps its last value, as the protobuf spec requires of maps (a sender may merge two
    /// encodings by concatenating them).
    init<Entry: CStringMapEntry>(
        copying pointers: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?,
        count: Int,
        field: StaticString
    ) throws(WireError) {
        self = [:]
        guard let pointers, count > 0 else {
            return
        }
        self.reserveCapacity(count)
        for index in 0..<count {
            guard let entry = pointers[index] else {
                continue
            }
            guard let key = String.copyingValidUTF8(entry.pointee.key),
                  let value = String.copyingValidUTF8(entry.pointee.value)
            else {
                throw WireError(code: .malformed, message: "invalid UTF-8 in an entry of \(field)")
            }
            self[key] = value
        }
    }
}

extension Array where Element == String {
    /// Copies a repeated `string` field whose elements must be valid UTF-8, else ``WireError/Code/malformed`` naming
    /// `field` (see `String(validating:field:)`).
    init(
        validating pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        count: Int,
        field: StaticString
    ) throws(WireError) {
        self = []
        guard let pointers, count > 0 else {
            return
        }
        self.reserveCapacity(count)
        for index in 0..<count {
            self.append(try String(validating: pointers[index], field: field))
        }
    }
}

extension Array where Element == Int64 {
    /// Copies a repeated `int64` field (packed or not on the wire: protobuf-c accepts both).
    init(copying values: UnsafeMutablePointer<Int64>?, count: Int) {
        self = count > 0 ? [Int64](UnsafeBufferPointer(start: values, count: count)) : []
    }
}

extension Array where Element: ProtobufCMapped {
    /// Copies a repeated message field.
    init(
        copying pointers: UnsafeMutablePointer<UnsafeMutablePointer<Element.CMessage>?>?,
        count: Int
    ) throws(WireError) {
        self = []
        guard let pointers, count > 0 else {
            return
        }
        self.reserveCapacity(count)
        for index in 0..<count {
            if let message = pointers[index] {
                self.append(try Element(copying: message.pointee))
            }
        }
    }
}

extension Optional where Wrapped: ProtobufCMapped {
    /// Copies an optional message field; NULL means absent.
    init(copying pointer: UnsafeMutablePointer<Wrapped.CMessage>?) throws(WireError) {
        guard let pointer else {
            self = nil
            return
        }
        self = try Wrapped(copying: pointer.pointee)
    }
}

/// A proto3 enum as an open Swift enum: any `Int32` is a value, unknown ones survive as `.unrecognized(n)`.
protocol WireEnum {
    /// Maps a wire value to its case, or `.unrecognized` for values this build does not know.
    init(rawValue: Int32)
    /// The wire value.
    var rawValue: Int32 { get }
}

extension WireEnum {
    /// Reads a protoc-c enum field (imported as a struct over `UInt32`, the bits of the wire `int32`).
    init<C: RawRepresentable>(cEnum: C) where C.RawValue: FixedWidthInteger {
        self.init(rawValue: Int32(truncatingIfNeeded: cEnum.rawValue))
    }

    /// The value for a protoc-c enum field.
    func cEnum<C: RawRepresentable>(_: C.Type = C.self) -> C where C.RawValue: FixedWidthInteger {
        // Imported C enums accept every raw value: the failable `init?` of `RawRepresentable` never fails here.
        C(rawValue: C.RawValue(truncatingIfNeeded: self.rawValue))!
    }
}

extension Bool {
    /// Reads a `protobuf_c_boolean` (an `int`).
    init(cBoolean: Int32) {
        self = cBoolean != 0
    }

    /// The `protobuf_c_boolean` for this value.
    var cBoolean: Int32 {
        self ? 1 : 0
    }
}
