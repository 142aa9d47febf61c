/// A configuration that cannot run: names the field and where its value came from (a file or a flag).
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let field: String?
    public let source: String?
    public let reason: String

    public init(field: String? = nil, source: String? = nil, _ reason: String) {
        self.field = field
        self.source = source
        self.reason = reason
    }

    public var description: String {
        let place = [source, field.map { "field '\($0)'" }].compactMap { $0 }.joined(separator: ": ")
        return place.isEmpty ? reason : "\(place): \(reason)"
    }
}
