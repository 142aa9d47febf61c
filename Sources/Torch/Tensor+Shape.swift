import CTorch

// Views, reshapes, indexing and joining. Negative dimensions count from the end, as in PyTorch.
extension Tensor {
    public func reshape(_ shape: [Int]) throws -> Tensor {
        try withInt64s(shape) { d, n in try makeTensor { ct_reshape(handle, d, n, $0) } }
    }
    /// A view with a new shape; fails (rather than copying) when the layout does not allow it.
    public func view(_ shape: [Int]) throws -> Tensor {
        try withInt64s(shape) { d, n in try makeTensor { ct_view(handle, d, n, $0) } }
    }
    public func permute(_ dims: [Int]) throws -> Tensor {
        try withInt64s(dims) { d, n in try makeTensor { ct_permute(handle, d, n, $0) } }
    }
    public func transpose(_ dim0: Int, _ dim1: Int) throws -> Tensor {
        try makeTensor { ct_transpose(handle, Int64(dim0), Int64(dim1), $0) }
    }
    public func expand(_ shape: [Int]) throws -> Tensor {
        try withInt64s(shape) { d, n in try makeTensor { ct_expand(handle, d, n, $0) } }
    }
    public func repeated(_ repeats: [Int]) throws -> Tensor {
        try withInt64s(repeats) { d, n in try makeTensor { ct_repeat(handle, d, n, $0) } }
    }
    public func squeeze(dim: Int) throws -> Tensor { try makeTensor { ct_squeeze_dim(handle, Int64(dim), $0) } }
    public func unsqueeze(dim: Int) throws -> Tensor { try makeTensor { ct_unsqueeze(handle, Int64(dim), $0) } }
    public func flatten(startDim: Int = 0, endDim: Int = -1) throws -> Tensor {
        try makeTensor { ct_flatten(handle, Int64(startDim), Int64(endDim), $0) }
    }

    /// `length` elements of `dim` from `start` (a view).
    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        try makeTensor { ct_narrow(handle, Int64(dim), Int64(start), Int64(length), $0) }
    }
    /// Python's `a[..., start:end:step]` on one dimension; `end: nil` runs to the end.
    public func slice(dim: Int, start: Int = 0, end: Int? = nil, step: Int = 1) throws -> Tensor {
        try makeTensor { ct_slice(handle, Int64(dim), Int64(start), Int64(end ?? Int(Int64.max)), Int64(step), $0) }
    }
    /// Removes `dim` by taking entry `index` (a view).
    public func select(dim: Int, index: Int) throws -> Tensor {
        try makeTensor { ct_select(handle, Int64(dim), Int64(index), $0) }
    }
    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        try makeTensor { ct_index_select(handle, Int64(dim), index.handle, $0) }
    }
    /// Advanced indexing `a[i0, i1, ...]`; `nil` stands for a full slice `:`.
    public func index(_ indices: [Tensor?]) throws -> Tensor {
        try withHandles(indices) { hs, n in try makeTensor { ct_index(handle, hs, n, $0) } }
    }
    public func gather(dim: Int, index: Tensor) throws -> Tensor {
        try makeTensor { ct_gather(handle, Int64(dim), index.handle, $0) }
    }
    public func maskedFill(_ mask: Tensor, value: Double) throws -> Tensor {
        try makeTensor { ct_masked_fill(handle, mask.handle, value, $0) }
    }
    public func flip(dims: [Int]) throws -> Tensor {
        try withInt64s(dims) { d, n in try makeTensor { ct_flip(handle, d, n, $0) } }
    }
    public func tril(diagonal: Int = 0) throws -> Tensor { try makeTensor { ct_tril(handle, Int64(diagonal), $0) } }
    public func triu(diagonal: Int = 0) throws -> Tensor { try makeTensor { ct_triu(handle, Int64(diagonal), $0) } }
    /// Constant padding, (left, right) pairs from the last dimension backwards (torch.nn.functional.pad).
    public func pad(_ padding: [Int], value: Double = 0) throws -> Tensor {
        try withInt64s(padding) { d, n in try makeTensor { ct_pad(handle, d, n, value, $0) } }
    }

    public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        try withHandles(tensors) { hs, n in try makeTensor { ct_cat(hs, n, Int64(dim), $0) } }
    }
    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        try withHandles(tensors) { hs, n in try makeTensor { ct_stack(hs, n, Int64(dim), $0) } }
    }

    private func pieces(capacity: Int,
                        _ f: (UnsafeMutablePointer<ct_tensor?>, Int64, UnsafeMutablePointer<Int64>) -> ct_err?) throws
        -> [Tensor]
    {
        var out = [ct_tensor?](repeating: nil, count: Swift.max(capacity, 1))
        var count: Int64 = 0
        try check(out.withUnsafeMutableBufferPointer { f($0.baseAddress!, Int64($0.count), &count) })
        return out.prefix(Int(count)).map { Tensor(owning: $0!) }
    }

    public func chunk(_ chunks: Int, dim: Int = 0) throws -> [Tensor] {
        try pieces(capacity: chunks) { ct_chunk(handle, Int64(chunks), Int64(dim), $0, $1, $2) }
    }
    /// Pieces of `size` along `dim` (the last may be smaller).
    public func split(size: Int, dim: Int = 0) throws -> [Tensor] {
        guard size > 0 else { throw TorchError("split size must be positive, got \(size)") }
        let length = try self.size(dim)
        return try pieces(capacity: (length + size - 1) / size) {
            ct_split(handle, Int64(size), Int64(dim), $0, $1, $2)
        }
    }
    public func split(sizes: [Int], dim: Int = 0) throws -> [Tensor] {
        try withInt64s(sizes) { s, n in
            try pieces(capacity: sizes.count) { ct_split_with_sizes(handle, s, n, Int64(dim), $0, $1, $2) }
        }
    }
}
