import ArgumentParser
import Foundation
import MicroStateRPC
import MicroStateWire

/// `microstatedb schema ...`: the schema registry (microstate.v1.SchemaRegistry) from the command line.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Register, read, check and bind schemas in the node's schema registry.",
        discussion: """
            Errors print the gRPC status and the registry's Confluent code (e.g. 40401 subject not found) on stderr \
            and exit 2; `schema check` exits 1 when the schema is incompatible.
            """,
        subcommands: [
            SchemaRegister.self, SchemaGet.self, SchemaCheck.self, SchemaConfig.self, SchemaMode.self,
            SchemaDelete.self, SchemaBind.self,
        ]
    )
}

enum SchemaMethod {
    static func path(_ method: String) -> String { "/microstate.v1.SchemaRegistry/\(method)" }
}

/// The schema language, as the CLI names it.
enum SchemaTypeArgument: String, ExpressibleByArgument, CaseIterable {
    case avro, json, protobuf

    var wire: MicroStateWire.SchemaType {
        switch self {
        case .avro: return .avro
        case .json: return .json
        case .protobuf: return .protobuf
        }
    }
}

/// The schema text and references shared by `register` and `check`.
struct SchemaInput: ParsableArguments {
    @Option(help: "The schema language: avro, json (JSON Schema) or protobuf.")
    var type: SchemaTypeArgument = .avro

    @Option(help: "Path of the file holding the schema text ('-' = standard input).")
    var file: String

    @Option(
        name: .customLong("reference"),
        help: ArgumentHelp(
            "A schema this one imports, as name=subject:version (version 'latest' or -1 = the subject's latest). Repeatable.",
            valueName: "name=subject:version"
        )
    )
    var references: [String] = []

    func schema() throws -> MicroStateWire.Schema {
        let text: String
        if self.file == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: self.file) else {
                throw ValidationError("cannot read --file \(self.file)")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let references = try self.references.map { spec -> MicroStateWire.SchemaReference in
            guard let equals = spec.firstIndex(of: "="), let colon = spec.lastIndex(of: ":"), equals < colon else {
                throw ValidationError("--reference \(spec): expected name=subject:version")
            }
            let name = String(spec[..<equals])
            let subject = String(spec[spec.index(after: equals)..<colon])
            let versionText = String(spec[spec.index(after: colon)...])
            let version: Int64
            if versionText == "latest" {
                version = -1
            } else if let number = Int64(versionText), number == -1 || number > 0 {
                version = number
            } else {
                throw ValidationError("--reference \(spec): version must be 1 or more, -1 or 'latest'")
            }
            guard !name.isEmpty, !subject.isEmpty else {
                throw ValidationError("--reference \(spec): name and subject must not be empty")
            }
            return MicroStateWire.SchemaReference(name: name, subject: subject, version: version)
        }
        return MicroStateWire.Schema(schemaType: self.type.wire, schema: text, references: references)
    }
}

struct SchemaRegister: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register a schema under a subject; prints its global id and the subject version."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The subject (created by its first registration).") var subject: String
    @OptionGroup var input: SchemaInput
    @Option(help: "Register with this global id (IMPORT mode only; give --version too).") var id: Int64?
    @Option(help: "Register as this subject version (IMPORT mode only; give --id too).") var version: Int64?
    @Flag(help: "Normalize the schema first, so texts differing only in layout share one id.") var normalize = false

    func validate() throws {
        if (self.id == nil) != (self.version == nil) {
            throw ValidationError("--id and --version go together (IMPORT mode)")
        }
    }

    func run() async throws {
        let request = RegisterRequest(
            subject: self.subject,
            schema: try self.input.schema(),
            id: self.id,
            version: self.version,
            normalize: self.normalize
        )
        let response = try await self.options.withClient { client, timeout in
            try await client.call(SchemaMethod.path("Register"), request, as: RegisterResponse.self, timeout: timeout)
        }
        print(self.options.json ? #"{"id":\#(response.id),"version":\#(response.version)}"# : "id=\(response.id) version=\(response.version)")
    }
}

