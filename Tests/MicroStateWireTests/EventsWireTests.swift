import MicroStateWire
import Testing

/// Whether `message` encodes to exactly `bytes` and `bytes` decode to exactly `message` (opens the existential).
func matchesGolden<M: WireMessage>(_ message: M, _ bytes: [UInt8]) -> Bool {
    message.wireBytes() == bytes && (try? M(wireBytes: bytes)) == message
}

/// Decodes `bytes` as `type`: nil when it decodes, else the error.
func decodeError(as type: any WireMessage.Type, _ bytes: [UInt8]) -> WireError? {
    do throws(WireError) {
        _ = try type.init(wireBytes: bytes)
        return nil
    } catch {
        return error
    }
}

// Hand-built encodings of the samples in TestSupport.swift, field by field from events.proto.
let headerBytes = Field.int(1, 1) + Field.int(2, 2) + Field.string(3, "t")
let goldenHeader = ResponseHeader(nodeId: 1, revision: 2, sessionToken: "t")
let eventDataBytes = Field.string(1, "3f2a-ü") + Field.string(2, "OrderPlaced") + Field.bytes(3, [0, 1, 0xFF])
    // Map entries in bytewise key order: "tenant" < "trace" < "ключ" (0xD0...).
    + Field.entry(4, "tenant", "acme") + Field.entry(4, "trace", "t-1") + Field.entry(4, "ключ", unicode)
    + Field.string(5, "application/json")
let recordedEventBytes = Field.string(1, "orders-1") + Field.int(2, Int64.max) + Field.int(3, 12)
    + Field.string(4, "e-1") + Field.string(5, "OrderShipped") + Field.bytes(6, [7])
    + Field.entry(7, "a", "1") + Field.entry(7, "b", unicode) + Field.string(8, "text/plain")
    + Field.int(9, 1_764_000_000_000)
let ackRequestBytes = Field.string(1, "billing") + Field.string(2, "orders-1") + Field.int(3, 41)
let streamMetadataBytes = Field.int(1, 10) + Field.int(2, 86_400_000) + Field.int(3, Int64.min)

@Suite("events.proto: EventStream service messages")
struct EventsWireTests {
    @Test("Every events.proto sample sets every field to a non-default value")
    func samplesSetEveryField() {
        for sample in eventSamples {
            #expect(defaultedFields(of: sample) == [], "\(type(of: sample)) leaves fields at their default")
        }
    }

    @Test("Every events.proto message round-trips a value with every field set", arguments: eventSamples.indices)
    func richRoundTrip(index: Int) {
        let sample = eventSamples[index]
        let survives = survivesRoundTrip(sample)
        #expect(survives, "\(sample)")
    }

