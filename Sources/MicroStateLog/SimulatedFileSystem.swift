import Foundation

/// An in-memory `FileSystem` for tests (of the log and of the layers above it), in the spirit of FoundationDB's
/// simulation: it tracks which bytes are durable (synced) and which were only written, and can crash.
///
/// - `crash(keepingUnsyncedBytes:)` is a power loss: every file goes back to what was synced, plus optionally a prefix
///   of the unsynced writes in the order they were made (a torn write); directory entries go back to what was
///   synced with `synchronizeDirectory` of their own directory (a created, renamed or removed name is durable only
///   after that). Open handles become invalid.
/// - `halt(afterOperations:tornBytes:)` stops the "process" at a chosen mutating operation: that operation (a write
///   keeps only its first `tornBytes` bytes) and everything after it fail, as if the process died there.
/// - `failWrites` / `failSyncs` inject `EIO`-like failures without halting; `capacity` makes writes and allocations
///   that would grow the files past it fail with `ENOSPC`.
/// - `allocate` extends a file with zeros like `posix_fallocate`; the new length survives a crash once synced.
///
/// Not for production: everything is held in memory behind one lock.
public final class SimulatedFileSystem: FileSystem, @unchecked Sendable {
    private final class File {
        var data: [UInt8] = []
        var durable: [UInt8] = []
    }

    private enum Operation {
        case write(File, offset: Int, bytes: [UInt8])
        case truncate(File, size: Int)
        case allocate(File, size: Int)
    }

    private let mutex = PThreadMutex()
    private var names: [String: File] = [:]
    private var durableNames: [String: File] = [:]
    private var directories: Set<String> = []
    private var handles: [Int32: File] = [:]
    private var nextHandle: Int32 = 3
    private var unsynced: [Operation] = []
    private var operationCount = 0
    private var operationNames: [String] = []
    private var haltAt: Int?
    private var haltTornBytes = 0
    private var halted = false
    private var writesFailing = false
    private var syncsFailing = false
    private var capacityBytes: Int?

    /// Creates an empty file system.
    public init() {}

    /// Mutating operations (create, write, sync, truncate, rename, remove, directory sync) performed so far.
    public var mutatingOperations: Int {
        self.mutex.withLock { self.operationCount }
    }

    /// Bytes written but not yet synced, in all files: the range `crash(keepingUnsyncedBytes:)` can keep a prefix of.
    public var unsyncedBytes: Int {
        self.mutex.withLock {
            self.unsynced.reduce(0) { total, operation in
                if case .write(_, _, let bytes) = operation { return total + bytes.count }
                return total
            }
        }
    }

    /// The kind of each mutating operation so far ("write", "fdatasync", "create", …), in order; element `n - 1`
    /// is operation `n` of `halt(atOperation:)`.
    public var operationKinds: [String] {
        self.mutex.withLock { self.operationNames }
    }

    /// Whether `halt` has taken effect.
    public var isHalted: Bool {
        self.mutex.withLock { self.halted }
    }

    /// When true, `write` fails.
    public var failWrites: Bool {
        get { self.mutex.withLock { self.writesFailing } }
        set { self.mutex.withLock { self.writesFailing = newValue } }
    }

    /// When true, `synchronize` and `synchronizeDirectory` fail.
    public var failSyncs: Bool {
        get { self.mutex.withLock { self.syncsFailing } }
        set { self.mutex.withLock { self.syncsFailing = newValue } }
    }

    /// When set, a write or allocation that would make the visible files hold more than this many bytes in total
    /// fails with `ENOSPC` (errno 28) and changes nothing: a full disk.
    public var capacity: Int? {
        get { self.mutex.withLock { self.capacityBytes } }
        set { self.mutex.withLock { self.capacityBytes = newValue } }
    }

    /// Makes mutating operation number `operation` (1-based, counted since creation; see `mutatingOperations`) and
    /// every later operation fail; if it is a write, its first `tornBytes` bytes are written first.
    public func halt(atOperation operation: Int, tornBytes: Int = 0) {
        self.mutex.withLock {
            self.haltAt = operation
            self.haltTornBytes = tornBytes
        }
    }

