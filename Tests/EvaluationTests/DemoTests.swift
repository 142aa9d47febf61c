import Demo
import Evaluation
import Foundation
import Imaging
import PortraitWorld
import StableDiffusion
import Torch
import WorldModels
import XCTest

/// A tiny world (every model one step from scratch), made once per test process: the demo's and the
/// evaluator's code paths on real folders in seconds.
enum TinyWorld {
    /// The CLIP BPE vocabulary pretraining needs: $SPF_CLIP_VOCAB, else the one scripts/setup.sh caches; a skip without it.
    static func vocabulary() throws -> String {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["SPF_CLIP_VOCAB"],
                                     URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                                         .deletingLastPathComponent().appendingPathComponent(".cache/clip/bpe_simple_vocab_16e6.txt.gz").path]
        guard let vocabulary = candidates.compactMap({ $0 }).first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw XCTSkip("no CLIP vocabulary (set SPF_CLIP_VOCAB or run scripts/setup.sh)")
        }
        return vocabulary
    }

    static let folder: Result<String, Error> = Result {
        let vocabulary = try TinyWorld.vocabulary()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("spf-tiny-world-\(UUID().uuidString)").path
        var plan = try WorldModelPlan.tiny(steps: 1)
        plan.unetImages = 2
        plan.evaluationImages = 2
        let run = try WorldPretraining(out: out, plan: plan, resume: false, vocabulary: vocabulary)
        let outcome = try run.run(Set(WorldStageName.allCases))
        try run.recordInvocation(command: "spf world pretrain --size tiny --steps 1 (tests)", seconds: 0, outcome: outcome)
        return out
    }

    static func path() throws -> String { try folder.get() }
}

final class DemoTests: ScratchTestCase {

    static func tinySettings() throws -> DemoSettings {
        try DemoSettings().applying(["training_images=6", "batch_size=2", "naive_steps=3", "lora_steps=3", "spf_steps=2",
                                     "evaluation_pairs=4", "shown_pairs=2", "sampling.steps=2", "bootstrap_replicates=20"])
    }