    @Test("Hand-built bytes of every message decode to the expected value and are what the encoder writes")
    func goldenEveryMessage() {
        let h = Field.message(1, headerBytes)
        let cases: [(any WireMessage, [UInt8])] = [
            (eventData, eventDataBytes),
            (
                AppendRequest(stream: "orders-1", expected: .revision(7), events: [eventData, EventData()]),
                Field.string(1, "orders-1") + Field.int(2, 7) + Field.message(4, eventDataBytes) + Field.message(4)
            ),
            (
                AppendRequest(stream: "s", expected: .state(.noStream), events: [EventData(type: "T")]),
                Field.string(1, "s") + Field.int(3, 1) + Field.message(4, Field.string(2, "T"))
            ),
            (
                AppendResponse(header: goldenHeader, firstRevision: 4, lastRevision: 6, position: 9),
                h + Field.int(2, 4) + Field.int(3, 6) + Field.int(4, 9)
            ),
            (recordedEvent, recordedEventBytes),
            (
                ReadRequest(stream: "$all", fromRevision: -1, backwards: true, maxCount: 100),
                Field.string(1, "$all") + Field.int(2, -1) + Field.int(3, 1) + Field.int(4, 100)
            ),
            (ReadResponse(event: recordedEvent), Field.message(1, recordedEventBytes)),
            (
                SubscribeRequest(stream: "orders-1", fromRevision: 3, group: "billing", typePrefix: "Order"),
                Field.string(1, "orders-1") + Field.int(2, 3) + Field.string(3, "billing") + Field.string(4, "Order")
            ),
            (CaughtUp(position: 42), Field.int(1, 42)),
            (SubscribeResponse(content: .event(recordedEvent)), Field.message(1, recordedEventBytes)),
            (SubscribeResponse(content: .caughtUp(CaughtUp(position: 42))), Field.message(2, Field.int(1, 42))),
            (ackRequest, ackRequestBytes),
            (AckResponse(header: goldenHeader), h),
            (
                SaveSnapshotRequest(stream: "orders-1", revision: 3, state: [9, 8]),
                Field.string(1, "orders-1") + Field.int(2, 3) + Field.bytes(3, [9, 8])
            ),
            (SaveSnapshotResponse(header: goldenHeader), h),
            (LoadSnapshotRequest(stream: "orders-1"), Field.string(1, "orders-1")),
            (
                LoadSnapshotResponse(header: goldenHeader, found: true, revision: 3, state: [9]),
                h + Field.int(2, 1) + Field.int(3, 3) + Field.bytes(4, [9])
            ),
            (streamMetadata, streamMetadataBytes),
            (
                SetStreamMetadataRequest(stream: "orders-1", metadata: streamMetadata),
                Field.string(1, "orders-1") + Field.message(2, streamMetadataBytes)
            ),
            (SetStreamMetadataResponse(header: goldenHeader), h),
            (GetStreamMetadataRequest(stream: "orders-1"), Field.string(1, "orders-1")),
            (
                GetStreamMetadataResponse(
                    header: goldenHeader, metadata: streamMetadata, lastRevision: 5, deleted: true, hardDeleted: true
                ),
                h + Field.message(2, streamMetadataBytes) + Field.int(3, 5) + Field.int(4, 1) + Field.int(5, 1)
            ),
            (
                DeleteStreamRequest(stream: "orders-1", hard: true, expected: .revision(5)),
                Field.string(1, "orders-1") + Field.int(2, 1) + Field.int(3, 5)
            ),
            (
                DeleteStreamRequest(stream: "orders-1", hard: true, expected: .state(.streamExists)),
                Field.string(1, "orders-1") + Field.int(2, 1) + Field.int(4, 2)
            ),
            (DeleteStreamResponse(header: goldenHeader, position: 77), h + Field.int(2, 77)),
        ]
        for (message, bytes) in cases {
            let matches = matchesGolden(message, bytes)
            #expect(matches, "\(type(of: message)): expected \(hex(bytes)), encoded \(hex(message.wireBytes()))")
        }
    }

    @Test("The Txn ack op is field 4 of RequestOp and ResponseOp, in both branches of a Txn")
    func ackOpGolden() throws {
        let request = RequestOp(request: .ack(ackRequest))
        #expect(matchesGolden(request, Field.message(4, ackRequestBytes)))
        let response = ResponseOp(response: .ack(AckResponse(header: goldenHeader)))
        #expect(matchesGolden(response, Field.message(4, Field.message(1, headerBytes))))
        #expect(matchesGolden(ResponseOp(response: .ack(AckResponse())), Field.message(4)))

        let txn = TxnRequest(
            success: [RequestOp(request: .put(PutRequest(key: [1]))), request],
            failure: [RequestOp(request: .ack(AckRequest(group: "g", stream: "s", revision: 1)))]
        )
        let txnBytes = Field.message(2, Field.message(1, Field.bytes(1, [1])))
            + Field.message(2, Field.message(4, ackRequestBytes))
            + Field.message(3, Field.message(4, Field.string(1, "g") + Field.string(2, "s") + Field.int(3, 1)))
        #expect(matchesGolden(txn, txnBytes))

        let txnResponse = TxnResponse(succeeded: true, responses: [response, ResponseOp()], revision: 8)
        let txnResponseBytes = Field.int(2, 1) + Field.message(3, Field.message(4, Field.message(1, headerBytes)))
            + Field.message(3) + Field.int(4, 8)
        #expect(matchesGolden(txnResponse, txnResponseBytes))
        let decoded = try TxnResponse(wireBytes: txnResponseBytes)
        #expect(decoded.responses.first?.response == .ack(AckResponse(header: goldenHeader)))
    }

