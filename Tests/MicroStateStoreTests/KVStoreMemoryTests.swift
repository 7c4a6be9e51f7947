import Foundation
import Testing

@testable import MicroStateStore

/// Resident set size of this process in bytes, from /proc (Linux only; 0 elsewhere).
private func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else {
        return 0
    }
    let fields = statm.split(separator: " ")
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite("KVStore memory")
struct KVStoreMemoryTests {
    /// Opt-in (it takes a while in debug builds): `MICROSTATE_MEMORY_TEST=1 swift test --filter KVStoreMemoryTests`.
    @Test(
        "One million 16-byte keys with 100-byte values stay under twice their raw size",
        .enabled(if: ProcessInfo.processInfo.environment["MICROSTATE_MEMORY_TEST"] == "1")
    )
    func millionKeys() throws {
        let before = residentBytes()
        let store = KVStore.make(log: nil)
        var random = SeededRandom(state: 99)
        let value = [UInt8](repeating: 0x61, count: 100)
        for _ in 0..<1_000_000 {
            var key = [UInt8](repeating: 0, count: 16)
            for i in 0..<16 {
                key[i] = UInt8.random(in: 0x21...0x7E, using: &random)
            }
            store.put(key: key, value: value) { _ in }
        }
        let used = residentBytes() - before
        let raw = 1_000_000 * 116
        print(
            "memory: \(store.metrics.keys) keys, \(used / 1_000_000) MB resident for \(raw / 1_000_000) MB raw "
                + "(\(used / 1_000_000) bytes per key)"
        )
        #expect(store.metrics.keys == 1_000_000)
        #expect(used <= 2 * raw)
    }
}
