import ArgumentParser
import Foundation
import Synchronization
import Torch
import Training

/// `spf train`: fine-tune a Stable Diffusion 1.5 model (naive or LoRA) from a TOML configuration and flags.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a Stable Diffusion 1.5 UNet: naive (all or cross-attention weights), LoRA, or SPF-Portrait.",
        discussion: """
            Settings come from --config (TOML, snake_case keys as in the run's saved config.json), then from the \
            flags below, then from --set key=value (any field, e.g. --set lora.rank=16 --set snr_gamma=5). The \
            resolved configuration is saved as RUN_DIR/config.json. The dataset folder holds the images and \
            metadata.jsonl (file_name + text, or base + target [+ mode, replaces]); every bad row is listed \
            before anything starts. Checkpoints go to RUN_DIR/checkpoints every checkpoint_every steps; \
            Ctrl-C or SIGTERM writes one at the current step and stops; --resume continues from the last one \
            (the result is bit-identical to an uninterrupted run on the same machine). Outputs: RUN_DIR/model \
            (a diffusers folder) for naive tuning, LoRA files for LoRA; metrics in RUN_DIR/metrics.jsonl.
            """
    )

    @Option(help: "A TOML configuration file.")
    var config: String?
    @Option(help: "A diffusers folder or an original single-file SD 1.5 checkpoint (.safetensors).")
    var model: String?
    @Option(help: "For a single-file model: a tokenizer folder (or bpe_simple_vocab_16e6.txt.gz).")
    var tokenizer: String?
    @Option(help: "The dataset folder (images + metadata.jsonl).")
    var data: String?
    @Option(help: "The run folder.")
    var out: String?
    @Option(help: "naive, lora or spf (SPF-Portrait: stage 1 then the dual-path stage 2; docs/method.md).")
    var method: String?
    @Option(help: "For spf: start stage 2 from a finished stage-1 run (its last checkpoint) instead of running stage 1.")
    var initFrom: String?
    @Option(help: "For naive: all or cross_attention.")
    var trainable: String?
    @Option(help: "Optimizer steps.")
    var steps: Int?
    @Option(help: "Examples per micro-batch.")
    var batchSize: Int?
    @Option(help: "Peak learning rate.")
    var learningRate: Double?
    @Option(help: "Random seed (noise, timesteps, data order, adapter initialization).")
    var seed: UInt64?
    @Option(name: .customLong("set"), parsing: .singleValue, help: "Any configuration field: key=value (repeatable).")
    var settings: [String] = []
    @Flag(help: "Continue the run in --out from its last checkpoint.")
    var resume = false
    @Flag(help: "Start over in a folder that already holds a run.")
    var overwrite = false
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.apply()
        guard !(resume && overwrite) else { throw InputError("--resume and --overwrite exclude each other") }
        let resolved = try resolveConfiguration()
        var session = TrainingSession(config: resolved, resume: resume, overwrite: overwrite)
        let stderr = FileHandle.standardError
        session.log = { stderr.write(Data(("spf train: " + $0 + "\n").utf8)) }
        let encoding = ProgressReporter(label: "encoding")
        session.encodingProgress = { done, total, what in if what == "latents" { encoding.update(done, of: total) } }
        session.hooks.progress = { progress in
            let line = String(format: "\rstep %d/%d loss %.4f lr %.2e %.2fs/step eta %@", progress.step, progress.totalSteps,
                              progress.loss, progress.learningRate, progress.stepSeconds,
                              ProgressReporter.clock(progress.etaSeconds))
            stderr.write(Data((line + (progress.step == progress.totalSteps ? "\n" : "")).utf8))
        }
        let stop = StopRequest()
        session.hooks.shouldStop = { stop.isRequested }
        let result = try session.run()
        switch result.outcome {
        case .finished(let step):
            print("finished \(step) steps: \(result.run.path)")
        case .stopped(let step):
            let message = "\nspf train: stopped at step \(step) (\(stop.signalName ?? "signal")); checkpoint written. "
                + "Continue with: spf train --out \(result.run.path) --resume\n"
            stderr.write(Data(message.utf8))
            throw ExitCode(stop.signalNumber.map { 128 + $0 } ?? 1)
        }
    }

    /// Defaults < --config < flags < --set. When resuming, the run's saved config.json is the base and only
    /// settings that do not change the math may be given again.
    func resolveConfiguration() throws -> TrainingConfig {
        var overrides: [ConfigResolution.Override] = []
        func flag(_ key: String, _ value: String?) {
            if let value { overrides.append(.init(key: key, value: value, source: "--" + key.replacingOccurrences(of: "_", with: "-"))) }
        }
        flag("model", model.map(jsonString))
        flag("tokenizer", tokenizer.map(jsonString))
        flag("data", data.map(jsonString))
        flag("out", out.map(jsonString))
        flag("method", method.map(jsonString))
        flag("trainable", trainable.map(jsonString))
        flag("init_from", initFrom.map(jsonString))
        flag("steps", steps.map(String.init))
        flag("batch_size", batchSize.map(String.init))
        flag("learning_rate", learningRate.map { "\($0)" })
        flag("seed", seed.map(String.init))
        for setting in settings {
            guard let equals = setting.firstIndex(of: "=") else {
                throw ConfigError(source: "--set \(setting)", "expected key=value")
            }
            overrides.append(.init(key: String(setting[..<equals]), value: String(setting[setting.index(after: equals)...]),
                                   source: "--set"))
        }
        if resume {
            guard let out else { throw InputError("--resume needs --out RUN_DIR") }
            let saved = (out as NSString).appendingPathComponent("config.json")
            return try ConfigResolution.resolveResumed(savedConfig: saved, overrides: overrides.filter { $0.key != "out" })
        }
        return try ConfigResolution.resolve(file: config, overrides: overrides)
    }

    /// A flag's text as a JSON string literal (so that "123" stays a string for path fields).
    func jsonString(_ text: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed]), encoding: .utf8)!
    }
}

/// The last SIGINT/SIGTERM received while a `StopRequest` is installed (0: none). A signal handler may only
/// touch async-signal-safe state, so this one atomic is the process-wide fact it records.
private let pendingSignal = Atomic<Int32>(0)

/// SIGINT / SIGTERM turn into a request the training loop polls after each step: the handler only stores the
/// signal number; the loop then writes a checkpoint and stops. The previous actions come back on deinit.
final class StopRequest: @unchecked Sendable {
    private var previous: [Int32: sigaction] = [:]

    init() {
        pendingSignal.store(0, ordering: .relaxed)
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { pendingSignal.store($0, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            if sigaction(number, &action, &old) == 0 { previous[number] = old }
        }
    }

    deinit {
        for (number, var old) in previous { sigaction(number, &old, nil) }
    }

    var signalNumber: Int32? {
        let number = pendingSignal.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }
    var isRequested: Bool { signalNumber != nil }
    var signalName: String? { signalNumber.map { $0 == SIGINT ? "SIGINT" : $0 == SIGTERM ? "SIGTERM" : "signal \($0)" } }
}
