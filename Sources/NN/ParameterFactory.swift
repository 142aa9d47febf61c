import Torch

/// How new parameters are filled: left uninitialized (they are about to be loaded from a checkpoint, so
/// building a full-size model costs no random-number work) or drawn as PyTorch's default initialization
/// does, from an explicit generator (training from scratch, reproducibly).
public struct ParameterFactory {
    public let dtype: DType
    public let device: Device
    /// nil: uninitialized.
    public let generator: Generator?

    public init(dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) {
        self.dtype = dtype
        self.device = device
        self.generator = generator
    }

    /// Parameters to be overwritten by a checkpoint.
    public static var uninitialized: ParameterFactory { ParameterFactory() }

    /// Uniform in [-bound, bound): PyTorch's Linear/Conv default (kaiming_uniform with a = sqrt(5)) has
    /// bound = 1 / sqrt(fan_in) for both weight and bias.
    public func uniform(_ shape: [Int], bound: Double) throws -> Tensor {
        guard let generator else { return try Tensor.empty(shape, dtype: dtype, device: device) }
        let u = try Tensor.rand(shape, dtype: .float32, device: device, generator: generator)
        return try (u * (2 * bound) - bound).to(dtype)
    }

    /// Normal(0, std), as transformers initializes embeddings.
    public func normal(_ shape: [Int], std: Double) throws -> Tensor {
        guard let generator else { return try Tensor.empty(shape, dtype: dtype, device: device) }
        return try (Tensor.randn(shape, dtype: .float32, device: device, generator: generator) * std).to(dtype)
    }

    /// A constant (norm weights 1, biases 0), regardless of the mode: it costs nothing.
    public func constant(_ shape: [Int], _ value: Double) throws -> Tensor {
        try Tensor.full(shape, value: value, dtype: dtype, device: device)
    }
}
