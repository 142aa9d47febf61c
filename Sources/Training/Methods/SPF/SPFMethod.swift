import Diffusion
import Foundation
import NN
import Tokenizers
import Torch

/// SPF-Portrait (docs/method.md): stage 1 is standard fine-tuning on the full text (naive or LoRA, the same
/// trainable set as stage 2); stage 2 is dual-path alignment: the response path (the trained UNet on z_t, t,
/// CLIP(F)) against the reference path (the same modules with the original values of the trained tensors, or
/// LoRA disabled, on z_t, t, CLIP(B), no gradients), with L = l_diff L_diff + l_tc L_tc + l_fg L_fg + l_enh L_enh
/// weighted by the SFCM. Steps below `spf.stage1_steps` are stage 1; `init_from` starts stage 2 from a
/// stage-1 run instead. The trainable tensors and the optimizer are the same in both stages, so checkpoints and
/// resume need nothing new (the stage is a function of the step).
public final class SPFMethod: TrainingMethod {
    public let models: TrainingModels
    public let config: TrainingConfig
    public var settings: SPFSettings { config.spf }
    /// Selects the trainable tensors, runs stage 1 and writes the outputs (model folder or LoRA files).
    public let stage1: StandardFineTuning
    public let reference: SPFReferencePath
    public let enhancement: SPFEnhancement?
    public let initialization: SPFInitialization?
    /// What the run should tell the user (L_enh off, where stage 2 starts from).
    public private(set) var notes: [String] = []
    public var objective: DiffusionObjective { stage1.objective }
    public var trainableParameters: [(name: String, tensor: Tensor)] { stage1.trainableParameters }
    public var name: String { "spf-" + stage1.name }

    let controlMap: SPFControlMap
    let losses: SPFAlignmentLosses
    let layerNames: (tc: [String], fg: [String], sfcm: [String], all: [String])
    /// The cross-attention layers whose phrase maps build the SFCM (visualisation reads their captures).
    public var sfcmLayerNames: [String] { layerNames.sfcm }
    private var groupCache: [String: SPFPromptGroups] = [:]
    private var eosCache: [String: Int] = [:]

    public init(models: TrainingModels, config: TrainingConfig) throws {
        guard config.method == .spf else { throw ConfigError(field: "method", "SPFMethod needs method = \"spf\"") }
        self.models = models
        self.config = config
        var inner = config
        inner.method = config.spf.lora ? .lora : .naive
        stage1 = try StandardFineTuning(models: models, config: inner)
        let unet = models.unet
        // Originals are taken before any stage-1 weights are loaded: the reference path is the original model.
        initialization = try config.initFrom.map { try SPFInitialization(runPath: $0) }
        try initialization?.check(lora: config.spf.lora)
        var swapped = config.spf.lora ? [] : stage1.trainableParameters
        if let initialization, !config.spf.lora {
            let trained = Set(swapped.map(\.name))
            swapped += unet.namedParameters().filter { initialization.tensors[$0.name] != nil && !trained.contains($0.name) }
        }
        reference = try SPFReferencePath(tensors: swapped, adapters: unet.loraAdapters().map(\.lora))
        if let initialization {
            try initialization.load(into: unet.namedParameters())
            notes.append("stage 2 starts from \(initialization.run.path) (step \(initialization.step))")
        }
        if config.spf.enhancementActive, let folder = config.spf.clipModel {
            enhancement = try SPFEnhancement.load(folder: folder, mode: config.spf.enhanceMode,
                                                  maxTimestep: config.spf.enhanceTMax, device: models.vae.convInDevice)
        } else {
            enhancement = nil
        }
        if let note = config.spf.enhancementNote { notes.append(note) }
        controlMap = SPFControlMap(settings: config.spf)
        losses = SPFAlignmentLosses(controlMap: controlMap)
        func names(_ selectors: [String]) throws -> [String] {
            try unet.captureLayers(AttentionCaptureSpec(layers: selectors.map(CaptureLayerSelector.init)))
        }
        let tc = try names(config.spf.tcLayers), fg = try names(config.spf.fgLayers)
        let sfcm = try names(config.spf.sfcmLayers)
        let union = Set(tc + fg + sfcm)
        layerNames = (tc, fg, sfcm, unet.crossAttentionLayers.map(\.name).filter(union.contains))
    }

