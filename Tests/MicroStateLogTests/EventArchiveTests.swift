import Foundation
import MicroStateCompression
@testable import MicroStateLog
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64: deterministic "random" bytes, incompressible for zstd, reproducible when a case fails.
struct ArchiveRandom {
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
            Swift.withUnsafeBytes(of: self.next()) { result.append(contentsOf: $0) }
        }
        result.removeLast(result.count - count)
        return result
    }
}

/// Hands out events like the store does: one global position counter, gapless 0-based revisions per stream.
struct EventSource {
    var nextPosition: Int64 = 1
    var revisions: [String: Int64] = [:]
    var random = ArchiveRandom(state: 1)

    mutating func event(_ stream: String, payload: [UInt8]) -> ArchiveEntry {
        let revision = self.revisions[stream, default: 0]
        self.revisions[stream] = revision + 1
        defer { self.nextPosition += 1 }
        return ArchiveEntry(position: self.nextPosition, stream: stream, revision: revision, payload: payload)
    }

    /// `count` events spread round-robin over `streams`, with random payloads of `payloadBytes(i)` bytes.
    mutating func batch(_ count: Int, streams: [String], payloadBytes: (Int) -> Int = { _ in 16 }) -> [ArchiveEntry] {
        (0..<count).map { index in
            let payload = self.random.bytes(payloadBytes(index))
            return self.event(streams[index % streams.count], payload: payload)
        }
    }
}

/// The per-stream ranges `entries` should produce, sorted by the names' UTF-8 bytes.
func expectedRanges(_ entries: [ArchiveEntry]) -> [ArchiveStreamRange] {
    var ranges: [[UInt8]: ArchiveStreamRange] = [:]
    for entry in entries {
        let key = Array(entry.stream.utf8)
        if var range = ranges[key] {
            range.lastRevision = entry.revision
            range.count += 1
            ranges[key] = range
        } else {
            ranges[key] = ArchiveStreamRange(stream: entry.stream, firstRevision: entry.revision,
                                             lastRevision: entry.revision, count: 1)
        }
    }
    return ranges.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.value)
}

