/// Immutable, zstd-compressed chunk files of events in one directory (the node's `<data-dir>/events/`, ADR 0004 §7),
/// through an injected `FileSystem`.
///
/// The store moves durable events out of memory by sealing them into chunks of up to
/// `ArchiveConfiguration.maxEventsPerChunk` events, in position order; reads of old events decompress a chunk on demand
/// (a small LRU cache keeps the last few). Retention erases events physically by rewriting a chunk without them.
/// The file format is `ArchiveChunkFormat`'s; the on-disk guarantees are in docs/durability.md, "Event archive".
///
/// Guarantees:
/// - Every change (`seal`, `rewrite`, `remove`) is atomic across crashes: the new file is written under a temporary
///   name, fdatasynced, renamed into place and the directory fsynced, so after a crash at any point `open` finds
///   either the old state or the new one, never a mix or a torn chunk. A change that returned is durable.
/// - Chunks never overlap: `chunks` is sorted by position and by id (ids increase with positions).
/// - Nothing read from disk is returned unchecked: `open` checks every chunk's header and footer, `read` the body's
///   checksum and every decoded entry against header and footer; damage is `LogError.corrupt` naming the file and the
///   byte offset.
///
/// Thread-safe. One lock guards the in-memory state and is never held during file I/O or (de)compression; changes run
/// one at a time (a later change waits for the running one), reads run in parallel with each other and with changes.
///
/// - Important: after a failed fsync (`LogError.Code.fsyncFailed`) the archive refuses every later change, like the
///   log: the kernel may have dropped the dirty pages, so what is on disk is unknown until the archive is reopened
///   (after the node restarts). Reads keep working.
public final class EventArchive: @unchecked Sendable {
    /// The directory holding the chunk files.
    public let directory: String
    /// The limits chunks are sealed with and the cache size.
    public let configuration: ArchiveConfiguration

    private let fileSystem: any FileSystem
    private let mutex = PThreadMutex()
    private let changeFinished = PThreadCondition()

    // Guarded by `mutex`.
    /// Every chunk, sorted by id, which is also by position.
    private var infos: [ArchiveChunkInfo]
    /// Bumped whenever a chunk's file is replaced or removed, so a read racing with the change never caches stale
    /// entries.
    private var generations: [UInt64: UInt64]
    private var nextGeneration: UInt64
    private var nextID: UInt64
    private var totalFileBytes: Int
    private var cache: ArchiveChunkCache
    private var changing = false
    private var failure: LogError?
    private var hits = 0
    private var misses = 0

    private init(directory: String, fileSystem: any FileSystem, configuration: ArchiveConfiguration,
                 infos: [ArchiveChunkInfo])
    {
        self.directory = directory
        self.fileSystem = fileSystem
        self.configuration = configuration
        self.infos = infos
        self.generations = Dictionary(uniqueKeysWithValues: infos.map { ($0.id, 1) })
        self.nextGeneration = 2
        self.nextID = (infos.last?.id ?? 0) + 1
        self.totalFileBytes = infos.reduce(0) { $0 + $1.fileBytes }
        self.cache = ArchiveChunkCache(capacity: configuration.cachedChunks)
    }

    // MARK: Opening

