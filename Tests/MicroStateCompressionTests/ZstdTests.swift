import MicroStateCompression
import Testing

/// SplitMix64: deterministic "random" bytes, so a failing case is reproducible.
struct SeededBytes {
    var state: UInt64

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var value = self.state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(count + 8)
        while result.count < count {
            withUnsafeBytes(of: self.next()) { result.append(contentsOf: $0) }
        }
        result.removeLast(result.count - count)
        return result
    }
}

/// The error `decompress` throws, or nil if it returned.
func decompressionError(_ input: [UInt8], maxOutputBytes: Int) -> CompressionError? {
    do {
        _ = try Zstd.decompress(input, maxOutputBytes: maxOutputBytes)
        return nil
    } catch {
        return error
    }
}

/// A zstd frame without a declared content size (what streaming encoders write), built by hand from RFC 8878 §3.1.1:
/// magic, a frame header descriptor with no content-size field and no single-segment flag, a window descriptor, and
/// one last raw block holding `content`.
func unknownSizeFrame(_ content: [UInt8], windowDescriptor: UInt8 = 0) -> [UInt8] {
    precondition(content.count < 1 << 10, "one raw block within a 1 KiB window")
    var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, windowDescriptor]
    let blockHeader = UInt32(1) | (0 << 1) | (UInt32(content.count) << 3)  // last, raw, size
    frame += [UInt8(blockHeader & 0xFF), UInt8((blockHeader >> 8) & 0xFF), UInt8(blockHeader >> 16)]
    return frame + content
}

@Suite("Zstd")
struct ZstdTests {
    static let sizes = [0, 1, 5, 100, 4096, 128 << 10, (128 << 10) + 1]

    @Test("Compressing and decompressing returns the input for every size", arguments: Self.sizes)
    func roundTrip(size: Int) throws {
        var random = SeededBytes(state: UInt64(size))
        for input in [random.bytes(size), [UInt8](repeating: 0x61, count: size)] {
            let frame = Zstd.compress(input)
            #expect(try Zstd.decompress(frame, maxOutputBytes: size) == input, "size \(size)")
            let viaPointer = input.withUnsafeBytes { Zstd.compress($0) }
            #expect(viaPointer == frame, "both overloads write the same frame")
        }
    }

    @Test("Empty input compresses to a small frame that decompresses to nothing, also with a zero limit")
    func empty() throws {
        let frame = Zstd.compress([])
        #expect(!frame.isEmpty && frame.count < 32)
        #expect(try Zstd.decompress(frame, maxOutputBytes: 0) == [])
    }

    @Test("One MiB of random bytes stays about its size: zstd stores incompressible blocks raw")
    func incompressible() throws {
        var random = SeededBytes(state: 42)
        let input = random.bytes(1 << 20)
        let frame = Zstd.compress(input)
        // Raw blocks cost 3 bytes per 128 KiB plus the frame header and checksum.
        #expect(frame.count >= input.count && frame.count <= input.count + 128, "\(frame.count)")
        #expect(try Zstd.decompress(frame, maxOutputBytes: input.count) == input)
    }

