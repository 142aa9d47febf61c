import CTorch

// Reductions take `dims: []` to mean "every dimension", as PyTorch's dim=None.
extension Tensor {
    private func reduce(_ dims: [Int],
                        _ f: (UnsafePointer<Int64>?, Int64, UnsafeMutablePointer<ct_tensor?>) -> ct_err?) throws -> Tensor {
        try withInt64s(dims) { d, n in try makeTensor { f(d, n, $0) } }
    }

    public func sum(dims: [Int] = [], keepDim: Bool = false, dtype: DType? = nil) throws -> Tensor {
        try reduce(dims) { ct_sum(handle, $0, $1, keepDim ? 1 : 0, dtype?.rawValue ?? -1, $2) }
    }
    public func mean(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        try reduce(dims) { ct_mean(handle, $0, $1, keepDim ? 1 : 0, $2) }
    }
    public func amax(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        try reduce(dims) { ct_amax(handle, $0, $1, keepDim ? 1 : 0, $2) }
    }
    public func amin(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        try reduce(dims) { ct_amin(handle, $0, $1, keepDim ? 1 : 0, $2) }
    }
    /// Variance with Bessel's correction by default (correction 1), as torch.var.
    public func variance(dims: [Int] = [], correction: Double = 1, keepDim: Bool = false) throws -> Tensor {
        try reduce(dims) { ct_var(handle, $0, $1, correction, keepDim ? 1 : 0, $2) }
    }
    /// Standard deviation (torch.std), one fused reduction: bit-identical to PyTorch, unlike variance().sqrt(),
    /// which rounds the variance to the element type before the square root.
    public func std(dims: [Int] = [], correction: Double = 1, keepDim: Bool = false) throws -> Tensor {
        try reduce(dims) { ct_std(handle, $0, $1, correction, keepDim ? 1 : 0, $2) }
    }
    /// Vector p-norm (torch.linalg.vector_norm).
    public func norm(_ p: Double = 2, dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        try reduce(dims) { ct_norm(handle, p, $0, $1, keepDim ? 1 : 0, $2) }
    }
    public func logSumExp(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        try reduce(dims) { ct_logsumexp(handle, $0, $1, keepDim ? 1 : 0, $2) }
    }

    public func max(dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        var values: ct_tensor?
        var indices: ct_tensor?
        try check(ct_max_dim(handle, Int64(dim), keepDim ? 1 : 0, &values, &indices))
        return (Tensor(owning: values!), Tensor(owning: indices!))
    }
    public func min(dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        var values: ct_tensor?
        var indices: ct_tensor?
        try check(ct_min_dim(handle, Int64(dim), keepDim ? 1 : 0, &values, &indices))
        return (Tensor(owning: values!), Tensor(owning: indices!))
    }
    public func argmax(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try makeTensor { ct_argmax(handle, Int64(dim), keepDim ? 1 : 0, $0) }
    }
    public func all() throws -> Tensor { try makeTensor { ct_all(handle, $0) } }
    public func any() throws -> Tensor { try makeTensor { ct_any(handle, $0) } }
    public func cumsum(dim: Int) throws -> Tensor { try makeTensor { ct_cumsum(handle, Int64(dim), $0) } }
    public func cumprod(dim: Int) throws -> Tensor { try makeTensor { ct_cumprod(handle, Int64(dim), $0) } }
}
