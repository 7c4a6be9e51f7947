#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system: POSIX calls, retried on `EINTR`.
public struct PosixFileSystem: FileSystem {
    /// Creates the file system.
    public init() {}

    private static func failure(_ what: String, _ path: String? = nil, errno code: Int32 = errno) -> LogError {
        let reason = String(cString: strerror(code))
        let subject = path.map { " \($0)" } ?? ""
        return LogError(code: .ioFailed, message: "\(what)\(subject) failed: \(reason) (errno \(code))", path: path,
                        errno: code)
    }

    public func createDirectory(atPath path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw Self.failure("mkdir", prefix)
            }
            prefix += "/"
        }
    }

    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        guard let directory = opendir(path) else {
            throw Self.failure("opendir", path)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." {
                names.append(name)
            }
        }
        return names
    }

    public func openFile(atPath path: String, mode: FileOpenMode) throws -> FileSystemHandle {
        let flags: Int32
        switch mode {
        case .read: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .create: flags = O_RDWR | O_CREAT | O_TRUNC
        }
        while true {
            let descriptor = open(path, flags | O_CLOEXEC, 0o644)
            if descriptor >= 0 {
                return FileSystemHandle(rawValue: descriptor)
            }
            if errno != EINTR {
                throw Self.failure("open", path)
            }
        }
    }

    public func read(_ handle: FileSystemHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws
        -> Int
    {
        var done = 0
        while done < buffer.count {
            let result = pread(handle.rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.failure("pread")
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    public func write(_ handle: FileSystemHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let result = pwrite(handle.rawValue, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.failure("pwrite")
            }
            done += result
        }
    }

    public func synchronize(_ handle: FileSystemHandle) throws {
        #if canImport(Darwin)
        // fsync on Darwin does not flush the drive cache; F_FULLFSYNC does.
        let result = fcntl(handle.rawValue, F_FULLFSYNC)
        #else
        let result = fdatasync(handle.rawValue)
        #endif
        if result != 0 {
            // No EINTR retry: a failed sync may have dropped the dirty pages, so it is final (fsyncgate).
            throw Self.failure("fdatasync")
        }
    }

    public func allocate(_ handle: FileSystemHandle, offset: Int, length: Int) throws {
        precondition(offset >= 0 && length >= 0, "allocate: negative range")
        guard length > 0 else { return }
        #if canImport(Glibc)
        while true {
            // posix_fallocate returns the error number instead of setting errno. On a file system without
            // fallocate support glibc emulates it by writing a byte per block, which still allocates.
            let result = posix_fallocate(handle.rawValue, off_t(offset), off_t(length))
            if result == 0 { return }
            if result != EINTR { throw Self.failure("posix_fallocate", errno: result) }
        }
        #else
        // Darwin has no posix_fallocate; extending the length is enough for the log's needs (reads as zeros).
        if try self.size(of: handle) < offset + length {
            try self.truncate(handle, to: offset + length)
        }
        #endif
    }

    public func truncate(_ handle: FileSystemHandle, to size: Int) throws {
        while ftruncate(handle.rawValue, off_t(size)) != 0 {
            if errno != EINTR { throw Self.failure("ftruncate") }
        }
    }

    public func size(of handle: FileSystemHandle) throws -> Int {
        var info = stat()
        if fstat(handle.rawValue, &info) != 0 {
            throw Self.failure("fstat")
        }
        return Int(info.st_size)
    }

    public func close(_ handle: FileSystemHandle) {
        // Never retry close on EINTR on Linux: the descriptor is already released.
        _ = systemClose(handle.rawValue)
    }

    public func rename(atPath source: String, toPath destination: String) throws {
        #if canImport(Glibc)
        let result = Glibc.rename(source, destination)
        #else
        let result = Darwin.rename(source, destination)
        #endif
        if result != 0 {
            throw Self.failure("rename \(source) to", destination)
        }
    }

    public func removeFile(atPath path: String) throws {
        if unlink(path) != 0 {
            throw Self.failure("unlink", path)
        }
    }

    public func synchronizeDirectory(atPath path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor < 0 {
            throw Self.failure("open directory", path)
        }
        defer { _ = systemClose(descriptor) }
        if fsync(descriptor) != 0 {
            throw Self.failure("fsync directory", path)
        }
    }
}

@inline(__always)
private func systemClose(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(descriptor)
    #else
    return Darwin.close(descriptor)
    #endif
}
