import CLIP
import Diffusion
import Foundation
import NN
import PortraitWorld
import SafeTensors
import Schedulers
import StableDiffusion
import Tokenizers
import Torch
import Training

/// The four foundation models, trained in this order.
public enum WorldStageName: String, CaseIterable, Codable, Sendable {
    case vae, clip, unet, probe
}

/// `spf world pretrain`: trains the world's foundation models from scratch, stage by stage, with
/// checkpoints and exact resume, and writes the shipped layout:
///
/// ```
/// DIR/pipeline/   diffusers folder (unet, vae, text_encoder = CLIP's text tower, tokenizer, scheduler, model_index.json)
/// DIR/clip/       transformers CLIPModel folder (config.json, model.safetensors, preprocessor_config.json)
/// DIR/probe/      the attribute probe (config.json, model.safetensors)
/// DIR/plan.json   sizes and training settings (read back by --resume)
/// DIR/manifest.json, DIR/README.md   the commands that made the folder, and what each stage reached
/// DIR/stages/<stage>/   run folders: config.json, checkpoints/, metrics.jsonl, model.safetensors when done
/// DIR/data/pretrain/    the UNet stage's pre-training set (the engine trains on metadata.jsonl folders)
/// ```
public final class WorldPretraining {
    public let out: String
    public private(set) var plan: WorldModelPlan
    public let vocabulary: String
    public var log: (String) -> Void = { _ in }
    public var progress: (StageLoop.Progress) -> Void = { _ in }
    /// Polled after every step of every stage; true checkpoints the current stage and stops the run.
    public var shouldStop: () -> Bool = { false }

    public enum Outcome: Equatable, Sendable {
        case finished
        case stopped(stage: WorldStageName, step: Int)
    }

    /// A new run (DIR must not hold one) or, with `resume`, the run DIR holds (its plan.json).
    public init(out: String, plan: WorldModelPlan?, resume: Bool, vocabulary: String) throws {
        self.out = out
        self.vocabulary = vocabulary
        let planPath = (out as NSString).appendingPathComponent("plan.json")
        let manager = FileManager.default
        if resume {
            guard manager.fileExists(atPath: planPath) else {
                throw WorldError("\(out) holds no pretraining run to resume (no plan.json)")
            }
            self.plan = try JSONDecoder().decode(WorldModelPlan.self, from: Data(contentsOf: URL(fileURLWithPath: planPath)))
        } else {
            guard !manager.fileExists(atPath: planPath) else {
                throw WorldError("\(out) already holds a pretraining run; give --resume to continue it")
            }
            guard let plan else { throw WorldError("a new run needs a plan") }
            self.plan = plan
            try manager.createDirectory(atPath: out, withIntermediateDirectories: true)
            try writeJSON(plan, to: planPath)
        }
        guard manager.fileExists(atPath: vocabulary) else {
            throw WorldError("the CLIP vocabulary \(vocabulary) does not exist (scripts/setup.sh downloads it; "
                             + "--vocabulary or $SPF_CLIP_VOCAB name another copy)")
        }
    }

    public func path(_ relative: String) -> String { (out as NSString).appendingPathComponent(relative) }
    func stageFolder(_ stage: WorldStageName) -> String { path("stages/\(stage.rawValue)") }
    func finalWeights(_ stage: WorldStageName) -> String {
        stage == .unet ? path(plan.unetPhases[plan.unetPhases.count - 1].folder + "/model")
            : path("stages/\(stage.rawValue)/model.safetensors")
    }
    public func isFinished(_ stage: WorldStageName) -> Bool { FileManager.default.fileExists(atPath: finalWeights(stage)) }

    public func tokenizer() throws -> CLIPTokenizer { try CLIPTokenizer(openCLIPVocabulary: vocabulary) }

    /// Runs `stages` (in the fixed order) until each is finished or `shouldStop` says stop, then writes the
    /// shipped folders for every finished part.
    public func run(_ stages: Set<WorldStageName>) throws -> Outcome {
        var outcome = Outcome.finished
        for stage in WorldStageName.allCases where stages.contains(stage) {
            if isFinished(stage) {
                log("\(stage.rawValue): already trained")
                continue
            }
            let result: (finished: Bool, step: Int)
            switch stage {
            case .vae: result = try trainVAE()
            case .clip: result = try trainCLIP()
            case .unet: result = try trainUNet()
            case .probe: result = try trainProbe()
            }
            if !result.finished {
                outcome = .stopped(stage: stage, step: result.step)
                log("\(stage.rawValue): stopped at step \(result.step); run again with --resume to continue")
                break
            }
        }
        try writeShippedFolders()
        return outcome
    }

