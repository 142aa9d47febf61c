/// A parsed TOML 1.0 value. Date and time values keep their text (run configurations have none; a reader
/// that needs them can parse the validated text).
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// Offset date-time, local date-time, local date or local time, as written (validated).
    case datetime(String)
    case array([TOMLValue])
    case table([String: TOMLValue])

    /// The value as Foundation-free JSON-like data: String, Int, Double, Bool, [Any], [String: Any]
    /// (date-times as strings), the shape JSONSerialization reads and writes.
    public var plain: Any {
        switch self {
        case .string(let s), .datetime(let s): s
        case .integer(let i): Int(i)
        case .float(let d): d
        case .boolean(let b): b
        case .array(let items): items.map(\.plain)
        case .table(let entries): entries.mapValues(\.plain)
        }
    }

    public static func == (a: TOMLValue, b: TOMLValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)), (.datetime(let x), .datetime(let y)): x == y
        case (.integer(let x), .integer(let y)): x == y
        // nan equals nan here: two documents that both say nan hold the same value.
        case (.float(let x), .float(let y)): x == y || (x.isNaN && y.isNaN)
        case (.boolean(let x), .boolean(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.table(let x), .table(let y)): x == y
        default: false
        }
    }
}

/// A TOML syntax or semantic error at a 1-based line and column (columns count Unicode scalars).
public struct TOMLError: Error, CustomStringConvertible, Equatable, Sendable {
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "line \(line), column \(column): \(message)" }
}
