import MicroStateRPC
import NIOCore
import Testing

@Suite("gRPC message deframer")
struct GRPCMessageDeframerTests {
    private func framed(_ messages: [[UInt8]]) -> [UInt8] {
        var buffer = ByteBuffer()
        for message in messages {
            GRPCMessageFramer.frame(message, into: &buffer)
        }
        return Array(buffer.readableBytesView)
    }

    private func drain(_ deframer: inout GRPCMessageDeframer) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let message = try deframer.next() {
            out.append(Array(message.readableBytesView))
        }
        return out
    }

    @Test("A message split across every possible pair of frames decodes once")
    func splitMessages() throws {
        let message = Array(0..<40).map { UInt8($0) }
        let wire = self.framed([message])
        for cut in 0...wire.count {
            var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
            deframer.append(ByteBuffer(bytes: wire[..<cut]))
            var got = try self.drain(&deframer)
            deframer.append(ByteBuffer(bytes: wire[cut...]))
            got += try self.drain(&deframer)
            #expect(got == [message], "cut at \(cut)")
            #expect(deframer.pendingBytes == 0)
        }
    }

    @Test("Several messages in one frame, including empty ones, all decode in order")
    func mergedMessages() throws {
        let messages: [[UInt8]] = [[1, 2, 3], [], [4], Array(repeating: 9, count: 300)]
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        deframer.append(ByteBuffer(bytes: self.framed(messages)))
        #expect(try self.drain(&deframer) == messages)
    }

    @Test("Byte-at-a-time delivery yields the same messages")
    func byteAtATime() throws {
        let messages: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 7, count: 70)]
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        var got: [[UInt8]] = []
        for byte in self.framed(messages) {
            withUnsafeBytes(of: byte) { deframer.append(contentsOf: $0) }
            got += try self.drain(&deframer)
        }
        #expect(got == messages)
    }

    @Test("A message over the limit fails with RESOURCE_EXHAUSTED as soon as its prefix arrives")
    func oversize() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 10)
        // Only the prefix: the body never needs to arrive for the limit to apply.
        deframer.append(ByteBuffer(bytes: [0, 0, 0, 0, 11]))
        #expect {
            _ = try deframer.next()
        } throws: { error in
            (error as? RPCError)?.code == .resourceExhausted
                && (error as? RPCError)?.message.contains("limit of 10 bytes") == true
        }
    }

    @Test("A message exactly at the limit is accepted")
    func atLimit() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 10)
        deframer.append(ByteBuffer(bytes: self.framed([Array(repeating: 1, count: 10)])))
        #expect(try self.drain(&deframer).count == 1)
    }

    @Test("A set compressed flag is UNIMPLEMENTED, an invalid flag is INTERNAL", arguments: [
        (UInt8(1), Status.Code.unimplemented), (UInt8(2), Status.Code.internalError), (UInt8(255), Status.Code.internalError),
    ])
    func compressedFlag(flag: UInt8, code: Status.Code) throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 10)
        deframer.append(ByteBuffer(bytes: [flag, 0, 0, 0, 1, 42]))
        #expect {
            _ = try deframer.next()
        } throws: { error in
            (error as? RPCError)?.code == code
        }
    }

    @Test("A truncated message is left pending")
    func truncated() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 100)
        deframer.append(ByteBuffer(bytes: [0, 0, 0, 0, 5, 1, 2]))
        #expect(try deframer.next() == nil)
        #expect(deframer.pendingBytes == 7)
    }
}
