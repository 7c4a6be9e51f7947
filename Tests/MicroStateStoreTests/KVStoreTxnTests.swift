import Foundation
import Testing

@testable import MicroStateStore

@Suite("KVStore Txn")
struct KVStoreTxnTests {
    @Test("A failing compare runs the failure branch and writes nothing from success")
    func failingCompareWritesNothing() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        store.putNow("a", "1")  // revision 1
        let request = StoreTxnRequest(
            compares: [StoreCompare(key: b("a"), result: .equal, target: .modRevision(7))],
            success: [.put(key: b("x"), value: b("1"), ttlMilliseconds: 0), .delete(key: b("a"))],
            failure: [.get(key: b("a"))]
        )
        let result = try store.txnNow(request).get()
        #expect(!result.succeeded)
        #expect(result.revision == 1)
        #expect(result.responses.count == 1)
        if case .get(let kv) = result.responses.first {
            #expect(kv?.value == b("1"))
        } else {
            Issue.record("expected a get response")
        }
        #expect(try store.get(key: b("x")) == nil)
        #expect(log.records.count == 1)
    }

    @Test("All writes of a Txn share one revision and one record")
    func oneRevisionOneRecord() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        store.putNow("a", "1")
        store.putNow("b", "2")
        let result = try store.txnNow(
            StoreTxnRequest(
                compares: [
                    StoreCompare(key: b("a"), result: .equal, target: .value(b("1"))),
                    StoreCompare(key: b("missing"), result: .equal, target: .version(0)),
                    StoreCompare(key: b("b"), result: .greater, target: .createRevision(1)),
                    StoreCompare(key: b("b"), result: .less, target: .modRevision(3)),
                    StoreCompare(key: b("a"), result: .notEqual, target: .value(b("2"))),
                ],
                success: [
                    .get(key: b("a")),
                    .put(key: b("a"), value: b("10"), ttlMilliseconds: 0),
                    .delete(key: b("b")),
                    .delete(key: b("never")),
                    .put(key: b("c"), value: b("3"), ttlMilliseconds: 0),
                ]
            )
        ).get()
        #expect(result.succeeded)
        #expect(result.revision == 3)
        #expect(
            result.responses == [
                .get(StoreKeyValue(key: b("a"), value: b("1"), createRevision: 1, modRevision: 1, version: 1)),
                .put(StorePutResult(revision: 3)),
                .delete(StoreDeleteResult(deleted: true, revision: 3)),
                .delete(StoreDeleteResult(deleted: false, revision: 2)),
                .put(StorePutResult(revision: 3)),
            ]
        )
        #expect(log.records.count == 3)
        #expect(try store.get(key: b("a"))?.modRevision == 3)
        #expect(try store.get(key: b("c"))?.modRevision == 3)
        #expect(try store.get(key: b("b")) == nil)
        #expect(try store.string("b", at: 2) == "2")
    }

    @Test("A Txn that writes nothing does not bump the revision")
    func readOnly() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        store.putNow("a", "1")
        let result = try store.txnNow(StoreTxnRequest(success: [.get(key: b("a")), .delete(key: b("zz"))])).get()
        #expect(result.revision == 1 && result.succeeded)
        #expect(store.currentRevision == 1 && log.records.count == 1)
    }

    @Test("Invalid Txns are rejected: duplicate written keys and too many ops")
    func invalid() throws {
        var limits = StoreLimits()
        limits.maxTxnOps = 2
        let store = KVStore.make(limits: limits)
        let duplicate = store.txnNow(
            StoreTxnRequest(success: [.put(key: b("a"), value: [], ttlMilliseconds: 0), .delete(key: b("a"))])
        )
        #expect(duplicate.error?.code == .invalidArgument)
        #expect(duplicate.error?.message.contains("more than once") == true)
        let tooMany = store.txnNow(StoreTxnRequest(failure: Array(repeating: .get(key: b("a")), count: 3)))
        #expect(tooMany.error?.message.contains("maxTxnOps") == true)
        #expect(store.currentRevision == 0)
    }

    @Test("Concurrent transfers between accounts keep the total (isolation)")
    func bankTransfers() throws {
        let store = KVStore.make(log: FakeLog())
        let accounts = 8
        for i in 0..<accounts {
            store.putNow("acct/\(i)", "100")
        }
        @Sendable func balance(_ kv: StoreKeyValue?) -> Int {
            Int(String(decoding: kv?.value ?? [], as: UTF8.self)) ?? 0
        }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            var random = SeededRandom(state: UInt64(worker + 1))
            var done = 0
            while done < 200 {
                let from = Int.random(in: 0..<accounts, using: &random)
                let to = (from + Int.random(in: 1..<accounts, using: &random)) % accounts
                let read = try! store.txnNow(
                    StoreTxnRequest(success: [.get(key: b("acct/\(from)")), .get(key: b("acct/\(to)"))])
                ).get()
                guard case .get(let fromKV) = read.responses[0], case .get(let toKV) = read.responses[1] else {
                    fatalError("unexpected responses")
                }
                let amount = min(balance(fromKV), 5)
                let write = try! store.txnNow(
                    StoreTxnRequest(
                        compares: [
                            StoreCompare(
                                key: b("acct/\(from)"),
                                result: .equal,
                                target: .modRevision(fromKV!.modRevision)
                            ),
                            StoreCompare(key: b("acct/\(to)"), result: .equal, target: .modRevision(toKV!.modRevision)),
                        ],
                        success: [
                            .put(key: b("acct/\(from)"), value: b("\(balance(fromKV) - amount)"), ttlMilliseconds: 0),
                            .put(key: b("acct/\(to)"), value: b("\(balance(toKV) + amount)"), ttlMilliseconds: 0),
                        ]
                    )
                ).get()
                if write.succeeded {
                    done += 1
                }
            }
        }
        let total = try store.range(prefix: b("acct/")).kvs.map { balance($0) }.reduce(0, +)
        #expect(total == 100 * accounts)
        #expect(store.metrics.pendingWrites == 0)
    }
}
