import CTorch

/// Facts about the loaded libtorch and its process-wide settings.
public enum LibTorch {
    /// The libtorch version the shim was compiled against, e.g. "2.13.0".
    public static var version: String { (try? takeString { ct_version($0) }) ?? "unknown" }

    /// at::show_config(): compiler, BLAS, CPU capability, OpenMP, CUDA.
    public static var buildConfiguration: String { (try? takeString { ct_build_config($0) }) ?? "" }

    /// The shared library the dynamic loader actually resolved ATen from.
    public static var libraryPath: String { (try? takeString { ct_library_path($0) }) ?? "unknown" }

    public static var numThreads: Int {
        var n: Int64 = 0
        _ = ct_get_num_threads(&n)
        return Int(n)
    }

    /// Intra-op threads. libtorch's default may be 1 when it is embedded: set it explicitly.
    public static func setNumThreads(_ n: Int) throws {
        guard n > 0 else { throw TorchError("thread count must be positive, got \(n)") }
        try check(ct_set_num_threads(Int64(n)))
    }

    public static var cudaDeviceCount: Int {
        var n: Int64 = 0
        _ = ct_cuda_device_count(&n)
        return Int(n)
    }

    /// Tensor handles alive right now (for leak checks).
    public static var liveTensorCount: Int { Int(ct_live_tensors()) }
}
