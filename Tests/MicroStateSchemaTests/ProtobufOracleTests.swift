import Foundation
import Testing

@testable import MicroStateSchema

/// The parser and resolver against protoc: every file in proto/ is parsed here and compared, declaration by
/// declaration, with Generated/descriptors.binpb, the FileDescriptorSet protoc-c (libprotoc) wrote for the same
/// files (scripts/gen-proto.sh; CI checks it is fresh). Test-only I/O; the descriptor bytes are read with a
/// minimal decoder below, so the schema module needs no descriptor code.
@Suite("Protobuf parser against protoc's descriptors")
struct ProtobufOracleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func protoTexts() throws -> [String: String] {
        let protoDir = root.appendingPathComponent("proto")
        var texts: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: protoDir, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "proto" else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(protoDir.standardizedFileURL.path.count + 1))
            texts[relative] = try String(contentsOf: url, encoding: .utf8)
        }
        return texts
    }

    @Test("Every proto in the repository resolves to what protoc describes: messages, fields, enums, reserved")
    func repositoryProtosMatchProtoc() throws {
        let texts = try Self.protoTexts()
        #expect(texts.count >= 10)
        let setBytes = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("Generated/descriptors.binpb")))
        let files = try DescriptorSetDecoder.files(setBytes)
        #expect(Set(files.keys) == Set(texts.keys))
        for (path, text) in texts.sorted(by: { $0.key < $1.key }) {
            let schema: ProtobufSchema
            do {
                schema = try ProtobufSchema.parse(text, imports: texts)
            } catch {
                Issue.record("\(path): \(error)")
                continue
            }
            let ours = Self.lines(schema)
            let theirs = files[path] ?? []
            #expect(ours.count == theirs.count, "\(path)")
            for line in ours.subtracting(theirs).sorted() { Issue.record("\(path): only in ours: \(line)") }
            for line in theirs.subtracting(ours).sorted() { Issue.record("\(path): only in protoc's: \(line)") }
        }
    }

    /// One line per declaration, in the form `DescriptorSetDecoder` writes.
    static func lines(_ schema: ProtobufSchema) -> Set<String> {
        var out: Set<String> = ["package \(schema.package)"]
        for (name, message) in schema.messages {
            out.insert("message \(name)\(message.isMapEntry ? " map_entry" : "")")
            for field in message.fields {
                let (type, typeName): (String, String) =
                    switch field.type {
                    case .scalar(let s): (s.rawValue, "")
                    case .message(let n): ("message", n)
                    case .enum(let n): ("enum", n)
                    }
                out.insert(
                    "field \(name).\(field.number) \(field.name) \(field.label.rawValue) \(type) \(typeName) "
                        + "json=\(field.jsonName) oneof=\(field.oneof ?? "")")
            }
            for range in message.reservedRanges { out.insert("reserved \(name) \(range.lower)...\(range.upper)") }
            for reserved in message.reservedNames { out.insert("reserved \(name) \(reserved)") }
            for range in message.extensionRanges { out.insert("extensions \(name) \(range.lower)...\(range.upper)") }
        }
        for (name, e) in schema.enums {
            out.insert("enum \(name)")
            for value in e.values { out.insert("value \(name).\(value.name) = \(value.number)") }
            for range in e.reservedRanges { out.insert("reserved \(name) \(range.lower)...\(range.upper)") }
            for reserved in e.reservedNames { out.insert("reserved \(name) \(reserved)") }
        }
        for service in schema.services {
            for m in service.methods {
                out.insert(
                    "rpc \(service.fullName).\(m.name) \(m.clientStreaming ? "stream " : "")\(m.inputType) "
                        + "\(m.serverStreaming ? "stream " : "")\(m.outputType)")
            }
        }
        return out
    }
}

/// Reads the few `descriptor.proto` fields the oracle compares from a serialized `FileDescriptorSet`.
enum DescriptorSetDecoder {
    struct Malformed: Error {}

    struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = self.bytes.popFirst() {
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
                guard shift < 64 else { throw Malformed() }
            }
            throw Malformed()
        }

        /// (field number, varint value or length-delimited bytes).
        mutating func next() throws -> (Int, UInt64, ArraySlice<UInt8>)? {
            guard !self.bytes.isEmpty else { return nil }
            let key = try self.varint()
            switch key & 7 {
            case 0: return (Int(key >> 3), try self.varint(), [])
            case 2:
                let length = Int(try self.varint())
                guard length <= self.bytes.count else { throw Malformed() }
                let body = self.bytes.prefix(length)
                self.bytes = self.bytes.dropFirst(length)
                return (Int(key >> 3), 0, body)
            case 1:
                self.bytes = self.bytes.dropFirst(8)
                return (Int(key >> 3), 0, [])
            case 5:
                self.bytes = self.bytes.dropFirst(4)
                return (Int(key >> 3), 0, [])
            default: throw Malformed()
            }
        }
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    static let types: [UInt64: String] = [
        1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool",
        9: "string", 11: "message", 12: "bytes", 13: "uint32", 14: "enum", 15: "sfixed32", 16: "sfixed64",
        17: "sint32", 18: "sint64",
    ]
    static let labels: [UInt64: String] = [1: "optional", 2: "required", 3: "repeated"]

    /// File name → declaration lines (see `ProtobufOracleTests.lines`).
    static func files(_ set: [UInt8]) throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        var reader = Reader(bytes: set[...])
        while let (number, _, body) = try reader.next() {
            guard number == 1 else { continue }
            var name = ""
            var package = ""
            var lines: Set<String> = []
            var messages: [ArraySlice<UInt8>] = []
            var enums: [ArraySlice<UInt8>] = []
            var services: [ArraySlice<UInt8>] = []
            var file = Reader(bytes: body)
            while let (n, _, b) = try file.next() {
                switch n {
                case 1: name = string(b)
                case 2: package = string(b)
                case 4: messages.append(b)
                case 5: enums.append(b)
                case 6: services.append(b)
                default: break
                }
            }
            lines.insert("package \(package)")
            let scope = package
            var stack = messages.map { (scope, $0) }
            var enumStack = enums.map { (scope, $0) }
            while let (scope, body) = stack.popLast() {
                try message(body, scope: scope, into: &lines, nested: &stack, enums: &enumStack)
            }
            while let (scope, body) = enumStack.popLast() { try enumeration(body, scope: scope, into: &lines) }
            for body in services { try service(body, package: package, into: &lines) }
            out[name] = lines
        }
        return out
    }

    static func join(_ scope: String, _ name: String) -> String { scope.isEmpty ? name : scope + "." + name }

    static func message(
        _ body: ArraySlice<UInt8>, scope: String, into lines: inout Set<String>,
        nested: inout [(String, ArraySlice<UInt8>)], enums: inout [(String, ArraySlice<UInt8>)]
    ) throws {
        var reader = Reader(bytes: body)
        var name = ""
        var fields: [ArraySlice<UInt8>] = []
        var oneofs: [String] = []
        var mapEntry = false
        var children: [ArraySlice<UInt8>] = []
        var childEnums: [ArraySlice<UInt8>] = []
        var reserved: [String] = []
        while let (n, _, b) = try reader.next() {
            switch n {
            case 1: name = string(b)
            case 2: fields.append(b)
            case 3: children.append(b)
            case 4: childEnums.append(b)
            case 5, 9:
                var r = Reader(bytes: b)
                var (start, end) = (UInt64(0), UInt64(0))
                while let (k, v, _) = try r.next() {
                    if k == 1 { start = v } else if k == 2 { end = v }
                }
                reserved.append("\(n == 5 ? "extensions" : "reserved") \("%") \(start)...\(end - 1)")
            case 7:
                var r = Reader(bytes: b)
                while let (k, v, _) = try r.next() {
                    if k == 7 { mapEntry = v != 0 }
                }
            case 8:
                var r = Reader(bytes: b)
                while let (k, _, s) = try r.next() {
                    if k == 1 { oneofs.append(string(s)) }
                }
            case 10: reserved.append("reserved % \(string(b))")
            default: break
            }
        }
        let full = join(scope, name)
        lines.insert("message \(full)\(mapEntry ? " map_entry" : "")")
        for r in reserved { lines.insert(r.replacingOccurrences(of: "%", with: full)) }
        for body in fields {
            var r = Reader(bytes: body)
            var (fname, number, label, type, typeName, json) = ("", UInt64(0), UInt64(0), UInt64(0), "", "")
            var oneof: Int?
            var proto3Optional = false
            while let (k, v, s) = try r.next() {
                switch k {
                case 1: fname = string(s)
                case 3: number = v
                case 4: label = v
                case 5: type = v
                case 6: typeName = String(string(s).dropFirst())
                case 9: oneof = Int(v)
                case 10: json = string(s)
                case 17: proto3Optional = v != 0
                default: break
                }
            }
            let oneofName = proto3Optional ? "" : oneof.map { oneofs[$0] } ?? ""
            lines.insert(
                "field \(full).\(number) \(fname) \(labels[label] ?? "?") \(types[type] ?? "?") \(typeName) "
                    + "json=\(json) oneof=\(oneofName)")
        }
        nested += children.map { (full, $0) }
        enums += childEnums.map { (full, $0) }
    }

    static func enumeration(_ body: ArraySlice<UInt8>, scope: String, into lines: inout Set<String>) throws {
        var reader = Reader(bytes: body)
        var name = ""
        var values: [(String, Int64)] = []
        var reserved: [String] = []
        while let (n, _, b) = try reader.next() {
            switch n {
            case 1: name = string(b)
            case 2:
                var r = Reader(bytes: b)
                var value = ("", Int64(0))
                while let (k, v, s) = try r.next() {
                    if k == 1 { value.0 = string(s) } else if k == 2 { value.1 = Int64(Int32(truncatingIfNeeded: v)) }
                }
                values.append(value)
            case 4:
                var r = Reader(bytes: b)
                var (start, end) = (Int64(0), Int64(0))
                while let (k, v, _) = try r.next() {
                    if k == 1 {
                        start = Int64(Int32(truncatingIfNeeded: v))
                    } else if k == 2 {
                        end = Int64(Int32(truncatingIfNeeded: v))
                    }
                }
                reserved.append("\(start)...\(end)")
            case 5: reserved.append(string(b))
            default: break
            }
        }
        let full = join(scope, name)
        lines.insert("enum \(full)")
        for (value, number) in values { lines.insert("value \(full).\(value) = \(number)") }
        for r in reserved { lines.insert("reserved \(full) \(r)") }
    }

    static func service(_ body: ArraySlice<UInt8>, package: String, into lines: inout Set<String>) throws {
        var reader = Reader(bytes: body)
        var name = ""
        var methods: [String] = []
        while let (n, _, b) = try reader.next() {
            if n == 1 { name = string(b) }
            guard n == 2 else { continue }
            var r = Reader(bytes: b)
            var (m, input, output, cs, ss) = ("", "", "", false, false)
            while let (k, v, s) = try r.next() {
                switch k {
                case 1: m = string(s)
                case 2: input = String(string(s).dropFirst())
                case 3: output = String(string(s).dropFirst())
                case 5: cs = v != 0
                case 6: ss = v != 0
                default: break
                }
            }
            methods.append("\(m) \(cs ? "stream " : "")\(input) \(ss ? "stream " : "")\(output)")
        }
        for m in methods { lines.insert("rpc \(join(package, name)).\(m)") }
    }
}

