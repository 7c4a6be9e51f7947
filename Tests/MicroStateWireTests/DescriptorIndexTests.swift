import MicroStateWire
import Testing

/// Hand-encodes descriptor messages (protobuf wire format) for sets the generated one does not cover.
private enum Encode {
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }

    static func field(_ number: UInt64, _ payload: [UInt8]) -> [UInt8] {
        varint(number << 3 | 2) + varint(UInt64(payload.count)) + payload
    }

    static func field(_ number: UInt64, _ string: String) -> [UInt8] { field(number, Array(string.utf8)) }

    static func varintField(_ number: UInt64, _ value: UInt64) -> [UInt8] { varint(number << 3) + varint(value) }

    /// FieldDescriptorProto: name (1), extendee (2), number (3).
    static func fieldProto(_ name: String, number: UInt64, extendee: String? = nil) -> [UInt8] {
        field(1, name) + (extendee.map { field(2, $0) } ?? []) + varintField(3, number)
    }

    /// DescriptorProto: name (1), field (2), nested_type (3), enum_type (4), extension (6).
    static func message(_ name: String, fields: [[UInt8]] = [], nested: [[UInt8]] = [], enums: [[UInt8]] = [], extensions: [[UInt8]] = []) -> [UInt8] {
        field(1, name) + fields.flatMap { field(2, $0) } + nested.flatMap { field(3, $0) } + enums.flatMap { field(4, $0) }
            + extensions.flatMap { field(6, $0) }
    }

    /// EnumDescriptorProto: name (1), value (2).
    static func enumProto(_ name: String, values: [String]) -> [UInt8] {
        field(1, name) + values.flatMap { field(2, field(1, $0) + varintField(2, 0)) }
    }

    /// FileDescriptorProto: name (1), package (2), dependency (3), message_type (4), enum_type (5), service (6),
    /// extension (7).
    static func file(
        _ name: String, package: String = "", dependencies: [String] = [], messages: [[UInt8]] = [],
        enums: [[UInt8]] = [], services: [(String, [String])] = [], extensions: [[UInt8]] = []
    ) -> [UInt8] {
        field(1, name) + (package.isEmpty ? [] : field(2, package)) + dependencies.flatMap { field(3, $0) }
            + messages.flatMap { field(4, $0) } + enums.flatMap { field(5, $0) }
            + services.flatMap { service in field(6, field(1, service.0) + service.1.flatMap { field(2, field(1, $0)) }) }
            + extensions.flatMap { field(7, $0) }
    }

    /// FileDescriptorSet: file (1).
    static func set(_ files: [[UInt8]]) -> [UInt8] { files.flatMap { field(1, $0) } }
}

@Suite("DescriptorIndex: the FileDescriptorSet served by reflection")
struct DescriptorIndexTests {
    private let embedded = DescriptorIndex.embedded

