internal import CProtobufC
internal import MicroStateProtos

extension ResponseHeader: ProtobufCMapped {
    /// Decodes a `microstate.v1.ResponseHeader`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try Self.decode(wireBytes)
    }

    /// Encodes as a `microstate.v1.ResponseHeader`.
    public func wireBytes() -> [UInt8] {
        self.encode()
    }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ResponseHeader>) {
        microstate__v1__response_header__init(message)
    }

    init(copying c: borrowing Microstate__V1__ResponseHeader) {
        self.init(nodeId: c.node_id, revision: c.revision, sessionToken: String(copying: c.session_token))
    }

    func lower(into c: inout Microstate__V1__ResponseHeader, arena: inout WireArena) {
        c.node_id = self.nodeId
        c.revision = self.revision
        c.session_token = arena.cString(self.sessionToken)
    }
}

extension ReadConsistency: WireEnum {}
