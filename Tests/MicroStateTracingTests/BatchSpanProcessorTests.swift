import Logging
import MicroStateTracing
import NIOCore
import NIOEmbedded
import Testing

/// An exporter whose exports the test completes by hand.
final class FakeExporter: SpanExporter, @unchecked Sendable {
    var batches: [[SpanData]] = []
    var promises: [EventLoopPromise<ExportResult>] = []

    func export(_ batch: [SpanData], on eventLoop: any EventLoop) -> EventLoopFuture<ExportResult> {
        self.batches.append(batch)
        let promise = eventLoop.makePromise(of: ExportResult.self)
        self.promises.append(promise)
        return promise.futureResult
    }
}

struct TestError: Error {}

func makeSpan(_ index: Int) -> SpanData {
    SpanData(
        context: TraceContext(traceID: TraceID(high: 1, low: UInt64(index + 1)), spanID: SpanID(UInt64(index + 1))),
        parentSpanID: nil, name: "span-\(index)", kind: .server, startUnixNanos: 1, endUnixNanos: 2
    )
}

@Suite("Batch span processor")
struct BatchSpanProcessorTests {
    private func make(
        queue: Int = 8, batch: Int = 4, delay: TimeAmount = .seconds(5), timeout: TimeAmount = .seconds(30)
    ) -> (BatchSpanProcessor, FakeExporter, EmbeddedEventLoop) {
        var configuration = BatchSpanProcessor.Configuration()
        configuration.maxQueueSize = queue
        configuration.maxExportBatchSize = batch
        configuration.scheduleDelay = delay
        configuration.exportTimeout = timeout
        let loop = EmbeddedEventLoop()
        let exporter = FakeExporter()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return (BatchSpanProcessor(configuration: configuration, exporter: exporter, eventLoop: loop, logger: logger), exporter, loop)
    }

    @Test("The OpenTelemetry defaults: queue 2048, batch 512, delay 5 s, timeout 30 s")
    func defaults() {
        let configuration = BatchSpanProcessor.Configuration()
        #expect(configuration.maxQueueSize == 2048)
        #expect(configuration.maxExportBatchSize == 512)
        #expect(configuration.scheduleDelay == .seconds(5))
        #expect(configuration.exportTimeout == .seconds(30))
    }

    @Test("Spans wait for the schedule delay, then go out in one batch")
    func scheduleDelay() throws {
        let (processor, exporter, loop) = self.make()
        processor.onEnd(makeSpan(0))
        processor.onEnd(makeSpan(1))
        loop.advanceTime(by: .seconds(4))
        #expect(exporter.batches.isEmpty)
        loop.advanceTime(by: .seconds(1))
        #expect(exporter.batches.map { $0.map(\.name) } == [["span-0", "span-1"]])
        exporter.promises[0].succeed(ExportResult())
        loop.run()
        #expect(processor.counters == .init(exported: 2, dropped: 0, exportFailures: 0))
        #expect(processor.queuedCount == 0)
    }

    @Test("A full batch is exported at once, without waiting for the delay")
    func fullBatchWakes() {
        let (processor, exporter, loop) = self.make()
        for index in 0..<4 {
            processor.onEnd(makeSpan(index))
        }
        loop.run()
        #expect(exporter.batches.count == 1 && exporter.batches[0].count == 4)
    }

    @Test("At most one export is in flight; the next batch goes when it completes")
    func oneExportInFlight() {
        let (processor, exporter, loop) = self.make()
        for index in 0..<8 {
            processor.onEnd(makeSpan(index))
        }
        loop.run()
        loop.advanceTime(by: .seconds(10))
        #expect(exporter.batches.count == 1)
        exporter.promises[0].succeed(ExportResult())
        loop.run()
        #expect(exporter.batches.count == 2)
        #expect(exporter.batches[1].map(\.name) == (4..<8).map { "span-\($0)" })
        exporter.promises[1].succeed(ExportResult())
        loop.run()
        #expect(processor.counters.exported == 8)
    }

    @Test("A full queue drops and counts new spans without blocking")
    func boundedQueue() {
        let (processor, exporter, loop) = self.make(queue: 8, batch: 4)
        for index in 0..<8 {
            processor.onEnd(makeSpan(index))
        }
        loop.run()  // batch 0-3 in flight, 4-7 queued
        for index in 8..<15 {
            processor.onEnd(makeSpan(index))  // 4 fit, 3 dropped
        }
        #expect(processor.counters.dropped == 3)
        #expect(processor.queuedCount == 8)
        exporter.promises[0].succeed(ExportResult())
        loop.run()
        #expect(exporter.batches[1].map(\.name) == (4..<8).map { "span-\($0)" })
    }

    @Test("A failed export loses its batch: counted as dropped spans and one failure")
    func failedExport() {
        let (processor, exporter, loop) = self.make()
        for index in 0..<4 {
            processor.onEnd(makeSpan(index))
        }
        loop.run()
        exporter.promises[0].fail(TestError())
        loop.run()
        #expect(processor.counters == .init(exported: 0, dropped: 4, exportFailures: 1))
    }

    @Test("An export that outlives the timeout counts as failed, and a late answer is ignored")
    func exportTimeout() {
        let (processor, exporter, loop) = self.make(timeout: .seconds(30))
        for index in 0..<4 {
            processor.onEnd(makeSpan(index))
        }
        loop.run()
        loop.advanceTime(by: .seconds(30))
        #expect(processor.counters == .init(exported: 0, dropped: 4, exportFailures: 1))
        exporter.promises[0].succeed(ExportResult())
        loop.run()
        #expect(processor.counters == .init(exported: 0, dropped: 4, exportFailures: 1))
        // The next batch may go now.
        processor.onEnd(makeSpan(9))
        loop.advanceTime(by: .seconds(5))
        #expect(exporter.batches.count == 2)
    }

    @Test("Spans the collector rejects (partial success) count as dropped")
    func partialSuccess() {
        let (processor, exporter, loop) = self.make()
        for index in 0..<4 {
            processor.onEnd(makeSpan(index))
        }
        loop.run()
        exporter.promises[0].succeed(ExportResult(rejectedSpans: 1))
        loop.run()
        #expect(processor.counters == .init(exported: 3, dropped: 1, exportFailures: 0))
    }

    @Test("Shutdown exports what is queued, then refuses new spans")
    func shutdown() throws {
        let (processor, exporter, loop) = self.make()
        for index in 0..<6 {
            processor.onEnd(makeSpan(index))
        }
        let done = processor.shutdown(deadline: .now() + .seconds(60))
        loop.run()
        exporter.promises[0].succeed(ExportResult())
        loop.run()
        #expect(exporter.batches.count == 2)
        exporter.promises[1].succeed(ExportResult())
        loop.advanceTime(by: .milliseconds(10))
        try done.wait()
        #expect(processor.counters.exported == 6)
        processor.onEnd(makeSpan(99))
        #expect(processor.counters.dropped == 1)
    }
}