struct SchemaGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print a schema's text: by global id (--id), or a subject's version (latest by default)."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The subject (omit with --id).") var subject: String?
    @Option(help: "The schema's global id.") var id: Int64?
    @Option(help: "The subject version: a number from 1, or 'latest' (the default).") var version: String = "latest"
    @Flag(help: "Soft-deleted versions may be returned.") var includeDeleted = false

    func validate() throws {
        if (self.id == nil) == (self.subject == nil) {
            throw ValidationError("give either --id or a subject")
        }
        if self.version != "latest" && (Int64(self.version) ?? 0) < 1 {
            throw ValidationError("--version must be a number from 1 or 'latest'")
        }
    }

    func run() async throws {
        let text = try await self.options.withClient(notFoundExitsOne: true) { client, timeout -> String in
            if let id = self.id {
                let response = try await client.call(
                    SchemaMethod.path("GetSchema"), GetSchemaRequest(id: id), as: GetSchemaResponse.self, timeout: timeout
                )
                return response.schema?.schema ?? ""
            }
            let selector: GetVersionRequest.Selector = self.version == "latest" ? .latest(true) : .version(Int64(self.version)!)
            let request = GetVersionRequest(subject: self.subject!, selector: selector, includeDeleted: self.includeDeleted)
            let response = try await client.call(
                SchemaMethod.path("GetVersion"), request, as: GetVersionResponse.self, timeout: timeout
            )
            return response.schema?.schema ?? ""
        }
        print(text)
    }
}

struct SchemaCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a schema against a subject's versions without registering it.",
        discussion: """
            Prints 'compatible', or one line per problem (rule, path, message) and exits 1. Without --version, \
            --latest or --all the subject's compatibility level decides (the latest version, or all if transitive).
            """
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The subject whose versions and level apply.") var subject: String
    @OptionGroup var input: SchemaInput
    @Option(help: "Check against this version only.") var version: Int64?
    @Flag(help: "Check against the latest version.") var latest = false
    @Flag(help: "Check against every live version.") var all = false

    func validate() throws {
        if [self.version != nil, self.latest, self.all].filter({ $0 }).count > 1 {
            throw ValidationError("give at most one of --version, --latest, --all")
        }
    }

    func run() async throws {
        var against: CheckCompatibilityRequest.Against?
        if let version = self.version {
            against = .version(version)
        } else if self.latest {
            against = .latest(true)
        } else if self.all {
            against = .all(true)
        }
        let request = CheckCompatibilityRequest(
            subject: self.subject, schema: try self.input.schema(), against: against, verbose: true
        )
        let response = try await self.options.withClient { client, timeout in
            try await client.call(
                SchemaMethod.path("CheckCompatibility"), request, as: CheckCompatibilityResponse.self, timeout: timeout
            )
        }
        if response.compatible {
            print("compatible")
            return
        }
        print("incompatible")
        for message in response.messages {
            print("\(message.rule)\t\(message.path)\t\(message.message)")
        }
        throw ExitCode(1)
    }
}

/// A compatibility level, as the CLI names it (Confluent's names, any case).
enum LevelArgument: String, ExpressibleByArgument, CaseIterable {
    case none = "NONE", backward = "BACKWARD", backwardTransitive = "BACKWARD_TRANSITIVE", forward = "FORWARD"
    case forwardTransitive = "FORWARD_TRANSITIVE", full = "FULL", fullTransitive = "FULL_TRANSITIVE"
    case unset = "UNSET"

    init?(argument: String) {
        self.init(rawValue: argument.uppercased())
    }

    var wire: MicroStateWire.CompatibilityLevel {
        switch self {
        case .none: return MicroStateWire.CompatibilityLevel.none
        case .backward: return .backward
        case .backwardTransitive: return .backwardTransitive
        case .forward: return .forward
        case .forwardTransitive: return .forwardTransitive
        case .full: return .full
        case .fullTransitive: return .fullTransitive
        case .unset: return .unspecified
        }
    }
}

