/// One log record: every write of one revision, as the store appends it and replays it.
///
/// Encoding, format version 1 (all integers unsigned LEB128 varints unless noted; "bytes" = varint length then
/// the bytes; "zigzag" = signed varint):
///
///     record    = format:u8 (= 1) revision:varint time:zigzag count:varint op{count}
///     op        = tag:u8 key:bytes body
///     tag 1 put    body = value:bytes deadline:zigzag (0 = no TTL) idempotencyKey:bytes (UTF-8, may be empty)
///     tag 2 delete body = (nothing)
///     tag 3 expire body = (nothing)        a TTL expiry: replayed like a delete
///
/// `revision` is the revision the record creates; replay checks it follows the previous one, so a lost or
/// reordered record is an error, not a silent divergence. `time` is the wall clock when the record was written;
/// it dates the idempotency keys so their window survives a restart. A Txn is one record with several ops, so a
/// crash never leaves half of one. The log frames and checksums records; this encoding only has to be exact.
struct StoreRecord: Equatable {
    static let formatVersion: UInt8 = 1

    enum Operation: Equatable {
        case put(key: [UInt8], value: [UInt8], deadline: Int64, idempotencyKey: String)
        case delete(key: [UInt8])
        case expire(key: [UInt8])
    }

    var revision: Int64
    var timeMilliseconds: Int64
    var operations: [Operation]

    func encode() -> [UInt8] {
        var size = 24
        for operation in self.operations {
            switch operation {
            case .put(let key, let value, _, let idempotencyKey):
                size += 30 + key.count + value.count + idempotencyKey.utf8.count
            case .delete(let key), .expire(let key):
                size += 6 + key.count
            }
        }
        var writer = ByteWriter(capacity: size)
        writer.byte(Self.formatVersion)
        writer.varint(UInt64(self.revision))
        writer.zigzag(self.timeMilliseconds)
        writer.varint(UInt64(self.operations.count))
        for operation in self.operations {
            switch operation {
            case .put(let key, let value, let deadline, let idempotencyKey):
                writer.byte(1)
                writer.bytes(key)
                writer.bytes(value)
                writer.zigzag(deadline)
                writer.bytes(Array(idempotencyKey.utf8))
            case .delete(let key):
                writer.byte(2)
                writer.bytes(key)
            case .expire(let key):
                writer.byte(3)
                writer.bytes(key)
            }
        }
        return writer.buffer
    }

    /// Decodes a record; `index` only names the record in the error.
    static func decode(_ bytes: UnsafeRawBufferPointer, index: UInt64) throws(StoreError) -> StoreRecord {
        var reader = ByteReader(bytes, what: "log record at index \(index)")
        let format = try reader.byte()
        guard format == Self.formatVersion else {
            throw StoreError.corrupt(
                "log record at index \(index) has format version \(format); "
                    + "this build reads version \(Self.formatVersion)"
            )
        }
        let revision = try reader.int64()
        let time = try reader.zigzag()
        let count = try reader.count(limit: bytes.count)
        var operations: [Operation] = []
        operations.reserveCapacity(count)
        for _ in 0..<count {
            let tagOffset = reader.offset
            let tag = try reader.byte()
            let key = try reader.bytes()
            switch tag {
            case 1:
                let value = try reader.bytes()
                let deadline = try reader.zigzag()
                let idempotencyKey = String(decoding: try reader.bytes(), as: UTF8.self)
                operations.append(.put(key: key, value: value, deadline: deadline, idempotencyKey: idempotencyKey))
            case 2:
                operations.append(.delete(key: key))
            case 3:
                operations.append(.expire(key: key))
            default:
                throw StoreError.corrupt(
                    "log record at index \(index): unknown operation tag \(tag) at byte \(tagOffset)"
                )
            }
        }
        guard reader.isAtEnd else {
            throw StoreError.corrupt(
                "log record at index \(index): \(bytes.count - reader.offset) trailing bytes after \(count) operations"
            )
        }
        return StoreRecord(revision: revision, timeMilliseconds: time, operations: operations)
    }
}

