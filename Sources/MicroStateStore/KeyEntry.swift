import DequeModule
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes of one version of a key in one allocation: `[key length: UInt16 LE][key][value]`.
///
/// One array per version instead of two (key and value) saves an allocation header and malloc rounding per
/// key (≈ 48 bytes), which is what keeps 1M small keys under 2× their raw size. A tombstone's blob has no
/// value. Blobs are immutable once built and shared (copy-on-write) by the B-tree, older versions, history
/// events and separator keys.
enum Blob {
    /// Builds a blob with exactly the needed capacity.
    @inline(__always)
    static func make(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> [UInt8] {
        precondition(key.count <= Int(UInt16.max), "key longer than 65535 bytes")
        let total = 2 + key.count + value.count
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            buffer[0] = UInt8(truncatingIfNeeded: key.count)
            buffer[1] = UInt8(truncatingIfNeeded: key.count >> 8)
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            if key.count > 0 {
                (base + 2).copyMemory(from: key.baseAddress!, byteCount: key.count)
            }
            if value.count > 0 {
                (base + 2 + key.count).copyMemory(from: value.baseAddress!, byteCount: value.count)
            }
            initialized = total
        }
    }

    /// Builds a blob from arrays.
    static func make(key: [UInt8], value: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in Self.make(key: keyBytes, value: valueBytes) }
        }
    }

    /// The key's length in a blob.
    @inline(__always)
    static func keyCount(_ blob: [UInt8]) -> Int {
        Int(blob[0]) | Int(blob[1]) << 8
    }

    /// A copy of the key.
    static func key(_ blob: [UInt8]) -> [UInt8] {
        Array(blob[2..<(2 + Self.keyCount(blob))])
    }

    /// A copy of the value.
    static func value(_ blob: [UInt8]) -> [UInt8] {
        Array(blob[(2 + Self.keyCount(blob))...])
    }

    /// The value's length.
    @inline(__always)
    static func valueCount(_ blob: [UInt8]) -> Int {
        blob.count - 2 - Self.keyCount(blob)
    }

    /// Compares `key` with the key in `blob` bytewise: negative, zero or positive.
    @inline(__always)
    static func compare(_ key: UnsafeRawBufferPointer, _ blob: [UInt8]) -> Int {
        blob.withUnsafeBytes { bytes in
            let count = Int(bytes[0]) | Int(bytes[1]) << 8
            let common = min(key.count, count)
            if common > 0 {
                let order = memcmp(key.baseAddress!, bytes.baseAddress! + 2, common)
                if order != 0 {
                    return Int(order)
                }
            }
            return key.count - count
        }
    }

    /// Whether the key in `blob` starts with `prefix`.
    @inline(__always)
    static func hasPrefix(_ blob: [UInt8], _ prefix: UnsafeRawBufferPointer) -> Bool {
        blob.withUnsafeBytes { bytes in
            let count = Int(bytes[0]) | Int(bytes[1]) << 8
            guard count >= prefix.count else {
                return false
            }
            return prefix.count == 0 || memcmp(prefix.baseAddress!, bytes.baseAddress! + 2, prefix.count) == 0
        }
    }
}

/// One version of a key: its bytes and MVCC fields. `version == 0` marks a tombstone (the key was deleted at
/// `modRevision`).
struct KeyVersion {
    var blob: [UInt8]
    var createRevision: Int64
    var modRevision: Int64
    var version: Int64

    var isTombstone: Bool { self.version == 0 }
}

extension StoreKeyValue {
    /// The public view of one stored (non-tombstone) version of `key`.
    init(key: [UInt8], version: KeyVersion) {
        self.init(
            key: key,
            value: Blob.value(version.blob),
            createRevision: version.createRevision,
            modRevision: version.modRevision,
            version: version.version
        )
    }
}

/// An older version kept for reads at past revisions, with the TTL deadline it had.
struct OlderVersion {
    var version: KeyVersion
    var deadline: Int64
}

/// What a key needs beyond its latest version; absent (nil) for the common key with one version and no TTL.
final class KeyExtra {
    /// The latest version's TTL deadline in wall-clock milliseconds; 0 = none.
    var deadline: Int64 = 0
    /// Older versions, oldest first, each with `modRevision` below the latest's; trimmed by compaction.
    /// A Deque, so compaction drops the oldest in O(dropped): a hot key can hold 100k versions.
    var older: Deque<OlderVersion> = []

    /// Index of the first older version with `modRevision > revision` (binary search; `older` ascends).
    func firstOlder(after revision: Int64) -> Int {
        var low = 0
        var high = self.older.count
        while low < high {
            let middle = (low + high) / 2
            if self.older[middle].version.modRevision <= revision {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}

/// One key in the B-tree: its latest version (possibly a tombstone) and optional history. 40 bytes.
struct KeyEntry {
    var latest: KeyVersion
    var extra: KeyExtra?

    /// The latest version's TTL deadline (0 = none).
    var deadline: Int64 { self.extra?.deadline ?? 0 }

    /// The version visible at `revision`, with its deadline, or nil when the key did not exist then.
    ///
    /// The caller guarantees `revision >= compactRevision`, so the version at it is retained.
    @inline(__always)
    func version(at revision: Int64) -> (KeyVersion, Int64)? {
        if self.latest.modRevision <= revision {
            return self.latest.isTombstone ? nil : (self.latest, self.extra?.deadline ?? 0)
        }
        guard let extra = self.extra else {
            return nil
        }
        // The newest older version at or below `revision`, found by binary search (O(log versions)).
        let index = extra.firstOlder(after: revision) - 1
        guard index >= 0 else {
            return nil
        }
        let older = extra.older[index]
        return older.version.isTombstone ? nil : (older.version, older.deadline)
    }
}
