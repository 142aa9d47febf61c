import ArgumentParser
import Foundation
import PortraitWorld
import WorldModels

/// `spf world pretrain`: the world's foundation models, trained from scratch by this project's code.
struct WorldPretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Train the world's VAE, CLIP, UNet and attribute probe from scratch (resumable).",
        discussion: """
            Stages run in the order vae, clip, unet, probe (the UNet needs the trained VAE and CLIP text tower). \
            Each stage checkpoints under DIR/stages/<stage>/ and logs metrics.jsonl; --minutes stops the run \
            cleanly (checkpoint) when the budget is spent, and --resume continues exactly where it stopped. \
            Writes DIR/pipeline (diffusers folder for spf generate / spf train), DIR/clip (transformers CLIPModel) \
            and DIR/probe, plus DIR/manifest.json with every command that built the folder \
            (docs/portrait-world.md).
            """
    )

    @Option(help: "The run folder (created; with --resume, the run to continue).")
    var out: String

    @Option(help: "vae, clip, unet, probe or all.")
    var stage = "all"

    @Option(help: "Wall-clock budget of this invocation in minutes; the running stage checkpoints and stops.")
    var minutes: Double?

    @Option(help: "Steps of every stage (a new run only; default: the standard plan's).")
    var steps: Int?

    @Option(help: "Model sizes of a new run: standard or tiny (tests).")
    var size = "standard"

    @Option(help: "Seed of a new run (data streams and initializations).")
    var seed: UInt64 = 0

    @Option(help: "open_clip's bpe_simple_vocab_16e6.txt.gz (default: $SPF_CLIP_VOCAB or .cache/clip/...).")
    var vocabulary: String?

    @Flag(help: "Continue the run in --out (its plan.json decides sizes and steps).")
    var resume = false

    @Option(help: "With --resume: continue the trained UNet for this many more steps (a new phase, its own schedule).")
    var extendUnet: Int?

    @Option(help: "Peak learning rate of the --extend-unet phase (default: half the UNet stage's).")
    var extendLearningRate: Double?

    func run() throws {
        let stages: Set<WorldStageName>
        if stage == "all" {
            stages = Set(WorldStageName.allCases)
        } else if let one = WorldStageName(rawValue: stage) {
            stages = [one]
        } else {
            throw InputError("unknown --stage \"\(stage)\" (vae, clip, unet, probe or all)")
        }
        if resume, steps != nil || size != "standard" {
            throw InputError("--steps and --size are fixed when a run starts; --resume reads them from plan.json")
        }
        var plan: WorldModelPlan?
        if !resume {
            var p: WorldModelPlan
            switch size {
            case "standard": p = try WorldModelPlan.standard()
            case "tiny": p = try WorldModelPlan.tiny()
            default: throw InputError("unknown --size \"\(size)\" (standard or tiny)")
            }
            p.seed = seed
            if let steps {
                guard steps > 0 else { throw InputError("--steps must be positive") }
                for keyPath in [\WorldModelPlan.vaeTraining, \.clipTraining, \.unetTraining, \.probeTraining] {
                    p[keyPath: keyPath].steps = steps
                    // A short run keeps its warm-up within the first tenth of its steps.
                    p[keyPath: keyPath].warmupSteps = min(p[keyPath: keyPath].warmupSteps, steps / 10)
                }
            }
            plan = p
        }
        let pretraining: WorldPretraining
        do {
            pretraining = try WorldPretraining(out: out, plan: plan, resume: resume,
                                               vocabulary: vocabulary ?? CLIPVocabularyFiles.defaultPath())
        } catch let error as WorldError {
            throw InputError(error.description)
        }
        let stderr = FileHandle.standardError
        pretraining.log = { stderr.write(Data(("spf world pretrain: " + $0 + "\n").utf8)) }
        if let extendUnet {
            guard resume else { throw InputError("--extend-unet continues a trained run: give --resume") }
            guard extendUnet > 0 else { throw InputError("--extend-unet must be positive") }
            guard stages.contains(.unet) else { throw InputError("--extend-unet trains the unet stage: use --stage unet or all") }
            var settings = pretraining.plan.unetTraining
            settings.steps = extendUnet
            settings.learningRate = extendLearningRate ?? settings.learningRate / 2
            guard settings.learningRate > 0, settings.learningRate.isFinite else {
                throw InputError("--extend-learning-rate must be positive")
            }
            settings.warmupSteps = min(settings.warmupSteps, extendUnet / 10)
            do { try pretraining.extendUNet(settings) } catch let error as WorldError { throw InputError(error.description) }
        } else if extendLearningRate != nil {
            throw InputError("--extend-learning-rate goes with --extend-unet")
        }
        let start = Date()
        pretraining.progress = { p in
            let line = String(format: "\r%@ step %d/%d loss %.4f %.2fs/step elapsed %@", p.stage, p.step, p.totalSteps,
                              p.loss, p.stepSeconds, ProgressReporter.clock(Date().timeIntervalSince(start)))
            stderr.write(Data((line + (p.step == p.totalSteps ? "\n" : "")).utf8))
        }
        let stop = StopRequest()
        let deadline = minutes.map { start.addingTimeInterval($0 * 60) }
        pretraining.shouldStop = { stop.isRequested || deadline.map { Date() >= $0 } ?? false }
        let command = (["spf"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let outcome = try pretraining.run(stages)
        try pretraining.recordInvocation(command: command, seconds: Date().timeIntervalSince(start), outcome: outcome)
        switch outcome {
        case .finished:
            print("finished: \(pretraining.out)")
        case .stopped(let stage, let step):
            let message = "\nspf world pretrain: \(stage.rawValue) stopped at step \(step); checkpoint written. "
                + "Continue with: spf world pretrain --out \(out) --resume\n"
            stderr.write(Data(message.utf8))
            if let number = stop.signalNumber { throw ExitCode(128 + number) }
        }
    }
}
