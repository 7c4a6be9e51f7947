// `microstatedb-bench schema-validation`: the cost of validation on write (issue #5), per payload, for a ~1 KiB JSON
// document against a 20-property JSON Schema (mixed types, required, a pattern, a nested object) and for a ~1 KiB
// Protobuf payload (a 20-field message with a nested message and repeated fields). Median of several rounds, each
// of many validations of the same payload (warm caches: the figure is the validator's own cost).
import Dispatch
import Foundation
import MicroStateSchema

let schemaValidationJSONSchema = #"""
    {"type": "object",
     "required": ["id", "name", "email", "age", "address", "tags"],
     "additionalProperties": false,
     "properties": {
       "id": {"type": "string", "pattern": "^[a-z]{3}-\\d{6}$"},
       "name": {"type": "string", "minLength": 1, "maxLength": 100},
       "email": {"type": "string", "maxLength": 200},
       "age": {"type": "integer", "minimum": 0, "maximum": 150},
       "score": {"type": "number"},
       "active": {"type": "boolean"},
       "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
       "address": {"type": "object", "required": ["street", "zip"],
                   "properties": {"street": {"type": "string"}, "city": {"type": "string"},
                                  "zip": {"type": "string"}, "country": {"type": "string"}}},
       "notes": {"type": "string"},
       "created": {"type": "string"},
       "updated": {"type": "string"},
       "level": {"enum": ["bronze", "silver", "gold"]},
       "balance": {"type": "number", "minimum": 0},
       "limit": {"type": "integer"},
       "nickname": {"type": ["string", "null"]},
       "phone": {"type": "string"},
       "referrer": {"type": "string"},
       "visits": {"type": "integer"},
       "ratings": {"type": "array", "items": {"type": "integer"}},
       "meta": {"type": "object"}}}
    """#

let schemaValidationJSONDocument = #"""
    {"id": "abc-123456", "name": "Ada Lovelace", "email": "ada@example.com", "age": 36, "score": 98.5,
     "active": true, "tags": ["math", "engines", "poetry", "analysis", "notes"],
     "address": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH", "country": "GB"},
     "notes": "Wrote the first published algorithm intended for the Analytical Engine, with notes on its use.",
     "created": "1843-09-01T00:00:00Z", "updated": "1852-11-27T00:00:00Z", "level": "gold",
     "balance": 1234.5, "limit": 5000, "nickname": null, "phone": "+44 20 7946 0000",
     "referrer": "charles.babbage@example.com", "visits": 42, "ratings": [5, 4, 5, 5, 3, 4, 5, 5, 4, 5],
     "meta": {"source": "import", "batch": 7, "comment": "padding to about one kibibyte of JSON text.......",
     "history": ["signup 1843-09-01", "upgrade to silver 1845-03-12", "upgrade to gold 1848-07-30", "address change 1850-01-02", "note added 1851-05-17", "renewal 1852-01-01"]}}
    """#

let schemaValidationProto = """
    syntax = "proto3";
    package bench;
    enum Level { LEVEL_UNSPECIFIED = 0; BRONZE = 1; SILVER = 2; GOLD = 3; }
    message Address { string street = 1; string city = 2; string zip = 3; string country = 4; }
    message Customer {
      string id = 1; string name = 2; string email = 3; int32 age = 4; double score = 5; bool active = 6;
      repeated string tags = 7; Address address = 8; string notes = 9; int64 created = 10; int64 updated = 11;
      Level level = 12; double balance = 13; sint64 limit = 14; string nickname = 15; string phone = 16;
      string referrer = 17; uint32 visits = 18; repeated int32 ratings = 19; map<string, string> meta = 20;
    }
    """

/// A minimal protobuf writer for the figure's payload.
struct BenchProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            self.bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        self.bytes.append(UInt8(v))
    }
    mutating func tag(_ number: Int, _ wire: Int) { self.varint(UInt64(number << 3 | wire)) }
    mutating func string(_ number: Int, _ s: String) { self.bytesField(number, Array(s.utf8)) }
    mutating func bytesField(_ number: Int, _ b: [UInt8]) {
        self.tag(number, 2)
        self.varint(UInt64(b.count))
        self.bytes += b
    }
    mutating func int(_ number: Int, _ value: UInt64) {
        self.tag(number, 0)
        self.varint(value)
    }
    mutating func double(_ number: Int, _ value: Double) {
        self.tag(number, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { self.bytes += $0 }
    }
}

func schemaValidationProtobufPayload() -> [UInt8] {
    var address = BenchProtoWriter()
    address.string(1, "12 St James's Square")
    address.string(2, "London")
    address.string(3, "SW1Y 4JH")
    address.string(4, "GB")
    var w = BenchProtoWriter()
    w.string(1, "abc-123456")
    w.string(2, "Ada Lovelace")
    w.string(3, "ada@example.com")
    w.int(4, 36)
    w.double(5, 98.5)
    w.int(6, 1)
    for tag in ["math", "engines", "poetry", "analysis", "notes", "algorithms", "bernoulli", "numbers"] {
        w.string(7, tag)
    }
    w.bytesField(8, address.bytes)
    w.string(9, String(repeating: "Wrote the first published algorithm for the Analytical Engine. ", count: 10))
    w.int(10, 1_693_526_400)
    w.int(11, 1_701_043_200)
    w.int(12, 3)
    w.double(13, 1234.5)
    w.int(14, 10_000)
    w.string(15, "Enchantress of Numbers")
    w.string(16, "+44 20 7946 0000")
    w.string(17, "charles.babbage@example.com")
    w.int(18, 42)
    var packed = BenchProtoWriter()
    for rating in [5, 4, 5, 5, 3, 4, 5, 5, 4, 5, 5, 5, 4, 3, 5, 5] { packed.varint(UInt64(rating)) }
    w.bytesField(19, packed.bytes)
    for (key, value) in [("source", "import"), ("batch", "7"), ("region", "eu-west"), ("comment", "about 1 KiB")] {
        var entry = BenchProtoWriter()
        entry.string(1, key)
        entry.string(2, value)
        w.bytesField(20, entry.bytes)
    }
    return w.bytes
}

/// Median µs per call of `body` over `rounds` rounds of `iterations` calls.
func medianMicroseconds(rounds: Int, iterations: Int, _ body: () -> Bool) -> Double {
    var perCall: [Double] = []
    for _ in 0..<rounds {
        var failures = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations where !body() { failures += 1 }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        precondition(failures == 0, "the benchmark payload must be valid")
        perCall.append(Double(elapsed) / 1e3 / Double(iterations))
    }
    return perCall.sorted()[rounds / 2]
}

func schemaValidationFigures() {
    let rounds = 5
    let iterations = Int(ProcessInfo.processInfo.environment["BENCH_VALIDATIONS"] ?? "") ?? 100_000
    do {
        let json = try PayloadValidator(
            schema: RegisteredSchema(type: .json, text: schemaValidationJSONSchema), resolve: { _ in nil })
        let document = Array(schemaValidationJSONDocument.utf8)
        if let violation = json.validate(document) { fatalError("benchmark JSON is invalid: \(violation)") }
        let jsonMicros = medianMicroseconds(rounds: rounds, iterations: iterations) { json.validate(document) == nil }
        line(
            "validate JSON (\(document.count) B, 20 props)", String(format: "%.2f µs", jsonMicros), "≤ 10 µs")
        // The split: JSONParser building the JSONValue tree alone, the rest is JSONSchemaValidator's.
        let parseMicros = medianMicroseconds(rounds: rounds, iterations: iterations) {
            (try? JSONParser.parse(document)) != nil
        }
        line("  of which JSONParser.parse", String(format: "%.2f µs", parseMicros))

        let proto = try PayloadValidator(
            schema: RegisteredSchema(type: .protobuf, text: schemaValidationProto), resolve: { _ in nil },
            messageName: "bench.Customer")
        let payload = schemaValidationProtobufPayload()
        if let violation = proto.validate(payload) { fatalError("benchmark Protobuf is invalid: \(violation)") }
        let protoMicros = medianMicroseconds(rounds: rounds, iterations: iterations) {
            payload.withUnsafeBytes { proto.validate($0) == nil }
        }
        line(
            "validate Protobuf (\(payload.count) B, 20 fields)", String(format: "%.2f µs", protoMicros), "≤ 5 µs")
    } catch {
        fatalError("schema-validation figure: \(error)")
    }
}
