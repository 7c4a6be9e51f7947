/// On-disk format of the log. All integers are little-endian. Version 2.
///
/// Segment file `NNNNNNNNNNNNNNNNNNNN.wal` (20-digit first index):
///
///     header (32 bytes): magic "MSDB-WAL" | version u32 | header bytes u32 (32) | first index u64
///                        | crc u32 = CRC32C(bytes 0..<24) | reserved u32 (0)
///     records:           crc u32 | payload length u32 | index u64 | payload
///                        crc = CRC32C(payload ‖ length ‖ index)
///     remainder:         zero bytes up to the file's length (version 2)
///
/// Version 2 (docs/adr/0003) creates segments at their full size before records go in, so every segment may end
/// in zeros after its last record; version 1 segments end at their last record. The framing is the same, and a
/// 16-byte zero header can never be a record (indexes start at 1), so "zeros after the last record" is the clean
/// end. Readers accept both versions; the version was bumped so a version 1 reader refuses a version 2 log by
/// version instead of calling a zero remainder corruption.
///
/// The record CRC covers the index, so a record written to the wrong place (or a stale block) is detected, and it
/// covers the payload first so appenders checksum the payload outside the queue lock and only add the 12 header
/// bytes once the index is known. The first record of a segment has the index in the file name; each next record
/// has the previous index + 1.
/// The 32-byte header segments and snapshots share: magic u64 | version u32 | header bytes u32 (32) | value u64
/// (a segment's first index, a snapshot's last covered index) | crc u32 = CRC32C(bytes 0..<24) | reserved u32 (0).
enum FileHeader {
    static let bytes = 32

    static func encode(magic: UInt64, version: UInt32, value: UInt64) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: Self.bytes)
        header.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: UInt32(Self.bytes).littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: value.littleEndian, toByteOffset: 16, as: UInt64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<24]))
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 24, as: UInt32.self)
        }
        return header
    }
}

enum SegmentFormat {
    static let magic: UInt64 = 0x4C41_572D_4244_534D  // "MSDB-WAL" read as little-endian u64
    static let version: UInt32 = 2
    static let readableVersions: ClosedRange<UInt32> = 1...2
    static let headerBytes = FileHeader.bytes
    static let fileExtension = ".wal"
    /// The next segment, zero-filled ahead of need and renamed to its `.wal` name when the log rolls into it.
    static let spareFileName = "next-segment.spare"
    /// A spare being prepared; renamed to `spareFileName` once zero-filled and synced.
    static let spareTemporaryFileName = "next-segment.spare.tmp"

    static func header(firstIndex: UInt64) -> [UInt8] {
        FileHeader.encode(magic: Self.magic, version: Self.version, value: firstIndex)
    }

    /// Parses a header; returns the first index, or a reason it is invalid.
    static func parseHeader(_ raw: UnsafeRawBufferPointer) -> Result<UInt64, HeaderProblem> {
        guard raw.count >= Self.headerBytes else { return .failure(.short) }
        if raw[0..<Self.headerBytes].allSatisfy({ $0 == 0 }) { return .failure(.zeroed) }
        let crc = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
        guard crc == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<24])) else {
            return .failure(.invalid("segment header checksum mismatch"))
        }
        guard UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) == Self.magic else {
            return .failure(.invalid("not a MicroStateDB segment (bad magic)"))
        }
        let version = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard Self.readableVersions.contains(version) else {
            return .failure(.invalid("unsupported segment format version \(version)"))
        }
        guard UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) == Self.headerBytes else {
            return .failure(.invalid("unexpected segment header length"))
        }
        guard raw.loadUnaligned(fromByteOffset: 28, as: UInt32.self) == 0 else {
            // Reserved bytes are outside the CRC; requiring zero keeps every header bit checked.
            return .failure(.invalid("reserved segment header bytes are not zero"))
        }
        return .success(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
    }

    enum HeaderProblem: Error {
        /// Shorter than a header: a crash while creating the file.
        case short
        /// All zero bytes: the file was extended but the header never reached the disk.
        case zeroed
        case invalid(String)
    }

    static func fileName(firstIndex: UInt64) -> String {
        LogFileNames.name(index: firstIndex, extension: Self.fileExtension)
    }
}