    /// Opens (creating if needed) the archive in `directory`: removes temporary files a crash left behind in the
    /// middle of a change, and checks the header and footer of every chunk file (not the bodies, so startup reads a
    /// few hundred bytes per chunk). Files with other names are left alone.
    ///
    /// Throws `.corrupt` naming the file and byte offset for a damaged header or footer, a header that disagrees with
    /// its file name or size, or chunks that overlap or are out of order; `.ioFailed` if the directory cannot be read.
    /// The configuration's limits must be within `ArchiveChunkFormat`'s (a programmer error otherwise).
    public static func open(directory: String, fileSystem: any FileSystem, configuration: ArchiveConfiguration)
        throws(LogError) -> EventArchive
    {
        precondition((1...ArchiveChunkFormat.maxEvents).contains(configuration.maxEventsPerChunk),
                     "maxEventsPerChunk must be in 1...\(ArchiveChunkFormat.maxEvents)")
        let rawLimits = ArchiveChunkFormat.entryHeaderBytes...ArchiveChunkFormat.maxRawBytes
        precondition(rawLimits.contains(configuration.maxChunkRawBytes), "maxChunkRawBytes must be in \(rawLimits)")
        precondition(configuration.cachedChunks >= 0, "cachedChunks must not be negative")
        var directory = directory
        while directory.count > 1 && directory.hasSuffix("/") {
            directory.removeLast()
        }
        let files = fileSystem
        try io("create archive directory \(directory)") { try files.createDirectory(atPath: directory) }
        // The directory's own entry must be durable before any chunk in it can be (a new `events/` would otherwise
        // vanish with its chunks in a power loss).
        let parent = Self.parent(of: directory)
        try sync("fsync \(parent)") { try files.synchronizeDirectory(atPath: parent) }
        let names = try io("list archive directory \(directory)") { try files.contentsOfDirectory(atPath: directory) }

        var removedTemporaries = false
        for name in names.sorted() where name.hasSuffix(ArchiveChunkFormat.temporaryExtension) {
            let path = directory + "/" + name
            try io("remove leftover \(path)") { try files.removeFile(atPath: path) }
            removedTemporaries = true
        }
        if removedTemporaries {
            try sync("fsync \(directory)") { try files.synchronizeDirectory(atPath: directory) }
        }

        var infos: [ArchiveChunkInfo] = []
        for name in names {
            guard let id = ArchiveChunkFormat.id(ofFileName: name) else { continue }
            infos.append(try Self.loadInfo(path: directory + "/" + name, id: id, fileSystem: files))
        }
        infos.sort { $0.id < $1.id }
        for index in infos.indices.dropFirst() where infos[index].firstPosition <= infos[index - 1].lastPosition {
            let previous = infos[index - 1]
            let current = infos[index]
            throw LogError.corrupt(
                "chunk \(current.id) holds positions \(current.firstPosition)...\(current.lastPosition), overlapping "
                    + "or preceding chunk \(previous.id) (\(previous.firstPosition)...\(previous.lastPosition))",
                path: directory + "/" + ArchiveChunkFormat.fileName(id: current.id),
                offset: 24  // the header's first position
            )
        }
        if let last = infos.last, last.id == UInt64.max {
            throw LogError.corrupt("chunk id \(last.id) leaves no id for another chunk",
                                   path: directory + "/" + ArchiveChunkFormat.fileName(id: last.id), offset: 16)
        }
        return EventArchive(directory: directory, fileSystem: fileSystem, configuration: configuration, infos: infos)
    }

    /// Reads and checks one chunk's header and footer.
    private static func loadInfo(path: String, id: UInt64, fileSystem: any FileSystem) throws(LogError)
        -> ArchiveChunkInfo
    {
        let handle = try io("open \(path)") { try fileSystem.openFile(atPath: path, mode: .read) }
        defer { fileSystem.close(handle) }
        let fileBytes = try io("size of \(path)") { try fileSystem.size(of: handle) }
        let headerBytes = try Self.read(min(fileBytes, ArchiveChunkFormat.headerBytes), at: 0, of: handle,
                                        path: path, fileSystem: fileSystem)
        let header = try headerBytes.withBytes { raw throws(LogError) in
            try ArchiveChunkFormat.parseHeader(raw, path: path, fileBytes: fileBytes, expectedID: id)
        }
        let footer = try Self.read(header.footerBytes, at: header.footerOffset, of: handle, path: path,
                                   fileSystem: fileSystem)
        let streams = try footer.withBytes { raw throws(LogError) in
            try ArchiveChunkFormat.parseFooter(raw, header: header, path: path)
        }
        return ArchiveChunkInfo(
            id: id,
            firstPosition: header.firstPosition,
            lastPosition: header.lastPosition,
            eventCount: header.eventCount,
            streams: streams,
            fileBytes: fileBytes,
            rawBytes: header.rawBytes
        )
    }

    // MARK: State

    /// Every chunk, sorted by `firstPosition` (and by `id`); chunks never overlap.
    public var chunks: [ArchiveChunkInfo] {
        self.mutex.withLock { self.infos }
    }

