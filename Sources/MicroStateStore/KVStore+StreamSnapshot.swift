/// The event-stream sections of a store snapshot (format 2, see `KVStore.snapshotMagic`): streams, group
/// checkpoints, the event-id window and the events, each written in chunks under separate lock holds (so writers
/// pause for one chunk at a time) at the pinned revision.
extension KVStore {
    /// Streams, ids and events serialized per lock hold while writing a snapshot.
    static let snapshotChunkItems = 4096

    private static let flagSettings: UInt8 = 1
    private static let flagDeleted: UInt8 = 2
    private static let flagHardDeleted: UInt8 = 4
    private static let flagSnapshot: UInt8 = 8

    /// Writes the stream sections of the state at `revision` (pinned by the caller).
    func emitStreamSections(revision: Int64, emit: ([UInt8]) throws -> Void) throws {
        var nextStream = 0
        var streamCount = 0
        while true {
            var writer = ByteWriter(capacity: 64 * 1024)
            let done = self.snapshotStreams(revision: revision, next: &nextStream, into: &writer, count: &streamCount)
            if done {
                writer.byte(0)
                writer.varint(UInt64(streamCount))
            }
            try emit(writer.buffer)
            if done {
                break
            }
        }
        try emit(self.snapshotGroups(revision: revision))
        var idCursor: Int64 = 0
        var idCount = 0
        while true {
            var writer = ByteWriter(capacity: 64 * 1024)
            let done = self.snapshotEventIDs(revision: revision, after: &idCursor, into: &writer, count: &idCount)
            if done {
                writer.byte(0)
                writer.varint(UInt64(idCount))
            }
            try emit(writer.buffer)
            if done {
                break
            }
        }
        var eventCursor: Int64 = 0
        var eventCount = 0
        while true {
            var writer = ByteWriter(capacity: 256 * 1024)
            let done = self.snapshotEvents(revision: revision, from: &eventCursor, into: &writer, count: &eventCount)
            try emit(writer.buffer)
            if done {
                break
            }
        }
    }

    /// Serializes up to `snapshotChunkItems` streams from id `next`; returns whether every stream was seen.
    /// Streams registered after the pin have no state at `revision` and are skipped like empty ones.
    private func snapshotStreams(
        revision: Int64,
        next: inout Int,
        into writer: inout ByteWriter,
        count: inout Int
    )
        -> Bool
    {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        let end = min(self.streams.count, next + Self.snapshotChunkItems)
        while next < end {
            let state = self.streams[next]
            next += 1
            let settings = state.settings.at(revision)
            let snapshotEntry = state.snapshot.at(revision)
            let last = self.eventLog.lastRevision(of: state.id, atOrBefore: revision)
            if settings == nil && snapshotEntry == nil && last < 0 {
                continue
            }
            let snapshot = snapshotEntry ?? nil
            var flags: UInt8 = 0
            if let settings {
                flags |= Self.flagSettings
                flags |= settings.deleted ? Self.flagDeleted : 0
                flags |= settings.hardDeleted ? Self.flagHardDeleted : 0
            }
            flags |= snapshot != nil ? Self.flagSnapshot : 0
            let metadata = settings?.metadata ?? StoreStreamMetadata()
            writer.byte(1)
            writer.varint(UInt64(state.id))
            writer.string(state.name)
            writer.zigzag(last)
            writer.byte(flags)
            writer.varint(UInt64(metadata.maxCount))
            writer.varint(UInt64(metadata.maxAgeMilliseconds))
            writer.varint(UInt64(metadata.truncateBefore))
            if let snapshot {
                writer.varint(UInt64(snapshot.revision))
                writer.bytes(snapshot.state)
            }
            count += 1
        }
        return next >= self.streams.count
    }

    /// Serializes every group checkpoint at `revision` (one lock hold: one entry per acknowledged stream).
    private func snapshotGroups(revision: Int64) -> [UInt8] {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        var entries: [(name: String, checkpoints: [(stream: Int, revision: Int64)])] = []
        for (name, group) in self.groups.sorted(by: { $0.key < $1.key }) {
            var checkpoints: [(stream: Int, revision: Int64)] = []
            for (stream, versioned) in group.checkpoints.sorted(by: { $0.key < $1.key }) {
                if let checkpoint = versioned.at(revision) {
                    checkpoints.append((stream, checkpoint))
                }
            }
            if !checkpoints.isEmpty {
                entries.append((name, checkpoints))
            }
        }
        var writer = ByteWriter(capacity: 64 + entries.count * 64)
        writer.varint(UInt64(entries.count))
        for entry in entries {
            writer.string(entry.name)
            writer.varint(UInt64(entry.checkpoints.count))
            for checkpoint in entry.checkpoints {
                writer.varint(UInt64(checkpoint.stream))
                writer.varint(UInt64(checkpoint.revision))
            }
        }
        return writer.buffer
    }

