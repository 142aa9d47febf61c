import CLIP
import Diffusion
import Foundation
import NN
import PortraitWorld
import Tokenizers
import Torch
import Training

/// The VAE's objective: L1 + L2 reconstruction of a posterior sample plus `klWeight` x KL (diffusers'
/// `posterior.kl().mean()`: summed over latent elements, averaged over the batch). With `labelWeights`, the
/// reconstruction terms weight each pixel by its render's label (ground truth the world has and real data does
/// not), so that details of a few pixels that carry an attribute (the irises) are kept.
public final class VAEStage: WorldStage {
    public let vae: AutoencoderKL
    public let examples: RenderedExamples
    public let klWeight: Double
    /// Weight of the reconstruction error on pixels of each label (1 for labels not named); empty: unweighted.
    public let labelWeights: [PortraitLabel: Double]
    public var name: String { "vae" }
    public var trainableParameters: [(name: String, tensor: Tensor)] { vae.namedParameters() }

    public init(vae: AutoencoderKL, examples: RenderedExamples, klWeight: Double, labelWeights: [PortraitLabel: Double] = [:]) {
        self.vae = vae
        self.examples = examples
        self.klWeight = klWeight
        self.labelWeights = labelWeights
    }

    /// [B, 1, H, W] per-pixel weights of `labels` ([B, H, W] label ids), scaled to mean 1 over the batch so that
    /// the loss keeps the unweighted objective's scale.
    public func pixelWeights(_ labels: Tensor) throws -> Tensor {
        var weights = try Tensor.ones(labels.shape, device: labels.device)
        for (label, weight) in labelWeights.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where weight != 1 {
            weights = try weights + labels.eq(Double(label.rawValue)).to(.float32) * (weight - 1)
        }
        return try (weights / weights.mean()).unsqueeze(dim: 1)
    }

    public func loss(examples indices: Range<Int>, generator: Generator) throws -> StepLoss {
        let batch = try examples.batch(indices, labels: !labelWeights.isEmpty)
        let x = batch.pixels
        let posterior = try vae.encode(x)
        let reconstruction = try vae.decode(posterior.sample(generator: generator))
        let l1: Tensor, l2: Tensor
        if let labels = batch.labels {
            let weights = try pixelWeights(labels)
            l1 = try ((reconstruction - x).abs() * weights).mean()
            l2 = try ((reconstruction - x).square() * weights).mean()
        } else {
            l1 = try (reconstruction - x).abs().mean()
            l2 = try reconstruction.mseLoss(x)
        }
        let kl = try posterior.kl().mean()
        let loss = try l1 + l2 + kl * klWeight
        return StepLoss(loss: loss, terms: ["loss_l1": l1, "loss_l2": l2, "loss_kl": kl])
    }

    /// Mean PSNR (dB, images in [0, 1]) of posterior-mean reconstructions of `indices`.
    public func psnr(_ indices: Range<Int>, of source: RenderedExamples) throws -> Double {
        try Tensor.withNoGrad {
            let x = try source.batch(indices).pixels
            let y = try vae.reconstruct(x)
            let mse = try ((y - x) / 2).square().mean(dims: [1, 2, 3]).floats()
            return mse.map { 10 * log10(1 / max(Double($0), 1e-12)) }.reduce(0, +) / Double(mse.count)
        }
    }

    /// 1 / std of posterior samples of `indices` (diffusers' recipe for `scaling_factor`).
    public func latentScale(_ indices: Range<Int>, generator: Generator) throws -> Double {
        try Tensor.withNoGrad {
            let z = try vae.encode(examples.batch(indices).pixels).sample(generator: generator)
            return 1 / (try z.std().item())
        }
    }
}

