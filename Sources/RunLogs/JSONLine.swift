/// One metrics record as a line of JSON: `{"loss":0.25,"lr":1e-05,"step":10,"wall_time":1751300000.5}`.
///
/// Keys are sorted by Unicode code point (what Python's `json.dumps(sort_keys=True)` does), so the same
/// record always gives the same bytes. JSON has no NaN or infinity: a non-finite value is written as
/// `null`, which every JSON reader accepts and pandas/polars read back as a missing value. Numbers use
/// Swift's shortest round-trip form (`0.1`, `1e-05`, `3.0`), all valid JSON numbers.
enum JSONLine {
    static func encode(step: Int, wallTime: Double, scalars: [String: Double]) -> String {
        var fields: [(key: String, value: String)] = [("step", String(step)), ("wall_time", number(wallTime))]
        for (name, value) in scalars { fields.append((name, number(value))) }
        fields.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
        return "{" + fields.map { "\(string($0.key)):\($0.value)" }.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? value.description : "null"
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