    // MARK: - Stages

    func factory(_ stage: WorldStageName) throws -> ParameterFactory {
        let offset: UInt64 = switch stage { case .vae: 1; case .clip: 2; case .unet: 3; case .probe: 4 }
        return ParameterFactory(generator: try Generator(seed: plan.seed &* 1000 &+ offset))
    }

    func runLoop(_ worldStage: WorldStage, _ name: WorldStageName, _ settings: StageSettings) throws -> (Bool, Int) {
        let folder = stageFolder(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let run = RunFolder(path: folder)
        if !run.holdsRun { try writeJSON(settings, to: run.configPath) }
        let loop = StageLoop(stage: worldStage, settings: settings, run: run, seed: plan.seed &+ 17)
        let resume = loop.completedStep > 0
        log("\(name.rawValue): \(resume ? "resuming at step \(loop.completedStep)" : "training from scratch") to "
            + "\(settings.steps) steps, batch \(settings.batchSize), \(parameterCount(worldStage)) parameters")
        loop.progress = progress
        loop.shouldStop = { _ in self.shouldStop() }
        switch try loop.train(resume: resume) {
        case .finished(let step): return (true, step)
        case .stopped(let step): return (false, step)
        }
    }

    func parameterCount(_ stage: WorldStage) -> Int { stage.trainableParameters.reduce(0) { $0 + $1.tensor.numel } }

    /// A plan field of weights per label name (`vae_label_weights`, `unet_label_weights`), checked.
    func labelWeights(_ values: [String: Double]?, field: String) throws -> [PortraitLabel: Double] {
        var labelWeights: [PortraitLabel: Double] = [:]
        for (name, weight) in values ?? [:] {
            guard let label = PortraitLabel.allCases.first(where: { $0.name == name }) else {
                throw WorldError("\(path("plan.json")): \(field) names \"\(name)\", which is not a label "
                                 + "(\(PortraitLabel.allCases.map(\.name).joined(separator: ", ")))")
            }
            guard weight.isFinite, weight > 0 else {
                throw WorldError("\(path("plan.json")): \(field).\(name) must be a positive number, got \(weight)")
            }
            labelWeights[label] = weight
        }
        return labelWeights
    }

    func trainVAE() throws -> (finished: Bool, step: Int) {
        let labelWeights = try labelWeights(plan.vaeLabelWeights, field: "vae_label_weights")
        let vae = try AutoencoderKL(plan.vae, factory: factory(.vae))
        let examples = try RenderedExamples(kind: .pretraining, seed: plan.seed)
        let stage = VAEStage(vae: vae, examples: examples, klWeight: plan.klWeight, labelWeights: labelWeights)
        let (finished, step) = try runLoop(stage, .vae, plan.vaeTraining)
        guard finished else { return (false, step) }
        var config = plan.vae
        let n = plan.evaluationImages
        config.scalingFactor = try stage.latentScale(0..<min(n, 64), generator: Generator(seed: plan.seed &+ 23))
        let psnr = try stage.psnr(0..<n, of: examples.heldOut())
        try writeJSON(config, to: path("stages/vae/vae_config.json"))
        try writeSummary(.vae, ["psnr_held_out": psnr, "evaluation_images": Double(n), "scaling_factor": config.scalingFactor])
        try SafeTensors.save(vae.stateDict(), metadata: ["format": "pt"], to: finalWeights(.vae))
        log(String(format: "vae: held-out PSNR %.2f dB, scaling factor %.4f", psnr, config.scalingFactor))
        return (true, step)
    }

    /// Texts whose tokens keep their embedding rows: pre-training captions, every target word and, with target
    /// pairs, their captions (the targets' phrases: "wearing", ...).
    func worldTexts(_ examples: RenderedExamples) throws -> [String] {
        let count = plan.evaluationImages < 64 ? 200 : 2000
        let targetCaptions = (plan.clipTargetPairs ?? 0) > 0 ? try (0..<count).map { try examples.targetPair($0).example.caption.text } : []
        return try (0..<count).map { try examples.example($0).caption.text } + PortraitTarget.allCases.flatMap(\.words) + [""] + targetCaptions
    }

    func trainCLIP() throws -> (finished: Bool, step: Int) {
        let counterparts = plan.clipCounterparts ?? false
        let targetShare = plan.clipTargetPairs ?? 0
        guard (0...1).contains(targetShare) else { throw WorldError("\(path("plan.json")): clip_target_pairs \(targetShare) is not a share in [0, 1]") }
        guard targetShare == 0 || counterparts else { throw WorldError("\(path("plan.json")): clip_target_pairs needs clip_counterparts") }
        let parameters = try factory(.clip)
        let clip = try CLIPModel(plan.clip, factory: parameters)
        let tokenizer = try tokenizer()
        let examples = try RenderedExamples(kind: .pretraining, seed: plan.seed)
        let kept = try CLIPStage.zeroUnusedTokens(clip, tokenizer: tokenizer, texts: worldTexts(examples))
        log("clip: \(kept) of \(plan.clip.textConfig.vocabSize) token embeddings in use (the others are zero)")
        // The heads draw their initial weights after CLIP's, so a plan without them (weight 0 or absent, where none
        // are built) initializes CLIP as before.
        let attributeWeight = plan.clipCaptionAttributes ?? 0
        let heads = attributeWeight > 0
            ? try CaptionAttributeHeads(hidden: plan.clip.textConfig.hiddenSize, factory: parameters) : nil
        let stage = CLIPStage(clip: clip, tokenizer: tokenizer, examples: examples, counterparts: counterparts,
                              targetShare: targetShare, attributeHeads: heads, attributeWeight: attributeWeight)
        let (finished, step) = try runLoop(stage, .clip, plan.clipTraining)
        guard finished else { return (false, step) }
        let group = min(32, plan.evaluationImages)
        let heldOut = try examples.heldOut()
        let accuracy = try stage.retrievalAccuracy(0..<plan.evaluationImages, of: heldOut, batchSize: group)
        let pairs = try stage.counterpartAccuracy(0..<plan.evaluationImages, of: heldOut, batchSize: group)
        var summary = ["retrieval_top1_held_out": accuracy, "retrieval_group": Double(group),
                       "counterpart_accuracy_held_out": pairs.overall]
            .merging(pairs.perAttribute.map { ("counterpart_accuracy_" + $0.key, $0.value) }) { a, _ in a }
        // Whether the text tower reads the target words: at chance (0.5) for a CLIP that never saw them.
        let targets = try stage.counterpartAccuracy(0..<plan.evaluationImages, of: heldOut, batchSize: group, targetShare: 1)
        summary["target_pair_accuracy_held_out"] = targets.overall
        summary.merge(targets.perAttribute.map { ("target_pair_accuracy_" + $0.key, $0.value) }) { a, _ in a }
        if let stated = try stage.captionAttributeAccuracy(0..<plan.evaluationImages, of: heldOut) {
            summary["caption_attribute_accuracy_held_out"] = stated
        }
        try writeSummary(.clip, summary)
        try SafeTensors.save(clip.stateDict(), metadata: ["format": "pt"], to: finalWeights(.clip))
        log(String(format: "clip: held-out caption->image top-1 among %d: %.1f%%; own image above its counterpart: %.1f%%; "
                   + "with or without the target: %.1f%%", group, 100 * accuracy, 100 * pairs.overall, 100 * targets.overall))
        return (true, step)
    }

    func trainProbe() throws -> (finished: Bool, step: Int) {
        let heads = Set(AttributeClass.all.map(\.name))
        if let unknown = plan.probeRendersOnly?.first(where: { !heads.contains($0) }) {
            throw WorldError("\(path("plan.json")): probe_renders_only names \"\(unknown)\", which is not an attribute head "
                             + "(\(heads.sorted().joined(separator: ", ")))")
        }
        if plan.probeVisibleTargets == true, plan.probeReconstructionTargets == false {
            throw WorldError("\(path("plan.json")): probe_visible_targets relabels the target heads' reconstructions, "
                             + "but probe_reconstruction_targets false keeps those heads off them; set one of the two")
        }
        let probe = try AttributeProbe(plan.probe, factory: factory(.probe))
        let examples = try RenderedExamples(kind: .probe, seed: plan.seed)
        var vae: AutoencoderKL?
        if let share = plan.probeReconstructions, share > 0 {
            guard isFinished(.vae) else {
                throw WorldError("the probe stage trains on VAE reconstructions and needs the trained VAE (run --stage vae first)")
            }
            vae = try trainedVAE()
        }
        let stage = ProbeStage(probe: probe, examples: examples, vae: vae, reconstructionShare: plan.probeReconstructions ?? 0,
                               targetsOnReconstructions: plan.probeReconstructionTargets ?? true,
                               rendersOnly: Set(plan.probeRendersOnly ?? []),
                               visibleTargets: plan.probeVisibleTargets ?? false)
        let (finished, step) = try runLoop(stage, .probe, plan.probeTraining)
        guard finished else { return (false, step) }
        let accuracy = try ProbeAccuracy.measure(probe, on: examples.heldOut(), 0..<plan.evaluationImages)
        try writeJSON(accuracy, to: path("stages/probe/accuracy_held_out.json"))
        try writeSummary(.probe, ["attribute_accuracy_captioned": accuracy.captioned, "pixel_accuracy": accuracy.pixels,
                                  "attribute_accuracy_shown": accuracy.captionedShown ?? 0])
        try SafeTensors.save(probe.stateDict(), metadata: ["format": "pt"], to: finalWeights(.probe))
        log(String(format: "probe: held-out attribute accuracy %.1f%% (captioned and targets; %.1f%% where the image shows "
                   + "them), pixels %.1f%%", 100 * accuracy.captioned, 100 * (accuracy.captionedShown ?? 0), 100 * accuracy.pixels))
        return (true, step)
    }

    func trainUNet() throws -> (finished: Bool, step: Int) {
        guard isFinished(.vae), isFinished(.clip) else {
            throw WorldError("the unet stage needs the trained VAE and CLIP (run --stage vae and --stage clip first)")
        }
        if let decay = plan.unetEMADecay, !(decay > 0 && decay < 1) {
            throw WorldError("\(path("plan.json")): unet_ema_decay \(decay) is not in (0, 1)")
        }
        // Checked before anything is rendered; one instance for every phase, so each label map is read once.
        let weights = try labelWeights(plan.unetLabelWeights, field: "unet_label_weights")
        let data = path("data/pretrain")
        let cells = weights.isEmpty ? nil : LatentLabelWeights(folder: data, weights: weights)
        let dataset: WorldDataset
        do {
            dataset = try WorldDataset(kind: .pretrain, count: plan.unetImages, seed: plan.seed, styles: plan.unetStyles)
        } catch let error as WorldError {
            throw WorldError("\(path("plan.json")): unet_images / unet_styles: \(error.description)")
        }
        if FileManager.default.fileExists(atPath: data) { try checkDrawn(data, as: dataset) }
        let base = path("stages/unet-base")
        if !FileManager.default.fileExists(atPath: (base as NSString).appendingPathComponent("model_index.json")) {
            let unet = try UNet2DConditionModel(plan.unet, factory: factory(.unet))
            try writePipeline(unet: unet.stateDict(), to: base)
        }
        if !FileManager.default.fileExists(atPath: data) {
            log("unet: rendering \(plan.unetImages) pre-training images to \(data)"
                + (dataset.distribution.shift.isEmpty ? "" : " (\(dataset.distribution.shift.joined(separator: "; ")))"))
            try FileManager.default.createDirectory(atPath: path("data"), withIntermediateDirectories: true)
            _ = try dataset.write(to: data)
        }
        var step = 0
        for (index, phase) in plan.unetPhases.enumerated() {
            let out = path(phase.folder)
            if FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("model")) { continue }
            let model = index == 0 ? base : path(plan.unetPhases[index - 1].folder + "/model")
            let name = (phase.folder as NSString).lastPathComponent
            let (finished, reached) = try trainUNetPhase(name: name, model: model, data: data, out: out,
                                                         settings: phase.settings, seed: plan.seed &+ 31 &+ UInt64(index),
                                                         labelWeights: cells)
            step = reached
            if !finished { return (false, step) }
        }
        return (true, step)
    }

