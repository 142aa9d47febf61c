import CTorch

extension Tensor {
    public var requiresGrad: Bool {
        var flag: Int32 = 0
        _ = ct_requires_grad(handle, &flag)
        return flag != 0
    }

    /// Marks a leaf tensor as a parameter whose gradient is accumulated.
    public func setRequiresGrad(_ flag: Bool = true) throws {
        try check(ct_set_requires_grad(handle, flag ? 1 : 0))
    }

    /// Chaining form of `setRequiresGrad`, for `let w = try Tensor.randn(...).requiringGrad()`.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) throws -> Tensor {
        try setRequiresGrad(flag)
        return self
    }

    public var isLeaf: Bool {
        var flag: Int32 = 0
        _ = ct_is_leaf(handle, &flag)
        return flag != 0
    }

    /// Back-propagates from this tensor; `gradient` is required unless the tensor has one element.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws {
        try withExtendedLifetime(gradient) {
            try check(ct_backward(handle, gradient?.handle, retainGraph ? 1 : 0, createGraph ? 1 : 0))
        }
    }

    /// The accumulated gradient, or nil when none has been computed (or it was cleared).
    public func grad() throws -> Tensor? {
        var out: ct_tensor?
        try check(ct_grad(handle, &out))
        return out.map { Tensor(owning: $0) }
    }

    public func setGrad(_ gradient: Tensor?) throws {
        try withExtendedLifetime(gradient) { try check(ct_set_grad(handle, gradient?.handle)) }
    }

    /// Clears the gradient (set to none, PyTorch's default for zero_grad).
    public func zeroGrad() throws { try setGrad(nil) }

    /// The same data, cut from the autograd graph.
    public func detach() throws -> Tensor { try makeTensor { ct_detach(handle, $0) } }

    public static var isGradEnabled: Bool {
        var flag: Int32 = 0
        _ = ct_is_grad_enabled(&flag)
        return flag != 0
    }

    /// Runs `body` with gradient recording on or off, restoring the previous mode afterwards.
    /// libtorch keeps this mode per thread: keep the scope synchronous.
    public static func withGradMode<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = isGradEnabled
        _ = ct_set_grad_enabled(enabled ? 1 : 0)
        defer { _ = ct_set_grad_enabled(previous ? 1 : 0) }
        return try body()
    }

    /// torch.no_grad(): nothing inside records a graph.
    public static func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
        try withGradMode(false, body)
    }
}

// In-place updates, for optimizers and parameter surgery. Like PyTorch's trailing-underscore methods they
// modify this tensor's storage; on a leaf that requires grad call them inside `withNoGrad`.
extension Tensor {
    public func add_(_ other: Tensor, alpha: Double = 1) throws { try check(ct_add_(handle, other.handle, alpha)) }
    public func add_(_ value: Double) throws { try check(ct_add_scalar_(handle, value)) }
    public func mul_(_ other: Tensor) throws { try check(ct_mul_(handle, other.handle)) }
    public func mul_(_ value: Double) throws { try check(ct_mul_scalar_(handle, value)) }
    public func div_(_ other: Tensor) throws { try check(ct_div_(handle, other.handle)) }
    public func addcmul_(_ t1: Tensor, _ t2: Tensor, value: Double = 1) throws {
        try check(ct_addcmul_(handle, t1.handle, t2.handle, value))
    }
    public func addcdiv_(_ t1: Tensor, _ t2: Tensor, value: Double = 1) throws {
        try check(ct_addcdiv_(handle, t1.handle, t2.handle, value))
    }
    public func lerp_(_ end: Tensor, weight: Double) throws { try check(ct_lerp_(handle, end.handle, weight)) }
    public func sqrt_() throws { try check(ct_sqrt_(handle)) }
    public func copy_(_ source: Tensor) throws { try check(ct_copy_(handle, source.handle)) }
    public func zero_() throws { try check(ct_zero_(handle)) }
    public func fill_(_ value: Double) throws { try check(ct_fill_(handle, value)) }
    /// Swaps in new data (any dtype, device or shape) while this tensor keeps its identity (`p.data = x`).
    public func setData(_ data: Tensor) throws { try check(ct_set_data(handle, data.handle)) }
}
