extension KVStore {
    /// Snapshot format version 4 (version 3, magic "MSS3", is the same without the registry section; version 2,
    /// magic "MSS2", also without the archive watermark; version 1, magic "MSS1", the same up to the key section's
    /// end; all stay readable):
    ///
    ///     snapshot = magic "MSS4" format:u8 (= 4) revision:varint time:zigzag
    ///                idempotencyCount:varint (key:bytes revision:varint time:zigzag){idempotencyCount}
    ///                (0x01 key:bytes value:bytes createRevision:varint modRevision:varint version:varint
    ///                 deadline:zigzag)*   in ascending key order
    ///                0x00 keyCount:varint
    ///                (0x01 streamID:varint name:bytes lastRevision:zigzag flags:u8 maxCount:varint
    ///                 maxAgeMs:varint truncateBefore:varint [snapshotRevision:varint state:bytes])*
    ///                0x00 streamCount:varint
    ///                groupCount:varint (name:bytes count:varint (streamID:varint checkpoint:varint){count})*
    ///                (0x01 eventID:bytes streamID:varint revision:varint position:varint time:zigzag)*
    ///                0x00 eventIDCount:varint
    ///                (0x01 position:varint streamID:varint revision:varint recordedAt:zigzag id:bytes type:bytes
    ///                 contentType:bytes data:bytes metadataCount:varint (key:bytes value:bytes)*)*
    ///                0x00 eventCount:varint archivedThrough:varint
    ///                registryChangeCount:varint change{registryChangeCount}   (`RegistryChangeCodec`, ADR 0008)
    ///                keySchemaCount:varint (key:bytes modRevision:varint schemaID:varint){keySchemaCount}
    ///
    /// Stream flags: 1 = has settings, 2 = soft-deleted, 4 = hard-deleted, 8 = has an aggregate snapshot entry
    /// (then the snapshot fields follow; an entry with revision -1 ... is never written: a removed snapshot is
    /// flag 8 clear). `streamID` only links the sections (restore assigns its own ids).
    ///
    /// It holds the state at `revision`: live keys with their MVCC fields and TTL deadlines, the idempotency keys
    /// and event ids still in their windows, every stream's settings, last revision and aggregate snapshot,
    /// every group checkpoint, and the events in memory, which are the ones not archived: `archivedThrough` is the
    /// archive watermark (ADR 0004 §7), every event at or below it is in an archive chunk (or was erased), so the
    /// snapshot plus the chunks hold every event at or below `revision`. Not older key versions, so after `restore`
    /// the compact revision is the snapshot's revision. Each section's trailing count catches a truncated snapshot.
    static let snapshotMagic: [UInt8] = Array("MSS4".utf8)
    static let snapshotFormatVersion: UInt8 = 4
    static let snapshotMagicV3: [UInt8] = Array("MSS3".utf8)
    static let snapshotMagicV2: [UInt8] = Array("MSS2".utf8)
    static let snapshotMagicV1: [UInt8] = Array("MSS1".utf8)
    /// Keys serialized per lock hold while writing a snapshot: writers wait at most this long.
    static let snapshotChunkKeys = 4096

    /// Writes a snapshot of the durable state through `log.writeSnapshot`, on the calling thread.
    ///
    /// The state is read at `durableRevision` (with the log index of its record) in chunks of
    /// `snapshotChunkKeys` keys, each under the lock (an MVCC read at a pinned revision, so writes continue
    /// between chunks and compaction waits).
    /// Automatic snapshots (every `compactAfterRecords` records) run this on the store's snapshot queue.
    /// Throws `unavailable` without a log, `resourceExhausted` if a snapshot is already being written, and
    /// `internal` wrapping the log's error.
    public func takeSnapshot() throws(StoreError) {
        guard self.log != nil else {
            throw StoreError.unavailable("no log: snapshots need one")
        }
        self.lock.lock()
        guard self.snapshotPin == nil else {
            self.unlockAndDrain()
            throw StoreError(code: .resourceExhausted, message: "a snapshot is already being written")
        }
        // The durable state only: a pending write's record may still fail.
        let revision = self.durable
        let index = self.durableIndex
        self.snapshotPin = revision
        self.lastSnapshotRevision = revision
        self.recordsSinceSnapshot = self.pendingRecords
        self.unlockAndDrain()
        try self.writeSnapshot(revision: revision, index: index)
    }

    func writeScheduledSnapshot(revision: Int64, index: UInt64) {
        do {
            try self.writeSnapshot(revision: revision, index: index)
        } catch {
            // Not fatal: the log keeps every record, so recovery replays more. Counted in metrics.
        }
    }