    /// The UNet's images already rendered must be the ones the plan draws: a plan edited after rendering
    /// (another count, seed or style mix) would otherwise train on the old images without a word.
    func checkDrawn(_ data: String, as dataset: WorldDataset) throws {
        let file = (data as NSString).appendingPathComponent("world.json")
        let found: WorldDataset.Manifest
        do {
            found = try JSONDecoder().decode(WorldDataset.Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw WorldError("\(file): cannot read the UNet images' manifest (\(error.localizedDescription)); delete \(data) to render them again")
        }
        guard found == dataset.manifest else {
            func drawn(_ m: WorldDataset.Manifest) -> String {
                "\(m.count) images, seed \(m.seed), renderer \(m.rendererVersion)"
                    + (m.shift.isEmpty ? ", pre-training's styles" : ", " + m.shift.joined(separator: "; "))
            }
            throw WorldError("\(file): the UNet's images are \(drawn(found)) but plan.json (unet_images, seed, unet_styles) "
                             + "draws \(drawn(dataset.manifest)); delete \(data) to render them again")
        }
    }

    /// One UNet phase through the fine-tuning engine (full UNet, the world's caption dropout).
    func trainUNetPhase(name: String, model: String, data: String, out: String, settings s: StageSettings,
                        seed: UInt64, labelWeights cells: LatentLabelWeights?) throws -> (finished: Bool, step: Int) {
        var config = TrainingConfig()
        config.model = model
        config.data = data
        config.out = out
        // Every phase encodes the same images with the same VAE: one cache (the first phase's default place).
        config.cacheDirectory = path("stages/unet/cache")
        config.resolution = 64
        config.steps = s.steps
        config.batchSize = s.batchSize
        config.learningRate = s.learningRate
        config.warmupSteps = s.warmupSteps
        config.weightDecay = s.weightDecay
        config.maxGradNorm = s.maxGradNorm
        config.lrSchedule = LearningRateScheduleKind(rawValue: s.schedule) ?? .constant
        config.checkpointEvery = s.checkpointEvery
        config.keepCheckpoints = s.keepCheckpoints
        config.logEvery = s.logEvery
        config.seed = seed
        config.emaDecay = plan.unetEMADecay
        let resume = RunFolder(path: config.out).holdsRun
        var session = TrainingSession(config: config, resume: resume)
        session.log = { self.log("\(name): " + $0) }
        let dropout = plan.captionDropout
        let snrGamma = plan.unetSNRGamma
        session.makeMethod = { models, _ in
            WorldUNetMethod(models: models, captionDropout: dropout, snrGamma: snrGamma, labelWeights: cells)
        }
        session.hooks.progress = { p in
            self.progress(StageLoop.Progress(stage: name, step: p.step, totalSteps: p.totalSteps, loss: p.loss,
                                             stepSeconds: p.stepSeconds))
        }
        session.hooks.shouldStop = { self.shouldStop() }
        switch try session.run().outcome {
        case .finished(let step): return (true, step)
        case .stopped(let step): return (false, step)
        }
    }

    /// Adds a UNet phase that continues the trained UNet (`--extend-unet`); plan.json records it, and the
    /// next `run` trains it. The UNet must be finished: a phase starts from the previous phase's final weights.
    public func extendUNet(_ settings: StageSettings) throws {
        guard isFinished(.unet) else {
            throw WorldError("the UNet has not finished its current phase (\(plan.unetPhases.last!.folder)); "
                             + "finish it with --resume before extending")
        }
        plan.unetExtensions = (plan.unetExtensions ?? []) + [settings]
        try writeJSON(plan, to: path("plan.json"))
        log("unet: extended by \(settings.steps) steps at learning rate \(settings.learningRate) "
            + "(\(plan.unetPhases.last!.folder))")
    }

    // MARK: - Shipped folders

    func loadCLIP() throws -> CLIPModel {
        let clip = try CLIPModel(plan.clip, factory: .uninitialized)
        try clip.load(SafeTensors.load(finalWeights(.clip)), source: finalWeights(.clip))
        return clip
    }

    /// The VAE stage's config, with the latent scale it measured.
    func trainedVAEConfig() throws -> AutoencoderKLConfig {
        try JSONDecoder().decode(AutoencoderKLConfig.self,
                                 from: Data(contentsOf: URL(fileURLWithPath: path("stages/vae/vae_config.json"))))
    }

    /// The VAE stage's result (its config with the latent scale, its weights), frozen.
    func trainedVAE() throws -> AutoencoderKL {
        let vae = try AutoencoderKL(trainedVAEConfig(), factory: .uninitialized)
        try vae.load(SafeTensors.load(finalWeights(.vae)), source: finalWeights(.vae))
        try vae.setRequiresGrad(false)
        return vae
    }

    /// A complete diffusers folder around `unet`'s weights: the trained VAE (with its latent scale) and
    /// CLIP text tower, the CLIP BPE tokenizer, a DDIM scheduler config, model_index.json last.
    func writePipeline(unet: [String: Tensor], to folder: String) throws {
        let manager = FileManager.default
        let temporary = folder + ".tmp"
        try? manager.removeItem(atPath: temporary)
        let vaeConfig = try trainedVAEConfig()
        let clip = try loadCLIP()
        let text = Dictionary(uniqueKeysWithValues: clip.textModel.namedParameters(prefix: "text_model.").map { ($0.name, $0.tensor) })
        let writer = try DiffusersFolderWriter(path: temporary)
        try writer.writeModel(unet, component: .unet,
                              config: jsonData(plan.unet, adding: ["_class_name": "UNet2DConditionModel", "_diffusers_version": "0.42.1"]))
        try writer.writeModel(SafeTensors.load(finalWeights(.vae)), component: .vae,
                              config: jsonData(vaeConfig, adding: ["_class_name": "AutoencoderKL", "_diffusers_version": "0.42.1"]))
        try writer.writeModel(text, component: .textEncoder,
                              config: jsonData(plan.clip.textConfig, adding: ["architectures": ["CLIPTextModel"],
                                                                              "model_type": "clip_text_model"]))
        for (name, data) in try CLIPVocabularyFiles.files(openCLIPVocabulary: vocabulary) {
            try writer.writeFile(data, component: "tokenizer", name: name)
        }
        try writer.writeFile(Data(Self.schedulerConfig(plan.unetPredictionType ?? .epsilon).utf8), component: "scheduler",
                             name: "scheduler_config.json")
        try writer.writeModelIndex(ModelIndex.stableDiffusion(scheduler: "DDIMScheduler"))
        if manager.fileExists(atPath: folder) { try manager.removeItem(atPath: folder) }
        try manager.moveItem(atPath: temporary, toPath: folder)
    }

    static func schedulerConfig(_ prediction: PredictionType) -> String { """
    {
      "_class_name": "DDIMScheduler",
      "_diffusers_version": "0.42.1",
      "beta_end": 0.012,
      "beta_schedule": "scaled_linear",
      "beta_start": 0.00085,
      "clip_sample": false,
      "num_train_timesteps": 1000,
      "prediction_type": "\(prediction.rawValue)",
      "set_alpha_to_one": false,
      "steps_offset": 1,
      "timestep_spacing": "leading"
    }
    """
    }

    func writeShippedFolders() throws {
        if isFinished(.vae), isFinished(.clip) {
            if isFinished(.unet) {
                try replaceFolder(path("pipeline"), with: finalWeights(.unet))
                log("pipeline: \(path("pipeline")) (trained UNet)")
            } else if !FileManager.default.fileExists(atPath: path("pipeline")) || !isFinished(.unet) {
                let unet = try UNet2DConditionModel(plan.unet, factory: factory(.unet))
                try writePipeline(unet: unet.stateDict(), to: path("pipeline"))
                log("pipeline: \(path("pipeline")) (UNet untrained: run --stage unet)")
            }
        }
        if isFinished(.clip) {
            let folder = path("clip")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try copyReplacing(finalWeights(.clip), to: (folder as NSString).appendingPathComponent("model.safetensors"))
            try jsonData(plan.clip, adding: ["architectures": ["CLIPModel"], "model_type": "clip"])
                .write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("config.json")))
            let preprocessor: [String: AnyCodable] = [
                "image_processor_type": "CLIPImageProcessor", "do_resize": true, "do_center_crop": true,
                "do_normalize": true, "do_rescale": true, "rescale_factor": .double(1.0 / 255),
                "size": .int(plan.clip.visionConfig.imageSize), "crop_size": .int(plan.clip.visionConfig.imageSize),
                "image_mean": .doubles(CLIPImagePreprocessing.openAIMean), "image_std": .doubles(CLIPImagePreprocessing.openAIStd),
            ]
            try writeJSON(preprocessor, to: (folder as NSString).appendingPathComponent("preprocessor_config.json"))
            // The tokenizer beside the weights, as transformers' CLIPModel folders have it (SPF's L_enh and the
            // metrics read text through it).
            for (name, data) in try CLIPVocabularyFiles.files(openCLIPVocabulary: vocabulary) {
                try data.write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(name)), options: .atomic)
            }
        }
        if isFinished(.probe) {
            let folder = path("probe")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try copyReplacing(finalWeights(.probe), to: (folder as NSString).appendingPathComponent("model.safetensors"))
            try writeJSON(ProbeFolderConfig(plan.probe), to: (folder as NSString).appendingPathComponent("config.json"))
        }
    }

    func replaceFolder(_ target: String, with source: String) throws {
        let manager = FileManager.default
        let temporary = target + ".tmp"
        try? manager.removeItem(atPath: temporary)
        try manager.copyItem(atPath: source, toPath: temporary)
        if manager.fileExists(atPath: target) { try manager.removeItem(atPath: target) }
        try manager.moveItem(atPath: temporary, toPath: target)
    }

    func copyReplacing(_ source: String, to target: String) throws {
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: source, toPath: target)
    }

    func writeSummary(_ stage: WorldStageName, _ values: [String: Double]) throws {
        try writeJSON(values, to: path("stages/\(stage.rawValue)/summary.json"))
    }
}

