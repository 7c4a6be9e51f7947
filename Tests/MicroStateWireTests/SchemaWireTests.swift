import MicroStateWire
import Testing

// schema.proto samples: every field of every message set to a value other than its default.
let schemaReference = SchemaReference(name: "com.acme.Address", subject: "address-value", version: -1)
let avroSchema = Schema(
    schemaType: .avro,
    schema: #"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"é","type":"int"}]}"#,
    references: [schemaReference, SchemaReference(name: "b.proto", subject: "b", version: 2)]
)
let compatibilityMessage = CompatibilityMessage(
    rule: "READER_FIELD_MISSING_DEFAULT_VALUE",
    path: "/fields/1",
    message: "field \"é\" has no default: version 3 cannot be read — \(unicode)"
)
let binding = Binding(subject: "orders-value", target: .keyPrefix([0x6F, 0x2F, 0xFF]), mode: .validate)

/// One value of every schema.proto message with no field at its default, plus every oneof case.
let schemaSamples: [any WireMessage] = [
    schemaReference,
    avroSchema,
    compatibilityMessage,
    SubjectVersion(subject: "orders-value", version: 3),
    RegisterRequest(subject: "orders-value", schema: avroSchema, id: 1, version: 1, normalize: true),
    RegisterRequest(subject: unicode, schema: Schema(schemaType: .protobuf, schema: "syntax = \"proto3\";"),
                    id: Int64.max, version: Int64.min, normalize: true),
    RegisterResponse(header: header, id: 100_001, version: 7),
    GetSchemaRequest(id: 42),
    GetSchemaResponse(header: header, schema: avroSchema,
                      subjectVersions: [SubjectVersion(subject: "a", version: 1), SubjectVersion()]),
    GetVersionRequest(subject: "orders-value", selector: .version(3), includeDeleted: true),
    GetVersionRequest(subject: "orders-value", selector: .latest(true), includeDeleted: true),
    GetVersionResponse(header: header, subject: "orders-value", version: 3, id: 42, schema: avroSchema),
    ListSubjectsRequest(includeDeleted: true, prefix: "orders-"),
    ListSubjectsResponse(header: header, subjects: ["a", "", unicode, "orders-value"]),
    ListVersionsRequest(subject: "orders-value", includeDeleted: true),
    ListVersionsResponse(header: header, versions: [1, 2, 0, -1, Int64.max, Int64.min]),
    CheckCompatibilityRequest(subject: "orders-value", schema: avroSchema, against: .version(0), verbose: true),
    CheckCompatibilityRequest(subject: "s", schema: Schema(schemaType: .json, schema: "{}"), against: .latest(true),
                              verbose: true),
    CheckCompatibilityRequest(subject: "s", schema: Schema(schema: "\"int\""), against: .all(true), verbose: true),
    CheckCompatibilityResponse(header: header, compatible: true,
                               messages: [compatibilityMessage, CompatibilityMessage()]),
    SetConfigRequest(subject: "orders-value", level: .fullTransitive),
    SetConfigResponse(header: header, level: .backwardTransitive),
    GetConfigRequest(subject: "orders-value", defaultToGlobal: true),
    GetConfigResponse(header: header, level: .forward),
    SetModeRequest(subject: "orders-value", mode: .import, force: true),
    SetModeResponse(header: header, mode: .readOnly),
    GetModeRequest(subject: "orders-value", defaultToGlobal: true),
    GetModeResponse(header: header, mode: .readWrite),
    DeleteSubjectRequest(subject: "orders-value", permanent: true),
    DeleteSubjectResponse(header: header, versions: [1, 2, 3]),
    DeleteVersionRequest(subject: "orders-value", version: -1, permanent: true),
    DeleteVersionResponse(header: header, version: 4),
    BindRequest(subject: "orders-value", target: .keyPrefix([0x6F, 0x2F]), mode: .warn),
    BindRequest(subject: "orders-value", target: .streamPattern("orders-*"), mode: .validate),
    BindResponse(header: header),
    UnbindRequest(target: .keyPrefix([0])),
    UnbindRequest(target: .streamPattern(unicode)),
    UnbindResponse(header: header),
    binding,
    Binding(subject: "s", target: .streamPattern("orders-1"), mode: .warn),
    ListBindingsRequest(subject: "orders-value"),
    ListBindingsResponse(header: header, bindings: [binding, Binding()]),
]

