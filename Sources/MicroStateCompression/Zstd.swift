// The only Swift file that imports libzstd (docs/adr/0004-event-streams.md, Consequences: Debian's libzstd stays
// behind one small Swift API). Nothing here throws across C: every zstd result is checked with ZSTD_isError and
// turned into a `CompressionError` on the Swift side.
internal import CZstd

/// zstd (RFC 8878) compression of whole buffers, single-shot: one call in, one zstd frame out, and back.
///
/// Frames written by `compress` always declare their decompressed size, so `decompress` can allocate exactly once,
/// and carry a content checksum, so damage is an error rather than different bytes;
/// `decompress` still trusts nothing in its input beyond the caller's `maxOutputBytes` (see there).
public enum Zstd {
    /// The compression levels zstd accepts, `ZSTD_minCLevel()...ZSTD_maxCLevel()` (negative levels are its fast
    /// modes; 1.5.4: -131072...22). `compress` clamps its level into this range.
    public static let levels: ClosedRange<Int32> = Int32(ZSTD_minCLevel())...Int32(ZSTD_maxCLevel())

    /// zstd's default level: its benchmarks' sweet spot of speed and ratio.
    public static let defaultLevel: Int32 = 3

    /// The smallest `ZSTD_d_windowLogMax` zstd accepts (`ZSTD_WINDOWLOG_ABSOLUTEMIN`): 1 KiB.
    static let minimumWindowLog = 10
    /// zstd's own default ceiling for a decoder's window (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`): 128 MiB.
    static let maximumWindowLog = 27

