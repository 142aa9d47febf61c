import Foundation
import RunLogs
import Torch

/// One `spf train` invocation from a resolved configuration to exported outputs, in the order that loses
/// nothing: the configuration and the whole dataset are checked before anything is written, the run
/// folder is prepared (refusing to reuse a finished run unless resuming or overwriting), the resolved
/// configuration is saved, the model loaded, encodings cached, the loop run, and the outputs exported.
public struct TrainingSession {
    public var config: TrainingConfig
    public var resume: Bool
    public var overwrite: Bool
    /// Status lines for the user (stderr in the CLI).
    public var log: (String) -> Void = { _ in }
    /// Progress of encoding: (done, total, what).
    public var encodingProgress: (Int, Int, String) -> Void = { _, _, _ in }
    public var hooks = Trainer.Hooks()
    /// Builds the method for the loaded models (default: naive, LoRA or SPF from the configuration).
    public var makeMethod: (TrainingModels, TrainingConfig) throws -> TrainingMethod = {
        $1.method == .spf ? try SPFMethod(models: $0, config: $1) : try StandardFineTuning(models: $0, config: $1)
    }

    public init(config: TrainingConfig, resume: Bool = false, overwrite: Bool = false) {
        self.config = config
        self.resume = resume
        self.overwrite = overwrite
    }

    public struct Result {
        public let outcome: Trainer.Outcome
        public let run: RunFolder
        public let report: EncodedDataset.Report
    }

    public func run() throws -> Result {
        try config.validate()
        try ModelFolderExport.check(config)
        let records = try MetadataFile.read(dataset: config.data)
        let images = ImageSource(config: config)
        let problems = images.check(records)
        guard problems.isEmpty else {
            throw DatasetError(file: (config.data as NSString).appendingPathComponent(MetadataFile.name), problems: problems)
        }
        let existed = FileManager.default.fileExists(atPath: config.out)
        let run = try RunFolder.prepare(path: config.out, resume: resume, overwrite: overwrite)
        log("loading \(config.model)")
        let models: TrainingModels
        let method: TrainingMethod
        do {
            models = try TrainingModels.load(config)
            method = try makeMethod(models, config)
        } catch {
            // A model or method that cannot be set up leaves no half-made run behind.
            if !existed { try? FileManager.default.removeItem(atPath: run.path) }
            throw error
        }
        if !resume {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try run.writeAtomically(try encoder.encode(config), to: "config.json")
        }
        if let spf = method as? SPFMethod { for note in spf.notes { log(note) } }
        log("encoding \(records.count) images and their texts (cache: \(config.cacheDirectory ?? run.defaultCachePath))")
        let (dataset, report) = try EncodedDataset.build(
            records: records, models: models, config: config, texts: method.texts(for:),
            cacheDirectory: config.cacheDirectory ?? run.defaultCachePath, pixels: images.pixels(_:flip:),
            imageHash: images.contentHash(_:), progress: encodingProgress)
        for note in report.notes { log(note) }
        log("latents: \(report.latentsReused) cached, \(report.latentsEncoded) encoded; texts: \(report.textsReused) "
            + "cached, \(report.textsEncoded) encoded")
        // Metrics go to metrics.jsonl and TensorBoard; a resumed run drops what was logged after its checkpoint.
        let resumeStep = resume ? RunCheckpoint.completed(in: run).last : nil
        let sinks = MultiSink([try JSONLMetricsWriter(path: run.metricsPath, resumeFrom: resumeStep),
                               try TensorBoardEventWriter(directory: run.tensorboardPath, resumeFrom: resumeStep)])
        defer { try? sinks.close() }
        var loopHooks = hooks
        loopHooks.metrics = { step, scalars in
            try sinks.log(step: step, scalars)
            try hooks.metrics(step, scalars)
        }
        if config.validationEvery != nil, !config.validationPrompts.isEmpty {
            let validation = ValidationImages(pipeline: models.pipeline, config: config, run: run, spf: method as? SPFMethod)
            loopHooks.validation = { step in
                let path = try step == 0 ? validation.start() : validation(step: step)
                self.log("validation images: \(path)")
                try hooks.validation?(step)
            }
        }
        let trainer = Trainer(config: config, method: method, dataset: dataset, run: run, hooks: loopHooks)
        trainer.encodeLatents = { records, generator in
            try Tensor.withNoGrad {
                try models.vae.encode(Tensor.stack(records.map {
                    try images.randomPixels($0, generator: generator)
                })).parameters
            }
        }
        let outcome = try trainer.train(resume: resume)
        if case .finished = outcome {
            try method.export(to: run)
        }
        return Result(outcome: outcome, run: run, report: report)
    }
}
