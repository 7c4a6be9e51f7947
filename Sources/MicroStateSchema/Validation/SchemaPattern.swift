/// A regular expression of the subset of ECMA-262 this module implements for JSON Schema `pattern` and
/// `patternProperties`, matched by backtracking with a step limit.
///
/// Supported: literals and escaped punctuation, `.`, classes `[a-z]` and `[^...]`, `\d \w \s \D \W \S`, anchors
/// `^ $`, quantifiers `* + ? {m} {m,} {m,n}` (greedy, optionally lazy with `?`), groups `( )` and `(?: )` with `|`.
/// Anything else (backreferences, lookaround, `\b`, `\p{…}`, flags) is rejected when compiling so that a schema
/// is never silently accepted with an unchecked pattern. As in ECMA-262 (and JSON Schema), a pattern matches
/// anywhere in the string unless anchored.
public struct SchemaPattern: Sendable {
    /// Backtracking steps one match may take: 100,000 bounds a hostile pattern such as `(a*)*b` to well under a
    /// millisecond; a match that needs more fails with ``match(_:)`` returning nil.
    public static let maxSteps = 100_000
    /// Longest pattern accepted: 1,000 characters; the compiler and matcher recurse on the pattern's nesting.
    public static let maxPatternLength = 1_000
    /// Nodes nested in one match attempt (the matcher's recursion: about one per element matched by a group or
    /// sequence): 2,000 keeps the native stack under a few hundred KiB; a match needing more returns nil.
    public static let maxNesting = 2_000

    indirect enum Node: Sendable {
        case scalar(Unicode.Scalar)
        case any
        case set([ClosedRange<UInt32>], negated: Bool)
        case start
        case end
        case group([[Node]])
        case repeated(Node, min: Int, max: Int, lazy: Bool)
    }

    /// The pattern as written in the schema.
    public let source: String
    let alternatives: [[Node]]

    /// Compiles `pattern`, or fails naming the unsupported construct.
    public init(_ pattern: String) throws(SchemaPatternError) {
        self.source = pattern
        let scalars = Array(pattern.unicodeScalars)
        guard scalars.count <= Self.maxPatternLength else {
            throw SchemaPatternError(message: "pattern longer than \(Self.maxPatternLength) characters")
        }
        var parser = Parser(scalars: scalars)
        self.alternatives = try parser.alternation(depth: 0)
        guard parser.pos == scalars.count else { throw parser.error("unbalanced )") }
    }