    /// An independent copy of the whole file system (files, durability state, unsynced writes, halt and faults);
    /// open handles are not copied. Lets a test explore several crash outcomes of one run.
    public func copy() -> SimulatedFileSystem {
        self.mutex.withLock {
            let other = SimulatedFileSystem()
            var map: [ObjectIdentifier: File] = [:]
            func clone(_ file: File) -> File {
                if let existing = map[ObjectIdentifier(file)] { return existing }
                let copy = File()
                copy.data = file.data
                copy.durable = file.durable
                map[ObjectIdentifier(file)] = copy
                return copy
            }
            other.names = self.names.mapValues(clone)
            other.durableNames = self.durableNames.mapValues(clone)
            other.directories = self.directories
            other.unsynced = self.unsynced.map { operation in
                switch operation {
                case .write(let file, let offset, let bytes): return .write(clone(file), offset: offset, bytes: bytes)
                case .truncate(let file, let size): return .truncate(clone(file), size: size)
                case .allocate(let file, let size): return .allocate(clone(file), size: size)
                }
            }
            other.operationCount = self.operationCount
            other.haltAt = self.haltAt
            other.haltTornBytes = self.haltTornBytes
            other.halted = self.halted
            other.writesFailing = self.writesFailing
            other.syncsFailing = self.syncsFailing
            other.capacityBytes = self.capacityBytes
            return other
        }
    }

    /// Simulates a power loss (see the type's documentation) and clears any halt and injected failure.
    public func crash(keepingUnsyncedBytes keep: Int = 0) {
        self.mutex.withLock {
            var budget = keep
            var files = Set<ObjectIdentifier>()
            var touched: [File] = []
            func base(_ file: File) {
                if files.insert(ObjectIdentifier(file)).inserted {
                    file.data = file.durable
                    touched.append(file)
                }
            }
            for file in self.names.values { base(file) }
            for file in self.durableNames.values { base(file) }
            for operation in self.unsynced {
                switch operation {
                case .write(let file, let offset, let bytes):
                    guard budget > 0 else { break }
                    let count = min(budget, bytes.count)
                    budget -= count
                    Self.apply(file: file, offset: offset, bytes: bytes[0..<count])
                case .truncate(let file, let size):
                    if budget > 0 {
                        file.data = Array(file.data.prefix(size))
                    }
                case .allocate(let file, let size):
                    // Like a truncate: kept only while the crash still keeps the operations before it.
                    if budget > 0 {
                        Self.extend(file, to: size)
                    }
                }
            }
            for file in touched {
                file.durable = file.data
            }
            self.unsynced = []
            self.names = self.durableNames
            self.handles = [:]
            self.haltAt = nil
            self.halted = false
            self.writesFailing = false
            self.syncsFailing = false
        }
    }

    /// A process crash (not a power loss): everything written stays. Clears any halt and open handles.
    public func restartProcess() {
        self.mutex.withLock {
            self.handles = [:]
            self.haltAt = nil
            self.halted = false
            self.writesFailing = false
            self.syncsFailing = false
        }
    }

    /// The visible contents of a file, for assertions and for corrupting it.
    public func contents(atPath path: String) -> [UInt8]? {
        self.mutex.withLock { self.names[Self.normalize(path)]?.data }
    }

    /// Replaces a file's contents, durably (to inject corruption).
    public func setContents(_ bytes: [UInt8], atPath path: String) {
        self.mutex.withLock {
            let path = Self.normalize(path)
            let file = self.names[path] ?? File()
            file.data = bytes
            file.durable = bytes
            self.names[path] = file
            self.durableNames[path] = file
        }
    }

    /// Paths of every visible file, sorted.
    public var allFiles: [String] {
        self.mutex.withLock { self.names.keys.sorted() }
    }

    private static func normalize(_ path: String) -> String {
        var result = path
        while result.contains("//") {
            result = result.replacingOccurrences(of: "//", with: "/")
        }
        while result.count > 1 && result.hasSuffix("/") {
            result.removeLast()
        }
        return result
    }