/// Every schema.proto message type.
let schemaMessageTypes: [any WireMessage.Type] = [
    SchemaReference.self, Schema.self, CompatibilityMessage.self, SubjectVersion.self, RegisterRequest.self,
    RegisterResponse.self, GetSchemaRequest.self, GetSchemaResponse.self, GetVersionRequest.self,
    GetVersionResponse.self, ListSubjectsRequest.self, ListSubjectsResponse.self, ListVersionsRequest.self,
    ListVersionsResponse.self, CheckCompatibilityRequest.self, CheckCompatibilityResponse.self, SetConfigRequest.self,
    SetConfigResponse.self, GetConfigRequest.self, GetConfigResponse.self, SetModeRequest.self, SetModeResponse.self,
    GetModeRequest.self, GetModeResponse.self, DeleteSubjectRequest.self, DeleteSubjectResponse.self,
    DeleteVersionRequest.self, DeleteVersionResponse.self, BindRequest.self, BindResponse.self, UnbindRequest.self,
    UnbindResponse.self, Binding.self, ListBindingsRequest.self, ListBindingsResponse.self,
]

// Hand-built encodings, field by field from schema.proto.
let schemaReferenceBytes = Field.string(1, "com.acme.Address") + Field.string(2, "address-value") + Field.int(3, -1)
let compatibilityMessageBytes = Field.string(1, "READER_FIELD_MISSING_DEFAULT_VALUE") + Field.string(2, "/fields/1")
    + Field.string(3, "field \"é\" has no default: version 3 cannot be read — \(unicode)")
let smallSchema = Schema(schemaType: .json, schema: "{}", references: [schemaReference])
let smallSchemaBytes = Field.int(1, 2) + Field.string(2, "{}") + Field.message(3, schemaReferenceBytes)

/// A packed repeated int64 field: one length-delimited run of varints, as proto3 encoders write it.
func packed(_ number: Int, _ values: [Int64]) -> [UInt8] {
    Field.bytes(number, values.flatMap { Field.varint(UInt64(bitPattern: $0)) })
}

@Suite("schema.proto: SchemaRegistry service messages")
struct SchemaWireTests {
    @Test("Every schema.proto sample sets every field to a non-default value")
    func samplesSetEveryField() {
        for sample in schemaSamples {
            #expect(defaultedFields(of: sample) == [], "\(type(of: sample)) leaves fields at their default")
        }
    }

    @Test("Every schema.proto sample covers every message type")
    func samplesCoverEveryType() {
        let sampled = Set(schemaSamples.map { ObjectIdentifier(type(of: $0)) })
        for type in schemaMessageTypes {
            #expect(sampled.contains(ObjectIdentifier(type)), "no sample of \(type)")
        }
    }

    @Test("Every schema.proto message round-trips a value with every field set", arguments: schemaSamples.indices)
    func richRoundTrip(index: Int) {
        let sample = schemaSamples[index]
        let survives = survivesRoundTrip(sample)
        #expect(survives, "\(sample)")
    }

    @Test("Every schema.proto message encodes its default value to no bytes and decodes no bytes to it")
    func defaults() throws {
        for type in schemaMessageTypes {
            let decoded = try type.init(wireBytes: [])
            #expect(decoded.wireBytes() == [], "\(type)")
        }
        #expect(try RegisterRequest(wireBytes: []) == RegisterRequest())
        #expect(try GetVersionRequest(wireBytes: []).selector == nil)
        #expect(try CheckCompatibilityRequest(wireBytes: []).against == nil)
        #expect(try BindRequest(wireBytes: []) == BindRequest(subject: "", target: nil, mode: .unspecified))
        #expect(try Schema(wireBytes: []).schemaType == .unspecified)
        #expect(try GetConfigResponse(wireBytes: []).level == .unspecified)
        #expect(try GetModeResponse(wireBytes: []).mode == .unspecified)
    }

