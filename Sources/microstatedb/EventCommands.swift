import ArgumentParser
import Foundation
import MicroStateRPC
import MicroStateWire

enum EventMethod {
    static let append = "/microstate.v1.EventStream/Append"
    static let read = "/microstate.v1.EventStream/Read"
    static let subscribe = "/microstate.v1.EventStream/Subscribe"
    static let ack = "/microstate.v1.EventStream/Ack"
    static let setMetadata = "/microstate.v1.EventStream/SetStreamMetadata"
    static let getMetadata = "/microstate.v1.EventStream/GetStreamMetadata"
}

/// `--expected-revision` / `--expected-state` as the request's oneof.
struct ExpectationOptions: ParsableArguments {
    @Option(help: "Succeed only if the stream's last revision equals this (0 = exactly one event so far).")
    var expectedRevision: Int64?
    @Option(help: "Succeed only if the stream is in this state: any, no-stream, stream-exists.")
    var expectedState: String?

    func expectation() throws -> StreamExpectation? {
        switch (self.expectedRevision, self.expectedState) {
        case (nil, nil):
            return nil
        case (let revision?, nil):
            return .revision(revision)
        case (nil, let state?):
            switch state {
            case "any": return .state(.any)
            case "no-stream": return .state(.noStream)
            case "stream-exists": return .state(.streamExists)
            default: throw ValidationError("--expected-state must be any, no-stream or stream-exists, not \(state)")
            }
        case (.some, .some):
            throw ValidationError("give --expected-revision or --expected-state, not both")
        }
    }
}

struct Append: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append events to a stream, atomically.",
        discussion: """
            Each DATA argument is one event's payload (UTF-8), all of type --type. Give --id once per event to make
            the append safely retryable: a retry with the same ids returns the first result without writing.
            """
    )

    @OptionGroup var options: ClientOptions
    @OptionGroup var expectation: ExpectationOptions
    @Argument(help: "The stream.") var stream: String
    @Argument(help: "One payload per event (UTF-8).") var data: [String]
    @Option(help: "The events' type.") var type: String
    @Option(help: "Event ids (one per event, in order); omitted = the node assigns random UUIDs.") var id: [String] = []
    @Option(help: "The events' content type.") var contentType = "application/json"
    @Option(help: "Metadata entry key=value on every event (repeatable).") var meta: [String] = []

    func validate() throws {
        if !self.id.isEmpty && self.id.count != self.data.count {
            throw ValidationError("give --id once per event (\(self.data.count)), or not at all")
        }
        for entry in self.meta where !entry.contains("=") {
            throw ValidationError("--meta needs key=value, got \(entry)")
        }
    }

    func run() async throws {
        var metadata: [String: String] = [:]
        for entry in self.meta {
            let parts = entry.split(separator: "=", maxSplits: 1)
            metadata[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let events = self.data.enumerated().map { index, payload in
            EventData(
                id: self.id.isEmpty ? "" : self.id[index],
                type: self.type,
                data: Array(payload.utf8),
                metadata: metadata,
                contentType: self.contentType
            )
        }
        let request = AppendRequest(stream: self.stream, expected: try self.expectation.expectation(), events: events)
        let response = try await self.options.withClient { client, timeout in
            try await client.call(EventMethod.append, request, as: AppendResponse.self, timeout: timeout)
        }
        Output.emit(json: self.options.json, [
            "first_revision": response.firstRevision, "last_revision": response.lastRevision,
            "position": response.position,
        ]) {
            "OK revisions=\(response.firstRevision)...\(response.lastRevision) position=\(response.position)"
        }
    }
}

struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Read a stream (or $all) forwards or backwards.",
        discussion: "Exits 1 (with a message on stderr) when the stream does not exist."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The stream, or $all for every stream in position order.") var stream: String
    @Option(help: "First revision read, inclusive (a position on $all); -1 with --backwards = from the end.")
    var from: Int64?
    @Flag(help: "Newest first.") var backwards = false
    @Option(help: "Most events (0 = the server's maximum).") var maxCount: Int64 = 0

    func run() async throws {
        let from = self.from ?? (self.backwards ? -1 : 0)
        let request = ReadRequest(stream: self.stream, fromRevision: from, backwards: self.backwards, maxCount: self.maxCount)
        let json = self.options.json
        try await self.options.withClient(notFoundExitsOne: true) { client, timeout in
            for try await bytes in client.serverStreaming(path: EventMethod.read, request: request.wireBytes(), timeout: timeout) {
                let response = try bytes.withUnsafeBytes { try ReadResponse(wireBytes: $0) }
                if let event = response.event {
                    Output.emit(json: json, Output.object(event)) { Output.line(event) }
                }
            }
        }
    }
}

