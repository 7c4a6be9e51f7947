import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 admin port: `/healthz` (the process is up), `/readyz` (it serves traffic: recovery done,
/// not shutting down), `/metrics` (Prometheus text format 0.0.4), `/status` (JSON: see `StatusPage`) and `POST /admin/compact` (scavenge now: erase the
/// events hidden by retention and deletes from disk, answering once done).
///
/// It also serves the Confluent-compatible schema registry API (`SchemaRESTFacade`: `/`, `/subjects…`, `/schemas…`,
/// `/compatibility…`, `/config…`, `/mode…`), whose POST and PUT requests carry JSON bodies of at most
/// `SchemaRESTFacade.maxBodyBytes` (413 beyond, and the connection closes).
///
/// Otherwise deliberately plain: GET (and that one POST) only, small bounded requests without a body, one response
/// per request, keep-alive honoured.
final class AdminServer: Sendable {
    /// Requests with a body or headers larger than this are refused (NIO's decoder limits header size;
    /// admin requests carry no body, so any body is rejected). Schema registry requests have their own limit.
    static let maxRequestBodyBytes = 0

    struct Routes: Sendable {
        var isReady: @Sendable () -> Bool
        var metrics: @Sendable () -> String
        /// The `/status` JSON document.
        var status: @Sendable () -> String = { "{}\n" }
        /// Runs a scavenge and describes it; blocking, so it runs off the event loop.
        var compact: @Sendable () throws -> String = { "nothing to compact\n" }
        /// The Confluent-compatible schema registry API (`/subjects…`, `/schemas…`, `/compatibility…`,
        /// `/config…`, `/mode…`); nil leaves those paths 404.
        var schemaREST: SchemaRESTFacade? = nil
    }

    private let routes: Routes
    private let group: any EventLoopGroup
    private let logger: Logger
    private let channel = NIOLockedValueBoxChannel()

    init(routes: Routes, group: any EventLoopGroup, logger: Logger) {
        self.routes = routes
        self.group = group
        self.logger = logger
    }

    func start(host: String, port: Int) async throws -> SocketAddress {
        let routes = self.routes
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(routes: routes))
                }
            }
            .bind(host: host, port: port)
            .get()
        self.channel.set(channel)
        return channel.localAddress!
    }

    func stop() async {
        try? await self.channel.get()?.close()
    }
}

/// Holds the listening channel once bound.
final class NIOLockedValueBoxChannel: @unchecked Sendable {
    private let lock = NIOLock()
    private var channel: (any Channel)?

    func set(_ channel: any Channel) {
        self.lock.withLock { self.channel = channel }
    }

    func get() -> (any Channel)? {
        self.lock.withLock { self.channel }
    }
}

private final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: AdminServer.Routes
    private var head: HTTPRequestHead?
    private var hasBody = false
    /// The body of a schema-registry request, bounded by `SchemaRESTFacade.maxBodyBytes`.
    private var body: [UInt8] = []
    private var bodyTooLarge = false

    init(routes: AdminServer.Routes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.hasBody = false
            self.body = []
            self.bodyTooLarge = false
        case .body(let buffer):
            guard let head = self.head, self.routes.schemaREST != nil, SchemaRESTFacade.handles(path: Self.path(of: head))
            else {
                self.hasBody = true
                return
            }
            if self.body.count + buffer.readableBytes > SchemaRESTFacade.maxBodyBytes {
                self.bodyTooLarge = true
                self.body = []
            } else if !self.bodyTooLarge {
                self.body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head = self.head else {
                return
            }
            self.head = nil
            if let facade = self.routes.schemaREST, SchemaRESTFacade.handles(path: Self.path(of: head)) {
                self.respondSchemaREST(facade, head: head, context: context)
                return
            }
            if head.method == .POST && Self.path(of: head) == "/admin/compact" && !self.hasBody {
                // A scavenge does file I/O for a while: off the event loop, answered when it is done.
                let compact = self.routes.compact
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                DispatchQueue.global().async {
                    let response: (HTTPResponseStatus, String)
                    do {
                        response = (.ok, try compact())
                    } catch {
                        response = (.serviceUnavailable, "scavenge failed: \(error)\n")
                    }
                    loopBound.eventLoop.execute {
                        let (handler, context) = loopBound.value
                        handler.write(head: head, status: response.0, contentType: "text/plain; charset=utf-8",
                                      body: response.1, context: context)
                    }
                }
                return
            }
            let (status, contentType, body) = self.respond(to: head)
            self.write(head: head, status: status, contentType: contentType, body: body, context: context)
        }
    }

    /// Runs a schema-registry request off the event loop (writes wait for durability) and answers on it.
    private func respondSchemaREST(_ facade: SchemaRESTFacade, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let contentType = SchemaRESTFacade.contentType
        if self.bodyTooLarge {
            // The oversized body was discarded as it arrived (never buffered); answer and close.
            self.hasBody = true
            let body = "{\"error_code\":413,\"message\":\"request body exceeds \(SchemaRESTFacade.maxBodyBytes) bytes\"}"
            self.write(head: head, status: .payloadTooLarge, contentType: contentType, body: body, context: context)
            return
        }
        let body = self.body
        self.body = []
        let requestType = head.headers.first(name: "content-type")
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let method = head.method.rawValue
        let uri = head.uri
        Task {
            let response = await facade.respond(method: method, uri: uri, contentType: requestType, body: body)
            loopBound.eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.write(head: head, status: HTTPResponseStatus(statusCode: response.status),
                              contentType: contentType, body: response.body, context: context)
            }
        }
    }

    private func write(
        head: HTTPRequestHead,
        status: HTTPResponseStatus,
        contentType: String,
        body: String,
        context: ChannelHandlerContext
    ) {
        do {
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: contentType)
            headers.add(name: "content-length", value: String(body.utf8.count))
            let keepAlive = head.isKeepAlive && !self.hasBody
            headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
            let responseHead = HTTPResponseHead(version: head.version, status: status, headers: headers)
            context.write(self.wrapOutboundOut(.head(responseHead)), promise: nil)
            if head.method != .HEAD {
                var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
                buffer.writeString(body)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
            if !keepAlive {
                done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            }
        }
    }

    private static func path(of head: HTTPRequestHead) -> String {
        head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
    }

    private func respond(to head: HTTPRequestHead) -> (HTTPResponseStatus, String, String) {
        let text = "text/plain; charset=utf-8"
        let path = Self.path(of: head)
        if self.hasBody {
            return (.payloadTooLarge, text, "admin requests carry no body\n")
        }
        if path == "/admin/compact" {
            return (.methodNotAllowed, text, "use POST /admin/compact\n")
        }
        guard head.method == .GET || head.method == .HEAD else {
            return (.methodNotAllowed, text, "only GET and HEAD are supported (and POST /admin/compact)\n")
        }
        switch path {
        case "/healthz":
            return (.ok, text, "ok\n")
        case "/readyz":
            return self.routes.isReady() ? (.ok, text, "ready\n") : (.serviceUnavailable, text, "not ready\n")
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", self.routes.metrics())
        case "/status":
            return (.ok, "application/json", self.routes.status())
        default:
            return (.notFound, text, "not found; try /healthz, /readyz, /metrics, /status or POST /admin/compact\n")
        }
    }
}
