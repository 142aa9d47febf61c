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
import WorldModels
import XCTest

/// The CLIP vocabulary: $SPF_CLIP_VOCAB or the repository's .cache copy (scripts/setup.sh).
func clipVocabulary() throws -> String {
    let candidates: [String?] = [ProcessInfo.processInfo.environment["SPF_CLIP_VOCAB"],
                      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                          .deletingLastPathComponent().appendingPathComponent(".cache/clip/bpe_simple_vocab_16e6.txt.gz").path]
    guard let path = candidates.compactMap({ $0 }).first(where: { FileManager.default.fileExists(atPath: $0) }) else {
        throw XCTSkip("no CLIP vocabulary (set SPF_CLIP_VOCAB or run scripts/setup.sh)")
    }
    return path
}

func temporaryFolder(_ name: String) throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("world-models-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Trains on the same few examples every step, so that a falling loss is learning, not a lucky batch.
final class FixedBatch: WorldStage {
    let inner: WorldStage
    let size: Int
    init(_ inner: WorldStage, size: Int) {
        self.inner = inner
        self.size = size
    }
    var name: String { inner.name }
    var trainableParameters: [(name: String, tensor: Tensor)] { inner.trainableParameters }
    func loss(examples indices: Range<Int>, generator: Generator) throws -> StepLoss {
        try inner.loss(examples: 0..<size, generator: generator)
    }
}

/// The tiny plan at one step per stage, on two UNet and two evaluation images: the end-to-end runs' plan.
func oneStepPlan() throws -> WorldModelPlan {
    var plan = try WorldModelPlan.tiny(steps: 1)
    plan.unetImages = 2
    plan.evaluationImages = 2
    return plan
}

final class WorldModelsTests: XCTestCase {
    /// Losses of `steps` steps of `stage` on a fixed batch.
    func losses(_ stage: WorldStage, steps: Int, batch: Int, lr: Double) throws -> [Double] {
        let folder = try temporaryFolder(stage.name)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let settings = StageSettings(steps: steps, batchSize: batch, learningRate: lr, checkpointEvery: 1000, logEvery: 1)
        let loop = StageLoop(stage: FixedBatch(stage, size: batch), settings: settings, run: RunFolder(path: folder), seed: 1)
        var losses: [Double] = []
        loop.progress = { losses.append($0.loss) }
        XCTAssertEqual(try loop.train(resume: false), .finished(step: steps))
        return losses
    }

    func assertFalls(_ losses: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let head = losses.prefix(2).reduce(0, +) / 2
        let tail = losses.suffix(2).reduce(0, +) / 2
        XCTAssertLessThan(tail, 0.9 * head, "\(what) losses \(losses)", file: file, line: line)
    }

    func testVAELossFallsFromScratch() throws {
        let plan = try WorldModelPlan.tiny()
        let vae = try AutoencoderKL(plan.vae, factory: ParameterFactory(generator: Generator(seed: 1)))
        let stage = VAEStage(vae: vae, examples: try RenderedExamples(kind: .pretraining, seed: 0), klWeight: 1e-4)
        assertFalls(try losses(stage, steps: 8, batch: 2, lr: 3e-3), "vae")
    }

    /// `vae_label_weights`: the eyes' pixels weigh `w` times the rest, the weights average 1, the loss falls, and
    /// weight 1 is the unweighted objective.
    func testVAELabelWeightsWeighTheNamedPixels() throws {
        let plan = try WorldModelPlan.tiny()
        let examples = try RenderedExamples(kind: .pretraining, seed: 0)
        func stage(_ weights: [PortraitLabel: Double]) throws -> VAEStage {
            let vae = try AutoencoderKL(plan.vae, factory: ParameterFactory(generator: Generator(seed: 1)))
            return VAEStage(vae: vae, examples: examples, klWeight: 1e-4, labelWeights: weights)
        }
        let weighted = try stage([.eyes: 10])
        let labels = try XCTUnwrap(examples.batch(0..<2, labels: true).labels)
        let weights = try weighted.pixelWeights(labels)
        XCTAssertEqual(weights.shape, [2, 1, 64, 64])
        XCTAssertEqual(try weights.mean().item(), 1, accuracy: 1e-5)
        let w = try weights.flatten().toArray(Float.self)
        let ids = try labels.flatten().toArray(Int64.self)
        let eye = try XCTUnwrap(ids.firstIndex(of: Int64(PortraitLabel.eyes.rawValue)))
        let other = try XCTUnwrap(ids.firstIndex(of: Int64(PortraitLabel.skin.rawValue)))
        XCTAssertEqual(w[eye] / w[other], 10, accuracy: 1e-4)
        XCTAssertEqual(Set(ids.indices.filter { ids[$0] != Int64(PortraitLabel.eyes.rawValue) }.map { w[$0] }).count, 1)
        let plain = try stage([:]).loss(examples: 0..<2, generator: Generator(seed: 5)).loss.item()
        let unit = try stage([.eyes: 1]).loss(examples: 0..<2, generator: Generator(seed: 5)).loss.item()
        let heavy = try stage([.eyes: 10]).loss(examples: 0..<2, generator: Generator(seed: 5)).loss.item()
        XCTAssertEqual(unit, plain, accuracy: 1e-6 * abs(plain))
        XCTAssertNotEqual(heavy, plain)
        assertFalls(try losses(try stage([.eyes: 10]), steps: 8, batch: 2, lr: 3e-3), "weighted vae")
    }

    /// A plan whose `vae_label_weights` names no label (or gives a weight that is not positive) is refused before
    /// the VAE stage writes anything.
    func testUnknownVAELabelWeightIsRefused() throws {
        let vocabulary = try clipVocabulary()
        let out = try temporaryFolder("vae-weights")
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (weights, message): ([String: Double], String) in [(["eyes": 10, "iris": 4], "vae_label_weights names \"iris\""),
                                   (["eyes": 0], "vae_label_weights.eyes must be a positive number")] {
            var plan = try oneStepPlan()
            plan.vaeLabelWeights = weights
            let run = try WorldPretraining(out: out + "/run", plan: plan, resume: false, vocabulary: vocabulary)
            XCTAssertThrowsError(try run.run([.vae])) { XCTAssert("\($0)".contains("plan.json: " + message), "\($0)") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run/stages/vae"))
            try? FileManager.default.removeItem(atPath: out + "/run")
        }
    }

    func testCLIPLossFallsFromScratch() throws {
        let plan = try WorldModelPlan.tiny()
        let clip = try CLIPModel(plan.clip, factory: ParameterFactory(generator: Generator(seed: 2)))
        let tokenizer = try CLIPTokenizer(openCLIPVocabulary: clipVocabulary())
        let stage = CLIPStage(clip: clip, tokenizer: tokenizer, examples: try RenderedExamples(kind: .pretraining, seed: 0))
        assertFalls(try losses(stage, steps: 8, batch: 4, lr: 3e-3), "clip")
    }

    /// With counterparts, a CLIP batch of B is B/2 examples then their counterparts (one changed phrase each),
    /// the loss still falls, and the pair accuracy covers every pair once per member.
    func testCLIPTrainsOnCounterpartBatches() throws {
        let plan = try WorldModelPlan.tiny()
        XCTAssertEqual(plan.clipCounterparts, true)
        let examples = try RenderedExamples(kind: .pretraining, seed: 0)
        let (batch, changed) = try examples.batchWithCounterparts([0, 1, 2])
        XCTAssertEqual(batch.pixels.shape, [6, 3, 64, 64])
        XCTAssertEqual(changed.count, 3)
        for k in 0..<3 {
            XCTAssertEqual(batch.captions[k], try examples.example(k).caption.text)
            XCTAssertEqual(batch.captions[k + 3], try examples.counterpart(k).caption.text)
            XCTAssertNotEqual(batch.captions[k], batch.captions[k + 3])
        }
        XCTAssertThrowsError(try RenderedExamples(kind: .probe, seed: 0).counterpart(0), "pre-training stream only")

        let clip = try CLIPModel(plan.clip, factory: ParameterFactory(generator: Generator(seed: 2)))
        let tokenizer = try CLIPTokenizer(openCLIPVocabulary: clipVocabulary())
        let stage = CLIPStage(clip: clip, tokenizer: tokenizer, examples: examples, counterparts: true)
        assertFalls(try losses(stage, steps: 8, batch: 4, lr: 3e-3), "clip with counterparts")
        let pairs = try stage.counterpartAccuracy(0..<5, of: examples, batchSize: 2)
        XCTAssert((0...1).contains(pairs.overall))
        XCTAssertFalse(pairs.perAttribute.isEmpty)
        XCTAssert(Set(pairs.perAttribute.keys).isSubset(of: ["subject", "hair_style", "hair_color", "eye_color", "skin_tone",
            "face_shape", "clothing", "clothing_color", "background", "background_color", "color_binding"]))
    }

    /// Target pairs: a pre-training portrait with one target, captioned exactly as that target's fine-tuning set
    /// captions it, against the same portrait without it. Every target occurs, the share of pairs follows the
    /// plan's odds, and only with them does a CLIP batch give the target words' embedding rows a gradient.
    func testCLIPTargetPairsTeachTheTargetWords() throws {
        let examples = try RenderedExamples(kind: .pretraining, seed: 0)
        var seen = Set<PortraitTarget>()
        for index in 0..<120 {
            let (example, counterpart) = try examples.targetPair(index)
            let plain = try examples.example(index)
            let on = PortraitTarget.allCases.filter { $0.isOn(in: example.attributes.targets) }
            XCTAssertEqual(on.count, 1)
            let target = try XCTUnwrap(on.first)
            seen.insert(target)
            XCTAssertEqual(counterpart.changed, target.rawValue)
            XCTAssertEqual(counterpart.attributes, plain.attributes)
            XCTAssertEqual(counterpart.caption, plain.caption)
            XCTAssertEqual(example.attributes.withoutTargets, plain.attributes.withoutTargets)
            let split = try target.split(base: plain.caption, attributes: example.attributes)
            let expected = split.replaces.map { plain.caption.text.replacingOccurrences(of: $0, with: split.target) }
                ?? plain.caption.text + ", " + split.target
            XCTAssertEqual(example.caption.text, expected, "captioned as the fine-tuning sets caption \(target)")
            XCTAssertEqual(example.caption.phrases.filter { $0.role == .target }.map(\.text), [split.target])
        }
        XCTAssertEqual(seen, Set(PortraitTarget.allCases))
        XCTAssertThrowsError(try RenderedExamples(kind: .probe, seed: 0).targetPair(0), "pre-training stream only")
        // The fine-tuning sets' own rows read the same as `PortraitTarget.caption`.
        for target in PortraitTarget.allCases {
            let set = try WorldDataset(kind: .finetune, target: target, count: 3, seed: 5)
            for k in 0..<3 {
                let e = try set.example(k)
                XCTAssertEqual(try target.caption(base: e.caption, attributes: e.attributes).text, e.row.fullText)
            }
        }

        let drawn = (0..<400).filter { examples.isTargetPair($0, share: 0.5) }.count
        XCTAssert((160...240).contains(drawn), "\(drawn) of 400 at odds 1/2")
        XCTAssertFalse((0..<400).contains { examples.isTargetPair($0, share: 0) })
        XCTAssert((0..<400).allSatisfy { examples.isTargetPair($0, share: 1) })
        let (batch, changed) = try examples.batchWithCounterparts([0, 1, 2], targetShare: 1)
        XCTAssertEqual(batch.pixels.shape, [6, 3, 64, 64])
        for k in 0..<3 {
            let (example, counterpart) = try examples.targetPair(k)
            XCTAssertEqual(batch.captions[k], example.caption.text)
            XCTAssertEqual(batch.captions[k + 3], counterpart.caption.text)
            XCTAssertEqual(changed[k], counterpart.changed)
        }

        let plan = try WorldModelPlan.tiny()
        XCTAssertEqual(plan.clipTargetPairs, 0.5)
        let tokenizer = try CLIPTokenizer(openCLIPVocabulary: clipVocabulary())
        // Every token of the target words (between <|startoftext|> and <|endoftext|>).
        let targetRows = PortraitTarget.allCases.flatMap(\.words).flatMap { word in
            tokenizer(word, maxLength: 77).dropFirst().prefix { $0 != 49407 }
        }
        XCTAssertGreaterThanOrEqual(targetRows.count, 9)
        /// The largest gradient norm among the target words' embedding rows after one batch's loss.
        func targetRowGradient(share: Double) throws -> Float {
            let clip = try CLIPModel(plan.clip, factory: ParameterFactory(generator: Generator(seed: 2)))
            let weight = clip.textModel.embeddings.tokenEmbedding.weight
            try weight.setRequiresGrad(true)
            let stage = CLIPStage(clip: clip, tokenizer: tokenizer, examples: examples, counterparts: true, targetShare: share)
            try stage.loss(examples: 0..<16, generator: Generator(seed: 1)).loss.backward()
            let grad = try XCTUnwrap(try weight.grad())
            let rows = try grad.indexSelect(dim: 0, index: Tensor(targetRows.map(Int64.init), shape: [targetRows.count]))
            return Float(try rows.abs().amax().item())
        }
        XCTAssertEqual(try targetRowGradient(share: 0), 0, "no target word in a batch without target pairs")
        XCTAssertGreaterThan(try targetRowGradient(share: 1), 0)
    }

    /// The caption attribute heads read each phrase's token states: trained with the text tower on a few
    /// captions, they name the attributes those captions state (every wording of hair style included), and in
    /// the CLIP stage their term joins the contrastive loss, which still falls.
    func testCaptionAttributeHeadsTeachTheTextTowerWhatCaptionsState() throws {
        let plan = try WorldModelPlan.tiny()
        XCTAssertEqual(plan.clipCaptionAttributes, 1)
        let factory = ParameterFactory(generator: try Generator(seed: 2))
        let clip = try CLIPModel(plan.clip, factory: factory)
        let heads = try CaptionAttributeHeads(hidden: plan.clip.textConfig.hiddenSize, factory: factory)
        XCTAssertEqual(heads.classes.map(\.name), ["subject", "face_shape", "skin_tone", "eye_color", "hair_color",
            "hair_style", "clothing", "clothing_color", "background", "background_color", "lighting", "style"])
        let tokenizer = try CLIPTokenizer(openCLIPVocabulary: clipVocabulary())
        let examples = try RenderedExamples(kind: .pretraining, seed: 0)
        let stage = CLIPStage(clip: clip, tokenizer: tokenizer, examples: examples, attributeHeads: heads, attributeWeight: 1)
        XCTAssertEqual(stage.trainableParameters.count, clip.namedParameters().count + 2 * heads.classes.count)

        let items = try (0..<8).map { try examples.example($0) }
        let captions = items.map(\.caption.text)
        func step() throws -> (loss: Double, accuracy: Double) {
            let hidden = try clip.textModel(stage.ids(captions)).lastHiddenState
            let prompts = captions.map { tokenizer.encodeWithPhrases($0) }
            let (loss, accuracy) = try heads.loss(hidden: hidden, prompts: prompts, captions: items.map(\.caption),
                                                  attributes: items.map(\.attributes))
            try loss.backward()
            return (try loss.item(), accuracy)
        }
        let parameters = clip.textModel.parameters + heads.parameters
        for p in parameters { try p.setRequiresGrad(true) }
        let optimizer = try AdamW(parameters, lr: 1e-2, weightDecay: 0)
        var first: (loss: Double, accuracy: Double)?
        var last = (loss: 0.0, accuracy: 0.0)
        for _ in 0..<60 {
            last = try step()
            if first == nil { first = last }
            try optimizer.step()
            try optimizer.zeroGrad()
        }
        XCTAssertLessThan(last.loss, 0.2 * first!.loss, "caption attribute loss \(first!) -> \(last)")
        XCTAssertGreaterThan(last.accuracy, 0.95)
        XCTAssertEqual(try stage.captionAttributeAccuracy(0..<8, of: examples)!, last.accuracy, accuracy: 0.13)

        let fresh = try CLIPModel(plan.clip, factory: ParameterFactory(generator: Generator(seed: 3)))
        let freshHeads = try CaptionAttributeHeads(hidden: plan.clip.textConfig.hiddenSize, factory: factory)
        let combined = CLIPStage(clip: fresh, tokenizer: tokenizer, examples: examples, attributeHeads: freshHeads,
                                 attributeWeight: 1)
        let terms = try combined.loss(examples: 0..<4, generator: Generator(seed: 1)).terms
        XCTAssertNotNil(terms["loss_caption_attributes"])
        assertFalls(try losses(combined, steps: 8, batch: 4, lr: 3e-3), "clip with caption attribute heads")
        XCTAssertNil(CLIPStage(clip: fresh, tokenizer: tokenizer, examples: examples, attributeHeads: freshHeads).attributeHeads,
                     "weight 0: no heads")
    }

    func testProbeLossFallsFromScratch() throws {
        let plan = try WorldModelPlan.tiny()
        let probe = try AttributeProbe(plan.probe, factory: ParameterFactory(generator: Generator(seed: 4)))
        XCTAssertEqual(probe.classes.count, AttributeClass.all.count)
        let stage = ProbeStage(probe: probe, examples: try RenderedExamples(kind: .probe, seed: 0))
        assertFalls(try losses(stage, steps: 8, batch: 2, lr: 1e-2), "probe")
    }

    /// Trained on a mix of renders and VAE reconstructions, the probe sees exactly the first share of each
    /// batch reconstructed, the rest as rendered, and still learns.
    func testProbeTrainsOnReconstructionsOfTheFirstShare() throws {
        let plan = try WorldModelPlan.tiny()
        let vae = try AutoencoderKL(plan.vae, factory: ParameterFactory(generator: Generator(seed: 1)))
        try vae.setRequiresGrad(false)
        let probe = try AttributeProbe(plan.probe, factory: ParameterFactory(generator: Generator(seed: 4)))
        let examples = try RenderedExamples(kind: .probe, seed: 0)
        let stage = ProbeStage(probe: probe, examples: examples, vae: vae, reconstructionShare: 0.5)
        let batch = try examples.batch(0..<4)
        let inputs = try stage.inputs(batch)
        let reconstructed = try Tensor.withNoGrad { try vae.reconstruct(batch.pixels) }
        XCTAssertTrue(try inputs.narrow(dim: 0, start: 0, length: 2).allClose(reconstructed.narrow(dim: 0, start: 0, length: 2), rtol: 0, atol: 0))
        XCTAssertTrue(try inputs.narrow(dim: 0, start: 2, length: 2).allClose(batch.pixels.narrow(dim: 0, start: 2, length: 2), rtol: 0, atol: 0))
        XCTAssertFalse(try inputs.allClose(batch.pixels, rtol: 0, atol: 1e-3), "the first half is not the render")
        XCTAssertTrue(try ProbeStage(probe: probe, examples: examples).inputs(batch).allClose(batch.pixels, rtol: 0, atol: 0))
        assertFalls(try losses(stage, steps: 8, batch: 2, lr: 1e-2), "probe on reconstructions")
    }

    /// `probe_reconstruction_targets = false`: the target heads learn from the renders of a batch only (their
    /// loss equals the loss on the render rows alone), every other head and the segmentation from all rows;
    /// `probe_renders_only` adds named heads to the crisp-only ones.
    func testTargetHeadsCanSkipTheReconstructions() throws {
        let plan = try WorldModelPlan.tiny()
        let probe = try AttributeProbe(plan.probe, factory: ParameterFactory(generator: Generator(seed: 4)))
        let examples = try RenderedExamples(kind: .probe, seed: 0)
        let batch = try examples.batch(0..<4, labels: true)
        let output = try probe(batch.pixels)
        let classes = AttributeClass.all
        func headLoss(_ i: Int, rows: Range<Int>) throws -> Double {
            let logits = try output.attributes[i].narrow(dim: 0, start: rows.lowerBound, length: rows.count)
            let truth = try batch.classes.select(dim: 1, index: i).narrow(dim: 0, start: rows.lowerBound, length: rows.count)
            return try logits.logSoftmax(dim: 1).gather(dim: 1, index: truth.unsqueeze(dim: 1)).mean().neg().item()
        }
        let targets = Set(classes.filter(\.isTarget).map(\.name))
        func expected(_ crisp: Set<String>) throws -> Double {
            try classes.indices.map { try headLoss($0, rows: crisp.contains(classes[$0].name) ? 2..<4 : 0..<4) }
                .reduce(0, +) / Double(classes.count)
        }
        let skipping = try probe.loss(output, targets: batch.classes, labels: batch.labels!, crispRows: 2..<4, crispOnly: targets)
        XCTAssertEqual(try skipping.attributes.item(), try expected(targets), accuracy: 1e-5)
        let eyes = try probe.loss(output, targets: batch.classes, labels: batch.labels!, crispRows: 2..<4,
                                  crispOnly: targets.union(["eye_color"]))
        XCTAssertEqual(try eyes.attributes.item(), try expected(targets.union(["eye_color"])), accuracy: 1e-5)
        XCTAssertNotEqual(try eyes.attributes.item(), try skipping.attributes.item(), accuracy: 1e-6)
        let stageHeads = ProbeStage(probe: probe, examples: examples, targetsOnReconstructions: false, rendersOnly: ["eye_color"])
        XCTAssertEqual(stageHeads.rendersOnly, targets.union(["eye_color"]))
        let all = try probe.loss(output, targets: batch.classes, labels: batch.labels!)
        XCTAssertNotEqual(try all.attributes.item(), try skipping.attributes.item(), accuracy: 1e-6)
        XCTAssertEqual(try all.segmentation.item(), try skipping.segmentation.item(), "the segmentation learns from every row")

        let vae = try AutoencoderKL(plan.vae, factory: ParameterFactory(generator: Generator(seed: 1)))
        try vae.setRequiresGrad(false)
        let stage = ProbeStage(probe: probe, examples: examples, vae: vae, reconstructionShare: 0.5, targetsOnReconstructions: false)
        assertFalls(try losses(stage, steps: 8, batch: 2, lr: 1e-2), "probe, targets on renders only")
    }

    /// `probe_visible_targets`: the target heads learn from every row (none is crisp-only), with the
    /// reconstructions' hidden targets turned off, and the loss falls.
    func testProbeStageWithVisibleTargetsLearns() throws {
        let plan = try WorldModelPlan.tiny()
        let vae = try AutoencoderKL(plan.vae, factory: ParameterFactory(generator: Generator(seed: 1)))
        try vae.setRequiresGrad(false)
        let probe = try AttributeProbe(plan.probe, factory: ParameterFactory(generator: Generator(seed: 4)))
        let examples = try RenderedExamples(kind: .probe, seed: 0)
        let stage = ProbeStage(probe: probe, examples: examples, vae: vae, reconstructionShare: 0.5, visibleTargets: true)
        XCTAssertNotNil(stage.visibleTargets)
        XCTAssertTrue(stage.rendersOnly.isEmpty)
        assertFalls(try losses(stage, steps: 8, batch: 2, lr: 1e-2), "probe, visible targets")
    }

    /// Region pooling: per class, the probability-weighted mean of a feature map, at the map's resolution.
    func testRegionMeansAverageEachClassRegion() throws {
        // One channel on a 2x2 map; weights at 4x4 (two classes: the left column pair vs the right one).
        let x = try Tensor([1, 2, 3, 4] as [Float], shape: [1, 1, 2, 2])
        var w = [Float](repeating: 0, count: 2 * 16)
        for row in 0..<4 { for col in 0..<4 { w[(col < 2 ? 0 : 16) + row * 4 + col] = 1 } }
        let means = try AttributeProbe.regionMeans(x, weights: Tensor(w, shape: [1, 2, 4, 4])).floats()
        // Class 0 covers x's left column (1, 3): mean 2; class 1 the right column (2, 4): mean 3 (mass 2 + 1e-3).
        XCTAssertEqual(means.count, 2)
        XCTAssertEqual(Double(means[0]), 4 / 2.001, accuracy: 1e-5)
        XCTAssertEqual(Double(means[1]), 6 / 2.001, accuracy: 1e-5)
    }

    /// Probe folders written before region pooling (no key) load as they were trained; new ones keep it.
    func testProbeConfigWithoutRegionPoolingDecodesAsBefore() throws {
        var config = AttributeProbeConfig(channels: [8, 16, 16, 16], regionPooling: true)
        let data = try JSONEncoder().encode(config)
        XCTAssertEqual(try JSONDecoder().decode(AttributeProbeConfig.self, from: data), config)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        object.removeValue(forKey: "region_pooling")
        config.regionPooling = false
        XCTAssertEqual(try JSONDecoder().decode(AttributeProbeConfig.self, from: JSONSerialization.data(withJSONObject: object)), config)
        let old = try AttributeProbe(config, factory: .uninitialized)
        let new = try AttributeProbe(AttributeProbeConfig(channels: [8, 16, 16, 16], regionPooling: true), factory: .uninitialized)
        let oldWidth = try XCTUnwrap(old.stateDict()["heads.hair_color.weight"]).shape[1]
        // 16 channels x 4 x 4 grid; region pooling adds 12 classes x (3 + 8 + 16) and the 3 x 4 x 4 image grid.
        XCTAssertEqual(oldWidth, 256)
        XCTAssertEqual(try XCTUnwrap(new.stateDict()["heads.hair_color.weight"]).shape[1], 256 + 12 * 27 + 48)
    }

    /// The probe's examples carry targets (it is the evaluator); pre-training examples never do.
    func testProbeMixtureHasTargetsAndPretrainingHasNone() throws {
        let probe = try RenderedExamples(kind: .probe, seed: 0)
        let pretraining = try RenderedExamples(kind: .pretraining, seed: 0)
        var targets = Set<PortraitTarget>()
        for i in 0..<200 {
            targets.formUnion(try probe.example(i).attributes.targets.active)
            XCTAssertTrue(try pretraining.example(i).attributes.targets.isEmpty)
        }
        XCTAssertEqual(targets, Set(PortraitTarget.allCases))
        // The same stream as `spf world dataset --kind pretrain --seed 0`.
        let dataset = try WorldDataset(kind: .pretrain, count: 10, seed: 0)
        XCTAssertEqual(try pretraining.example(3).caption, try dataset.example(3).caption)
    }

    /// Two steps, a stop, and two resumed steps end with the same weights as four steps in one go.
    func testStageResumeIsExact() throws {
        let plan = try WorldModelPlan.tiny()
        let settings = StageSettings(steps: 4, batchSize: 2, learningRate: 3e-3, checkpointEvery: 2, logEvery: 1)
        func stage() throws -> VAEStage {
            let vae = try AutoencoderKL(plan.vae, factory: ParameterFactory(generator: Generator(seed: 1)))
            return VAEStage(vae: vae, examples: try RenderedExamples(kind: .pretraining, seed: 0), klWeight: 1e-4)
        }
        let straight = try temporaryFolder("straight")
        let split = try temporaryFolder("split")
        defer {
            try? FileManager.default.removeItem(atPath: straight)
            try? FileManager.default.removeItem(atPath: split)
        }
        let a = try stage()
        XCTAssertEqual(try StageLoop(stage: a, settings: settings, run: RunFolder(path: straight), seed: 5).train(resume: false),
                       .finished(step: 4))
        let first = StageLoop(stage: try stage(), settings: settings, run: RunFolder(path: split), seed: 5)
        first.shouldStop = { $0 == 2 }
        XCTAssertEqual(try first.train(resume: false), .stopped(step: 2))
        let b = try stage()
        let second = StageLoop(stage: b, settings: settings, run: RunFolder(path: split), seed: 5)
        XCTAssertEqual(try second.train(resume: true), .finished(step: 4))
        let left = a.vae.stateDict()
        for (name, tensor) in b.vae.stateDict() {
            XCTAssertEqual(try tensor.floats(), try left[name]!.floats(), name)
        }
    }

    /// The written tokenizer folder tokenizes like the .gz it came from.
    func testTokenizerFolderMatchesOpenCLIPVocabulary() throws {
        let path = try clipVocabulary()
        let folder = try temporaryFolder("tokenizer")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, data) in try CLIPVocabularyFiles.files(openCLIPVocabulary: path) {
            try data.write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(name)))
        }
        let original = try CLIPTokenizer(openCLIPVocabulary: path)
        let written = try CLIPTokenizer(directory: folder)
        XCTAssertEqual(written.vocabularySize, 49408)
        XCTAssertEqual(written.modelMaxLength, 77)
        let examples = try RenderedExamples(kind: .pretraining, seed: 0)
        for i in 0..<20 {
            let caption = try examples.example(i).caption.text
            XCTAssertEqual(written(caption), original(caption), caption)
        }
        XCTAssertEqual(written("wearing sunglasses, a pencil sketch"), original("wearing sunglasses, a pencil sketch"))
    }

    /// `spf world pretrain --size tiny` end to end (one step per stage): the pipeline folder loads with
    /// `StableDiffusionPipeline.load(path:)` and generates a 64x64 image; the CLIP and probe folders load.
    func testPretrainWritesLoadablePipelineClipAndProbe() throws {
        let vocabulary = try clipVocabulary()
        let out = try temporaryFolder("pretrain")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let plan = try oneStepPlan()
        let run = try WorldPretraining(out: out + "/run", plan: plan, resume: false, vocabulary: vocabulary)
        XCTAssertEqual(try run.run(Set(WorldStageName.allCases)), .finished)
        try run.recordInvocation(command: "test", seconds: 0, outcome: .finished)
        XCTAssertThrowsError(try WorldPretraining(out: out + "/run", plan: plan, resume: false, vocabulary: vocabulary))

        let pipeline = try StableDiffusionPipeline.load(path: out + "/run/pipeline")
        XCTAssertEqual(pipeline.vaeScaleFactor, 4)
        XCTAssertEqual(pipeline.textEncoder.config.hiddenSize, plan.clip.textConfig.hiddenSize)
        var options = GenerationOptions(prompt: "a woman, with long red hair, a photo")
        options.width = 64
        options.height = 64
        options.steps = 2
        let images = try pipeline.generate(options)
        XCTAssertEqual(images.shape, [1, 3, 64, 64])
        // The tiny plan's `unet_prediction_type` reaches the pipeline the UNet trains in and ships with (the
        // engine's loss and every sampler read the scheduler config's `prediction_type`).
        XCTAssertEqual(plan.unetPredictionType, .vPrediction)
        for folder in ["stages/unet-base", "stages/unet/model", "pipeline"] {
            XCTAssertEqual(try StableDiffusionPipeline.load(path: out + "/run/" + folder).schedulerConfig.predictionType,
                           .vPrediction, folder)
        }

        // The tiny plan's `unet_styles` reaches the UNet's images and their manifest.
        let drawn = try JSONDecoder().decode(WorldDataset.Manifest.self,
                                             from: Data(contentsOf: URL(fileURLWithPath: out + "/run/data/pretrain/world.json")))
        XCTAssertEqual(drawn.shift, ["style: 1 photo to 1 cartoon (pre-training: 3 photos to 1 cartoon)"])

        let clipConfig = try CLIPConfig.load(contentsOf: URL(fileURLWithPath: out + "/run/clip/config.json"))
        XCTAssertEqual(clipConfig, plan.clip)
        // The folders load through the readers SPF's L_enh and the metrics use (weights, tokenizer, probe classes).
        let clip = try CLIPModel.load(folder: out + "/run/clip")
        XCTAssertEqual(clip.config, plan.clip)
        let tokenizer = try CLIPTokenizer(directory: out + "/run/clip")
        XCTAssertEqual(tokenizer("a woman, wearing a red hat", maxLength: 77), try run.tokenizer()("a woman, wearing a red hat", maxLength: 77))
        let probe = try AttributeProbe.load(folder: out + "/run/probe")
        XCTAssertEqual(probe.config, plan.probe)
        let clipSummary = try JSONDecoder().decode([String: Double].self,
                                                   from: Data(contentsOf: URL(fileURLWithPath: out + "/run/stages/clip/summary.json")))
        XCTAssertNotNil(clipSummary["counterpart_accuracy_held_out"])
        XCTAssertNotNil(clipSummary["target_pair_accuracy_held_out"])
        XCTAssert(clipSummary.keys.contains { $0.hasPrefix("target_pair_accuracy_") && $0 != "target_pair_accuracy_held_out" })
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/run/manifest.json"))

        // --extend-unet: a second phase from the trained UNet; the pipeline then ships the new phase's weights.
        let resumed = try WorldPretraining(out: out + "/run", plan: nil, resume: true, vocabulary: vocabulary)
        try resumed.extendUNet(plan.unetTraining)
        XCTAssertFalse(resumed.isFinished(.unet))
        XCTAssertThrowsError(try resumed.extendUNet(plan.unetTraining), "a phase must finish before another is added")
        XCTAssertEqual(try resumed.run([.unet]), .finished)
        let unetFile = "unet/diffusion_pytorch_model.safetensors"
        let first = try SafeTensors.load(out + "/run/stages/unet/model/" + unetFile)
        // The tiny plan's unet_ema_decay reaches the engine: the UNet phase keeps an average of every weight
        // (that the export is the average is EMATests'; after this one step it equals the weights).
        let average = try SafeTensors.load(out + "/run/stages/unet/checkpoints/step-00000001/ema.safetensors")
        XCTAssertEqual(Set(average.keys), Set(first.keys))
        let second = try SafeTensors.load(out + "/run/stages/unet-ext1/model/" + unetFile)
        let shipped = try SafeTensors.load(out + "/run/pipeline/" + unetFile)
        XCTAssertEqual(Set(first.keys), Set(shipped.keys))
        XCTAssert(shipped.allSatisfy { try! $0.value.allClose(second[$0.key]!, rtol: 0, atol: 0) }, "the pipeline holds the last phase")
        XCTAssertFalse(shipped.allSatisfy { try! $0.value.allClose(first[$0.key]!, rtol: 0, atol: 0) }, "the extension trained")
        let reread = try WorldPretraining(out: out + "/run", plan: nil, resume: true, vocabulary: vocabulary)
        XCTAssertEqual(reread.plan.unetPhases.map(\.folder), ["stages/unet", "stages/unet-ext1"])
        XCTAssertEqual(reread.plan.unetPredictionType, .vPrediction)
    }

    /// Plans written before `unet_extensions`, `unet_prediction_type` and `unet_styles` existed still decode, with one
    /// phase, epsilon and pre-training's styles; with extensions, one more phase per entry.
    func testPlansWithoutExtensionsDecode() throws {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(WorldModelPlan.tiny())) as? [String: Any])
        object["unet_extensions"] = nil
        object["unet_prediction_type"] = nil
        object["unet_styles"] = nil
        let old = try JSONDecoder().decode(WorldModelPlan.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertNil(old.unetStyles, "older plans draw pre-training's styles")
        XCTAssertEqual(old.unetPhases.map(\.folder), ["stages/unet"])
        XCTAssertNil(old.unetPredictionType, "older plans stay epsilon")
        var extended = old
        extended.unetExtensions = [old.unetTraining, old.unetTraining]
        let reread = try JSONDecoder().decode(WorldModelPlan.self, from: JSONEncoder().encode(extended))
        XCTAssertEqual(reread.unetPhases.map(\.folder), ["stages/unet", "stages/unet-ext1", "stages/unet-ext2"])
    }

    /// A plan whose target pairs cannot be drawn (no counterpart batches, or not a share) is refused before CLIP
    /// trains, naming the field.
    func testCLIPTargetPairsNeedCounterpartsAndAShare() throws {
        let vocabulary = try clipVocabulary()
        let out = try temporaryFolder("target-pairs")
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (counterparts, share) in [(false, 0.5), (true, 1.5), (true, -0.1)] {
            var plan = try WorldModelPlan.tiny(steps: 1)
            plan.clipCounterparts = counterparts
            plan.clipTargetPairs = share
            let run = try WorldPretraining(out: out + "/run\(share)", plan: plan, resume: false, vocabulary: vocabulary)
            XCTAssertThrowsError(try run.run([.clip])) { XCTAssert("\($0)".contains("clip_target_pairs"), "\($0)") }
            XCTAssertFalse(run.isFinished(.clip))
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run\(share)/stages/clip"))
        }
    }

    /// A plan whose UNet average cannot be kept is refused before the UNet stage writes anything, naming the field.
    func testBadUNetEMADecayIsRefused() throws {
        let vocabulary = try clipVocabulary()
        let out = try temporaryFolder("unet-ema")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var plan = try oneStepPlan()
        plan.unetEMADecay = 1.5
        let run = try WorldPretraining(out: out + "/run", plan: plan, resume: false, vocabulary: vocabulary)
        XCTAssertEqual(try run.run([.vae, .clip]), .finished)
        XCTAssertThrowsError(try run.run([.unet])) { XCTAssert("\($0)".contains("plan.json: unet_ema_decay 1.5"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run/stages/unet"))
    }

    /// The UNet trains on the images its plan draws: images rendered for another count, seed or style mix (a plan
    /// edited after rendering) are refused, naming their manifest, before the stage writes anything; an empty
    /// style mix is refused naming the field.
    func testUNetImagesMustBeThePlans() throws {
        let vocabulary = try clipVocabulary()
        let out = try temporaryFolder("unet-images")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var plan = try oneStepPlan()
        let run = try WorldPretraining(out: out + "/run", plan: plan, resume: false, vocabulary: vocabulary)
        XCTAssertEqual(try run.run([.vae, .clip]), .finished)
        try FileManager.default.createDirectory(atPath: out + "/run/data", withIntermediateDirectories: true)
        try WorldDataset(kind: .pretrain, count: plan.unetImages, seed: plan.seed).write(to: out + "/run/data/pretrain")
        XCTAssertThrowsError(try run.run([.unet])) {
            XCTAssert("\($0)".contains("data/pretrain/world.json: the UNet's images are 2 images, seed 0, renderer 1, "
                                       + "pre-training's styles but plan.json (unet_images, seed, unet_styles) draws 2 images, "
                                       + "seed 0, renderer 1, style: 1 photo to 1 cartoon"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run/stages/unet-base"))

        plan.unetStyles = []
        let empty = try WorldPretraining(out: out + "/run2", plan: plan, resume: false, vocabulary: vocabulary)
        XCTAssertEqual(try empty.run([.vae, .clip]), .finished)
        XCTAssertThrowsError(try empty.run([.unet])) { XCTAssert("\($0)".contains("plan.json: unet_images / unet_styles"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run2/data"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run2/stages/unet-base"))
    }

    /// A plan that names an unknown head in `probe_renders_only`, or asks for visible targets on target heads kept off
    /// the reconstructions, is refused before the probe stage writes anything.
    func testUnknownRendersOnlyHeadIsRefused() throws {
        let vocabulary = try clipVocabulary()
        let out = try temporaryFolder("renders-only")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var plan = try oneStepPlan()
        plan.probeRendersOnly = ["eye_color", "eye_colour"]
        let run = try WorldPretraining(out: out + "/run", plan: plan, resume: false, vocabulary: vocabulary)
        XCTAssertEqual(try run.run([.vae]), .finished)
        XCTAssertThrowsError(try run.run([.probe])) {
            XCTAssert("\($0)".contains("plan.json: probe_renders_only names \"eye_colour\""), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run/stages/probe"))
        // probe_visible_targets relabels what probe_reconstruction_targets false keeps away: a contradiction.
        plan.probeRendersOnly = ["eye_color"]
        plan.probeVisibleTargets = true
        plan.probeReconstructionTargets = false
        let contradiction = try WorldPretraining(out: out + "/run2", plan: plan, resume: false, vocabulary: vocabulary)
        XCTAssertEqual(try contradiction.run([.vae]), .finished)
        XCTAssertThrowsError(try contradiction.run([.probe])) {
            XCTAssert("\($0)".contains("plan.json: probe_visible_targets"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run2/stages/probe"))
    }

    /// The shipped world model (models/world) was made by the standard plan: `spf world pretrain` reproduces it.
    func testShippedWorldIsTheStandardPlan() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/world/plan.json")
        let shipped = try JSONDecoder().decode(WorldModelPlan.self, from: Data(contentsOf: root))
        XCTAssertEqual(shipped, try WorldModelPlan.standard())
    }
}
