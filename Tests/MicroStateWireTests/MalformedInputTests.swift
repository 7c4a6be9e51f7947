import MicroStateWire
import Testing

/// Hostile or broken bytes must decode or throw `WireError(.malformed)`; a trap here would take down the server.
@Suite("Malformed input never crashes the decoder")
struct MalformedInputTests {
    @Test("Every prefix of every valid encoding decodes or throws malformed", arguments: richSamples.indices)
    func truncation(index: Int) {
        let sample = richSamples[index]
        let bytes = sample.wireBytes()
        for length in 0..<bytes.count {
            if let error = decodeError(as: sample, Array(bytes[0..<length])) {
                #expect(error.code == .malformed, "\(type(of: sample)) cut at \(length)")
            }
        }
    }

    @Test("Cutting inside a field is malformed; cutting between fields is a shorter message")
    func truncationGolden() throws {
        let golden = hex("0a 01 61 12 01 62 18 00")
        let throwsAt = [1, 2, 4, 5, 7]
        for length in 0..<golden.count {
            let prefix = Array(golden[0..<length])
            if throwsAt.contains(length) {
                #expect(throws: WireError.self, "cut at \(length)") { try PutRequest(wireBytes: prefix) }
            } else {
                #expect(throws: Never.self, "cut at \(length)") { try PutRequest(wireBytes: prefix) }
            }
        }
        #expect(try PutRequest(wireBytes: Array(golden[0..<3])) == PutRequest(key: [0x61]))
    }

    @Test("Broken encodings throw malformed", arguments: [
        ("varint longer than ten bytes", "10 ff ff ff ff ff ff ff ff ff ff 01"),
        ("varint cut short", "10 ff"),
        ("tag varint cut short", "ff"),
        ("bytes field sent as varint", "08 01"),
        ("int64 field sent as length-delimited", "1a 01 00"),
        ("string field sent as fixed32", "2d 00 00 00 00"),
        ("length past the end", "0a 05 61"),
        ("length of four gigabytes", "0a ff ff ff ff 0f 61"),
        ("length with eleven-byte varint", "0a ff ff ff ff ff ff ff ff ff ff 01"),
        ("field number zero", "00 00"),
        ("unknown field cut short", "7a 05 01"),
        ("unknown fixed64 cut short", "51 01 02"),
    ])
    func brokenEncodings(name: String, bytes: String) {
        #expect(throws: WireError.self, "\(name)") { try PutRequest(wireBytes: hex(bytes)) }
    }

    @Test("A malformed nested message fails its parent")
    func malformedNested() {
        // GetResponse.kv (field 3) holding KeyValue{key: length 5, one byte}.
        #expect(throws: WireError.self) { try GetResponse(wireBytes: hex("1a 03 0a 05 61")) }
        // TxnRequest.success (field 2) holding a RequestOp whose put has a bad varint.
        #expect(throws: WireError.self) { try TxnRequest(wireBytes: hex("12 04 0a 02 18 ff")) }
    }

    @Test("The error names the message type and reads well")
    func errorDescription() {
        do {
            _ = try PutRequest(wireBytes: hex("0a 05"))
            Issue.record("expected a WireError")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.message.contains("microstate.v1.PutRequest"))
            #expect(error.description.hasPrefix("malformed: "))
        }
    }

    @Test("Thousands of random byte strings decode or throw, for every message type")
    func randomBytes() {
        var generator = SplitMix64(seed: 0x5EED)
        var decoded = 0
        var rejected = 0
        for _ in 0..<4000 {
            let length = Int.random(in: 0...64, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            for type in allMessageTypes {
                do {
                    let message = try type.init(wireBytes: bytes)
                    // Whatever decoded must re-encode and decode to itself.
                    let survives = survivesRoundTrip(message)
                    #expect(survives, "\(type) from \(hex(bytes))")
                    decoded += 1
                } catch {
                    rejected += 1
                }
            }
        }
        // Both outcomes occur, so the loop exercised the decoder rather than one trivial path.
        #expect(decoded > 0 && rejected > 0)
    }

    @Test("Thousands of mutated valid encodings decode or throw", arguments: richSamples.indices)
    func mutatedEncodings(index: Int) {
        let sample = richSamples[index]
        let valid = sample.wireBytes()
        guard !valid.isEmpty else {
            return
        }
        var generator = SplitMix64(seed: UInt64(index))
        for _ in 0..<500 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0:
                    bytes[position] = UInt8.random(in: .min ... .max, using: &generator)
                case 1:
                    bytes.insert(UInt8.random(in: .min ... .max, using: &generator), at: position)
                default:
                    bytes.remove(at: position)
                }
                if bytes.isEmpty {
                    break
                }
            }
            if let error = decodeError(as: sample, bytes) {
                #expect(error.code == .malformed)
            }
        }
    }
}
