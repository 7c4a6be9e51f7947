import Testing

@testable import MicroStateStore

@Suite("KVStore")
struct KVStoreTests {
    @Test("Create, mod revision and version follow put, delete and re-put, and past revisions stay readable")
    func mvccFields() throws {
        let store = KVStore.make()
        #expect(try store.putNow("a", "1").get().revision == 1)
        #expect(try store.putNow("b", "x").get().revision == 2)
        #expect(try store.putNow("a", "2").get().revision == 3)
        #expect(try store.deleteNow("a").get() == StoreDeleteResult(deleted: true, revision: 4))
        #expect(try store.putNow("a", "3").get().revision == 5)

        let latest = try #require(try store.get(key: b("a")))
        #expect(latest == StoreKeyValue(key: b("a"), value: b("3"), createRevision: 5, modRevision: 5, version: 1))
        let table: [(Int64, String?, Int64, Int64)] = [  // revision, value, create, version
            (1, "1", 1, 1), (2, "1", 1, 1), (3, "2", 1, 2), (4, nil, 0, 0), (5, "3", 5, 1),
        ]
        for (revision, value, create, version) in table {
            let kv = try store.get(key: b("a"), revision: revision)
            #expect(kv.map { String(decoding: $0.value, as: UTF8.self) } == value, "revision \(revision)")
            #expect((kv?.createRevision ?? 0) == create, "revision \(revision)")
            #expect((kv?.version ?? 0) == version, "revision \(revision)")
        }
        #expect(throws: StoreError.self) { try store.get(key: b("a"), revision: 6) }
        #expect(store.metrics.keys == 2)
    }

    @Test("Reads beyond the durable revision are futureRevision and below the compact revision compacted")
    func revisionBounds() throws {
        var limits = StoreLimits()
        limits.historyRetentionRevisions = 3
        let store = KVStore.make(limits: limits)
        for i in 0..<10 {
            store.putNow("k", "\(i)")
        }
        #expect(store.compactRevision == 7)
        do {
            _ = try store.get(key: b("k"), revision: 11)
            Issue.record("expected futureRevision")
        } catch {
            #expect(error.code == .futureRevision)
            #expect(error.message.contains("10"))
        }
        do {
            _ = try store.get(key: b("k"), revision: 6)
            Issue.record("expected compacted")
        } catch {
            #expect(error.code == .compacted)
            #expect(error.compactRevision == 7)
        }
        #expect(try store.string("k", at: 7) == "6")
        #expect(try store.string("k", at: 9) == "8")
    }

    @Test("Expected revisions: stale aborts with the current revision, 0 requires absence")
    func expectedRevision() throws {
        let store = KVStore.make()
        store.putNow("a", "1")  // revision 1
        store.putNow("a", "2")  // revision 2
        struct Case {
            var name: String
            var key: String
            var expected: Int64
            var current: Int64?
        }
        let cases = [
            Case(name: "stale", key: "a", expected: 1, current: 2),
            Case(name: "must not exist but exists", key: "a", expected: 0, current: 2),
            Case(name: "absent key with a revision", key: "z", expected: 5, current: 0),
            Case(name: "absent key, must not exist", key: "z", expected: 0, current: nil),
            Case(name: "matching", key: "a", expected: 2, current: nil),
        ]
        for c in cases {
            let result = store.putNow(c.key, "v", expected: c.expected)
            if let current = c.current {
                #expect(result.error?.code == .aborted, "\(c.name)")
                #expect(result.error?.currentRevision == current, "\(c.name)")
            } else {
                #expect(throws: Never.self, "\(c.name)") { try result.get() }
            }
        }
        let stale = store.putNow("a", "v", expected: 1).error
        #expect(stale?.message == "expected revision 1 but key \"a\" is at revision 4")
        #expect(store.deleteNow("a", expected: 1).error?.currentRevision == 4)
        #expect(try store.deleteNow("a", expected: 4).get().deleted)
    }