extension AutoencoderKL {
    /// What the world measures a VAE by: decode(encode(x).mode()) clamped to [-1, 1] (a perfect UNet behind
    /// this VAE would produce exactly these images). No gradient is needed; callers wrap it in `withNoGrad`.
    public func reconstruct(_ pixels: Tensor) throws -> Tensor {
        try decode(encode(pixels).mode()).clamp(min: -1, max: 1)
    }
}

/// CLIP's symmetric contrastive loss on (rendered image, caption) pairs: cross-entropy of logits_per_text
/// and of logits_per_image against the diagonal. Images go through `CLIPImagePreprocessing` (OpenAI mean and
/// std at 64x64), as every user of the CLIP folder feeds them.
public final class CLIPStage: WorldStage {
    public let clip: CLIPModel
    public let tokenizer: CLIPTokenizer
    public let examples: RenderedExamples
    let preprocessing: CLIPImagePreprocessing
    public var name: String { "clip" }
    public var trainableParameters: [(name: String, tensor: Tensor)] {
        clip.namedParameters() + (attributeHeads?.namedParameters().map { ("caption_attribute_heads." + $0.name, $0.tensor) } ?? [])
    }

    /// Each batch is B/2 examples and their counterparts (`RenderedExamples.batchWithCounterparts`) instead of
    /// B examples: hard negatives that differ in one captioned attribute.
    public let counterparts: Bool
    /// With counterparts: the share of each batch's pairs that are target pairs (`RenderedExamples.targetPair`).
    public let targetShare: Double
    /// With a weight > 0, the loss adds weight x the caption attribute heads' cross-entropy on the text
    /// tower's hidden states (`CaptionAttributeHeads`; trained here, not saved with CLIP).
    public let attributeHeads: CaptionAttributeHeads?
    public let attributeWeight: Double

    public init(clip: CLIPModel, tokenizer: CLIPTokenizer, examples: RenderedExamples, counterparts: Bool = false,
                targetShare: Double = 0, attributeHeads: CaptionAttributeHeads? = nil, attributeWeight: Double = 0) {
        self.clip = clip
        self.tokenizer = tokenizer
        self.examples = examples
        self.counterparts = counterparts
        self.targetShare = targetShare
        self.attributeHeads = attributeWeight > 0 ? attributeHeads : nil
        self.attributeWeight = attributeWeight
        preprocessing = CLIPImagePreprocessing(clip.config.visionConfig)
    }

    public func ids(_ texts: [String]) throws -> Tensor { try ids(prompts(texts)) }

    /// The prompts' ids as one [B, 77] tensor (`encodeWithPhrases` ids are exactly the tokenizer's).
    func ids(_ prompts: [TokenizedPrompt]) throws -> Tensor {
        try Tensor(prompts.flatMap { $0.ids.map(Int64.init) }, shape: [prompts.count, clip.config.textConfig.maxPositionEmbeddings])
    }

    public func logits(_ batch: RenderedBatch) throws -> Tensor {
        try forward(batch).logits
    }

    /// Logits per text, the text tower's output and the tokenized captions (for the attribute heads).
    func forward(_ batch: RenderedBatch) throws -> (logits: Tensor, text: CLIPTextOutput, prompts: [TokenizedPrompt]) {
        let pixels = try preprocessing((batch.pixels + 1) / 2)
        let prompts = prompts(batch.captions)
        let text = try clip.textModel(ids(prompts))
        return (try clip(text: text, pixels: pixels).logitsPerText, text, prompts)
    }

