/// Parses `.proto` text (proto2 and proto3; protobuf language spec) into a ``ProtoFile``.
///
/// Recursive descent, one call level per nested block; the depth is checked against
/// ``ProtoParserLimits/maxDepth`` before each level, so recursion never goes deeper than the limit. Aggregate
/// option values (`option (x) = { a: 1 b { c: 2 } };`) are skipped with a counter, not recursion.
/// Not supported, with a clear error: `edition` files, proto2 `group` fields.
public enum ProtoParser {
    public static func parse(_ text: String, limits: ProtoParserLimits = .default) throws(ProtoParseError) -> ProtoFile
    {
        let tokens = try ProtoTokenizer.tokenize(text, limits: limits)
        var parser = Parser(tokens: tokens, limits: limits)
        return try parser.file()
    }

    /// The JSON name protoc derives from a field name: underscores dropped, the letter after each capitalised.
    public static func defaultJSONName(_ name: String) -> String {
        var out = ""
        var capitalizeNext = false
        for c in name {
            if c == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                out += c.uppercased()
                capitalizeNext = false
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Largest field number (2^29 - 1), what `max` means in a message's `reserved` and `extensions`.
    public static let maxFieldNumber: Int64 = 536_870_911
    /// Largest enum value, what `max` means in an enum's `reserved`.
    public static let maxEnumNumber: Int64 = Int64(Int32.max)

    private struct Parser {
        let tokens: [ProtoToken]
        let limits: ProtoParserLimits
        var position = 0
        var depth = 0
        var syntax: ProtoFile.Syntax = .proto2

        init(tokens: [ProtoToken], limits: ProtoParserLimits) {
            self.tokens = tokens
            self.limits = limits
        }

        // MARK: Token helpers

        var current: ProtoToken? { self.position < self.tokens.count ? self.tokens[self.position] : nil }

        var location: ProtoSourceLocation {
            if let current { return current.location }
            guard let last = self.tokens.last else { return ProtoSourceLocation(line: 1, column: 1) }
            return ProtoSourceLocation(line: last.location.line, column: last.location.column + last.text.utf8.count)
        }

        func error(_ message: String, at location: ProtoSourceLocation? = nil) -> ProtoParseError {
            ProtoParseError(code: .syntax, location: location ?? self.location, message: message)
        }

        func describe(_ token: ProtoToken?) -> String {
            guard let token else { return "end of input" }
            switch token.kind {
            case .string: return "string \"\(token.text)\""
            default: return "'\(token.text)'"
            }
        }

        func isSymbol(_ s: String, offset: Int = 0) -> Bool {
            let i = self.position + offset
            return i < self.tokens.count && self.tokens[i].kind == .symbol && self.tokens[i].text == s
        }

        func isIdentifier(_ s: String, offset: Int = 0) -> Bool {
            let i = self.position + offset
            return i < self.tokens.count && self.tokens[i].kind == .identifier && self.tokens[i].text == s
        }

        mutating func take() -> ProtoToken? {
            defer { self.position += 1 }
            return self.current
        }

        mutating func expectSymbol(_ s: String, context: String) throws(ProtoParseError) {
            guard self.isSymbol(s) else {
                throw self.error("expected '\(s)' \(context), found \(self.describe(self.current))")
            }
            self.position += 1
        }

        mutating func consumeSymbol(_ s: String) -> Bool {
            guard self.isSymbol(s) else { return false }
            self.position += 1
            return true
        }

        mutating func identifier(_ what: String) throws(ProtoParseError) -> String {
            guard let token = self.current, token.kind == .identifier else {
                throw self.error("expected \(what), found \(self.describe(self.current))")
            }
            self.position += 1
            return token.text
        }

        /// `ident { "." ident }`, with an optional leading "." when `allowLeadingDot`.
        mutating func dottedName(_ what: String, allowLeadingDot: Bool = false) throws(ProtoParseError) -> String {
            var name = ""
            if allowLeadingDot, self.consumeSymbol(".") { name = "." }
            name += try self.identifier(what)
            while self.isSymbol("."), self.position + 1 < self.tokens.count,
                self.tokens[self.position + 1].kind == .identifier
            {
                self.position += 2
                name += "." + self.tokens[self.position - 1].text
            }
            return name
        }

        /// One or more adjacent string literals, concatenated (as C and protoc do).
        mutating func stringLiteral(_ what: String) throws(ProtoParseError) -> String {
            guard let token = self.current, token.kind == .string else {
                throw self.error("expected \(what) (a string), found \(self.describe(self.current))")
            }
            var text = token.text
            self.position += 1
            while let next = self.current, next.kind == .string {
                text += next.text
                self.position += 1
            }
            return text
        }

        /// An integer with an optional sign, in `range`.
        mutating func integer(_ what: String, range: ClosedRange<Int64>) throws(ProtoParseError) -> Int64 {
            let start = self.location
            let negative = self.consumeSymbol("-")
            guard let token = self.current, token.kind == .integer else {
                throw self.error("expected \(what) (an integer), found \(self.describe(self.current))")
            }
            self.position += 1
            guard let magnitude = token.integer, magnitude <= UInt64(Int64.max) else {
                throw self.error("\(what) \(token.text) is out of range", at: start)
            }
            let value = negative ? -Int64(magnitude) : Int64(magnitude)
            guard range.contains(value) else {
                throw self.error(
                    "\(what) \(value) is out of range \(range.lowerBound)...\(range.upperBound)", at: start)
            }
            return value
        }

        mutating func enter(_ what: String) throws(ProtoParseError) {
            guard self.depth < self.limits.maxDepth else {
                throw ProtoParseError(
                    code: .limitExceeded, location: self.location,
                    message: "\(what) nested more than \(self.limits.maxDepth) levels deep")
            }
            self.depth += 1
        }

        mutating func leave() { self.depth -= 1 }

        // MARK: File

        mutating func file() throws(ProtoParseError) -> ProtoFile {
            var file = ProtoFile()
            var first = true
            var sawPackage = false
            while let token = self.current {
                defer { first = false }
                if self.consumeSymbol(";") { continue }
                guard token.kind == .identifier else {
                    throw self.error("expected a top-level statement, found \(self.describe(token))")
                }
                switch token.text {
                case "syntax":
                    guard first else { throw self.error("'syntax' must be the first statement of the file") }
                    self.position += 1
                    try self.expectSymbol("=", context: "after 'syntax'")
                    let valueLocation = self.location
                    let value = try self.stringLiteral("syntax")
                    guard let syntax = ProtoFile.Syntax(rawValue: value) else {
                        throw self.error(
                            "unknown syntax \"\(value)\": expected \"proto2\" or \"proto3\"", at: valueLocation)
                    }
                    self.syntax = syntax
                    file.syntax = syntax
                    try self.expectSymbol(";", context: "after the syntax")
                case "edition":
                    throw self.error(
                        "editions (`edition = ...`) are not supported: use syntax = \"proto2\" or \"proto3\"")
                case "package":
                    guard !sawPackage else { throw self.error("a file may have only one 'package' statement") }
                    sawPackage = true
                    self.position += 1
                    file.package = try self.dottedName("a package name")
                    try self.expectSymbol(";", context: "after the package name")
                case "import":
                    self.position += 1
                    var kind = ProtoFile.ImportKind.normal
                    if self.isIdentifier("weak") {
                        kind = .weak
                        self.position += 1
                    } else if self.isIdentifier("public") {
                        kind = .public
                        self.position += 1
                    }
                    let path = try self.stringLiteral("an import path")
                    file.imports.append(ProtoFile.Import(path: path, kind: kind))
                    try self.expectSymbol(";", context: "after the import")
                case "option":
                    let option = try self.optionStatement()
                    file.optionNames.append(option.name)
                case "message":
                    file.messages.append(try self.message())
                case "enum":
                    file.enums.append(try self.enumeration())
                case "service":
                    file.services.append(try self.service())
                case "extend":
                    try self.extend()
                default:
                    throw self.error("unexpected '\(token.text)' at the top level")
                }
            }
            return file
        }

        // MARK: Options

        struct Option {
            var name: String
            var value: String?
            var location: ProtoSourceLocation
        }

        /// `option name = constant ;`
        mutating func optionStatement() throws(ProtoParseError) -> Option {
            self.position += 1  // "option"
            let option = try self.optionAssignment()
            try self.expectSymbol(";", context: "after the option")
            return option
        }

        /// `name = constant`, where name is `ident`, `(full.ident)` and `.ident` suffixes.
        mutating func optionAssignment() throws(ProtoParseError) -> Option {
            let location = self.location
            var name = ""
            repeat {
                if self.consumeSymbol("(") {
                    name += "(" + (try self.dottedName("an extension option name", allowLeadingDot: true)) + ")"
                    try self.expectSymbol(")", context: "after the extension option name")
                } else {
                    name += try self.identifier("an option name")
                }
                if self.isSymbol(".") { name += "." }
            } while self.consumeSymbol(".")
            try self.expectSymbol("=", context: "after the option name")
            let value = try self.constant()
            return Option(name: name, value: value, location: location)
        }

        /// A constant: identifier, signed number, strings, or an aggregate `{ ... }` (skipped; returns nil).
        mutating func constant() throws(ProtoParseError) -> String? {
            guard let token = self.current else { throw self.error("expected an option value, found end of input") }
            if token.kind == .symbol && token.text == "{" {
                try self.skipAggregate()
                return nil
            }
            if token.kind == .string { return try self.stringLiteral("an option value") }
            var sign = ""
            if token.kind == .symbol && (token.text == "-" || token.text == "+") {
                sign = token.text == "-" ? "-" : ""
                self.position += 1
            }
            guard let value = self.current, value.kind == .identifier || value.kind == .integer || value.kind == .float
            else {
                throw self.error("expected an option value, found \(self.describe(self.current))")
            }
            if value.kind == .identifier {
                return sign + (try self.dottedName("an option value"))
            }
            self.position += 1
            return sign + value.text
        }

        /// Skips a text-format aggregate `{ ... }` by counting brackets: no recursion, depth bounded.
        mutating func skipAggregate() throws(ProtoParseError) {
            let start = self.location
            var open = 0
            repeat {
                guard let token = self.take() else { throw self.error("unterminated option value '{'", at: start) }
                if token.kind == .symbol {
                    switch token.text {
                    case "{", "[", "<":
                        open += 1
                        guard self.depth + open <= self.limits.maxDepth else {
                            throw ProtoParseError(
                                code: .limitExceeded, location: token.location,
                                message: "option value nested more than \(self.limits.maxDepth) levels deep")
                        }
                    case "}", "]", ">":
                        open -= 1
                    default:
                        break
                    }
                }
            } while open > 0
        }

        /// `[ name = constant, ... ]` after a field or enum value.
        mutating func bracketOptions() throws(ProtoParseError) -> [Option] {
            guard self.consumeSymbol("[") else { return [] }
            var options: [Option] = []
            repeat {
                options.append(try self.optionAssignment())
            } while self.consumeSymbol(",")
            try self.expectSymbol("]", context: "after the options")
            return options
        }

        // MARK: Messages

        mutating func message() throws(ProtoParseError) -> ProtoMessage {
            try self.enter("message")
            defer { self.leave() }
            let location = self.location
            self.position += 1  // "message"
            var message = ProtoMessage(name: try self.identifier("a message name"), location: location)
            try self.expectSymbol("{", context: "after the message name")
            while !self.consumeSymbol("}") {
                guard let token = self.current else {
                    throw self.error("expected '}' to close message \(message.name)")
                }
                if self.consumeSymbol(";") { continue }
                guard token.kind == .identifier || (token.kind == .symbol && token.text == ".") else {
                    throw self.error(
                        "expected a field or declaration in message \(message.name), found \(self.describe(token))")
                }
                switch token.text {
                case "message"
                where self.tokens.indices.contains(self.position + 1)
                    && self.tokens[self.position + 1].kind == .identifier:
                    message.messages.append(try self.message())
                case "enum"
                where self.tokens.indices.contains(self.position + 1)
                    && self.tokens[self.position + 1].kind == .identifier:
                    message.enums.append(try self.enumeration())
                case "option":
                    _ = try self.optionStatement()
                case "oneof" where self.tokens.indices.contains(self.position + 2) && self.isSymbol("{", offset: 2):
                    try self.oneof(into: &message)
                case "reserved":
                    self.position += 1
                    try self.reserved(
                        ranges: &message.reservedRanges, names: &message.reservedNames, max: maxFieldNumber)
                case "extensions":
                    self.position += 1
                    repeat {
                        message.extensionRanges.append(try self.range(max: maxFieldNumber))
                    } while self.consumeSymbol(",")
                    _ = try self.bracketOptions()
                    try self.expectSymbol(";", context: "after the extension ranges")
                case "extend":
                    try self.extend()
                default:
                    message.fields.append(try self.field(oneof: nil))
                }
            }
            return message
        }

        mutating func oneof(into message: inout ProtoMessage) throws(ProtoParseError) {
            try self.enter("oneof")
            defer { self.leave() }
            self.position += 1  // "oneof"
            let name = try self.identifier("a oneof name")
            message.oneofs.append(name)
            try self.expectSymbol("{", context: "after the oneof name")
            while !self.consumeSymbol("}") {
                guard self.current != nil else { throw self.error("expected '}' to close oneof \(name)") }
                if self.consumeSymbol(";") { continue }
                if self.isIdentifier("option") {
                    _ = try self.optionStatement()
                    continue
                }
                message.fields.append(try self.field(oneof: name))
            }
        }

        mutating func field(oneof: String?) throws(ProtoParseError) -> ProtoField {
            let location = self.location
            var label = ProtoLabel.implicit
            if let token = self.current, token.kind == .identifier,
                let written = ProtoLabel(rawValue: token.text), written != .implicit,
                self.position + 1 < self.tokens.count,
                self.tokens[self.position + 1].kind == .identifier || self.isSymbol(".", offset: 1)
            {
                guard oneof == nil else {
                    throw self.error("fields in oneof \(oneof!) must not have a label ('\(token.text)')")
                }
                if written == .required && self.syntax == .proto3 {
                    throw self.error("'required' is not allowed in proto3")
                }
                label = written
                self.position += 1
            }
            if self.isIdentifier("group") {
                throw self.error("groups are not supported; use a nested message")
            }
            let type: ProtoTypeReference
            if self.isIdentifier("map") && self.isSymbol("<", offset: 1) {
                guard label == .implicit, oneof == nil else {
                    throw self.error("map fields must not have a label or be in a oneof", at: location)
                }
                self.position += 2
                let keyLocation = self.location
                let keyName = try self.identifier("a map key type")
                guard let key = ProtoScalarType(rawValue: keyName), key != .double, key != .float, key != .bytes
                else {
                    throw self.error(
                        "map key type must be an integral or string scalar, not '\(keyName)'", at: keyLocation)
                }
                try self.expectSymbol(",", context: "after the map key type")
                let value = try self.typeReference()
                if case .map = value { throw self.error("map values cannot be maps") }
                try self.expectSymbol(">", context: "after the map value type")
                type = .map(key: key, value: value)
                label = .repeated
            } else {
                type = try self.typeReference()
                if label == .implicit && self.syntax == .proto2 && oneof == nil {
                    throw self.error("proto2 fields need a label (optional, required or repeated)", at: location)
                }
            }
            let name = try self.identifier("a field name")
            try self.expectSymbol("=", context: "after the field name \(name)")
            let numberLocation = self.location
            let number = try self.integer("field number", range: 1...maxFieldNumber)
            if (19000...19999).contains(number) {
                throw self.error(
                    "field number \(number) is in 19000-19999, reserved for the protobuf implementation",
                    at: numberLocation)
            }
            var field = ProtoField(name: name, number: number, label: label, type: type, location: location)
            field.oneof = oneof
            for option in try self.bracketOptions() {
                switch option.name {
                case "json_name":
                    guard let value = option.value else {
                        throw self.error("json_name must be a string", at: option.location)
                    }
                    field.jsonName = value
                case "packed":
                    field.packed = option.value == "true"
                case "deprecated":
                    field.deprecated = option.value == "true"
                case "default":
                    field.defaultValue = option.value
                default:
                    break
                }
            }
            try self.expectSymbol(";", context: "after field \(name)")
            return field
        }

        mutating func typeReference() throws(ProtoParseError) -> ProtoTypeReference {
            let name = try self.dottedName("a type", allowLeadingDot: true)
            if let scalar = ProtoScalarType(rawValue: name) { return .scalar(scalar) }
            return .named(name)
        }

        /// `reserved 1, 2 to 5, 9 to max;` or `reserved "a", "b";`
        mutating func reserved(
            ranges: inout [ProtoNumberRange], names: inout [String], max: Int64
        ) throws(ProtoParseError) {
            if let token = self.current, token.kind == .string {
                repeat {
                    let location = self.location
                    let name = try self.stringLiteral("a reserved name")
                    guard Self.isIdentifierText(name) else {
                        throw self.error("reserved name \"\(name)\" is not an identifier", at: location)
                    }
                    names.append(name)
                } while self.consumeSymbol(",")
            } else {
                repeat {
                    ranges.append(try self.range(max: max))
                } while self.consumeSymbol(",")
            }
            try self.expectSymbol(";", context: "after the reserved list")
        }

        static func isIdentifierText(_ s: String) -> Bool {
            guard let first = s.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= 0x61 && first | 0x20 <= 0x7A)
            else { return false }
            return s.utf8.allSatisfy { c in
                c == UInt8(ascii: "_") || (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A)
            }
        }

        mutating func range(max: Int64) throws(ProtoParseError) -> ProtoNumberRange {
            let location = self.location
            let minimum = max == maxFieldNumber ? 1 : Int64(Int32.min)
            let lower = try self.integer("range start", range: minimum...max)
            var upper = lower
            if self.isIdentifier("to") {
                self.position += 1
                if self.isIdentifier("max") {
                    self.position += 1
                    upper = max
                } else {
                    upper = try self.integer("range end", range: minimum...max)
                }
            }
            guard lower <= upper else { throw self.error("range \(lower) to \(upper) is empty", at: location) }
            return ProtoNumberRange(lower, upper)
        }

        /// `extend Type { fields }`: parsed for syntax, not kept (extensions are not part of the model).
        mutating func extend() throws(ProtoParseError) {
            try self.enter("extend")
            defer { self.leave() }
            self.position += 1
            _ = try self.dottedName("the extended type", allowLeadingDot: true)
            try self.expectSymbol("{", context: "after the extended type")
            while !self.consumeSymbol("}") {
                guard self.current != nil else { throw self.error("expected '}' to close extend") }
                if self.consumeSymbol(";") { continue }
                _ = try self.field(oneof: nil)
            }
        }

        // MARK: Enums

        mutating func enumeration() throws(ProtoParseError) -> ProtoEnum {
            try self.enter("enum")
            defer { self.leave() }
            let location = self.location
            self.position += 1  // "enum"
            var result = ProtoEnum(name: try self.identifier("an enum name"), location: location)
            try self.expectSymbol("{", context: "after the enum name")
            while !self.consumeSymbol("}") {
                guard self.current != nil else { throw self.error("expected '}' to close enum \(result.name)") }
                if self.consumeSymbol(";") { continue }
                if self.isIdentifier("option") && !self.isSymbol("=", offset: 1) {
                    let option = try self.optionStatement()
                    if option.name == "allow_alias" { result.allowAlias = option.value == "true" }
                    continue
                }
                if self.isIdentifier("reserved") && !self.isSymbol("=", offset: 1) {
                    self.position += 1
                    try self.reserved(ranges: &result.reservedRanges, names: &result.reservedNames, max: maxEnumNumber)
                    continue
                }
                let valueLocation = self.location
                let name = try self.identifier("an enum value name")
                try self.expectSymbol("=", context: "after the enum value name \(name)")
                let number = try self.integer("enum value", range: Int64(Int32.min)...Int64(Int32.max))
                _ = try self.bracketOptions()
                try self.expectSymbol(";", context: "after enum value \(name)")
                result.values.append(ProtoEnumValue(name: name, number: number, location: valueLocation))
            }
            return result
        }

        // MARK: Services

        mutating func service() throws(ProtoParseError) -> ProtoService {
            try self.enter("service")
            defer { self.leave() }
            self.position += 1
            var service = ProtoService(name: try self.identifier("a service name"))
            try self.expectSymbol("{", context: "after the service name")
            while !self.consumeSymbol("}") {
                guard self.current != nil else { throw self.error("expected '}' to close service \(service.name)") }
                if self.consumeSymbol(";") { continue }
                if self.isIdentifier("option") {
                    _ = try self.optionStatement()
                    continue
                }
                guard self.isIdentifier("rpc") else {
                    throw self.error("expected 'rpc' in service \(service.name), found \(self.describe(self.current))")
                }
                let methodLocation = self.location
                self.position += 1
                let name = try self.identifier("an rpc name")
                try self.expectSymbol("(", context: "after rpc \(name)")
                let clientStreaming = self.isIdentifier("stream") && !self.isSymbol(")", offset: 1)
                if clientStreaming { self.position += 1 }
                let input = try self.dottedName("the request type", allowLeadingDot: true)
                try self.expectSymbol(")", context: "after the request type")
                guard self.isIdentifier("returns") else { throw self.error("expected 'returns' in rpc \(name)") }
                self.position += 1
                try self.expectSymbol("(", context: "after 'returns'")
                let serverStreaming = self.isIdentifier("stream") && !self.isSymbol(")", offset: 1)
                if serverStreaming { self.position += 1 }
                let output = try self.dottedName("the response type", allowLeadingDot: true)
                try self.expectSymbol(")", context: "after the response type")
                if self.consumeSymbol("{") {
                    try self.enter("rpc options")
                    defer { self.leave() }
                    while !self.consumeSymbol("}") {
                        guard self.current != nil else { throw self.error("expected '}' to close rpc \(name)") }
                        if self.consumeSymbol(";") { continue }
                        guard self.isIdentifier("option") else { throw self.error("expected 'option' in rpc \(name)") }
                        _ = try self.optionStatement()
                    }
                } else {
                    try self.expectSymbol(";", context: "after rpc \(name)")
                }
                service.methods.append(
                    ProtoMethod(
                        name: name, inputType: input, outputType: output, clientStreaming: clientStreaming,
                        serverStreaming: serverStreaming, location: methodLocation))
            }
            return service
        }
    }
}