    @Test("Expectation unset, revision 0 and state ANY differ on the wire and each round-trips")
    func expectationPresence() throws {
        let cases: [(StreamExpectation?, [UInt8], [UInt8])] = [
            // (expectation, AppendRequest bytes, DeleteStreamRequest bytes)
            (nil, [], []),
            (.revision(0), hex("10 00"), hex("18 00")),
            (.revision(-1), Field.int(2, -1), Field.int(3, -1)),
            (.revision(Int64.min), Field.int(2, Int64.min), Field.int(3, Int64.min)),
            (.state(.any), hex("18 00"), hex("20 00")),
            (.state(.noStream), hex("18 01"), hex("20 01")),
            (.state(.streamExists), hex("18 02"), hex("20 02")),
        ]
        for (expected, append, delete) in cases {
            #expect(matchesGolden(AppendRequest(expected: expected), append), "\(String(describing: expected))")
            #expect(matchesGolden(DeleteStreamRequest(expected: expected), delete), "\(String(describing: expected))")
        }
        // The last oneof member on the wire wins, as in every protobuf implementation.
        #expect(try AppendRequest(wireBytes: hex("10 05 18 02")).expected == .state(.streamExists))
        #expect(try DeleteStreamRequest(wireBytes: hex("20 01 18 07")).expected == .revision(7))
    }

    @Test("SubscribeResponse content unset, an empty event and an empty CaughtUp are three different messages")
    func subscribeContentPresence() throws {
        #expect(matchesGolden(SubscribeResponse(), []))
        #expect(matchesGolden(SubscribeResponse(content: .event(RecordedEvent())), hex("0a 00")))
        #expect(matchesGolden(SubscribeResponse(content: .caughtUp(CaughtUp())), hex("12 00")))
        #expect(try SubscribeResponse(wireBytes: hex("0a 00 12 02 08 01")).content == .caughtUp(CaughtUp(position: 1)))
    }

    @Test("Absent and present-but-empty submessages stay apart in events.proto responses")
    func presentEmptySubmessages() throws {
        #expect(matchesGolden(ReadResponse(event: RecordedEvent()), hex("0a 00")))
        #expect(matchesGolden(ReadResponse(), []))
        #expect(matchesGolden(GetStreamMetadataResponse(metadata: StreamMetadata()), hex("12 00")))
        #expect(try GetStreamMetadataResponse(wireBytes: []).metadata == nil)
        #expect(matchesGolden(SetStreamMetadataRequest(metadata: StreamMetadata()), hex("12 00")))
        #expect(try AppendResponse(wireBytes: hex("0a 00")).header == ResponseHeader())
    }

    @Test("A metadata key repeated on the wire keeps its last value")
    func duplicateMapKeyKeepsLast() throws {
        let event = try EventData(
            wireBytes: Field.entry(4, "k", "first") + Field.entry(4, "j", "x") + Field.entry(4, "k", "last")
        )
        #expect(event.metadata == ["k": "last", "j": "x"])
        let recorded = try RecordedEvent(
            wireBytes: Field.entry(7, "k", "1") + Field.string(1, "s") + Field.entry(7, "k", "2")
        )
        #expect(recorded.metadata == ["k": "2"])
        #expect(recorded.stream == "s")
        // An entry without key or value is the empty string for the missing one, as proto3 defaults say.
        let partial = try EventData(
            wireBytes: Field.message(4, Field.string(2, "v")) + Field.message(4, Field.string(1, "k"))
        )
        #expect(partial.metadata == ["": "v", "k": ""])
        #expect(try roundTripped(partial) == partial)
    }

