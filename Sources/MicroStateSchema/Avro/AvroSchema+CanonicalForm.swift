extension AvroSchema {
    /// The Parsing Canonical Form (Avro 1.11 spec, "Parsing Canonical Form for Schemas"): two schemas with the same
    /// canonical form read and write the same bytes, so it is the text to content-address.
    ///
    /// Applies [PRIMITIVES] (`"int"`, not `{"type":"int"}`), [FULLNAMES] (names qualified, `namespace` dropped),
    /// [STRIP] (only `type`, `name`, `fields`, `symbols`, `items`, `values`, `size`: no doc, aliases, defaults,
    /// order or logical types), [ORDER] (name, type, fields, symbols, items, values, size), [STRINGS], [INTEGERS]
    /// and [WHITESPACE]. A named type is written in full at its first occurrence and by fullname afterwards.
    public var canonicalForm: String {
        var out = ""
        var written: Set<String> = []
        self.writeCanonical(self.root, into: &out, written: &written)
        return out
    }

    /// The CRC-64-AVRO (Rabin) fingerprint of the canonical form (spec "Schema Fingerprints"), as used in Avro's
    /// single-object encoding header.
    public var fingerprint: UInt64 {
        AvroSchema.rabinFingerprint(Array(self.canonicalForm.utf8))
    }

    /// CRC-64-AVRO of `bytes`, as the spec's reference implementation computes it.
    public static func rabinFingerprint(_ bytes: [UInt8]) -> UInt64 {
        var fingerprint = Self.rabinEmpty
        for byte in bytes {
            fingerprint = (fingerprint >> 8) ^ Self.rabinTable[Int((fingerprint ^ UInt64(byte)) & 0xFF)]
        }
        return fingerprint
    }

    private static let rabinEmpty: UInt64 = 0xc15d_213a_a4d7_a795

    private static let rabinTable: [UInt64] = (0..<256).map { index in
        var fingerprint = UInt64(index)
        for _ in 0..<8 {
            fingerprint = (fingerprint >> 1) ^ (AvroSchema.rabinEmpty & (0 &- (fingerprint & 1)))
        }
        return fingerprint
    }

    /// Recursion depth is bounded by the JSON depth of the schema: named types are written in full only once, at the
    /// position they were defined, and by name elsewhere.
    private func writeCanonical(_ type: AvroType, into out: inout String, written: inout Set<String>) {
        switch type {
        case .primitive(let primitive, _):
            out += "\"\(primitive.rawValue)\""
        case .array(let items):
            out += "{\"type\":\"array\",\"items\":"
            self.writeCanonical(items, into: &out, written: &written)
            out += "}"
        case .map(let values):
            out += "{\"type\":\"map\",\"values\":"
            self.writeCanonical(values, into: &out, written: &written)
            out += "}"
        case .union(let branches):
            out += "["
            for (index, branch) in branches.enumerated() {
                if index > 0 { out += "," }
                self.writeCanonical(branch, into: &out, written: &written)
            }
            out += "]"
        case .named(let fullname):
            guard written.insert(fullname).inserted else {
                out += Self.jsonString(fullname)
                return
            }
            let definition = self.definition(of: fullname)
            out += "{\"name\":" + Self.jsonString(fullname)
            switch definition.kind {
            case .record(let fields):
                out += ",\"type\":\"record\",\"fields\":["
                for (index, field) in fields.enumerated() {
                    if index > 0 { out += "," }
                    out += "{\"name\":" + Self.jsonString(field.name) + ",\"type\":"
                    self.writeCanonical(field.type, into: &out, written: &written)
                    out += "}"
                }
                out += "]}"
            case .enumeration(let symbols, _):
                out += ",\"type\":\"enum\",\"symbols\":["
                out += symbols.map(Self.jsonString).joined(separator: ",")
                out += "]}"
            case .fixed(let size, _):
                out += ",\"type\":\"fixed\",\"size\":\(size)}"
            }
        }
    }

    /// [STRINGS]: names and symbols are restricted to `[A-Za-z0-9_.]`, so only the quotes are needed; escaping is
    /// kept for safety.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
