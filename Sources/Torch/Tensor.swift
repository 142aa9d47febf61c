import CTorch

/// An n-dimensional array held by libtorch.
///
/// The handle is freed deterministically when the last Swift reference goes away (ARC), so memory is
/// returned as soon as a tensor is no longer used, the way PyTorch's reference counting behaves.
/// Every operation throws `TorchError` with libtorch's message instead of crashing.
public final class Tensor {
    let handle: ct_tensor

    init(owning handle: ct_tensor) { self.handle = handle }
    deinit { ct_free(handle) }

    // MARK: Metadata. These cannot fail for a live handle.

    public var ndim: Int {
        var n: Int64 = 0
        _ = ct_ndim(handle, &n)
        return Int(n)
    }

    public var shape: [Int] {
        let n = ndim
        var sizes = [Int64](repeating: 0, count: n)
        _ = ct_shape(handle, &sizes, Int64(n))
        return sizes.map(Int.init)
    }

    /// The size of one dimension; negative dimensions count from the end.
    public func size(_ dim: Int) throws -> Int {
        let s = shape
        let index = dim < 0 ? dim + s.count : dim
        guard s.indices.contains(index) else {
            throw TorchError("dimension \(dim) out of range for a tensor of shape \(s)")
        }
        return s[index]
    }

    public var dtype: DType {
        var code: Int32 = 0
        _ = ct_dtype(handle, &code)
        return DType(rawValue: code) ?? .float32
    }

    public var device: Device {
        var type: Int32 = 0
        var index: Int64 = 0
        _ = ct_device(handle, &type, &index)
        return Device(code: type, index: index)
    }

    public var numel: Int {
        var n: Int64 = 0
        _ = ct_numel(handle, &n)
        return Int(n)
    }

    public var isContiguous: Bool {
        var flag: Int32 = 0
        _ = ct_is_contiguous(handle, &flag)
        return flag != 0
    }

    /// True when the (4-D) tensor is dense in NHWC order, PyTorch's `torch.channels_last`.
    public var isChannelsLast: Bool {
        var flag: Int32 = 0
        _ = ct_is_channels_last(handle, &flag)
        return flag != 0
    }

    // MARK: Creation from Swift values

    /// Copies `values` into a new tensor of `T`'s dtype; `shape` defaults to one dimension.
    public convenience init<T: TensorScalar>(_ values: [T], shape: [Int]? = nil, device: Device = .cpu) throws {
        let shape = shape ?? [values.count]
        let expected = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), expected == values.count else {
            throw TorchError("shape \(shape) holds \(expected) elements, \(values.count) given")
        }
        var out: ct_tensor?
        let (type, index) = device.code
        try values.withUnsafeBytes { raw in
            try withInt64s(shape) { dims, n in
                try check(ct_from_data(raw.baseAddress, dims, n, T.dtype.rawValue, type, index, &out))
            }
        }
        self.init(owning: out!)
    }

    /// Copies raw little-endian bytes of `dtype` elements (as stored in safetensors files).
    public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType, device: Device = .cpu) throws {
        let expected = shape.reduce(1, *) * dtype.elementSize
        guard expected == bytes.count else {
            throw TorchError("shape \(shape) of \(dtype) needs \(expected) bytes, \(bytes.count) given")
        }
        var out: ct_tensor?
        let (type, index) = device.code
        try withInt64s(shape) { dims, n in
            try check(ct_from_data(bytes.baseAddress, dims, n, dtype.rawValue, type, index, &out))
        }
        self.init(owning: out!)
    }

    /// A 0-dimensional tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full([], value: value, dtype: dtype, device: device)
    }

    public static func empty(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        let (type, index) = device.code
        return try withInt64s(shape) { dims, n in
            try makeTensor { ct_empty(dims, n, dtype.rawValue, type, index, $0) }
        }
    }

    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32, device: Device = .cpu) throws
        -> Tensor
    {
        let (type, index) = device.code
        return try withInt64s(shape) { dims, n in
            try makeTensor { ct_full(dims, n, value, dtype.rawValue, type, index, $0) }
        }
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, value: 0, dtype: dtype, device: device)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, value: 1, dtype: dtype, device: device)
    }

    public func zerosLike() throws -> Tensor { try Tensor.zeros(shape, dtype: dtype, device: device) }
    public func onesLike() throws -> Tensor { try Tensor.ones(shape, dtype: dtype, device: device) }

    /// Values start, start+step, ... below end (as torch.arange).
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32,
                              device: Device = .cpu) throws -> Tensor {
        let (type, index) = device.code
        return try makeTensor { ct_arange(start, end, step, dtype.rawValue, type, index, $0) }
    }

    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32,
                                device: Device = .cpu) throws -> Tensor {
        let (type, index) = device.code
        return try makeTensor { ct_linspace(start, end, Int64(steps), dtype.rawValue, type, index, $0) }
    }

    // MARK: Data out

    /// The elements in row-major order. `T` must match the dtype exactly; convert with `to(_:)` first.
    public func toArray<T: TensorScalar>(_ type: T.Type = T.self) throws -> [T] {
        guard dtype == T.dtype else {
            throw TorchError("tensor has dtype \(dtype), asked for \(T.dtype) elements; convert with to(.\(T.dtype))")
        }
        let count = numel
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try check(ct_copy_data(handle, buffer.baseAddress, count * T.dtype.elementSize))
            initialized = count
        }
    }

    /// The elements as Float, converting from any dtype.
    public func floats() throws -> [Float] {
        dtype == .float32 ? try toArray(Float.self) : try to(.float32).toArray(Float.self)
    }

    /// The raw bytes in row-major order (moved to CPU).
    public func bytes() throws -> [UInt8] {
        let count = numel * dtype.elementSize
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try check(ct_copy_data(handle, buffer.baseAddress, count))
            initialized = count
        }
    }

    /// The value of a one-element tensor.
    public func item() throws -> Double {
        var value: Double = 0
        try check(ct_item_double(handle, &value))
        return value
    }

    public func itemInt() throws -> Int {
        var value: Int64 = 0
        try check(ct_item_int64(handle, &value))
        return Int(value)
    }

    // MARK: Conversions

    public func to(_ dtype: DType) throws -> Tensor { try to(dtype: dtype, device: device) }
    public func to(_ device: Device) throws -> Tensor { try to(dtype: dtype, device: device) }

    public func to(dtype: DType, device: Device) throws -> Tensor {
        let (type, index) = device.code
        return try makeTensor { ct_to(handle, dtype.rawValue, type, index, $0) }
    }

    public func contiguous() throws -> Tensor { try makeTensor { ct_contiguous(handle, $0) } }
    /// The same values laid out NHWC (`contiguous(memory_format=torch.channels_last)`); 4-D tensors only. Convolutions
    /// keep the layout, so a UNet whose 4-D weights and input are NHWC runs without oneDNN's layout reorders.
    public func channelsLast() throws -> Tensor { try makeTensor { ct_contiguous_channels_last(handle, $0) } }
    public func clone() throws -> Tensor { try makeTensor { ct_clone(handle, $0) } }

    /// True when both tensors have the same shape and |a - b| <= atol + rtol * |b| everywhere.
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) throws -> Bool {
        var flag: Int32 = 0
        try check(ct_allclose(handle, other.handle, rtol, atol, &flag))
        return flag != 0
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        (try? takeString { ct_to_string(handle, $0) }) ?? "Tensor(\(shape), \(dtype))"
    }
}