    @Test("Metadata entries go out sorted bytewise by key whatever the insertion order")
    func mapEntriesSorted() {
        let sortedKeys = ["", "Z", "a", "aa", "a\u{7F}", "é", "日本"]
        let golden = sortedKeys.flatMap { key in
            // proto3 leaves an empty key out of its entry.
            key.isEmpty ? Field.message(4, Field.string(2, "v")) : Field.entry(4, key, "v\(key)")
        }
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20 {
            var metadata: [String: String] = [:]
            for key in sortedKeys.shuffled(using: &generator) {
                metadata[key] = key.isEmpty ? "v" : "v\(key)"
            }
            let event = EventData(metadata: metadata)
            #expect(event.wireBytes() == golden, "\(metadata)")
        }
        let many = Dictionary(uniqueKeysWithValues: (0..<200).map { ("key-\($0)", "\($0)") })
        let orders = [many, Dictionary(uniqueKeysWithValues: many.sorted { $0.key > $1.key })]
        #expect(RecordedEvent(metadata: orders[0]).wireBytes() == RecordedEvent(metadata: orders[1]).wireBytes())
    }

    @Test("An empty metadata map encodes no entry and decodes to an empty dictionary")
    func emptyMap() throws {
        let event = EventData(id: "i", metadata: [:])
        #expect(matchesGolden(event, Field.string(1, "i")))
        #expect(try EventData(wireBytes: Field.string(1, "i")).metadata == [:])
        #expect(try roundTripped(RecordedEvent(stream: "s")).metadata.isEmpty)
    }

    @Test("Metadata with many entries, unicode and empty values round-trips")
    func bigMap() throws {
        var metadata = Dictionary(uniqueKeysWithValues: (0..<64).map { ("k\($0)", String(repeating: "v", count: $0)) })
        metadata[unicode] = unicode
        let event = EventData(id: "e", type: "T", metadata: metadata)
        #expect(try roundTripped(event) == event)
        let recorded = RecordedEvent(metadata: metadata)
        #expect(try roundTripped(recorded) == recorded)
    }

    @Test("ExpectedState maps every known value and keeps unknown ones, on the wire too")
    func unknownExpectedState() throws {
        for (state, raw) in [(ExpectedState.any, Int32(0)), (.noStream, 1), (.streamExists, 2)] {
            #expect(state.rawValue == raw)
            #expect(ExpectedState(rawValue: raw) == state)
        }
        #expect(ExpectedState(rawValue: 3) == .unrecognized(3))
        #expect(ExpectedState.unrecognized(Int32.min).rawValue == Int32.min)

        let append = try AppendRequest(wireBytes: hex("18 07"))
        #expect(append.expected == .state(.unrecognized(7)))
        #expect(append.wireBytes() == hex("18 07"))
        // Negative enum values are sign-extended to ten bytes, as for int32.
        let negative = Field.int(4, -5)
        let delete = try DeleteStreamRequest(wireBytes: negative)
        #expect(delete.expected == .state(.unrecognized(-5)))
        #expect(delete.wireBytes() == negative)
        for raw: Int32 in [3, 1000, Int32.max, -1, Int32.min] {
            let request = AppendRequest(expected: .state(ExpectedState(rawValue: raw)))
            #expect(try roundTripped(request).expected == .state(.unrecognized(raw)))
        }
    }

