import Foundation
import RunLogs
import Torch
import Training

/// One pre-training stage that draws its own data: the tensors it trains and the loss of a step's examples.
public protocol WorldStage: AnyObject {
    /// Recorded in checkpoints; a checkpoint resumes only into its stage.
    var name: String { get }
    /// The optimizer's parameters by name, in a fixed order.
    var trainableParameters: [(name: String, tensor: Tensor)] { get }
    /// The loss of examples `indices` of the stage's endless stream. Random draws come from `generator` only.
    func loss(examples indices: Range<Int>, generator: Generator) throws -> StepLoss
}

/// Lets the engine's `RunCheckpoint` save and restore a stage (it only reads the name and the tensors).
final class StageCheckpointMethod: TrainingMethod {
    let name: String
    let trainableParameters: [(name: String, tensor: Tensor)]
    init(_ stage: WorldStage) {
        name = "world-" + stage.name
        trainableParameters = stage.trainableParameters
    }
    func loss(_ batch: TrainingBatch, generator: Generator) throws -> StepLoss {
        throw TrainingError("world stages draw their own batches")
    }
    func export(to run: RunFolder) throws {}
}

/// The loop of the rendered stages, with the engine's pieces: AdamW, `LearningRateSchedule`, gradient
/// clipping, `RunCheckpoint` (trainable tensors, optimizer state, generator state, step), metrics.jsonl
/// through RunLogs. Step s trains on examples [s * B, (s + 1) * B), so resuming from a checkpoint at step k
/// continues bit for bit: same data, same generator state, same optimizer moments.
public final class StageLoop {
    public struct Progress: Sendable {
        public let stage: String
        public let step: Int
        public let totalSteps: Int
        public let loss: Double
        public let stepSeconds: Double
    }

    public enum Outcome: Equatable, Sendable {
        case finished(step: Int)
        case stopped(step: Int)
    }

    public let stage: WorldStage
    public let settings: StageSettings
    public let run: RunFolder
    public let seed: UInt64
    public var progress: (Progress) -> Void = { _ in }
    /// Polled after each step: true checkpoints and stops (time budget, step budget, signals).
    public var shouldStop: (Int) -> Bool = { _ in false }

    public init(stage: WorldStage, settings: StageSettings, run: RunFolder, seed: UInt64) {
        self.stage = stage
        self.settings = settings
        self.run = run
        self.seed = seed
    }

    /// The step of the latest complete checkpoint (0 when none).
    public var completedStep: Int { RunCheckpoint.completed(in: run).last ?? 0 }

    public func train(resume: Bool) throws -> Outcome {
        let method = StageCheckpointMethod(stage)
        let trainable = method.trainableParameters
        for (_, tensor) in trainable { try tensor.setRequiresGrad(true) }
        let parameters = trainable.map(\.tensor)
        let optimizer = try AdamW(parameters, lr: settings.learningRate, weightDecay: settings.weightDecay)
        let generator = try Generator(seed: seed)
        let generators = ["training": generator]
        var step = 0
        if resume, let last = RunCheckpoint.completed(in: run).last {
            let folder = run.file("checkpoints/\(RunCheckpoint.folderName(step: last))")
            step = try RunCheckpoint.restore(from: folder, method: method, optimizer: optimizer,
                                             generators: generators).step
        }
        guard step < settings.steps else { return .finished(step: step) }
        let kind = LearningRateScheduleKind(rawValue: settings.schedule) ?? .constant
        let schedule = LearningRateSchedule(kind: kind, baseRate: settings.learningRate,
                                            warmupSteps: settings.warmupSteps, totalSteps: settings.steps)
        let metrics = try JSONLMetricsWriter(path: run.metricsPath, resumeFrom: resume ? step : nil)
        defer { try? metrics.close() }

        func checkpoint() throws {
            // RunState has no public memberwise initializer: built through its Codable form.
            let json: [String: Any] = ["step": step, "epoch": 0, "index": step * settings.batchSize,
                                       "method": method.name, "trainable_count": trainable.count]
            let state = try JSONDecoder().decode(RunState.self, from: JSONSerialization.data(withJSONObject: json))
            _ = try RunCheckpoint.write(run: run, state: state, trainable: trainable, optimizer: optimizer,
                                        generators: generators, keep: settings.keepCheckpoints)
        }

        while step < settings.steps {
            let start = Date()
            optimizer.learningRate = schedule.rate(at: step)
            let first = step * settings.batchSize
            let value = try stage.loss(examples: first..<(first + settings.batchSize), generator: generator)
            try value.loss.backward()
            let loss = try value.loss.item()
            guard loss.isFinite else {
                throw TrainingError("\(stage.name): the loss is \(loss) at step \(step + 1)")
            }
            let gradNorm: Double
            if let maxNorm = settings.maxGradNorm {
                gradNorm = try clipGradNorm(parameters, maxNorm: maxNorm).item()
            } else {
                gradNorm = .nan
            }
            try optimizer.step()
            try optimizer.zeroGrad()
            step += 1
            let seconds = Date().timeIntervalSince(start)
            progress(Progress(stage: stage.name, step: step, totalSteps: settings.steps, loss: loss, stepSeconds: seconds))
            if step % settings.logEvery == 0 || step == settings.steps {
                var scalars = try value.terms.mapValues { try $0.item() }
                scalars["loss"] = loss
                scalars["lr"] = optimizer.learningRate
                if gradNorm.isFinite { scalars["grad_norm"] = gradNorm }
                scalars["step_time"] = seconds
                try metrics.log(step: step, scalars)
            }
            if step % settings.checkpointEvery == 0 || step == settings.steps {
                try checkpoint()
            } else if shouldStop(step) {
                try checkpoint()
                return .stopped(step: step)
            }
            if shouldStop(step), step < settings.steps { return .stopped(step: step) }
        }
        return .finished(step: step)
    }
}
