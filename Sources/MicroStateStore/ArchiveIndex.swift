/// Where the archived events are: the chunk list in position order (for `$all`) and, per stream, the runs of its
/// revisions in each chunk (for stream reads). Built from chunk headers and footers (`StoreArchiveChunk`), never from
/// chunk bodies, so it is rebuilt at startup without decompressing anything.
///
/// Memory: 48 bytes per chunk plus 40 bytes per (stream, chunk) pair (a run), plus an array per stream. With 10M
/// events of 1,000 streams appended 100 at a time, a chunk of 4,096 events holds ~42 streams: ~2,450 chunks and
/// ~100k runs, about 4.2 MB. The worst case is one run per event (every event of a chunk in another stream).
///
/// Invariants: chunks are sorted by position and never overlap; a stream's runs are sorted by chunk id, which is
/// also by revision (archiving takes events in position order); `archivedThrough` is at least every chunk's
/// `lastPosition` (a rewrite that drops a chunk's last events does not lower it). Not thread-safe: the store's lock
/// guards it.
struct ArchiveIndex {
    struct Chunk {
        var id: UInt64
        var firstPosition: Int64
        var lastPosition: Int64
        var eventCount: Int
        var fileBytes: Int
        /// Bumped when the chunk's content changes (a rewrite), so a decoded copy is never used stale.
        var generation: Int
    }

    /// A stream's events in one chunk: revisions `firstRevision...lastRevision`, `count` of them (fewer than the span
    /// after a rewrite dropped some).
    struct Run {
        var chunk: UInt64
        var firstRevision: Int64
        var lastRevision: Int64
        var count: Int
        /// The oldest recorded time of these events when known (from the seal, or a scavenge that read them),
        /// `Int64.min` when not (after a restart): lets a max-age scavenge skip runs with nothing old enough
        /// without reading their chunk.
        var oldestRecordedAt: Int64
    }

    private(set) var chunks: [Chunk] = []
    /// By stream id.
    private(set) var runs: [[Run]] = []
    /// The highest position ever archived: every durable event at or below it is in a chunk (or was erased).
    private(set) var archivedThrough: Int64 = 0
    private(set) var eventCount = 0
    private(set) var fileBytes = 0
    private var nextGeneration = 1

    mutating func addStream() {
        self.runs.append([])
    }

    /// Records a chunk newer than every other; `streamIDs` are the ids of `chunk.streams`, in order, and `oldest`
    /// their oldest recorded times (`Int64.min` = unknown).
    mutating func add(_ chunk: StoreArchiveChunk, streamIDs: [Int], oldest: [Int64]) {
        precondition(chunk.firstPosition > (self.chunks.last?.lastPosition ?? 0), "chunks must come in position order")
        precondition(streamIDs.count == chunk.streams.count && oldest.count == streamIDs.count, "one id per range")
        self.chunks.append(
            Chunk(
                id: chunk.id,
                firstPosition: chunk.firstPosition,
                lastPosition: chunk.lastPosition,
                eventCount: chunk.eventCount,
                fileBytes: chunk.fileBytes,
                generation: self.takeGeneration()
            )
        )
        for (index, range) in chunk.streams.enumerated() {
            self.runs[streamIDs[index]].append(Self.run(range, chunk: chunk.id, oldest: oldest[index]))
        }
        self.archivedThrough = max(self.archivedThrough, chunk.lastPosition)
        self.eventCount += chunk.eventCount
        self.fileBytes += chunk.fileBytes
    }

    /// Raises the watermark without a chunk: for positions a snapshot says were archived and later erased.
    mutating func raiseWatermark(to position: Int64) {
        self.archivedThrough = max(self.archivedThrough, position)
    }

    /// Lowers the watermark to `position` (recovery only: chunks beyond the log's end were trimmed away).
    mutating func resetWatermark(to position: Int64) {
        precondition((self.chunks.last?.lastPosition ?? 0) <= position, "a chunk holds positions beyond the watermark")
        self.archivedThrough = position
    }