enum RecordFormat {
    static let headerBytes = 16

    /// The record checksum: CRC32C(payload ‖ length ‖ index), given the payload's own CRC32C.
    @inline(__always)
    static func checksum(payloadCRC: UInt32, length: UInt32, index: UInt64) -> UInt32 {
        var trailer = (length.littleEndian, UInt32(0), index.littleEndian)
        return withUnsafeBytes(of: &trailer) { raw in
            // The tuple is laid out length(4) | padding(4) | index(8); checksum length then index.
            let afterLength = CRC32C.update(payloadCRC, UnsafeRawBufferPointer(rebasing: raw[0..<4]))
            return CRC32C.update(afterLength, UnsafeRawBufferPointer(rebasing: raw[8..<16]))
        }
    }

    /// Writes a record header for `payload` at `destination`.
    @inline(__always)
    static func storeHeader(_ destination: UnsafeMutableRawPointer, crc: UInt32, length: UInt32, index: UInt64) {
        destination.storeBytes(of: crc.littleEndian, toByteOffset: 0, as: UInt32.self)
        destination.storeBytes(of: length.littleEndian, toByteOffset: 4, as: UInt32.self)
        destination.storeBytes(of: index.littleEndian, toByteOffset: 8, as: UInt64.self)
    }
}

/// Snapshot file `NNNNNNNNNNNNNNNNNNNN.snap` (20-digit index of the last record it covers), written as
/// `….snap.tmp`, fsynced, then renamed (and the directory fsynced):
///
///     header (32 bytes): magic "MSDBSNAP" | version u32 | header bytes u32 (32) | index u64
///                        | crc u32 = CRC32C(bytes 0..<24) | reserved u32 (0)
///     chunks:            length u32 (1...chunk limit) | crc u32 = CRC32C(data ‖ length ‖ payload offset u64) | data
///     end:               0xFFFFFFFF u32 | crc u32 = CRC32C(total u64 ‖ 0xFFFFFFFF) | total payload bytes u64
///
/// Nothing may follow the end frame. Per-chunk CRCs locate damage to a chunk; the end frame proves completeness.
enum SnapshotFormat {
    static let magic: UInt64 = 0x5041_4E53_4244_534D  // "MSDBSNAP"
    static let version: UInt32 = 1
    static let headerBytes = FileHeader.bytes
    static let frameHeaderBytes = 8
    static let endMarker: UInt32 = 0xFFFF_FFFF
    static let endFrameBytes = 16
    static let fileExtension = ".snap"
    static let temporaryExtension = ".snap.tmp"

    static func header(index: UInt64) -> [UInt8] {
        FileHeader.encode(magic: Self.magic, version: Self.version, value: index)
    }

    static func chunkCRC(_ data: UnsafeRawBufferPointer, payloadOffset: UInt64) -> UInt32 {
        var crc = CRC32C.checksum(data)
        crc = CRC32C.update(crc, littleEndian: UInt32(data.count))
        return CRC32C.update(crc, littleEndian: payloadOffset)
    }

    static func endCRC(total: UInt64) -> UInt32 {
        CRC32C.update(CRC32C.update(0, littleEndian: total), littleEndian: Self.endMarker)
    }

    static func fileName(index: UInt64) -> String {
        LogFileNames.name(index: index, extension: Self.fileExtension)
    }
}

enum LogFileNames {
    static let digits = 20

    static func name(index: UInt64, extension fileExtension: String) -> String {
        let number = String(index)
        return String(repeating: "0", count: Self.digits - number.count) + number + fileExtension
    }

    /// The index in a name of exactly 20 decimal digits followed by `fileExtension`, or nil.
    static func index(of name: String, extension fileExtension: String) -> UInt64? {
        guard name.hasSuffix(fileExtension) else { return nil }
        let stem = name.dropLast(fileExtension.count)
        guard stem.count == Self.digits, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(stem)
    }
}
