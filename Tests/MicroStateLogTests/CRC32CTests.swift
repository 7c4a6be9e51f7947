import MicroStateLog
import Testing

@Suite("CRC32C")
struct CRC32CTests {
    struct Vector: CustomStringConvertible {
        var name: String
        var bytes: [UInt8]
        var expected: UInt32
        var description: String { self.name }
    }

    /// The standard check value and the RFC 3720 appendix B.4 vectors.
    static let vectors: [Vector] = [
        Vector(name: "check value \"123456789\"", bytes: Array("123456789".utf8), expected: 0xE306_9283),
        Vector(name: "empty", bytes: [], expected: 0),
        Vector(name: "32 zero bytes", bytes: [UInt8](repeating: 0, count: 32), expected: 0x8A91_36AA),
        Vector(name: "32 0xFF bytes", bytes: [UInt8](repeating: 0xFF, count: 32), expected: 0x62A8_AB43),
        Vector(name: "32 incrementing bytes", bytes: (0..<32).map { UInt8($0) }, expected: 0x46DD_794E),
        Vector(name: "32 decrementing bytes", bytes: (0..<32).reversed().map { UInt8($0) }, expected: 0x113F_DB5C),
        Vector(
            name: "iSCSI read PDU",
            bytes: [
                0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
                0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            ],
            expected: 0xD996_3A56
        ),
    ]

    @Test("CRC32C matches the standard check value and the RFC 3720 vectors", arguments: Self.vectors)
    func knownVectors(_ vector: Vector) {
        #expect(CRC32C.checksum(vector.bytes) == vector.expected, "\(vector)")
    }

    @Test("Slice-by-8 agrees with a bitwise reference at every length and alignment")
    func agreesWithBitwise() {
        var generator = SplitMix64(seed: 7)
        let bytes = (0..<300).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = Array(bytes[start..<end])
                #expect(CRC32C.checksum(slice) == bitwiseCRC32C(slice), "start \(start) end \(end)")
            }
        }
    }

    @Test("update composes: crc(a + b) == update(crc(a), b)")
    func composes() {
        let a = Array("hello, ".utf8)
        let b = Array("write-ahead log".utf8)
        let combined = b.withUnsafeBytes { CRC32C.update(CRC32C.checksum(a), $0) }
        #expect(combined == CRC32C.checksum(a + b))
    }
}

func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 {
            crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
    }
    return ~crc
}

/// Deterministic pseudo-random numbers for tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
