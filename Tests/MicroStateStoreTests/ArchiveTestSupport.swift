import Foundation

@testable import MicroStateStore

struct FakeArchiveError: Error, CustomStringConvertible {
    var description: String { "archive disk on fire" }
}

/// An in-memory `StoreEventArchive` with the real archive's rules (positions increase, chunks never overlap, ids
/// increase, a rewrite keeps the id) and failure injection. Chunks survive a "restart": hand the same instance to
/// the recovered store.
final class MemoryArchive: StoreEventArchive, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(info: StoreArchiveChunk, events: [StoreArchivedEvent])] = []
    private var nextID: UInt64 = 1
    private var _failSeals = false
    private var _seals = 0
    private var _reads = 0
    private var _sealDelay: Double = 0

    let limits: StoreArchiveLimits

    init(maxEventsPerChunk: Int = 8, maxChunkRawBytes: Int = 2 << 20) {
        self.limits = StoreArchiveLimits(
            maxEventsPerChunk: maxEventsPerChunk,
            maxChunkRawBytes: maxChunkRawBytes,
            entryOverheadBytes: 24
        )
    }

    var failSeals: Bool {
        get { self.lock.withLock { self._failSeals } }
        set { self.lock.withLock { self._failSeals = newValue } }
    }

    /// Seconds each seal takes (to let writers race the archiver).
    var sealDelay: Double {
        get { self.lock.withLock { self._sealDelay } }
        set { self.lock.withLock { self._sealDelay = newValue } }
    }

    var seals: Int { self.lock.withLock { self._seals } }
    var reads: Int { self.lock.withLock { self._reads } }

    var chunks: [StoreArchiveChunk] { self.lock.withLock { self.stored.map(\.info) } }

    var diskBytes: Int { self.lock.withLock { self.stored.reduce(0) { $0 + $1.info.fileBytes } } }

    /// Every archived event, in position order.
    var allEvents: [StoreArchivedEvent] { self.lock.withLock { self.stored.flatMap(\.events) } }

    func seal(_ events: [StoreArchivedEvent]) throws -> StoreArchiveChunk {
        let delay = self.sealDelay
        if delay > 0 {
            Thread.sleep(forTimeInterval: delay)
        }
        return try self.lock.withLock {
            if self._failSeals {
                throw FakeArchiveError()
            }
            precondition(!events.isEmpty && events.count <= self.limits.maxEventsPerChunk, "seal of \(events.count)")
            let raw = events.reduce(0) { $0 + $1.payload.count + self.limits.entryOverheadBytes }
            precondition(raw <= self.limits.maxChunkRawBytes, "seal over the raw bound")
            let last = self.stored.last?.info.lastPosition ?? 0
            precondition(events[0].position > last, "seal positions must increase")
            for index in events.indices.dropFirst() {
                precondition(events[index].position > events[index - 1].position, "positions must increase")
            }
            let info = Self.info(id: self.nextID, events)
            self.nextID += 1
            self.stored.append((info, events))
            self._seals += 1
            return info
        }
    }

    func read(chunk id: UInt64) throws -> [StoreArchivedEvent] {
        try self.lock.withLock {
            self._reads += 1
            guard let chunk = self.stored.first(where: { $0.info.id == id }) else {
                throw FakeArchiveError()
            }
            return chunk.events
        }
    }

    func rewrite(chunk id: UInt64, keeping: (StoreArchivedEvent) -> Bool) throws -> StoreArchiveChunk? {
        let events = try self.read(chunk: id)
        let kept = events.filter(keeping)
        return self.lock.withLock {
            guard let index = self.stored.firstIndex(where: { $0.info.id == id }) else {
                return nil
            }
            if kept.count == events.count {
                return self.stored[index].info
            }
            if kept.isEmpty {
                self.stored.remove(at: index)
                return nil
            }
            let info = Self.info(id: id, kept)
            self.stored[index] = (info, kept)
            return info
        }
    }

    func remove(chunk id: UInt64) throws {
        self.lock.withLock { self.stored.removeAll { $0.info.id == id } }
    }

    private static func info(id: UInt64, _ events: [StoreArchivedEvent]) -> StoreArchiveChunk {
        var ranges: [String: StoreArchivedStreamRange] = [:]
        for event in events {
            if var range = ranges[event.stream] {
                range.lastRevision = event.revision
                range.count += 1
                ranges[event.stream] = range
            } else {
                ranges[event.stream] = StoreArchivedStreamRange(
                    stream: event.stream,
                    firstRevision: event.revision,
                    lastRevision: event.revision,
                    count: 1
                )
            }
        }
        return StoreArchiveChunk(
            id: id,
            firstPosition: events.first!.position,
            lastPosition: events.last!.position,
            eventCount: events.count,
            streams: ranges.values.sorted { Array($0.stream.utf8).lexicographicallyPrecedes(Array($1.stream.utf8)) },
            fileBytes: events.reduce(80) { $0 + $1.payload.count + 24 }
        )
    }
}

