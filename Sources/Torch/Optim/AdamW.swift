import Foundation

/// Adam with decoupled weight decay (Loshchilov & Hutter), equal to `torch.optim.AdamW` with its defaults.
///
/// `step()` follows torch/optim/adam.py `_single_tensor_adam` (the path PyTorch takes on CPU, and with
/// `foreach=False` elsewhere) op for op: the same in-place ATen calls in the same order, with the scalar
/// coefficients computed in Double as Python computes them, so parameters match PyTorch bit for bit.
public final class AdamW: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    public private(set) var betas: (Double, Double)
    public private(set) var eps: Double
    public private(set) var weightDecay: Double
    public private(set) var amsgrad: Bool

    /// Per-parameter state, created on a parameter's first step with a gradient (PyTorch's lazy init).
    struct ParameterState {
        /// PyTorch keeps this per parameter: a parameter skipped for lack of a gradient does not advance.
        var step: Int
        var expAvg: Tensor
        var expAvgSq: Tensor
        var maxExpAvgSq: Tensor?
    }

    private var states: [ParameterState?]

    static let typeName = "AdamW"
    static let bufferNames: Set<String> = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]

    public init(_ parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false) throws {
        try Self.validate(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)
        self.parameters = parameters
        self.learningRate = lr
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.states = Array(repeating: nil, count: parameters.count)
    }

    /// The checks of torch.optim.Adam.__init__, plus rejecting NaN and infinity.
    static func validate(lr: Double, betas: (Double, Double), eps: Double, weightDecay: Double) throws {
        try checkNonNegative("learning rate", lr)
        try checkNonNegative("epsilon", eps)
        try checkHyperparameter("beta1", betas.0, in: 0..<1)
        try checkHyperparameter("beta2", betas.1, in: 0..<1)
        try checkNonNegative("weight decay", weightDecay)
    }

    /// The number of steps taken by parameter `index` (0 before its first gradient).
    public func stepCount(parameter index: Int) -> Int { states[index]?.step ?? 0 }

    public func step() throws {
        // The learning rate is settable without a throwing setter; check it where it is used.
        try checkNonNegative("learning rate", learningRate)
        let lr = learningRate
        let (beta1, beta2) = betas
        try Tensor.withNoGrad {
            for (index, param) in parameters.enumerated() {
                guard let grad = try param.grad() else { continue }
                var state = try states[index] ?? ParameterState(
                    step: 0, expAvg: param.zerosLike(), expAvgSq: param.zerosLike(),
                    maxExpAvgSq: amsgrad ? param.zerosLike() : nil)
                state.step += 1

                // Decoupled weight decay: shrink the parameter before the Adam update.
                if weightDecay != 0 {
                    try param.mul_(1 - lr * weightDecay)
                }

                try state.expAvg.lerp_(grad, weight: 1 - beta1)
                try state.expAvgSq.mul_(beta2)
                try state.expAvgSq.addcmul_(grad, grad, value: 1 - beta2)

                // Python computes these with float `**` (C pow); `** 0.5` is pow, not sqrt, so use pow too.
                let step = Double(state.step)
                let biasCorrection1 = 1 - Foundation.pow(beta1, step)
                let biasCorrection2 = 1 - Foundation.pow(beta2, step)
                let stepSize = lr / biasCorrection1
                let biasCorrection2Sqrt = Foundation.pow(biasCorrection2, 0.5)

                let second: Tensor
                if amsgrad {
                    guard let maxExpAvgSq = state.maxExpAvgSq else {
                        throw TorchError("AdamW: amsgrad state of parameter \(index) is missing")
                    }
                    try maxExpAvgSq.copy_(maxExpAvgSq.maximum(state.expAvgSq))
                    second = maxExpAvgSq
                } else {
                    second = state.expAvgSq
                }
                let denom = try second.sqrt() / biasCorrection2Sqrt
                try denom.add_(eps)
                try param.addcdiv_(state.expAvg, denom, value: -stepSize)
                states[index] = state
            }
        }
    }

    public func stateDict() throws -> OptimizerState {
        var state = OptimizerState(metadata: [
            OptimizerState.typeKey: Self.typeName,
            OptimizerState.parameterCountKey: String(parameters.count),
            "lr": String(learningRate),
            "beta1": String(betas.0),
            "beta2": String(betas.1),
            "eps": String(eps),
            "weight_decay": String(weightDecay),
            "amsgrad": String(amsgrad),
        ])
        for (index, parameterState) in states.enumerated() {
            guard let parameterState else { continue }
            state.metadata["\(index).step"] = String(parameterState.step)
            state.tensors["\(index).exp_avg"] = parameterState.expAvg
            state.tensors["\(index).exp_avg_sq"] = parameterState.expAvgSq
            if let maxExpAvgSq = parameterState.maxExpAvgSq {
                state.tensors["\(index).max_exp_avg_sq"] = maxExpAvgSq
            }
        }
        return state
    }

    public func load(_ state: OptimizerState) throws {
        try state.validate(type: Self.typeName, parameters: parameters, buffers: Self.bufferNames)
        let lr = try state.double("lr")
        let betas = (try state.double("beta1"), try state.double("beta2"))
        let eps = try state.double("eps")
        let weightDecay = try state.double("weight_decay")
        let amsgrad = try state.bool("amsgrad")
        try Self.validate(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)

        // Build everything first, so that a bad state leaves this optimizer unchanged.
        var loaded: [ParameterState?] = Array(repeating: nil, count: parameters.count)
        for (index, param) in parameters.enumerated() {
            let expAvg = try state.buffer("\(index).exp_avg", for: param, index: index)
            let expAvgSq = try state.buffer("\(index).exp_avg_sq", for: param, index: index)
            let maxExpAvgSq = try state.buffer("\(index).max_exp_avg_sq", for: param, index: index)
            let hasStep = state.metadata["\(index).step"] != nil
            if !hasStep && expAvg == nil && expAvgSq == nil && maxExpAvgSq == nil { continue }
            guard hasStep, let expAvg, let expAvgSq else {
                throw TorchError("optimizer state for parameter \(index) is incomplete: needs '\(index).step', "
                    + "'\(index).exp_avg' and '\(index).exp_avg_sq'")
            }
            let step = try state.int("\(index).step")
            guard step >= 0 else { throw TorchError("optimizer state '\(index).step' is negative: \(step)") }
            if amsgrad && maxExpAvgSq == nil {
                throw TorchError("optimizer state uses amsgrad but has no '\(index).max_exp_avg_sq'")
            }
            loaded[index] = ParameterState(step: step, expAvg: expAvg, expAvgSq: expAvgSq,
                                           maxExpAvgSq: amsgrad ? maxExpAvgSq : nil)
        }
        learningRate = lr
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        states = loaded
    }
}