/// The `LogError` a throwing call threw, or nil if it returned. Any other error is a test failure.
func archiveError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> LogError? {
    do {
        _ = try body()
        return nil
    } catch let error as LogError {
        return error
    } catch {
        Issue.record("not a LogError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Everything an archive holds: its chunk list and every chunk's entries (each read checks the chunk fully).
struct ArchiveState: Equatable, CustomStringConvertible {
    var chunks: [ArchiveChunkInfo]
    var entries: [[ArchiveEntry]]

    init(_ archive: EventArchive) throws {
        self.chunks = archive.chunks
        self.entries = try self.chunks.map { try archive.read(chunk: $0.id) }
    }

    var description: String {
        "chunks " + self.chunks.map { "\($0.id):\($0.firstPosition)...\($0.lastPosition)×\($0.eventCount)" }
            .joined(separator: ", ")
    }
}

@Suite("Event archive")
struct EventArchiveTests {
    static let directory = "/data/events"

    static func open(_ fileSystem: any FileSystem, _ configuration: ArchiveConfiguration = ArchiveConfiguration())
        throws(LogError) -> EventArchive
    {
        try EventArchive.open(directory: Self.directory, fileSystem: fileSystem, configuration: configuration)
    }

    static func chunkPath(_ id: UInt64) -> String {
        Self.directory + "/" + String(repeating: "0", count: 20 - String(id).count) + String(id) + ".chunk"
    }

    // MARK: Round trips

    struct Shape: CustomStringConvertible, Sendable {
        var name: String
        var events: Int
        var streams: [String]
        var payloadBytes: @Sendable (Int) -> Int
        var description: String { self.name }
    }

    static let shapes: [Shape] = [
        Shape(name: "0-byte payloads over 10 streams", events: 200, streams: (0..<10).map { "order-\($0)" },
              payloadBytes: { _ in 0 }),
        Shape(name: "1 MiB payloads between small ones", events: 40, streams: ["blob", "meta"],
              payloadBytes: { $0 % 13 == 0 ? 1 << 20 : $0 % 7 }),
        Shape(name: "500 streams of one to three events", events: 1000, streams: (0..<500).map { "s\($0 * 7919)" },
              payloadBytes: { $0 % 100 }),
        Shape(name: "one stream, one event", events: 1, streams: ["only"], payloadBytes: { _ in 1 }),
        Shape(name: "Unicode names, two spellings of é", events: 12,
              streams: ["caf\u{E9}", "cafe\u{301}", "日本", "🙂", "a b", "$weird/name"], payloadBytes: { $0 }),
    ]

    @Test("Sealed chunks read back exactly, with correct per-stream ranges and sizes", arguments: Self.shapes)
    func sealAndRead(_ shape: Shape) throws {
        let fileSystem = SimulatedFileSystem()
        let archive = try Self.open(fileSystem)
        var source = EventSource()
        let first = source.batch(shape.events, streams: shape.streams, payloadBytes: shape.payloadBytes)
        let second = source.batch(shape.events, streams: shape.streams.reversed(), payloadBytes: shape.payloadBytes)
        for (number, entries) in [first, second].enumerated() {
            let info = try archive.seal(entries)
            #expect(info.id == UInt64(number + 1))
            #expect(info.firstPosition == entries.first!.position && info.lastPosition == entries.last!.position)
            #expect(info.eventCount == entries.count)
            #expect(info.streams == expectedRanges(entries))
            #expect(info.rawBytes == entries.reduce(0) { $0 + 24 + $1.payload.count })
            #expect(info.fileBytes == fileSystem.contents(atPath: Self.chunkPath(info.id))?.count)
            #expect(try archive.read(chunk: info.id) == entries)
        }
        #expect(archive.chunks.map(\.id) == [1, 2])
        #expect(archive.diskBytes == archive.chunks.reduce(0) { $0 + $1.fileBytes })
        if shape.streams.contains("caf\u{E9}") {
            // Canonically equivalent but different bytes: two streams, each spelling kept.
            #expect(archive.chunks[0].streams.count == shape.streams.count)
        }

        let reopened = try Self.open(fileSystem)
        #expect(reopened.chunks == archive.chunks, "open rebuilds the chunk list from headers and footers")
        #expect(reopened.diskBytes == archive.diskBytes)
        #expect(try reopened.read(chunk: 1) == first && reopened.read(chunk: 2) == second)
    }

    @Test("Stream reads filter by stream and revision, and skip chunks without the stream unread")
    func streamEntries() throws {
        let archive = try Self.open(SimulatedFileSystem())
        var source = EventSource()
        let entries = source.batch(30, streams: ["a", "b", "c"])
        let info = try archive.seal(entries)
        #expect(info.range(of: "b") == ArchiveStreamRange(stream: "b", firstRevision: 0, lastRevision: 9, count: 10))
        #expect(try archive.entries(chunk: 1, stream: "b", fromRevision: 7)
            == entries.filter { $0.stream == "b" && $0.revision >= 7 })
        #expect(try archive.entries(chunk: 1, stream: "a", fromRevision: 0) == entries.filter { $0.stream == "a" })
        let misses = archive.cacheMisses
        #expect(try archive.entries(chunk: 1, stream: "zzz", fromRevision: 0) == [])
        #expect(try archive.entries(chunk: 1, stream: "a", fromRevision: 10) == [])
        #expect(archive.cacheMisses == misses, "answered from the footer index")
        #expect(archiveError { try archive.entries(chunk: 9, stream: "a", fromRevision: 0) }?.code == .invalidArgument)
        #expect(archiveError { try archive.read(chunk: 9) }?.code == .invalidArgument)
    }

    @Test("Seal refuses invalid entries with invalidArgument and writes nothing")
    func sealValidation() throws {
        let fileSystem = SimulatedFileSystem()
        var configuration = ArchiveConfiguration()
        configuration.maxEventsPerChunk = 10
        configuration.maxChunkRawBytes = 1000
        let archive = try Self.open(fileSystem, configuration)
        var source = EventSource()
        _ = try archive.seal(source.batch(5, streams: ["a"]))  // positions 1...5, a 0...4
        func entry(_ position: Int64, _ stream: String = "b", _ revision: Int64 = 0, bytes: Int = 1) -> ArchiveEntry {
            ArchiveEntry(position: position, stream: stream, revision: revision, payload: [UInt8](repeating: 1,
                                                                                                 count: bytes))
        }
        let cases: [(String, [ArchiveEntry])] = [
            ("empty", []),
            ("more than maxEventsPerChunk", (0..<11).map { entry(Int64(10 + $0), "b", Int64($0)) }),
            ("more than maxChunkRawBytes", [entry(10, bytes: 500), entry(11, "c", bytes: 500)]),
            ("positions not increasing", [entry(10), entry(10, "c")]),
            ("positions decreasing", [entry(11), entry(10, "c")]),
            ("position at the last chunk's", [entry(5)]),
            ("position below the last chunk's", [entry(2)]),
            ("negative revision", [entry(10, "b", -1)]),
            ("revision repeated in a stream", [entry(10, "b", 3), entry(11, "b", 3)]),
            ("revision decreasing in a stream", [entry(10, "b", 3), entry(11, "c", 0), entry(12, "b", 2)]),
            ("stream name too long", [entry(10, String(repeating: "x", count: 65_536))]),
        ]
        let filesBefore = fileSystem.allFiles
        let operationsBefore = fileSystem.mutatingOperations
        for (name, entries) in cases {
            let error = archiveError { try archive.seal(entries) }
            #expect(error?.code == .invalidArgument, "\(name): \(String(describing: error))")
        }
        #expect(fileSystem.allFiles == filesBefore && fileSystem.mutatingOperations == operationsBefore)
        #expect(archive.chunks.count == 1)
        // A negative position on an empty archive.
        let empty = try EventArchive.open(directory: "/other", fileSystem: fileSystem, configuration: configuration)
        #expect(archiveError { try empty.seal([entry(-1)]) }?.code == .invalidArgument)
        // The limits themselves are accepted.
        _ = try archive.seal((0..<10).map { entry(Int64(10 + $0), "b", Int64($0), bytes: 76) })
    }

    // MARK: Crashes

    enum Aftermath: CaseIterable, CustomStringConvertible {
        case powerLossKeepingNothing, powerLossKeepingEverything, processCrash

        var description: String {
            switch self {
            case .powerLossKeepingNothing: return "power loss keeping no unsynced bytes"
            case .powerLossKeepingEverything: return "power loss keeping every unsynced byte"
            case .processCrash: return "process crash"
            }
        }

        func apply(_ fileSystem: SimulatedFileSystem) {
            switch self {
            case .powerLossKeepingNothing: fileSystem.crash(keepingUnsyncedBytes: 0)
            case .powerLossKeepingEverything: fileSystem.crash(keepingUnsyncedBytes: Int.max)
            case .processCrash: fileSystem.restartProcess()
            }
        }
    }

    struct Change: CustomStringConvertible, Sendable {
        var name: String
        var apply: @Sendable (EventArchive) throws -> Void
        var description: String { self.name }
    }

    static let changes: [Change] = [
        Change(name: "seal a third chunk") { archive in
            var source = EventSource(nextPosition: 1000)
            _ = try archive.seal(source.batch(20, streams: ["x", "y"], payloadBytes: { $0 * 50 }))
        },
        Change(name: "rewrite the first chunk without stream b") { archive in
            _ = try archive.rewrite(chunk: 1) { $0.stream != "b" }
        },
        Change(name: "rewrite the second chunk keeping nothing") { archive in
            _ = try archive.rewrite(chunk: 2) { _ in false }
        },
        Change(name: "remove the first chunk") { archive in
            try archive.remove(chunk: 1)
        },
    ]

    /// An archive with two chunks (ids 1 and 2), on a fresh simulated file system.
    static func twoChunks() throws -> SimulatedFileSystem {
        let fileSystem = SimulatedFileSystem()
        let archive = try Self.open(fileSystem)
        var source = EventSource()
        _ = try archive.seal(source.batch(30, streams: ["a", "b", "c"], payloadBytes: { $0 * 10 }))
        _ = try archive.seal(source.batch(10, streams: ["b", "d"], payloadBytes: { _ in 300 }))
        return fileSystem
    }

    @Test("A crash at every operation of a change leaves the old state or the new one, never a mix or a torn chunk",
          arguments: Self.changes)
    func crashAtEveryOperation(_ change: Change) throws {
        let base = try Self.twoChunks()
        let before = try ArchiveState(Self.open(base.copy()))

        let reference = base.copy()
        let referenceArchive = try Self.open(reference)
        let start = reference.mutatingOperations
        try change.apply(referenceArchive)
        let operations = reference.mutatingOperations - start
        let after = try ArchiveState(Self.open(reference))
        #expect(before != after, "the change changes something")
        #expect(operations >= 2)

        var outcomes: [String: Int] = [:]
        for operation in 1...(operations + 1) {
            for tornBytes in [0, 1, 100] {
                for aftermath in Aftermath.allCases {
                    let fileSystem = base.copy()
                    let archive = try Self.open(fileSystem)
                    fileSystem.halt(atOperation: fileSystem.mutatingOperations + operation, tornBytes: tornBytes)
                    let succeeded = (try? change.apply(archive)) != nil
                    let label = "\(change) halted at operation \(operation) of \(operations), torn \(tornBytes), "
                        + "\(aftermath)"
                    #expect(succeeded == (operation > operations), "\(label): only an unhalted change succeeds")
                    aftermath.apply(fileSystem)
                    let reopened: EventArchive
                    do {
                        reopened = try Self.open(fileSystem)
                    } catch {
                        Issue.record("\(label): reopen failed: \(error)")
                        continue
                    }
                    let state: ArchiveState
                    do {
                        state = try ArchiveState(reopened)
                    } catch {
                        Issue.record("\(label): a chunk is unreadable after reopen: \(error)")
                        continue
                    }
                    #expect(state == before || state == after, "\(label): \(state)")
                    if succeeded {
                        #expect(state == after, "\(label): a change that returned is durable")
                    }
                    #expect(!fileSystem.allFiles.contains { $0.hasSuffix(".tmp") }, "\(label): \(fileSystem.allFiles)")
                    #expect(reopened.diskBytes == state.chunks.reduce(0) { $0 + $1.fileBytes })
                    outcomes[state == after ? "new" : "old", default: 0] += 1
                }
            }
        }
        #expect(outcomes["old", default: 0] > 0 && outcomes["new", default: 0] > 0, "\(outcomes)")
    }

    @Test("A failed fsync fails the change and refuses later changes until the archive is reopened")
    func fsyncFailure() throws {
        let fileSystem = try Self.twoChunks()
        let archive = try Self.open(fileSystem)
        var source = EventSource(nextPosition: 100)
        fileSystem.failSyncs = true
        #expect(archiveError { try archive.seal(source.batch(3, streams: ["z"])) }?.code == .fsyncFailed)
        fileSystem.failSyncs = false
        #expect(archiveError { try archive.seal(source.batch(3, streams: ["z"])) }?.code == .fsyncFailed)
        #expect(archiveError { try archive.remove(chunk: 1) }?.code == .fsyncFailed)
        #expect(try archive.read(chunk: 1).count == 30, "reads keep working")
        let reopened = try Self.open(fileSystem)
        #expect(!fileSystem.allFiles.contains { $0.hasSuffix(".tmp") })
        _ = try reopened.seal(source.batch(3, streams: ["z"]))
        #expect(reopened.chunks.map(\.id) == [1, 2, 3])
    }

    // MARK: Corruption

    @Test("Every single-bit flip in a chunk's header, body and footer is detected, naming the file and offset")
    func everyBitFlip() throws {
        let original = SimulatedFileSystem()
        let archive = try Self.open(original)
        var source = EventSource()
        _ = try archive.seal(source.batch(4, streams: ["a"]))
        let info = try archive.seal(source.batch(6, streams: ["a", "bb"], payloadBytes: { $0 * 3 }))
        let path = Self.chunkPath(info.id)
        let bytes = original.contents(atPath: path)!
        let bodyBytes = bytes[56..<64].reversed().reduce(0) { $0 << 8 | Int($1) }
        let footerStart = 80 + bodyBytes
        #expect(footerStart > 80 && footerStart < bytes.count)
        let chunks = archive.chunks
        var detected = (header: 0, body: 0, footer: 0)
        for byte in 0..<bytes.count {
            for bit in 0..<8 {
                let fileSystem = original.copy()
                var damaged = bytes
                damaged[byte] ^= 1 << UInt8(bit)
                fileSystem.setContents(damaged, atPath: path)
                let label = "flip of bit \(bit) in byte \(byte) of \(bytes.count)"
                let region = byte < 80 ? "header" : byte < footerStart ? "body" : "footer"
                do {
                    let reopened = try Self.open(fileSystem)
                    #expect(region == "body", "\(label): a damaged \(region) was accepted by open")
                    #expect(reopened.chunks == chunks, "\(label): the footer index is intact")
                    #expect(try reopened.read(chunk: 1).count == 4, "\(label): the other chunk is unaffected")
                    let error = archiveError { try reopened.read(chunk: info.id) }
                    #expect(error?.code == .corrupt && error?.path == path && error?.offset == 80,
                            "\(label): \(String(describing: error))")
                    #expect(error?.message.contains(path) == true && error?.message.contains("offset 80") == true)
                    detected.body += 1
                } catch {
                    let expectedOffset = region == "header" ? 0 : footerStart
                    #expect(error.code == .corrupt && error.path == path && error.offset == expectedOffset,
                            "\(label) (\(region)): \(error)")
                    if region == "header" { detected.header += 1 } else { detected.footer += 1 }
                }
            }
        }
        #expect(detected.header == 80 * 8)
        #expect(detected.footer == (bytes.count - footerStart) * 8)
        #expect(detected.body == (footerStart - 80) * 8)
    }

    /// The header of `bytes` with the u32/u64 field at `offset` replaced and the header checksum recomputed: damage a
    /// checksum cannot catch (a bug in a writer, or a crafted file).
    static func forgedHeader(_ bytes: [UInt8], offset: Int, value: UInt64, width: Int) -> [UInt8] {
        var forged = bytes
        for index in 0..<width {
            forged[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
        }
        let crc = CRC32C.checksum(Array(forged[0..<76]))
        for index in 0..<4 {
            forged[76 + index] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(index)))
        }
        return forged
    }

    @Test("Counts and lengths in a header are bounded before anything is allocated for them")
    func forgedHeaders() throws {
        let original = SimulatedFileSystem()
        let archive = try Self.open(original)
        var source = EventSource()
        _ = try archive.seal(source.batch(5, streams: ["a", "b"]))
        let path = Self.chunkPath(1)
        let bytes = original.contents(atPath: path)!
        let cases: [(String, offset: Int, value: UInt64, width: Int)] = [
            ("version", 8, 2, 4),
            ("header length", 12, 64, 4),
            ("chunk id", 16, 7, 8),
            ("first position negative", 24, UInt64(bitPattern: -1), 8),
            ("last position below first", 32, 0, 8),
            ("event count zero", 40, 0, 4),
            ("event count 4 billion", 40, UInt64(UInt32.max), 4),
            ("stream count above event count", 44, 6, 4),
            ("raw bytes 2^60", 48, 1 << 60, 8),
            ("body bytes 2^62", 56, 1 << 62, 8),
            ("footer bytes 4 GiB", 64, UInt64(UInt32.max), 4),
        ]
        for (name, offset, value, width) in cases {
            let fileSystem = original.copy()
            fileSystem.setContents(Self.forgedHeader(bytes, offset: offset, value: value, width: width), atPath: path)
            let error = archiveError { try Self.open(fileSystem) }
            #expect(error?.code == .corrupt && error?.path == path && error?.offset == offset,
                    "\(name): \(String(describing: error))")
        }
        // Truncated and extended files disagree with their header.
        for (name, damaged, offset) in [
            ("shorter than a header", Array(bytes[0..<50]), 50),
            ("cut in the footer", Array(bytes.dropLast()), bytes.count - 1),
            ("a byte appended", bytes + [0], bytes.count),
            ("empty", [], 0),
        ] as [(String, [UInt8], Int)] {
            let fileSystem = original.copy()
            fileSystem.setContents(damaged, atPath: path)
            let error = archiveError { try Self.open(fileSystem) }
            #expect(error?.code == .corrupt && error?.path == path && error?.offset == offset,
                    "\(name): \(String(describing: error))")
        }
    }

    /// A raw entry for `forgedChunk`: any values, consistent or not.
    struct RawEntry {
        var position: Int64
        var revision: Int64
        var stream: UInt32
        var payload: [UInt8]
    }

    /// A chunk file with valid checksums around whatever it is given, built with the format's own header encoder:
    /// damage that only the decoder's cross-checks can catch (a writer bug, or a crafted file).
    static func forgedChunk(
        id: UInt64 = 1, entries: [RawEntry], trailing: [UInt8] = [], cutOff: Int = 0,
        firstPosition: Int64 = 1, lastPosition: Int64 = 3, eventCount: Int = 3,
        streams: [([UInt8], Int64, Int64, UInt32)] = [(Array("a".utf8), 0, 1, 2), (Array("b".utf8), 0, 0, 1)]
    ) -> [UInt8] {
        var raw: [UInt8] = []
        for entry in entries {
            raw.appendLittleEndian(entry.position)
            raw.appendLittleEndian(entry.revision)
            raw.appendLittleEndian(entry.stream)
            raw.appendLittleEndian(UInt32(entry.payload.count))
            raw += entry.payload
        }
        raw = Array(raw.dropLast(cutOff)) + trailing
        var footer: [UInt8] = []
        for (name, first, last, count) in streams {
            footer.appendLittleEndian(UInt16(name.count))
            footer += name
            footer.appendLittleEndian(first)
            footer.appendLittleEndian(last)
            footer.appendLittleEndian(count)
        }
        let body = Zstd.compress(raw)
        let header = ArchiveChunkFormat.Header(
            id: id, firstPosition: firstPosition, lastPosition: lastPosition, eventCount: eventCount,
            streamCount: streams.count, rawBytes: raw.count, bodyBytes: body.count, footerBytes: footer.count,
            bodyCRC: CRC32C.checksum(body), footerCRC: CRC32C.checksum(footer))
        return ArchiveChunkFormat.encodeHeader(header) + body + footer
    }

    static let validRawEntries = [
        RawEntry(position: 1, revision: 0, stream: 0, payload: [1]),
        RawEntry(position: 2, revision: 0, stream: 1, payload: [2, 2]),
        RawEntry(position: 3, revision: 1, stream: 0, payload: [3]),
    ]

    @Test("A body or footer that passes its checksum but contradicts the header or footer is refused, never returned")
    func forgedContents() throws {
        let valid = Self.validRawEntries
        func with(_ index: Int, _ change: (inout RawEntry) -> Void) -> [RawEntry] {
            var entries = valid
            change(&entries[index])
            return entries
        }
        let fileSystem = SimulatedFileSystem()
        fileSystem.setContents(Self.forgedChunk(entries: valid), atPath: Self.chunkPath(1))
        #expect(try Self.open(fileSystem).read(chunk: 1).map(\.position) == [1, 2, 3], "the forgery itself is sound")

        let bodies: [(String, [UInt8])] = [
            ("stream index out of range", Self.forgedChunk(entries: with(1) { $0.stream = 2 })),
            ("positions out of order", Self.forgedChunk(entries: with(2) { $0.position = 2 })),
            ("first position differs from the header", Self.forgedChunk(entries: with(0) { $0.position = 0 })),
            ("last position differs from the header", Self.forgedChunk(entries: valid, lastPosition: 4)),
            ("revision repeated in a stream", Self.forgedChunk(entries: with(2) { $0.revision = 0 })),
            ("revisions disagree with the footer", Self.forgedChunk(entries: with(1) { $0.revision = 5 })),
            ("bytes after the last entry", Self.forgedChunk(entries: valid, trailing: [0, 0, 0])),
            ("payload runs past the body", Self.forgedChunk(entries: valid, cutOff: 1)),
            ("fewer entries than the header says", Self.forgedChunk(
                entries: valid, trailing: [UInt8](repeating: 0, count: 20), lastPosition: 9, eventCount: 4,
                streams: [(Array("a".utf8), 0, 2, 3), (Array("b".utf8), 0, 0, 1)])),
        ]
        for (name, file) in bodies {
            let fileSystem = SimulatedFileSystem()
            fileSystem.setContents(file, atPath: Self.chunkPath(1))
            let archive = try Self.open(fileSystem)
            let error = archiveError { try archive.read(chunk: 1) }
            #expect(error?.code == .corrupt && error?.path == Self.chunkPath(1) && error?.offset == 80,
                    "\(name): \(String(describing: error))")
        }

        func stream(_ name: String, _ first: Int64, _ last: Int64, _ count: UInt32) -> ([UInt8], Int64, Int64, UInt32) {
            (Array(name.utf8), first, last, count)
        }
        let a = stream("a", 0, 1, 2)
        let b = stream("b", 0, 0, 1)
        // Offsets in the footer: the second stream entry starts at 23 (2 + 1 + 20), its count at 23 + 3 + 16.
        let footers: [(String, [UInt8], offsetInFooter: Int)] = [
            ("name not UTF-8", Self.forgedChunk(entries: valid, streams: [a, ([0x80], 0, 0, 1)]), 25),
            ("names out of order", Self.forgedChunk(entries: valid, streams: [stream("c", 0, 1, 2), b]), 23),
            ("name repeated", Self.forgedChunk(entries: valid, streams: [a, stream("a", 0, 0, 1)]), 23),
            ("count zero", Self.forgedChunk(entries: valid, eventCount: 2, streams: [a, stream("b", 0, 0, 0)]), 26),
            ("more events than revisions", Self.forgedChunk(entries: valid, streams: [stream("a", 0, 0, 2), b]), 3),
            ("counts disagree with the header", Self.forgedChunk(entries: valid, eventCount: 2), 46),
        ]
        for (name, file, offsetInFooter) in footers {
            let fileSystem = SimulatedFileSystem()
            fileSystem.setContents(file, atPath: Self.chunkPath(1))
            let bodyBytes = file[56..<64].reversed().reduce(0) { $0 << 8 | Int($1) }
            let error = archiveError { try Self.open(fileSystem) }
            #expect(error?.code == .corrupt && error?.path == Self.chunkPath(1)
                        && error?.offset == 80 + bodyBytes + offsetInFooter, "\(name): \(String(describing: error))")
        }
    }

    @Test("Open refuses overlapping chunks naming the later file, and removes leftover temporary files")
    func overlapAndTemporaries() throws {
        var source = EventSource()
        let entries = source.batch(10, streams: ["a"])
        let wide = SimulatedFileSystem()
        _ = try Self.open(wide).seal(entries)  // chunk 1: positions 1...10
        let split = SimulatedFileSystem()
        let archive = try Self.open(split)
        _ = try archive.seal(Array(entries[0..<5]))  // chunk 1: 1...5
        _ = try archive.seal(Array(entries[5...]))  // chunk 2: 6...10
        split.setContents(wide.contents(atPath: Self.chunkPath(1))!, atPath: Self.chunkPath(1))
        let error = archiveError { try Self.open(split) }
        #expect(error?.code == .corrupt && error?.path == Self.chunkPath(2) && error?.offset == 24,
                "\(String(describing: error))")

        let fileSystem = try Self.twoChunks()
        fileSystem.setContents([1, 2, 3], atPath: Self.directory + "/00000000000000000003.chunk.tmp")
        fileSystem.setContents([4], atPath: Self.directory + "/00000000000000000001.chunk.tmp")
        fileSystem.setContents([5], atPath: Self.directory + "/notes.txt")
        let reopened = try Self.open(fileSystem)
        #expect(reopened.chunks.map(\.id) == [1, 2])
        #expect(fileSystem.allFiles.filter { $0.hasPrefix(Self.directory) } == [
            Self.chunkPath(1), Self.chunkPath(2), Self.directory + "/notes.txt",
        ])
        fileSystem.crash()
        #expect(!fileSystem.allFiles.contains { $0.hasSuffix(".tmp") }, "the removal was made durable")
    }

    // MARK: Rewrite and erase

    /// Every regular file in `directory`, read from disk.
    static func filesOnDisk(_ directory: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
        }
        return files
    }

    static func contains(_ haystack: [UInt8], _ needle: ArraySlice<UInt8>) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return needle.isEmpty }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                var start = 0
                let lastStart = hay.count - pin.count
                while start <= lastStart {
                    guard let found = memchr(hay.baseAddress! + start, Int32(first), lastStart - start + 1) else {
                        return false
                    }
                    if memcmp(found, pin.baseAddress!, pin.count) == 0 { return true }
                    start = hay.baseAddress!.distance(to: UnsafeRawPointer(found)) + 1
                }
                return false
            }
        }
    }

    /// How many of `payload`'s 32-byte pieces (one every 16 bytes) appear in some file. zstd may cut a random payload
    /// where a few bytes happen to repeat earlier ones, so a payload is present when most of its pieces are, and
    /// erased when none is (32 random bytes never appear by chance).
    static func piecesFound(_ payload: [UInt8], in files: [String: [UInt8]]) -> (found: Int, of: Int) {
        let starts = Array(stride(from: 0, through: payload.count - 32, by: 16))
        let found = starts.filter { start in
            files.values.contains { Self.contains($0, payload[start..<(start + 32)]) }
        }
        return (found.count, starts.count)
    }

    @Test("Rewrite physically erases dropped payloads from every file in the directory, on a real file system")
    func rewriteErases() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("evarchive-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/events"
        let archive = try EventArchive.open(directory: directory, fileSystem: PosixFileSystem(),
                                            configuration: ArchiveConfiguration())
        var source = EventSource(random: ArchiveRandom(state: 99))
        // Random payloads are incompressible: zstd stores them verbatim, so a scan for them can find them.
        let first = source.batch(60, streams: ["keep", "secret", "other"], payloadBytes: { 512 + $0 })
        let second = source.batch(20, streams: ["secret", "keep"], payloadBytes: { _ in 700 })
        _ = try archive.seal(first)
        _ = try archive.seal(second)
        let secrets = first.filter { $0.stream == "secret" }
        let kept = first.filter { $0.stream != "secret" }

        let before = try Self.filesOnDisk(directory)
        for entry in secrets {
            let (found, of) = Self.piecesFound(entry.payload, in: before)
            #expect(found * 4 >= of * 3, "payload of position \(entry.position) is on disk before: \(found) of \(of)")
        }

        let info = try #require(try archive.rewrite(chunk: 1) { $0.stream != "secret" })
        #expect(info.id == 1 && info.eventCount == kept.count && info.streams == expectedRanges(kept))
        #expect(info.firstPosition == kept.first!.position && info.lastPosition == kept.last!.position)
        #expect(try archive.read(chunk: 1) == kept)
        let after = try Self.filesOnDisk(directory)
        #expect(after.keys.sorted() == ["00000000000000000001.chunk", "00000000000000000002.chunk"])
        for entry in secrets {
            let (found, of) = Self.piecesFound(entry.payload, in: after)
            #expect(found == 0, "payload of position \(entry.position) was erased: \(found) of \(of) pieces remain")
        }
        for entry in kept + second {
            let (found, of) = Self.piecesFound(entry.payload, in: after)
            #expect(found * 4 >= of * 3, "kept payload of position \(entry.position) is on disk: \(found) of \(of)")
        }
        #expect(archive.diskBytes == after.values.reduce(0) { $0 + $1.count })

        let reopened = try EventArchive.open(directory: directory, fileSystem: PosixFileSystem(),
                                             configuration: ArchiveConfiguration())
        #expect(reopened.chunks == archive.chunks)
        #expect(try reopened.read(chunk: 1) == kept && reopened.read(chunk: 2) == second)
    }

    @Test("A rewrite leaves gaps in stream ranges, keeps the id, and keeping everything writes nothing")
    func rewriteRanges() throws {
        let fileSystem = SimulatedFileSystem()
        let archive = try Self.open(fileSystem)
        var source = EventSource()
        let entries = source.batch(20, streams: ["a", "b"])
        _ = try archive.seal(entries)
        let operations = fileSystem.mutatingOperations
        #expect(try archive.rewrite(chunk: 1) { _ in true } == archive.chunks[0])
        #expect(fileSystem.mutatingOperations == operations, "nothing dropped, nothing written")

        let kept = entries.filter { !($0.stream == "a" && $0.revision % 3 == 1) && $0.position != 1 }
        let info = try #require(try archive.rewrite(chunk: 1) { entry in kept.contains(entry) })
        #expect(info.range(of: "a") == ArchiveStreamRange(stream: "a", firstRevision: 2, lastRevision: 9, count: 6))
        #expect(info.range(of: "b") == ArchiveStreamRange(stream: "b", firstRevision: 0, lastRevision: 9, count: 10))
        #expect(info.firstPosition == 2 && archive.chunks == [info])
        #expect(try archive.read(chunk: 1) == kept, "the cache does not serve the old content")
        #expect(try Self.open(fileSystem).chunks == [info])
        // Ids continue after the highest one.
        _ = try archive.seal(source.batch(2, streams: ["c"]))
        #expect(archive.chunks.map(\.id) == [1, 2])
    }

    @Test("A rewrite keeping nothing removes the chunk's file")
    func rewriteKeepingNothing() throws {
        let fileSystem = try Self.twoChunks()
        let archive = try Self.open(fileSystem)
        let bytes = archive.diskBytes
        let removed = archive.chunks[0]
        _ = try archive.read(chunk: 1)
        #expect(try archive.rewrite(chunk: 1) { _ in false } == nil)
        #expect(fileSystem.contents(atPath: Self.chunkPath(1)) == nil)
        #expect(archive.chunks.map(\.id) == [2])
        #expect(archive.diskBytes == bytes - removed.fileBytes)
        #expect(archiveError { try archive.read(chunk: 1) }?.code == .invalidArgument, "not even from the cache")
        #expect(archiveError { try archive.rewrite(chunk: 1) { _ in true } }?.code == .invalidArgument)
        #expect(archiveError { try archive.remove(chunk: 1) }?.code == .invalidArgument)
        fileSystem.crash()
        #expect(try Self.open(fileSystem).chunks.map(\.id) == [2], "the removal is durable")
    }

    // MARK: Cache and compression

    @Test("The cache holds at most cachedChunks chunks and evicts the least recently read")
    func cacheBounded() throws {
        var configuration = ArchiveConfiguration()
        configuration.cachedChunks = 3
        let archive = try Self.open(SimulatedFileSystem(), configuration)
        var source = EventSource()
        for _ in 0..<6 {
            _ = try archive.seal(source.batch(5, streams: ["a"]))
        }
        #expect(archive.cachedChunkIDs == [], "sealing does not fill the cache")
        for id: UInt64 in [1, 2, 3] {
            _ = try archive.read(chunk: id)
        }
        #expect(archive.cachedChunkIDs == [1, 2, 3])
        let hits = archive.cacheHits
        _ = try archive.read(chunk: 1)
        #expect(archive.cacheHits == hits + 1)
        _ = try archive.read(chunk: 4)
        #expect(archive.cachedChunkIDs == [3, 1, 4], "2 was the least recently read")
        for id: UInt64 in [6, 5, 4, 3, 2, 1, 1, 2] {
            _ = try archive.read(chunk: id)
            #expect(archive.cachedChunkIDs.count <= 3)
        }
        #expect(archive.cachedChunkIDs == [3, 1, 2])
        try archive.remove(chunk: 2)
        #expect(archive.cachedChunkIDs == [3, 1])

        configuration.cachedChunks = 0
        let uncached = try Self.open(SimulatedFileSystem(), configuration)
        _ = try uncached.seal(source.batch(5, streams: ["a"]))
        _ = try uncached.read(chunk: 1)
        _ = try uncached.read(chunk: 1)
        #expect(uncached.cachedChunkIDs == [] && uncached.cacheHits == 0 && uncached.cacheMisses == 2)
    }

    @Test("A chunk of repetitive JSON-like events is compressed to less than half its raw size")
    func compression() throws {
        let archive = try Self.open(SimulatedFileSystem())
        var source = EventSource()
        let entries = (0..<2000).map { index in
            source.event("order-\(index % 50)", payload: Array("""
                {"type":"OrderLinePriced","orderId":"order-\(index % 50)","line":\(index),\
                "sku":"SKU-\(index % 17)","quantity":\(index % 5 + 1),"unitPrice":"\(index % 90).99","currency":"EUR"}
                """.utf8))
        }
        let info = try archive.seal(entries)
        #expect(info.fileBytes < info.rawBytes / 2, "\(info.fileBytes) of \(info.rawBytes) raw bytes")
        #expect(try archive.read(chunk: info.id) == entries)
    }

    @Test("Concurrent readers see whole chunk versions while chunks are sealed, rewritten and removed")
    func concurrentReaders() throws {
        var configuration = ArchiveConfiguration()
        configuration.cachedChunks = 2
        let archive = try Self.open(SimulatedFileSystem(), configuration)
        let versions = ChunkVersions()
        var source = EventSource()
        for _ in 0..<4 {
            let entries = source.batch(40, streams: ["a", "b", "c", "d"], payloadBytes: { $0 })
            let info = try archive.seal(entries)
            versions.add(info.id, entries)
        }
        let group = DispatchGroup()
        let failures = ChunkVersions()
        for reader in 0..<3 {
            group.enter()
            DispatchQueue.global().async {
                Self.readRandomly(archive, reader: reader, versions: versions, failures: failures)
                group.leave()
            }
        }
        for round in 0..<8 {
            let current = versions.latest(1)
            let kept = current.filter { $0.revision % 12 != Int64(round) }
            versions.add(1, kept)  // before the rename, so a reader can never see an unregistered version
            _ = try archive.rewrite(chunk: 1) { entry in kept.contains(entry) }
            let entries = source.batch(10, streams: ["e"])
            versions.add(UInt64(5 + round), entries)
            _ = try archive.seal(entries)
        }
        try archive.remove(chunk: 2)
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(failures.isEmpty, "reads returned a version that never existed")
    }
}

