import MicroStateCompression

/// On-disk format of an event archive chunk. All integers are little-endian. Version 1.
///
/// Chunk file `NNNNNNNNNNNNNNNNNNNN.chunk` (20-digit chunk id), written as `….chunk.tmp`, fdatasynced, renamed, and
/// the directory fsynced (docs/durability.md, "Event archive"):
///
///     header (80 bytes): magic "MSDB-ARC" u64 | version u32 (1) | header bytes u32 (80) | chunk id u64
///                        | first position i64 | last position i64 | event count u32 | stream count u32
///                        | raw bytes u64 | body bytes u64 | footer bytes u32
///                        | body crc u32 | footer crc u32 | header crc u32 = CRC32C(bytes 0..<76)
///     body:              one zstd frame (`Zstd.compress`, with content size and content checksum) of the raw
///                        encoding of the entries, in position order:
///                            entry = position i64 | revision i64 | stream index u32 | payload length u32 | payload
///                        `raw bytes` is the raw encoding's length, `body crc` = CRC32C(body)
///     footer:            per stream, sorted by the name's UTF-8 bytes, each name once:
///                            name length u16 | name (UTF-8) | first revision i64 | last revision i64 | count u32
///                        `stream index` in an entry is the index of its stream here; `footer crc` = CRC32C(footer)
///
/// The file is exactly `80 + body bytes + footer bytes` long. The header checksum covers the body and footer
/// checksums, so one checked header vouches for the whole file. `EventArchive.open` reads only header and footer
/// (the stream index is in the footer so the archive's chunk list is rebuilt without decompressing anything);
/// `EventArchive.read` checks the body checksum, decompresses with the header's `raw bytes` as the limit, and checks
/// the decoded entries against header and footer (positions strictly increasing from first to last position, each
/// stream's revisions strictly increasing and matching its footer range, counts equal) before returning anything.
///
/// Every count and length is checked against the limits below and against the file's size before anything is
/// allocated for it, so a damaged file is reported, never a crash or a huge allocation.
public enum ArchiveChunkFormat {
    static let magic: UInt64 = 0x4352_412D_4244_534D  // "MSDB-ARC" read as little-endian u64
    static let version: UInt32 = 1
    /// The header's size; the body starts here.
    public static let headerBytes = 80
    /// Framing per entry in the raw encoding: position, revision, stream index, payload length.
    public static let entryHeaderBytes = 24
    /// Footer bytes per stream besides the name: name length, first and last revision, count.
    static let streamFixedBytes = 22
    static let fileExtension = ".chunk"
    static let temporaryExtension = ".chunk.tmp"

    /// The most events a chunk file may hold: 2^20, 256 times `ArchiveConfiguration.maxEventsPerChunk`'s default, so
    /// configurations can grow without a format change while a corrupt count still cannot make a reader allocate
    /// without bound.
    public static let maxEvents = 1 << 20
    /// The most raw (uncompressed) entry bytes a chunk file may hold: 256 MiB, 16 times the default
    /// `ArchiveConfiguration.maxChunkRawBytes`; the most a read ever decompresses.
    public static let maxRawBytes = 256 << 20
    /// The longest stream name: what the footer's u16 length field can say (65,535 bytes). The store's own limit
    /// (`maxStreamNameBytes`, 256) is far below.
    public static let maxStreamNameBytes = Int(UInt16.max)
    /// The largest footer: 16 MiB, room for 4,096 streams of 4 KiB names; bounds what `open` reads per chunk.
    public static let maxFooterBytes = 16 << 20

    /// The largest body a chunk of `rawBytes` may have: zstd's worst case (`ZSTD_compressBound`, raw + raw/256 + 64
    /// for small inputs) plus the frame header and checksum, rounded up generously.
    static func maxBodyBytes(rawBytes: Int) -> Int {
        rawBytes + rawBytes / 128 + 1024
    }

    /// The fields of a chunk header.
    struct Header: Equatable {
        var id: UInt64
        var firstPosition: Int64
        var lastPosition: Int64
        var eventCount: Int
        var streamCount: Int
        var rawBytes: Int
        var bodyBytes: Int
        var footerBytes: Int
        var bodyCRC: UInt32
        var footerCRC: UInt32