    /// Full text, base text, target text, and each base phrase alone (its pooled embedding weighs the SFCM).
    public func texts(for record: CaptionRecord) -> [String] {
        guard let caption = record.portrait else { return [record.text] }
        var texts = [record.text, caption.base, caption.target]
        if settings.phraseWeights == .clip { texts += CLIPTokenizer.phrases(in: caption.base) }
        return texts
    }

    public func loss(_ batch: TrainingBatch, generator: Generator) throws -> StepLoss {
        if batch.step < settings.stage1Steps {
            return try stage1.loss(batch, generator: generator)
        }
        let draw = try objective.draw(latentParameters: batch.latentParameters, generator: generator)
        return try stage2(batch, draw: draw).loss
    }

    public func export(to run: RunFolder) throws { try stage1.export(to: run) }

    /// What one stage-2 micro-batch computed (tests and visualisation read the maps).
    public struct Stage2 {
        public let loss: StepLoss
        /// M [B, 1, H, W] (nil with sfcm = false).
        public let controlMap: Tensor?
        public let response: UNetOutput
        public let reference: UNetOutput
        public let layout: SPFGroupLayout
        /// [B, P] phrase weights w_p.
        public let phraseWeights: Tensor
    }

    /// The stage-2 loss of a batch for a given draw (fixed latents, noise and timesteps in the parity tests).
    public func stage2(_ batch: TrainingBatch, draw: DiffusionObjective.Draw) throws -> Stage2 {
        let captions = try batch.records.map { record -> PortraitCaption in
            guard let caption = record.portrait else {
                throw TrainingError("SPF needs base/target captions: line \(record.line) of metadata.jsonl has only `text`")
            }
            return caption
        }
        let layout = SPFGroupLayout(try captions.map(groups(for:)), settings: settings)
        let device = draw.noisyLatents.device
        let full = try batch.conditioning { $0.text }
        let base = try batch.conditioning { $0.portrait?.base ?? $0.text }
        let region = MixedPrecisionRegion(config.mixedPrecision)
        let unet = models.unet
        let layers = layerNames.all.map { CaptureLayerSelector.name($0) }
        // The reference path first: no graph holds the trained tensors while their storage is swapped.
        let referenceOut = try reference.run {
            try region.run {
                try unet(sample: draw.noisyLatents, timestep: draw.timesteps, encoderHiddenStates: base,
                         capture: AttentionCaptureSpec(layers: layers, sampleTokenGroups: layout.reference))
            }
        }
        let responseOut = try region.run {
            try unet(sample: draw.noisyLatents, timestep: draw.timesteps, encoderHiddenStates: full,
                     capture: AttentionCaptureSpec(layers: layers, sampleTokenGroups: layout.response))
        }
        let diffusion = try objective.loss(prediction: responseOut.sample, draw: draw)
        let weights = try phraseWeights(batch, captions: captions, layout: layout, device: device)
        var map: Tensor?
        if settings.sfcm {
            let phraseMaps = try layerNames.sfcm.map { name -> Tensor in
                guard let maps = responseOut.captures[name]?.maps else { throw TrainingError("SPF: no maps at \(name)") }
                return try maps.narrow(dim: 1, start: 0, length: layout.phraseSlots)
            }
            map = try controlMap(responsePrediction: responseOut.sample, referencePrediction: referenceOut.sample,
                                 phraseMaps: phraseMaps, weights: weights)
        }
        let mask = try Tensor(layout.alignMask.flatMap { $0.map { Float($0 ? 1 : 0) } },
                              shape: [captions.count, layout.count], device: device)
        let tc = try losses.textConsistency(response: responseOut.captures, reference: referenceOut.captures,
                                            names: layerNames.tc, map: map, mask: mask)
        let fg = try losses.fineGrained(response: responseOut.captures, reference: referenceOut.captures,
                                        names: layerNames.fg, map: map)
        var terms: [String: Tensor] = ["loss_diffusion": diffusion, "loss_tc": tc, "loss_fg": fg]
        var total = try diffusion * settings.lambdaDiff + tc * settings.lambdaTc + fg * settings.lambdaFg
        if let enhancement {
            let enh = try enhancement.loss(draw: draw, response: responseOut.sample, reference: referenceOut.sample,
                                           records: batch.records, schedule: objective.schedule, vae: models.vae,
                                           scalingFactor: objective.scalingFactor)
            terms["loss_enh"] = enh
            total = try total + enh * settings.lambdaEnh
        }
        if let map { terms["sfcm_mean"] = try map.mean() }
        return Stage2(loss: StepLoss(loss: total, terms: terms), controlMap: map, response: responseOut,
                      reference: referenceOut, layout: layout, phraseWeights: weights)
    }