extension KVStore {
    /// A store with an archive, a small memory window and small chunks, recovered and ready.
    static func makeArchived(
        log: FakeLog = FakeLog(),
        archive: MemoryArchive = MemoryArchive(),
        clock: ManualClock = ManualClock(),
        window: Int = 10,
        scavengeDelay: Int = -1,
        limits: StoreLimits = StoreLimits()
    ) -> KVStore {
        var limits = limits
        limits.memoryWindowEvents = window
        let store = KVStore(
            configuration: StoreConfiguration(
                limits: limits,
                compactAfterRecords: 0,
                scavengeDelayMilliseconds: scavengeDelay,
                decodedChunkCache: 2
            ),
            log: log,
            archive: archive,
            clock: clock
        )
        try! store.finishRecovery()
        return store
    }

    /// Recovers a store from `log`'s last snapshot and the records after it, with the same archive.
    static func recover(
        from log: FakeLog,
        archive: MemoryArchive,
        clock: ManualClock,
        window: Int = 10
    ) throws -> KVStore {
        var limits = StoreLimits()
        limits.memoryWindowEvents = window
        let store = KVStore(
            configuration: StoreConfiguration(
                limits: limits,
                compactAfterRecords: 0,
                scavengeDelayMilliseconds: -1,
                decodedChunkCache: 2
            ),
            log: FakeLog(),
            archive: archive,
            clock: clock
        )
        let snapshot = log.snapshots.last
        if let snapshot {
            try store.restore(snapshot: snapshot.bytes, index: snapshot.index)
        }
        for (offset, record) in log.records.enumerated() where UInt64(offset + 1) > (snapshot?.index ?? 0) {
            try store.replay(record: record, index: UInt64(offset + 1))
        }
        try store.finishRecovery()
        return store
    }
}

/// Everything a client can observe of the streams (reads per stream and $all both ways, infos, checkpoints,
/// aggregate snapshots).
struct ObservedStreams: Equatable {
    var all: [StoreRecordedEvent]
    var allBackwards: [StoreRecordedEvent]
    var streams: [String: [StoreRecordedEvent]]
    var backwards: [String: [StoreRecordedEvent]]
    var errors: [String: String]
    var infos: [String: StoreStreamInfo]
    var snapshots: [String: StoreAggregateSnapshot?]
    var checkpoints: [String: Int64?]
    var revision: Int64

    init(_ store: KVStore, streams names: [String], groups: [String] = []) throws {
        self.all = try store.readAll(KVStore.allStreams, page: 7)
        self.allBackwards = try store.readAllBackwards(KVStore.allStreams, page: 5)
        self.streams = [:]
        self.backwards = [:]
        self.errors = [:]
        self.infos = [:]
        self.snapshots = [:]
        self.checkpoints = [:]
        for name in names {
            do {
                self.streams[name] = try store.readAll(name, page: 4)
                self.backwards[name] = try store.readAllBackwards(name, page: 3)
            } catch {
                self.errors[name] = "\((error as? StoreError)?.code.description ?? "\(error)")"
            }
            self.infos[name] = try store.streamInfo(stream: name)
            self.snapshots[name] = try? store.loadAggregateSnapshot(stream: name)
            for group in groups {
                self.checkpoints["\(group)/\(name)"] = store.groupCheckpoint(group: group, stream: name)
            }
        }
        self.revision = store.durableRevision
    }
}