    @Test("Hand-built bytes of every message decode to the expected value and are what the encoder writes")
    func goldenEveryMessage() {
        let h = Field.message(1, headerBytes)
        let cases: [(any WireMessage, [UInt8])] = [
            (schemaReference, schemaReferenceBytes),
            (smallSchema, smallSchemaBytes),
            (compatibilityMessage, compatibilityMessageBytes),
            (SubjectVersion(subject: "s", version: 2), Field.string(1, "s") + Field.int(2, 2)),
            (
                RegisterRequest(subject: "s", schema: smallSchema, id: 7, version: 3, normalize: true),
                Field.string(1, "s") + Field.message(2, smallSchemaBytes) + Field.int(3, 7) + Field.int(4, 3)
                    + Field.int(5, 1)
            ),
            (RegisterResponse(header: goldenHeader, id: 9, version: 1), h + Field.int(2, 9) + Field.int(3, 1)),
            (GetSchemaRequest(id: 9), Field.int(1, 9)),
            (
                GetSchemaResponse(header: goldenHeader, schema: smallSchema,
                                  subjectVersions: [SubjectVersion(subject: "s", version: 2)]),
                h + Field.message(2, smallSchemaBytes) + Field.message(3, Field.string(1, "s"), Field.int(2, 2))
            ),
            (
                GetVersionRequest(subject: "s", selector: .version(5), includeDeleted: true),
                Field.string(1, "s") + Field.int(2, 5) + Field.int(4, 1)
            ),
            (GetVersionRequest(subject: "s", selector: .latest(true)), Field.string(1, "s") + Field.int(3, 1)),
            (
                GetVersionResponse(header: goldenHeader, subject: "s", version: 2, id: 9, schema: smallSchema),
                h + Field.string(2, "s") + Field.int(3, 2) + Field.int(4, 9) + Field.message(5, smallSchemaBytes)
            ),
            (ListSubjectsRequest(includeDeleted: true, prefix: "p"), Field.int(1, 1) + Field.string(2, "p")),
            (
                ListSubjectsResponse(header: goldenHeader, subjects: ["a", "", "b"]),
                h + Field.string(2, "a") + Field.string(2, "") + Field.string(2, "b")
            ),
            (ListVersionsRequest(subject: "s", includeDeleted: true), Field.string(1, "s") + Field.int(2, 1)),
            (ListVersionsResponse(header: goldenHeader, versions: [1, 300, -1]), h + packed(2, [1, 300, -1])),
            (
                CheckCompatibilityRequest(subject: "s", schema: smallSchema, against: .version(4), verbose: true),
                Field.string(1, "s") + Field.message(2, smallSchemaBytes) + Field.int(3, 4) + Field.int(6, 1)
            ),
            (CheckCompatibilityRequest(against: .latest(true)), Field.int(4, 1)),
            (CheckCompatibilityRequest(against: .all(true)), Field.int(5, 1)),
            (
                CheckCompatibilityResponse(header: goldenHeader, compatible: true, messages: [compatibilityMessage]),
                h + Field.int(2, 1) + Field.message(3, compatibilityMessageBytes)
            ),
            (SetConfigRequest(subject: "s", level: .fullTransitive), Field.string(1, "s") + Field.int(2, 7)),
            (SetConfigResponse(header: goldenHeader, level: .none), h + Field.int(2, 1)),
            (GetConfigRequest(subject: "s", defaultToGlobal: true), Field.string(1, "s") + Field.int(2, 1)),
            (GetConfigResponse(header: goldenHeader, level: .backward), h + Field.int(2, 2)),
            (SetModeRequest(subject: "s", mode: .import), Field.string(1, "s") + Field.int(2, 3)),
            (SetModeRequest(subject: "s", mode: .import, force: true), Field.string(1, "s") + Field.int(2, 3) + Field.int(3, 1)),
            (SetModeResponse(header: goldenHeader, mode: .readOnly), h + Field.int(2, 2)),
            (GetModeRequest(subject: "s", defaultToGlobal: true), Field.string(1, "s") + Field.int(2, 1)),
            (GetModeResponse(header: goldenHeader, mode: .readWrite), h + Field.int(2, 1)),
            (DeleteSubjectRequest(subject: "s", permanent: true), Field.string(1, "s") + Field.int(2, 1)),
            (DeleteSubjectResponse(header: goldenHeader, versions: [1, 2]), h + packed(2, [1, 2])),
            (
                DeleteVersionRequest(subject: "s", version: -1, permanent: true),
                Field.string(1, "s") + Field.int(2, -1) + Field.int(3, 1)
            ),
            (DeleteVersionResponse(header: goldenHeader, version: 3), h + Field.int(2, 3)),
            (
                BindRequest(subject: "s", target: .keyPrefix([1, 2]), mode: .validate),
                Field.string(1, "s") + Field.bytes(2, [1, 2]) + Field.int(4, 1)
            ),
            (
                BindRequest(subject: "s", target: .streamPattern("o-*"), mode: .warn),
                Field.string(1, "s") + Field.string(3, "o-*") + Field.int(4, 2)
            ),
            (BindResponse(header: goldenHeader), h),
            (UnbindRequest(target: .keyPrefix([1])), Field.bytes(1, [1])),
            (UnbindRequest(target: .streamPattern("o-*")), Field.string(2, "o-*")),
            (UnbindResponse(header: goldenHeader), h),
            (
                Binding(subject: "s", target: .streamPattern("o"), mode: .validate),
                Field.string(1, "s") + Field.string(3, "o") + Field.int(4, 1)
            ),
            (ListBindingsRequest(subject: "s"), Field.string(1, "s")),
            (
                ListBindingsResponse(header: goldenHeader, bindings: [Binding(subject: "s"), Binding()]),
                h + Field.message(2, Field.string(1, "s")) + Field.message(2)
            ),
        ]
        for (message, bytes) in cases {
            let matches = matchesGolden(message, bytes)
            #expect(matches, "\(type(of: message)): expected \(hex(bytes)), encoded \(hex(message.wireBytes()))")
        }
    }