    private static func apply(file: File, offset: Int, bytes: ArraySlice<UInt8>) {
        Self.extend(file, to: offset + bytes.count)
        bytes.withUnsafeBytes { source in
            file.data.withUnsafeMutableBytes { destination in
                guard let from = source.baseAddress, source.count > 0 else { return }
                (destination.baseAddress! + offset).copyMemory(from: from, byteCount: source.count)
            }
        }
    }

    /// Grows `file` with zero bytes to `size` (no-op if it is not shorter). Bulk copies, not per-byte generic code:
    /// tests run unoptimised and preallocated segments are large.
    private static func extend(_ file: File, to size: Int) {
        let missing = size - file.data.count
        guard missing > 0 else { return }
        file.data.append(contentsOf: [UInt8](unsafeUninitializedCapacity: missing) { buffer, count in
            _ = memset(buffer.baseAddress!, 0, missing)
            count = missing
        })
    }

    private func failure(_ what: String) -> LogError {
        LogError(code: .ioFailed, message: "simulated \(what) failure", errno: 5)
    }

    private func noSpace(_ what: String) -> LogError {
        LogError(code: .ioFailed, message: "simulated \(what) failure: No space left on device (errno 28)", errno: 28)
    }

    /// Whether growing `file` to `size` bytes stays within `capacity`. Caller holds the mutex.
    private func fits(_ file: File, size: Int) -> Bool {
        guard let capacity = self.capacityBytes, size > file.data.count else { return true }
        var seen = Set<ObjectIdentifier>()
        var used = 0
        for other in self.names.values where seen.insert(ObjectIdentifier(other)).inserted {
            used += other.data.count
        }
        return used + size - file.data.count <= capacity
    }

    /// Counts one mutating operation; throws if the process is halted at or before it. Caller holds the mutex.
    private func mutate(_ what: String) throws -> Bool {
        if self.halted {
            throw self.failure(what + " (halted)")
        }
        self.operationCount += 1
        self.operationNames.append(what)
        if let haltAt = self.haltAt, self.operationCount >= haltAt {
            self.halted = true
            return true
        }
        return false
    }

    private func file(_ handle: FileSystemHandle) throws -> File {
        guard let file = self.handles[handle.rawValue] else {
            throw LogError(code: .ioFailed, message: "bad simulated handle \(handle.rawValue)", errno: 9)
        }
        return file
    }

