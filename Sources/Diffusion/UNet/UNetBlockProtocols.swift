import NN
import Torch

/// A down block of the UNet: returns its output, the skip states it hands to the up path, and its captures.
protocol UNetDownBlock: Module {
    func forward(_ x: Tensor, temb: Tensor, encoderHiddenStates: Tensor, plan: CapturePlan?) throws
        -> (output: Tensor, skips: [Tensor], captures: [CapturedAttention])
}

/// An up block of the UNet: consumes `resnetCount` skip states (the last one first).
protocol UNetUpBlock: Module {
    var resnetCount: Int { get }
    func forward(_ x: Tensor, skips: [Tensor], temb: Tensor, encoderHiddenStates: Tensor,
                 upsampleSize: (Int, Int)?, plan: CapturePlan?) throws -> (output: Tensor, captures: [CapturedAttention])
}
