import Testing

@testable import MicroStateResilience

@Suite("gRPC status code set")
struct GRPCStatusCodeSetTests {
    @Test("Membership covers codes 0 to 16 and nothing outside them")
    func membership() {
        var set: GRPCStatusCodeSet = [0, 14, 16]
        for code in -3...20 {
            #expect(set.contains(code) == [0, 14, 16].contains(code), "code \(code)")
        }
        set.insert(4)
        set.remove(14)
        set.remove(99)
        #expect(set == GRPCStatusCodeSet([0, 4, 16]))
        #expect(GRPCStatusCodeSet(rawValue: UInt32.max).rawValue == 0x1_FFFF)
        #expect(!GRPCStatusCodeSet.empty.contains(0))
    }
}
