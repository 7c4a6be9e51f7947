import Foundation
import MicroStateRPC
import MicroStateSchema
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Where an upstream Confluent-compatible schema registry listens: `http://host[:port][/base]` (issue #5).
///
/// Only plain `http` is accepted: the node has no TLS client, and silently sending schemas in clear text to an
/// `https` URL would be worse than refusing to start.
public struct RegistryURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path prefix without a trailing slash (empty, or `/registry` for `http://h:8081/registry`).
    public var basePath: String

    public init(host: String, port: Int, basePath: String = "") {
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `text`; the error message says what is wrong and is meant to be shown as is at startup.
    public static func parse(_ text: String) throws(RegistryHTTPError) -> RegistryURL {
        func invalid(_ why: String) -> RegistryHTTPError {
            RegistryHTTPError(code: .invalidURL, message: "upstream registry URL '\(text)': \(why)")
        }
        let lowered = text.lowercased()
        if lowered.hasPrefix("https://") {
            throw invalid("https is not supported (the node has no TLS client); use http:// or a local TLS proxy")
        }
        guard lowered.hasPrefix("http://") else {
            throw invalid("must start with http://")
        }
        let rest = text.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.contains("?") || path.contains("#") {
            throw invalid("a query or fragment is not allowed")
        }
        while path.hasSuffix("/") {
            path.removeLast()
        }
        guard !authority.isEmpty, !authority.contains("@") else {
            throw invalid("needs a host (and no user info)")
        }
        var host = String(authority)
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else { throw invalid("bad port") }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]) else { throw invalid("bad port") }
            port = value
        }
        guard !host.isEmpty else { throw invalid("needs a host") }
        guard (1...65535).contains(port) else { throw invalid("port must be 1 to 65535") }
        return RegistryURL(host: host, port: port, basePath: path)
    }

    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "http://\(host):\(self.port)\(self.basePath)"
    }
}

/// A failed call to the upstream registry: what went wrong, the HTTP status if one came back, and the registry's own
/// error (`{"error_code", "message"}`) when the body held one.
public struct RegistryHTTPError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        /// The URL given is not one the client can use.
        public static let invalidURL = Code(description: "invalid_url")
        /// No connection, or it broke before the whole response arrived.
        public static let connectionFailed = Code(description: "connection_failed")
        /// No complete response within the timeout.
        public static let timedOut = Code(description: "timed_out")
        /// The response is larger than `RegistryHTTPClient.maxResponseBytes`.
        public static let responseTooLarge = Code(description: "response_too_large")
        /// The response is not the JSON expected.
        public static let malformedResponse = Code(description: "malformed_response")
        /// A non-2xx status (see `status` and `registryError`).
        public static let httpStatus = Code(description: "http_status")
    }

    public var code: Code
    public var message: String
    /// The HTTP status, when a response arrived.
    public var status: Int?
    /// The registry's error body, when it had one.
    public var registryError: RegistryError?

    public init(code: Code, message: String, status: Int? = nil, registryError: RegistryError? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.registryError = registryError
    }

    public var description: String {
        "\(self.code): \(self.message)"
    }

    /// The gRPC code the outbound policy judges this failure by: UNAVAILABLE (retried, a breaker failure) for no
    /// connection and 5xx; DEADLINE_EXCEEDED for a timeout; the registry's answer to a bad request (404, 409, 422)
    /// as NOT_FOUND / FAILED_PRECONDITION / INVALID_ARGUMENT, which the breaker does not count.
    public var grpcCode: Status.Code {
        switch self.code {
        case .connectionFailed: return .unavailable
        case .timedOut: return .deadlineExceeded
        case .responseTooLarge: return .resourceExhausted
        case .malformedResponse, .invalidURL: return .internalError
        default:
            switch self.status ?? 0 {
            case 404: return .notFound
            case 409: return .failedPrecondition
            case 401: return .unauthenticated
            case 403: return .permissionDenied
            case 429: return .resourceExhausted
            case 400..<500: return .invalidArgument
            case 501: return .unimplemented
            default: return .unavailable
            }
        }
    }

    /// This error as the `RPCError` the outbound destination's breaker and retry policy see (the cause is `self`).
    public var rpcError: RPCError {
        RPCError(code: self.grpcCode, message: self.description, cause: self)
    }
}

