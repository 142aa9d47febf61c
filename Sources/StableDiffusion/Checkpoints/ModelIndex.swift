import Foundation

/// A diffusers pipeline's `model_index.json`: the pipeline class, and for each component the library and class
/// that load it (`"unet": ["diffusers", "UNet2DConditionModel"]`; `[null, null]` for an absent one).
public struct ModelIndex: Equatable, Sendable {
    /// One component entry.
    public struct Entry: Equatable, Sendable {
        public var library: String?
        public var className: String?

        public init(library: String?, className: String?) {
            self.library = library
            self.className = className
        }

        /// `[null, null]` marks a component the pipeline does without (a removed safety checker).
        public var isPresent: Bool { library != nil && className != nil }
    }

    /// Any other JSON value, kept so that a read index is written back unchanged.
    public indirect enum Value: Equatable, Sendable, Codable {
        case null, bool(Bool), integer(Int), number(Double), string(String), array([Value]), object([String: Value])

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Int.self) { self = .integer(value) }
            else if let value = try? container.decode(Double.self) { self = .number(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else if let value = try? container.decode([Value].self) { self = .array(value) }
            else { self = .object(try container.decode([String: Value].self)) }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let v): try container.encode(v)
            case .integer(let v): try container.encode(v)
            case .number(let v): try container.encode(v)
            case .string(let v): try container.encode(v)
            case .array(let v): try container.encode(v)
            case .object(let v): try container.encode(v)
            }
        }
    }

    /// `_class_name`, e.g. StableDiffusionPipeline.
    public var className: String
    /// `_diffusers_version`.
    public var diffusersVersion: String?
    /// Every `[library, class]` entry, present or not.
    public var components: [String: Entry]
    /// Other fields (`requires_safety_checker`, ...).
    public var options: [String: Value]

    public init(className: String, diffusersVersion: String? = nil, components: [String: Entry],
                options: [String: Value] = [:]) {
        self.className = className
        self.diffusersVersion = diffusersVersion
        self.components = components
        self.options = options
    }

    /// SD 1.5's components with diffusers' and transformers' classes; no safety checker or feature extractor.
    public static func stableDiffusion(scheduler: String = "PNDMScheduler", diffusersVersion: String = "0.42.1") -> ModelIndex {
        ModelIndex(className: "StableDiffusionPipeline", diffusersVersion: diffusersVersion, components: [
            "unet": Entry(library: "diffusers", className: "UNet2DConditionModel"),
            "vae": Entry(library: "diffusers", className: "AutoencoderKL"),
            "text_encoder": Entry(library: "transformers", className: "CLIPTextModel"),
            "tokenizer": Entry(library: "transformers", className: "CLIPTokenizer"),
            "scheduler": Entry(library: "diffusers", className: scheduler),
            "safety_checker": Entry(library: nil, className: nil),
            "feature_extractor": Entry(library: nil, className: nil),
        ], options: ["requires_safety_checker": .bool(false)])
    }

    /// Parses `data` read from `path` (named in errors).
    public init(data: Data, path: String) throws {
        let fields: [String: Value]
        do {
            fields = try JSONDecoder().decode([String: Value].self, from: data)
        } catch {
            throw CheckpointError.invalidJSON(path, reason: "not a JSON object (\(error))")
        }
        guard case .string(let className)? = fields["_class_name"] else {
            throw CheckpointError.invalidJSON(path, reason: "no \"_class_name\" string")
        }
        self.className = className
        if case .string(let version)? = fields["_diffusers_version"] { diffusersVersion = version }
        components = [:]
        options = [:]
        for (key, value) in fields where key != "_class_name" && key != "_diffusers_version" {
            // A component is a [library, class] pair of strings or nulls; anything else is an option.
            if !key.hasPrefix("_"), case .array(let pair) = value, pair.count == 2,
               let library = Self.optionalString(pair[0]), let className = Self.optionalString(pair[1]) {
                components[key] = Entry(library: library, className: className)
            } else {
                options[key] = value
            }
        }
    }

    /// `.some(nil)` for JSON null, `.some(s)` for a string, `nil` for anything else.
    private static func optionalString(_ value: Value) -> String?? {
        switch value {
        case .null: return .some(nil)
        case .string(let s): return .some(s)
        default: return nil
        }
    }

    /// The names of the components that are present, sorted.
    public var presentComponents: [String] { components.filter { $0.value.isPresent }.keys.sorted() }

    /// The JSON diffusers writes (sorted keys, 2-space indent).
    public func jsonData() throws -> Data {
        var fields = options
        fields["_class_name"] = .string(className)
        if let diffusersVersion { fields["_diffusers_version"] = .string(diffusersVersion) }
        for (name, entry) in components {
            fields[name] = .array([entry.library.map(Value.string) ?? .null, entry.className.map(Value.string) ?? .null])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(fields)
    }
}
