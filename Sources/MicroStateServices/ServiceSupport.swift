import MicroStateRPC
import MicroStateStore
import MicroStateWire
import NIOCore

/// Decodes the single request message of a call; malformed bytes become `INVALID_ARGUMENT` naming the type.
@inline(__always)
func decodeRequest<Message: WireMessage>(_ type: Message.Type, from buffer: ByteBuffer) throws -> Message {
    do {
        return try buffer.withUnsafeReadableBytes { try Message(wireBytes: $0) }
    } catch {
        throw StatusMapping.rpcError(error, while: String(describing: Message.self))
    }
}

extension UnaryResponder {
    /// Completes the call with a message or the mapped error.
    @inline(__always)
    func complete<Message: WireMessage>(_ result: Result<Message, any Error>) {
        switch result {
        case .success(let message):
            self.succeed(message.wireBytes())
        case .failure(let error):
            self.fail(StatusMapping.rpcError(error))
        }
    }
}

extension KVService {
    /// The traced step of a write from the store's apply until the log made it durable (per `--durability`: the
    /// fdatasync with fsync) — a child span of sampled calls.
    static let durableWriteStep = "microstatedb.wal.durable_write"
}

extension ServerCallStep {
    /// Ends the step with a store result: failures name their error.
    func end<Success>(_ result: Result<Success, StoreError>) {
        switch result {
        case .success: self.end(error: nil)
        case .failure(let error): self.end(error: "\(error.code)")
        }
    }
}