/// A second oracle: the protobuf distribution's own `.proto` files (descriptor.proto is large proto2 with
/// nested types, defaults, extension ranges, reserved ranges; the well-known types are proto3), compiled by
/// protoc (or protoc-c, which accepts the same flags) when one is installed.
@Suite("Protobuf parser against protoc on the protobuf distribution's files")
struct ProtobufDistributionOracleTests {
    static let includeDir = "/usr/include"
    static let compiler = ["/usr/bin/protoc", "/usr/bin/protoc-c"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let protos = ((try? FileManager.default.contentsOfDirectory(atPath: includeDir + "/google/protobuf")) ?? [])
        .filter { $0.hasSuffix(".proto") }.sorted().map { "google/protobuf/" + $0 }

    @Test(
        "The well-known types and descriptor.proto resolve to what protoc describes",
        .enabled(if: compiler != nil && protos.count >= 5))
    func distribution() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("wkt-\(getpid()).binpb")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.compiler!)
        process.arguments =
            ["-I\(Self.includeDir)", "--include_imports", "--descriptor_set_out=\(output.path)"] + Self.protos
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let files = try DescriptorSetDecoder.files([UInt8](Data(contentsOf: output)))
        var texts: [String: String] = [:]
        for path in Self.protos {
            texts[path] = try String(contentsOfFile: Self.includeDir + "/" + path, encoding: .utf8)
        }
        for path in Self.protos {
            let schema: ProtobufSchema
            do {
                schema = try ProtobufSchema.parse(texts[path]!, imports: texts)
            } catch {
                Issue.record("\(path): \(error)")
                continue
            }
            let ours = ProtobufOracleTests.lines(schema)
            let theirs = try #require(files[path])
            #expect(ours.count > 1)
            for line in ours.subtracting(theirs).sorted() { Issue.record("\(path): only in ours: \(line)") }
            for line in theirs.subtracting(ours).sorted() { Issue.record("\(path): only in protoc's: \(line)") }
        }
    }
}