    public func loss(examples indices: Range<Int>, generator: Generator) throws -> StepLoss {
        let batch = counterparts
            ? try examples.batchWithCounterparts(Array(indices.prefix(max(1, indices.count / 2))), targetShare: targetShare).batch
            : try examples.batch(indices)
        let (logits, text, prompts) = try forward(batch)
        let n = logits.shape[0]
        let diagonal = try Tensor((0..<n).map(Int64.init), shape: [n])
        let textLoss = try crossEntropy(logits, diagonal)
        let imageLoss = try crossEntropy(logits.transpose(0, 1), diagonal)
        var loss = try (textLoss + imageLoss) / 2
        var terms = ["loss_text": textLoss, "loss_image": imageLoss, "logit_scale": try clip.logitScale.exp()]
        if let heads = attributeHeads {
            let attributes = try heads.loss(hidden: text.lastHiddenState, prompts: prompts,
                                            captions: batch.phrases, attributes: batch.attributes)
            loss = try loss + attributes.loss * attributeWeight
            terms["loss_caption_attributes"] = attributes.loss
            terms["caption_attribute_accuracy"] = try Tensor([Float(attributes.accuracy)], shape: [])
        }
        return StepLoss(loss: loss, terms: terms)
    }

    func prompts(_ captions: [String]) -> [TokenizedPrompt] {
        captions.map { tokenizer.encodeWithPhrases($0, maxLength: clip.config.textConfig.maxPositionEmbeddings) }
    }

    /// The attribute heads' accuracy on held-out captions (text only: no image is rendered).
    public func captionAttributeAccuracy(_ indices: Range<Int>, of source: RenderedExamples) throws -> Double? {
        guard let heads = attributeHeads else { return nil }
        return try Tensor.withNoGrad {
            let items = try indices.map { try source.example($0) }
            let prompts = prompts(items.map(\.caption.text))
            let hidden = try clip.textModel(ids(prompts)).lastHiddenState
            return try heads.loss(hidden: hidden, prompts: prompts, captions: items.map(\.caption),
                                  attributes: items.map(\.attributes)).accuracy
        }
    }

    /// Top-1 retrieval accuracy (caption -> image) within batches of `batchSize` of `indices`.
    public func retrievalAccuracy(_ indices: Range<Int>, of source: RenderedExamples, batchSize: Int) throws -> Double {
        try Tensor.withNoGrad {
            var correct = 0
            var total = 0
            var start = indices.lowerBound
            while start + batchSize <= indices.upperBound {
                let logits = try logits(source.batch(start..<(start + batchSize)))
                let best = try logits.argmax(dim: 1).toArray(Int64.self)
                correct += best.enumerated().filter { Int($0.element) == $0.offset }.count
                total += batchSize
                start += batchSize
            }
            return total > 0 ? Double(correct) / Double(total) : 0
        }
    }

    /// How often a caption scores its own image above its counterpart's image, over `indices` of `source` and
    /// their counterparts (both members of each pair are asked), overall and per changed attribute: whether
    /// the text tower encodes each attribute at all, which random-batch retrieval cannot tell. `targetShare` 1
    /// asks target pairs only (`RenderedExamples.targetPair`): whether it reads each target's words.
    public func counterpartAccuracy(_ indices: Range<Int>, of source: RenderedExamples, batchSize: Int = 32,
                                    targetShare: Double = 0) throws -> (overall: Double, perAttribute: [String: Double]) {
        try Tensor.withNoGrad {
            var correct: [String: Int] = [:]
            var total: [String: Int] = [:]
            var start = indices.lowerBound
            while start < indices.upperBound {
                let anchors = Array(start..<min(start + batchSize, indices.upperBound))
                let (batch, changed) = try source.batchWithCounterparts(anchors, targetShare: targetShare)
                let n = anchors.count
                let logits = try self.logits(batch).toArray(Float.self)
                let width = 2 * n
                for k in 0..<n {
                    let own = logits[k * width + k], other = logits[k * width + k + n]
                    let twinOwn = logits[(k + n) * width + k + n], twinOther = logits[(k + n) * width + k]
                    correct[changed[k], default: 0] += (own > other ? 1 : 0) + (twinOwn > twinOther ? 1 : 0)
                    total[changed[k], default: 0] += 2
                }
                start += n
            }
            let all = Double(correct.values.reduce(0, +)) / Double(max(1, total.values.reduce(0, +)))
            return (all, total.reduce(into: [:]) { $0[$1.key] = Double(correct[$1.key] ?? 0) / Double($1.value) })
        }
    }

