/// A bump allocator owning every allocation made for one encode or one decode, freed all at once.
///
/// protobuf-c's `pack` reads the message tree through raw pointers, so every nested struct, byte buffer and C string
/// must stay put until `pack` returns; a Swift array's buffer is pinned only inside `withUnsafeBufferPointer`, which
/// does not nest over a tree of arbitrary shape. The arena copies what the tree needs into memory it owns instead.
/// The first ``inlineCapacity`` bytes live on the stack (``withArena(_:)``), so a typical Get or Put encodes and
/// decodes without touching the heap except for the Swift values themselves; larger messages spill into heap chunks,
/// which `deinit` frees. Being `~Copyable`, an arena cannot outlive the scope that created it, and nothing it hands
/// out may be used after that scope ends.
struct WireArena: ~Copyable {
    /// Stack bytes per arena: enough for the C structs, key and value of the hot-path messages. 1 KiB is the size
    /// the standard library always places on the stack in `withUnsafeTemporaryAllocation`.
    static let inlineCapacity = 1024
    /// Size of each heap chunk once the inline bytes run out.
    static let chunkCapacity = 16 * 1024
    /// Every chunk starts with a link to the previously allocated one; 16 keeps the payload 16-byte aligned.
    private static let chunkHeader = 16
    /// The largest alignment handed out, the one `malloc` guarantees.
    static let maxAlignment = 16

    private var cursor: UnsafeMutableRawPointer
    private var end: UnsafeMutableRawPointer
    /// The most recent heap chunk; each chunk's first word points at the one before it.
    private var chunks: UnsafeMutableRawPointer?

    private init(inline buffer: UnsafeMutableRawBufferPointer) {
        // A zero-sized temporary allocation still has a base address; the capacity is never zero anyway.
        self.cursor = buffer.baseAddress!
        self.end = buffer.baseAddress! + buffer.count
        self.chunks = nil
    }

    deinit {
        var next = self.chunks
        while let chunk = next {
            next = chunk.load(as: UnsafeMutableRawPointer?.self)
            chunk.deallocate()
        }
    }

    /// Runs `body` with a fresh arena whose first bytes are on the stack; all its memory is freed when `body`
    /// returns or throws.
    static func withArena<R, E: Error>(_ body: (inout WireArena) throws(E) -> R) throws(E) -> R {
        try withUnsafeTemporaryAllocation(byteCount: Self.inlineCapacity, alignment: Self.maxAlignment) {
            (buffer: UnsafeMutableRawBufferPointer) throws(E) -> R in
            var arena = WireArena(inline: buffer)
            return try body(&arena)
        }
    }

    /// Returns `byteCount` uninitialised bytes aligned to `alignment`, valid until the arena ends.
    mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        precondition(byteCount >= 0, "negative allocation")
        precondition(alignment > 0 && alignment <= Self.maxAlignment && alignment & (alignment - 1) == 0)
        let start = self.cursor.alignedUp(toMultipleOf: alignment)
        if byteCount <= start.distance(to: self.end) {
            self.cursor = start + byteCount
            return start
        }
        return self.allocateInNewChunk(byteCount: byteCount)
    }

    /// Returns uninitialised, aligned memory for `count` values of `T`.
    mutating func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let (byteCount, overflow) = MemoryLayout<T>.stride.multipliedReportingOverflow(by: count)
        precondition(!overflow, "arena allocation size overflows")
        return self.allocate(byteCount: byteCount, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: count)
    }

    private mutating func allocateInNewChunk(byteCount: Int) -> UnsafeMutableRawPointer {
        // Chunk payloads start 16-aligned, which satisfies every alignment `allocate` accepts.
        if byteCount > Self.chunkCapacity / 2 {
            // A big value (a 2 MiB Put) gets a chunk of its own, so the bump region keeps serving small requests.
            return self.newChunk(payloadBytes: byteCount)
        }
        let payload = self.newChunk(payloadBytes: Self.chunkCapacity)
        self.cursor = payload + byteCount
        self.end = payload + Self.chunkCapacity
        return payload
    }

    private mutating func newChunk(payloadBytes: Int) -> UnsafeMutableRawPointer {
        let (total, overflow) = payloadBytes.addingReportingOverflow(Self.chunkHeader)
        precondition(!overflow, "arena allocation size overflows")
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: Self.maxAlignment)
        chunk.storeBytes(of: self.chunks, as: UnsafeMutableRawPointer?.self)
        self.chunks = chunk
        return chunk + Self.chunkHeader
    }
}
