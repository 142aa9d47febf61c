import CTorch

extension Tensor {
    /// torch.autocast(device, dtype): inside `body`, ops that autocast lists (convolutions, matmul, linear,
    /// attention) run in `dtype` (bfloat16 on CPUs) on casts of their float32 inputs, while parameters stay
    /// float32 (the master weights) and gradients flow back to them in float32. Regions nest; the previous
    /// state is restored on exit, also when `body` throws.
    public static func withAutocast<R>(_ dtype: DType = .bfloat16, device: Device = .cpu,
                                       _ body: () throws -> R) throws -> R {
        let deviceType = device.code.type
        var previousEnabled: Int32 = 0
        var previousDType: Int32 = 0
        try check(ct_autocast_enter(deviceType, Int32(dtype.rawValue), &previousEnabled, &previousDType))
        defer { _ = ct_autocast_exit(deviceType, previousEnabled, previousDType) }
        return try body()
    }
}