        var bodyOffset: Int { ArchiveChunkFormat.headerBytes }
        var footerOffset: Int { ArchiveChunkFormat.headerBytes + self.bodyBytes }
        var fileBytes: Int { ArchiveChunkFormat.headerBytes + self.bodyBytes + self.footerBytes }
    }

    // MARK: Names

    static func fileName(id: UInt64) -> String {
        LogFileNames.name(index: id, extension: Self.fileExtension)
    }

    static func temporaryFileName(id: UInt64) -> String {
        LogFileNames.name(index: id, extension: Self.temporaryExtension)
    }

    /// The chunk id in a chunk file name, or nil for any other name (temporary files included).
    static func id(ofFileName name: String) -> UInt64? {
        LogFileNames.index(of: name, extension: Self.fileExtension)
    }

    /// Whether `a` sorts before `b` in a footer: by UTF-8 bytes, so the order (and uniqueness) does not depend on
    /// Unicode canonical equivalence, which `String`'s `<` and `==` apply.
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    // MARK: Writing

    /// The raw encoding of `entries`, its per-stream ranges, and each entry's stream index. `entries` must be valid
    /// for a chunk (non-empty, positions strictly increasing, each stream's revisions strictly increasing, names within
    /// `maxStreamNameBytes`, payloads within u32); `EventArchive` checks that before calling.
    static func encode(id: UInt64, entries: [ArchiveEntry], compressionLevel: Int32) -> (file: [UInt8],
                                                                                          info: ArchiveChunkInfo)
    {
        precondition(!entries.isEmpty && entries.count <= Self.maxEvents, "chunk event count out of range")
        // Streams by their UTF-8 bytes (see `precedes`), with their ranges in entry order.
        var indexByName: [[UInt8]: Int] = [:]
        var ranges: [ArchiveStreamRange] = []
        var names: [[UInt8]] = []
        var streamOfEntry = [Int](repeating: 0, count: entries.count)
        var rawBytes = 0
        for (offset, entry) in entries.enumerated() {
            let name = Array(entry.stream.utf8)
            if let index = indexByName[name] {
                precondition(entry.revision > ranges[index].lastRevision, "revisions must increase per stream")
                ranges[index].lastRevision = entry.revision
                ranges[index].count += 1
                streamOfEntry[offset] = index
            } else {
                precondition(name.count <= Self.maxStreamNameBytes, "stream name too long")
                indexByName[name] = ranges.count
                streamOfEntry[offset] = ranges.count
                ranges.append(ArchiveStreamRange(stream: entry.stream, firstRevision: entry.revision,
                                                 lastRevision: entry.revision, count: 1))
                names.append(name)
            }
            precondition(offset == 0 || entry.position > entries[offset - 1].position, "positions must increase")
            precondition(entry.payload.count <= Int(UInt32.max), "payload too large")
            rawBytes += Self.entryHeaderBytes + entry.payload.count
        }
        precondition(rawBytes <= Self.maxRawBytes, "chunk raw bytes out of range")
        let order = ranges.indices.sorted { names[$0].lexicographicallyPrecedes(names[$1]) }
        var footerIndex = [Int](repeating: 0, count: ranges.count)
        for (sortedIndex, original) in order.enumerated() {
            footerIndex[original] = sortedIndex
        }

        var raw = [UInt8]()
        raw.reserveCapacity(rawBytes)
        for (offset, entry) in entries.enumerated() {
            raw.appendLittleEndian(entry.position)
            raw.appendLittleEndian(entry.revision)
            raw.appendLittleEndian(UInt32(footerIndex[streamOfEntry[offset]]))
            raw.appendLittleEndian(UInt32(entry.payload.count))
            raw.append(contentsOf: entry.payload)
        }
        precondition(raw.count == rawBytes)
        let body = Zstd.compress(raw, level: compressionLevel)
        raw = []

        var footer = [UInt8]()
        for original in order {
            let range = ranges[original]
            footer.appendLittleEndian(UInt16(names[original].count))
            footer.append(contentsOf: names[original])
            footer.appendLittleEndian(range.firstRevision)
            footer.appendLittleEndian(range.lastRevision)
            footer.appendLittleEndian(UInt32(range.count))
        }
        precondition(footer.count <= Self.maxFooterBytes, "chunk footer too large")

        let header = Header(
            id: id,
            firstPosition: entries.first!.position,
            lastPosition: entries.last!.position,
            eventCount: entries.count,
            streamCount: ranges.count,
            rawBytes: rawBytes,
            bodyBytes: body.count,
            footerBytes: footer.count,
            bodyCRC: CRC32C.checksum(body),
            footerCRC: CRC32C.checksum(footer)
        )
        var file = Self.encodeHeader(header)
        file.reserveCapacity(header.fileBytes)
        file.append(contentsOf: body)
        file.append(contentsOf: footer)
        precondition(file.count == header.fileBytes)
        let info = ArchiveChunkInfo(
            id: id,
            firstPosition: header.firstPosition,
            lastPosition: header.lastPosition,
            eventCount: header.eventCount,
            streams: order.map { ranges[$0] },
            fileBytes: file.count,
            rawBytes: rawBytes
        )
        return (file, info)
    }