    @Test("Broken events.proto encodings throw malformed")
    func brokenEncodings() {
        let cases: [(String, any WireMessage.Type, [UInt8])] = [
            ("stream length past the end", AppendRequest.self, hex("0a 05 61")),
            ("stream sent as varint", AppendRequest.self, hex("08 01")),
            ("expected_revision sent as length-delimited", AppendRequest.self, hex("12 01 00")),
            ("expected_state varint cut short", AppendRequest.self, hex("18 ff")),
            ("events sent as varint", AppendRequest.self, hex("20 01")),
            ("an event whose id length runs past it", AppendRequest.self, hex("22 03 0a 05 61")),
            ("metadata sent as varint", EventData.self, hex("20 01")),
            ("metadata entry key sent as varint", EventData.self, hex("22 02 08 01")),
            ("metadata entry cut inside its value", EventData.self, hex("22 04 12 05 61 62")),
            ("data sent as fixed32", EventData.self, hex("1d 00 00 00 00")),
            ("revision sent as length-delimited", RecordedEvent.self, hex("12 01 00")),
            ("recorded_at cut short", RecordedEvent.self, hex("48 80")),
            ("event sent as varint", ReadResponse.self, hex("08 01")),
            ("caught_up holding a bad varint", SubscribeResponse.self, hex("12 02 08 ff")),
            ("max_count sent as fixed64", ReadRequest.self, hex("21 00 00 00 00 00 00 00 00")),
            ("backwards cut short", ReadRequest.self, hex("18 80")),
            ("state length past the end", SaveSnapshotRequest.self, hex("1a 02 01")),
            ("metadata holding a bad wire type", SetStreamMetadataRequest.self, hex("12 02 0a 00")),
            ("hard cut short", DeleteStreamRequest.self, hex("10")),
            ("header holding a truncated string", AckResponse.self, hex("0a 03 1a 05 61")),
            ("ack holding a bad varint", RequestOp.self, hex("22 02 18 ff")),
            ("ack response sent as varint", ResponseOp.self, hex("20 01")),
            ("Txn success ack with a truncated group", TxnRequest.self, hex("12 05 22 03 0a 05 61")),
        ]
        for (name, type, bytes) in cases {
            let error = decodeError(as: type, bytes)
            #expect(error?.code == .malformed, "\(type): \(name)")
        }
    }

    @Test("Invalid UTF-8 in any events.proto string or map entry throws malformed naming the field")
    func invalidUTF8() {
        let bad: [UInt8] = [0x61, 0xFF]
        let cases: [(any WireMessage.Type, [UInt8], String)] = [
            (EventData.self, Field.bytes(1, [0xC0, 0x80]), "EventData.id"),  // overlong NUL
            (EventData.self, Field.bytes(2, [0xED, 0xA0, 0x80]), "EventData.type"),  // UTF-16 surrogate
            (EventData.self, Field.bytes(5, [0xE6, 0x97]), "EventData.content_type"),  // cut sequence
            (EventData.self, Field.message(4, Field.bytes(1, bad), Field.string(2, "v")), "EventData.metadata"),
            (EventData.self, Field.message(4, Field.string(1, "k"), Field.bytes(2, bad)), "EventData.metadata"),
            (AppendRequest.self, Field.bytes(1, bad), "AppendRequest.stream"),
            (AppendRequest.self, Field.message(4, Field.message(4, Field.bytes(1, bad))), "EventData.metadata"),
            (RecordedEvent.self, Field.bytes(1, bad), "RecordedEvent.stream"),
            (RecordedEvent.self, Field.bytes(4, bad), "RecordedEvent.id"),
            (RecordedEvent.self, Field.bytes(5, bad), "RecordedEvent.type"),
            (RecordedEvent.self, Field.message(7, Field.bytes(1, bad)), "RecordedEvent.metadata"),
            (RecordedEvent.self, Field.message(7, Field.string(1, "k"), Field.bytes(2, bad)), "RecordedEvent.metadata"),
            (RecordedEvent.self, Field.bytes(8, bad), "RecordedEvent.content_type"),
            (ReadRequest.self, Field.bytes(1, bad), "ReadRequest.stream"),
            (ReadResponse.self, Field.message(1, Field.bytes(5, bad)), "RecordedEvent.type"),
            (SubscribeRequest.self, Field.bytes(1, bad), "SubscribeRequest.stream"),
            (SubscribeRequest.self, Field.bytes(3, bad), "SubscribeRequest.group"),
            (SubscribeRequest.self, Field.bytes(4, bad), "SubscribeRequest.type_prefix"),
            (SubscribeResponse.self, Field.message(1, Field.message(7, Field.bytes(1, bad))), "RecordedEvent.metadata"),
            (AckRequest.self, Field.bytes(1, bad), "AckRequest.group"),
            (AckRequest.self, Field.bytes(2, bad), "AckRequest.stream"),
            (SaveSnapshotRequest.self, Field.bytes(1, bad), "SaveSnapshotRequest.stream"),
            (LoadSnapshotRequest.self, Field.bytes(1, bad), "LoadSnapshotRequest.stream"),
            (SetStreamMetadataRequest.self, Field.bytes(1, bad), "SetStreamMetadataRequest.stream"),
            (GetStreamMetadataRequest.self, Field.bytes(1, bad), "GetStreamMetadataRequest.stream"),
            (DeleteStreamRequest.self, Field.bytes(1, bad), "DeleteStreamRequest.stream"),
            (RequestOp.self, Field.message(4, Field.bytes(2, bad)), "AckRequest.stream"),
            (TxnRequest.self, Field.message(3, Field.message(4, Field.bytes(1, bad))), "AckRequest.group"),
        ]
        for (type, bytes, field) in cases {
            let error = decodeError(as: type, bytes)
            #expect(error?.code == .malformed, "\(type) with invalid \(field): \(hex(bytes))")
            #expect(error?.message.contains("microstate.v1.\(field)") == true, "\(error?.message ?? "no error")")
        }
    }

