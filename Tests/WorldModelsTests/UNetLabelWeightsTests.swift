import Foundation
import PortraitWorld
import Torch
import Training
import WorldModels
import XCTest

/// `unet_label_weights`: each latent cell of the UNet's loss weighs the mean weight of the pixels it covers.
final class UNetLabelWeightsTests: XCTestCase {
    func records(_ names: [String]) -> [CaptionRecord] {
        names.enumerated().map { CaptionRecord(line: $0.offset + 1, fileName: $0.element, text: "a person", portrait: nil) }
    }

    func testCellsAverageTheirPixelsWeightsAndTheBatchMeanIsOne() throws {
        let folder = try temporaryFolder("latent-weights")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try WorldDataset(kind: .pretrain, count: 2, seed: 0).write(to: folder + "/data")
        let names = ["00000.png", "00001.png"]
        let weights: [PortraitLabel: Double] = [.eyes: 8, .skin: 4]
        let cells = LatentLabelWeights(folder: folder + "/data", weights: weights)
        let batch = try cells.weights(for: records(names), height: 16, width: 16)
        XCTAssertEqual(batch.shape, [2, 1, 16, 16])
        XCTAssertEqual(try batch.mean().item(), 1, accuracy: 1e-5)

        // The same from the label maps by hand: 4x4 pixels per cell, then the batch's mean.
        var raw: [Double] = []
        for name in names {
            let map = try LabelMap.read(path: folder + "/data/labels/" + name)
            for cy in 0..<16 {
                for cx in 0..<16 {
                    var sum = 0.0
                    for y in 4 * cy..<4 * cy + 4 { for x in 4 * cx..<4 * cx + 4 { sum += weights[map[x, y]] ?? 1 } }
                    raw.append(sum / 16)
                }
            }
        }
        let mean = raw.reduce(0, +) / Double(raw.count)
        XCTAssertGreaterThan(raw.max()!, raw.min()!, "the portraits have faces")
        let values = try batch.flatten().toArray(Float.self)
        for (value, expected) in zip(values, raw) { XCTAssertEqual(Double(value), expected / mean, accuracy: 1e-5) }

        // Without weights every cell is 1; a latent that does not tile the label map, or a file without a label
        // map, is an error that names the file.
        let none = try LatentLabelWeights(folder: folder + "/data", weights: [:]).weights(for: records(names), height: 16, width: 16)
        XCTAssertEqual(Set(try none.flatten().toArray(Float.self)), [1])
        XCTAssertThrowsError(try cells.weights(for: records(names), height: 10, width: 10)) {
            XCTAssert("\($0)".contains("labels/00000.png: a 64x64 label map does not divide into the 10x10 latent"), "\($0)")
        }
        XCTAssertThrowsError(try cells.weights(for: records(["00009.png"]), height: 16, width: 16)) {
            XCTAssert("\($0)".contains("labels/00009.png does not exist"), "\($0)")
        }
    }

    /// A plan whose `unet_label_weights` names no label is refused before the UNet stage writes anything; named
    /// labels train the UNet stage end to end.
    func testPlanWeightsAreCheckedAndTrain() throws {
        let vocabulary = try clipVocabulary()
        let out = try temporaryFolder("unet-weights")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var plan = try oneStepPlan()
        plan.unetLabelWeights = ["skin": 4, "iris": 8]
        let run = try WorldPretraining(out: out + "/run", plan: plan, resume: false, vocabulary: vocabulary)
        XCTAssertEqual(try run.run([.vae, .clip]), .finished)
        XCTAssertThrowsError(try run.run([.unet])) {
            XCTAssert("\($0)".contains("plan.json: unet_label_weights names \"iris\""), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/run/stages/unet"))

        // The named labels reach the UNet's loss: the first step's loss differs from the unweighted plan's.
        func firstLoss(_ weights: [String: Double]?) throws -> Double {
            plan.unetLabelWeights = weights
            try? FileManager.default.removeItem(atPath: out + "/run/stages/unet")
            try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: out + "/run/plan.json"))
            let resumed = try WorldPretraining(out: out + "/run", plan: nil, resume: true, vocabulary: vocabulary)
            XCTAssertEqual(try resumed.run([.unet]), .finished)
            let lines = try String(contentsOfFile: out + "/run/stages/unet/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            let rows = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            return try XCTUnwrap(rows.compactMap { $0?["loss"] as? Double }.first, "a logged loss")
        }
        let weighted = try firstLoss(["skin": 4, "eyes": 8])
        let plain = try firstLoss(nil)
        XCTAssert(weighted.isFinite && plain.isFinite)
        XCTAssertNotEqual(weighted, plain)
    }
}
