// gRPC server reflection (proto/grpc/reflection/v1/reflection.proto). `grpc.reflection.v1alpha` declares the same
// messages with the same field numbers, so these types encode and decode both packages' messages.

/// `grpc.reflection.v1.ServerReflectionRequest`: one question of a reflection stream.
public struct ServerReflectionRequest: WireMessage, Hashable {
    /// The `message_request` oneof.
    public enum MessageRequest: Sendable, Hashable {
        /// `file_by_filename` (3): the file with this name, e.g. `microstate/v1/kv.proto`.
        case fileByFilename(String)
        /// `file_containing_symbol` (4): the file declaring `<package>.<service>[.<method>]` or `<package>.<type>`.
        case fileContainingSymbol(String)
        /// `file_containing_extension` (5): the file declaring extension `extensionNumber` of `containingType`.
        case fileContainingExtension(containingType: String, extensionNumber: Int32)
        /// `all_extension_numbers_of_type` (6): every known extension number of a message type.
        case allExtensionNumbersOfType(String)
        /// `list_services` (7): the served services; the content is not checked.
        case listServices(String)
    }

    /// `host` (1).
    public var host: String
    /// The question; nil when the client set none.
    public var messageRequest: MessageRequest?

    /// Creates a request.
    public init(host: String = "", messageRequest: MessageRequest? = nil) {
        self.host = host
        self.messageRequest = messageRequest
    }
}

/// `grpc.reflection.v1.ServerReflectionResponse`: the answer to one request.
public struct ServerReflectionResponse: WireMessage, Hashable {
    /// The `message_response` oneof.
    public enum MessageResponse: Sendable, Hashable {
        /// `file_descriptor_response` (4): serialized `google.protobuf.FileDescriptorProto`s.
        case fileDescriptors([[UInt8]])
        /// `all_extension_numbers_response` (5).
        case allExtensionNumbers(baseTypeName: String, extensionNumbers: [Int32])
        /// `list_services_response` (6): fully qualified service names.
        case services([String])
        /// `error_response` (7): a gRPC status code and message; the stream itself goes on.
        case error(code: Int32, message: String)
    }

    /// `valid_host` (1).
    public var validHost: String
    /// `original_request` (2): the request this answers.
    public var originalRequest: ServerReflectionRequest?
    /// The answer; nil only for a response nobody should send.
    public var messageResponse: MessageResponse?

    /// Creates a response.
    public init(
        validHost: String = "",
        originalRequest: ServerReflectionRequest? = nil,
        messageResponse: MessageResponse? = nil
    ) {
        self.validHost = validHost
        self.originalRequest = originalRequest
        self.messageResponse = messageResponse
    }
}
