import NN
import Torch

/// diffusers' `UpBlock2D`: each resnet takes the running state concatenated with one skip state (the last
/// first), then an optional nearest-upsampling conv.
public final class UpBlock2D: Module, UNetUpBlock {
    public let resnets: [ResnetBlock2D]
    public let upsampler: Upsample2D?

    public init(inChannels: Int, prevOutputChannels: Int, outChannels: Int, tembChannels: Int, layers: Int,
                groups: Int, eps: Double, addUpsample: Bool, factory: ParameterFactory) throws {
        resnets = try (0..<layers).map { i in
            let skip = i == layers - 1 ? inChannels : outChannels
            let input = i == 0 ? prevOutputChannels : outChannels
            return try ResnetBlock2D(inChannels: input + skip, outChannels: outChannels, temembChannels: tembChannels,
                                     groups: groups, eps: eps, factory: factory)
        }
        upsampler = addUpsample ? try Upsample2D(channels: outChannels, outChannels: outChannels, factory: factory) : nil
    }

    public var children: [(name: String, module: any Module)] {
        resnets.enumerated().map { ("resnets.\($0.offset)", $0.element as any Module) }
            + (upsampler.map { [("upsamplers.0", $0 as any Module)] } ?? [])
    }

    var resnetCount: Int { resnets.count }

    func forward(_ x: Tensor, skips: [Tensor], temb: Tensor, encoderHiddenStates: Tensor, upsampleSize: (Int, Int)?,
                 plan: CapturePlan?) throws -> (output: Tensor, captures: [CapturedAttention])
    {
        (try callAsFunction(x, skips: skips, temb: temb, upsampleSize: upsampleSize), [])
    }

    /// `skips`: this block's skip states in the order the down path produced them (consumed last first).
    public func callAsFunction(_ x: Tensor, skips: [Tensor], temb: Tensor, upsampleSize: (Int, Int)? = nil) throws
        -> Tensor
    {
        guard skips.count == resnets.count else {
            throw UNetError("UpBlock2D takes \(resnets.count) skip states, got \(skips.count)")
        }
        var hidden = x
        for (resnet, skip) in zip(resnets, skips.reversed()) {
            hidden = try resnet(Tensor.cat([hidden, skip], dim: 1), temb: temb)
        }
        if let upsampler { hidden = try upsampler(hidden, outputSize: upsampleSize) }
        return hidden
    }
}
