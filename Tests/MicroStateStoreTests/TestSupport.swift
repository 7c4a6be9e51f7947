import Foundation

@testable import MicroStateStore

/// Bytes of a string.
func b(_ string: String) -> [UInt8] { Array(string.utf8) }

/// A thread-safe box for values set by completions, which may run on another thread.
final class Box<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var stored: Value?

    var value: Value? {
        get { self.condition.withLock { self.stored } }
        set {
            self.condition.withLock {
                self.stored = newValue
                self.condition.broadcast()
            }
        }
    }

    /// Changes the value atomically.
    func update(_ body: (inout Value?) -> Void) {
        self.condition.withLock {
            body(&self.stored)
            self.condition.broadcast()
        }
    }

    /// Waits (up to 10 s) for a value: with concurrent writers a completion may be applied by another thread.
    func wait() -> Value {
        self.condition.lock()
        defer { self.condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: 10)
        while self.stored == nil {
            precondition(self.condition.wait(until: deadline), "completion never ran")
        }
        return self.stored!
    }
}

/// A clock the test moves by hand.
final class ManualClock: StoreClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    init(_ now: Int64 = 1_700_000_000_000) { self.now = now }

    func nowMilliseconds() -> Int64 { self.lock.withLock { self.now } }
    func advance(_ milliseconds: Int64) { self.lock.withLock { self.now += milliseconds } }
}

struct FakeLogError: Error, CustomStringConvertible {
    var description: String { "disk on fire" }
}

/// An in-memory `StoreLog`: keeps every record and snapshot; completes appends at once (synchronously, inside
/// `append`, the hardest case for the store's locking) or only when the test says so.
final class FakeLog: StoreLog, @unchecked Sendable {
    private let lock = NSLock()
    private var _records: [[UInt8]] = []
    private var _held: [(UInt64, @Sendable (Result<UInt64, any Error>) -> Void)] = []
    private var _snapshots: [(index: UInt64, bytes: [UInt8])] = []
    private var _hold: Bool

    init(hold: Bool = false) { self._hold = hold }

    var records: [[UInt8]] { self.lock.withLock { self._records } }
    var snapshots: [(index: UInt64, bytes: [UInt8])] { self.lock.withLock { self._snapshots } }
    var heldCount: Int { self.lock.withLock { self._held.count } }

    func append(_ payload: [UInt8], completion: @escaping @Sendable (Result<UInt64, any Error>) -> Void) -> UInt64 {
        self.lock.lock()
        self._records.append(payload)
        let index = UInt64(self._records.count)
        if self._hold {
            self._held.append((index, completion))
            self.lock.unlock()
        } else {
            self.lock.unlock()
            completion(.success(index))
        }
        return index
    }

    /// Completes held appends up to `count` of them (all when nil), in order.
    func release(_ count: Int? = nil) {
        let batch: [(UInt64, @Sendable (Result<UInt64, any Error>) -> Void)] = self.lock.withLock {
            let n = min(count ?? self._held.count, self._held.count)
            let batch = Array(self._held.prefix(n))
            self._held.removeFirst(n)
            return batch
        }
        for (index, completion) in batch {
            completion(.success(index))
        }
    }

    /// Fails every held append.
    func failHeld() {
        let batch = self.lock.withLock {
            let batch = self._held
            self._held.removeAll()
            return batch
        }
        for (_, completion) in batch {
            completion(.failure(FakeLogError()))
        }
    }

    func writeSnapshot(index: UInt64, produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws {
        var bytes: [UInt8] = []
        try produce { chunk in bytes.append(contentsOf: chunk) }
        self.lock.withLock { self._snapshots.append((index, bytes)) }
    }
}

/// A `StoreLog` that completes every append later, in order, on its own queue (as a WAL's flusher does).
final class QueueLog: StoreLog, @unchecked Sendable {
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "queue-log")
    private var _records: [[UInt8]] = []

    var records: [[UInt8]] { self.lock.withLock { self._records } }

    func append(_ payload: [UInt8], completion: @escaping @Sendable (Result<UInt64, any Error>) -> Void) -> UInt64 {
        // Enqueue under the lock so completions run in index order.
        self.lock.withLock {
            self._records.append(payload)
            let index = UInt64(self._records.count)
            self.queue.async { completion(.success(index)) }
            return index
        }
    }

    func writeSnapshot(index: UInt64, produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws {
        try produce { _ in }
    }
}

extension KVStore {
    /// A store with a fake log completing at once and a manual clock.
    static func make(
        log: FakeLog? = FakeLog(),
        clock: ManualClock = ManualClock(),
        limits: StoreLimits = StoreLimits(),
        compactAfterRecords: Int = 0
    ) -> KVStore {
        KVStore(
            configuration: StoreConfiguration(limits: limits, compactAfterRecords: compactAfterRecords),
            log: log,
            clock: clock
        )
    }

    /// Puts and returns the completion's result, which must have run (the log completes at once).
    @discardableResult
    func putNow(
        _ key: String,
        _ value: String,
        expected: Int64? = nil,
        ttl: Int64 = 0,
        idempotencyKey: String = ""
    ) -> Result<StorePutResult, StoreError> {
        let box = Box<Result<StorePutResult, StoreError>>()
        self.put(
            key: b(key),
            value: b(value),
            expectedRevision: expected,
            ttlMilliseconds: ttl,
            idempotencyKey: idempotencyKey
        ) {
            box.value = $0
        }
        return box.wait()
    }

    @discardableResult
    func deleteNow(_ key: String, expected: Int64? = nil) -> Result<StoreDeleteResult, StoreError> {
        let box = Box<Result<StoreDeleteResult, StoreError>>()
        self.delete(key: b(key), expectedRevision: expected) { box.value = $0 }
        return box.wait()
    }

    func txnNow(_ request: StoreTxnRequest) -> Result<StoreTxnResult, StoreError> {
        let box = Box<Result<StoreTxnResult, StoreError>>()
        self.txn(request) { box.value = $0 }
        return box.wait()
    }

    /// The value of `key` at `revision` as a string, nil when absent.
    func string(_ key: String, at revision: Int64 = 0) throws(StoreError) -> String? {
        try self.get(key: b(key), revision: revision).map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// Every live key-value at the durable revision, for state comparisons.
    func dump() throws -> [StoreKeyValue] {
        var all: [StoreKeyValue] = []
        var start: [UInt8] = []
        while true {
            let page = try self.range(start: start)
            all.append(contentsOf: page.kvs)
            guard page.more, let last = page.kvs.last else { return all }
            start = last.key + [0]
        }
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