    /// Zeroes the token-embedding rows of tokens that no world text uses: they never receive a gradient, and
    /// AdamW keeps a zero row at zero, so the shipped files compress to the part of the vocabulary the world
    /// speaks (the table keeps CLIP's 49408 rows, so the real tokenizer's ids stay valid).
    public static func zeroUnusedTokens(_ clip: CLIPModel, tokenizer: CLIPTokenizer, texts: [String]) throws -> Int {
        var used = Set<Int>()
        for text in texts { used.formUnion(tokenizer(text, maxLength: 77)) }
        let rows = clip.config.textConfig.vocabSize
        let mask = try Tensor((0..<rows).map { Float(used.contains($0) ? 1 : 0) }, shape: [rows, 1])
        let weight = clip.textModel.embeddings.tokenEmbedding.weight
        try Tensor.withNoGrad { try weight.copy_(weight * mask) }
        return used.count
    }
}

/// The probe's objective: mean cross-entropy of the attribute heads plus per-pixel cross-entropy.
public final class ProbeStage: WorldStage {
    public let probe: AttributeProbe
    public let examples: RenderedExamples
    public var name: String { "probe" }
    public var trainableParameters: [(name: String, tensor: Tensor)] { probe.namedParameters() }

    /// The frozen VAE whose reconstructions replace the first `reconstructionShare` of each batch's renders.
    public let vae: AutoencoderKL?
    public let reconstructionShare: Double

    /// The heads that learn from the crisp renders only, never from the reconstructions (attribute names).
    public let rendersOnly: Set<String>

    /// With it, the target heads' truth on a reconstruction is the targets visible in it, not the render's.
    public let visibleTargets: VisibleTargets?

    /// `targetsOnReconstructions` false adds every target attribute's head to `rendersOnly`; `visibleTargets`
    /// relabels the reconstructions' targets (`VisibleTargets`).
    public init(probe: AttributeProbe, examples: RenderedExamples, vae: AutoencoderKL? = nil, reconstructionShare: Double = 0,
                targetsOnReconstructions: Bool = true, rendersOnly: Set<String> = [], visibleTargets: Bool = false) {
        self.probe = probe
        self.examples = examples
        self.vae = vae
        self.reconstructionShare = vae == nil ? 0 : reconstructionShare
        let targets = AttributeClass.all.filter(\.isTarget).map(\.name)
        self.rendersOnly = rendersOnly.union(targetsOnReconstructions ? [] : targets)
        self.visibleTargets = visibleTargets ? VisibleTargets(renderer: examples.renderer) : nil
    }

    /// How many of a batch of `n` are shown as reconstructions (the first ones).
    func reconstructed(_ n: Int) -> Int { vae == nil ? 0 : min(n, Int((reconstructionShare * Double(n)).rounded())) }

    /// What the probe is shown for `batch`: its renders, the first `reconstructionShare` of them replaced by
    /// the VAE's reconstructions.
    public func inputs(_ batch: RenderedBatch) throws -> Tensor {
        let pixels = batch.pixels
        let n = pixels.shape[0]
        let k = reconstructed(n)
        guard let vae, k > 0 else { return pixels }
        let blurred = try Tensor.withNoGrad { try vae.reconstruct(pixels.narrow(dim: 0, start: 0, length: k)) }
        return k == n ? blurred : try Tensor.cat([blurred, pixels.narrow(dim: 0, start: k, length: n - k)], dim: 0)
    }