    /// The total size of the chunk files.
    public var diskBytes: Int {
        self.mutex.withLock { self.totalFileBytes }
    }

    /// The ids of the cached chunks, least recently used first; never more than `configuration.cachedChunks`.
    var cachedChunkIDs: [UInt64] {
        self.mutex.withLock { self.cache.idsByRecency }
    }

    /// Reads answered from the cache; for tests and metrics.
    var cacheHits: Int {
        self.mutex.withLock { self.hits }
    }

    /// Reads that went to disk; for tests and metrics.
    var cacheMisses: Int {
        self.mutex.withLock { self.misses }
    }

    /// The index of chunk `id` in `infos`. Caller holds the mutex.
    private func index(of id: UInt64) -> Int? {
        var low = 0
        var high = self.infos.count
        while low < high {
            let middle = (low + high) / 2
            if self.infos[middle].id < id {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < self.infos.count && self.infos[low].id == id ? low : nil
    }

    private func info(of id: UInt64) -> ArchiveChunkInfo? {
        self.mutex.withLock { self.index(of: id).map { self.infos[$0] } }
    }

    private func noSuchChunk(_ id: UInt64) -> LogError {
        LogError(code: .invalidArgument, message: "no archive chunk \(id) in \(self.directory)")
    }

    private func path(of id: UInt64) -> String {
        self.directory + "/" + ArchiveChunkFormat.fileName(id: id)
    }

    // MARK: Reading

    /// The entries of chunk `id`, in position order: checked against the file's checksums, header and footer, and
    /// decompressed, or taken from the cache of recently read chunks.
    ///
    /// Throws `.invalidArgument` for an unknown chunk, `.corrupt` naming the file and byte offset for a damaged chunk
    /// (never its data), `.ioFailed` if the file cannot be read.
    public func read(chunk id: UInt64) throws(LogError) -> [ArchiveEntry] {
        let lookup: (generation: UInt64, cached: [ArchiveEntry]?)? = self.mutex.withLock {
            guard let generation = self.generations[id] else { return nil }
            let cached = self.cache.entries(id: id, generation: generation)
            if cached != nil {
                self.hits += 1
            } else {
                self.misses += 1
            }
            return (generation, cached)
        }
        guard let lookup else {
            throw self.noSuchChunk(id)
        }
        if let cached = lookup.cached {
            return cached
        }
        let entries = try self.load(id)
        self.mutex.withLock {
            // Only if the chunk was not replaced or removed meanwhile: then what was read is its current content.
            if self.generations[id] == lookup.generation {
                self.cache.insert(id: id, generation: lookup.generation, entries: entries)
            }
        }
        return entries
    }

    /// The entries of `stream` in chunk `id` from revision `fromRevision` on, in order. Answers from the chunk's
    /// footer index without reading the chunk when it holds no such event.
    public func entries(chunk id: UInt64, stream: String, fromRevision: Int64) throws(LogError) -> [ArchiveEntry] {
        guard let info = self.info(of: id) else {
            throw self.noSuchChunk(id)
        }
        guard let range = info.range(of: stream), range.lastRevision >= fromRevision else {
            return []
        }
        return try self.read(chunk: id).filter {
            $0.revision >= fromRevision && $0.stream.utf8.elementsEqual(stream.utf8)
        }
    }

    /// Reads and checks the whole file of chunk `id`. No lock held.
    private func load(_ id: UInt64) throws(LogError) -> [ArchiveEntry] {
        let path = self.path(of: id)
        let files = self.fileSystem
        let handle = try io("open \(path)") { try files.openFile(atPath: path, mode: .read) }
        defer { files.close(handle) }
        let fileBytes = try io("size of \(path)") { try files.size(of: handle) }
        let headerBytes = try Self.read(min(fileBytes, ArchiveChunkFormat.headerBytes), at: 0, of: handle,
                                        path: path, fileSystem: files)
        let header = try headerBytes.withBytes { raw throws(LogError) in
            try ArchiveChunkFormat.parseHeader(raw, path: path, fileBytes: fileBytes, expectedID: id)
        }
        // Body and footer in one read; the header check bounded both and matched them to the file's size.
        let rest = try Self.read(header.bodyBytes + header.footerBytes, at: header.bodyOffset, of: handle, path: path,
                                 fileSystem: files)
        return try rest.withBytes { raw throws(LogError) in
            let streams = try ArchiveChunkFormat.parseFooter(
                UnsafeRawBufferPointer(rebasing: raw[header.bodyBytes...]), header: header, path: path)
            return try ArchiveChunkFormat.decodeBody(
                UnsafeRawBufferPointer(rebasing: raw[..<header.bodyBytes]), header: header, streams: streams,
                path: path)
        }
    }

    /// Reads exactly `count` bytes at `offset`; a shorter file is corruption at the offset where it ends.
    private static func read(_ count: Int, at offset: Int, of handle: FileSystemHandle, path: String,
                             fileSystem: any FileSystem) throws(LogError) -> [UInt8]
    {
        var done = 0
        let bytes = try io("read \(path)") {
            try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                done = try fileSystem.read(handle, into: UnsafeMutableRawBufferPointer(buffer), at: offset)
                initialized = done
            }
        }
        guard done == count else {
            throw LogError.corrupt("file ends at byte \(offset + done), expected \(count) bytes at \(offset)",
                                   path: path, offset: offset + done)
        }
        return bytes
    }

    // MARK: Changing

    /// Writes `entries` as a new chunk and returns its info. The chunk gets the next id (one more than the highest so
    /// far; after a restart, the highest on disk).
    ///
    /// `entries` must be non-empty, at most `configuration.maxEventsPerChunk` events and `maxChunkRawBytes` raw bytes,
    /// with positions (at least 0) strictly increasing and above every existing chunk's `lastPosition`, each stream's
    /// revisions (at least 0) strictly increasing, and stream names within `ArchiveChunkFormat.maxStreamNameBytes`;
    /// otherwise `.invalidArgument` naming the entry and the limit, and nothing is written.
    ///
    /// The file is written as a temporary, fdatasynced, renamed and the directory fsynced: a crash at any point leaves
    /// either no chunk or the whole chunk. Once this returns, the chunk is durable. `.ioFailed` (a full disk, say)
    /// leaves nothing behind; `.fsyncFailed` fails the archive for changes (see the type's documentation), and if
    /// only the directory fsync failed, the chunk is listed (the file is in place) but may not survive a power loss.
    public func seal(_ entries: [ArchiveEntry]) throws(LogError) -> ArchiveChunkInfo {
        try self.validate(entries)
        try self.beginChange()
        defer { self.endChange() }
        let (id, lastPosition) = self.mutex.withLock { (self.nextID, self.infos.last?.lastPosition) }
        if let lastPosition, entries[0].position <= lastPosition {
            throw LogError(code: .invalidArgument, message:
                "seal: first position \(entries[0].position) is not above the archive's last position \(lastPosition)")
        }
        let (file, info) = ArchiveChunkFormat.encode(id: id, entries: entries,
                                                     compressionLevel: self.configuration.compressionLevel)
        try self.install(file, id: id)
        self.mutex.withLock {
            self.infos.append(info)
            self.generations[id] = self.nextGeneration
            self.nextGeneration += 1
            self.nextID = id + 1
            self.totalFileBytes += info.fileBytes
        }
        try self.syncDirectory()
        return info
    }

    /// Physically erases the entries of chunk `id` for which `keeping` returns false: writes a new file holding only
    /// the kept entries, which replaces the old one atomically under the **same id** (so the chunk keeps its place and
    /// every reference to it stays valid; its positions and stream ranges shrink to the kept entries). Returns the new
    /// info, or nil if nothing was kept, in which case the file is removed. Once this returns, the dropped payloads
    /// exist in no file of the directory (the old file is unlinked, no temporary remains).
    ///
    /// If `keeping` keeps every entry, nothing is written and the current info is returned. A crash at any point leaves
    /// the old chunk or the new one, never a mix. Throws like `read` and `seal`, and `.invalidArgument` for an unknown
    /// chunk.
    ///
    /// - Important: `keeping` runs while this change holds the archive's change slot: it may read from the archive but
    ///   must not call `seal`, `rewrite` or `remove` (that would wait for itself forever).
    public func rewrite(chunk id: UInt64, keeping: (ArchiveEntry) -> Bool) throws(LogError) -> ArchiveChunkInfo? {
        try self.beginChange()
        defer { self.endChange() }
        guard let current = self.info(of: id) else {
            throw self.noSuchChunk(id)
        }
        let entries = try self.read(chunk: id)
        let kept = entries.filter(keeping)
        if kept.count == entries.count {
            return current
        }
        if kept.isEmpty {
            try self.removeFile(id: id)
            return nil
        }
        // The kept entries are a subset of a valid chunk, hence valid; the configuration's limits are not re-applied,
        // so a chunk sealed under larger limits can still be rewritten.
        let (file, info) = ArchiveChunkFormat.encode(id: id, entries: kept,
                                                     compressionLevel: self.configuration.compressionLevel)
        try self.install(file, id: id)
        self.mutex.withLock {
            if let index = self.index(of: id) {
                self.totalFileBytes += info.fileBytes - self.infos[index].fileBytes
                self.infos[index] = info
            }
            self.generations[id] = self.nextGeneration
            self.nextGeneration += 1
            self.cache.remove(id: id)
        }
        try self.syncDirectory()
        return info
    }

    /// Removes chunk `id`'s file (and the directory entry durably). Throws `.invalidArgument` for an unknown chunk.
    ///
    /// The id is not reused while the archive is open; after a restart, ids continue from the highest chunk on disk,
    /// so removing the newest chunk lets a later seal reuse its id.
    public func remove(chunk id: UInt64) throws(LogError) {
        try self.beginChange()
        defer { self.endChange() }
        guard self.info(of: id) != nil else {
            throw self.noSuchChunk(id)
        }
        try self.removeFile(id: id)
    }

    /// Unlinks chunk `id`, forgets it, and fsyncs the directory. Caller holds the change slot.
    private func removeFile(id: UInt64) throws(LogError) {
        let path = self.path(of: id)
        let files = self.fileSystem
        try io("remove \(path)") { try files.removeFile(atPath: path) }
        self.mutex.withLock {
            if let index = self.index(of: id) {
                self.totalFileBytes -= self.infos[index].fileBytes
                self.infos.remove(at: index)
            }
            self.generations.removeValue(forKey: id)
            self.cache.remove(id: id)
        }
        try self.syncDirectory()
    }

    /// Writes `file` as chunk `id`'s temporary, fdatasyncs it and renames it over the chunk's name. On failure the
    /// temporary is removed (best effort: `open` removes any that remain). The directory is not yet fsynced.
    private func install(_ file: [UInt8], id: UInt64) throws(LogError) {
        let files = self.fileSystem
        let temporary = self.directory + "/" + ArchiveChunkFormat.temporaryFileName(id: id)
        let final = self.path(of: id)
        let handle = try io("create \(temporary)") { try files.openFile(atPath: temporary, mode: .create) }
        do throws(LogError) {
            try io("write \(temporary)") { try file.withUnsafeBytes { try files.write(handle, $0, at: 0) } }
            do {
                try files.synchronize(handle)
            } catch {
                throw self.failChanges(LogError.wrapping(error, "fdatasync \(temporary)").asFsyncFailure())
            }
            files.close(handle)
            try io("rename \(temporary)") { try files.rename(atPath: temporary, toPath: final) }
        } catch {
            files.close(handle)
            try? files.removeFile(atPath: temporary)
            throw error
        }
    }

    /// Makes the directory's entries durable; a failure fails the archive for changes.
    private func syncDirectory() throws(LogError) {
        do {
            try self.fileSystem.synchronizeDirectory(atPath: self.directory)
        } catch {
            throw self.failChanges(LogError.wrapping(error, "fsync \(self.directory)").asFsyncFailure())
        }
    }

    /// Records a failed fsync so every later change is refused; returns the error to throw.
    private func failChanges(_ error: LogError) -> LogError {
        self.mutex.withLock {
            if self.failure == nil {
                self.failure = error
            }
        }
        return error
    }

    /// Waits until no other change runs, then claims the change slot. Throws the recorded fsync failure, if any.
    private func beginChange() throws(LogError) {
        let failure: LogError? = self.mutex.withLock {
            while self.changing {
                self.changeFinished.wait(self.mutex)
            }
            if let failure = self.failure {
                return failure
            }
            self.changing = true
            return nil
        }
        if let failure {
            throw LogError(code: .fsyncFailed, message: "event archive failed earlier, changes refused until it is "
                           + "reopened: \(failure.message)", path: failure.path, errno: failure.errno)
        }
    }

    private func endChange() {
        self.mutex.withLock {
            self.changing = false
            self.changeFinished.signal()
        }
    }

    /// Checks `entries` against the chunk rules and the configuration's limits (see `seal`).
    private func validate(_ entries: [ArchiveEntry]) throws(LogError) {
        func invalid(_ what: String) -> LogError {
            LogError(code: .invalidArgument, message: "seal: \(what)")
        }
        guard !entries.isEmpty else {
            throw invalid("no entries (a chunk holds at least one event)")
        }
        guard entries.count <= self.configuration.maxEventsPerChunk else {
            throw invalid("\(entries.count) entries exceed maxEventsPerChunk (\(self.configuration.maxEventsPerChunk))")
        }
        var lastRevision: [[UInt8]: Int64] = [:]
        var rawBytes = 0
        var footerBytes = 0
        for (index, entry) in entries.enumerated() {
            guard entry.position >= 0, entry.revision >= 0 else {
                throw invalid("entry \(index) has a negative position or revision")
            }
            if index > 0 && entry.position <= entries[index - 1].position {
                throw invalid("entry \(index) position \(entry.position) does not follow "
                              + "\(entries[index - 1].position)")
            }
            let name = Array(entry.stream.utf8)
            if let previous = lastRevision[name] {
                guard entry.revision > previous else {
                    throw invalid("entry \(index) revision \(entry.revision) of stream \(entry.stream) does not follow "
                                  + "\(previous)")
                }
            } else {
                guard name.count <= ArchiveChunkFormat.maxStreamNameBytes else {
                    throw invalid("entry \(index) stream name of \(name.count) bytes exceeds "
                                  + "ArchiveChunkFormat.maxStreamNameBytes (\(ArchiveChunkFormat.maxStreamNameBytes))")
                }
                footerBytes += ArchiveChunkFormat.streamFixedBytes + name.count
            }
            lastRevision[name] = entry.revision
            rawBytes += ArchiveChunkFormat.entryHeaderBytes + entry.payload.count
            guard rawBytes <= self.configuration.maxChunkRawBytes else {
                throw invalid("entries up to \(index) take more than maxChunkRawBytes "
                              + "(\(self.configuration.maxChunkRawBytes)) raw bytes")
            }
        }
        guard footerBytes <= ArchiveChunkFormat.maxFooterBytes else {
            throw invalid("the stream index of \(footerBytes) bytes exceeds ArchiveChunkFormat.maxFooterBytes "
                          + "(\(ArchiveChunkFormat.maxFooterBytes))")
        }
    }

    /// The directory containing `path`.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else {
            return "."
        }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Runs a `FileSystem` call, turning its error into a `LogError` (`.ioFailed` unless it already is one).
private func io<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws(LogError) -> T {
    do {
        return try body()
    } catch {
        throw LogError.wrapping(error, what())
    }
}

/// Runs a `FileSystem` sync call, labelling its failure `.fsyncFailed`.
private func sync(_ what: @autoclosure () -> String, _ body: () throws -> Void) throws(LogError) {
    do {
        try body()
    } catch {
        throw LogError.wrapping(error, what()).asFsyncFailure()
    }
}

extension [UInt8] {
    /// `withUnsafeBytes` for a body with typed throws (the standard one rethrows untyped errors).
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(LogError) -> T) throws(LogError) -> T {
        let result = self.withUnsafeBytes { raw in
            Result { () throws(LogError) in try body(raw) }
        }
        return try result.get()
    }
}