/// Appends the encodings of `StoreRecord` and snapshots to a byte array.
struct ByteWriter {
    var buffer: [UInt8]

    init(capacity: Int) {
        self.buffer = []
        self.buffer.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        self.buffer.append(value)
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            self.buffer.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        self.buffer.append(UInt8(value))
    }

    @inline(__always)
    mutating func zigzag(_ value: Int64) {
        self.varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func bytes(_ bytes: [UInt8]) {
        self.varint(UInt64(bytes.count))
        self.buffer.append(contentsOf: bytes)
    }

    mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
        self.varint(UInt64(bytes.count))
        self.buffer.append(contentsOf: bytes)
    }
}

/// Reads what `ByteWriter` wrote; every read is bounds-checked and fails with a message naming `what` and the
/// byte offset.
struct ByteReader {
    private let data: UnsafeRawBufferPointer
    private let what: String
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, what: String) {
        self.data = bytes
        self.what = what
    }

    var isAtEnd: Bool { self.offset == self.data.count }

    private func truncated() -> StoreError {
        StoreError.corrupt("\(self.what) is truncated at byte \(self.offset) of \(self.data.count)")
    }

    mutating func byte() throws(StoreError) -> UInt8 {
        guard self.offset < self.data.count else {
            throw self.truncated()
        }
        defer { self.offset += 1 }
        return self.data[self.offset]
    }

    mutating func varint() throws(StoreError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let start = self.offset
            let byte = try self.byte()
            guard shift < 64 else {
                throw StoreError.corrupt("\(self.what) has an over-long varint at byte \(start)")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                return result
            }
            shift += 7
        }
    }

    mutating func int64() throws(StoreError) -> Int64 {
        let start = self.offset
        let value = try self.varint()
        guard value <= UInt64(Int64.max) else {
            throw StoreError.corrupt("\(self.what) has an out-of-range number at byte \(start)")
        }
        return Int64(value)
    }

    mutating func zigzag() throws(StoreError) -> Int64 {
        let value = try self.varint()
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// A count that cannot exceed `limit` (the bytes left bound any honest count).
    mutating func count(limit: Int) throws(StoreError) -> Int {
        let start = self.offset
        let value = try self.varint()
        guard value <= UInt64(limit) else {
            throw StoreError.corrupt("\(self.what) has an impossible count \(value) at byte \(start)")
        }
        return Int(value)
    }

    mutating func bytes() throws(StoreError) -> [UInt8] {
        let raw = try self.rawBytes()
        return [UInt8](raw)
    }

    mutating func rawBytes() throws(StoreError) -> UnsafeRawBufferPointer {
        let start = self.offset
        let length = try self.varint()
        guard length <= UInt64(self.data.count - self.offset) else {
            throw StoreError.corrupt(
                "\(self.what) has a length \(length) at byte \(start) past its end (\(self.data.count) bytes)"
            )
        }
        let range = self.offset..<(self.offset + Int(length))
        self.offset += Int(length)
        return UnsafeRawBufferPointer(rebasing: self.data[range])
    }
}

extension StoreRecord {
    /// Encodes a one-put record without building a `StoreRecord` (the Put hot path).
    static func encodePut(
        revision: Int64,
        time: Int64,
        key: [UInt8],
        value: [UInt8],
        deadline: Int64,
        idempotencyKey: String
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 48 + key.count + value.count + idempotencyKey.utf8.count)
        writer.byte(Self.formatVersion)
        writer.varint(UInt64(revision))
        writer.zigzag(time)
        writer.varint(1)
        writer.byte(1)
        writer.bytes(key)
        writer.bytes(value)
        writer.zigzag(deadline)
        writer.varint(UInt64(idempotencyKey.utf8.count))
        writer.buffer.append(contentsOf: idempotencyKey.utf8)
        return writer.buffer
    }
}