    @Test("Deleting an absent key writes nothing")
    func deleteAbsent() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        store.putNow("a", "1")
        #expect(try store.deleteNow("nope").get() == StoreDeleteResult(deleted: false, revision: 1))
        #expect(log.records.count == 1)
        #expect(store.currentRevision == 1)
    }

    @Test("Range orders keys bytewise and honours end, prefix, limit, count, more and keysOnly")
    func rangeSemantics() throws {
        let store = KVStore.make(log: nil)
        for key in ["b", "a", "ab", "abc", "b\u{1}", "c", "\u{7F}"] {
            store.putNow(key, "v-" + key)
        }
        store.deleteNow("c")
        func keys(_ r: StoreRangeResult) -> [String] { r.kvs.map { String(decoding: $0.key, as: UTF8.self) } }
        let all = try store.range()
        #expect(keys(all) == ["a", "ab", "abc", "b", "b\u{1}", "\u{7F}"])
        #expect(all.count == 6 && !all.more)
        #expect(keys(try store.range(start: b("ab"), end: b("b\u{1}"))) == ["ab", "abc", "b"])
        #expect(keys(try store.range(start: b("a"), prefix: b("b"))) == ["b", "b\u{1}"])
        let limited = try store.range(limit: 2)
        #expect(keys(limited) == ["a", "ab"] && limited.more && limited.count == 6)
        let keysOnly = try store.range(prefix: b("a"), keysOnly: true)
        #expect(keysOnly.kvs.allSatisfy { $0.value.isEmpty } && keysOnly.kvs.count == 3)
        #expect(try store.range(start: b("z"), end: b("a")).kvs.isEmpty)
        #expect(keys(try store.range(revision: 3)) == ["a", "ab", "b"])
        #expect(KVStore.prefixEnd([0x61, 0xFF]) == [0x62])
        #expect(KVStore.prefixEnd([0xFF]) == [])
    }

    @Test("Range stops at maxRangeLimit and at maxRangeResponseBytes with more set")
    func rangeLimits() throws {
        var limits = StoreLimits()
        limits.maxRangeLimit = 5
        limits.maxRangeResponseBytes = 100
        let store = KVStore.make(log: nil, limits: limits)
        for i in 0..<10 {
            store.putNow("k\(i)", String(repeating: "x", count: 30))
        }
        let byLimit = try store.range(limit: 50)
        #expect(byLimit.kvs.count == 3 && byLimit.more && byLimit.count == 10)  // 3 × 32 bytes ≤ 100
        limits.maxRangeResponseBytes = 1 << 20
        let store2 = KVStore.make(log: nil, limits: limits)
        for i in 0..<10 {
            store2.putNow("k\(i)", "v")
        }
        let capped = try store2.range()
        #expect(capped.kvs.count == 5 && capped.more && capped.count == 10)
    }

    @Test("Limits are invalidArgument naming the limit")
    func limits() throws {
        var limits = StoreLimits()
        limits.maxKeyBytes = 8
        limits.maxValueBytes = 16
        let store = KVStore.make(limits: limits)
        let cases: [(String, String, String)] = [
            ("123456789", "v", "maxKeyBytes"),
            ("k", String(repeating: "v", count: 17), "maxValueBytes"),
            ("", "v", "empty"),
        ]
        for (key, value, name) in cases {
            let error = store.putNow(key, value).error
            #expect(error?.code == .invalidArgument, "\(name)")
            #expect(error?.message.contains(name) == true, "\(name): \(error?.message ?? "")")
        }
        #expect(store.putNow("k", "v", ttl: -1).error?.code == .invalidArgument)
        #expect(throws: StoreError.self) { try store.range(limit: -1) }
        #expect(store.currentRevision == 0)
    }

    @Test("Writes become visible only once their record is durable")
    func visibilityAfterDurability() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        let done = Box<Result<StorePutResult, StoreError>>()
        store.put(key: b("a"), value: b("1")) { done.value = $0 }
        #expect(done.value == nil)
        #expect(try store.get(key: b("a")) == nil)
        #expect(store.durableRevision == 0)
        // Validation already sees the pending write.
        let second = Box<Result<StorePutResult, StoreError>>()
        store.put(key: b("a"), value: b("2"), expectedRevision: 1) { second.value = $0 }
        #expect(second.value == nil)
        log.release(1)
        #expect(try done.value?.get().revision == 1)
        #expect(second.value == nil)
        #expect(try store.string("a") == "1")
        log.release()
        #expect(try second.value?.get().revision == 2)
        #expect(try store.string("a") == "2")
    }

    @Test("A failed log fails pending and later writes with unavailable while reads keep working")
    func logFailure() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        store.put(key: b("a"), value: b("1")) { _ in }
        log.release()
        let pending = Box<Result<StorePutResult, StoreError>>()
        store.put(key: b("a"), value: b("2")) { pending.value = $0 }
        log.failHeld()
        #expect(pending.value?.error?.code == .unavailable)
        #expect(store.putNow("b", "1").error?.code == .unavailable)
        #expect(store.deleteNow("a").error?.code == .unavailable)
        #expect(try store.string("a") == "1")
        #expect(store.metrics.logFailed)
    }

    @Test("TTL expiry is recorded as a delete, survives replay, and a later put without TTL clears it")
    func ttl() throws {
        let clock = ManualClock()
        let log = FakeLog()
        let store = KVStore.make(log: log, clock: clock)
        store.putNow("session", "s", ttl: 1000)  // revision 1
        store.putNow("keep", "k", ttl: 1000)  // revision 2
        store.putNow("keep", "k2")  // revision 3: clears the TTL
        let watcher = try store.watch(key: b("session"), onReady: {})
        clock.advance(999)
        store.expireDue(nowMilliseconds: clock.nowMilliseconds())
        #expect(try store.string("session") == "s")
        clock.advance(1)
        // Past its deadline but not swept: reads treat it as absent.
        #expect(try store.get(key: b("session")) == nil)
        #expect(try store.string("session", at: 3) == "s")
        store.expireDue(nowMilliseconds: clock.nowMilliseconds())
        #expect(store.currentRevision == 4)
        #expect(try store.string("keep") == "k2")
        guard case .events(let events) = watcher.poll(maxEvents: 10) else {
            Issue.record("expected events")
            return
        }
        #expect(events.map(\.type) == [.delete])
        #expect(events.first?.kv.modRevision == 4)

        // Replay keeps the deadline: a replayed TTL key expires on schedule.
        let replayed = KVStore.make(log: nil, clock: clock)
        for (index, record) in log.records.prefix(1).enumerated() {
            try replayed.replay(record: record, index: UInt64(index + 1))
        }
        replayed.expireDue(nowMilliseconds: clock.nowMilliseconds())
        #expect(try replayed.get(key: b("session")) == nil)
        #expect(replayed.currentRevision == 2)
    }

    @Test("A put on an expired, unswept key records the expiry first and sees the key absent")
    func putOnExpiredKey() throws {
        let clock = ManualClock()
        let store = KVStore.make(clock: clock)
        store.putNow("a", "1", ttl: 10)
        clock.advance(10)
        let result = try store.putNow("a", "2", expected: 0).get()
        #expect(result.revision == 3)
        #expect(try store.get(key: b("a"))?.createRevision == 3)
    }

    @Test("Idempotent retries return the first revision without a second record, also after replay")
    func idempotency() throws {
        let clock = ManualClock()
        let log = FakeLog()
        let store = KVStore.make(log: log, clock: clock)
        #expect(try store.putNow("a", "1", idempotencyKey: "req-1").get().revision == 1)
        store.putNow("b", "x")
        #expect(try store.putNow("a", "1", idempotencyKey: "req-1").get().revision == 1)
        #expect(log.records.count == 2)

        let replayed = KVStore.make(log: FakeLog(), clock: clock)
        for (index, record) in log.records.enumerated() {
            try replayed.replay(record: record, index: UInt64(index + 1))
        }
        #expect(try replayed.putNow("a", "1", idempotencyKey: "req-1").get().revision == 1)
        clock.advance(StoreLimits().idempotencyWindowMilliseconds)
        #expect(try replayed.putNow("a", "1", idempotencyKey: "req-1").get().revision == 3)
    }

    @Test("An idempotent retry of a pending put completes when the first does")
    func idempotencyPending() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        let first = Box<Result<StorePutResult, StoreError>>()
        let retry = Box<Result<StorePutResult, StoreError>>()
        store.put(key: b("a"), value: b("1"), idempotencyKey: "r") { first.value = $0 }
        store.put(key: b("a"), value: b("1"), idempotencyKey: "r") { retry.value = $0 }
        #expect(retry.value == nil && log.records.count == 1)
        log.release()
        #expect(try first.value?.get().revision == 1)
        #expect(try retry.value?.get().revision == 1)
    }

    @Test("The idempotency table keeps at most maxIdempotencyKeys, forgetting the oldest")
    func idempotencyBound() throws {
        var limits = StoreLimits()
        limits.maxIdempotencyKeys = 2
        let store = KVStore.make(limits: limits)
        store.putNow("a", "1", idempotencyKey: "r1")
        store.putNow("a", "2", idempotencyKey: "r2")
        store.putNow("a", "3", idempotencyKey: "r3")
        #expect(store.metrics.idempotencyKeys == 2)
        #expect(try store.putNow("a", "1", idempotencyKey: "r1").get().revision == 4)
        #expect(try store.putNow("a", "3", idempotencyKey: "r3").get().revision == 3)
    }

    @Test("History beyond historyRetentionBytes is compacted early")
    func historyBytesBound() throws {
        var limits = StoreLimits()
        limits.historyRetentionBytes = 2000
        let store = KVStore.make(log: nil, limits: limits)
        for i in 0..<100 {
            store.putNow("k", "\(i)" + String(repeating: "x", count: 100))
        }
        let metrics = store.metrics
        #expect(metrics.historyEvents < 20)
        #expect(metrics.compactRevision > 80)
        #expect(try store.get(key: b("k"), revision: metrics.compactRevision)?.modRevision == metrics.compactRevision)
    }

    @Test("A closed store refuses writes and keeps serving reads")
    func closed() throws {
        let store = KVStore.make()
        store.putNow("a", "1")
        store.close()
        #expect(store.putNow("a", "2").error?.code == .unavailable)
        #expect(try store.string("a") == "1")
    }

    @Test("Re-putting keys with TTLs keeps the expiry queue bounded and expiry correct")
    func ttlQueueBounded() throws {
        let clock = ManualClock()
        let store = KVStore.make(log: nil, clock: clock)
        for i in 0..<3000 {
            store.putNow("k\(i % 3)", "\(i)", ttl: 60_000)
        }
        store.putNow("k2", "no ttl")
        let metrics = store.metrics
        #expect(metrics.ttlKeys == 2)
        #expect(metrics.ttlQueued <= 2 * metrics.ttlKeys + 1024)
        clock.advance(60_000)
        store.expireDue(nowMilliseconds: clock.nowMilliseconds())
        #expect(try store.range().kvs.map(\.key) == [b("k2")])
        #expect(store.metrics.ttlKeys == 0)
    }

    @Test("Randomized puts, deletes and Txns with short retention read like a model at every retained revision")
    func randomizedMVCCAgainstModel() throws {
        var limits = StoreLimits()
        limits.historyRetentionRevisions = 12
        let store = KVStore.make(log: nil, limits: limits)
        // history[key] = (revision, kv or nil when deleted), in revision order.
        var history: [String: [(Int64, StoreKeyValue?)]] = [:]
        func modelAt(_ key: String, _ revision: Int64) -> StoreKeyValue? {
            history[key]?.last(where: { $0.0 <= revision })?.1 ?? nil
        }
        func modelPut(_ key: String, _ value: String, _ revision: Int64) {
            let previous = history[key]?.last?.1
            let kv = StoreKeyValue(
                key: b(key),
                value: b(value),
                createRevision: previous?.createRevision ?? revision,
                modRevision: revision,
                version: (previous?.version ?? 0) + 1
            )
            history[key, default: []].append((revision, kv))
        }
        var random = SeededRandom(state: 5)
        let keys = (0..<6).map { "k\($0)" }
        for step in 0..<1500 {
            let key = keys.randomElement(using: &random)!
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let revision = try store.putNow(key, "v\(step)").get().revision
                modelPut(key, "v\(step)", revision)
            case 5..<8:
                let result = try store.deleteNow(key).get()
                if result.deleted {
                    history[key, default: []].append((result.revision, nil))
                }
            default:
                let other = keys.randomElement(using: &random)!
                guard other != key else { continue }
                let result = try store.txnNow(
                    StoreTxnRequest(success: [
                        .put(key: b(key), value: b("t\(step)"), ttlMilliseconds: 0),
                        .delete(key: b(other)),
                    ])
                ).get()
                modelPut(key, "t\(step)", result.revision)
                if case .delete(let deleted) = result.responses[1], deleted.deleted {
                    history[other, default: []].append((result.revision, nil))
                }
            }
            let durable = store.durableRevision
            let compact = store.compactRevision
            #expect(durable - compact <= 12, "step \(step)")
            guard durable > 0 else { continue }
            for _ in 0..<3 {
                let revision = Int64.random(in: max(compact, 1)...durable, using: &random)
                let probe = keys.randomElement(using: &random)!
                #expect(try store.get(key: b(probe), revision: revision) == modelAt(probe, revision), "step \(step)")
            }
            let revision = Int64.random(in: max(compact, 1)...durable, using: &random)
            let expected = keys.compactMap { modelAt($0, revision) }
            #expect(try store.range(revision: revision).kvs == expected, "step \(step) range at \(revision)")
        }
        // Compaction removed deleted keys from the tree: only live keys and recent tombstones remain.
        #expect(store.tree.count <= keys.count)
        #expect(store.metrics.historyEvents <= 13 * 2)
    }
}
