import NN
import Torch

/// transformers' CLIPMLP: fc1, activation, fc2.
public final class CLIPMLP: Module {
    public let fc1: Linear
    public let fc2: Linear
    public let activation: CLIPActivation

    public init(hiddenSize: Int, intermediateSize: Int, activation: CLIPActivation, factory: ParameterFactory) throws {
        fc1 = try Linear(hiddenSize, intermediateSize, factory: factory)
        fc2 = try Linear(intermediateSize, hiddenSize, factory: factory)
        self.activation = activation
    }

    public var children: [(name: String, module: any Module)] { [("fc1", fc1), ("fc2", fc2)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try fc2(activation(fc1(x)))
    }
}