    /// Whether `string` contains a match; nil if the step limit ran out.
    public func match(_ string: String) -> Bool? {
        let input = Array(string.unicodeScalars)
        let matcher = Matcher(input: input)
        for start in 0...input.count {
            if matcher.alternatives(self.alternatives, start, { _ in true }) { return true }
            if matcher.exhausted { return nil }
        }
        return false
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        var pos = 0

        func error(_ what: String) -> SchemaPatternError {
            SchemaPatternError(message: "pattern not supported: \(what) at character \(self.pos)")
        }

        mutating func alternation(depth: Int) throws(SchemaPatternError) -> [[Node]] {
            guard depth < 64 else { throw self.error("groups nested deeper than 64") }
            var out: [[Node]] = [[]]
            while self.pos < self.scalars.count {
                let c = self.scalars[self.pos]
                if c == ")" { break }
                if c == "|" {
                    self.pos += 1
                    out.append([])
                    continue
                }
                var atom = try self.atom(depth: depth)
                atom = try self.quantified(atom)
                out[out.count - 1].append(atom)
            }
            return out
        }

        mutating func atom(depth: Int) throws(SchemaPatternError) -> Node {
            let c = self.scalars[self.pos]
            self.pos += 1
            switch c {
            case ".": return .any
            case "^": return .start
            case "$": return .end
            case "(":
                if self.pos < self.scalars.count, self.scalars[self.pos] == "?" {
                    guard self.pos + 1 < self.scalars.count, self.scalars[self.pos + 1] == ":" else {
                        throw self.error("lookaround or named group")
                    }
                    self.pos += 2
                }
                let inner = try self.alternation(depth: depth + 1)
                guard self.pos < self.scalars.count, self.scalars[self.pos] == ")" else { throw self.error("unclosed (") }
                self.pos += 1
                return .group(inner)
            case "[": return try self.characterClass()
            case "\\": return try self.escape(inClass: false)
            case "*", "+", "?", "{": throw self.error("quantifier without an operand")
            default: return .scalar(c)
            }
        }

        mutating func escape(inClass: Bool) throws(SchemaPatternError) -> Node {
            guard self.pos < self.scalars.count else { throw self.error("trailing \\") }
            let c = self.scalars[self.pos]
            self.pos += 1
            let digit: [ClosedRange<UInt32>] = [0x30...0x39]
            let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
            let space: [ClosedRange<UInt32>] = [
                0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
                0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
            ]
            switch c {
            case "d": return .set(digit, negated: false)
            case "D": return .set(digit, negated: true)
            case "w": return .set(word, negated: false)
            case "W": return .set(word, negated: true)
            case "s": return .set(space, negated: false)
            case "S": return .set(space, negated: true)
            case "n": return .scalar("\n")
            case "r": return .scalar("\r")
            case "t": return .scalar("\t")
            case "f": return .scalar("\u{0C}")
            case "v": return .scalar("\u{0B}")
            default:
                // Escaped punctuation is itself; letters and digits are escapes this subset does not implement.
                if c.properties.isAlphabetic || ("0"..."9").contains(c) { throw self.error("escape \\\(c)") }
                return .scalar(c)
            }
        }

        mutating func characterClass() throws(SchemaPatternError) -> Node {
            var negated = false
            if self.pos < self.scalars.count, self.scalars[self.pos] == "^" {
                negated = true
                self.pos += 1
            }
            var ranges: [ClosedRange<UInt32>] = []
            var first = true
            while true {
                guard self.pos < self.scalars.count else { throw self.error("unclosed [") }
                var c = self.scalars[self.pos]
                if c == "]" && !first { break }
                first = false
                self.pos += 1
                if c == "\\" {
                    switch try self.escape(inClass: true) {
                    case .scalar(let s): c = s
                    case .set(let r, negated: false):
                        ranges += r
                        continue
                    default: throw self.error("negated class escape inside []")
                    }
                }
                var upper = c
                if self.pos + 1 < self.scalars.count, self.scalars[self.pos] == "-", self.scalars[self.pos + 1] != "]" {
                    self.pos += 1
                    upper = self.scalars[self.pos]
                    self.pos += 1
                    if upper == "\\" {
                        guard case .scalar(let s) = try self.escape(inClass: true) else {
                            throw self.error("class escape as a range bound")
                        }
                        upper = s
                    }
                    guard upper.value >= c.value else { throw self.error("range out of order") }
                }
                ranges.append(c.value...upper.value)
            }
            self.pos += 1
            return .set(ranges, negated: negated)
        }

        mutating func quantified(_ atom: Node) throws(SchemaPatternError) -> Node {
            guard self.pos < self.scalars.count else { return atom }
            var low = 0
            var high = Int.max
            switch self.scalars[self.pos] {
            case "*": self.pos += 1
            case "+":
                low = 1
                self.pos += 1
            case "?":
                high = 1
                self.pos += 1
            case "{":
                self.pos += 1
                guard let m = self.number() else { throw self.error("{ without a count") }
                low = m
                high = m
                if self.pos < self.scalars.count, self.scalars[self.pos] == "," {
                    self.pos += 1
                    high = self.number() ?? Int.max
                }
                guard self.pos < self.scalars.count, self.scalars[self.pos] == "}", high >= low else {
                    throw self.error("malformed {m,n}")
                }
                self.pos += 1
            default:
                return atom
            }
            var lazy = false
            if self.pos < self.scalars.count, self.scalars[self.pos] == "?" {
                lazy = true
                self.pos += 1
            }
            if case .start = atom { throw self.error("quantified anchor") }
            if case .end = atom { throw self.error("quantified anchor") }
            return .repeated(atom, min: low, max: high, lazy: lazy)
        }

        mutating func number() -> Int? {
            var value: Int?
            while self.pos < self.scalars.count, let d = Int(String(self.scalars[self.pos])), d >= 0, d <= 9 {
                value = min((value ?? 0) * 10 + d, 100_000)
                self.pos += 1
            }
            return value
        }
    }

