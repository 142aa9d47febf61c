import Foundation
import Torch

/// What the loop reports after every optimizer step.
public struct TrainingProgress: Sendable {
    /// Optimizer steps done in the run (a resumed run continues the count).
    public let step: Int
    public let totalSteps: Int
    /// Steps done by this process (the ETA's basis).
    public let stepsThisSession: Int
    public let loss: Double
    public let learningRate: Double
    public let stepSeconds: Double
    public let elapsedSeconds: Double
    public var etaSeconds: Double {
        stepsThisSession > 0 ? elapsedSeconds / Double(stepsThisSession) * Double(totalSteps - step) : 0
    }
}

/// The shared fine-tuning loop. A `TrainingMethod` supplies the trainable tensors and the loss; the loop does
/// the rest the same way for every method: data order, AdamW, the learning-rate schedule, gradient
/// accumulation, clipping, gradients set to none, an optional EMA of the trained tensors (`ema_decay`), metrics,
/// checkpoints every N steps, validation hooks, and a clean stop (checkpoint, then return) when asked to.
public final class Trainer {
    public struct Hooks {
        /// After every optimizer step.
        public var progress: (TrainingProgress) -> Void = { _ in }
        /// Every `log_every` steps: the step and the scalars (every loss term, lr, grad norm, timing).
        public var metrics: (Int, [String: Double]) throws -> Void = { _, _ in }
        /// After the steps that `validation_every` selects (and step 0 when validation is on).
        public var validation: ((Int) throws -> Void)?
        /// Polled after each step; true stops the run with a checkpoint (SIGINT/SIGTERM).
        public var shouldStop: () -> Bool = { false }
        /// A checkpoint was written at this folder.
        public var checkpointWritten: (String) -> Void = { _ in }
        public init() {}
    }

    public enum Outcome: Equatable, Sendable {
        case finished(step: Int)
        case stopped(step: Int)
    }

    public let config: TrainingConfig
    public let method: TrainingMethod
    public let dataset: EncodedDataset
    public let run: RunFolder
    public var hooks: Hooks
    /// Latent parameters for records when they are not cached (random crops): encodes the batch's images.
    public var encodeLatents: (([CaptionRecord], Generator) throws -> Tensor)?

    public init(config: TrainingConfig, method: TrainingMethod, dataset: EncodedDataset, run: RunFolder,
                hooks: Hooks = Hooks()) {
        self.config = config
        self.method = method
        self.dataset = dataset
        self.run = run
        self.hooks = hooks
    }

