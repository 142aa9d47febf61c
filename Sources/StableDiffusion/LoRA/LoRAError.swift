/// Why a LoRA file cannot be read, applied or written: names the file and, where one is at fault, the key.
public struct LoRAError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let key: String?
    public let reason: String

    public init(file: String, key: String? = nil, _ reason: String) {
        self.file = file
        self.key = key
        self.reason = reason
    }

    public var description: String {
        key.map { "\(file): key '\($0)': \(reason)" } ?? "\(file): \(reason)"
    }
}
