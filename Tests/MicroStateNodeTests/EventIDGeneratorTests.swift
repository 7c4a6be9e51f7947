import Testing

@testable import MicroStateServices

@Suite("Event ids for events appended without one")
struct EventIDGeneratorTests {
    @Test("Ids are RFC 9562 version 4 UUIDs in lowercase text")
    func format() {
        let generator = EventIDGenerator()
        for _ in 0..<1000 {
            let id = Array(generator.next().utf8)
            #expect(id.count == 36)
            for (index, byte) in id.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    #expect(byte == UInt8(ascii: "-"))
                } else {
                    #expect((byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")))
                }
            }
            #expect(id[14] == UInt8(ascii: "4"))  // version
            #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(id[19]))  // variant 0b10
        }
    }

    @Test("Ids do not repeat, within one generator or across two")
    func unique() {
        let first = EventIDGenerator()
        let second = EventIDGenerator()
        var seen = Set<String>()
        for _ in 0..<50_000 {
            seen.insert(first.next())
            seen.insert(second.next())
        }
        #expect(seen.count == 100_000)
    }
}
