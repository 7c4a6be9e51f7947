import MicroStateHTTP2
import Testing

@Suite("HTTP/2 server configuration")
struct HTTP2ServerConfigurationTests {
    @Test("Defaults are the documented limits")
    func defaults() {
        let configuration = HTTP2ServerConfiguration()
        #expect(configuration.maxConcurrentStreams == 1024)
        #expect(configuration.maxHeaderListBytes == 16 * 1024)
        #expect(configuration.maxContinuations == 8)
        #expect(configuration.resetBurst == 1000 && configuration.resetRatePerSecond == 33)
        #expect(configuration.maxOutboundAcks == 1000 && configuration.maxSettingsEntries == 32)
    }
}
