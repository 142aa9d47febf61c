import CTorch

/// Interpolation modes of torch.nn.functional.interpolate that the models use.
public enum InterpolationMode: String, Sendable, Codable {
    case nearest, bilinear, bicubic
}

// The functions a Stable Diffusion UNet, VAE and CLIP need, named like torch.nn.functional.
extension Tensor {
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                       dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
        let s: [Int64] = [Int64(stride.0), Int64(stride.1)]
        let p: [Int64] = [Int64(padding.0), Int64(padding.1)]
        let d: [Int64] = [Int64(dilation.0), Int64(dilation.1)]
        return try withExtendedLifetime(bias) {
            try makeTensor { ct_conv2d(handle, weight.handle, bias?.handle, s, p, d, Int64(groups), $0) }
        }
    }

    public func convTranspose2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), groups: Int = 1,
                                dilation: (Int, Int) = (1, 1)) throws -> Tensor {
        let s: [Int64] = [Int64(stride.0), Int64(stride.1)]
        let p: [Int64] = [Int64(padding.0), Int64(padding.1)]
        let o: [Int64] = [Int64(outputPadding.0), Int64(outputPadding.1)]
        let d: [Int64] = [Int64(dilation.0), Int64(dilation.1)]
        return try withExtendedLifetime(bias) {
            try makeTensor { ct_conv_transpose2d(handle, weight.handle, bias?.handle, s, p, o, Int64(groups), d, $0) }
        }
    }

    public func groupNorm(groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws
        -> Tensor
    {
        try withExtendedLifetime((weight, bias)) {
            try makeTensor { ct_group_norm(handle, Int64(groups), weight?.handle, bias?.handle, eps, $0) }
        }
    }

    public func layerNorm(normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5)
        throws -> Tensor
    {
        try withExtendedLifetime((weight, bias)) {
            try withInt64s(normalizedShape) { d, n in
                try makeTensor { ct_layer_norm(handle, d, n, weight?.handle, bias?.handle, eps, $0) }
            }
        }
    }

    /// Softmax along `dim`; `dtype` casts first (use .float32 for attention computed in half precision).
    public func softmax(dim: Int, dtype: DType? = nil) throws -> Tensor {
        try makeTensor { ct_softmax(handle, Int64(dim), dtype?.rawValue ?? -1, $0) }
    }
    public func logSoftmax(dim: Int, dtype: DType? = nil) throws -> Tensor {
        try makeTensor { ct_log_softmax(handle, Int64(dim), dtype?.rawValue ?? -1, $0) }
    }

    /// GELU; `tanhApproximation` selects the "tanh" form (gelu_pytorch_tanh).
    public func gelu(tanhApproximation: Bool = false) throws -> Tensor {
        try makeTensor { ct_gelu(handle, tanhApproximation ? 1 : 0, $0) }
    }

    /// x * sigmoid(1.702 x), the activation of OpenAI's CLIP (transformers' "quick_gelu").
    public func quickGelu() throws -> Tensor { try self * (self * 1.702).sigmoid() }

    /// torch.nn.functional.interpolate on [N, C, H, W]: give either `size` or `scaleFactor`.
    /// With a scale factor the output is floor(input * scale) and the scale itself drives the sampling
    /// positions, as PyTorch does when recompute_scale_factor is not set. `antialias` (bicubic only, as
    /// PyTorch allows it for bilinear/bicubic) low-pass filters when downsampling, like PIL.
    public func interpolate(size: (Int, Int)? = nil, scaleFactor: Double? = nil, mode: InterpolationMode = .nearest,
                            alignCorners: Bool = false, antialias: Bool = false) throws -> Tensor {
        guard ndim == 4 else { throw TorchError("interpolate expects [N, C, H, W], got shape \(shape)") }
        let outH: Int
        let outW: Int
        var scale = -1.0
        if let size {
            (outH, outW) = size
        } else if let scaleFactor, scaleFactor > 0 {
            outH = Int((Double(try self.size(2)) * scaleFactor).rounded(.down))
            outW = Int((Double(try self.size(3)) * scaleFactor).rounded(.down))
            scale = scaleFactor
        } else {
            throw TorchError("interpolate needs a size or a positive scale factor")
        }
        if antialias && mode != .bicubic { throw TorchError("interpolate: antialias is only supported for bicubic") }
        switch mode {
        case .nearest:
            return try makeTensor { ct_upsample_nearest2d(handle, Int64(outH), Int64(outW), scale, scale, $0) }
        case .bilinear:
            return try makeTensor {
                ct_upsample_bilinear2d(handle, Int64(outH), Int64(outW), alignCorners ? 1 : 0, scale, scale, $0)
            }
        case .bicubic:
            return try makeTensor {
                ct_upsample_bicubic2d(handle, Int64(outH), Int64(outW), alignCorners ? 1 : 0, antialias ? 1 : 0, scale,
                                      scale, $0)
            }
        }
    }

    /// Fused scaled-dot-product attention (torch.nn.functional.scaled_dot_product_attention) on
    /// [B, heads, S, D] inputs. `mask` is boolean (true = attend) or additive.
    public static func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                                 isCausal: Bool = false, scale: Double? = nil) throws -> Tensor {
        try withExtendedLifetime(mask) {
            try makeTensor {
                ct_scaled_dot_product_attention(query.handle, key.handle, value.handle, mask?.handle, 0,
                                                isCausal ? 1 : 0, scale ?? -1, $0)
            }
        }
    }

    /// The attention probabilities softmax(q k^T * scale + mask), computed explicitly in fp32 softmax.
    /// This is the math path: use it where the probabilities themselves are needed (attention capture).
    public static func attentionProbabilities(query: Tensor, key: Tensor, mask: Tensor? = nil, scale: Double? = nil)
        throws -> Tensor
    {
        let scale = try scale ?? 1 / Double(query.size(-1)).squareRoot()
        var scores = try query.matmul(key.transpose(-2, -1)) * scale
        if let mask {
            scores = mask.dtype == .bool
                ? try scores.maskedFill(mask.logicalNot(), value: -Double.infinity)
                : try scores + mask
        }
        let probabilities = try scores.softmax(dim: -1, dtype: .float32)
        return query.dtype == .float32 ? probabilities : try probabilities.to(query.dtype)
    }

    /// Attention by explicit matrix products: the fallback where fused kernels are unavailable.
    public static func mathAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                     scale: Double? = nil) throws -> Tensor {
        try attentionProbabilities(query: query, key: key, mask: mask, scale: scale).matmul(value)
    }

    public static func embedding(weight: Tensor, indices: Tensor) throws -> Tensor {
        try makeTensor { ct_embedding(weight.handle, indices.handle, $0) }
    }

    public enum Reduction: Int64, Sendable { case none = 0, mean = 1, sum = 2 }

    public func mseLoss(_ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try makeTensor { ct_mse_loss(handle, target.handle, reduction.rawValue, $0) }
    }

    public func dropout(p: Double, training: Bool) throws -> Tensor {
        try makeTensor { ct_dropout(handle, p, training ? 1 : 0, $0) }
    }
}
