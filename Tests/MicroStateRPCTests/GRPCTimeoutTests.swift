import MicroStateRPC
import NIOCore
import Testing

@Suite("grpc-timeout header")
struct GRPCTimeoutTests {
    @Test("Valid values parse in every unit", arguments: [
        ("1H", TimeAmount.hours(1)), ("2M", .minutes(2)), ("3S", .seconds(3)), ("40m", .milliseconds(40)),
        ("5u", .microseconds(5)), ("6n", .nanoseconds(6)), ("99999999S", .seconds(99_999_999)), ("0m", .zero),
    ])
    func parses(text: String, amount: TimeAmount) {
        #expect(GRPCTimeout.parse(text) == amount)
    }

    @Test("Malformed values are rejected", arguments: ["", "S", "10", "1x", "-1S", "123456789S", "1.5S", " 1S", "1 S"])
    func rejects(text: String) {
        #expect(GRPCTimeout.parse(text) == nil)
    }

    @Test("Encoding round-trips and never shortens the timeout", arguments: [
        TimeAmount.nanoseconds(1), .milliseconds(250), .seconds(30), .hours(2), .nanoseconds(123_456_789_123),
    ])
    func encodes(amount: TimeAmount) throws {
        let text = GRPCTimeout.encode(amount)
        let back = try #require(GRPCTimeout.parse(text))
        #expect(back >= amount)
        #expect(text.utf8.count <= 9)
    }
}
