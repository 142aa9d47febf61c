import CTorch

/// A failure reported by libtorch (or by this layer's argument checks), with libtorch's own message.
public struct TorchError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Turns the shim's error convention (NULL or a malloc'd message) into a Swift throw.
@inline(__always)
func check(_ err: ct_err?) throws {
    guard let err else { return }
    let message = String(cString: err)
    ct_free_error(err)
    throw TorchError(message)
}

/// Calls a shim entry point that produces one tensor and takes ownership of it.
@inline(__always)
func makeTensor(_ body: (UnsafeMutablePointer<ct_tensor?>) -> ct_err?) throws -> Tensor {
    var out: ct_tensor?
    try check(body(&out))
    guard let handle = out else { throw TorchError("libtorch returned no tensor") }
    return Tensor(owning: handle)
}

/// Calls a shim entry point that returns a malloc'd C string.
func takeString(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> ct_err?) throws -> String {
    var out: UnsafeMutablePointer<CChar>?
    try check(body(&out))
    guard let out else { return "" }
    defer { ct_free_string(out) }
    return String(cString: out)
}

/// Passes Swift `Int`s as the `int64_t` array the shim expects.
@inline(__always)
func withInt64s<R>(_ values: [Int], _ body: (UnsafePointer<Int64>?, Int64) throws -> R) rethrows -> R {
    let wide = values.map(Int64.init)
    return try wide.withUnsafeBufferPointer { try body($0.baseAddress, Int64($0.count)) }
}

/// Passes tensors as a `const ct_tensor *` array, keeping them alive for the call.
@inline(__always)
func withHandles<R>(_ tensors: [Tensor?], _ body: (UnsafePointer<ct_tensor?>?, Int64) throws -> R) rethrows -> R {
    try withExtendedLifetime(tensors) {
        let handles: [ct_tensor?] = tensors.map { $0?.handle }
        return try handles.withUnsafeBufferPointer { try body($0.baseAddress, Int64($0.count)) }
    }
}