    static func encodeHeader(_ header: Header) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.headerBytes)
        bytes.appendLittleEndian(Self.magic)
        bytes.appendLittleEndian(Self.version)
        bytes.appendLittleEndian(UInt32(Self.headerBytes))
        bytes.appendLittleEndian(header.id)
        bytes.appendLittleEndian(header.firstPosition)
        bytes.appendLittleEndian(header.lastPosition)
        bytes.appendLittleEndian(UInt32(header.eventCount))
        bytes.appendLittleEndian(UInt32(header.streamCount))
        bytes.appendLittleEndian(UInt64(header.rawBytes))
        bytes.appendLittleEndian(UInt64(header.bodyBytes))
        bytes.appendLittleEndian(UInt32(header.footerBytes))
        bytes.appendLittleEndian(header.bodyCRC)
        bytes.appendLittleEndian(header.footerCRC)
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        precondition(bytes.count == Self.headerBytes)
        return bytes
    }

    // MARK: Reading

    /// Parses and validates a header read from the start of `path`, a file of `fileBytes` bytes named for chunk
    /// `expectedID`. Every problem is `.corrupt` naming `path` and the offset of the field at fault.
    static func parseHeader(_ raw: UnsafeRawBufferPointer, path: String, fileBytes: Int, expectedID: UInt64)
        throws(LogError) -> Header
    {
        guard raw.count >= Self.headerBytes, fileBytes >= Self.headerBytes else {
            throw LogError.corrupt("chunk file is \(fileBytes) bytes, shorter than its \(Self.headerBytes)-byte header",
                                   path: path, offset: min(raw.count, fileBytes))
        }
        func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        guard load(76, UInt32.self) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<76])) else {
            throw LogError.corrupt("chunk header checksum mismatch", path: path, offset: 0)
        }
        guard load(0, UInt64.self) == Self.magic else {
            throw LogError.corrupt("not a MicroStateDB archive chunk (bad magic)", path: path, offset: 0)
        }
        let version = load(8, UInt32.self)
        guard version == Self.version else {
            throw LogError.corrupt("unsupported archive chunk format version \(version)", path: path, offset: 8)
        }
        guard load(12, UInt32.self) == UInt32(Self.headerBytes) else {
            throw LogError.corrupt("unexpected archive chunk header length", path: path, offset: 12)
        }
        let id = load(16, UInt64.self)
        guard id == expectedID else {
            throw LogError.corrupt("chunk header names chunk \(id), the file name chunk \(expectedID)",
                                   path: path, offset: 16)
        }
        let firstPosition = load(24, Int64.self)
        let lastPosition = load(32, Int64.self)
        guard firstPosition >= 0 else {
            throw LogError.corrupt("negative first position \(firstPosition)", path: path, offset: 24)
        }
        guard lastPosition >= firstPosition else {
            throw LogError.corrupt("last position \(lastPosition) below first position \(firstPosition)",
                                   path: path, offset: 32)
        }
        let eventCount = Int(load(40, UInt32.self))
        // Positions strictly increase, so n events span at least n positions (no overflow: both are >= 0).
        guard eventCount >= 1, eventCount <= Self.maxEvents,
              UInt64(eventCount - 1) <= UInt64(lastPosition - firstPosition)
        else {
            throw LogError.corrupt(
                "event count \(eventCount) does not fit positions \(firstPosition)...\(lastPosition) "
                    + "(at most \(Self.maxEvents))",
                path: path, offset: 40)
        }
        let streamCount = Int(load(44, UInt32.self))
        guard streamCount >= 1, streamCount <= eventCount else {
            throw LogError.corrupt("stream count \(streamCount) outside 1...\(eventCount)", path: path, offset: 44)
        }
        let rawBytes64 = load(48, UInt64.self)
        guard rawBytes64 <= UInt64(Self.maxRawBytes), Int(rawBytes64) >= eventCount * Self.entryHeaderBytes else {
            throw LogError.corrupt("raw size \(rawBytes64) outside \(eventCount * Self.entryHeaderBytes)..."
                                   + "\(Self.maxRawBytes)", path: path, offset: 48)
        }
        let rawBytes = Int(rawBytes64)
        let bodyBytes64 = load(56, UInt64.self)
        guard bodyBytes64 >= 1, bodyBytes64 <= UInt64(Self.maxBodyBytes(rawBytes: rawBytes)) else {
            throw LogError.corrupt("body size \(bodyBytes64) impossible for \(rawBytes) raw bytes",
                                   path: path, offset: 56)
        }
        let footerBytes = Int(load(64, UInt32.self))
        guard footerBytes >= streamCount * (Self.streamFixedBytes), footerBytes <= Self.maxFooterBytes else {
            throw LogError.corrupt("footer size \(footerBytes) impossible for \(streamCount) streams "
                                   + "(at most \(Self.maxFooterBytes))", path: path, offset: 64)
        }
        let header = Header(
            id: id,
            firstPosition: firstPosition,
            lastPosition: lastPosition,
            eventCount: eventCount,
            streamCount: streamCount,
            rawBytes: rawBytes,
            bodyBytes: Int(bodyBytes64),
            footerBytes: footerBytes,
            bodyCRC: load(68, UInt32.self),
            footerCRC: load(72, UInt32.self)
        )
        guard fileBytes == header.fileBytes else {
            throw LogError.corrupt("chunk file is \(fileBytes) bytes, its header says \(header.fileBytes)",
                                   path: path, offset: min(fileBytes, header.fileBytes))
        }
        return header
    }

    /// Parses and validates a footer (`header.footerBytes` bytes read at `header.footerOffset`).
    static func parseFooter(_ raw: UnsafeRawBufferPointer, header: Header, path: String) throws(LogError)
        -> [ArchiveStreamRange]
    {
        let base = header.footerOffset
        guard raw.count == header.footerBytes, CRC32C.checksum(raw) == header.footerCRC else {
            throw LogError.corrupt("chunk footer checksum mismatch", path: path, offset: base)
        }
        var streams: [ArchiveStreamRange] = []
        streams.reserveCapacity(header.streamCount)
        var offset = 0
        var total = 0
        var previousName: String?
        for _ in 0..<header.streamCount {
            guard raw.count - offset >= 2 else {
                throw LogError.corrupt("chunk footer ends inside a stream entry", path: path, offset: base + offset)
            }
            let nameBytes = Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            guard raw.count - offset - 2 >= nameBytes + 20 else {
                throw LogError.corrupt("chunk footer ends inside a stream entry", path: path, offset: base + offset)
            }
            let nameStart = offset + 2
            // String(decoding:) repairs invalid UTF-8 with U+FFFD: a round trip that changes the bytes means invalid.
            // (String(validating:) would need macOS 15.)
            let nameRaw = UnsafeRawBufferPointer(rebasing: raw[nameStart..<(nameStart + nameBytes)])
            let name = String(decoding: nameRaw, as: UTF8.self)
            guard name.utf8.elementsEqual(nameRaw) else {
                throw LogError.corrupt("stream name is not UTF-8", path: path, offset: base + nameStart)
            }
            if let previousName, !Self.precedes(previousName, name) {
                throw LogError.corrupt("stream names out of order or repeated", path: path, offset: base + offset)
            }
            let fixed = nameStart + nameBytes
            let first = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: fixed, as: Int64.self))
            let last = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: fixed + 8, as: Int64.self))
            let count = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: fixed + 16, as: UInt32.self)))
            guard first >= 0, last >= first, count >= 1, UInt64(count - 1) <= UInt64(last - first) else {
                throw LogError.corrupt("stream \(name) has an invalid range \(first)...\(last) of \(count) events",
                                       path: path, offset: base + fixed)
            }
            total += count
            streams.append(ArchiveStreamRange(stream: name, firstRevision: first, lastRevision: last, count: count))
            previousName = name
            offset = fixed + 20
        }
        guard offset == raw.count, total == header.eventCount else {
            throw LogError.corrupt("chunk footer holds \(total) events in \(offset) bytes, the header says "
                                   + "\(header.eventCount) in \(raw.count)", path: path, offset: base + offset)
        }
        return streams
    }

    /// Checks the body's checksum, decompresses it and decodes the entries, checking them against the header and the
    /// footer's `streams`. Every problem is `.corrupt` at the body's offset (zstd data has no finer addresses).
    static func decodeBody(_ body: UnsafeRawBufferPointer, header: Header, streams: [ArchiveStreamRange],
                           path: String) throws(LogError) -> [ArchiveEntry]
    {
        let base = header.bodyOffset
        func corrupt(_ what: String) -> LogError {
            LogError.corrupt(what, path: path, offset: base)
        }
        guard body.count == header.bodyBytes, CRC32C.checksum(body) == header.bodyCRC else {
            throw corrupt("chunk body checksum mismatch")
        }
        let raw: [UInt8]
        do {
            raw = try Zstd.decompress(body, maxOutputBytes: header.rawBytes)
        } catch {
            throw corrupt("chunk body does not decompress: \(error.message)")
        }
        guard raw.count == header.rawBytes else {
            throw corrupt("chunk body decompresses to \(raw.count) bytes, the header says \(header.rawBytes)")
        }
        var entries: [ArchiveEntry] = []
        entries.reserveCapacity(header.eventCount)
        // What the entries say about each stream, to compare with the footer.
        var seen = [ArchiveStreamRange?](repeating: nil, count: streams.count)
        try raw.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
            var offset = 0
            for index in 0..<header.eventCount {
                guard raw.count - offset >= Self.entryHeaderBytes else {
                    throw corrupt("entry \(index) of \(header.eventCount) is cut off")
                }
                let position = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self))
                let revision = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: Int64.self))
                let stream = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self)))
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 20, as: UInt32.self)))
                offset += Self.entryHeaderBytes
                guard length <= raw.count - offset else {
                    throw corrupt("entry \(index) payload of \(length) bytes runs past the body")
                }
                guard stream < streams.count else {
                    throw corrupt("entry \(index) names stream \(stream) of \(streams.count)")
                }
                if index == 0 {
                    guard position == header.firstPosition else {
                        throw corrupt("first entry position \(position) differs from the header's "
                                      + "\(header.firstPosition)")
                    }
                } else {
                    guard position > entries[index - 1].position else {
                        throw corrupt("entry \(index) position \(position) out of order")
                    }
                }
                if var range = seen[stream] {
                    guard revision > range.lastRevision else {
                        throw corrupt("entry \(index) revision \(revision) of \(streams[stream].stream) out of order")
                    }
                    range.lastRevision = revision
                    range.count += 1
                    seen[stream] = range
                } else {
                    seen[stream] = ArchiveStreamRange(stream: streams[stream].stream, firstRevision: revision,
                                                      lastRevision: revision, count: 1)
                }
                let payload = Array(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
                offset += length
                entries.append(ArchiveEntry(position: position, stream: streams[stream].stream, revision: revision,
                                            payload: payload))
            }
            guard offset == raw.count else {
                throw corrupt("\(raw.count - offset) bytes after the last entry")
            }
        }
        guard entries.last?.position == header.lastPosition else {
            throw corrupt("last entry position differs from the header's \(header.lastPosition)")
        }
        for (index, range) in streams.enumerated() where seen[index] != range {
            throw corrupt("entries of stream \(range.stream) do not match the footer's index")
        }
        return entries
    }
}

extension [UInt8] {
    @inline(__always)
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { self.append(contentsOf: $0) }
    }
}
