internal import CProtobufC
internal import MicroStateProtos

// Both reflection packages share one wire format; the v1 structs of protoc-c serve both.

extension ServerReflectionRequest: ProtobufCMapped {
    /// Decodes a `grpc.reflection.v1(alpha).ServerReflectionRequest`; malformed input throws
    /// ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `grpc.reflection.v1(alpha).ServerReflectionRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Grpc__Reflection__V1__ServerReflectionRequest>) {
        grpc__reflection__v1__server_reflection_request__init(message)
    }

    init(copying c: borrowing Grpc__Reflection__V1__ServerReflectionRequest) {
        let request: MessageRequest?
        switch c.message_request_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
            request = .fileByFilename(String(copying: c.file_by_filename))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
            request = .fileContainingSymbol(String(copying: c.file_containing_symbol))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
            let e = c.file_containing_extension
            request = .fileContainingExtension(
                containingType: String(copying: e?.pointee.containing_type),
                extensionNumber: e?.pointee.extension_number ?? 0
            )
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
            request = .allExtensionNumbersOfType(String(copying: c.all_extension_numbers_of_type))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
            request = .listServices(String(copying: c.list_services))
        default:
            request = nil
        }
        self.init(host: String(copying: c.host), messageRequest: request)
    }

    func lower(into c: inout Grpc__Reflection__V1__ServerReflectionRequest, arena: inout WireArena) {
        c.host = arena.cString(self.host)
        // A set oneof member is encoded even when empty (`list_services: ""` is the usual question).
        switch self.messageRequest {
        case .fileByFilename(let name):
            c.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME
            c.file_by_filename = arena.cString(name)
        case .fileContainingSymbol(let symbol):
            c.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL
            c.file_containing_symbol = arena.cString(symbol)
        case .fileContainingExtension(let containingType, let number):
            let e = arena.allocate(Grpc__Reflection__V1__ExtensionRequest.self, count: 1)
            grpc__reflection__v1__extension_request__init(e)
            e.pointee.containing_type = arena.cString(containingType)
            e.pointee.extension_number = number
            c.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION
            c.file_containing_extension = e
        case .allExtensionNumbersOfType(let type):
            c.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE
            c.all_extension_numbers_of_type = arena.cString(type)
        case .listServices(let content):
            c.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES
            c.list_services = arena.cString(content)
        case nil:
            break
        }
    }
}

extension ServerReflectionResponse: ProtobufCMapped {
    /// Decodes a `grpc.reflection.v1(alpha).ServerReflectionResponse`; malformed input throws
    /// ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `grpc.reflection.v1(alpha).ServerReflectionResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Grpc__Reflection__V1__ServerReflectionResponse>) {
        grpc__reflection__v1__server_reflection_response__init(message)
    }

    init(copying c: borrowing Grpc__Reflection__V1__ServerReflectionResponse) {
        var response: MessageResponse?
        switch c.message_response_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE:
            if let files = c.file_descriptor_response?.pointee {
                response = .fileDescriptors(
                    (0..<files.n_file_descriptor_proto).map { [UInt8](copying: files.file_descriptor_proto[$0]) }
                )
            }
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE:
            if let numbers = c.all_extension_numbers_response?.pointee {
                response = .allExtensionNumbers(
                    baseTypeName: String(copying: numbers.base_type_name),
                    extensionNumbers: Array(UnsafeBufferPointer(start: numbers.extension_number, count: numbers.n_extension_number))
                )
            }
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE:
            if let list = c.list_services_response?.pointee {
                response = .services(
                    (0..<list.n_service).compactMap { list.service[$0].map { String(copying: $0.pointee.name) } }
                )
            }
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE:
            if let error = c.error_response?.pointee {
                response = .error(code: error.error_code, message: String(copying: error.error_message))
            }
        default:
            response = nil
        }
        self.init(
            validHost: String(copying: c.valid_host),
            originalRequest: c.original_request.map { ServerReflectionRequest(copying: $0.pointee) },
            messageResponse: response
        )
    }

    func lower(into c: inout Grpc__Reflection__V1__ServerReflectionResponse, arena: inout WireArena) {
        c.valid_host = arena.cString(self.validHost)
        c.original_request = arena.optionalMessage(self.originalRequest)
        switch self.messageResponse {
        case .fileDescriptors(let files):
            let m = arena.allocate(Grpc__Reflection__V1__FileDescriptorResponse.self, count: 1)
            grpc__reflection__v1__file_descriptor_response__init(m)
            if !files.isEmpty {
                let blobs = arena.allocate(ProtobufCBinaryData.self, count: files.count)
                for (index, file) in files.enumerated() {
                    (blobs + index).initialize(to: arena.binaryData(file))
                }
                m.pointee.n_file_descriptor_proto = files.count
                m.pointee.file_descriptor_proto = blobs
            }
            c.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE
            c.file_descriptor_response = m
        case .allExtensionNumbers(let baseTypeName, let numbers):
            let m = arena.allocate(Grpc__Reflection__V1__ExtensionNumberResponse.self, count: 1)
            grpc__reflection__v1__extension_number_response__init(m)
            m.pointee.base_type_name = arena.cString(baseTypeName)
            if !numbers.isEmpty {
                let values = arena.allocate(Int32.self, count: numbers.count)
                values.initialize(from: numbers, count: numbers.count)
                m.pointee.n_extension_number = numbers.count
                m.pointee.extension_number = values
            }
            c.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE
            c.all_extension_numbers_response = m
        case .services(let names):
            let m = arena.allocate(Grpc__Reflection__V1__ListServiceResponse.self, count: 1)
            grpc__reflection__v1__list_service_response__init(m)
            if !names.isEmpty {
                let pointers = arena.allocate(UnsafeMutablePointer<Grpc__Reflection__V1__ServiceResponse>?.self, count: names.count)
                let structs = arena.allocate(Grpc__Reflection__V1__ServiceResponse.self, count: names.count)
                for (index, name) in names.enumerated() {
                    let service = structs + index
                    grpc__reflection__v1__service_response__init(service)
                    service.pointee.name = arena.cString(name)
                    (pointers + index).initialize(to: service)
                }
                m.pointee.n_service = names.count
                m.pointee.service = pointers
            }
            c.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE
            c.list_services_response = m
        case .error(let code, let message):
            let m = arena.allocate(Grpc__Reflection__V1__ErrorResponse.self, count: 1)
            grpc__reflection__v1__error_response__init(m)
            m.pointee.error_code = code
            m.pointee.error_message = arena.cString(message)
            c.message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE
            c.error_response = m
        case nil:
            break
        }
    }
}