func levelName(_ level: MicroStateWire.CompatibilityLevel) -> String {
    switch level {
    case .unspecified: return "UNSET"
    case .none: return "NONE"
    case .backward: return "BACKWARD"
    case .backwardTransitive: return "BACKWARD_TRANSITIVE"
    case .forward: return "FORWARD"
    case .forwardTransitive: return "FORWARD_TRANSITIVE"
    case .full: return "FULL"
    case .fullTransitive: return "FULL_TRANSITIVE"
    case .unrecognized(let value): return "UNKNOWN(\(value))"
    }
}

struct SchemaConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print or set the compatibility level of a subject or (no subject) the global default."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The subject; omit for the global level.") var subject: String?
    @Option(
        help: ArgumentHelp(
            "Set the level: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, or UNSET (a subject inherits the global level again; the global level resets to BACKWARD).",
            valueName: "level"
        )
    )
    var set: LevelArgument?
    @Flag(help: "Reading a subject without its own level prints the global one instead of UNSET.")
    var defaultToGlobal = false

    func run() async throws {
        let subject = self.subject ?? ""
        let level = try await self.options.withClient { client, timeout -> MicroStateWire.CompatibilityLevel in
            if let set = self.set {
                return try await client.call(
                    SchemaMethod.path("SetConfig"), SetConfigRequest(subject: subject, level: set.wire),
                    as: SetConfigResponse.self, timeout: timeout
                ).level
            }
            return try await client.call(
                SchemaMethod.path("GetConfig"), GetConfigRequest(subject: subject, defaultToGlobal: self.defaultToGlobal),
                as: GetConfigResponse.self, timeout: timeout
            ).level
        }
        print(levelName(level))
    }
}

/// A registry mode, as the CLI names it.
enum ModeArgument: String, ExpressibleByArgument, CaseIterable {
    case readWrite = "READWRITE", readOnly = "READONLY", `import` = "IMPORT", unset = "UNSET"

    init?(argument: String) {
        self.init(rawValue: argument.uppercased())
    }

    var wire: MicroStateWire.RegistryMode {
        switch self {
        case .readWrite: return .readWrite
        case .readOnly: return .readOnly
        case .import: return .import
        case .unset: return .unspecified
        }
    }
}

func modeName(_ mode: MicroStateWire.RegistryMode) -> String {
    switch mode {
    case .unspecified: return "UNSET"
    case .readWrite: return "READWRITE"
    case .readOnly: return "READONLY"
    case .import: return "IMPORT"
    case .unrecognized(let value): return "UNKNOWN(\(value))"
    }
}

struct SchemaMode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mode",
        abstract: "Print or set the mode of a subject or (no subject) the whole registry."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The subject; omit for the registry's mode.") var subject: String?
    @Option(
        help: ArgumentHelp(
            "Set the mode: READWRITE, READONLY, IMPORT (keeps registered ids and versions), or UNSET (a subject inherits again; the registry resets to READWRITE).",
            valueName: "mode"
        )
    )
    var set: ModeArgument?
    @Flag(help: "Reading a subject without its own mode prints the registry's instead of UNSET.")
    var defaultToGlobal = false

    func run() async throws {
        let subject = self.subject ?? ""
        let mode = try await self.options.withClient { client, timeout -> MicroStateWire.RegistryMode in
            if let set = self.set {
                return try await client.call(
                    SchemaMethod.path("SetMode"), SetModeRequest(subject: subject, mode: set.wire),
                    as: SetModeResponse.self, timeout: timeout
                ).mode
            }
            return try await client.call(
                SchemaMethod.path("GetMode"), GetModeRequest(subject: subject, defaultToGlobal: self.defaultToGlobal),
                as: GetModeResponse.self, timeout: timeout
            ).mode
        }
        print(modeName(mode))
    }
}