/// A small HTTP/1.1 client for the Confluent schema registry REST API on SwiftNIO: one connection per request
/// (`Connection: close`), JSON bodies through Foundation's `JSONSerialization`, a timeout per request and a cap on
/// the response size. Resilience (retries, breaker, bulkhead) is the caller's, through `OutboundDestination`.
public final class RegistryHTTPClient: Sendable {
    /// Largest response body accepted, in bytes. A version answer carries one schema of up to
    /// `SchemaRegistryState.maxSchemaBytes` (1 MiB), JSON-escaped (up to 6 bytes per byte for control characters);
    /// a subject list of `SchemaRegistryState.maxSubjects` names of up to 255 bytes is ~25 MiB. 32 MiB covers both
    /// and bounds what a misbehaving upstream can make the node buffer.
    public static let maxResponseBytes = 32 << 20
    /// Confluent's content type (its clients send and accept it; `application/json` is accepted as well).
    static let contentType = "application/vnd.schemaregistry.v1+json"

    public let url: RegistryURL
    private let group: any EventLoopGroup
    private let responseLimit: Int

    /// - Parameter maxResponseBytes: the response body limit (tests lower it).
    public init(
        url: RegistryURL,
        group: any EventLoopGroup,
        maxResponseBytes: Int = RegistryHTTPClient.maxResponseBytes
    ) {
        precondition(maxResponseBytes > 0)
        self.url = url
        self.group = group
        self.responseLimit = maxResponseBytes
    }

    /// One request; answers the decoded JSON body of a 2xx response (nil for an empty body).
    ///
    /// - Parameters:
    ///   - path: below the base path, already percent-encoded (`/subjects/a%2Fb/versions`).
    ///   - body: a JSON-serialisable value to send, or nil.
    public func request(
        _ method: HTTPMethod,
        _ path: String,
        body: Any? = nil,
        timeout: TimeAmount
    ) async throws(RegistryHTTPError) -> Any? {
        var payload: [UInt8] = []
        if let body {
            guard let data = try? JSONSerialization.data(withJSONObject: body) else {
                throw RegistryHTTPError(code: .malformedResponse, message: "request body is not JSON-serialisable")
            }
            payload = Array(data)
        }
        let raw = try await self.exchange(method, self.url.basePath + path, payload: payload, timeout: timeout)
        return try Self.decode(status: raw.status, body: raw.body, what: "\(method) \(path)")
    }

    /// Interprets a response: 2xx → its JSON (nil when empty); otherwise an error carrying the registry's
    /// `{"error_code", "message"}` when the body is one.
    static func decode(status: Int, body: [UInt8], what: String) throws(RegistryHTTPError) -> Any? {
        let json: Any? = body.isEmpty
            ? nil : try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        guard (200..<300).contains(status) else {
            var registry: RegistryError?
            if let object = json as? [String: Any], let code = (object["error_code"] as? NSNumber)?.intValue {
                registry = RegistryError(code: code, message: object["message"] as? String ?? "")
            }
            let detail = registry.map { " (\($0))" }
                ?? (body.isEmpty ? "" : ": " + String(decoding: body.prefix(200), as: UTF8.self))
            throw RegistryHTTPError(
                code: .httpStatus,
                message: "\(what) answered HTTP \(status)\(detail)",
                status: status,
                registryError: registry
            )
        }
        if !body.isEmpty && json == nil {
            throw RegistryHTTPError(
                code: .malformedResponse,
                message: "\(what) answered HTTP \(status) with a body that is not JSON",
                status: status
            )
        }
        return json
    }