    @Test("Register's id and version: absent and 0 differ on the wire and each round-trips")
    func registerOptionalPresence() throws {
        let cases: [(Int64?, Int64?, [UInt8])] = [
            (nil, nil, []),
            (0, nil, hex("18 00")),
            (nil, 0, hex("20 00")),
            (0, 0, hex("18 00 20 00")),
            (-1, Int64.max, Field.int(3, -1) + Field.int(4, Int64.max)),
        ]
        for (id, version, bytes) in cases {
            let request = RegisterRequest(id: id, version: version)
            let matches = matchesGolden(request, bytes)
            #expect(matches, "id \(String(describing: id)), version \(String(describing: version))")
        }
    }

    @Test("GetVersion selector unset, version 0, latest false and latest true are four different messages")
    func getVersionSelector() throws {
        let cases: [(GetVersionRequest.Selector?, [UInt8])] = [
            (nil, []),
            (.version(0), hex("10 00")),
            (.version(Int64.min), Field.int(2, Int64.min)),
            (.latest(false), hex("18 00")),
            (.latest(true), hex("18 01")),
        ]
        for (selector, bytes) in cases {
            #expect(matchesGolden(GetVersionRequest(selector: selector), bytes), "\(String(describing: selector))")
        }
        // The last oneof member on the wire wins, as in every protobuf implementation.
        #expect(try GetVersionRequest(wireBytes: hex("10 05 18 01")).selector == .latest(true))
        #expect(try GetVersionRequest(wireBytes: hex("18 01 10 05")).selector == .version(5))
    }

    @Test("CheckCompatibility against: every case, set to its zero value, is still encoded")
    func checkCompatibilityAgainst() throws {
        let cases: [(CheckCompatibilityRequest.Against?, [UInt8])] = [
            (nil, []),
            (.version(0), hex("18 00")),
            (.latest(false), hex("20 00")),
            (.all(false), hex("28 00")),
            (.version(3), hex("18 03")),
            (.latest(true), hex("20 01")),
            (.all(true), hex("28 01")),
        ]
        for (against, bytes) in cases {
            #expect(matchesGolden(CheckCompatibilityRequest(against: against), bytes), "\(String(describing: against))")
        }
        #expect(try CheckCompatibilityRequest(wireBytes: hex("28 01 18 02")).against == .version(2))
    }