    /// Serializes up to `snapshotChunkItems` event ids written after position `after` and at or before
    /// `revision`, still in their window; returns whether the end was reached.
    private func snapshotEventIDs(
        revision: Int64,
        after: inout Int64,
        into writer: inout ByteWriter,
        count: inout Int
    )
        -> Bool
    {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        let now = self.clock.nowMilliseconds()
        // The order is by position: binary search for the first entry after the cursor.
        var low = 0
        var high = self.eventIDOrder.count
        while low < high {
            let mid = (low + high) >> 1
            if self.eventIDOrder[mid].position <= after {
                low = mid + 1
            } else {
                high = mid
            }
        }
        var index = low
        var visited = 0
        while index < self.eventIDOrder.count && visited < Self.snapshotChunkItems {
            let (id, position) = self.eventIDOrder[index]
            if position > revision {
                return true
            }
            index += 1
            visited += 1
            after = position
            guard let entry = self.eventIDs[id], entry.position == position,
                now - entry.timeMilliseconds < self.limits.eventIDWindowMilliseconds
            else {
                continue
            }
            writer.byte(1)
            writer.string(id)
            writer.varint(UInt64(entry.stream))
            writer.varint(UInt64(entry.revision))
            writer.varint(UInt64(entry.position))
            writer.zigzag(entry.timeMilliseconds)
            count += 1
        }
        return index >= self.eventIDOrder.count
    }

    /// Serializes up to `snapshotChunkItems` events in memory from position `from` to `revision`; returns whether
    /// the end was reached, and then writes the section's end: the count and the archive watermark read in the same
    /// lock hold, so every event at or below `revision` is either written or archived at or below the watermark
    /// (archiving may move events out of memory between the lock holds of one snapshot).
    private func snapshotEvents(
        revision: Int64,
        from: inout Int64,
        into writer: inout ByteWriter,
        count: inout Int
    )
        -> Bool
    {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        var visited = 0
        var done = true
        var cursor = from
        self.eventLog.forEach(fromPosition: from) { event in
            if event.position > revision {
                return false
            }
            if visited == Self.snapshotChunkItems {
                done = false
                return false
            }
            visited += 1
            writer.byte(1)
            writer.varint(UInt64(event.position))
            writer.varint(UInt64(event.stream))
            writer.varint(UInt64(event.revision))
            writer.zigzag(event.recordedAt)
            writer.string(event.data.id)
            writer.string(event.data.type)
            writer.string(event.data.contentType)
            writer.bytes(event.data.data)
            writer.varint(UInt64(event.data.metadata.count))
            for (key, value) in event.data.metadata.sorted(by: { $0.key < $1.key }) {
                writer.string(key)
                writer.string(value)
            }
            cursor = event.position + 1
            return true
        }
        from = cursor
        count += visited
        if done {
            writer.byte(0)
            writer.varint(UInt64(count))
            writer.varint(UInt64(self.eventLog.archive.archivedThrough))
        }
        return done
    }

    // MARK: - Restore

