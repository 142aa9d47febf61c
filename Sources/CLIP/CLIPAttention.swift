import NN
import Torch

/// transformers' CLIPAttention: q_proj, k_proj, v_proj, out_proj (all with bias), scale head_dim^-0.5,
/// computed with fused scaled-dot-product attention (transformers' default "sdpa" path).
public final class CLIPAttention: Module {
    public let qProj: Linear
    public let kProj: Linear
    public let vProj: Linear
    public let outProj: Linear
    public let numHeads: Int
    public let headDim: Int

    public init(hiddenSize: Int, numHeads: Int, factory: ParameterFactory) throws {
        guard numHeads > 0, hiddenSize % numHeads == 0 else {
            throw CLIPError.invalidConfiguration("hidden_size \(hiddenSize) is not a multiple of \(numHeads) heads")
        }
        qProj = try Linear(hiddenSize, hiddenSize, factory: factory)
        kProj = try Linear(hiddenSize, hiddenSize, factory: factory)
        vProj = try Linear(hiddenSize, hiddenSize, factory: factory)
        outProj = try Linear(hiddenSize, hiddenSize, factory: factory)
        self.numHeads = numHeads
        headDim = hiddenSize / numHeads
    }

    public var children: [(name: String, module: any Module)] {
        [("k_proj", kProj), ("v_proj", vProj), ("q_proj", qProj), ("out_proj", outProj)]
    }

    /// x: [B, S, hidden]. `mask`: boolean [B or 1, 1, S, S] (true = attend) or nil; `isCausal` masks future
    /// positions without a mask tensor (used only when `mask` is nil).
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil, isCausal: Bool = false) throws -> Tensor {
        let (batch, length) = (x.shape[0], x.shape[1])
        func heads(_ t: Tensor) throws -> Tensor {
            try t.view([batch, length, numHeads, headDim]).transpose(1, 2)
        }
        let q = try heads(qProj(x))
        let k = try heads(kProj(x))
        let v = try heads(vProj(x))
        let scale = 1 / Double(headDim).squareRoot()
        let attended = try Tensor.scaledDotProductAttention(query: q, key: k, value: v, mask: mask,
                                                            isCausal: mask == nil && isCausal, scale: scale)
        return try outProj(attended.transpose(1, 2).reshape([batch, length, numHeads * headDim]))
    }
}
