import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import MicroStateNode

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    /// Logs through a handler that collects its lines; returns them parsed.
    private func lines(_ body: (inout Logger) -> Void) throws -> [[String: Any]] {
        let collected = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "test") { label in
            JSONLogHandler(label: label) { line in collected.withLockedValue { $0.append(line) } }
        }
        body(&logger)
        return try collected.withLockedValue { $0 }.map { line in
            #expect(line.hasSuffix("}\n") && !line.dropLast().contains("\n"), "one line per event: \(line)")
            return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test("Each event is one JSON object with time, level, logger, message and metadata as fields")
    func fields() throws {
        let parsed = try self.lines { logger in
            logger[metadataKey: "node_id"] = "7"
            logger.info("served", metadata: ["request_id": "abc-123", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"])
        }
        let line = try #require(parsed.first)
        #expect(line["level"] as? String == "info")
        #expect(line["logger"] as? String == "test")
        #expect(line["msg"] as? String == "served")
        #expect(line["request_id"] as? String == "abc-123")
        #expect(line["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(line["node_id"] as? String == "7")
        let ts = try #require(line["ts"] as? String)
        #expect(ts.count == 24 && ts.hasSuffix("Z"), "RFC 3339 UTC with milliseconds: \(ts)")
    }

    @Test("Quotes, backslashes, newlines and control characters are escaped; non-ASCII kept")
    func escaping() throws {
        let message = "a \"quoted\" \\ path\nnext\tline \u{1} é 日本"
        let parsed = try self.lines { logger in
            logger.warning("\(message)", metadata: ["key \"x\"": "v\nw"])
        }
        #expect(parsed.first?["msg"] as? String == message)
        #expect(parsed.first?["key \"x\""] as? String == "v\nw")
    }

    @Test("A metadata key named like a fixed field does not replace it; nested metadata stays nested")
    func collisionsAndNesting() throws {
        let parsed = try self.lines { logger in
            logger.error("boom", metadata: ["msg": "shadow", "peer": ["host": "10.0.0.1", "ports": ["1", "2"]]])
        }
        let line = try #require(parsed.first)
        #expect(line["msg"] as? String == "boom")
        #expect(line["meta.msg"] as? String == "shadow")
        let peer = try #require(line["peer"] as? [String: Any])
        #expect(peer["host"] as? String == "10.0.0.1")
        #expect(peer["ports"] as? [String] == ["1", "2"])
    }

    @Test("Events below the level are not written")
    func level() throws {
        let parsed = try self.lines { logger in
            logger.logLevel = .warning
            logger.info("hidden")
            logger.warning("shown")
        }
        #expect(parsed.map { $0["msg"] as? String } == ["shown"])
    }
}
