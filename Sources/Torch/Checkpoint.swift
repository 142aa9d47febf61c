import CTorch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds a checkpointed closure while libtorch's graph needs it; libtorch releases it.
private final class CheckpointClosure {
    let body: ([Tensor]) throws -> [Tensor]
    init(_ body: @escaping ([Tensor]) throws -> [Tensor]) { self.body = body }
}

extension Tensor {
    /// Gradient checkpointing: runs `body(inputs)` without keeping its activations, and runs it again
    /// during backward to recompute them (torch.utils.checkpoint, reentrant form). Parameters that `body`
    /// uses receive their gradients during that recomputation.
    ///
    /// `body` must compute the same function both times: it must not depend on random numbers drawn
    /// inside it (SD training uses no dropout) or on state it changes. With gradient recording off this
    /// is a plain call.
    public static func checkpoint(_ inputs: [Tensor], _ body: @escaping ([Tensor]) throws -> [Tensor]) throws
        -> [Tensor]
    {
        guard isGradEnabled else { return try body(inputs) }
        // The reentrant form only enters the graph when an input requires grad; a scalar that always does
        // keeps parameter gradients flowing when the real inputs (e.g. noisy latents) require none.
        let anchor = try Tensor.zeros([]).requiringGrad()
        let context = Unmanaged.passRetained(CheckpointClosure { tensors in try body(Array(tensors.dropLast())) })
        var outputs = [ct_tensor?](repeating: nil, count: 64)
        var count: Int64 = 0
        try withHandles(inputs + [anchor]) { handles, n in
            try check(outputs.withUnsafeMutableBufferPointer { out in
                ct_checkpoint(
                    { context, inputs, n, outputs, capacity, count in
                        let closure = Unmanaged<CheckpointClosure>.fromOpaque(context!).takeUnretainedValue()
                        let tensors = (0..<Int(n)).map { Tensor(owning: inputs![$0]!) }
                        do {
                            let results = try closure.body(tensors)
                            guard results.count <= Int(capacity) else {
                                return strdup("checkpointed closure returned \(results.count) tensors, at most \(capacity) allowed")
                            }
                            for (i, tensor) in results.enumerated() {
                                var alias: ct_tensor?
                                if let error = ct_alias(tensor.handle, &alias) { return error }
                                outputs![i] = alias
                            }
                            count!.pointee = Int64(results.count)
                            return nil
                        } catch {
                            return strdup("\(error)")
                        }
                    },
                    context.toOpaque(),
                    { context in Unmanaged<CheckpointClosure>.fromOpaque(context!).release() },
                    handles, n, out.baseAddress, Int64(out.count), &count)
            })
        }
        return outputs.prefix(Int(count)).map { Tensor(owning: $0!) }
    }
}
