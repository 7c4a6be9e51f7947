import Foundation

@testable import MicroStateStore

/// An event with a type and an id (empty = none) whose data is the id's bytes.
func ev(_ type: String, id: String = "", data: String? = nil, metadata: [String: String] = [:]) -> StoreEventData {
    StoreEventData(id: id, type: type, data: b(data ?? id), metadata: metadata, contentType: "text/plain")
}

/// `count` events of `type` with ids `prefix-0…`.
func evs(_ count: Int, type: String = "t", prefix: String = UUID().uuidString) -> [StoreEventData] {
    (0..<count).map { ev(type, id: "\(prefix)-\($0)") }
}

extension KVStore {
    @discardableResult
    func appendNow(
        _ stream: String,
        _ events: [StoreEventData],
        expected: StoreExpectedRevision = .any
    ) -> Result<StoreAppendResult, StoreError> {
        let box = Box<Result<StoreAppendResult, StoreError>>()
        self.append(stream: stream, expected: expected, events: events) { box.value = $0 }
        return box.wait()
    }

    @discardableResult
    func ackNow(_ group: String, _ stream: String, _ revision: Int64) -> Result<Int64, StoreError> {
        let box = Box<Result<Int64, StoreError>>()
        self.ack(group: group, stream: stream, revision: revision) { box.value = $0 }
        return box.wait()
    }

    @discardableResult
    func setMetadataNow(_ stream: String, _ metadata: StoreStreamMetadata) -> Result<Int64, StoreError> {
        let box = Box<Result<Int64, StoreError>>()
        self.setStreamMetadata(stream: stream, metadata: metadata) { box.value = $0 }
        return box.wait()
    }

    @discardableResult
    func deleteStreamNow(
        _ stream: String,
        hard: Bool = false,
        expected: StoreExpectedRevision = .any
    ) -> Result<Int64, StoreError> {
        let box = Box<Result<Int64, StoreError>>()
        self.deleteStream(stream: stream, hard: hard, expected: expected) { box.value = $0 }
        return box.wait()
    }

    @discardableResult
    func saveSnapshotNow(_ stream: String, _ revision: Int64, _ state: String) -> Result<Int64, StoreError> {
        let box = Box<Result<Int64, StoreError>>()
        self.saveAggregateSnapshot(stream: stream, revision: revision, state: b(state)) { box.value = $0 }
        return box.wait()
    }

    /// Every visible event of a stream (or `$all`) forwards, following `next` in small pages.
    func readAll(_ stream: String, from: Int64 = 0, page: Int = 3) throws -> [StoreRecordedEvent] {
        var all: [StoreRecordedEvent] = []
        var from: Int64? = from
        var pages = 0
        while let start = from {
            let batch = try self.read(stream: stream, from: start, backwards: false, maxCount: page, maxBytes: 0)
            all.append(contentsOf: batch.events)
            from = batch.next
            pages += 1
            precondition(pages < 100_000, "read never ends")
        }
        return all
    }

    /// Every visible event of a stream (or `$all`) backwards from the end.
    func readAllBackwards(_ stream: String, page: Int = 3) throws -> [StoreRecordedEvent] {
        var all: [StoreRecordedEvent] = []
        var from: Int64? = -1
        while let start = from {
            let batch = try self.read(stream: stream, from: start, backwards: true, maxCount: page, maxBytes: 0)
            all.append(contentsOf: batch.events)
            from = batch.next
        }
        return all
    }
}

/// Counts `onReady` calls and lets a test wait for the next one.
final class ReadySignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0

    var calls: Int { self.condition.withLock { self.count } }

    func signal() {
        self.condition.withLock {
            self.count += 1
            self.condition.broadcast()
        }
    }

    /// Waits (up to `seconds`) until more than `seen` calls happened; returns whether they did.
    @discardableResult
    func wait(after seen: Int, seconds: Double = 10) -> Bool {
        self.condition.lock()
        defer { self.condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while self.count <= seen {
            if !self.condition.wait(until: deadline) {
                return false
            }
        }
        return true
    }
}

extension StoreSubscription {
    /// Polls until a batch reaches the head (events drained), collecting events.
    func drain(maxEvents: Int = 4) -> (events: [StoreRecordedEvent], caughtUp: Int) {
        var all: [StoreRecordedEvent] = []
        var caughtUp = 0
        for _ in 0..<100_000 {
            let batch = self.poll(maxEvents: maxEvents, maxBytes: 0)
            all.append(contentsOf: batch.events)
            caughtUp += batch.caughtUp ? 1 : 0
            if batch.events.isEmpty || batch.ended != nil {
                break
            }
        }
        return (all, caughtUp)
    }
}
