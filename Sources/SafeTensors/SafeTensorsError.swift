/// A safetensors file that cannot be read or written, naming the file and, where there is one, the tensor.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let tensor: String?
    public let reason: String

    public init(path: String, tensor: String? = nil, _ reason: String) {
        self.path = path
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        if let tensor { return "\(path): tensor '\(tensor)': \(reason)" }
        return "\(path): \(reason)"
    }
}
