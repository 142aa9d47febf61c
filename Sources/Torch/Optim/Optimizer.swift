/// A first-order optimizer over a fixed, ordered list of parameters (one PyTorch param group).
///
/// Implementations mirror torch.optim's CPU single-tensor code paths op for op, so that on the same
/// libtorch they produce bit-identical parameters.
public protocol Optimizer: AnyObject {
    /// The tensors updated in place by `step()`, in the order their state is indexed.
    var parameters: [Tensor] { get }

    /// Settable between steps, so that learning-rate schedulers can drive it.
    var learningRate: Double { get set }

    /// One update from the parameters' current gradients; parameters without a gradient are skipped
    /// (their state is neither created nor advanced), as in PyTorch.
    func step() throws

    /// Clears every parameter's gradient (PyTorch's default `set_to_none=True`).
    func zeroGrad() throws

    /// Hyperparameters and per-parameter buffers. The tensors share storage with the optimizer's buffers
    /// (as PyTorch's state_dict does), so save them before the next `step()`.
    func stateDict() throws -> OptimizerState

    /// Restores buffers and hyperparameters (learning rate included, as PyTorch's load_state_dict does).
    /// Buffers are copied, converted to each parameter's dtype and device. Throws, changing nothing, when
    /// the state was written by another optimizer type, for another number of parameters, or with a
    /// buffer whose shape differs from its parameter's.
    func load(_ state: OptimizerState) throws
}

extension Optimizer {
    public func zeroGrad() throws {
        for parameter in parameters { try parameter.zeroGrad() }
    }

    /// `setToNone: false` keeps the gradient tensors and fills them with zeros instead.
    public func zeroGrad(setToNone: Bool) throws {
        guard !setToNone else { return try zeroGrad() }
        for parameter in parameters { try parameter.grad()?.zero_() }
    }
}

/// An optimizer's state as flat, string-keyed data, so that it can be stored as safetensors:
/// per-parameter buffers are named `"<parameter index>.<buffer>"` (e.g. `"0.exp_avg"`), and everything
/// else (optimizer type, hyperparameters, step counts) is text in `metadata`.
public struct OptimizerState {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }
}

// Reading a state back, with errors that say which key is wrong. Doubles are written with Swift's
// shortest round-trip representation, so parsing gives back exactly the same value.
extension OptimizerState {
    static let typeKey = "optimizer"
    static let parameterCountKey = "param_count"

    func string(_ key: String) throws -> String {
        guard let value = metadata[key] else { throw TorchError("optimizer state has no metadata '\(key)'") }
        return value
    }

    func double(_ key: String) throws -> Double {
        let text = try string(key)
        guard let value = Double(text) else {
            throw TorchError("optimizer state metadata '\(key)' = '\(text)' is not a number")
        }
        return value
    }

    func int(_ key: String) throws -> Int {
        let text = try string(key)
        guard let value = Int(text) else {
            throw TorchError("optimizer state metadata '\(key)' = '\(text)' is not an integer")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool {
        switch try string(key) {
        case "true": return true
        case "false": return false
        case let text: throw TorchError("optimizer state metadata '\(key)' = '\(text)' is not true or false")
        }
    }

    /// Checks the optimizer type and parameter count, and that every tensor key names a known buffer of
    /// an existing parameter (so that a state for another model cannot load silently).
    func validate(type: String, parameters: [Tensor], buffers: Set<String>) throws {
        let written = try string(Self.typeKey)
        guard written == type else {
            throw TorchError("optimizer state was written by \(written), cannot load it into \(type)")
        }
        let count = try int(Self.parameterCountKey)
        guard count == parameters.count else {
            throw TorchError("optimizer state holds \(count) parameters, the optimizer has \(parameters.count)")
        }
        for key in tensors.keys {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let index = Int(parts[0]), parameters.indices.contains(index),
                  buffers.contains(parts[1])
            else {
                throw TorchError("optimizer state has unexpected tensor '\(key)' for \(count) parameters "
                    + "with buffers \(buffers.sorted())")
            }
        }
    }

    /// A private copy of buffer `key`, converted to `parameter`'s dtype and device, after checking its shape.
    func buffer(_ key: String, for parameter: Tensor, index: Int) throws -> Tensor? {
        guard let tensor = tensors[key] else { return nil }
        guard tensor.shape == parameter.shape else {
            throw TorchError("optimizer state '\(key)' has shape \(tensor.shape), "
                + "but parameter \(index) has shape \(parameter.shape)")
        }
        // clone() so the optimizer never shares storage with the caller's tensors.
        return try tensor.to(dtype: parameter.dtype, device: parameter.device).clone()
    }
}

/// Throws unless `value` is finite and within the half-open `range`, naming the hyperparameter.
func checkHyperparameter(_ name: String, _ value: Double, in range: Range<Double>) throws {
    guard value.isFinite, range.contains(value) else {
        throw TorchError("invalid \(name) \(value): must be in [\(range.lowerBound), \(range.upperBound))")
    }
}

func checkNonNegative(_ name: String, _ value: Double) throws {
    guard value.isFinite, value >= 0 else {
        throw TorchError("invalid \(name) \(value): must be finite and non-negative")
    }
}