    @Test("Valid UTF-8 at the edges decodes, a literal U+FFFD included")
    func validUTF8Edges() throws {
        for text in ["\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}"] {
            let event = EventData(id: text, type: text, metadata: [text: text], contentType: text)
            #expect(try roundTripped(event) == event, "\(text.unicodeScalars.map { $0.value })")
            #expect(try AckRequest(wireBytes: Field.string(1, text)).group == text)
        }
    }

    @Test("Negative and extreme integers round-trip in every int64 field of events.proto")
    func integerEdges() throws {
        for value in [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max] {
            let messages: [any WireMessage] = [
                AppendRequest(expected: .revision(value)),
                AppendResponse(firstRevision: value, lastRevision: value, position: value),
                RecordedEvent(revision: value, position: value, recordedAtUnixMs: value),
                ReadRequest(fromRevision: value, maxCount: value),
                SubscribeRequest(fromRevision: value),
                CaughtUp(position: value),
                AckRequest(revision: value),
                SaveSnapshotRequest(revision: value),
                LoadSnapshotResponse(revision: value),
                StreamMetadata(maxCount: value, maxAgeMs: value, truncateBefore: value),
                GetStreamMetadataResponse(lastRevision: value),
                DeleteStreamRequest(expected: .revision(value)),
                DeleteStreamResponse(position: value),
            ]
            for message in messages {
                let survives = survivesRoundTrip(message)
                #expect(survives, "\(type(of: message)) with \(value)")
            }
        }
    }

    @Test("An append of thousands of events with metadata and payloads round-trips")
    func bigAppend() throws {
        var generator = SplitMix64(seed: 3)
        let events = (0..<3000).map { index in
            EventData(
                id: "id-\(index)",
                type: "Type\(index % 7)",
                data: (0..<(index % 300)).map { _ in UInt8.random(in: .min ... .max, using: &generator) },
                metadata: ["index": "\(index)", "parity": index % 2 == 0 ? "even" : "odd"],
                contentType: "application/octet-stream"
            )
        }
        let append = AppendRequest(stream: "big", expected: .state(.any), events: events)
        #expect(try roundTripped(append) == append)
        let recorded = events.enumerated().map { index, event in
            SubscribeResponse(content: .event(RecordedEvent(
                stream: "big", revision: Int64(index), position: Int64(index) + 1, id: event.id, type: event.type,
                data: event.data, metadata: event.metadata, contentType: event.contentType
            )))
        }
        for response in recorded.prefix(50) {
            #expect(try roundTripped(response) == response)
        }
    }

    @Test("A U+0000 ends an events.proto string, as protobuf-c stores C strings")
    func nulEndsString() throws {
        #expect(AppendRequest(stream: "a\u{0}b").wireBytes() == Field.string(1, "a"))
        #expect(try AppendRequest(wireBytes: Field.bytes(1, [0x61, 0x00, 0x62])).stream == "a")
    }
}