    /// Trains until `config.steps`, from scratch or from the latest checkpoint when `resume` is set.
    public func train(resume: Bool) throws -> Outcome {
        let trainable = method.trainableParameters
        guard !trainable.isEmpty else { throw ConfigError(field: "method", "\(method.name): nothing to train") }
        for (_, tensor) in trainable { try tensor.setRequiresGrad(true) }
        let parameters = trainable.map(\.tensor)
        let optimizer = try AdamW(parameters, lr: config.learningRate, betas: (config.adamBeta1, config.adamBeta2),
                                  eps: config.adamEpsilon, weightDecay: config.weightDecay)
        // One generator for every draw of the method (latents, noise, timesteps), one for augmentation.
        let generator = try Generator(seed: config.seed)
        let augmentation = try Generator(seed: config.seed &+ 1)
        let generators = ["training": generator, "augmentation": augmentation]
        var order = EpochOrder(count: dataset.records.count, seed: config.seed)
        let ema = try config.emaDecay.map { try EMAWeights(trainable, maxDecay: $0) }
        var step = 0
        if resume, let last = RunCheckpoint.completed(in: run).last {
            let folder = run.file("checkpoints/\(RunCheckpoint.folderName(step: last))")
            let state = try RunCheckpoint.restore(from: folder, method: method, optimizer: optimizer,
                                                  generators: generators, ema: ema)
            step = state.step
            order = EpochOrder(count: dataset.records.count, seed: config.seed, epoch: state.epoch, index: state.index)
        }
        let schedule = LearningRateSchedule(kind: config.lrSchedule, baseRate: config.learningRate,
                                            warmupSteps: config.warmupSteps, totalSteps: config.steps)
        let start = Date()
        let firstStep = step

        func checkpoint() throws {
            let state = RunState(step: step, epoch: order.epoch, index: order.index, method: method.name,
                                 trainableCount: trainable.count)
            let folder = try RunCheckpoint.write(run: run, state: state, trainable: trainable, optimizer: optimizer,
                                                 generators: generators, ema: ema, keep: config.keepCheckpoints)
            hooks.checkpointWritten(folder)
        }

        /// Validation images show the average when there is one, as diffusers' train_text_to_image does.
        func validate(_ step: Int) throws {
            guard let validation = hooks.validation else { return }
            if let ema { try ema.withAverage(in: trainable) { try validation(step) } } else { try validation(step) }
        }
        if step == 0, config.validationEvery != nil { try validate(0) }
        while step < config.steps {
            let stepStart = Date()
            optimizer.learningRate = schedule.rate(at: step)
            var sums: [String: Double] = [:]
            var lossSum = 0.0
            for _ in 0..<config.gradientAccumulation {
                let batch = try makeBatch(order.next(config.batchSize), generator: generator, augmentation: augmentation,
                                          step: step)
                let value = try method.loss(batch, generator: generator)
                // accelerate divides by the accumulation steps before backward (x / 1 is exact).
                try (value.loss / Double(config.gradientAccumulation)).backward()
                let loss = try value.loss.item()
                guard loss.isFinite else {
                    throw TrainingError("the loss is \(loss) at step \(step + 1); nothing after the last checkpoint "
                                        + "was saved (lower the learning rate or check the data)")
                }
                lossSum += loss
                for (name, term) in value.terms { sums[name, default: 0] += try term.item() }
            }
            let gradNorm = try gradientNorm(parameters)
            try optimizer.step()
            try optimizer.zeroGrad()
            try ema?.update(from: trainable)
            step += 1

            let seconds = Date().timeIntervalSince(stepStart)
            let n = Double(config.gradientAccumulation)
            let loss = lossSum / n
            hooks.progress(TrainingProgress(step: step, totalSteps: config.steps, stepsThisSession: step - firstStep, loss: loss,
                                            learningRate: optimizer.learningRate, stepSeconds: seconds,
                                            elapsedSeconds: Date().timeIntervalSince(start)))
            if step % config.logEvery == 0 || step == config.steps {
                var scalars = sums.mapValues { $0 / n }
                scalars["loss"] = loss
                scalars["lr"] = optimizer.learningRate
                scalars["grad_norm"] = gradNorm
                scalars["step_time"] = seconds
                scalars["images_per_second"] = Double(config.batchSize * config.gradientAccumulation) / max(seconds, 1e-9)
                try hooks.metrics(step, scalars)
            }
            if let every = config.validationEvery, step % every == 0 || step == config.steps {
                try validate(step)
            }
            if step % config.checkpointEvery == 0 || step == config.steps {
                try checkpoint()
            } else if hooks.shouldStop() {
                try checkpoint()
                return .stopped(step: step)
            }
            if hooks.shouldStop() { return .stopped(step: step) }
        }
        // The finished run's tensors become the average (after the last checkpoint, which keeps both), so the
        // export writes it, as diffusers' `ema_unet.copy_to` before `save_pretrained`.
        try ema?.copy(to: trainable)
        return .finished(step: step)
    }

    /// The gradient norm before the optimizer step: clipped to `max_grad_norm` when set (the returned value is
    /// the norm before clipping, as torch's clip_grad_norm_), else only measured.
    func gradientNorm(_ parameters: [Tensor]) throws -> Double {
        if let maxNorm = config.maxGradNorm {
            return try clipGradNorm(parameters, maxNorm: maxNorm).item()
        }
        return try Tensor.withNoGrad {
            let squares = try parameters.compactMap { try $0.grad() }.map { try $0.to(.float32).square().sum() }
            guard let first = squares.first else { return 0 }
            return try squares.dropFirst().reduce(first) { try $0 + $1 }.sqrt().item()
        }
    }

    /// The micro-batch of these examples: cached (or freshly encoded) latents, a flip chosen per example when
    /// flipping is on (torch's RandomHorizontalFlip draw, from the augmentation generator), embeddings.
    func makeBatch(_ indices: [Int], generator: Generator, augmentation: Generator, step: Int = 0) throws -> TrainingBatch {
        let records = indices.map { dataset.records[$0] }
        let latentParameters: Tensor
        if let latents = dataset.latents {
            latentParameters = try Tensor.stack(indices.map { index in
                if let flipped = dataset.flippedLatents, try Tensor.rand([1], generator: augmentation).item() < 0.5 {
                    return flipped[index]
                }
                return latents[index]
            })
        } else if let encodeLatents {
            latentParameters = try encodeLatents(records, augmentation)
        } else {
            throw TrainingError("latents are not cached and no encoder was given")
        }
        var embeddings: [String: Tensor] = [:]
        for record in records {
            for text in method.texts(for: record) { embeddings[text] = dataset.embeddings[text] }
        }
        return TrainingBatch(records: records, latentParameters: latentParameters, embeddings: embeddings, step: step)
    }
}

public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
