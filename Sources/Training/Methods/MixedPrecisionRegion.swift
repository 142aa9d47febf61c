import Torch

/// Where a method's forward passes run under mixed precision: `bf16` is accelerate's mixed_precision="bf16",
/// an autocast region (bfloat16 compute, float32 master weights and gradients); `no` runs as is. Losses are
/// computed in float32 outside the region either way.
public struct MixedPrecisionRegion {
    public let mode: MixedPrecision

    public init(_ mode: MixedPrecision) { self.mode = mode }

    public func run<R>(_ body: () throws -> R) throws -> R {
        switch mode {
        case .no: try body()
        case .bf16: try Tensor.withAutocast(.bfloat16, body)
        }
    }
}
