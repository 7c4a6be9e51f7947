import MicroStateHTTP2

/// The header blocks a gRPC server sends (gRPC PROTOCOL-HTTP2.md, "Responses"), static where possible so
/// nghttp2 takes them without a copy.
enum ServerResponseHeaders {
    /// Response-Headers: `:status 200`, `content-type application/grpc`.
    static let responseHeaders: [HTTP2Header] = [
        HTTP2Header(":status", "200"),
        HTTP2Header("content-type", "application/grpc"),
    ]

    private static let statusValues: [StaticString] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    ]

    /// `grpc-status: 0` and nothing else: the trailers of almost every call, built once.
    static let okTrailers: [HTTP2Header] = [HTTP2Header("grpc-status", "0")]

    /// Trailers: `grpc-status`, `grpc-message` (percent-encoded) when there is a message.
    static func trailers(_ status: Status) -> [HTTP2Header] {
        if status.code == .ok && status.message.isEmpty {
            return Self.okTrailers
        }
        var headers: [HTTP2Header] = []
        headers.reserveCapacity(2)
        Self.appendStatus(status, to: &headers)
        return headers
    }

    /// Trailers-Only: `:status 200`, `content-type`, `grpc-status`, `grpc-message` in one HEADERS frame.
    static func trailersOnly(_ status: Status) -> [HTTP2Header] {
        var headers = Self.responseHeaders
        headers.reserveCapacity(4)
        Self.appendStatus(status, to: &headers)
        return headers
    }

    private static func appendStatus(_ status: Status, to headers: inout [HTTP2Header]) {
        let raw = status.code.rawValue
        if raw >= 0 && raw < Self.statusValues.count {
            headers.append(HTTP2Header("grpc-status", Self.statusValues[raw]))
        } else {
            headers.append(HTTP2Header("grpc-status", status.code.headerValue))
        }
        if !status.message.isEmpty {
            headers.append(HTTP2Header("grpc-message", Self.percentEncoded(status.message)))
        }
    }

    /// `grpc-message` encoding: UTF-8, bytes %x20-%x24 and %x26-%x7E as is, every other byte `%XX` (upper-case
    /// hex). gRPC PROTOCOL-HTTP2.md, "Responses".
    static func percentEncoded(_ message: String) -> String {
        let utf8 = message.utf8
        if utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != 0x25 }) {
            return message
        }
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count * 3)
        for byte in utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != 0x25 {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
