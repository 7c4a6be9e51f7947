import MicroStateSchema

/// One log record: every write of one revision (or, for an append, of its events' revisions), as the store
/// appends it and replays it.
///
/// Encoding (all integers unsigned LEB128 varints unless noted; "bytes" = varint length then the bytes;
/// "zigzag" = signed varint):
///
///     record    = format:u8 (1 or 2) revision:varint time:zigzag count:varint op{count}
///     tag 1 put    key:bytes value:bytes deadline:zigzag (0 = no TTL) idempotencyKey:bytes (UTF-8, may be empty)
///     tag 2 delete key:bytes
///     tag 3 expire key:bytes             a TTL expiry: replayed like a delete
///   format 2 only (ADR 0004 §2):
///     tag 4 append      stream:bytes count:varint event{count}
///                       event = id:bytes type:bytes contentType:bytes data:bytes
///                               metadataCount:varint (key:bytes value:bytes){metadataCount}   (keys sorted)
///     tag 5 ack         group:bytes stream:bytes streamRevision:varint
///     tag 6 streamMeta  stream:bytes maxCount:varint maxAgeMs:varint truncateBefore:varint
///     tag 7 delete      stream:bytes hard:u8 (0 soft, 1 hard)
///     tag 8 snapshot    stream:bytes streamRevision:varint state:bytes  (aggregate snapshot)
///     tag 9 registry    change  (a schema registry change, ADR 0008; encoding in `RegistryChangeCodec`)
///     tag 10 keySchema  key:bytes schemaID:varint   (the schema id the record's put of `key` was validated
///                       against; follows that put in the same record)
///
/// `revision` is the **last** revision the record creates: a record is either one append, whose N events take
/// revisions `revision - N + 1 … revision`, or any mix of the other operations, which share one revision.
/// Replay checks each record continues the previous revision exactly, so a lost or reordered record is an error,
/// not a silent divergence. `time` is the wall clock when the record was written; it dates idempotency keys and
/// event ids (so their windows survive a restart) and is every appended event's recorded time. A Txn is one
/// record with several ops, so a crash never leaves half of one. The log frames and checksums records; this
/// encoding only has to be exact. Records with KV operations only are written in format 1, so the KV write path
/// and the bytes it logs are unchanged; format 1 records stay readable.
struct StoreRecord: Equatable {
    static let formatVersion: UInt8 = 1
    /// The format of records holding an event-stream operation (tags 4-8).
    static let streamFormatVersion: UInt8 = 2

    enum Operation: Equatable {
        case put(key: [UInt8], value: [UInt8], deadline: Int64, idempotencyKey: String)
        case delete(key: [UInt8])
        case expire(key: [UInt8])
        case append(stream: String, events: [StoreEventData])
        case ack(group: String, stream: String, revision: Int64)
        case streamMetadata(stream: String, metadata: StoreStreamMetadata)
        case deleteStream(stream: String, hard: Bool)
        case aggregateSnapshot(stream: String, revision: Int64, state: [UInt8])
        case registry(RegistryChange)
        case keySchema(key: [UInt8], id: Int64)

        /// Whether format 1 can hold the operation.
        var isKV: Bool {
            switch self {
            case .put, .delete, .expire: return true
            case .append, .ack, .streamMetadata, .deleteStream, .aggregateSnapshot, .registry, .keySchema: return false
            }
        }

        /// Revisions the operation takes (an append one per event; the others share the record's one).
        var revisionCount: Int64 {
            if case .append(_, let events) = self {
                return Int64(events.count)
            }
            return 1
        }
    }

    var revision: Int64
    var timeMilliseconds: Int64
    var operations: [Operation]

    /// The first revision the record creates.
    var firstRevision: Int64 {
        self.revision - (self.operations.first?.revisionCount ?? 1) + 1
    }

