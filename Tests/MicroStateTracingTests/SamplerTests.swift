import MicroStateTracing
import Testing

@Suite("Samplers")
struct SamplerTests {
    private func trace(low: UInt64, high: UInt64 = 0xFFFF_FFFF_FFFF_FFFF) -> TraceID {
        TraceID(high: high, low: low)
    }

    @Test("Trace-id ratio: R = low 56 bits, sampled iff R >= (1 - ratio) * 2^56")
    func ratioBoundaries() {
        let half: UInt64 = 1 << 55
        // Ratio 0.5: threshold 2^55.
        #expect(Sampler.traceIDRatioDecision(traceID: self.trace(low: half), ratio: 0.5))
        #expect(!Sampler.traceIDRatioDecision(traceID: self.trace(low: half - 1), ratio: 0.5))
        // The top byte of the low half and the whole high half are not randomness: they do not matter.
        #expect(!Sampler.traceIDRatioDecision(traceID: self.trace(low: 0xFF00_0000_0000_0000 | (half - 1)), ratio: 0.5))
        #expect(Sampler.traceIDRatioDecision(traceID: self.trace(low: half, high: 0), ratio: 0.5))
        // Ratio 1 samples everything (R = 0 too); ratio 0 nothing (R = 2^56 - 1 too).
        #expect(Sampler.traceIDRatioDecision(traceID: self.trace(low: 0), ratio: 1))
        #expect(!Sampler.traceIDRatioDecision(traceID: self.trace(low: (1 << 56) - 1), ratio: 0))
        // Tiny ratio: only the very top of the range.
        #expect(Sampler.traceIDRatioDecision(traceID: self.trace(low: (1 << 56) - 1), ratio: 1e-9))
        #expect(!Sampler.traceIDRatioDecision(traceID: self.trace(low: 1 << 54), ratio: 1e-9))
    }

    @Test("Trace-id ratio is monotonic: sampled at a ratio means sampled at every larger ratio")
    func ratioMonotonic() {
        var generator = SystemRandomNumberGenerator()
        let ratios = [0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0]
        for _ in 0..<1000 {
            let id = TraceID(high: generator.next(), low: generator.next())
            let decisions = ratios.map { Sampler.traceIDRatioDecision(traceID: id, ratio: $0) }
            #expect(decisions.first == false && decisions.last == true, "\(id)")
            let firstSampled = decisions.firstIndex(of: true) ?? decisions.endIndex
            #expect(decisions[firstSampled...].allSatisfy { $0 }, "\(id)")
        }
    }

    @Test("Trace-id ratio samples about the ratio of random traces")
    func ratioProportion() {
        var generator = SystemRandomNumberGenerator()
        let sampled = (0..<20_000).filter { _ in
            Sampler.traceIDRatioDecision(traceID: TraceID(high: generator.next(), low: generator.next()), ratio: 0.25)
        }.count
        #expect((4_400...5_600).contains(sampled))
    }

    @Test("Parent-based follows the caller's decision; without one, the root decides")
    func parentBased() {
        let id = self.trace(low: 0)  // R = 0: sampled only at ratio 1
        let ratio = Sampler(root: .traceIDRatio(0.5), parentBased: true)
        #expect(ratio.shouldSample(traceID: id, parentSampled: true))
        #expect(!ratio.shouldSample(traceID: self.trace(low: (1 << 56) - 1), parentSampled: false))
        #expect(!ratio.shouldSample(traceID: id, parentSampled: nil))
        #expect(ratio.shouldSample(traceID: self.trace(low: (1 << 56) - 1), parentSampled: nil))
        #expect(Sampler.parentBasedAlwaysOn.shouldSample(traceID: id, parentSampled: nil))
        #expect(!Sampler.parentBasedAlwaysOn.shouldSample(traceID: id, parentSampled: false))
        #expect(Sampler(root: .alwaysOff, parentBased: true).shouldSample(traceID: id, parentSampled: true))
        #expect(!Sampler(root: .alwaysOff, parentBased: true).shouldSample(traceID: id, parentSampled: nil))
        // Non-parent-based samplers ignore the caller.
        #expect(Sampler.alwaysOn.shouldSample(traceID: id, parentSampled: false))
        #expect(!Sampler.alwaysOff.shouldSample(traceID: id, parentSampled: true))
    }

    @Test("OTEL_TRACES_SAMPLER names and arguments")
    func parsing() throws {
        #expect(try Sampler.parse(name: "always_on", argument: nil) == .alwaysOn)
        #expect(try Sampler.parse(name: "ALWAYS_OFF", argument: nil) == .alwaysOff)
        #expect(try Sampler.parse(name: "traceidratio", argument: "0.1") == Sampler(root: .traceIDRatio(0.1), parentBased: false))
        #expect(try Sampler.parse(name: "parentbased_traceidratio", argument: nil)
            == Sampler(root: .traceIDRatio(1.0), parentBased: true))
        #expect(try Sampler.parse(name: "parentbased_always_off", argument: "ignored")
            == Sampler(root: .alwaysOff, parentBased: true))
        #expect(throws: SamplerConfigurationError.self) { try Sampler.parse(name: "jaeger_remote", argument: nil) }
        for bad in ["1.5", "-0.1", "half", "nan", ""] {
            #expect(throws: SamplerConfigurationError.self, "\(bad)") {
                try Sampler.parse(name: "traceidratio", argument: bad)
            }
        }
    }
}
