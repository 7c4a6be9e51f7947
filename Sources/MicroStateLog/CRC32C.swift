/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, RFC 3720 appendix B.4), table-driven slice-by-8.
///
/// `update` composes like zlib's `crc32`: `checksum(a + b) == update(checksum(a), b)`, and the checksum of nothing is 0.
public enum CRC32C {
    /// The checksum of `bytes`.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        self.update(0, bytes)
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { self.update(0, $0) }
    }

    /// Continues `crc` (a finished checksum of earlier bytes) over `bytes`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var pointer = bytes.baseAddress, bytes.count > 0 else {
            return crc
        }
        let table = crc32cTables
        var remaining = bytes.count
        var value = ~crc
        // Align to 8 bytes so the word loads below are aligned (cheaper on every CPU we care about).
        while remaining > 0 && UInt(bitPattern: pointer) & 7 != 0 {
            value = table[Int((value ^ UInt32(pointer.load(as: UInt8.self))) & 0xFF)] ^ (value >> 8)
            pointer += 1
            remaining -= 1
        }
        while remaining >= 8 {
            let word = UInt64(littleEndian: pointer.load(as: UInt64.self))
            let low = value ^ UInt32(truncatingIfNeeded: word)
            let high = UInt32(truncatingIfNeeded: word >> 32)
            value = table[7 &* 256 &+ Int(low & 0xFF)]
                ^ table[6 &* 256 &+ Int((low >> 8) & 0xFF)]
                ^ table[5 &* 256 &+ Int((low >> 16) & 0xFF)]
                ^ table[4 &* 256 &+ Int(low >> 24)]
                ^ table[3 &* 256 &+ Int(high & 0xFF)]
                ^ table[2 &* 256 &+ Int((high >> 8) & 0xFF)]
                ^ table[1 &* 256 &+ Int((high >> 16) & 0xFF)]
                ^ table[Int(high >> 24)]
            pointer += 8
            remaining -= 8
        }
        while remaining > 0 {
            value = table[Int((value ^ UInt32(pointer.load(as: UInt8.self))) & 0xFF)] ^ (value >> 8)
            pointer += 1
            remaining -= 1
        }
        return ~value
    }

    /// Continues `crc` over the little-endian bytes of `value`.
    @inline(__always)
    static func update<T: FixedWidthInteger>(_ crc: UInt32, littleEndian value: T) -> UInt32 {
        withUnsafeBytes(of: value.littleEndian) { self.update(crc, $0) }
    }
}

/// Eight 256-entry tables; table k maps a byte to its CRC contribution k bytes further on. Built once, never freed,
/// and read-only after that, hence safe to share.
nonisolated(unsafe) let crc32cTables: UnsafePointer<UInt32> = {
    let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
    for byte in 0..<256 {
        var crc = UInt32(byte)
        for _ in 0..<8 {
            crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
        table[byte] = crc
    }
    for byte in 0..<256 {
        var crc = table[byte]
        for slice in 1..<8 {
            crc = table[Int(crc & 0xFF)] ^ (crc >> 8)
            table[slice * 256 + byte] = crc
        }
    }
    return UnsafePointer(table)
}()