    func encode() -> [UInt8] {
        var size = 24
        var kvOnly = true
        for operation in self.operations {
            kvOnly = kvOnly && operation.isKV
            switch operation {
            case .put(let key, let value, _, let idempotencyKey):
                size += 30 + key.count + value.count + idempotencyKey.utf8.count
            case .delete(let key), .expire(let key):
                size += 6 + key.count
            case .append(let stream, let events):
                size += 16 + stream.utf8.count
                for event in events {
                    size += 24 + event.id.utf8.count + event.type.utf8.count + event.contentType.utf8.count
                    size += event.data.count
                    for (key, value) in event.metadata {
                        size += 10 + key.utf8.count + value.utf8.count
                    }
                }
            case .ack(let group, let stream, _):
                size += 24 + group.utf8.count + stream.utf8.count
            case .streamMetadata(let stream, _):
                size += 40 + stream.utf8.count
            case .deleteStream(let stream, _):
                size += 8 + stream.utf8.count
            case .aggregateSnapshot(let stream, _, let state):
                size += 24 + stream.utf8.count + state.count
            case .registry:
                size += 256
            case .keySchema(let key, _):
                size += 16 + key.count
            }
        }
        var writer = ByteWriter(capacity: size)
        writer.byte(kvOnly ? Self.formatVersion : Self.streamFormatVersion)
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
            case .append(let stream, let events):
                writer.byte(4)
                writer.string(stream)
                writer.varint(UInt64(events.count))
                for event in events {
                    writer.string(event.id)
                    writer.string(event.type)
                    writer.string(event.contentType)
                    writer.bytes(event.data)
                    writer.varint(UInt64(event.metadata.count))
                    for (key, value) in event.metadata.sorted(by: { $0.key < $1.key }) {
                        writer.string(key)
                        writer.string(value)
                    }
                }
            case .ack(let group, let stream, let revision):
                writer.byte(5)
                writer.string(group)
                writer.string(stream)
                writer.varint(UInt64(revision))
            case .streamMetadata(let stream, let metadata):
                writer.byte(6)
                writer.string(stream)
                writer.varint(UInt64(metadata.maxCount))
                writer.varint(UInt64(metadata.maxAgeMilliseconds))
                writer.varint(UInt64(metadata.truncateBefore))
            case .deleteStream(let stream, let hard):
                writer.byte(7)
                writer.string(stream)
                writer.byte(hard ? 1 : 0)
            case .aggregateSnapshot(let stream, let revision, let state):
                writer.byte(8)
                writer.string(stream)
                writer.varint(UInt64(revision))
                writer.bytes(state)
            case .registry(let change):
                writer.byte(9)
                RegistryChangeCodec.encode(change, into: &writer)
            case .keySchema(let key, let id):
                writer.byte(10)
                writer.bytes(key)
                writer.varint(UInt64(id))
            }
        }
        return writer.buffer
    }

    /// Decodes a record; `index` only names the record in the error.
    static func decode(_ bytes: UnsafeRawBufferPointer, index: UInt64) throws(StoreError) -> StoreRecord {
        var reader = ByteReader(bytes, what: "log record at index \(index)")
        let format = try reader.byte()
        guard format == Self.formatVersion || format == Self.streamFormatVersion else {
            throw StoreError.corrupt(
                "log record at index \(index) has format version \(format); "
                    + "this build reads versions \(Self.formatVersion) and \(Self.streamFormatVersion)"
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
            if tag >= 4 && tag <= 10 && format == Self.formatVersion {
                throw StoreError.corrupt(
                    "log record at index \(index): operation tag \(tag) at byte \(tagOffset) needs format 2"
                )
            }
            switch tag {
            case 1:
                let key = try reader.bytes()
                let value = try reader.bytes()
                let deadline = try reader.zigzag()
                let idempotencyKey = try reader.string()
                operations.append(.put(key: key, value: value, deadline: deadline, idempotencyKey: idempotencyKey))
            case 2:
                operations.append(.delete(key: try reader.bytes()))
            case 3:
                operations.append(.expire(key: try reader.bytes()))
            case 4:
                let stream = try reader.string()
                let eventCount = try reader.count(limit: bytes.count)
                guard eventCount > 0 else {
                    throw StoreError.corrupt(
                        "log record at index \(index): append at byte \(tagOffset) has no events"
                    )
                }
                var events: [StoreEventData] = []
                events.reserveCapacity(eventCount)
                for _ in 0..<eventCount {
                    let id = try reader.string()
                    let type = try reader.string()
                    let contentType = try reader.string()
                    let data = try reader.bytes()
                    let metadataCount = try reader.count(limit: bytes.count)
                    var metadata: [String: String] = [:]
                    for _ in 0..<metadataCount {
                        let key = try reader.string()
                        metadata[key] = try reader.string()
                    }
                    events.append(
                        StoreEventData(id: id, type: type, data: data, metadata: metadata, contentType: contentType)
                    )
                }
                operations.append(.append(stream: stream, events: events))
            case 5:
                let group = try reader.string()
                let stream = try reader.string()
                operations.append(.ack(group: group, stream: stream, revision: try reader.int64()))
            case 6:
                let stream = try reader.string()
                let maxCount = try reader.int64()
                let maxAge = try reader.int64()
                let truncateBefore = try reader.int64()
                operations.append(
                    .streamMetadata(
                        stream: stream,
                        metadata: StoreStreamMetadata(
                            maxCount: maxCount,
                            maxAgeMilliseconds: maxAge,
                            truncateBefore: truncateBefore
                        )
                    )
                )
            case 7:
                let stream = try reader.string()
                let hardOffset = reader.offset
                let hard = try reader.byte()
                guard hard <= 1 else {
                    throw StoreError.corrupt(
                        "log record at index \(index): stream delete has hard flag \(hard) at byte \(hardOffset)"
                    )
                }
                operations.append(.deleteStream(stream: stream, hard: hard == 1))
            case 8:
                let stream = try reader.string()
                let revision = try reader.int64()
                operations.append(.aggregateSnapshot(stream: stream, revision: revision, state: try reader.bytes()))
            case 9:
                operations.append(.registry(try RegistryChangeCodec.decode(&reader)))
            case 10:
                let key = try reader.bytes()
                operations.append(.keySchema(key: key, id: try reader.int64()))
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
        let hasAppend = operations.contains { if case .append = $0 { return true } else { return false } }
        if hasAppend && operations.count != 1 {
            throw StoreError.corrupt(
                "log record at index \(index) mixes an append with \(operations.count - 1) other operations"
            )
        }
        let record = StoreRecord(revision: revision, timeMilliseconds: time, operations: operations)
        if record.firstRevision < 1 {
            throw StoreError.corrupt(
                "log record at index \(index) has revision \(revision), below its \(operations[0].revisionCount) events"
            )
        }
        return record
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

    /// A string as its UTF-8 bytes.
    mutating func string(_ string: String) {
        self.varint(UInt64(string.utf8.count))
        self.buffer.append(contentsOf: string.utf8)
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

    /// A string written by `ByteWriter.string` (invalid UTF-8 is repaired, never trusted).
    mutating func string() throws(StoreError) -> String {
        String(decoding: try self.rawBytes(), as: UTF8.self)
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