/// The probe folder's config.json: the network's shape plus the class names of every head and the label
/// names by id, so that a reader needs no Swift to interpret the outputs.
public struct ProbeFolderConfig: Codable, Sendable {
    public var architecture = "AttributeProbe"
    public var probe: AttributeProbeConfig
    public var attributes: [String]
    public var classes: [String: [String]]
    public var labels: [String]

    public init(_ probe: AttributeProbeConfig) {
        self.probe = probe
        attributes = AttributeClass.all.map(\.name)
        classes = Dictionary(uniqueKeysWithValues: AttributeClass.all.map { ($0.name, $0.values) })
        labels = PortraitLabel.allCases.map(\.name)
    }
}

func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    let temporary = path + ".tmp"
    try data.write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, path) == 0 else { throw WorldError("\(path): cannot write") }
}

/// `value` as a JSON object with extra keys (class names, model types).
func jsonData<T: Encodable>(_ value: T, adding extra: [String: Any]) throws -> Data {
    var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any] ?? [:]
    for (key, item) in extra { object[key] = item }
    return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
}

/// DIR/manifest.json: every invocation that built the folder (command, seconds, outcome) and where each
/// stage stands; DIR/README.md says the same in words.
public struct PretrainManifest: Codable, Sendable {
    public struct Invocation: Codable, Sendable {
        public var command: String
        public var date: String
        public var seconds: Double
        public var outcome: String
    }
    public var invocations: [Invocation] = []
    public var stages: [String: [String: Double]] = [:]
}

