import Diffusion
import Foundation
import NN
import ParityTesting
import Tokenizers
import Torch
import XCTest
@testable import Training

/// SPF's pieces on the tiny model: token groups (add/replace, truncation, different token lengths), the
/// reference path (original values, no UNet copy, restored afterwards; LoRA disabled), configuration, and the
/// direction tests (the loss falls; without the SFCM the response ends closer to the reference). The third, the
/// target's attention where M is high, needs a model that can draw the target: `SPFDirectionOnWorldTests`.
final class SPFMethodTests: TinyRunTestCase {
    func tokenizer() throws -> CLIPTokenizer {
        try CLIPTokenizer(directory: (tinyModel as NSString).appendingPathComponent("tokenizer"))
    }

    func testGroupsInAddAndReplaceMode() throws {
        let tok = try tokenizer()
        let add = try SPFPromptGroups(caption: PortraitCaption(base: "a woman, in a blue t-shirt", target: "with a red hat",
                                                               mode: .add, replaces: nil), tokenizer: tok)
        XCTAssertEqual(add.phrases.map(\.text), ["a woman", "in a blue t-shirt"])
        XCTAssertEqual(add.phrases.map(\.baseSpan), add.phrases.map(\.fullSpan), "add mode: base phrases keep their spans")
        let full = tok.encodeWithPhrases("a woman, in a blue t-shirt, with a red hat")
        XCTAssertEqual(add.targetSpan, Array(full.phrases[2].range))
        XCTAssertEqual(add.fullPad, full.padGroup)
        XCTAssertLessThan(add.fullPad.lowerBound, 77)
        XCTAssertGreaterThan(add.basePad.count, add.fullPad.count)

        let replace = try SPFPromptGroups(
            caption: PortraitCaption(base: "a man, in a blue t-shirt, smiling", target: "in a long green summer dress",
                                     mode: .replace, replaces: "in a blue t-shirt"), tokenizer: tok)
        XCTAssertEqual(replace.phrases.map(\.isReplaced), [false, true, false])
        XCTAssertNil(replace.phrases[1].fullSpan)
        let b = tok.encodeWithPhrases("a man, in a blue t-shirt, smiling")
        let f = tok.encodeWithPhrases("a man, in a long green summer dress, smiling")
        XCTAssertEqual(replace.phrases[2].baseSpan, b.phrases[2].range)
        XCTAssertEqual(replace.phrases[2].fullSpan, f.phrases[2].range, "the phrase after the target moved")
        XCTAssertNotEqual(replace.phrases[2].baseSpan, replace.phrases[2].fullSpan)
        XCTAssertEqual(replace.targetSpan, Array(f.phrases[1].range))

        let layout = SPFGroupLayout([add, replace], settings: SPFSettings())
        XCTAssertEqual(layout.phraseSlots, 3)
        XCTAssertEqual(layout.count, 5)
        XCTAssertEqual(layout.alignMask, [[true, true, false, true, false], [true, false, true, true, false]])
        XCTAssertEqual(layout.controlMask, [[true, true, false], [true, false, true]])
        XCTAssertEqual(layout.reference[0][2], [], "a shorter record pads with an empty group")
        XCTAssertEqual(layout.reference[1][4], Array(b.phrases[1].range), "the replaced phrase sits in the target slot of B")
        var target = SPFSettings()
        target.replacedPhrase = .target
        target.padGroup = false
        let aligned = SPFGroupLayout([add, replace], settings: target)
        XCTAssertEqual(aligned.alignMask[1], [true, true, true, false, false])
        XCTAssertEqual(aligned.response[1][1], replace.targetSpan)
    }

    func testGroupsOfTruncatedPrompts() throws {
        let tok = try tokenizer()
        let words = (0..<30).map { "phrase number \($0)" }
        let base = words.joined(separator: ", ")
        let groups = try SPFPromptGroups(caption: PortraitCaption(base: base, target: "with a red hat", mode: .add, replaces: nil),
                                         tokenizer: tok)
        let b = tok.encodeWithPhrases(base)
        XCTAssertTrue(b.isTruncated)
        XCTAssertEqual(groups.phrases.compactMap(\.baseSpan).count, b.phrases.count)
        XCTAssertEqual(groups.targetSpan, [], "the target is past the limit")
        XCTAssertEqual(groups.basePad, 76..<77)
        let layout = SPFGroupLayout([groups], settings: SPFSettings())
        for (k, phrase) in groups.phrases.enumerated() {
            XCTAssertEqual(layout.alignMask[0][k], phrase.baseSpan != nil && phrase.fullSpan != nil)
        }
    }