    @Test("The embedded set holds every file in proto/, dependencies before dependents")
    func embeddedFiles() {
        let names = self.embedded.files.map(\.name)
        #expect(Set(names) == [
            "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto",
            "grpc/reflection/v1alpha/reflection_v1alpha.proto", "microstate/v1/common.proto",
            "microstate/v1/events.proto", "microstate/v1/kv.proto", "microstate/v1/schema.proto",
            // The OTLP protos the trace exporter sends (their service is called, not served).
            "opentelemetry/proto/collector/trace/v1/trace_service.proto", "opentelemetry/proto/common/v1/otel_common.proto",
            "opentelemetry/proto/resource/v1/resource.proto", "opentelemetry/proto/trace/v1/trace.proto",
        ])
        for (position, file) in self.embedded.files.enumerated() {
            for dependency in file.dependencies {
                #expect(names.firstIndex(of: dependency).map { $0 < position } == true, "\(file.name) imports \(dependency)")
            }
        }
    }

    @Test("The embedded set declares our services, the reflection services and the OTLP service we call")
    func embeddedServices() {
        #expect(self.embedded.serviceNames == [
            "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
            "microstate.v1.EventStream", "microstate.v1.KV", "microstate.v1.SchemaRegistry",
            "opentelemetry.proto.collector.trace.v1.TraceService",
        ])
    }

    @Test("Symbols resolve to the file declaring them", arguments: [
        ("microstate.v1.KV", "microstate/v1/kv.proto"),
        ("microstate.v1.KV.Put", "microstate/v1/kv.proto"),
        (".microstate.v1.PutRequest", "microstate/v1/kv.proto"),
        ("microstate.v1.PutRequest.key", "microstate/v1/kv.proto"),
        ("microstate.v1.EventStream.Subscribe", "microstate/v1/events.proto"),
        ("microstate.v1.SchemaRegistry.Register", "microstate/v1/schema.proto"),
        (".microstate.v1.CheckCompatibilityRequest", "microstate/v1/schema.proto"),
        ("microstate.v1.CompatibilityLevel", "microstate/v1/schema.proto"),
        ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
        ("grpc.health.v1.HealthCheckResponse.SERVICE_UNKNOWN", "grpc/health/v1/health.proto"),
        ("grpc.reflection.v1.ServerReflection.ServerReflectionInfo", "grpc/reflection/v1/reflection.proto"),
        ("grpc.reflection.v1alpha.ErrorResponse", "grpc/reflection/v1alpha/reflection_v1alpha.proto"),
    ])
    func symbols(symbol: String, file: String) {
        #expect(self.embedded.file(containingSymbol: symbol)?.name == file, "\(symbol)")
    }

    @Test("Unknown symbols and files are nil", arguments: ["", "microstate", "microstate.v1", "microstate.v1.KV.Nope", "KV", "Put"])
    func unknownSymbols(symbol: String) {
        #expect(self.embedded.file(containingSymbol: symbol) == nil, "\(symbol)")
        #expect(self.embedded.file(named: symbol) == nil, "\(symbol)")
    }

    @Test("A file comes with its transitive imports, itself first, each once")
    func dependencies() throws {
        let kv = try #require(self.embedded.file(named: "microstate/v1/kv.proto"))
        let closure = self.embedded.withDependencies(kv).map(\.name)
        #expect(closure.first == "microstate/v1/kv.proto")
        #expect(closure.count == 3 && Set(closure) == ["microstate/v1/kv.proto", "microstate/v1/common.proto", "microstate/v1/events.proto"])
        let health = try #require(self.embedded.file(named: "grpc/health/v1/health.proto"))
        #expect(self.embedded.withDependencies(health).map(\.name) == ["grpc/health/v1/health.proto"])
    }

    @Test("Files are served as the exact FileDescriptorProto bytes of the set")
    func serializedBytes() throws {
        let file = Encode.file("a.proto", package: "p", messages: [Encode.message("M")])
        let index = try DescriptorIndex(serializedSet: Encode.set([file]))
        #expect(index.file(named: "a.proto")?.serialized == file)
        #expect(index.file(named: "a.proto")?.package == "p")
    }

    @Test("Nested messages, nested enums, enum values and extensions are indexed")
    func nestedAndExtensions() throws {
        let base = Encode.file("base.proto", package: "p", messages: [
            Encode.message("Outer", fields: [Encode.fieldProto("id", number: 1)], nested: [
                Encode.message("Inner", enums: [Encode.enumProto("Kind", values: ["KIND_A"])]),
            ]),
        ])
        let ext = Encode.file("ext.proto", package: "q", dependencies: ["base.proto", "missing.proto"], messages: [
            Encode.message("Holder", extensions: [Encode.fieldProto("nested_ext", number: 101, extendee: ".p.Outer")]),
        ], extensions: [Encode.fieldProto("top_ext", number: 100, extendee: ".p.Outer")])
        let index = try DescriptorIndex(serializedSet: Encode.set([base, ext]))
        for symbol in ["p.Outer", "p.Outer.id", "p.Outer.Inner", "p.Outer.Inner.Kind", "p.Outer.Inner.KIND_A"] {
            #expect(index.file(containingSymbol: symbol)?.name == "base.proto", "\(symbol)")
        }
        for symbol in ["q.Holder", "q.top_ext", "q.Holder.nested_ext"] {
            #expect(index.file(containingSymbol: symbol)?.name == "ext.proto", "\(symbol)")
        }
        #expect(index.file(containingExtension: 100, of: "p.Outer")?.name == "ext.proto")
        #expect(index.file(containingExtension: 101, of: ".p.Outer")?.name == "ext.proto")
        #expect(index.file(containingExtension: 102, of: "p.Outer") == nil)
        #expect(index.extensionNumbers(of: "p.Outer") == [100, 101])
        #expect(index.extensionNumbers(of: "p.Outer.Inner") == [])
        #expect(index.extensionNumbers(of: "p.Nope") == nil)
        // A missing import is left out, not an error.
        #expect(index.withDependencies(index.file(named: "ext.proto")!).map(\.name) == ["ext.proto", "base.proto"])
    }

    @Test("A file name given twice keeps its first file")
    func duplicateFile() throws {
        let first = Encode.file("a.proto", package: "one", messages: [Encode.message("M")])
        let second = Encode.file("a.proto", package: "two", messages: [Encode.message("M")])
        let index = try DescriptorIndex(serializedSet: Encode.set([first, second]))
        #expect(index.files.count == 1 && index.file(named: "a.proto")?.package == "one")
        #expect(index.file(containingSymbol: "two.M") == nil)
    }

    @Test("Malformed sets throw instead of crashing", arguments: [
        ("truncated varint", [0x0A, 0x80]),
        ("length past the end", [0x0A, 0x05, 0x0A, 0x01]),
        ("file without a name", Encode.set([Encode.field(2, "pkg")])),
        ("group wire type", [0x0B]),
        ("field number zero", [0x02, 0x00]),
        ("invalid UTF-8 in a name", Encode.set([Encode.field(1, [0xFF, 0xFE] as [UInt8])])),
        ("varint of 11 bytes", Encode.set([Encode.field(1, "a.proto") + [0x18] + [UInt8](repeating: 0x80, count: 10) + [0x01]])),
    ] as [(String, [UInt8])])
    func malformed(name: String, bytes: [UInt8]) {
        #expect(throws: WireError.self, "\(name)") { try DescriptorIndex(serializedSet: bytes) }
    }

    @Test("Messages nested deeper than the limit are refused (bounded work, no recursion)")
    func nestingLimit() throws {
        func nested(_ depth: Int) -> [UInt8] {
            var message = Encode.message("M")
            for _ in 1..<depth {
                message = Encode.message("M", nested: [message])
            }
            return Encode.set([Encode.file("deep.proto", messages: [message])])
        }
        let index = try DescriptorIndex(serializedSet: nested(64))
        #expect(index.file(containingSymbol: Array(repeating: "M", count: 64).joined(separator: ".")) != nil)
        #expect(throws: WireError.self) { try DescriptorIndex(serializedSet: nested(65)) }
    }

    @Test("An empty set is valid and empty")
    func emptySet() throws {
        let index = try DescriptorIndex(serializedSet: [])
        #expect(index.files.isEmpty && index.serviceNames.isEmpty)
    }
}
