import Foundation
import InputChecks
import TOML

/// Builds a `TrainingConfig` from its layers: the defaults, then a TOML file, then `key=value` overrides
/// (flags). Every layer is checked against the known field names, so a typo is an error that names it
/// rather than a silently ignored setting.
public enum ConfigResolution {
    /// One override, e.g. ("learning_rate", "1e-4") or ("lora.rank", "16"). The value is read as a JSON
    /// literal when it is one (numbers, true/false, null, ["a", "b"]) and as a string otherwise.
    public struct Override: Sendable {
        public var key: String
        public var value: String
        public var source: String
        public init(key: String, value: String, source: String) {
            self.key = key
            self.value = value
            self.source = source
        }
    }

    /// Defaults, overlaid with `file` (a TOML path) if given, then `overrides`, then validated.
    public static func resolve(file: String?, overrides: [Override]) throws -> TrainingConfig {
        try resolve(toml: file.map { (try readText($0), $0) }, overrides: overrides)
    }

    /// The same from TOML text (`source` names it in errors).
    public static func resolve(toml: (text: String, source: String)?, overrides: [Override]) throws -> TrainingConfig {
        var values = try dictionary(TrainingConfig.defaults)
        if let toml {
            try merge(parseTOML(toml.text, source: toml.source), into: &values, source: toml.source)
        }
        for override in overrides {
            try apply(override, to: &values)
        }
        let config = try decode(values)
        try config.validate()
        return config
    }

    /// The fields a resumed run may change: they do not change what is computed, only how long and how often
    /// it reports.
    public static let resumableFields: Set<String> = [
        "steps", "log_every", "checkpoint_every", "keep_checkpoints", "validation_every", "validation_prompts",
        "validation_steps", "validation_guidance", "validation_seed",
    ]

