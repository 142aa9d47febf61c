import NN
import Torch

/// diffusers' `GEGLU`: one projection to twice the inner width, split into value and gate,
/// value * gelu(gate) (exact erf GELU).
public final class GEGLU: Module {
    public let proj: Linear

    public init(dimIn: Int, dimOut: Int, factory: ParameterFactory) throws {
        proj = try Linear(dimIn, dimOut * 2, factory: factory)
    }

    public var children: [(name: String, module: any Module)] { [("proj", proj)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let halves = try proj(x).chunk(2, dim: -1)
        return try halves[0] * halves[1].gelu()
    }
}

/// diffusers' `FeedForward` with activation "geglu" (the transformer blocks of SD 1.x/2.x):
/// net.0 = GEGLU(dim, 4 dim), net.1 = dropout (no parameters; SD trains without it), net.2 = Linear(4 dim, dim).
public final class FeedForward: Module {
    public let geglu: GEGLU
    public let out: Linear

    public init(dim: Int, multiplier: Int = 4, factory: ParameterFactory) throws {
        geglu = try GEGLU(dimIn: dim, dimOut: dim * multiplier, factory: factory)
        out = try Linear(dim * multiplier, dim, factory: factory)
    }

    public var children: [(name: String, module: any Module)] { [("net.0", geglu), ("net.2", out)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try out(geglu(x))
    }
}