    /// Continuation-passing backtracking: each node matches at `pos` and calls `next` with where it ended.
    /// A class so the continuations share one step counter.
    final class Matcher {
        let input: [Unicode.Scalar]
        var steps = 0
        var depth = 0

        init(input: [Unicode.Scalar]) { self.input = input }

        var exhausted: Bool { self.steps > SchemaPattern.maxSteps }

        func alternatives(_ alts: [[Node]], _ pos: Int, _ next: (Int) -> Bool) -> Bool {
            for sequence in alts {
                if self.sequence(sequence[...], pos, next) { return true }
                if self.exhausted { return false }
            }
            return false
        }

        func sequence(_ nodes: ArraySlice<Node>, _ pos: Int, _ next: (Int) -> Bool) -> Bool {
            guard let node = nodes.first else { return next(pos) }
            let rest = nodes.dropFirst()
            return self.node(node, pos) { end in self.sequence(rest, end, next) }
        }

        /// Whether single-scalar `node` matches at `pos`; nil if `node` is not a single-scalar node.
        func single(_ node: Node, _ pos: Int) -> Bool? {
            switch node {
            case .scalar(let s): return pos < self.input.count && self.input[pos] == s
            case .any:
                guard pos < self.input.count else { return false }
                let c = self.input[pos]
                return c != "\n" && c != "\r" && c != "\u{2028}" && c != "\u{2029}"
            case .set(let ranges, let negated):
                guard pos < self.input.count else { return false }
                let v = self.input[pos].value
                return ranges.contains { $0.contains(v) } != negated
            default: return nil
            }
        }

        func node(_ node: Node, _ pos: Int, _ next: (Int) -> Bool) -> Bool {
            self.steps += 1
            // Each node's continuation runs inside it, so nesting grows with the nodes matched so far: bound it
            // (as running out of steps) to keep the native stack small on any thread.
            self.depth += 1
            defer { self.depth -= 1 }
            if self.depth > SchemaPattern.maxNesting { self.steps = SchemaPattern.maxSteps + 1 }
            if self.exhausted { return false }
            if let matched = self.single(node, pos) { return matched && next(pos + 1) }
            switch node {
            case .start: return pos == 0 && next(pos)
            case .end: return pos == self.input.count && next(pos)
            case .group(let alts): return self.alternatives(alts, pos, next)
            case .repeated(let inner, let low, let high, let lazy):
                if self.single(inner, pos) != nil {
                    // A repeated single scalar: count the run once, then try the rest from each length.
                    var count = 0
                    while count < high, self.single(inner, pos + count) == true { count += 1 }
                    guard count >= low else { return false }
                    let lengths = lazy ? Array(low...count) : Array((low...count).reversed())
                    for n in lengths {
                        self.steps += 1
                        if next(pos + n) { return true }
                        if self.exhausted { return false }
                    }
                    return false
                }
                return self.repeatGroup(inner, low, high, lazy, pos, 0, next)
            default: return false
            }
        }

        func repeatGroup(
            _ inner: Node, _ low: Int, _ high: Int, _ lazy: Bool, _ pos: Int, _ count: Int, _ next: (Int) -> Bool
        ) -> Bool {
            if count >= low && lazy && next(pos) { return true }
            if count < high {
                let matched = self.node(inner, pos) { end in
                    // An empty iteration would loop forever (ECMA-262 stops it the same way).
                    end != pos && self.repeatGroup(inner, low, high, lazy, end, count + 1, next)
                }
                if matched { return true }
            }
            return count >= low && !lazy && next(pos)
        }
    }
}

/// A `pattern` this module cannot compile (outside the supported subset, or malformed).
public struct SchemaPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}