    /// Serializes the state at `revision` (pinned by the caller) and releases the pin.
    func writeSnapshot(revision: Int64, index: UInt64, discardingOlder: Bool = false) throws(StoreError) {
        guard let log = self.log else {
            return
        }
        var succeeded = false
        defer {
            self.lock.lock()
            self.snapshotPin = nil
            // Erasures held back while the snapshot needed the events.
            self.runDueErasures()
            if succeeded {
                self.snapshotsTaken += 1
            } else {
                self.snapshotFailures += 1
            }
            self.unlockAndDrain()
        }
        do {
            try log.writeSnapshot(index: index, discardingOlder: discardingOlder) { emit in
                try emit(self.snapshotHeader(revision: revision))
                var after: [UInt8]? = nil
                var keyCount = 0
                while true {
                    var writer = ByteWriter(capacity: 64 * 1024)
                    let done = self.snapshotChunk(revision: revision, after: &after, into: &writer, count: &keyCount)
                    if done {
                        writer.byte(0)
                        writer.varint(UInt64(keyCount))
                    }
                    try emit(writer.buffer)
                    if done {
                        break
                    }
                }
                try self.emitStreamSections(revision: revision, emit: emit)
                try emit(self.snapshotRegistry(revision: revision))
            }
            succeeded = true
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(
                code: .internal,
                message: "writing the snapshot at revision \(revision) (log index \(index)) failed",
                cause: error
            )
        }
    }

    private func snapshotHeader(revision: Int64) -> [UInt8] {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        let now = self.clock.nowMilliseconds()
        var writer = ByteWriter(capacity: 64 + self.idempotency.count * 48)
        writer.buffer.append(contentsOf: Self.snapshotMagic)
        writer.byte(Self.snapshotFormatVersion)
        writer.varint(UInt64(revision))
        writer.zigzag(now)
        let entries = self.idempotency.filter { _, entry in
            entry.revision <= revision && now - entry.timeMilliseconds < self.limits.idempotencyWindowMilliseconds
        }.sorted { $0.value.revision < $1.value.revision }
        writer.varint(UInt64(entries.count))
        for (key, entry) in entries {
            writer.bytes(Array(key.utf8))
            writer.varint(UInt64(entry.revision))
            writer.zigzag(entry.timeMilliseconds)
        }
        return writer.buffer
    }