    public func createDirectory(atPath path: String) throws {
        self.mutex.withLock { _ = self.directories.insert(Self.normalize(path)) }
    }

    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        try self.mutex.withLock {
            if self.halted { throw self.failure("list (halted)") }
            let prefix = Self.normalize(path) + "/"
            return self.names.keys.compactMap { name in
                guard name.hasPrefix(prefix) else { return nil }
                let rest = name.dropFirst(prefix.count)
                return rest.contains("/") ? nil : String(rest)
            }
        }
    }

    public func openFile(atPath path: String, mode: FileOpenMode) throws -> FileSystemHandle {
        try self.mutex.withLock {
            let path = Self.normalize(path)
            let file: File
            switch mode {
            case .read, .readWrite:
                if self.halted { throw self.failure("open (halted)") }
                guard let existing = self.names[path] else {
                    throw LogError(code: .ioFailed, message: "no such simulated file \(path)", path: path, errno: 2)
                }
                file = existing
            case .create:
                if try self.mutate("create") { throw self.failure("create (halted)") }
                if let existing = self.names[path] {
                    existing.data = []
                    self.unsynced.append(.truncate(existing, size: 0))
                    file = existing
                } else {
                    file = File()
                    self.names[path] = file
                }
            }
            let handle = self.nextHandle
            self.nextHandle += 1
            self.handles[handle] = file
            return FileSystemHandle(rawValue: handle)
        }
    }

    public func read(_ handle: FileSystemHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws
        -> Int
    {
        try self.mutex.withLock {
            let file = try self.file(handle)
            guard offset < file.data.count else { return 0 }
            let count = min(buffer.count, file.data.count - offset)
            file.data.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
            return count
        }
    }

    public func write(_ handle: FileSystemHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try self.mutex.withLock {
            let file = try self.file(handle)
            if self.writesFailing {
                _ = try self.mutate("write")
                throw self.failure("write")
            }
            let haltsHere = try self.mutate("write")
            if !self.fits(file, size: offset + bytes.count) {
                throw self.noSpace("write")
            }
            let count = haltsHere ? min(self.haltTornBytes, bytes.count) : bytes.count
            let written = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 {
                    UnsafeMutableRawBufferPointer(buffer)
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
                }
                initialized = count
            }
            Self.apply(file: file, offset: offset, bytes: written[...])
            self.unsynced.append(.write(file, offset: offset, bytes: written))
            if haltsHere { throw self.failure("write (halted)") }
        }
    }

    public func synchronize(_ handle: FileSystemHandle) throws {
        try self.mutex.withLock {
            let file = try self.file(handle)
            if try self.mutate("fdatasync") || self.syncsFailing { throw self.failure("fdatasync") }
            file.durable = file.data
            self.unsynced.removeAll { operation in
                switch operation {
                case .write(let other, _, _), .truncate(let other, _), .allocate(let other, _): return other === file
                }
            }
        }
    }

    public func truncate(_ handle: FileSystemHandle, to size: Int) throws {
        try self.mutex.withLock {
            let file = try self.file(handle)
            if try self.mutate("truncate") { throw self.failure("truncate (halted)") }
            file.data = Array(file.data.prefix(size)) + repeatElement(0, count: max(0, size - file.data.count))
            self.unsynced.append(.truncate(file, size: size))
        }
    }

    public func allocate(_ handle: FileSystemHandle, offset: Int, length: Int) throws {
        try self.mutex.withLock {
            let file = try self.file(handle)
            if try self.mutate("fallocate") { throw self.failure("fallocate (halted)") }
            let size = offset + length
            guard size > file.data.count else { return }
            guard self.fits(file, size: size) else { throw self.noSpace("fallocate") }
            Self.extend(file, to: size)
            self.unsynced.append(.allocate(file, size: size))
        }
    }

    public func size(of handle: FileSystemHandle) throws -> Int {
        try self.mutex.withLock { try self.file(handle).data.count }
    }

    public func close(_ handle: FileSystemHandle) {
        self.mutex.withLock { _ = self.handles.removeValue(forKey: handle.rawValue) }
    }

    public func rename(atPath source: String, toPath destination: String) throws {
        try self.mutex.withLock {
            if try self.mutate("rename") { throw self.failure("rename (halted)") }
            guard let file = self.names.removeValue(forKey: Self.normalize(source)) else {
                throw LogError(code: .ioFailed, message: "no such simulated file \(source)", path: source, errno: 2)
            }
            self.names[Self.normalize(destination)] = file
        }
    }

    public func removeFile(atPath path: String) throws {
        try self.mutex.withLock {
            if try self.mutate("unlink") { throw self.failure("unlink (halted)") }
            guard self.names.removeValue(forKey: Self.normalize(path)) != nil else {
                throw LogError(code: .ioFailed, message: "no such simulated file \(path)", path: path, errno: 2)
            }
        }
    }

    public func synchronizeDirectory(atPath path: String) throws {
        try self.mutex.withLock {
            if try self.mutate("fsync directory") || self.syncsFailing { throw self.failure("fsync directory") }
            // Only the directory's own entries: an fsync of `/data` does not make a rename inside `/data/events`
            // durable, just as on a real file system.
            let prefix = Self.normalize(path) + "/"
            func isEntry(_ name: String) -> Bool {
                name.hasPrefix(prefix) && !name.dropFirst(prefix.count).contains("/")
            }
            for name in self.durableNames.keys where isEntry(name) && self.names[name] == nil {
                self.durableNames.removeValue(forKey: name)
            }
            for (name, file) in self.names where isEntry(name) {
                self.durableNames[name] = file
            }
        }
    }
}
