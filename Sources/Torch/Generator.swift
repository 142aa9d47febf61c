import CTorch

/// A seeded random-number generator (torch.Generator). The same seed gives the same numbers as
/// `torch.Generator().manual_seed(seed)` in Python on the same device.
public final class Generator {
    let handle: ct_generator
    public let device: Device

    public init(seed: UInt64, device: Device = .cpu) throws {
        var out: ct_generator?
        let (type, index) = device.code
        try check(ct_generator_new(type, index, seed, &out))
        handle = out!
        self.device = device
    }

    deinit { ct_generator_free(handle) }

    /// The complete state, for checkpoints that resume exactly.
    public func state() throws -> Tensor { try makeTensor { ct_generator_get_state(handle, $0) } }

    public func setState(_ state: Tensor) throws { try check(ct_generator_set_state(handle, state.handle)) }
}

extension Tensor {
    /// Standard normal samples (torch.randn).
    public static func randn(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu,
                             generator: Generator? = nil) throws -> Tensor {
        let (type, index) = device.code
        return try withExtendedLifetime(generator) {
            try withInt64s(shape) { d, n in
                try makeTensor { ct_randn(d, n, dtype.rawValue, type, index, generator?.handle, $0) }
            }
        }
    }

    /// Uniform samples in [0, 1) (torch.rand).
    public static func rand(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu,
                            generator: Generator? = nil) throws -> Tensor {
        let (type, index) = device.code
        return try withExtendedLifetime(generator) {
            try withInt64s(shape) { d, n in
                try makeTensor { ct_rand(d, n, dtype.rawValue, type, index, generator?.handle, $0) }
            }
        }
    }

    /// int64 samples in [low, high) (torch.randint).
    public static func randint(low: Int = 0, high: Int, _ shape: [Int], device: Device = .cpu,
                               generator: Generator? = nil) throws -> Tensor {
        let (type, index) = device.code
        return try withExtendedLifetime(generator) {
            try withInt64s(shape) { d, n in
                try makeTensor { ct_randint(Int64(low), Int64(high), d, n, type, index, generator?.handle, $0) }
            }
        }
    }

    public func randnLike(generator: Generator? = nil) throws -> Tensor {
        try Tensor.randn(shape, dtype: dtype, device: device, generator: generator)
    }
}