    /// Reads the stream sections of a format 2 or 3 snapshot at `revision`; with an archive, then builds the archive
    /// index and drops the restored events it covers. Lock held, on an empty store.
    func restoreStreamSections(
        _ reader: inout ByteReader,
        revision: Int64,
        index: UInt64,
        format: UInt8
    ) throws(StoreError) {
        func corrupt(_ what: String, at offset: Int) -> StoreError {
            StoreError.corrupt("snapshot at index \(index) has \(what) at byte \(offset)")
        }
        let limit = Int.max
        // Streams.
        var ids: [Int: Int] = [:]
        var lastRevisions: [(id: Int, last: Int64)] = []
        while true {
            let offset = reader.offset
            let flag = try reader.byte()
            if flag == 0 {
                break
            }
            guard flag == 1 else {
                throw corrupt("an unknown stream entry flag \(flag)", at: offset)
            }
            let snapshotID = Int(try reader.int64())
            let name = try reader.string()
            let last = try reader.zigzag()
            let flags = try reader.byte()
            let metadata = StoreStreamMetadata(
                maxCount: try reader.int64(),
                maxAgeMilliseconds: try reader.int64(),
                truncateBefore: try reader.int64()
            )
            guard ids[snapshotID] == nil, self.streamIDs[name] == nil, last >= -1, flags < 16 else {
                throw corrupt("an invalid stream entry", at: offset)
            }
            let id = self.streamID(creating: name)
            ids[snapshotID] = id
            lastRevisions.append((id, last))
            if flags & Self.flagSettings != 0 {
                let settings = StreamSettings(
                    metadata: metadata,
                    deleted: flags & Self.flagDeleted != 0,
                    hardDeleted: flags & Self.flagHardDeleted != 0
                )
                self.streams[id].settings.set(settings, at: revision, floor: revision)
            }
            if flags & Self.flagSnapshot != 0 {
                let snapshotRevision = try reader.int64()
                let state = try reader.bytes()
                self.streams[id].snapshot.set(
                    StoreAggregateSnapshot(revision: snapshotRevision, state: state),
                    at: revision,
                    floor: revision
                )
            }
        }
        let declaredStreams = try reader.int64()
        guard declaredStreams == Int64(ids.count) else {
            throw corrupt("a stream count \(declaredStreams) for \(ids.count) streams", at: reader.offset)
        }
        // Groups.
        let groupCount = try reader.count(limit: limit)
        for _ in 0..<groupCount {
            let offset = reader.offset
            let name = try reader.string()
            let count = try reader.count(limit: limit)
            guard self.groups[name] == nil, count > 0 else {
                throw corrupt("an invalid group entry", at: offset)
            }
            let group = GroupState(name: name)
            self.groups[name] = group
            for _ in 0..<count {
                let entryOffset = reader.offset
                let snapshotID = Int(try reader.int64())
                let checkpoint = try reader.int64()
                guard let id = ids[snapshotID], group.checkpoints[id] == nil else {
                    throw corrupt("a checkpoint of an unknown stream", at: entryOffset)
                }
                group.checkpoints[id, default: Versioned()].set(checkpoint, at: revision, floor: revision)
            }
        }
        // Event ids.
        var idCount = 0
        while true {
            let offset = reader.offset
            let flag = try reader.byte()
            if flag == 0 {
                break
            }
            guard flag == 1 else {
                throw corrupt("an unknown event id entry flag \(flag)", at: offset)
            }
            let eventID = try reader.string()
            let snapshotID = Int(try reader.int64())
            let streamRevision = try reader.int64()
            let position = try reader.int64()
            let time = try reader.zigzag()
            guard let id = ids[snapshotID], !eventID.isEmpty, position <= revision else {
                throw corrupt("an invalid event id entry", at: offset)
            }
            self.rememberEventID(
                eventID,
                EventIDEntry(stream: id, revision: streamRevision, position: position, timeMilliseconds: time)
            )
            idCount += 1
        }
        let declaredIDs = try reader.int64()
        guard declaredIDs == Int64(idCount) else {
            throw corrupt("an event id count \(declaredIDs) for \(idCount) ids", at: reader.offset)
        }
        // Events.
        var eventCount = 0
        while true {
            let offset = reader.offset
            let flag = try reader.byte()
            if flag == 0 {
                break
            }
            guard flag == 1 else {
                throw corrupt("an unknown event entry flag \(flag)", at: offset)
            }
            let position = try reader.int64()
            let snapshotID = Int(try reader.int64())
            let streamRevision = try reader.int64()
            let recordedAt = try reader.zigzag()
            let eventID = try reader.string()
            let type = try reader.string()
            let contentType = try reader.string()
            let data = try reader.bytes()
            let metadataCount = try reader.count(limit: limit)
            var metadata: [String: String] = [:]
            for _ in 0..<metadataCount {
                let key = try reader.string()
                metadata[key] = try reader.string()
            }
            guard let id = ids[snapshotID], position <= revision,
                self.eventLog.restore(
                    EventLog.Event(
                        position: position,
                        stream: id,
                        revision: streamRevision,
                        recordedAt: recordedAt,
                        data: StoreEventData(
                            id: eventID,
                            type: type,
                            data: data,
                            metadata: metadata,
                            contentType: contentType
                        )
                    )
                )
            else {
                throw corrupt("an event out of order or of an unknown stream", at: offset)
            }
            eventCount += 1
        }
        let declaredEvents = try reader.int64()
        guard declaredEvents == Int64(eventCount) else {
            throw corrupt("an event count \(declaredEvents) for \(eventCount) events", at: reader.offset)
        }
        let watermark = format >= 3 ? try reader.int64() : 0
        guard watermark <= revision else {
            throw corrupt("an archive watermark \(watermark) above its revision", at: reader.offset)
        }
        for (id, last) in lastRevisions where !self.eventLog.restoreNextRevision(of: id, last + 1) {
            throw StoreError.corrupt(
                "snapshot at index \(index): stream \(StoreError.quote(self.streams[id].name)) has last revision "
                    + "\(last) but its events end at \(self.eventLog.nextRevision(of: id) - 1)"
            )
        }
        if self.archive != nil {
            // Chunks are authoritative up to their last position (one sealed after this snapshot included); the
            // watermark covers events archived while the snapshot was written, and erased ones.
            self.loadArchiveIndex()
            self.eventLog.archived(through: watermark)
        } else if watermark > 0 {
            throw StoreError.corrupt(
                "snapshot at index \(index) has events archived up to position \(watermark), but the store has no "
                    + "event archive"
            )
        }
    }
}