    /// Compresses `input` into one zstd frame that declares its decompressed size and ends with zstd's content
    /// checksum (the low 32 bits of XXH64 of the content, RFC 8878 §3.1.1), so `decompress` detects damage to the
    /// frame on its own: without the checksum, a flipped bit in a raw or literal block decodes "successfully".
    ///
    /// Cannot fail for inputs a process can hold (zstd fails only for a too-small output buffer, which this sizes with
    /// `ZSTD_compressBound`, or when memory runs out, which traps like any allocation). Incompressible input is stored
    /// in raw blocks: the frame is then a few bytes per 128 KiB larger than the input.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = Zstd.defaultLevel) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        precondition(ZSTD_isError(bound) == 0, "zstd cannot compress \(input.count) bytes in one frame")
        guard let context = ZSTD_createCCtx() else {
            fatalError("ZSTD_createCCtx failed: out of memory")
        }
        defer { ZSTD_freeCCtx(context) }
        let clamped = min(max(level, Self.levels.lowerBound), Self.levels.upperBound)
        for (parameter, value) in [(ZSTD_c_compressionLevel, clamped), (ZSTD_c_checksumFlag, 1)] {
            let result = ZSTD_CCtx_setParameter(context, parameter, value)
            precondition(ZSTD_isError(result) == 0, "ZSTD_CCtx_setParameter failed: \(errorName(result))")
        }
        // Compress into a scratch buffer of the worst-case size, then copy out exactly the frame: compressible input
        // leaves most of the bound unused, and the caller should not keep that slack alive.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bound, 1), alignment: 16)
        defer { scratch.deallocate() }
        let result = withSource(input) { source in
            ZSTD_compress2(context, scratch.baseAddress, bound, source, input.count)
        }
        precondition(ZSTD_isError(result) == 0, "ZSTD_compress2 failed: \(errorName(result))")
        precondition(result <= bound, "zstd wrote past its own bound")
        return Array(UnsafeRawBufferPointer(rebasing: scratch[0..<result]))
    }

    /// Compresses `input` into one zstd frame that declares its decompressed size.
    public static func compress(_ input: [UInt8], level: Int32 = Zstd.defaultLevel) -> [UInt8] {
        input.withUnsafeBytes { self.compress($0, level: level) }
    }

    /// Decompresses `input`, which must be exactly one zstd frame, producing at most `maxOutputBytes` bytes.
    ///
    /// Nothing in the input is trusted beyond the caller's limit (decompression-bomb protection):
    /// - a frame that declares more than `maxOutputBytes` is refused before anything is allocated for it;
    /// - a frame that declares its size is decoded into a buffer of exactly that size, and must fill it exactly;
    /// - a frame that does not declare its size (other encoders' streaming mode) is decoded in steps and refused as
    ///   soon as it would exceed `maxOutputBytes`; its window may be at most `maxOutputBytes` rounded up to a power of
    ///   two (within zstd's 1 KiB...128 MiB), since a larger window is never needed for output that small.
    ///
    /// Throws `.tooLarge` for the cases above and `.corrupt` for empty input, garbage, a truncated or damaged frame,
    /// or bytes after the frame. Never returns partial output.
    public static func decompress(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(CompressionError)
        -> [UInt8]
    {
        precondition(maxOutputBytes >= 0, "maxOutputBytes must not be negative")
        guard let source = input.baseAddress, input.count > 0 else {
            throw CompressionError(code: .corrupt, message: "empty input is not a zstd frame")
        }
        let frameBytes = ZSTD_findFrameCompressedSize(source, input.count)
        if ZSTD_isError(frameBytes) != 0 {
            throw CompressionError(code: .corrupt, message: "not a complete zstd frame: \(errorName(frameBytes))")
        }
        guard frameBytes == input.count else {
            throw CompressionError(
                code: .corrupt,
                message: "\(input.count - frameBytes) unexpected bytes after a zstd frame of \(frameBytes) bytes"
            )
        }
        let declared = ZSTD_getFrameContentSize(source, input.count)
        switch declared {
        case contentSizeError:
            throw CompressionError(code: .corrupt, message: "invalid zstd frame header")
        case contentSizeUnknown:
            return try self.decompressStreaming(input, maxOutputBytes: maxOutputBytes)
        default:
            guard declared <= UInt64(maxOutputBytes) else {
                throw CompressionError(
                    code: .tooLarge,
                    message: "zstd frame declares \(declared) bytes, more than the limit of \(maxOutputBytes)"
                )
            }
            return try self.decompressDeclared(input, bytes: Int(declared))
        }
    }

    /// Decompresses `input`, which must be exactly one zstd frame, producing at most `maxOutputBytes` bytes.
    public static func decompress(_ input: [UInt8], maxOutputBytes: Int) throws(CompressionError) -> [UInt8] {
        // withUnsafeBytes rethrows untyped errors; carry the typed one out in a Result.
        let result = input.withUnsafeBytes { raw in
            Result { () throws(CompressionError) in try self.decompress(raw, maxOutputBytes: maxOutputBytes) }
        }
        return try result.get()
    }

    /// One frame that declares `bytes` (already checked against the caller's limit): one buffer, one call.
    private static func decompressDeclared(_ input: UnsafeRawBufferPointer, bytes: Int) throws(CompressionError)
        -> [UInt8]
    {
        guard let context = ZSTD_createDCtx() else {
            fatalError("ZSTD_createDCtx failed: out of memory")
        }
        defer { ZSTD_freeDCtx(context) }
        var result = 0
        let output = [UInt8](unsafeUninitializedCapacity: max(bytes, 1)) { buffer, count in
            result = ZSTD_decompressDCtx(context, buffer.baseAddress, bytes, input.baseAddress, input.count)
            count = ZSTD_isError(result) == 0 ? min(result, bytes) : 0
        }
        if ZSTD_isError(result) != 0 {
            throw CompressionError(code: .corrupt, message: "damaged zstd frame: \(errorName(result))")
        }
        guard result == bytes else {
            // zstd checks the declared size itself; this pairs the assertion with our own read of it.
            throw CompressionError(
                code: .corrupt,
                message: "zstd frame declares \(bytes) bytes but holds \(result)"
            )
        }
        return output
    }

    /// One frame that does not declare its size: decoded in bounded steps, refused once it passes the limit.
    private static func decompressStreaming(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int)
        throws(CompressionError) -> [UInt8]
    {
        guard let context = ZSTD_createDCtx() else {
            fatalError("ZSTD_createDCtx failed: out of memory")
        }
        defer { ZSTD_freeDCtx(context) }
        let windowLog = min(max(Self.bitsNeeded(maxOutputBytes), Self.minimumWindowLog), Self.maximumWindowLog)
        let set = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Int32(windowLog))
        precondition(ZSTD_isError(set) == 0, "ZSTD_d_windowLogMax \(windowLog): \(errorName(set))")

        let stepBytes = ZSTD_DStreamOutSize()
        var step = [UInt8](repeating: 0, count: stepBytes)
        var output: [UInt8] = []
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        // Every round either consumes input or produces output (or fails), and output is capped, so this ends; the
        // explicit bound makes that visible.
        let maxRounds = input.count + maxOutputBytes / max(stepBytes, 1) + 2
        for _ in 0..<maxRounds {
            var produced = 0
            let result = step.withUnsafeMutableBytes { raw in
                var outBuffer = ZSTD_outBuffer(dst: raw.baseAddress, size: raw.count, pos: 0)
                let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                produced = outBuffer.pos
                return result
            }
            if ZSTD_isError(result) != 0 {
                if ZSTD_getErrorCode(result) == ZSTD_error_frameParameter_windowTooLarge {
                    throw CompressionError(
                        code: .tooLarge,
                        message: "zstd frame needs a window larger than \(1 << windowLog) bytes for at most "
                            + "\(maxOutputBytes) bytes of output"
                    )
                }
                throw CompressionError(code: .corrupt, message: "damaged zstd frame: \(errorName(result))")
            }
            guard produced <= maxOutputBytes - output.count else {
                throw CompressionError(
                    code: .tooLarge,
                    message: "zstd frame produces more than the limit of \(maxOutputBytes) bytes"
                )
            }
            output.append(contentsOf: step[0..<produced])
            if result == 0 {
                // The frame is complete; findFrameCompressedSize already proved it is the whole input.
                return output
            }
            if produced < stepBytes && inBuffer.pos == input.count {
                // zstd flushed all it could and has no input left, yet the frame is unfinished.
                break
            }
        }
        throw CompressionError(code: .corrupt, message: "truncated zstd frame")
    }

    /// The number of bits needed to count to `value`: ceil(log2(value)), 0 for 0 and 1.
    private static func bitsNeeded(_ value: Int) -> Int {
        value <= 1 ? 0 : Int.bitWidth - (value - 1).leadingZeroBitCount
    }
}

/// `ZSTD_CONTENTSIZE_UNKNOWN` and `ZSTD_CONTENTSIZE_ERROR`: macros `(0ULL - 1)` and `(0ULL - 2)` that Swift does not
/// import.
private let contentSizeUnknown = UInt64.max
private let contentSizeError = UInt64.max - 1

private func errorName(_ code: Int) -> String {
    String(cString: ZSTD_getErrorName(code))
}

/// zstd accepts a null source only with a zero size; an empty Swift buffer may have no base address.
private func withSource<T>(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawPointer) -> T) -> T {
    if let base = input.baseAddress {
        return body(base)
    }
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { body(UnsafeRawPointer($0)) }
}