struct SchemaDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Soft-delete a subject or one version; with --permanent erase an already soft-deleted one."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The subject.") var subject: String
    @Option(help: "Delete only this version: a number from 1, or 'latest'. Without it, every version.")
    var version: String?
    @Flag(help: "Erase for good (the subject or version must already be soft-deleted).") var permanent = false

    func validate() throws {
        if let version = self.version, version != "latest", (Int64(version) ?? 0) < 1 {
            throw ValidationError("--version must be a number from 1 or 'latest'")
        }
    }

    func run() async throws {
        let deleted = try await self.options.withClient { client, timeout -> [Int64] in
            if let version = self.version {
                let request = DeleteVersionRequest(
                    subject: self.subject, version: version == "latest" ? -1 : Int64(version)!, permanent: self.permanent
                )
                return [try await client.call(
                    SchemaMethod.path("DeleteVersion"), request, as: DeleteVersionResponse.self, timeout: timeout
                ).version]
            }
            return try await client.call(
                SchemaMethod.path("DeleteSubject"), DeleteSubjectRequest(subject: self.subject, permanent: self.permanent),
                as: DeleteSubjectResponse.self, timeout: timeout
            ).versions
        }
        print("deleted versions=\(deleted.map(String.init).joined(separator: ","))\(self.permanent ? " permanently" : "")")
    }
}

struct SchemaBind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bind",
        abstract: "Bind a subject to a KV key prefix or a stream pattern, list bindings (--list) or remove one (--remove).",
        discussion: """
            Bound writes are validated against the subject's latest schema: KV Puts to keys starting with \
            --key-prefix, Appends to the stream named by --stream-pattern (a trailing '*' matches a prefix).
            """
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The subject (required to bind; with --list, only its bindings).") var subject: String?
    @Option(help: "Validate KV values of keys starting with this (UTF-8).") var keyPrefix: String?
    @Option(help: "Validate events appended to this stream, or to every stream matching 'prefix*'.")
    var streamPattern: String?
    @Option(help: "validate: reject a write that does not validate; warn: accept it and count it.")
    var mode: BindingModeArgument = .validate
    @Flag(help: "List bindings (only the subject's when given).") var list = false
    @Flag(help: "Remove the binding of --key-prefix or --stream-pattern.") var remove = false

    func validate() throws {
        if self.list {
            guard !self.remove, self.keyPrefix == nil, self.streamPattern == nil else {
                throw ValidationError("--list takes no target and no --remove")
            }
            return
        }
        guard (self.keyPrefix == nil) != (self.streamPattern == nil) else {
            throw ValidationError("give exactly one of --key-prefix or --stream-pattern")
        }
        if !self.remove && self.subject == nil {
            throw ValidationError("binding needs a subject")
        }
    }

    var target: MicroStateWire.BindingTarget {
        if let prefix = self.keyPrefix {
            return .keyPrefix(Array(prefix.utf8))
        }
        return .streamPattern(self.streamPattern!)
    }

    func run() async throws {
        if self.list {
            let bindings = try await self.options.withClient { client, timeout in
                try await client.call(
                    SchemaMethod.path("ListBindings"), ListBindingsRequest(subject: self.subject ?? ""),
                    as: ListBindingsResponse.self, timeout: timeout
                ).bindings
            }
            for binding in bindings {
                let target: String
                switch binding.target {
                case .keyPrefix(let prefix): target = "key-prefix=\(String(decoding: prefix, as: UTF8.self))"
                case .streamPattern(let pattern): target = "stream-pattern=\(pattern)"
                case nil: target = "-"
                }
                print("\(binding.subject)\t\(target)\t\(binding.mode == .warn ? "warn" : "validate")")
            }
            return
        }
        let target = self.target
        if self.remove {
            _ = try await self.options.withClient { client, timeout in
                try await client.call(
                    SchemaMethod.path("Unbind"), UnbindRequest(target: target), as: UnbindResponse.self, timeout: timeout
                )
            }
            print("unbound")
            return
        }
        let request = BindRequest(subject: self.subject!, target: target, mode: self.mode.wire)
        _ = try await self.options.withClient { client, timeout in
            try await client.call(SchemaMethod.path("Bind"), request, as: BindResponse.self, timeout: timeout)
        }
        print("bound")
    }
}

enum BindingModeArgument: String, ExpressibleByArgument, CaseIterable {
    case validate, warn

    var wire: MicroStateWire.BindingMode {
        self == .warn ? .warn : .validate
    }
}