/// A third oracle: fixtures written for the parser's corners (scoping, proto3 optional, maps, oneofs, aliases,
/// negative enum values, hex and octal numbers, json_name, public imports, streaming), compiled by protoc.
@Suite("Protobuf parser against protoc on corner-case fixtures")
struct ProtobufFixtureOracleTests {
    static let fixtures: [String: String] = [
        "base/leaf.proto": #"""
            syntax = "proto3";
            package base.leaf;
            message Leaf { string name = 1; enum Kind { KIND_UNSPECIFIED = 0; } }
            """#,
        "base/mid.proto": #"""
            syntax = "proto3";
            package base;
            import public "base/leaf.proto";
            message Mid { leaf.Leaf leaf = 1; }
            """#,
        "corner.proto": #"""
            syntax = "proto3";
            package corner.v1;
            import "base/mid.proto";
            option java_package = "com." "corner";
            message X { message Y { int32 y = 1; } }
            message Outer {
              message X { message Z { X back = 1; } }
              X inner = 0x1;
              v1.X outer = 02;
              .corner.v1.X.Y y = 3;
              Outer.X.Z z = 4;
              optional string maybe = 5;
              map<int64, Outer.X> by_id = 6;
              map<string, base.leaf.Leaf.Kind> kinds = 7;
              oneof choice { string a = 8; base.Mid mid = 9 [json_name = "theMid"]; }
              repeated sint64 samples = 10 [packed = false];
              base.leaf.Leaf leaf = 11;
              reserved 12 to 14, 100 to max;
              reserved "gone";
              enum Mode { option allow_alias = true; MODE_UNKNOWN = 0; MODE_ON = 1; MODE_ENABLED = 1; MODE_NEG = -3; }
              Mode mode = 15 [deprecated = true];
            }
            service Corner {
              rpc Get(Outer) returns (X.Y);
              rpc Stream(stream X) returns (stream .corner.v1.Outer.X.Z);
            }
            """#,
        "legacy.proto": #"""
            syntax = "proto2";
            package legacy;
            message Msg {
              required int32 id = 1 [default = 7];
              optional string name = 2 [default = "a\x41\101"];
              repeated int32 packed_ints = 3 [packed = true];
              extensions 1000 to 1999, 5000;
              optional Msg child = 4;
              enum E { A = 1; B = 2; }
              optional E e = 5 [default = B];
              oneof o { int32 i = 6; string s = 7; }
            }
            extend Msg { optional int32 ext = 1000; }
            """#,
    ]

    @Test(
        "Corner-case fixtures resolve to what protoc describes",
        .enabled(if: ProtobufDistributionOracleTests.compiler != nil))
    func fixtures() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proto-fixtures-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (path, text) in Self.fixtures {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let output = dir.appendingPathComponent("set.binpb")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProtobufDistributionOracleTests.compiler!)
        process.arguments =
            ["-I\(dir.path)", "--include_imports", "--descriptor_set_out=\(output.path)"] + Self.fixtures.keys.sorted()
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let files = try DescriptorSetDecoder.files([UInt8](Data(contentsOf: output)))
        for path in Self.fixtures.keys.sorted() {
            let schema = try ProtobufSchema.parse(Self.fixtures[path]!, imports: Self.fixtures)
            let ours = ProtobufOracleTests.lines(schema)
            let theirs = try #require(files[path])
            for line in ours.subtracting(theirs).sorted() { Issue.record("\(path): only in ours: \(line)") }
            for line in theirs.subtracting(ours).sorted() { Issue.record("\(path): only in protoc's: \(line)") }
        }
    }
}