    /// Identical image sets: distance 0 and agreement 1 on every preservation metric, through the real evaluator.
    func testIdenticalSetsMeasurePerfectPreservation() throws {
        let world = try TinyWorld.path()
        let evaluator = try WorldEvaluator(clipFolder: world + "/clip", probeFolder: world + "/probe")
        let pipeline = try StableDiffusionPipeline.load(path: world + "/pipeline")
        let prompts = try EvaluationPrompts.world(target: .hat, count: 4, seed: 3)
        var sampling = SamplingSettings()
        sampling.steps = 2
        let images = try ImageSetGeneration.generate(pipeline, prompts: prompts.map(\.caption.base), seeds: prompts.map(\.seed),
                                                     settings: sampling)
        XCTAssertEqual(images.shape, [4, 3, 64, 64])
        let metrics = try CustomizationMetrics.measure(target: .hat, fullTexts: prompts.map(\.caption.fullText), original: images,
                                                       customizedFull: images, customizedBase: images, evaluator: evaluator,
                                                       bootstrap: Bootstrap(replicates: 20))
        for part in [metrics.fullText, metrics.baseText] {
            XCTAssertEqual(part.frechetDistance.value, 0, accuracy: 1e-6)
            XCTAssertEqual(part.perceptualDistance.value, 0, accuracy: 1e-9)
            XCTAssertEqual(part.identityAgreement.value, 1)
            XCTAssertEqual(part.clipImage.value, 1, accuracy: 1e-6)
            XCTAssertEqual(part.segmentationConsistency.value, 1)
        }
        // A known change: other images move the distances off 0 and the similarity off 1.
        let other = try images.flip(dims: [3])
        let changed = try CustomizationMetrics.measure(target: .hat, fullTexts: prompts.map(\.caption.fullText), original: images,
                                                       customizedFull: other, customizedBase: images, evaluator: evaluator,
                                                       bootstrap: Bootstrap(replicates: 20))
        XCTAssertGreaterThan(changed.fullText.perceptualDistance.value, 1e-4)
        XCTAssertLessThan(changed.fullText.clipImage.value, 1 - 1e-6)
        XCTAssertEqual(changed.baseText, metrics.baseText, "the base-text sets did not change")
        // The text response is the paired difference of the two detection rates: 0 when both sets are the same.
        XCTAssertEqual(try XCTUnwrap(metrics.textResponse).value, 0)
        XCTAssertEqual(try XCTUnwrap(changed.textResponse).value,
                       changed.targetDetection.value - changed.baseTextTargetRate.value, accuracy: 1e-12)
        // Measurements written before the text response existed still load (it is nil there).
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(metrics)) as? [String: Any])
        XCTAssertNotNil(object.removeValue(forKey: "text_response"))
        let older = try JSONDecoder().decode(CustomizationMetrics.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertNil(older.textResponse)
        XCTAssertEqual(MetricsTable.format(older.textResponse ?? Estimate(value: .nan, low: .nan, high: .nan)), "-")
    }

    /// Image i of a batch is the image `generate` makes alone with seed i (DDIM is deterministic).
    func testBatchedGenerationEqualsSingleImages() throws {
        let pipeline = try StableDiffusionPipeline.load(path: try TinyWorld.path() + "/pipeline")
        var sampling = SamplingSettings()
        sampling.steps = 3
        let texts = ["a woman, a photo", "a man, with short black hair, a cartoon"]
        let batch = try ImageSetGeneration.generate(pipeline, prompts: texts, seeds: [7, 8], settings: sampling)
        for (i, text) in texts.enumerated() {
            var options = GenerationOptions(prompt: text, seed: UInt64(7 + i), steps: 3, height: 64, width: 64)
            options.guidanceScale = sampling.guidanceScale
            options.scheduler = sampling.scheduler
            let single = try pipeline.generate(options).clamp(min: -1, max: 1)
            let difference = try (batch.select(dim: 0, index: i) - single.select(dim: 0, index: 0)).abs().flatten(startDim: 0)
                .max(dim: 0).values.item()
            XCTAssertLessThan(difference, 1e-4, "image \(i)")
        }
    }

    /// The shortened demo end to end: every artefact of the report is there and readable.
    func testShortDemoWritesEveryArtefact() throws {
        let world = try TinyWorld.path()
        let settings = try Self.tinySettings()
        let run = DemoRun(settings: settings, world: world, out: directory)
        let result = try run.run()
        XCTAssertEqual(result.methods.map(\.name), ["naive", "LoRA", "SPF-Portrait"])
        let html = try String(contentsOfFile: result.reportPath, encoding: .utf8)
        XCTAssertTrue(html.contains("<table id=\"metrics\">"))
        for name in ["naive", "LoRA", "SPF-Portrait", "Seg-Cons", "CLIP-T", "target detected"] { XCTAssertTrue(html.contains(name), name) }
        // Every image: a PNG of the sampling size (original + 3 models, full and base grids, shown pairs each; then
        // image, SFCM and target attention of the shown fine-tuning examples).
        let images = html.components(separatedBy: "src=\"data:image/png;base64,").dropFirst()
        XCTAssertEqual(images.count, 2 * settings.shownPairs * 4 + 3 * settings.shownMaps)
        XCTAssertTrue(html.contains("SFCM M") && html.contains("target attention"))
        for image in images {
            let encoded = String(image.prefix { $0 != "\"" })
            let png = try XCTUnwrap(Data(base64Encoded: encoded))
            let decoded = try PNGReader.decode([UInt8](png))
            XCTAssertEqual([decoded.width, decoded.height], [settings.sampling.size, settings.sampling.size])
        }
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 3, "a loss chart per run")
        XCTAssertFalse(html.contains("http://") && html.contains("<script src"), "self-contained")
        for run in ["naive", "lora", "spf"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/work/\(run)/metrics.jsonl"), run)
            XCTAssertTrue(html.contains("work/\(run)/config.json"), run)
        }
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: result.metricsPath))) as? [String: Any]
        let methods = try XCTUnwrap(metrics?["methods"] as? [String: Any])
        XCTAssertEqual(Set(methods.keys), ["naive", "LoRA", "SPF-Portrait"])
        // The SFCM against the fine-tuning set's ground-truth label maps (hat: a region of every example).
        let truth = try XCTUnwrap(metrics?["sfcm_ground_truth"] as? [String: Any])
        XCTAssertEqual(truth["examples"] as? Int, settings.shownMaps)
        let area = try XCTUnwrap(truth["area_fraction"] as? Double)
        XCTAssert(area > 0 && area < 0.5, "the hat covers part of each portrait: \(area)")
        XCTAssertTrue(html.contains("Against the ground-truth label maps"))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: directory).contains { $0.contains(".tmp") })
        try checkInChromium(result.reportPath, images: images.count)
    }

    /// The ground-truth overlap on constructed maps: M equal to the region gives 1 inside and 0 outside;
    /// a constant M gives that constant on both; cells count by how much of them the region covers.
    func testSFCMGroundTruthOverlap() throws {
        // A 4x4 label map whose top-left 2x2 pixels are the hat (label of the target), on a 2x2 grid.
        var pixels = [UInt8](repeating: 0, count: 4 * 4 * 3)
        for (y, x) in [(0, 0), (0, 1), (1, 0), (1, 1), (0, 2)] { pixels[(y * 4 + x) * 3] = PortraitLabel.hat.rawValue }
        let labels = try RGBImage(width: 4, height: 4, pixels: pixels)
        let region = SPFMapSnapshot.regionShares(labels, labels: [PortraitLabel.hat.rawValue], height: 2, width: 2)
        XCTAssertEqual(region, [1, 0.25, 0, 0])
        let exact = SPFMapSnapshot.GroundTruthOverlap(maps: [(region, region, region)])
        XCTAssertEqual(exact.meanInside, (1 + 0.25 * 0.25) / 1.25, accuracy: 1e-6)
        XCTAssertEqual(exact.areaFraction, 1.25 / 4, accuracy: 1e-9)
        XCTAssertEqual(exact.attentionInside, exact.meanInside, accuracy: 1e-9)
        XCTAssertEqual(exact.attentionMapCorrelation, 1, accuracy: 1e-9)
        let binary = SPFMapSnapshot.GroundTruthOverlap(maps: [([1, 0, 0, 0], [0, 1, 1, 1], [1, 0, 0, 0])])
        XCTAssertEqual([binary.meanInside, binary.meanOutside], [1, 0])
        XCTAssertEqual([binary.attentionInside, binary.attentionOutside], [0, 1])
        XCTAssertEqual(binary.attentionMapCorrelation, -1, accuracy: 1e-9)
        let flat = SPFMapSnapshot.GroundTruthOverlap(maps: [([0.3, 0.3, 0.3, 0.3], [0.5, 0.1, 0.2, 0.9], region)])
        XCTAssertEqual(flat.meanInside, 0.3, accuracy: 1e-6)
        XCTAssertEqual(flat.meanOutside, 0.3, accuracy: 1e-6)
        XCTAssertEqual(flat.attentionMapCorrelation, 0, "a flat M has no direction")
    }

    /// Renders the report in headless Chromium (Debian's `chromium`, installed by `make test`'s set-up) and
    /// checks that every image decodes in a browser and the table is there.
    func checkInChromium(_ report: String, images: Int) throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw XCTSkip("no chromium (scripts/setup.sh --test installs Debian's package)")
        }
        let probe = directory + "/check.html"
        let script = """
            <script>window.addEventListener("load", () => { const all = [...document.images]; \
            const loaded = all.filter(i => i.complete && i.naturalWidth > 0).length; const d = document.createElement("div"); \
            d.id = "spf-check"; d.textContent = `images=${all.length} loaded=${loaded} tables=${document.querySelectorAll("table#metrics").length}`; \
            document.body.appendChild(d); });</script>
            """
        try String(contentsOfFile: report, encoding: .utf8).replacingOccurrences(of: "</body>", with: script + "</body>")
            .write(toFile: probe, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom",
                             "file://" + probe]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertTrue(dom.contains("images=\(images) loaded=\(images) tables=1"), String(dom.suffix(300)))
    }

    /// The world quality figures are fractions where they should be, and rendered-vs-rendered is a small distance.
    func testWorldQualityReportOnTinyWorld() throws {
        var sampling = SamplingSettings()
        sampling.steps = 2
        let (report, flagged) = try WorldQuality.measureWithFlagged(world: try TinyWorld.path(), count: 6, sampling: sampling)
        XCTAssertEqual(report.images, 6)
        // The flagged generations are exactly the ones the target rate counts, with what the probe read.
        XCTAssertEqual(Double(flagged.count) / 6, report.targetRate, accuracy: 1e-12)
        XCTAssertEqual(flagged.map(\.index), flagged.map(\.index).sorted())
        // Per style, the same count over each style's captions.
        let dataset = try WorldDataset(kind: .pretrain, count: 6, seed: WorldQuality.captionSeed)
        let styles = try (0..<6).map { try dataset.example($0).attributes.scene.style.rawValue }
        let perStyle = try XCTUnwrap(report.targetRatePerStyle)
        XCTAssertEqual(Set(perStyle.keys), Set(styles))
        for (style, rate) in perStyle {
            let indices = styles.indices.filter { styles[$0] == style }
            XCTAssertEqual(rate, Double(flagged.filter { indices.contains($0.index) }.count) / Double(indices.count), accuracy: 1e-12)
        }
        // Per-style figures average back to their wholes (weighted by each style's captions).
        func weightedMean(_ values: [String: Double]) -> Double {
            values.reduce(0) { sum, entry in sum + entry.value * Double(styles.filter { $0 == entry.key }.count) } / 6
        }
        let agreementPerStyle = try XCTUnwrap(report.captionAgreementPerStyle)
        XCTAssertEqual(Set(agreementPerStyle.keys), Set(styles))
        XCTAssertEqual(weightedMean(agreementPerStyle), report.captionAgreement, accuracy: 1e-12)
        // The reconstructions' ceiling and floor per style likewise.
        let reconstructedPerStyle = try XCTUnwrap(report.captionAgreementReconstructedPerStyle)
        let floorPerStyle = try XCTUnwrap(report.targetRateReconstructedPerStyle)
        XCTAssertEqual(Set(reconstructedPerStyle.keys), Set(styles))
        XCTAssertEqual(Set(floorPerStyle.keys), Set(styles))
        XCTAssertEqual(weightedMean(reconstructedPerStyle), try XCTUnwrap(report.captionAgreementReconstructed), accuracy: 1e-12)
        XCTAssertEqual(weightedMean(floorPerStyle), try XCTUnwrap(report.targetRateReconstructed), accuracy: 1e-12)
        for generation in flagged {
            XCTAssertFalse(generation.targets.isEmpty)
            XCTAssertEqual(generation.targetPixels.count, generation.generated.width * generation.generated.height)
            XCTAssertEqual(generation.rendered.width, generation.generated.width)
        }
        if !flagged.isEmpty {
            let sheet = try FlaggedGeneration.sheet(flagged, columns: 4, scale: 2)
            let cell = 2 * flagged[0].generated.width
            XCTAssertEqual(sheet.width, min(4, flagged.count) * (cell + 2) + 2)
            XCTAssertEqual(sheet.height, 3 * ((flagged.count + 3) / 4) * (cell + 2) + 2)
        }
        let ceilings = [try XCTUnwrap(report.captionAgreementRendered), try XCTUnwrap(report.captionAgreementReconstructed),
                        try XCTUnwrap(report.targetRateRendered), try XCTUnwrap(report.targetRateReconstructed)]
        for value in [report.probeAccuracy, report.probePixelAccuracy, report.captionAgreement, report.targetRate] + ceilings
            + Array(report.captionAgreementPerAttribute.values) + Array(report.targetRatePerTarget.values) {
            XCTAssert((0...1).contains(value), "\(value)")
        }
        XCTAssertEqual(Set(report.targetRatePerTarget.keys), Set(PortraitTarget.allCases.map(\.rawValue)))
        // The intervals are around the figures they qualify (the bootstrap of the same per-image values).
        for (interval, value) in [(report.captionAgreementInterval, report.captionAgreement), (report.targetRateInterval, report.targetRate)] {
            let estimate = try XCTUnwrap(interval)
            XCTAssertEqual(estimate.value, value, accuracy: 1e-12)
            XCTAssert(estimate.low <= estimate.value + 1e-12 && estimate.value <= estimate.high + 1e-12 && estimate.low >= 0 && estimate.high <= 1, "\(estimate)")
        }
        // Recall on reconstructions: over the targets visible in some reconstruction, each a fraction.
        let recall = try XCTUnwrap(report.targetRecallReconstructedPerTarget)
        XCTAssertTrue(Set(recall.keys).isSubset(of: PortraitTarget.allCases.map(\.rawValue)), "\(recall)")
        XCTAssert(([try XCTUnwrap(report.targetRecallReconstructed)] + recall.values).allSatisfy { (0...1).contains($0) })
        // The ceilings per attribute are over the same captions, so over the same stated attributes.
        for ceiling in [report.captionAgreementRenderedPerAttribute, report.captionAgreementReconstructedPerAttribute] {
            let perAttribute = try XCTUnwrap(ceiling)
            XCTAssertEqual(Set(perAttribute.keys), Set(report.captionAgreementPerAttribute.keys))
            XCTAssert(perAttribute.values.allSatisfy { (0...1).contains($0) }, "\(perAttribute)")
        }
        // The confusions are the misses: per attribute they count (1 - agreement) of the captions naming it, each
        // entry a stated value read as another value of the same attribute.
        var named: [String: Int] = [:]
        for i in 0..<6 {
            for phrase in try dataset.example(i).caption.phrases { for name in phrase.statedAttributes { named[name, default: 0] += 1 } }
        }
        let classes = Dictionary(uniqueKeysWithValues: AttributeClass.all.map { ($0.name, $0.values) })
        for (confusions, perAttribute) in [(report.captionConfusions, report.captionAgreementPerAttribute),
                                           (report.captionConfusionsReconstructed, try XCTUnwrap(report.captionAgreementReconstructedPerAttribute))] {
            let confusions = try XCTUnwrap(confusions)
            for (name, count) in named {
                let misses = confusions[name]?.values.reduce(0, +) ?? 0
                XCTAssertEqual(Double(misses), Double(count) * (1 - perAttribute[name]!), accuracy: 1e-9, name)
                for key in confusions[name]?.keys ?? [:].keys {
                    let parts = key.components(separatedBy: " -> ")
                    XCTAssertEqual(parts.count, 2, key)
                    XCTAssertNotEqual(parts[0], parts[1], key)
                    XCTAssert(parts.allSatisfy { classes[name]!.contains($0) }, key)
                }
            }
            XCTAssert(Set(confusions.keys).isSubset(of: Set(named.keys)))
        }
        let targetPairs = try XCTUnwrap(report.clipTargetPairPerTarget)
        XCTAssertFalse(targetPairs.isEmpty)
        XCTAssert(Set(targetPairs.keys).isSubset(of: Set(PortraitTarget.allCases.map(\.rawValue))))
        XCTAssert((0...1).contains(try XCTUnwrap(report.clipTargetPairAccuracy)))
        XCTAssertTrue(report.captionAgreementPerAttribute.keys.contains("subject"), "captions that say a woman or a man state the subject")
        XCTAssertGreaterThanOrEqual(report.frechetRenderedVsRendered, 0)
    }

    func testBadSettingsAndWorldsAreNamed() throws {
        XCTAssertThrowsError(try DemoSettings().applying(["naive_stepz=3"])) { XCTAssertTrue("\($0)".contains("naive_stepz")) }
        XCTAssertThrowsError(try DemoSettings().applying(["naive_steps=lots"])) { XCTAssertTrue("\($0)".contains("naive_steps")) }
        XCTAssertThrowsError(try DemoSettings().applying(["sampling.stepz=3"])) { XCTAssertTrue("\($0)".contains("stepz")) }
        XCTAssertThrowsError(try DemoSettings().applying(["evaluation_pairs=1"])) { XCTAssertTrue("\($0)".contains("evaluation_pairs")) }
        XCTAssertEqual(try DemoSettings().applying(["target=\"beard\"", "sampling.steps=7"]).sampling.steps, 7)
        XCTAssertEqual(try DemoSettings().applying(["target=beard"]).target, .beard)
        XCTAssertEqual(try DemoSettings().applying(["sampling.guidance_rescale=0.7"]).sampling.guidanceRescale, 0.7)
        XCTAssertThrowsError(try DemoSettings().applying(["sampling.guidance_rescale=2"])) {
            XCTAssertTrue("\($0)".contains("sampling.guidance_rescale must be in 0...1, got 2"), "\($0)")
        }
        XCTAssertEqual(try DemoSettings().applying(["sampling.apg.norm_threshold=1"]).sampling.projectedGuidance,
                       AdaptiveProjectedGuidance(normThreshold: 1))
        XCTAssertThrowsError(try DemoSettings().applying(["sampling.apg.momentum=-1"])) {
            XCTAssertTrue("\($0)".contains("sampling.apg.momentum must be in (-1, 1), got -1"), "\($0)")
        }
        // The SPF knobs are the training config's [spf] table under its own names.
        let spf = try DemoSettings().applying(["spf.lambda_fg=0.25", "spf.enhance_mode=direct"]).spf
        XCTAssertEqual(spf.lambdaFg, 0.25)
        XCTAssertEqual(spf.enhanceMode, .direct)
        XCTAssertEqual(spf.phraseMapNormalize, .mass)
        XCTAssertThrowsError(try DemoSettings().applying(["spf.lambda_fgg=1"])) { XCTAssertTrue("\($0)".contains("lambda_fgg")) }
        XCTAssertThrowsError(try DemoSettings().applying(["spf.enhance_mode=sideways"])) { XCTAssertTrue("\($0)".contains("enhance_mode")) }
        XCTAssertThrowsError(try DemoSettings().applying(["spf.stage1_steps=5"])) { XCTAssertTrue("\($0)".contains("stage1_steps")) }
        XCTAssertThrowsError(try DemoSettings().applying(["spf.lambda_tc=-1"])) { XCTAssertTrue("\($0)".contains("spf.lambda_tc")) }
        XCTAssertThrowsError(try DemoSettings().applying(["spf.sfcm_layers=[]"])) { XCTAssertTrue("\($0)".contains("spf.sfcm_layers")) }
        let run = DemoRun(settings: DemoSettings(), world: directory + "/nowhere", out: directory + "/out")
        XCTAssertThrowsError(try run.run()) { XCTAssertTrue("\($0)".contains("nowhere/pipeline/model_index.json"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/out"), "nothing written")
    }
}