struct Subscribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a stream (or $all): catch up from --from, then print live events until interrupted.",
        discussion: """
            Prints a `-- caught up at position N --` line when the history is replayed. With --group, starts
            after the group's checkpoint and --ack moves the checkpoint after each event printed.
            """
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The stream, or $all.") var stream: String
    @Option(help: "First revision (a position on $all), inclusive; -1 = live only.") var from: Int64 = 0
    @Option(help: "Durable consumer group: resume after its checkpoints.") var group = ""
    @Option(help: "Only events whose type starts with this.") var typePrefix = ""
    @Flag(help: "With --group: acknowledge each event after printing it.") var ack = false
    @Option(help: "Exit after this many events (0 = never).") var count = 0

    func validate() throws {
        if self.ack && self.group.isEmpty {
            throw ValidationError("--ack needs --group")
        }
    }

    func run() async throws {
        var options = self.options
        if options.timeout == 5 {
            options.timeout = 0  // a subscription lives until interrupted unless a deadline was asked for
        }
        let request = SubscribeRequest(stream: self.stream, fromRevision: self.from, group: self.group, typePrefix: self.typePrefix)
        let json = self.options.json
        let (limit, group, ack) = (self.count, self.group, self.ack)
        try await options.withClient { client, timeout in
            var seen = 0
            for try await bytes in client.serverStreaming(path: EventMethod.subscribe, request: request.wireBytes(), timeout: timeout) {
                let response = try bytes.withUnsafeBytes { try SubscribeResponse(wireBytes: $0) }
                switch response.content {
                case .event(let event):
                    Output.emit(json: json, Output.object(event)) { Output.line(event) }
                    if ack {
                        _ = try await client.call(
                            EventMethod.ack,
                            AckRequest(group: group, stream: event.stream, revision: event.revision),
                            as: AckResponse.self,
                            timeout: .seconds(10)
                        )
                    }
                    seen += 1
                    if limit > 0, seen >= limit {
                        return
                    }
                case .caughtUp(let caughtUp):
                    Output.emit(json: json, ["caught_up": caughtUp.position]) {
                        "-- caught up at position \(caughtUp.position) --"
                    }
                case nil:
                    break
                }
            }
        }
    }
}

struct StreamMeta: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream-meta",
        abstract: "Show a stream's retention settings and state; with any option, change the settings first.",
        discussion: "Options not given keep their current value. 0 means unlimited / none."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The stream.") var stream: String
    @Option(help: "Keep only the newest N events.") var maxCount: Int64?
    @Option(help: "Hide events older than this many milliseconds.") var maxAgeMs: Int64?
    @Option(help: "Hide revisions below this one.") var truncateBefore: Int64?

    func run() async throws {
        let stream = self.stream
        let changes = (self.maxCount, self.maxAgeMs, self.truncateBefore)
        let info = try await self.options.withClient(notFoundExitsOne: true) { client, timeout in
            if changes.0 != nil || changes.1 != nil || changes.2 != nil {
                var current = StreamMetadata()
                if let existing = try? await client.call(
                    EventMethod.getMetadata, GetStreamMetadataRequest(stream: stream),
                    as: GetStreamMetadataResponse.self, timeout: timeout
                ), let metadata = existing.metadata {
                    current = metadata
                }
                current.maxCount = changes.0 ?? current.maxCount
                current.maxAgeMs = changes.1 ?? current.maxAgeMs
                current.truncateBefore = changes.2 ?? current.truncateBefore
                _ = try await client.call(
                    EventMethod.setMetadata, SetStreamMetadataRequest(stream: stream, metadata: current),
                    as: SetStreamMetadataResponse.self, timeout: timeout
                )
            }
            return try await client.call(
                EventMethod.getMetadata, GetStreamMetadataRequest(stream: stream),
                as: GetStreamMetadataResponse.self, timeout: timeout
            )
        }
        let metadata = info.metadata ?? StreamMetadata()
        Output.emit(json: self.options.json, [
            "stream": stream, "max_count": metadata.maxCount, "max_age_ms": metadata.maxAgeMs,
            "truncate_before": metadata.truncateBefore, "last_revision": info.lastRevision, "deleted": info.deleted,
            "hard_deleted": info.hardDeleted,
        ]) {
            "\(stream): last_revision=\(info.lastRevision) max_count=\(metadata.maxCount) "
                + "max_age_ms=\(metadata.maxAgeMs) truncate_before=\(metadata.truncateBefore)"
                + (info.hardDeleted ? " HARD-DELETED" : info.deleted ? " deleted" : "")
        }
    }
}

extension Output {
    static func line(_ event: RecordedEvent) -> String {
        "\(event.stream)@\(event.revision) pos=\(event.position) \(event.type) \(self.text(event.data))"
            + (event.metadata.isEmpty ? "" : "  " + event.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }

    static func object(_ event: RecordedEvent) -> [String: Any] {
        [
            "stream": event.stream, "revision": event.revision, "position": event.position, "id": event.id,
            "type": event.type, "data": self.text(event.data), "metadata": event.metadata,
            "content_type": event.contentType, "recorded_at_unix_ms": event.recordedAtUnixMs,
        ]
    }
}
