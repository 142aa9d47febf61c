import CTorch

extension Tensor {
    public func matmul(_ other: Tensor) throws -> Tensor { try makeTensor { ct_matmul(handle, other.handle, $0) } }
    public func mm(_ other: Tensor) throws -> Tensor { try makeTensor { ct_mm(handle, other.handle, $0) } }
    public func bmm(_ other: Tensor) throws -> Tensor { try makeTensor { ct_bmm(handle, other.handle, $0) } }

    /// beta * self + alpha * (batch1 @ batch2)
    public func baddbmm(_ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) throws -> Tensor {
        try makeTensor { ct_baddbmm(handle, batch1.handle, batch2.handle, beta, alpha, $0) }
    }

    /// beta * self + alpha * (mat1 @ mat2)
    public func addmm(_ mat1: Tensor, _ mat2: Tensor, beta: Double = 1, alpha: Double = 1) throws -> Tensor {
        try makeTensor { ct_addmm(handle, mat1.handle, mat2.handle, beta, alpha, $0) }
    }

    /// self @ weight^T + bias (torch.nn.functional.linear).
    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try withExtendedLifetime(bias) { try makeTensor { ct_linear(handle, weight.handle, bias?.handle, $0) } }
    }
}