    /// Serializes up to `snapshotChunkKeys` keys after `after` at `revision`; returns whether the end was reached.
    private func snapshotChunk(revision: Int64, after: inout [UInt8]?, into writer: inout ByteWriter, count: inout Int)
        -> Bool
    {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        var position: BTreePosition?
        if let previous = after {
            position = previous.withUnsafeBytes { self.tree.seek($0) }
            if let current = position,
                previous.withUnsafeBytes({ Blob.compare($0, current.leaf.entries[current.index].latest.blob) }) == 0
            {
                position = BTree.advance(current)
            }
        } else {
            position = self.tree.seek(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        var visited = 0
        while let current = position, visited < Self.snapshotChunkKeys {
            let entry = current.leaf.entries[current.index]
            visited += 1
            position = BTree.advance(current)
            guard let (version, deadline) = entry.version(at: revision) else {
                if position == nil || visited == Self.snapshotChunkKeys {
                    after = Blob.key(entry.latest.blob)
                }
                continue
            }
            let keyCount = Blob.keyCount(version.blob)
            version.blob.withUnsafeBytes { blob in
                writer.byte(1)
                writer.bytes(UnsafeRawBufferPointer(rebasing: blob[2..<(2 + keyCount)]))
                writer.bytes(UnsafeRawBufferPointer(rebasing: blob[(2 + keyCount)...]))
            }
            writer.varint(UInt64(version.createRevision))
            writer.varint(UInt64(version.modRevision))
            writer.varint(UInt64(version.version))
            writer.zigzag(deadline)
            count += 1
            if position == nil || visited == Self.snapshotChunkKeys {
                after = Blob.key(entry.latest.blob)
            }
        }
        return position == nil
    }

    // MARK: - Recovery

    /// Loads a snapshot written by `takeSnapshot` (the concatenation of its chunks) covering log records up to
    /// `index`. Call it first, on an empty store, before `replay`.
    ///
    /// Throws `internal` naming the byte offset when the snapshot does not decode.
    public func restore(snapshot: UnsafeRawBufferPointer, index: UInt64) throws(StoreError) {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        guard self.revision == 0 && self.tree.count == 0 && self.streams.isEmpty else {
            throw StoreError(
                code: .internal,
                message: "restore on a store that already holds revision \(self.revision)"
            )
        }
        var reader = ByteReader(snapshot, what: "snapshot at index \(index)")
        var magic: [UInt8] = []
        for _ in 0..<4 {
            magic.append(try reader.byte())
        }
        let expectedFormat: UInt8
        switch magic {
        case Self.snapshotMagic: expectedFormat = Self.snapshotFormatVersion
        case Self.snapshotMagicV3: expectedFormat = 3
        case Self.snapshotMagicV2: expectedFormat = 2
        case Self.snapshotMagicV1: expectedFormat = 1
        default:
            throw StoreError.corrupt("snapshot at index \(index) does not start with \"MSS4\" (or \"MSS3\", \"MSS2\", \"MSS1\")")
        }
        let format = try reader.byte()
        guard format == expectedFormat else {
            throw StoreError.corrupt(
                "snapshot at index \(index) has format version \(format) after its magic; this build reads 1 to 4"
            )
        }
        let revision = try reader.int64()
        _ = try reader.zigzag()
        let idempotencyCount = try reader.count(limit: snapshot.count)
        for _ in 0..<idempotencyCount {
            let key = String(decoding: try reader.bytes(), as: UTF8.self)
            let entryRevision = try reader.int64()
            let time = try reader.zigzag()
            self.rememberIdempotencyKey(key, revision: entryRevision, time: time)
        }
        var keyCount = 0
        var previousKey: [UInt8]? = nil
        while true {
            let offset = reader.offset
            let flag = try reader.byte()
            if flag == 0 {
                break
            }
            guard flag == 1 else {
                throw StoreError.corrupt(
                    "snapshot at index \(index) has an unknown entry flag \(flag) at byte \(offset)"
                )
            }
            let key = try reader.rawBytes()
            let value = try reader.rawBytes()
            let createRevision = try reader.int64()
            let modRevision = try reader.int64()
            let version = try reader.int64()
            let deadline = try reader.zigzag()
            guard !key.isEmpty, key.count <= Int(UInt16.max), version > 0, modRevision <= revision,
                createRevision <= modRevision
            else {
                throw StoreError.corrupt("snapshot at index \(index) has an invalid key entry at byte \(offset)")
            }
            if let previousKey,
                previousKey.withUnsafeBytes({
                    Blob.compare($0, Blob.make(key: key, value: UnsafeRawBufferPointer(start: nil, count: 0)))
                }) >= 0
            {
                throw StoreError.corrupt("snapshot at index \(index) has keys out of order at byte \(offset)")
            }
            previousKey = [UInt8](key)
            let blob = Blob.make(key: key, value: value)
            var extra: KeyExtra? = nil
            if deadline != 0 {
                extra = KeyExtra()
                extra!.deadline = deadline
                self.ttlKeys += 1
                self.deadlines.push(DeadlineQueue.Item(deadline: deadline, modRevision: modRevision, blob: blob))
            }
            self.tree.insert(
                KeyEntry(
                    latest: KeyVersion(
                        blob: blob,
                        createRevision: createRevision,
                        modRevision: modRevision,
                        version: version
                    ),
                    extra: extra
                )
            )
            keyCount += 1
        }
        let declared = try reader.int64()
        guard declared == Int64(keyCount) else {
            throw StoreError.corrupt("snapshot at index \(index) declares \(declared) keys but holds \(keyCount)")
        }
        if format >= 2 {
            try self.restoreStreamSections(&reader, revision: revision, index: index, format: format)
        }
        if format >= 4 {
            try self.restoreRegistrySection(&reader, revision: revision, limit: snapshot.count)
        }
        guard reader.isAtEnd else {
            throw StoreError.corrupt(
                "snapshot at index \(index) has \(snapshot.count - reader.offset) trailing bytes "
                    + "at byte \(reader.offset)"
            )
        }
        self.liveKeys = keyCount
        self.revision = revision
        self.durable = revision
        self.compacted = revision
        self.lastAppendedIndex = index
        self.durableIndex = index
        self.lastSnapshotRevision = revision
    }

    /// Loads a snapshot held in an array; see `restore(snapshot:index:)`.
    public func restore(snapshot: [UInt8], index: UInt64) throws(StoreError) {
        let result: Result<Void, StoreError> = snapshot.withUnsafeBytes { bytes in
            Result { () throws(StoreError) in try self.restore(snapshot: bytes, index: index) }
        }
        try result.get()
    }

    /// Applies one log record during recovery, in log order, after `restore`.
    ///
    /// Throws `internal` naming the index when the record does not decode or does not carry the next revision
    /// (a lost or reordered record; an append's first event must take the next revision); a record is never
    /// skipped. Records are trusted otherwise: they were validated when written.
    public func replay(record: UnsafeRawBufferPointer, index: UInt64) throws(StoreError) {
        let decoded = try StoreRecord.decode(record, index: index)
        var deferred = Deferred()
        self.lock.lock()
        defer { self.unlockAndRun(&deferred) }
        guard !decoded.operations.isEmpty else {
            throw StoreError.corrupt("log record at index \(index) has no operations")
        }
        // Without a snapshot, the first record builds the archive index: replayed events a chunk holds stay there.
        self.loadArchiveIndex()
        guard decoded.firstRevision == self.revision + 1 else {
            let carries =
                decoded.firstRevision == decoded.revision
                ? "revision \(decoded.revision)" : "revisions \(decoded.firstRevision)...\(decoded.revision)"
            throw StoreError.corrupt(
                "log record at index \(index) carries \(carries) but the store expects \(self.revision + 1)"
            )
        }
        self.revision = decoded.revision
        self.applyOperations(decoded.operations, revision: decoded.revision, time: decoded.timeMilliseconds)
        self.markDurable(upTo: decoded.revision, deferred: &deferred)
        self.lastAppendedIndex = index
        self.durableIndex = index
        self.recordsSinceSnapshot += 1
    }

    /// Applies one log record held in an array; see `replay(record:index:)`.
    public func replay(record: [UInt8], index: UInt64) throws(StoreError) {
        let result: Result<Void, StoreError> = record.withUnsafeBytes { bytes in
            Result { () throws(StoreError) in try self.replay(record: bytes, index: index) }
        }
        try result.get()
    }
}