    /// The reference path equals the original model, leaves the trained values in place afterwards, and stores
    /// only the trained tensors.
    func testReferencePathIsTheOriginalModel() throws {
        let fixture = try SPFFixture.load()
        let (method, batch, draw) = try fixture.setUp(settings: SPFFixture.settings("spf"))
        let trainedBefore = try method.trainableParameters.map { try $0.tensor.detach().clone() }
        let step = try method.stage2(batch, draw: draw)
        try assertParity(step.reference.sample, XCTUnwrap(fixture.tensors["spf.eps_ref"]),
                         Budget.model(length: 576, depth: 30).notBitExact, "reference = original", in: referenceFixtures)
        for (before, (name, tensor)) in zip(trainedBefore, method.trainableParameters) {
            XCTAssertTrue(try tensor.detach().eq(before).all().item() != 0, "\(name) restored")
        }
        let trainedCount = method.trainableParameters.reduce(0) { $0 + $1.tensor.numel }
        XCTAssertEqual(method.reference.storedElements, trainedCount)
        let unetCount = method.models.unet.namedParameters().reduce(0) { $0 + $1.tensor.numel }
        XCTAssertLessThan(method.reference.storedElements, unetCount / 2)
    }

    func testLoRAReferenceDisablesAdapters() throws {
        var config = TrainingConfig()
        config.model = tinyModel
        config.method = .spf
        config.steps = 2
        config.spf.lora = true
        config.spf.lambdaEnh = 0
        config.spf.sfcmLayers = ["1/2"]
        let models = try TrainingModels.load(config)
        let method = try SPFMethod(models: models, config: config)
        XCTAssertTrue(method.trainableParameters.allSatisfy { $0.name.contains(".lora.") })
        XCTAssertEqual(method.reference.storedElements, 0, "LoRA: nothing is copied")
        // Make the adapters matter, then compare the reference forward with the model without adapters.
        try Tensor.withNoGrad {
            for (_, t) in method.trainableParameters { try t.copy_(t.randnLike(generator: Generator(seed: 3)) * 0.1) }
        }
        let sample = try Tensor.randn([1, 4, 8, 8], generator: Generator(seed: 1))
        let states = try Tensor.randn([1, 77, 32], generator: Generator(seed: 2))
        let t = try Tensor([Int64(300)], shape: [1])
        let unet = models.unet
        let withAdapters = try Tensor.withNoGrad { try unet(sample: sample, timestep: t, encoderHiddenStates: states).sample }
        let disabled = try method.reference.run { try unet(sample: sample, timestep: t, encoderHiddenStates: states).sample }
        let adapters = unet.loraAdapters()
        XCTAssertTrue(adapters.allSatisfy { $0.lora.strength == 1 }, "strengths restored")
        // A disabled adapter is not computed at all: a non-finite one cannot leak into the reference path.
        let saved = try Tensor.withNoGrad { try adapters[0].lora.up.detach().clone() }
        try Tensor.withNoGrad { try adapters[0].lora.up.fill_(Double.nan) }
        let guarded = try method.reference.run { try unet(sample: sample, timestep: t, encoderHiddenStates: states).sample }
        XCTAssertTrue(try guarded.isFinite().to(.float32).amin().item() == 1, "NaN adapter at strength 0")
        try Tensor.withNoGrad { try adapters[0].lora.up.copy_(saved) }
        let removed = unet.removeLoRA()
        XCTAssertFalse(removed.isEmpty)
        let plain = try Tensor.withNoGrad { try unet(sample: sample, timestep: t, encoderHiddenStates: states).sample }
        try assertParity(disabled, plain, .exact, "adapters disabled = no adapters", in: referenceFixtures)
        XCTAssertGreaterThan(try (withAdapters - plain).abs().amax().item(), 1e-4, "the adapters changed the output")
    }

    func testConfiguration() throws {
        let folder = try temporaryFolder(self)
        let toml = (folder as NSString).appendingPathComponent("run.toml")
        try """
        model = "m"
        data = "d"
        out = "o"
        method = "spf"
        steps = 10
        [spf]
        lambda_tc = 2.5
        nd = "squared"
        sfcm_layers = ["1/2"]
        stage1_steps = 4
        enhance_mode = "direct"
        """.write(toFile: toml, atomically: true, encoding: .utf8)
        let config = try ConfigResolution.resolve(file: toml, overrides: [.init(key: "spf.blur_sigma", value: "1.5", source: "--set")])
        XCTAssertEqual(config.method, .spf)
        XCTAssertEqual(config.spf.lambdaTc, 2.5)
        XCTAssertEqual(config.spf.nd, .squared)
        XCTAssertEqual(config.spf.blurSigma, 1.5)
        XCTAssertEqual(config.spf.enhanceMode, .direct)
        XCTAssertEqual(config.spf.enhancementNote?.contains("L_enh is off"), true)
        let bad: [(String, String, String)] = [
            ("spf.nd", "\"cubic\"", "abs, squared"), ("spf.lambda_fg", "-1", "spf.lambda_fg"),
            ("spf.stage1_steps", "10", "spf.stage1_steps"), ("spf.sfcm_layers", "[\"1/3\"]", "spf.sfcm_layers"),
            ("spf.lamda_tc", "1", "did you mean"), ("spf.clip_model", "\"/nonexistent\"", "spf.clip_model"),
        ]
        for (key, value, message) in bad {
            XCTAssertThrowsError(try ConfigResolution.resolve(file: toml, overrides: [.init(key: key, value: value, source: "--set")])) {
                XCTAssert("\($0)".contains(message), "\(key)=\(value): \($0)")
            }
        }
        XCTAssertThrowsError(try ConfigResolution.resolve(file: toml, overrides: [
            .init(key: "method", value: "naive", source: "--set"), .init(key: "init_from", value: "\"/x\"", source: "--set"),
        ])) { XCTAssert("\($0)".contains("init_from"), "\($0)") }
    }

