/// An open file of a `FileSystem`; a POSIX descriptor for `PosixFileSystem`.
public struct FileSystemHandle: Hashable, Sendable {
    /// The descriptor (or the simulated file system's equivalent).
    public var rawValue: Int32

    /// Wraps a descriptor.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }
}

/// How `FileSystem.openFile` opens a file.
public enum FileOpenMode: Sendable {
    /// Read only; the file must exist.
    case read
    /// Read and write; the file must exist.
    case readWrite
    /// Read and write; creates the file, truncating any existing one.
    case create
}

/// The file operations the log needs, injected so tests can crash the "disk" and inject failures
/// (DESIGN.md: the engine does no I/O except through an injected file system).
///
/// Every method throws `LogError` with code `.ioFailed` (the log re-labels failures of the sync calls as
/// `.fsyncFailed`). Paths are absolute or relative to the working directory, `/`-separated.
public protocol FileSystem: Sendable {
    /// Creates `path` and any missing parents; succeeds if it already exists.
    func createDirectory(atPath path: String) throws
    /// The names (not paths) of the entries of directory `path`, in no particular order.
    func contentsOfDirectory(atPath path: String) throws -> [String]
    /// Opens a file.
    func openFile(atPath path: String, mode: FileOpenMode) throws -> FileSystemHandle
    /// Reads up to `buffer.count` bytes at `offset` (`pread`), fewer only at end of file. Returns the count read.
    func read(_ handle: FileSystemHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int
    /// Writes all of `bytes` at `offset` (`pwrite`, repeated until done).
    func write(_ handle: FileSystemHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws
    /// Makes the file's data durable (`fdatasync`).
    func synchronize(_ handle: FileSystemHandle) throws
    /// Allocates disk blocks for `offset..<offset + length`, extending the file's length to at least
    /// `offset + length` (`posix_fallocate`). Bytes never written read as zeros. Like a write, the new length is
    /// durable only after `synchronize`.
    ///
    /// The log preallocates segment files so appends overwrite allocated blocks and `fdatasync` needs no journal
    /// commit for a size change (docs/adr/0003). Throws `.ioFailed` with `errno` `ENOSPC` (28) when the disk is full.
    func allocate(_ handle: FileSystemHandle, offset: Int, length: Int) throws
    /// Sets the file's length (`ftruncate`).
    func truncate(_ handle: FileSystemHandle, to size: Int) throws
    /// The file's length in bytes.
    func size(of handle: FileSystemHandle) throws -> Int
    /// Closes the handle. Never throws: there is nothing useful to do about a failed close of a synced file.
    func close(_ handle: FileSystemHandle)
    /// Atomically renames `source` to `destination`, replacing it (`rename(2)`).
    func rename(atPath source: String, toPath destination: String) throws
    /// Removes a file (`unlink`).
    func removeFile(atPath path: String) throws
    /// Makes the directory's entries (creations, renames, removals) durable (`fsync` of the directory).
    func synchronizeDirectory(atPath path: String) throws
}