    /// A saved run's configuration (its config.json) with overrides limited to `resumableFields`.
    public static func resolveResumed(savedConfig path: String, overrides: [Override]) throws -> TrainingConfig {
        guard let data = FileManager.default.contents(atPath: path),
              let saved = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigError(source: path, "cannot read the saved configuration of the run to resume")
        }
        // Over the defaults: a field added after the run was saved takes its default, which is chosen to be the
        // behaviour the run had (e.g. spf.phrase_map_normalize = "max").
        var values = try dictionary(TrainingConfig())
        try merge(saved, into: &values, source: path)
        for override in overrides {
            guard resumableFields.contains(override.key) else {
                throw ConfigError(field: override.key, source: override.source,
                                  "cannot change when resuming (the run was trained with its saved value); "
                                  + "only \(resumableFields.sorted().joined(separator: ", ")) may change")
            }
            try apply(override, to: &values)
        }
        let config = try decode(values)
        try config.validate()
        return config
    }

    /// A TOML file as nested dictionaries.
    public static func readTOML(_ path: String) throws -> [String: Any] {
        try parseTOML(readText(path), source: path)
    }

    /// The file's text: a regular file (never blocks on a FIFO), at most 1 MB, UTF-8.
    static func readText(_ path: String) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try InputFile.read(path, maxBytes: 1 << 20, kind: "a configuration file", allowEmpty: true)
        } catch let error as InputFileError {
            throw ConfigError(source: path, error.reason)
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw ConfigError(source: path, "not valid UTF-8") }
        return text
    }

    /// TOML text as nested dictionaries; errors carry `source` and the line and column.
    public static func parseTOML(_ text: String, source path: String) throws -> [String: Any] {
        let table: [String: TOMLValue]
        do {
            table = try TOML.parse(text)
        } catch let error as TOMLError {
            throw ConfigError(source: path, "not valid TOML: \(error)")
        }
        try rejectNonFinite(table, path: [], source: path)
        return table.mapValues(\.plain)
    }

    /// inf and nan are valid TOML but no setting takes them (and JSON, the saved form, cannot hold them).
    static func rejectNonFinite(_ table: [String: TOMLValue], path: [String], source: String) throws {
        for (key, value) in table {
            switch value {
            case .float(let x) where !x.isFinite:
                throw ConfigError(field: (path + [key]).joined(separator: "."), source: source, "\(x) is not a valid setting")
            case .table(let inner):
                try rejectNonFinite(inner, path: path + [key], source: source)
            case .array(let items) where items.contains(where: { if case .float(let x) = $0 { !x.isFinite } else { false } }):
                throw ConfigError(field: (path + [key]).joined(separator: "."), source: source, "inf and nan are not valid settings")
            default:
                break
            }
        }
    }

    /// The resolved configuration as the JSON object it is saved as.
    public static func dictionary(_ config: TrainingConfig) throws -> [String: Any] {
        let data = try JSONEncoder().encode(config)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    // MARK: Layers

    static let tables: [String: Set<String>] = [
        "lora": Set(LoRASettings.CodingKeys.allCases.map(\.rawValue)),
        "spf": Set(SPFSettings.CodingKeys.allCases.map(\.rawValue)),
    ]
    static let topLevel = Set(TrainingConfig.CodingKeys.allCases.map(\.rawValue))

    static func merge(_ layer: [String: Any], into values: inout [String: Any], source: String) throws {
        for (key, value) in layer {
            guard topLevel.contains(key) else { throw unknown(key, source: source) }
            if let fields = tables[key] {
                guard let table = value as? [String: Any] else {
                    throw ConfigError(field: key, source: source, "expected a table ([\(key)])")
                }
                var current = values[key] as? [String: Any] ?? [:]
                for (name, inner) in table {
                    guard fields.contains(name) else { throw unknown("\(key).\(name)", source: source) }
                    current[name] = inner
                }
                values[key] = current
            } else {
                values[key] = value
            }
        }
    }

    static func apply(_ override: Override, to values: inout [String: Any]) throws {
        let parsed = parseValue(override.value)
        let parts = override.key.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            try merge([parts[0]: [parts[1]: parsed]], into: &values, source: override.source)
        } else {
            guard tables[override.key] == nil else {
                throw ConfigError(field: override.key, source: override.source,
                                  "is a table: set its fields as \(override.key).<name>=<value>")
            }
            try merge([override.key: parsed], into: &values, source: override.source)
        }
    }

    static func parseValue(_ text: String) -> Any {
        if let data = text.data(using: .utf8),
           let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
            return value
        }
        return text
    }

    static func unknown(_ key: String, source: String) -> ConfigError {
        let names = (topLevel.union(tables.flatMap { table, fields in fields.map { "\(table).\($0)" } })).sorted()
        let close = names.filter { editDistance($0, key) <= 3 }.prefix(3)
        let hint = close.isEmpty ? "" : " (did you mean \(close.map { "'\($0)'" }.joined(separator: " or "))?)"
        return ConfigError(field: key, source: source, "not a configuration field\(hint)")
    }

    static func decode(_ values: [String: Any]) throws -> TrainingConfig {
        let data = try JSONSerialization.data(withJSONObject: values)
        do {
            return try JSONDecoder().decode(TrainingConfig.self, from: data)
        } catch let error as DecodingError {
            throw describe(error)
        }
    }

    /// DecodingError as "field 'lr_schedule': expected one of constant, linear, cosine".
    static func describe(_ error: DecodingError) -> ConfigError {
        func path(_ codingPath: [CodingKey]) -> String { codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let context):
            return ConfigError(field: path(context.codingPath), "expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return ConfigError(field: path(context.codingPath), "expected \(typeName(type)), found nothing")
        case .keyNotFound(let key, let context):
            return ConfigError(field: path(context.codingPath + [key]), "missing")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if let allowed = allowedValues[field] {
                return ConfigError(field: field, "expected one of \(allowed.joined(separator: ", "))")
            }
            return ConfigError(field: field, context.debugDescription)
        @unknown default:
            return ConfigError("\(error)")
        }
    }

    static let allowedValues: [String: [String]] = [
        "method": FineTuningMethod.allCases.map(\.rawValue),
        "trainable": TrainableSet.allCases.map(\.rawValue),
        "lr_schedule": LearningRateScheduleKind.allCases.map(\.rawValue),
        "mixed_precision": MixedPrecision.allCases.map(\.rawValue),
        "crop": CropMode.allCases.map(\.rawValue),
        "spf.nd": NoiseDifference.allCases.map(\.rawValue),
        "spf.phrase_weights": PhraseWeighting.allCases.map(\.rawValue),
        "spf.resize": MapResize.allCases.map(\.rawValue),
        "spf.phrase_map_normalize": PhraseMapNormalize.allCases.map(\.rawValue),
        "spf.replaced_phrase": ReplacedPhrase.allCases.map(\.rawValue),
        "spf.enhance_mode": EnhanceMode.allCases.map(\.rawValue),
    ]

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is [String].Type: "a list of strings"
        default: "\(type)"
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
