internal import CProtobufC
internal import MicroStateProtos

extension HealthCheckRequest: ProtobufCMapped {
    /// Decodes a `grpc.health.v1.HealthCheckRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `grpc.health.v1.HealthCheckRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Grpc__Health__V1__HealthCheckRequest>) {
        grpc__health__v1__health_check_request__init(message)
    }

    init(copying c: borrowing Grpc__Health__V1__HealthCheckRequest) {
        self.init(service: String(copying: c.service))
    }

    func lower(into c: inout Grpc__Health__V1__HealthCheckRequest, arena: inout WireArena) {
        c.service = arena.cString(self.service)
    }
}

extension HealthCheckResponse.ServingStatus: WireEnum {}

extension HealthCheckResponse: ProtobufCMapped {
    /// Decodes a `grpc.health.v1.HealthCheckResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `grpc.health.v1.HealthCheckResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Grpc__Health__V1__HealthCheckResponse>) {
        grpc__health__v1__health_check_response__init(message)
    }

    init(copying c: borrowing Grpc__Health__V1__HealthCheckResponse) {
        self.init(status: ServingStatus(cEnum: c.status))
    }

    func lower(into c: inout Grpc__Health__V1__HealthCheckResponse, arena: inout WireArena) {
        c.status = self.status.cEnum()
    }
}