extension EventArchiveTests {
    /// Reads chunks in turn, recording any result that is not a version the writer registered.
    static func readRandomly(_ archive: EventArchive, reader: Int, versions: ChunkVersions, failures: ChunkVersions) {
        for round in 0..<60 {
            let chunks = archive.chunks
            let id = chunks[(round + reader) % chunks.count].id
            do {
                let entries = try archive.read(chunk: id)
                if !versions.contains(id, entries) {
                    failures.add(id, entries)
                }
            } catch {
                // Only a chunk removed since the list was taken may fail.
                if error.code != .invalidArgument && error.code != .ioFailed {
                    failures.add(id, [])
                }
            }
        }
    }
}

/// Thread-safe record of every version of every chunk's entries.
final class ChunkVersions: @unchecked Sendable {
    private let lock = NSLock()
    private var versions: [UInt64: [[ArchiveEntry]]] = [:]

    func add(_ id: UInt64, _ entries: [ArchiveEntry]) {
        self.lock.withLock { self.versions[id, default: []].append(entries) }
    }

    func contains(_ id: UInt64, _ entries: [ArchiveEntry]) -> Bool {
        self.lock.withLock { self.versions[id]?.contains(entries) ?? false }
    }

    func latest(_ id: UInt64) -> [ArchiveEntry] {
        self.lock.withLock { self.versions[id]?.last ?? [] }
    }

    var isEmpty: Bool {
        self.lock.withLock { self.versions.isEmpty }
    }
}
