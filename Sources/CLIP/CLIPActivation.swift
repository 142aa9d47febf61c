import Torch

/// transformers' ACT2FN entries that CLIP checkpoints use: OpenAI's CLIP (SD 1.5's text encoder) uses
/// "quick_gelu", OpenCLIP-trained ones "gelu".
public enum CLIPActivation: String, Codable, CaseIterable, Sendable {
    case quickGelu = "quick_gelu"
    case gelu
    case geluPytorchTanh = "gelu_pytorch_tanh"
    case relu

    /// Parses a config.json value, naming an unsupported one in the error.
    public init(name: String) throws {
        guard let value = CLIPActivation(rawValue: name) else { throw CLIPError.unsupportedActivation(name) }
        self = value
    }

    public init(from decoder: any Decoder) throws {
        try self.init(name: decoder.singleValueContainer().decode(String.self))
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch self {
        case .quickGelu: try x.quickGelu()
        case .gelu: try x.gelu()
        case .geluPytorchTanh: try x.gelu(tanhApproximation: true)
        case .relu: try x.relu()
        }
    }
}