    @Test("Binding targets: an empty key prefix and an empty stream pattern are set, not absent")
    func bindingTargets() throws {
        #expect(matchesGolden(BindRequest(target: .keyPrefix([])), hex("12 00")))
        #expect(matchesGolden(BindRequest(target: .streamPattern("")), hex("1a 00")))
        #expect(matchesGolden(UnbindRequest(target: .keyPrefix([])), hex("0a 00")))
        #expect(matchesGolden(UnbindRequest(target: .streamPattern("")), hex("12 00")))
        #expect(matchesGolden(Binding(target: .keyPrefix([])), hex("12 00")))
        #expect(matchesGolden(Binding(target: .streamPattern("")), hex("1a 00")))
        #expect(matchesGolden(BindRequest(), []))
        #expect(try BindRequest(wireBytes: hex("12 01 61 1a 01 62")).target == .streamPattern("b"))
        #expect(try Binding(wireBytes: hex("1a 01 62 12 01 61")).target == .keyPrefix([0x61]))
        // Key prefixes are bytes: anything goes, invalid UTF-8 included.
        let prefix: [UInt8] = [0xFF, 0x00, 0xC0]
        #expect(try roundTripped(BindRequest(target: .keyPrefix(prefix))).target == .keyPrefix(prefix))
    }

    @Test("Repeated int64 fields decode packed and unpacked, and encode packed")
    func repeatedInt64() throws {
        let values: [Int64] = [1, -1, 0, Int64.max, Int64.min, 300]
        let unpacked = values.flatMap { Field.int(2, $0) }
        #expect(try ListVersionsResponse(wireBytes: unpacked).versions == values)
        #expect(try DeleteSubjectResponse(wireBytes: unpacked).versions == values)
        #expect(try ListVersionsResponse(wireBytes: packed(2, [1, 2]) + Field.int(2, 3)).versions == [1, 2, 3])
        #expect(ListVersionsResponse(versions: values).wireBytes() == packed(2, values))
        let many = (0..<10_000).map { Int64($0) * 7 - 5_000 }
        #expect(try roundTripped(DeleteSubjectResponse(versions: many)).versions == many)
    }

    @Test("Repeated strings keep order, empties and duplicates")
    func repeatedStrings() throws {
        let subjects = ["b", "", "a", "a", unicode, String(repeating: "x", count: 5_000)]
        #expect(try roundTripped(ListSubjectsResponse(subjects: subjects)).subjects == subjects)
        #expect(try ListSubjectsResponse(wireBytes: []).subjects == [])
    }

    @Test("Every enum maps every known value and keeps unknown ones, on the wire too")
    func enums() throws {
        let schemaTypes: [(SchemaType, Int32)] = [(.unspecified, 0), (.avro, 1), (.json, 2), (.protobuf, 3)]
        for (value, raw) in schemaTypes {
            #expect(value.rawValue == raw && SchemaType(rawValue: raw) == value)
        }
        let levels: [(CompatibilityLevel, Int32)] = [
            (.unspecified, 0), (.none, 1), (.backward, 2), (.backwardTransitive, 3), (.forward, 4),
            (.forwardTransitive, 5), (.full, 6), (.fullTransitive, 7),
        ]
        for (value, raw) in levels {
            #expect(value.rawValue == raw && CompatibilityLevel(rawValue: raw) == value)
        }
        let modes: [(RegistryMode, Int32)] = [(.unspecified, 0), (.readWrite, 1), (.readOnly, 2), (.import, 3)]
        for (value, raw) in modes {
            #expect(value.rawValue == raw && RegistryMode(rawValue: raw) == value)
        }
        let bindingModes: [(BindingMode, Int32)] = [(.unspecified, 0), (.validate, 1), (.warn, 2)]
        for (value, raw) in bindingModes {
            #expect(value.rawValue == raw && BindingMode(rawValue: raw) == value)
        }

        for raw: Int32 in [8, 1000, Int32.max, -1, Int32.min] {
            // Negative enum values are sign-extended to ten bytes, as for int32.
            let bytes = Field.int(2, Int64(raw))
            let level = try SetConfigRequest(wireBytes: bytes)
            #expect(level.level == .unrecognized(raw))
            #expect(level.wireBytes() == bytes)
            #expect(try GetConfigResponse(wireBytes: bytes).level == .unrecognized(raw))
            #expect(try SetModeRequest(wireBytes: bytes).mode == .unrecognized(raw))
            #expect(try GetModeResponse(wireBytes: bytes).mode == .unrecognized(raw))
            let schema = try Schema(wireBytes: Field.int(1, Int64(raw)))
            #expect(schema.schemaType == .unrecognized(raw))
            #expect(schema.wireBytes() == Field.int(1, Int64(raw)))
            #expect(try BindRequest(wireBytes: Field.int(4, Int64(raw))).mode == .unrecognized(raw))
            #expect(try roundTripped(Binding(mode: .unrecognized(raw))).mode == .unrecognized(raw))
        }
        #expect(SchemaType(rawValue: 4) == .unrecognized(4))
        #expect(CompatibilityLevel(rawValue: 8) == .unrecognized(8))
        #expect(RegistryMode(rawValue: 4) == .unrecognized(4))
        #expect(BindingMode(rawValue: 3) == .unrecognized(3))
    }

