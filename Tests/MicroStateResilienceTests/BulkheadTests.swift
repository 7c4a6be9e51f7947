import Testing

@testable import MicroStateResilience

@Suite("Bulkhead")
struct BulkheadTests {
    @Test("A bulkhead lets in up to its limit, rejects and counts the rest, and frees a slot on leave")
    func limit() {
        var bulkhead = Bulkhead(maxConcurrentCalls: 3)
        #expect(Bulkhead().maxConcurrentCalls == 25)
        for index in 0..<3 {
            #expect(bulkhead.tryEnter() == true, "call \(index)")
        }
        #expect(bulkhead.tryEnter() == false)
        #expect(bulkhead.tryEnter() == false)
        #expect(bulkhead.rejected == 2)
        #expect(bulkhead.inFlight == 3)
        bulkhead.leave()
        #expect(bulkhead.tryEnter() == true)
        #expect(bulkhead.tryEnter() == false)
        #expect(bulkhead.entered == 4)
        #expect(bulkhead.rejected == 3)
    }

    @Test("A shared bulkhead never admits more than its limit across threads")
    func shared() async {
        let bulkhead = SharedBulkhead(maxConcurrentCalls: 10)
        let admitted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var count = 0
                    for _ in 0..<100 where bulkhead.tryEnter() {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(admitted == 10)
        #expect(bulkhead.snapshot.rejected == 390)
        bulkhead.leave()
        #expect(bulkhead.tryEnter() == true)
    }
}