    /// w_p per sample and base-phrase slot: 1 - cos(e_p, e_T) of the pooled (EOS) text-encoder embeddings of the
    /// phrase alone and the target alone (the pipeline's CLIPTextModel has no projection), normalised so that the
    /// sample's largest is 1; or 1 ("uniform"). 0 for slots outside the SFCM's sum.
    func phraseWeights(_ batch: TrainingBatch, captions: [PortraitCaption], layout: SPFGroupLayout,
                       device: Device) throws -> Tensor {
        var rows: [Tensor] = []
        for (b, caption) in captions.enumerated() {
            let mask = try Tensor(layout.controlMask[b].map { Float($0 ? 1 : 0) }, shape: [layout.phraseSlots], device: device)
            let phrases = layout.groups[b].phrases
            guard settings.phraseWeights == .clip, !phrases.isEmpty else { rows.append(mask); continue }
            let target = try pooled(caption.target, batch)
            var distances: [Tensor] = []
            for slot in 0..<layout.phraseSlots {
                if slot < phrases.count {
                    distances.append(try 1 - SPFEnhancement.cosine(pooled(phrases[slot].text, batch), target))
                } else {
                    distances.append(try Tensor.zeros([], device: device))
                }
            }
            var row = try Tensor.stack(distances).to(.float32) * mask
            if settings.phraseWeightsNormalize {
                let largest = try row.amax()
                if try largest.item() > 0 { row = try row / largest }
            }
            rows.append(row)
        }
        return try Tensor.stack(rows)
    }

    /// The EOS row of a text's cached hidden states: transformers' pooler_output.
    func pooled(_ text: String, _ batch: TrainingBatch) throws -> Tensor {
        guard let states = batch.embeddings[text] else { throw TrainingError("SPF: no text embedding for \"\(text)\"") }
        let eos: Int
        if let cached = eosCache[text] {
            eos = cached
        } else {
            eos = models.tokenizer.encodeWithPhrases(text, maxLength: states.shape[0]).eosIndex
            eosCache[text] = eos
        }
        return try states.select(dim: 0, index: eos).to(.float32)
    }

    func groups(for caption: PortraitCaption) throws -> SPFPromptGroups {
        let key = [caption.base, caption.target, caption.mode.rawValue, caption.replaces ?? ""].joined(separator: "\u{1}")
        if let cached = groupCache[key] { return cached }
        let groups = try SPFPromptGroups(caption: caption, tokenizer: models.tokenizer,
                                         maxLength: models.tokenizer.modelMaxLength ?? 77)
        groupCache[key] = groups
        return groups
    }
}

extension AutoencoderKL {
    /// The device the VAE's weights live on.
    var convInDevice: Device { namedParameters().first?.tensor.device ?? .cpu }
}