    @Test("Broken schema.proto encodings throw malformed")
    func brokenEncodings() {
        let cases: [(String, any WireMessage.Type, [UInt8])] = [
            ("subject length past the end", RegisterRequest.self, hex("0a 05 61")),
            ("subject sent as varint", RegisterRequest.self, hex("08 01")),
            ("schema sent as varint", RegisterRequest.self, hex("10 01")),
            ("id sent as length-delimited", RegisterRequest.self, hex("1a 01 00")),
            ("version cut short", RegisterRequest.self, hex("20 ff")),
            ("schema holding a truncated text", RegisterRequest.self, hex("12 03 12 05 61")),
            ("reference holding a bad varint", Schema.self, hex("1a 02 18 ff")),
            ("schema_type sent as fixed32", Schema.self, hex("0d 00 00 00 00")),
            ("rule length past the end", CompatibilityMessage.self, hex("0a 02 61")),
            ("id cut short", GetSchemaRequest.self, hex("08 80")),
            ("subject_versions sent as varint", GetSchemaResponse.self, hex("18 01")),
            ("version sent as length-delimited", GetVersionRequest.self, hex("12 01 00")),
            ("latest cut short", GetVersionRequest.self, hex("18 80")),
            ("subjects sent as varint", ListSubjectsResponse.self, hex("10 01")),
            ("packed versions cut inside a varint", ListVersionsResponse.self, hex("12 02 01 ff")),
            ("packed versions length past the end", DeleteSubjectResponse.self, hex("12 05 01")),
            ("all cut short", CheckCompatibilityRequest.self, hex("28")),
            ("messages holding a bad wire type", CheckCompatibilityResponse.self, hex("1a 02 0f 00")),
            ("level sent as length-delimited", SetConfigRequest.self, hex("12 01 01")),
            ("mode cut short", GetModeResponse.self, hex("10 80")),
            ("key_prefix length past the end", BindRequest.self, hex("12 03 01")),
            ("stream_pattern sent as varint", UnbindRequest.self, hex("10 01")),
            ("bindings holding a truncated subject", ListBindingsResponse.self, hex("12 03 0a 05 61")),
            ("header holding a truncated string", RegisterResponse.self, hex("0a 03 1a 05 61")),
        ]
        for (name, type, bytes) in cases {
            let error = decodeError(as: type, bytes)
            #expect(error?.code == .malformed, "\(type): \(name)")
        }
    }

    @Test("Every prefix of every schema.proto sample decodes or throws malformed", arguments: schemaSamples.indices)
    func truncations(index: Int) {
        let sample = schemaSamples[index]
        let bytes = sample.wireBytes()
        for length in 0..<bytes.count {
            let error = decodeError(as: sample, Array(bytes[..<length]))
            #expect(error == nil || error?.code == .malformed, "\(type(of: sample)) cut at \(length)")
        }
    }

