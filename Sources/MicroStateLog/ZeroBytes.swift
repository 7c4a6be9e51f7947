#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zero checks for the zero remainder of preallocated segments, and the zeros that fill them. Recovery reads up to a
/// whole segment of zeros, so the check compares large blocks against a zero buffer with `memcmp` (SIMD in libc)
/// and looks at single bytes only inside a block that is not all zero.
enum ZeroBytes {
    /// Bytes in `buffer`; also the largest block compared at once.
    static let bufferBytes = 1 << 20

    /// `bufferBytes` zero bytes, allocated once for the process and never written after initialisation, so sharing
    /// them between threads is safe. Used to fill spare segments and to zero a torn tail.
    nonisolated(unsafe) static let buffer: UnsafeRawBufferPointer = {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: ZeroBytes.bufferBytes, alignment: 4096)
        _ = memset(bytes.baseAddress!, 0, ZeroBytes.bufferBytes)
        return UnsafeRawBufferPointer(bytes)
    }()

    /// The first `count` (at most `bufferBytes`) zero bytes.
    static func prefix(_ count: Int) -> UnsafeRawBufferPointer {
        precondition(count >= 0 && count <= Self.bufferBytes, "zero prefix of \(count) bytes")
        return UnsafeRawBufferPointer(rebasing: Self.buffer[0..<count])
    }

    /// Whether every byte of `bytes` is zero.
    static func allZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        Self.lastNonZero(bytes) == nil
    }

    /// The offset of the last non-zero byte of `bytes`, or nil if all are zero.
    static func lastNonZero(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let block = 4096
        var end = bytes.count
        while end > 0 {
            // Whole megabytes first while they are zero, then 4 KiB blocks, then bytes in the non-zero block.
            let big = min(end, Self.bufferBytes)
            if memcmp(base + (end - big), Self.buffer.baseAddress!, big) == 0 {
                end -= big
                continue
            }
            let start = end - big
            while end > start {
                let size = min(block, end - start)
                if memcmp(base + (end - size), Self.buffer.baseAddress!, size) != 0 {
                    var offset = end - 1
                    while base.load(fromByteOffset: offset, as: UInt8.self) == 0 {
                        offset -= 1
                    }
                    return offset
                }
                end -= size
            }
        }
        return nil
    }
}
