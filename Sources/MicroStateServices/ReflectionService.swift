import MicroStateRPC
import MicroStateWire
import NIOCore

/// gRPC server reflection (https://github.com/grpc/grpc/blob/master/doc/server-reflection.md), as both
/// `grpc.reflection.v1.ServerReflection` and the older `grpc.reflection.v1alpha.ServerReflection` (same messages;
/// grpcurl and grpcio-reflection's client still ask v1alpha), so tools can list and describe every service.
///
/// `ServerReflectionInfo` is bidirectional: each request message gets exactly one response, in order, and the
/// call ends OK when the client half-closes. A question without an answer (unknown file or symbol, no extensions)
/// is an `error_response` with NOT_FOUND inside the stream, not a failed call, as the protocol asks. Files come
/// from a `DescriptorIndex` (the set generated from proto/, embedded in the binary) and are sent with their
/// transitive imports every time: the protocol allows skipping files sent earlier on the stream, but clients
/// cope with repeats and the whole set is ~12 KB.
public final class ReflectionService: Sendable {
    /// `grpc.reflection.v1.ServerReflection`.
    public static let serviceName = "grpc.reflection.v1.ServerReflection"
    /// `grpc.reflection.v1alpha.ServerReflection`, the deprecated twin.
    public static let v1alphaServiceName = "grpc.reflection.v1alpha.ServerReflection"

    /// Largest request message accepted. A question is a file or symbol name; protoc limits neither, but
    /// nothing in a real set comes close to this. A larger request ends the call with RESOURCE_EXHAUSTED.
    public static let maxRequestBytes = 16 * 1024

    /// Most response bytes queued for a client that sends questions without reading answers. Past it the call
    /// ends with RESOURCE_EXHAUSTED instead of growing server memory (the request side has no other bound).
    public static let maxQueuedResponseBytes = 1024 * 1024

    private let index: DescriptorIndex
    private let services: [String]

    /// - Parameters:
    ///   - index: where files and symbols are looked up.
    ///   - services: the fully-qualified names `list_services` answers with (the registered services).
    public init(index: DescriptorIndex = .embedded, services: [String]) {
        self.index = index
        self.services = services.sorted()
    }

    /// Registers `ServerReflectionInfo` of both versions.
    public func register(with router: RPCRouter) {
        for service in [Self.serviceName, Self.v1alphaServiceName] {
            router.registerBidirectionalStreaming("/\(service)/ServerReflectionInfo") { _, writer in
                RequestStreamHandler(
                    onMessage: { buffer in self.received(buffer, writer) },
                    onEnd: { writer.finish(.ok) }
                )
            }
        }
    }

    private func received(_ buffer: ByteBuffer, _ writer: ServerStreamWriter) {
        guard buffer.readableBytes <= Self.maxRequestBytes else {
            return writer.finish(
                Status(
                    code: .resourceExhausted,
                    message: "reflection request of \(buffer.readableBytes) bytes exceeds the limit of \(Self.maxRequestBytes) bytes"
                )
            )
        }
        guard writer.queuedBytes <= Self.maxQueuedResponseBytes else {
            return writer.finish(
                Status(
                    code: .resourceExhausted,
                    message: "more than \(Self.maxQueuedResponseBytes) bytes of reflection responses unread"
                )
            )
        }
        let request: ServerReflectionRequest
        do {
            request = try decodeRequest(ServerReflectionRequest.self, from: buffer)
        } catch {
            return writer.finish(StatusMapping.rpcError(error).status)
        }
        writer.send(self.answer(request).wireBytes())
    }

    /// The response to one request. Pure: no I/O, no state between requests.
    public func answer(_ request: ServerReflectionRequest) -> ServerReflectionResponse {
        ServerReflectionResponse(
            validHost: request.host,
            originalRequest: request,
            messageResponse: self.messageResponse(request.messageRequest)
        )
    }

    private func messageResponse(
        _ request: ServerReflectionRequest.MessageRequest?
    ) -> ServerReflectionResponse.MessageResponse {
        switch request {
        case .listServices:
            return .services(self.services)
        case .fileByFilename(let name):
            guard let file = self.index.file(named: name) else {
                return Self.notFound("file \"\(name)\" not found")
            }
            return self.files(file)
        case .fileContainingSymbol(let symbol):
            guard let file = self.index.file(containingSymbol: symbol) else {
                return Self.notFound("symbol \"\(symbol)\" not found")
            }
            return self.files(file)
        case .fileContainingExtension(let containingType, let number):
            guard let file = self.index.file(containingExtension: number, of: containingType) else {
                return Self.notFound("extension \(number) of \"\(containingType)\" not found")
            }
            return self.files(file)
        case .allExtensionNumbersOfType(let type):
            guard let numbers = self.index.extensionNumbers(of: type) else {
                return Self.notFound("type \"\(type)\" not found")
            }
            return .allExtensionNumbers(baseTypeName: type, extensionNumbers: numbers)
        case nil:
            return .error(
                code: Int32(Status.Code.invalidArgument.rawValue),
                message: "the request sets none of the message_request fields"
            )
        }
    }

    private func files(_ file: DescriptorIndex.File) -> ServerReflectionResponse.MessageResponse {
        .fileDescriptors(self.index.withDependencies(file).map(\.serialized))
    }

    private static func notFound(_ message: String) -> ServerReflectionResponse.MessageResponse {
        .error(code: Int32(Status.Code.notFound.rawValue), message: message)
    }
}