    @Test("Invalid UTF-8 in any schema.proto string throws malformed naming the field")
    func invalidUTF8() {
        let bad: [UInt8] = [0x61, 0xFF]
        let cases: [(any WireMessage.Type, [UInt8], String)] = [
            (SchemaReference.self, Field.bytes(1, [0xC0, 0x80]), "SchemaReference.name"),  // overlong NUL
            (SchemaReference.self, Field.bytes(2, [0xED, 0xA0, 0x80]), "SchemaReference.subject"),  // surrogate
            (Schema.self, Field.bytes(2, [0xE6, 0x97]), "Schema.schema"),  // cut sequence
            (Schema.self, Field.message(3, Field.bytes(1, bad)), "SchemaReference.name"),
            (CompatibilityMessage.self, Field.bytes(1, bad), "CompatibilityMessage.rule"),
            (CompatibilityMessage.self, Field.bytes(2, bad), "CompatibilityMessage.path"),
            (CompatibilityMessage.self, Field.bytes(3, bad), "CompatibilityMessage.message"),
            (SubjectVersion.self, Field.bytes(1, bad), "SubjectVersion.subject"),
            (RegisterRequest.self, Field.bytes(1, bad), "RegisterRequest.subject"),
            (RegisterRequest.self, Field.message(2, Field.bytes(2, bad)), "Schema.schema"),
            (
                RegisterRequest.self, Field.message(2, Field.message(3, Field.bytes(2, bad))),
                "SchemaReference.subject"
            ),
            (GetSchemaResponse.self, Field.message(2, Field.bytes(2, bad)), "Schema.schema"),
            (GetSchemaResponse.self, Field.message(3, Field.bytes(1, bad)), "SubjectVersion.subject"),
            (GetVersionRequest.self, Field.bytes(1, bad), "GetVersionRequest.subject"),
            (GetVersionResponse.self, Field.bytes(2, bad), "GetVersionResponse.subject"),
            (GetVersionResponse.self, Field.message(5, Field.bytes(2, bad)), "Schema.schema"),
            (ListSubjectsRequest.self, Field.bytes(2, bad), "ListSubjectsRequest.prefix"),
            (
                ListSubjectsResponse.self, Field.string(2, "ok") + Field.bytes(2, bad),
                "ListSubjectsResponse.subjects"
            ),
            (ListVersionsRequest.self, Field.bytes(1, bad), "ListVersionsRequest.subject"),
            (CheckCompatibilityRequest.self, Field.bytes(1, bad), "CheckCompatibilityRequest.subject"),
            (CheckCompatibilityRequest.self, Field.message(2, Field.bytes(2, bad)), "Schema.schema"),
            (CheckCompatibilityResponse.self, Field.message(3, Field.bytes(3, bad)), "CompatibilityMessage.message"),
            (SetConfigRequest.self, Field.bytes(1, bad), "SetConfigRequest.subject"),
            (GetConfigRequest.self, Field.bytes(1, bad), "GetConfigRequest.subject"),
            (SetModeRequest.self, Field.bytes(1, bad), "SetModeRequest.subject"),
            (GetModeRequest.self, Field.bytes(1, bad), "GetModeRequest.subject"),
            (DeleteSubjectRequest.self, Field.bytes(1, bad), "DeleteSubjectRequest.subject"),
            (DeleteVersionRequest.self, Field.bytes(1, bad), "DeleteVersionRequest.subject"),
            (BindRequest.self, Field.bytes(1, bad), "BindRequest.subject"),
            (BindRequest.self, Field.bytes(3, bad), "BindRequest.stream_pattern"),
            (UnbindRequest.self, Field.bytes(2, bad), "UnbindRequest.stream_pattern"),
            (Binding.self, Field.bytes(1, bad), "Binding.subject"),
            (Binding.self, Field.bytes(3, bad), "Binding.stream_pattern"),
            (ListBindingsRequest.self, Field.bytes(1, bad), "ListBindingsRequest.subject"),
            (ListBindingsResponse.self, Field.message(2, Field.bytes(3, bad)), "Binding.stream_pattern"),
        ]
        for (type, bytes, field) in cases {
            let error = decodeError(as: type, bytes)
            #expect(error?.code == .malformed, "\(type) with invalid \(field): \(hex(bytes))")
            #expect(error?.message.contains("microstate.v1.\(field)") == true, "\(error?.message ?? "no error")")
        }
    }

    @Test("A key prefix with the same bytes as invalid UTF-8 is accepted: it is a bytes field")
    func keyPrefixIsBytes() throws {
        let bytes = Field.bytes(2, [0x61, 0xFF])
        #expect(try BindRequest(wireBytes: bytes).target == .keyPrefix([0x61, 0xFF]))
        #expect(try Binding(wireBytes: bytes).target == .keyPrefix([0x61, 0xFF]))
        #expect(try UnbindRequest(wireBytes: Field.bytes(1, [0xFF])).target == .keyPrefix([0xFF]))
    }
}