    /// Trains the fixture's batch on its fixed draw for `steps` AdamW steps from the "stage 1" weights; returns
    /// the total losses and the final |eps_res - eps_ref|.
    func train(_ settings: SPFSettings, steps: Int) throws -> (losses: [Double], distance: Double, last: SPFMethod.Stage2, sfcmLayers: [String]) {
        let fixture = try SPFFixture.load()
        let (method, batch, draw) = try fixture.setUp(settings: settings)
        let parameters = method.trainableParameters.map(\.tensor)
        let optimizer = try AdamW(parameters, lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0)
        var losses: [Double] = []
        for _ in 0..<steps {
            let step = try method.stage2(batch, draw: draw)
            try step.loss.loss.backward()
            losses.append(try step.loss.loss.item())
            try optimizer.step()
            try optimizer.zeroGrad()
        }
        let last = try method.stage2(batch, draw: draw)
        let distance = try (last.response.sample - last.reference.sample).square().mean().sqrt().item()
        return (losses, distance, last, method.sfcmLayerNames)
    }

    func testLossFallsOverFiftySteps() throws {
        let (losses, _, _, _) = try train(SPFFixture.settings("spf"), steps: 50)
        print("SPF loss over 50 steps: \(losses.first!) -> \(losses.last!)")
        XCTAssertLessThan(losses.last!, losses.first! * 0.9, "\(losses.first!) -> \(losses.last!)")
    }

    func testWithoutSFCMTheResponseEndsCloserToTheReference() throws {
        var with = SPFFixture.settings("spf")
        with.lambdaDiff = 1
        var without = with
        without.sfcm = false
        let a = try train(with, steps: 50), b = try train(without, steps: 50)
        print("RMS(eps_res - eps_ref) after 50 steps: w/o SFCM \(b.distance), SFCM \(a.distance)")
        XCTAssertLessThan(b.distance, a.distance, "w/o SFCM \(b.distance) vs SFCM \(a.distance)")
    }
}

/// `phrase_map_normalize`: with diffuse attention (every phrase spread evenly), max-normalised maps are 1 everywhere
/// and their weighted sum wipes out the noise difference (M = 0, which is "w/o SFCM"); as probability mass they sum
/// to at most 1 at a pixel and M keeps the noise difference's peak.
final class SPFControlMapNormalizationTests: XCTestCase {
    func testDiffuseAttentionKeepsTheMapOnlyAsMass() throws {
        let (b, c, h, w, phrases) = (1, 4, 4, 4, 5)
        var difference = [Float](repeating: 0, count: b * c * h * w)
        for channel in 0..<c { difference[channel * h * w + 5] = 1 }  // the target's pixel (1, 1)
        let response = try Tensor(difference, shape: [b, c, h, w])
        let reference = try Tensor.zeros([b, c, h, w])
        // Each phrase holds 1/8 of the attention at every pixel (the rest on BOS/EOS/padding).
        let maps = try Tensor([Float](repeating: 0.125, count: b * phrases * h * w), shape: [b, phrases, h, w])
        let weights = try Tensor([Float](repeating: 1, count: b * phrases), shape: [b, phrases])
        var settings = SPFSettings()
        settings.phraseMapNormalize = .max
        let max = try SPFControlMap(settings: settings)(responsePrediction: response, referencePrediction: reference,
                                                        phraseMaps: [maps], weights: weights)
        XCTAssertEqual(try max.abs().sum().item(), 0, "sum of 5 maps of 1 everywhere exceeds ND <= 1")
        settings.phraseMapNormalize = .mass
        let mass = try SPFControlMap(settings: settings)(responsePrediction: response, referencePrediction: reference,
                                                         phraseMaps: [maps], weights: weights)
        let values = try mass.reshape([-1]).toArray(Float.self)
        XCTAssertEqual(values[5], 1, accuracy: 1e-6, "ND 1 - mass 0.625, renormalised to 1")
        XCTAssertEqual(values.enumerated().filter { $0.offset != 5 }.map(\.element).max() ?? 1, 0, "elsewhere ND is 0")
    }
}
