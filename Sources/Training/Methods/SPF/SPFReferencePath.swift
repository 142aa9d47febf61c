import Diffusion
import NN
import Torch

/// The reference path's weights without a second UNet: the original values of only the tensors that differ
/// from the original model (the trained tensors, plus any a stage-1 run changed), swapped into the same modules
/// for a no-grad forward and swapped back (a storage swap, `set_data`, no copy); LoRA adapters are disabled
/// (strength 0, as PEFT's `disable_adapter`) for that forward. Frozen tensors exist once.
public final class SPFReferencePath {
    /// (tensor in the model, its original value), in a fixed order.
    private let originals: [(name: String, tensor: Tensor, original: Tensor)]
    private let adapters: [LoRA]

    /// `tensors`: the UNet tensors whose current values must be replaced by `snapshot` values (their values now,
    /// before any training, unless given). `adapters`: LoRA adapters to disable.
    public init(tensors: [(name: String, tensor: Tensor)], adapters: [LoRA]) throws {
        originals = try Tensor.withNoGrad {
            try tensors.map { ($0.name, $0.tensor, try $0.tensor.detach().clone()) }
        }
        self.adapters = adapters
    }

    /// How many numbers the reference path keeps besides the model (the price of not copying the UNet).
    public var storedElements: Int { originals.reduce(0) { $0 + $1.original.numel } }

    /// Runs `body` with the original values in place and adapters disabled, without gradients; restores the
    /// trained values and adapter strengths afterwards, also when `body` throws.
    public func run<R>(_ body: () throws -> R) throws -> R {
        let strengths = adapters.map(\.strength)
        var swapped: [(Tensor, Tensor)] = []
        defer {
            for (tensor, trained) in swapped { try? tensor.setData(trained) }
            for (adapter, strength) in zip(adapters, strengths) { adapter.strength = strength }
        }
        for entry in originals {
            let trained = try entry.tensor.detach()
            try entry.tensor.setData(entry.original)
            swapped.append((entry.tensor, trained))
        }
        for adapter in adapters { adapter.strength = 0 }
        return try Tensor.withNoGrad(body)
    }
}