    @Test("Repetitive JSON-like data compresses to a small fraction of its size")
    func repetitive() throws {
        var input: [UInt8] = []
        for index in 0..<10_000 {
            input += Array(#"{"type":"OrderPlaced","order":\#(index),"amount":12.50,"currency":"EUR"}"#.utf8)
        }
        let frame = Zstd.compress(input)
        #expect(frame.count * 10 < input.count, "\(frame.count) of \(input.count)")
        #expect(try Zstd.decompress(frame, maxOutputBytes: input.count) == input)
    }

    @Test("Every level, including ones outside zstd's range (clamped), round-trips")
    func levels() throws {
        let input = Array(String(repeating: "event sourcing ", count: 500).utf8)
        for level: Int32 in [Int32.min, -5, 1, 3, 19, 22, 23, Int32.max] {
            let frame = Zstd.compress(input, level: level)
            #expect(try Zstd.decompress(frame, maxOutputBytes: input.count) == input, "level \(level)")
        }
        #expect(Zstd.levels.contains(Zstd.defaultLevel))
    }

    @Test("Every truncation of a frame is refused as corrupt", arguments: [0, 10, 3000])
    func truncated(size: Int) {
        var random = SeededBytes(state: 7)
        let frame = Zstd.compress(random.bytes(size / 2) + [UInt8](repeating: 1, count: size - size / 2))
        for length in 0..<frame.count {
            let error = decompressionError(Array(frame[0..<length]), maxOutputBytes: 1 << 20)
            let label = "prefix of \(length) of \(frame.count) bytes"
            #expect(error?.code == .corrupt, "\(label): \(String(describing: error))")
        }
    }

    @Test("Every single-bit flip in a frame is refused or, in a bit zstd ignores, decodes to the same bytes")
    func bitFlips() {
        var random = SeededBytes(state: 9)
        // Both a compressed part and a raw-ish part, so flips hit literals, sequences and raw blocks.
        let input = Array(String(repeating: "stream-1 revision ", count: 40).utf8) + random.bytes(300)
        let frame = Zstd.compress(input)
        var harmless: [String] = []
        for byte in 0..<frame.count {
            for bit in 0..<8 {
                var damaged = frame
                damaged[byte] ^= 1 << UInt8(bit)
                let label = "flip of bit \(bit) in byte \(byte) of \(frame.count)"
                do {
                    let output = try Zstd.decompress(damaged, maxOutputBytes: 1 << 20)
                    // The frame header's unused bit (RFC 8878 §3.1.1.1.1) and a few padding bits carry no data; the
                    // content checksum proves the output is still exactly the input.
                    #expect(output == input, "\(label) returned different data")
                    harmless.append(label)
                } catch {
                    #expect(error.code == .corrupt || error.code == .tooLarge, "\(label)")
                }
            }
        }
        #expect(harmless.count <= 8, "\(harmless)")
        #expect(harmless.contains("flip of bit 4 in byte 4 of \(frame.count)"), "the unused header bit is ignored")
    }

    @Test("Garbage, zeros, a bare magic number and trailing bytes are refused as corrupt")
    func garbage() {
        var random = SeededBytes(state: 11)
        let valid = Zstd.compress(Array("hello".utf8))
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("one zero byte", [0]),
            ("zeros", [UInt8](repeating: 0, count: 100)),
            ("random", random.bytes(1000)),
            ("magic only", [0x28, 0xB5, 0x2F, 0xFD]),
            ("magic then garbage", [0x28, 0xB5, 0x2F, 0xFD] + random.bytes(64)),
            ("frame then a byte", valid + [0]),
            ("two frames", valid + valid),
        ]
        for (name, input) in cases {
            let error = decompressionError(input, maxOutputBytes: 1 << 20)
            #expect(error?.code == .corrupt, "\(name): \(String(describing: error))")
        }
    }

    @Test("A frame declaring more than the limit is refused as too large before decoding")
    func declaredTooLarge() throws {
        let input = [UInt8](repeating: 7, count: 1000)
        let frame = Zstd.compress(input)
        #expect(try Zstd.decompress(frame, maxOutputBytes: 1000) == input)
        #expect(decompressionError(frame, maxOutputBytes: 999)?.code == .tooLarge)
        #expect(decompressionError(frame, maxOutputBytes: 0)?.code == .tooLarge)

        // A bomb: 16 MiB of zeros in a few hundred bytes.
        let bomb = Zstd.compress([UInt8](repeating: 0, count: 16 << 20))
        #expect(bomb.count < 4096, "\(bomb.count)")
        #expect(decompressionError(bomb, maxOutputBytes: 1 << 20)?.code == .tooLarge)

        // A hand-made header declaring 1 TiB (single segment, 8-byte content size) over a 10-byte raw block.
        var lie: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        withUnsafeBytes(of: (UInt64(1) << 40).littleEndian) { lie += $0 }
        lie += [UInt8(1 | (10 << 3)), 0, 0] + [UInt8](repeating: 5, count: 10)
        #expect(decompressionError(lie, maxOutputBytes: 1 << 20)?.code == .tooLarge)
    }

    @Test("A frame without a declared size decodes within the limit and is refused past it")
    func unknownSize() throws {
        let content = Array((0..<100).map { UInt8($0) })
        let frame = unknownSizeFrame(content)
        #expect(try Zstd.decompress(frame, maxOutputBytes: 100) == content)
        #expect(try Zstd.decompress(frame, maxOutputBytes: 1 << 20) == content)
        #expect(decompressionError(frame, maxOutputBytes: 99)?.code == .tooLarge)
        #expect(decompressionError(Array(frame.dropLast()), maxOutputBytes: 1 << 20)?.code == .corrupt)
        // Window descriptor exponent 17: a 128 MiB window for at most 1000 bytes of output.
        let wide = unknownSizeFrame(content, windowDescriptor: 17 << 3)
        #expect(decompressionError(wide, maxOutputBytes: 1000)?.code == .tooLarge)
        #expect(try Zstd.decompress(wide, maxOutputBytes: 128 << 20) == content)
    }

    @Test("Errors read as their code and message")
    func errorDescription() {
        let error = decompressionError([1, 2, 3], maxOutputBytes: 10)
        #expect(error?.description.hasPrefix("CompressionError(corrupt): ") == true, "\(String(describing: error))")
        #expect(CompressionError.Code.tooLarge.description == "tooLarge")
    }
}