    private static func run(_ range: StoreArchivedStreamRange, chunk: UInt64, oldest: Int64) -> Run {
        Run(
            chunk: chunk,
            firstRevision: range.firstRevision,
            lastRevision: range.lastRevision,
            count: range.count,
            oldestRecordedAt: oldest
        )
    }

    /// Records that chunk `id` now holds `chunk` (nil: it was removed). `previousStreams` are the ids of every stream
    /// the chunk held before; `streamIDs` those of `chunk.streams`, and `oldest` their oldest recorded times.
    mutating func replace(
        _ id: UInt64,
        with chunk: StoreArchiveChunk?,
        streamIDs: [Int],
        oldest: [Int64],
        previousStreams: Set<Int>
    ) {
        guard let index = self.index(of: id) else {
            return
        }
        let old = self.chunks[index]
        self.eventCount -= old.eventCount
        self.fileBytes -= old.fileBytes
        for stream in previousStreams {
            if let run = self.runIndex(stream, chunk: id) {
                self.runs[stream].remove(at: run)
            }
        }
        guard let chunk else {
            self.chunks.remove(at: index)
            return
        }
        self.chunks[index] = Chunk(
            id: id,
            firstPosition: chunk.firstPosition,
            lastPosition: chunk.lastPosition,
            eventCount: chunk.eventCount,
            fileBytes: chunk.fileBytes,
            generation: self.takeGeneration()
        )
        self.eventCount += chunk.eventCount
        self.fileBytes += chunk.fileBytes
        for (index, range) in chunk.streams.enumerated() {
            let stream = streamIDs[index]
            let run = Self.run(range, chunk: id, oldest: oldest[index])
            var at = self.runs[stream].count
            while at > 0 && self.runs[stream][at - 1].chunk > id {
                at -= 1
            }
            self.runs[stream].insert(run, at: at)
        }
    }

    private mutating func takeGeneration() -> Int {
        defer { self.nextGeneration += 1 }
        return self.nextGeneration
    }

    // MARK: - Lookups

    /// The index in `chunks` of chunk `id`.
    func index(of id: UInt64) -> Int? {
        var low = 0
        var high = self.chunks.count
        while low < high {
            let mid = (low + high) >> 1
            if self.chunks[mid].id < id {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low < self.chunks.count && self.chunks[low].id == id ? low : nil
    }

    /// The first chunk whose last position is at or after `position`.
    func firstChunk(endingAtOrAfter position: Int64) -> Int? {
        var low = 0
        var high = self.chunks.count
        while low < high {
            let mid = (low + high) >> 1
            if self.chunks[mid].lastPosition < position {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low < self.chunks.count ? low : nil
    }

    /// The last chunk whose first position is at or before `position`.
    func lastChunk(startingAtOrBefore position: Int64) -> Int? {
        var low = 0
        var high = self.chunks.count
        while low < high {
            let mid = (low + high) >> 1
            if self.chunks[mid].firstPosition <= position {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low > 0 ? low - 1 : nil
    }

    /// The stream's first run whose last revision is at or after `revision`.
    func firstRun(_ stream: Int, endingAtOrAfter revision: Int64) -> Run? {
        let runs = self.runs[stream]
        var low = 0
        var high = runs.count
        while low < high {
            let mid = (low + high) >> 1
            if runs[mid].lastRevision < revision {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low < runs.count ? runs[low] : nil
    }

    /// The stream's last run whose first revision is at or before `revision`.
    func lastRun(_ stream: Int, startingAtOrBefore revision: Int64) -> Run? {
        let runs = self.runs[stream]
        var low = 0
        var high = runs.count
        while low < high {
            let mid = (low + high) >> 1
            if runs[mid].firstRevision <= revision {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low > 0 ? runs[low - 1] : nil
    }

    /// The index in `runs[stream]` of the run in chunk `id`.
    private func runIndex(_ stream: Int, chunk id: UInt64) -> Int? {
        let runs = self.runs[stream]
        var low = 0
        var high = runs.count
        while low < high {
            let mid = (low + high) >> 1
            if runs[mid].chunk < id {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low < runs.count && runs[low].chunk == id ? low : nil
    }

    /// The number of runs over all streams.
    var runCount: Int {
        self.runs.reduce(0) { $0 + $1.count }
    }
}