    public func loss(examples indices: Range<Int>, generator: Generator) throws -> StepLoss {
        let batch = try examples.batch(indices, labels: true)
        let n = batch.pixels.shape[0]
        let k = reconstructed(n)
        let shown = try inputs(batch)
        var classes = batch.classes
        if let visibleTargets, k > 0 {
            let relabelled = try visibleTargets.classes(
                batch.classes.narrow(dim: 0, start: 0, length: k), images: shown.narrow(dim: 0, start: 0, length: k),
                renders: batch.pixels.narrow(dim: 0, start: 0, length: k), attributes: Array(batch.attributes[0..<k]))
            classes = k == n ? relabelled : try Tensor.cat([relabelled, batch.classes.narrow(dim: 0, start: k, length: n - k)], dim: 0)
        }
        let losses = try probe.loss(probe(shown), targets: classes, labels: batch.labels!,
                                    crispRows: k..<n, crispOnly: rendersOnly)
        return StepLoss(loss: losses.total, terms: ["loss_attributes": losses.attributes,
                                                    "loss_segmentation": losses.segmentation])
    }
}

/// What the probe gets right on held-out images.
public struct ProbeAccuracy: Codable, Sendable {
    /// Per attribute: the fraction of images whose class the probe names.
    public var perAttribute: [String: Double]
    /// Mean over the captioned attributes and the targets (what the quality bar counts).
    public var captioned: Double
    /// Fraction of pixels labelled right.
    public var pixels: Double
    /// As `perAttribute` and `captioned`, over the images that show the attribute (`AttributeClass.isShown`:
    /// no colours in a pencil sketch, no lighting in a cartoon, no eye colour behind sunglasses). Absent in
    /// files written before it.
    public var perAttributeShown: [String: Double]?
    public var captionedShown: Double?

    enum CodingKeys: String, CodingKey {
        case perAttribute = "per_attribute", captioned, pixels
        case perAttributeShown = "per_attribute_shown", captionedShown = "captioned_shown"
    }

    public static func measure(_ probe: AttributeProbe, on source: RenderedExamples, _ indices: Range<Int>,
                               batchSize: Int = 32) throws -> ProbeAccuracy {
        let classes = AttributeClass.all
        var right = [Int](repeating: 0, count: classes.count)
        var rightShown = [Int](repeating: 0, count: classes.count)
        var shown = [Int](repeating: 0, count: classes.count)
        var pixelsRight = 0
        var pixelCount = 0
        var n = 0
        var start = indices.lowerBound
        while start < indices.upperBound {
            let end = min(start + batchSize, indices.upperBound)
            let batch = try source.batch(start..<end, labels: true)
            let (predicted, labels) = try probe.predict(batch.pixels)
            let eyePixels = try batch.labels!.eq(Double(PortraitLabel.eyes.rawValue)).sum(dims: [1, 2]).toArray(Int64.self)
            for ((row, attributes), eyes) in zip(zip(predicted, batch.attributes), eyePixels) {
                let truth = AttributeClass.indices(of: attributes)
                for i in classes.indices {
                    let isShown = classes[i].isShown(in: attributes, eyePixels: Int(eyes))
                    if isShown { shown[i] += 1 }
                    if truth[i] == row[i] {
                        right[i] += 1
                        if isShown { rightShown[i] += 1 }
                    }
                }
            }
            pixelsRight += try labels.eq(batch.labels!).sum().itemInt()
            pixelCount += labels.numel
            n += end - start
            start = end
        }
        var per: [String: Double] = [:]
        for (i, c) in classes.enumerated() { per[c.name] = Double(right[i]) / Double(max(n, 1)) }
        var perShown: [String: Double] = [:]
        for (i, c) in classes.enumerated() where shown[i] > 0 { perShown[c.name] = Double(rightShown[i]) / Double(shown[i]) }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
        return ProbeAccuracy(perAttribute: per, captioned: mean(classes.filter(\.isCaptioned).map { per[$0.name]! }),
                             pixels: Double(pixelsRight) / Double(max(pixelCount, 1)), perAttributeShown: perShown,
                             captionedShown: mean(classes.filter(\.isCaptioned).compactMap { perShown[$0.name] }))
    }
}
