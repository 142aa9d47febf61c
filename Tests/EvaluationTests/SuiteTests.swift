@testable import Demo
@testable import Evaluation
import Foundation
import PortraitWorld
import Torch
import XCTest

/// `spf eval suite`: cells measured, resumed without redoing finished ones, settings fixed per folder, and the
/// results table (means, best LoRA rank, ablation directions against the paper's).
final class SuiteTests: ScratchTestCase {

    func testCellsResumeAndSettingsAreFixed() throws {
        let world = try TinyWorld.path()
        let settings = try DemoTests.tinySettings()
        let cells = directory + "/hat/cells"
        func finished() -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: cells)) ?? []) }

        // First invocation: stopped after the first cell.
        var suite = EvaluationSuite(settings: settings, world: world, out: directory)
        suite.shouldStop = { !finished().isEmpty }
        var measured = try suite.run(targets: [.hat], variants: [.naive, .spf, .noSFCM])
        XCTAssertEqual(measured.map(\.variant), [.naive])
        let naiveCell = try Data(contentsOf: URL(fileURLWithPath: cells + "/naive.json"))

        // Second: the rest, from the same stage 1 (naive is not trained again) and without redoing its cell.
        suite = EvaluationSuite(settings: settings, world: world, out: directory)
        var logs: [String] = []
        suite.log = { logs.append($0) }
        measured = try suite.run(targets: [.hat], variants: [.naive, .spf, .noSFCM])
        XCTAssertEqual(measured.map(\.variant), [.naive, .spf, .noSFCM])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cells + "/naive.json")), naiveCell)
        XCTAssertFalse(logs.contains { $0.hasPrefix("hat: naive: ") }, "stage 1 reused: \(logs)")
        XCTAssert(logs.contains { $0.hasPrefix("hat: spf-no-sfcm: ") })
        for cell in measured {
            XCTAssertEqual(cell.metrics.pairs, settings.evaluationPairs)
            XCTAssert(cell.metrics.fullText.frechetDistance.value.isFinite)
        }
        // The ablation trained with the control map off; SPF itself with it on.
        func spfSettings(_ run: String) throws -> [String: Any] {
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/hat/work/\(run)/config.json")))
            return try XCTUnwrap((config as? [String: Any])?["spf"] as? [String: Any])
        }
        XCTAssertEqual(try spfSettings("spf-no-sfcm")["sfcm"] as? Bool, false)
        XCTAssertEqual(try spfSettings("spf")["sfcm"] as? Bool, true)

        // Nothing left: a third run measures nothing. Other settings in the same folder are refused.
        logs = []
        _ = try suite.run(targets: [.hat], variants: [.naive, .spf, .noSFCM])
        XCTAssertEqual(logs, ["hat: all 3 variants measured"])
        var other = settings
        other.spfSteps += 1
        XCTAssertThrowsError(try EvaluationSuite(settings: other, world: world, out: directory).run(targets: [.hat], variants: [.spf])) {
            XCTAssert("\($0)".contains("other settings"), "\($0)")
        }
    }

    /// The table from constructed cells: means over complete targets only, LoRA's best rank by FD, and each
    /// ablation's direction against the paper's.
    func testResultsTable() throws {
        func metrics(fd: Double, clipT: Double) -> CustomizationMetrics {
            let e = { (v: Double) in Estimate(value: v, low: v - 0.01, high: v + 0.01) }
            let p = PreservationMetrics(frechetDistance: e(fd), perceptualDistance: e(0.3), identityAgreement: e(0.5),
                                        clipImage: e(0.7), segmentationConsistency: e(0.6))
            return CustomizationMetrics(target: "hat", pairs: 4, fullText: p, baseText: p, clipText: e(clipT), targetDetection: e(0.2),
                                        baseTextTargetRate: e(0), originalTargetRate: e(0))
        }
        let fd: [EvaluationSuite.Variant: Double] = [.naive: 0.4, .lora4: 0.3, .lora16: 0.2, .lora64: 0.25, .spf: 0.1,
                                                     .noTC: 0.15, .noFG: 0.3, .noEnh: 0.12, .noSFCM: 0.05]
        var cells = EvaluationSuite.Variant.allCases.map {
            EvaluationSuite.Cell(target: .hat, variant: $0, metrics: metrics(fd: fd[$0]!, clipT: $0 == .noSFCM ? 0.1 : 0.3),
                                 trainingSeconds: 1, evaluationSeconds: 1)
        }
        // An incomplete target: in its own table, not in the means.
        cells.append(EvaluationSuite.Cell(target: .beard, variant: .naive, metrics: metrics(fd: 9, clipT: 0.3),
                                          trainingSeconds: 1, evaluationSeconds: 1))
        let text = SuiteResults.markdown(cells: cells, plan: .init(settings: DemoSettings(), world: "w"), command: "spf eval suite")
        XCTAssert(text.contains("Targets with every variant measured: hat (of 7); measured in part: beard"), text)
        XCTAssert(text.contains("LoRA (best rank) is rank 16"), text)
        XCTAssert(text.contains("| Naive fine-tuning | 0.400 |"), "means exclude the incomplete target:\n\(text)")
        XCTAssert(text.contains("| LoRA (best rank: 16) | 0.200 |"))
        // w/o SFCM: FD 0.05 - 0.10 = -0.05, the paper's FID 4.13 - 4.50 = -0.37: same way. CLIP-T 0.1 - 0.3 vs 0.17 - 0.30.
        XCTAssert(text.contains("| w/o SFCM | -0.050 / -0.37 ✓ |"), text)
        XCTAssert(text.contains("-0.200 / -0.13 ✓"), text)
        // w/o L_tc: ours identical ID (0) where the paper's drops: not the same way.
        XCTAssert(text.contains("| w/o L_tc | +0.050 / +0.47 ✓ | +0.000 / +0.04 ✗ |"), text)
        XCTAssert(text.contains("### beard"))
        XCTAssert(text.contains("| Naive fine-tuning | 9.000 [8.990, 9.010] |"))
    }
}
