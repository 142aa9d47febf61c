/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and (coupled, L2)
/// weight decay, equal to `torch.optim.SGD`.
///
/// `step()` follows torch/optim/sgd.py `_single_tensor_sgd` op for op, so parameters match PyTorch bit
/// for bit on the same libtorch.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    public private(set) var momentum: Double
    public private(set) var dampening: Double
    public private(set) var weightDecay: Double
    public private(set) var nesterov: Bool

    /// Created from the first gradient a parameter sees (PyTorch starts the buffer as a copy of it,
    /// not as zeros, so dampening does not apply on the first step).
    private var momentumBuffers: [Tensor?]

    static let typeName = "SGD"
    static let bufferNames: Set<String> = ["momentum_buffer"]

    public init(_ parameters: [Tensor], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) throws {
        try Self.validate(lr: lr, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
                          nesterov: nesterov)
        self.parameters = parameters
        self.learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    /// The checks of torch.optim.SGD.__init__, plus rejecting NaN and infinity.
    static func validate(lr: Double, momentum: Double, dampening: Double, weightDecay: Double,
                         nesterov: Bool) throws {
        try checkNonNegative("learning rate", lr)
        try checkNonNegative("momentum", momentum)
        guard dampening.isFinite else { throw TorchError("invalid dampening \(dampening): must be finite") }
        try checkNonNegative("weight decay", weightDecay)
        if nesterov && (momentum <= 0 || dampening != 0) {
            throw TorchError("Nesterov momentum requires a momentum and zero dampening "
                + "(momentum \(momentum), dampening \(dampening))")
        }
    }

    public func step() throws {
        try checkNonNegative("learning rate", learningRate)
        let lr = learningRate
        try Tensor.withNoGrad {
            for (index, param) in parameters.enumerated() {
                guard var grad = try param.grad() else { continue }
                // Coupled decay: added to the gradient (a new tensor; the stored gradient is not modified).
                if weightDecay != 0 {
                    grad = try grad.add(param, alpha: weightDecay)
                }
                if momentum != 0 {
                    let buffer: Tensor
                    if let existing = momentumBuffers[index] {
                        try existing.mul_(momentum)
                        try existing.add_(grad, alpha: 1 - dampening)
                        buffer = existing
                    } else {
                        buffer = try grad.detach().clone()
                        momentumBuffers[index] = buffer
                    }
                    grad = nesterov ? try grad.add(buffer, alpha: momentum) : buffer
                }
                try param.add_(grad, alpha: -lr)
            }
        }
    }

    public func stateDict() throws -> OptimizerState {
        var state = OptimizerState(metadata: [
            OptimizerState.typeKey: Self.typeName,
            OptimizerState.parameterCountKey: String(parameters.count),
            "lr": String(learningRate),
            "momentum": String(momentum),
            "dampening": String(dampening),
            "weight_decay": String(weightDecay),
            "nesterov": String(nesterov),
        ])
        for (index, buffer) in momentumBuffers.enumerated() {
            if let buffer { state.tensors["\(index).momentum_buffer"] = buffer }
        }
        return state
    }

    public func load(_ state: OptimizerState) throws {
        try state.validate(type: Self.typeName, parameters: parameters, buffers: Self.bufferNames)
        let lr = try state.double("lr")
        let momentum = try state.double("momentum")
        let dampening = try state.double("dampening")
        let weightDecay = try state.double("weight_decay")
        let nesterov = try state.bool("nesterov")
        try Self.validate(lr: lr, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
                          nesterov: nesterov)
        // Build everything first, so that a bad state leaves this optimizer unchanged.
        let buffers = try parameters.enumerated().map { index, param in
            try state.buffer("\(index).momentum_buffer", for: param, index: index)
        }
        learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        momentumBuffers = buffers
    }
}
