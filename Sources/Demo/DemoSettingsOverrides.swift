import Foundation

extension DemoSettings {
    /// `key=value` overrides (`spf demo --set naive_steps=300 --set sampling.steps=30`): the value is read as
    /// JSON where it parses (numbers, true/false, lists) and as a string otherwise. Unknown keys and values of
    /// the wrong type are errors that name the key.
    public func applying(_ overrides: [String]) throws -> DemoSettings {
        guard !overrides.isEmpty else { return self }
        guard var values = try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any] else {
            throw DemoError("demo settings do not encode as an object")
        }
        for override in overrides {
            guard let equals = override.firstIndex(of: "=") else { throw DemoError("--set \(override): expected key=value") }
            let key = String(override[..<equals]), text = String(override[override.index(after: equals)...])
            let value: Any = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
            let path = key.split(separator: ".").map(String.init)
            guard !path.isEmpty else { throw DemoError("--set \(override): empty key") }
            try Self.set(value, at: path, in: &values, key: key)
        }
        do {
            let decoded = try JSONDecoder().decode(DemoSettings.self, from: JSONSerialization.data(withJSONObject: values))
            try decoded.validate()
            return decoded
        } catch let error as DecodingError {
            let path: [CodingKey]
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
            case .keyNotFound(let key, let context): path = context.codingPath + [key]
            @unknown default: path = []
            }
            throw DemoError("--set \(path.map(\.stringValue).joined(separator: ".")): a value of the wrong type or out of range")
        }
    }

    static func set(_ value: Any, at path: [String], in object: inout [String: Any], key: String) throws {
        guard let existing = object[path[0]] else {
            throw DemoError("--set \(key): unknown setting '\(path[0])' (settings: \(object.keys.sorted().joined(separator: ", ")))")
        }
        if path.count == 1 {
            object[path[0]] = value
            return
        }
        guard var nested = existing as? [String: Any] else { throw DemoError("--set \(key): '\(path[0])' has no fields") }
        try set(value, at: Array(path.dropFirst()), in: &nested, key: key)
        object[path[0]] = nested
    }
}