extension WorldPretraining {
    public func recordInvocation(command: String, seconds: Double, outcome: Outcome) throws {
        let file = path("manifest.json")
        var manifest = (try? JSONDecoder().decode(PretrainManifest.self, from: Data(contentsOf: URL(fileURLWithPath: file))))
            ?? PretrainManifest()
        let text: String = switch outcome {
        case .finished: "finished"
        case .stopped(let stage, let step): "stopped in \(stage.rawValue) at step \(step)"
        }
        manifest.invocations.append(.init(command: command, date: ISO8601DateFormatter().string(from: Date()),
                                          seconds: seconds.rounded(), outcome: text))
        for stage in WorldStageName.allCases {
            var entry = (try? JSONDecoder().decode([String: Double].self, from: Data(contentsOf: URL(
                fileURLWithPath: path("stages/\(stage.rawValue)/summary.json"))))) ?? [:]
            entry["finished"] = isFinished(stage) ? 1 : 0
            manifest.stages[stage.rawValue] = entry
        }
        try writeJSON(manifest, to: file)
        var readme = "# PortraitWorld foundation models\n\nMade by `spf world pretrain` (docs/portrait-world.md). Commands, in order:\n\n"
        for invocation in manifest.invocations {
            readme += "- `\(invocation.command)` (\(invocation.date), \(Int(invocation.seconds)) s: \(invocation.outcome))\n"
        }
        readme += "\nStages: " + WorldStageName.allCases.map { "\($0.rawValue) \(isFinished($0) ? "trained" : "not finished")" }
            .joined(separator: ", ") + ". Sizes and settings: plan.json; per-stage logs: stages/<stage>/metrics.jsonl.\n"
        try Data(readme.utf8).write(to: URL(fileURLWithPath: path("README.md")))
    }
}
