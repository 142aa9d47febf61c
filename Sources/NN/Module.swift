import Torch

/// A model part whose parameters carry the names its checkpoints use (diffusers / transformers names),
/// so that one loader serves tiny test fixtures and real Stable Diffusion checkpoints alike.
///
/// A module lists its own parameters and its children; everything else (the full dotted names, loading,
/// saving, dtype moves, freezing) is derived from those two lists.
public protocol Module: AnyObject {
    /// Parameters held directly by this module, e.g. ("weight", w), ("bias", b).
    var ownParameters: [(name: String, tensor: Tensor)] { get }
    /// Child modules; a name may contain dots for lists, e.g. ("down_blocks.0", block).
    var children: [(name: String, module: any Module)] { get }
}

extension Module {
    public var ownParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: any Module)] { [] }

    /// Every parameter under this module by its full dotted name, in declaration order.
    public func namedParameters(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var result = ownParameters.map { (name: prefix + $0.name, tensor: $0.tensor) }
        for (name, child) in children {
            result += child.namedParameters(prefix: prefix + name + ".")
        }
        return result
    }

    /// Every module under this one (itself first) by its dotted name ("" for itself).
    public func namedModules(prefix: String = "") -> [(name: String, module: any Module)] {
        var result: [(name: String, module: any Module)] = [(prefix, self)]
        for (name, child) in children {
            result += child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return result
    }

    public var parameters: [Tensor] { namedParameters().map(\.tensor) }

    /// Total number of parameter elements.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.numel } }

    /// The parameters by name (the tensors themselves, not copies).
    public func stateDict() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// Marks every parameter as trainable (or frozen).
    public func setRequiresGrad(_ flag: Bool) throws {
        for p in parameters { try p.setRequiresGrad(flag) }
    }

    /// Moves every parameter to `dtype` / `device` in place (parameters keep their identity).
    public func to(dtype: DType? = nil, device: Device? = nil) throws {
        try Tensor.withNoGrad {
            for p in parameters where (dtype.map { $0 != p.dtype } ?? false) || (device.map { $0 != p.device } ?? false) {
                try p.setData(p.to(dtype: dtype ?? p.dtype, device: device ?? p.device))
            }
        }
    }

    /// Lays every 4-D parameter (the convolution kernels) out NHWC in place, as PyTorch's
    /// `module.to(memory_format=torch.channels_last)`: with an NHWC input the convolutions then run without
    /// layout reorders. Values, names and checkpoints are unchanged (files are written in the standard layout).
    public func useChannelsLast() throws {
        try Tensor.withNoGrad {
            for p in parameters where p.shape.count == 4 && !p.isChannelsLast { try p.setData(p.channelsLast()) }
        }
    }

    /// Copies `weights` into the parameters (converting dtype and device). With `strict`, a parameter the
    /// weights lack or a weight no parameter takes is an error; a shape mismatch always is. Every check runs
    /// before anything is copied, so a failed load leaves the module unchanged. `source` names the file in
    /// errors.
    public func load(_ weights: [String: Tensor], strict: Bool = true, source: String) throws {
        let named = namedParameters()
        let known = Set(named.map(\.name))
        if strict {
            if let missing = named.map(\.name).first(where: { weights[$0] == nil }) {
                let count = named.filter { weights[$0.name] == nil }.count
                throw WeightsError(source: source, key: missing,
                                   "missing from the checkpoint" + (count > 1 ? " (and \(count - 1) more keys)" : ""))
            }
            if let unexpected = weights.keys.sorted().first(where: { !known.contains($0) }) {
                let count = weights.keys.filter { !known.contains($0) }.count
                throw WeightsError(source: source, key: unexpected,
                                   "not a parameter of the model" + (count > 1 ? " (and \(count - 1) more keys)" : ""))
            }
        }
        for (name, parameter) in named {
            guard let weight = weights[name] else { continue }
            guard weight.shape == parameter.shape else {
                throw WeightsError(source: source, key: name,
                                   "shape mismatch: checkpoint has \(weight.shape), model expects \(parameter.shape)")
            }
        }
        try Tensor.withNoGrad {
            for (name, parameter) in named {
                if let weight = weights[name] { try parameter.copy_(weight) }
            }
        }
    }
}

/// A checkpoint that does not fit the model: names the file and the key.
public struct WeightsError: Error, CustomStringConvertible, Sendable {
    public let source: String
    public let key: String?
    public let reason: String

    public init(source: String, key: String? = nil, _ reason: String) {
        self.source = source
        self.key = key
        self.reason = reason
    }

    public var description: String {
        key.map { "\(source): key '\($0)': \(reason)" } ?? "\(source): \(reason)"
    }
}
