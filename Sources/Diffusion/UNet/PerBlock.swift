import InputChecks
/// A config.json value given either once for every block or as a list with one entry per block
/// (diffusers accepts both forms for e.g. `attention_head_dim`, `layers_per_block`, `cross_attention_dim`).
public enum PerBlock<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    case shared(Value)
    case list([Value])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            self = .shared(try container.decode(Value.self))
        } catch let single {
            do {
                self = .list(try container.decode([Value].self))
            } catch let list {
                // Not a list at all: the single value's error says what was wrong with it.
                if let error = list as? ConfigFileError, error.reason.hasPrefix("expected a list,") { throw single }
                throw list
            }
        }
    }

    /// One value for every block (rather than a list).
    public var isShared: Bool {
        if case .shared = self { return true }
        return false
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .shared(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        }
    }

    /// One value per block; a list of the wrong length is an error naming `key`.
    public func values(count: Int, key: String) throws -> [Value] {
        switch self {
        case .shared(let value): return Array(repeating: value, count: count)
        case .list(let values):
            guard values.count == count else {
                throw UNetError("unet config: \(key) has \(values.count) entries, expected one per block (\(count))")
            }
            return values
        }
    }
}
