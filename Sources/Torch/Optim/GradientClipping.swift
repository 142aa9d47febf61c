/// Rescales the gradients of `parameters` in place so that their joint `normType`-norm is at most
/// `maxNorm`, and returns that joint norm as it was before clipping (`torch.nn.utils.clip_grad_norm_`).
///
/// Mirrors PyTorch's ops exactly: per-tensor norms, grouped by dtype in first-seen order as
/// `_group_tensors_by_device_and_dtype` does (the order changes the rounding of the total), the norm of
/// their stack, then every gradient multiplied by `min(maxNorm / (total + 1e-6), 1)` as a tensor, so
/// gradients are never scaled up. Parameters without a gradient are ignored. `normType` may be
/// `.infinity`.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2,
                         errorIfNonfinite: Bool = false) throws -> Tensor {
    guard !normType.isNaN else { throw TorchError("clipGradNorm: norm type is NaN") }
    return try Tensor.withNoGrad {
        let grads = try parameters.compactMap { try $0.grad() }
        // PyTorch returns torch.tensor(0.0) (float32, CPU) and clips nothing when there are no gradients.
        guard let first = grads.first else { return try Tensor.scalar(0) }
        guard grads.allSatisfy({ $0.device == first.device }) else {
            throw TorchError("clipGradNorm: gradients on several devices are not supported")
        }

        var dtypeOrder: [DType] = []
        for grad in grads where !dtypeOrder.contains(grad.dtype) { dtypeOrder.append(grad.dtype) }
        let norms = try dtypeOrder.flatMap { dtype in
            try grads.filter { $0.dtype == dtype }.map { try $0.norm(normType) }
        }
        let total = try Tensor.stack(norms).norm(normType)

        if errorIfNonfinite, try total.isFinite().item() == 0 {
            throw TorchError("clipGradNorm: the total norm of order \(normType) of the gradients is non-finite "
                + "(\(try total.item())), so it cannot be clipped")
        }

        // Python's `max_norm / tensor` is Tensor.__rtruediv__, i.e. reciprocal() * max_norm; written out
        // so that the rounding stays PyTorch's whatever `Double / Tensor` does.
        let coefficient = try (total + 1e-6).reciprocal() * maxNorm
        let clamped = try coefficient.clamp(max: 1.0)
        for grad in grads { try grad.mul_(clamped) }
        return total
    }
}