    /// Percent-encodes one path segment (a subject name may hold `/`, spaces, ...).
    public static func segment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    private func exchange(
        _ method: HTTPMethod,
        _ uri: String,
        payload: [UInt8],
        timeout: TimeAmount
    ) async throws(RegistryHTTPError) -> (status: Int, body: [UInt8]) {
        let eventLoop = self.group.next()
        let promise = eventLoop.makePromise(of: (Int, [UInt8]).self)
        let completion = Completion(promise: promise)
        let limit = self.responseLimit
        let url = self.url
        let timeoutTask = eventLoop.scheduleTask(in: timeout) {
            completion.fail(RegistryHTTPError(
                code: .timedOut,
                message: "\(method) \(url)\(uri): no response within \(timeout.nanoseconds / 1_000_000) ms"
            ))
        }
        let connect = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    let collector = ResponseCollector(limit: limit, completion: completion)
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: url.host, port: url.port)
        connect.whenComplete { result in
            switch result {
            case .failure(let error):
                let message = "cannot connect to \(url): \(error)"
                completion.fail(RegistryHTTPError(code: .connectionFailed, message: message))
            case .success(let channel):
                completion.attach(channel)
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri.isEmpty ? "/" : uri)
                head.headers.add(name: "Host", value: url.port == 80 ? url.host : "\(url.host):\(url.port)")
                head.headers.add(name: "Accept", value: "\(Self.contentType), application/json")
                head.headers.add(name: "Connection", value: "close")
                head.headers.add(name: "User-Agent", value: "microstatedb-schema-mirror")
                head.headers.add(name: "Content-Length", value: String(payload.count))
                if !payload.isEmpty {
                    head.headers.add(name: "Content-Type", value: Self.contentType)
                }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                if !payload.isEmpty {
                    let buffer = channel.allocator.buffer(bytes: payload)
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
                }
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            }
        }
        do {
            // A cancelled caller (the node stopping) does not wait for the timeout.
            let (status, body) = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                eventLoop.execute {
                    let message = "\(method) \(url)\(uri): cancelled"
                    completion.fail(RegistryHTTPError(code: .connectionFailed, message: message))
                }
            }
            timeoutTask.cancel()
            return (status, body)
        } catch let error as RegistryHTTPError {
            timeoutTask.cancel()
            throw error
        } catch {
            timeoutTask.cancel()
            throw RegistryHTTPError(code: .connectionFailed, message: "\(url): \(error)")
        }
    }
}

/// Completes one request's promise once (response, error, timeout or close, whichever comes first) and closes the
/// connection then. Every method runs on the request's event loop.
private final class Completion: @unchecked Sendable {
    private let promise: EventLoopPromise<(Int, [UInt8])>
    private var done = false
    private var channel: (any Channel)?

    init(promise: EventLoopPromise<(Int, [UInt8])>) {
        self.promise = promise
    }

    func attach(_ channel: any Channel) {
        self.promise.futureResult.eventLoop.preconditionInEventLoop()
        if self.done {
            channel.close(promise: nil)
        } else {
            self.channel = channel
        }
    }

    func succeed(_ status: Int, _ body: [UInt8]) {
        self.finish { $0.succeed((status, body)) }
    }

    func fail(_ error: RegistryHTTPError) {
        self.finish { $0.fail(error) }
    }

    private func finish(_ complete: (EventLoopPromise<(Int, [UInt8])>) -> Void) {
        self.promise.futureResult.eventLoop.preconditionInEventLoop()
        guard !self.done else { return }
        self.done = true
        complete(self.promise)
        self.channel?.close(promise: nil)
        self.channel = nil
    }
}

/// Collects one HTTP response, refusing bodies over the limit.
private final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let limit: Int
    private let completion: Completion
    private var status: Int?
    private var body: [UInt8] = []

    init(limit: Int, completion: Completion) {
        self.limit = limit
        self.completion = completion
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > self.limit {
                self.completion.fail(Self.tooLarge(length, self.limit))
            }
        case .body(let buffer):
            guard self.body.count + buffer.readableBytes <= self.limit else {
                self.completion.fail(Self.tooLarge(self.body.count + buffer.readableBytes, self.limit))
                return
            }
            self.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            self.completion.succeed(self.status ?? 0, self.body)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.completion.fail(RegistryHTTPError(code: .connectionFailed, message: "connection failed: \(error)"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        let message = "connection closed before the response ended"
        self.completion.fail(RegistryHTTPError(code: .connectionFailed, message: message))
        context.fireChannelInactive()
    }

    private static func tooLarge(_ bytes: Int, _ limit: Int) -> RegistryHTTPError {
        RegistryHTTPError(
            code: .responseTooLarge,
            message: "response of at least \(bytes) bytes exceeds the limit of \(limit)"
        )
    }
}
