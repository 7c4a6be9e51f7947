import Foundation
import Logging

/// A swift-log handler writing one JSON object per line (`serve --log-format json`), for log collectors
/// (Fluent Bit, Vector, Loki, Cloud Logging) that parse structured lines.
///
/// Each line: `{"ts":"2026-11-23T06:30:00.123Z","level":"info","logger":"microstatedb","msg":"...","source":"...",
/// ...metadata}`; metadata keys (`request_id`, `trace_id`, `error`, ...) become top-level string fields, nested
/// metadata stays nested. A metadata key that collides with a fixed field is written under `meta.<key>`.
/// Lines are written with one `write(2)` each, so lines from several threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// - Parameter write: where lines go (default: standard error, one `write(2)` per line).
    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.writeToStandardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let extra = event.metadata {
            merged.merge(extra) { _, new in new }
        }
        var line = "{\"ts\":"
        Self.appendString(Self.timestamp(Date()), to: &line)
        line += ",\"level\":"
        Self.appendString(event.level.rawValue, to: &line)
        line += ",\"logger\":"
        Self.appendString(self.label, to: &line)
        line += ",\"msg\":"
        Self.appendString(event.message.description, to: &line)
        if !event.source.isEmpty {
            line += ",\"source\":"
            Self.appendString(event.source, to: &line)
        }
        for key in merged.keys.sorted() {
            let name = Self.fixedFields.contains(key) ? "meta.\(key)" : key
            line += ","
            Self.appendString(name, to: &line)
            line += ":"
            Self.appendValue(merged[key]!, to: &line)
        }
        line += "}\n"
        self.write(line)
    }

    private static let fixedFields: Set<String> = ["ts", "level", "logger", "msg", "source"]

    /// RFC 3339 UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis
        )
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let string):
            self.appendString(string, to: &line)
        case .stringConvertible(let convertible):
            self.appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 {
                    line += ","
                }
                self.appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 {
                    line += ","
                }
                self.appendString(key, to: &line)
                line += ":"
                self.appendValue(dictionary[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
    static func appendString(_ string: String, to line: inout String) {
        line += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20:
                line += String(format: "\\u%04x", scalar.value)
            default:
                line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }

    /// One `write(2)` per line (retried on EINTR and short writes).
    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR {
                    continue
                }
                return
            }
            offset += written
        }
        bytes.removeAll()
    }
}
