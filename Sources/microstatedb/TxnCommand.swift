import ArgumentParser
import MicroStateWire

struct Txn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an atomic transaction: if every --if holds, run the --then ops, else the --else ops.",
        discussion: """
            Compares: TARGET(KEY) OP VALUE, TARGET one of mod, create, version, value; OP one of =, !=, >, <.
            Ops: 'put KEY VALUE', 'del KEY', 'get KEY'. Example:
              microstatedb txn --if 'mod(config) = 7' --then 'put config v2' --else 'get config'
            A missing key has mod, create and version 0 and an empty value.
            """
    )

    @OptionGroup var options: ClientOptions
    @Option(name: .customLong("if"), help: "A comparison, e.g. 'version(k) > 2' (repeatable).") var compares: [String] = []
    @Option(name: .customLong("then"), help: "An op run when every comparison holds (repeatable).") var success: [String] = []
    @Option(name: .customLong("else"), help: "An op run otherwise (repeatable).") var failure: [String] = []

    func run() async throws {
        let request = TxnRequest(
            compares: try self.compares.map(TxnParser.compare),
            success: try self.success.map(TxnParser.op),
            failure: try self.failure.map(TxnParser.op)
        )
        let response = try await self.options.withClient { client, timeout in
            try await client.call(KVMethod.txn, request, as: TxnResponse.self, timeout: timeout)
        }
        var lines = ["\(response.succeeded ? "SUCCEEDED" : "FAILED") revision=\(response.revision)"]
        var results: [[String: Any]] = []
        for op in response.responses {
            switch op.response {
            case .put(let put):
                lines.append("put revision=\(put.revision)")
                results.append(["put": ["revision": put.revision]])
            case .delete(let delete):
                lines.append(delete.deleted ? "deleted revision=\(delete.revision)" : "delete: not found")
                results.append(["delete": ["deleted": delete.deleted, "revision": delete.revision]])
            case .get(let get):
                if let kv = get.kv, get.found {
                    lines.append("get \(Output.line(kv))")
                    results.append(["get": Output.object(kv)])
                } else {
                    lines.append("get: not found")
                    results.append(["get": ["found": false]])
                }
            case .ack:
                lines.append("ack")
                results.append(["ack": [String: Any]()])
            case nil:
                break
            }
        }
        Output.emit(
            json: self.options.json,
            ["succeeded": response.succeeded, "revision": response.revision, "responses": results]
        ) { lines.joined(separator: "\n") }
    }
}

/// Parses the txn subcommand's small language.
enum TxnParser {
    static func compare(_ text: String) throws -> Compare {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.firstIndex(of: "("), let close = trimmed.firstIndex(of: ")"), open < close else {
            throw ValidationError("comparison '\(text)' must look like TARGET(KEY) OP VALUE")
        }
        let target = trimmed[..<open].trimmingCharacters(in: .whitespaces).lowercased()
        let key = Array(trimmed[trimmed.index(after: open)..<close].utf8)
        let rest = trimmed[trimmed.index(after: close)...].trimmingCharacters(in: .whitespaces)
        let operators: [(String, CompareResult)] = [("!=", .notEqual), ("=", .equal), (">", .greater), ("<", .less)]
        guard let (symbol, result) = operators.first(where: { rest.hasPrefix($0.0) }) else {
            throw ValidationError("comparison '\(text)' needs one of =, !=, >, <")
        }
        let operand = rest.dropFirst(symbol.count).trimmingCharacters(in: .whitespaces)
        func number() throws -> Int64 {
            guard let value = Int64(operand) else {
                throw ValidationError("comparison '\(text)': '\(operand)' is not an integer")
            }
            return value
        }
        let compareTarget: Compare.Target
        switch target {
        case "mod": compareTarget = .modRevision(try number())
        case "create": compareTarget = .createRevision(try number())
        case "version": compareTarget = .version(try number())
        case "value": compareTarget = .value(Array(self.unquote(operand).utf8))
        default: throw ValidationError("comparison target '\(target)' must be mod, create, version or value")
        }
        return Compare(key: key, result: result, target: compareTarget)
    }

    static func op(_ text: String) throws -> RequestOp {
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        switch (parts.first?.lowercased(), parts.count) {
        case ("put", 3):
            return RequestOp(request: .put(PutRequest(key: Array(parts[1].utf8), value: Array(self.unquote(parts[2]).utf8))))
        case ("del", 2), ("delete", 2):
            return RequestOp(request: .delete(DeleteRequest(key: Array(parts[1].utf8))))
        case ("get", 2):
            return RequestOp(request: .get(GetRequest(key: Array(parts[1].utf8))))
        default:
            throw ValidationError("op '\(text)' must be 'put KEY VALUE', 'del KEY' or 'get KEY'")
        }
    }

    private static func unquote(_ text: String) -> String {
        if text.count >= 2, let first = text.first, first == text.last, first == "\"" || first == "'" {
            return String(text.dropFirst().dropLast())
        }
        return text
    }
}
