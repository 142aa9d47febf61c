import Foundation
import SafeTensors
import Torch
import WorldModels
import XCTest

/// `spf world import`: a run folder seeded from an export retrains the chosen stages, and a second export of it
/// carries the kept stages' files byte for byte (float16 -> float32 -> float16 is exact).
final class WorldImportTests: XCTestCase {
    /// The tiny world's run folder, and a fresh folder holding its export under export/.
    func exportedTinyWorld() throws -> (world: String, root: String) {
        let world = try TinyWorld.path()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("spf-import-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        _ = try WorldExport.write(run: world, to: root + "/export", command: "spf world export (test)")
        return (world, root)
    }

    func testImportRetrainsTheUNetAndKeepsTheRestByteForByte() throws {
        let (world, root) = try exportedTinyWorld()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try WorldImport.write(export: root + "/export", to: root + "/run", retrain: [.unet], command: "spf world import (test)")

        // Kept stages: the export's weights in float32, the VAE's config as its stage wrote it, the logs.
        for (stage, shipped) in [("vae", "pipeline/vae/diffusion_pytorch_model.safetensors"), ("clip", "clip/model.safetensors"),
                                 ("probe", "probe/model.safetensors")] {
            let imported = try SafeTensors.load(root + "/run/stages/\(stage)/model.safetensors")
            let exported = try SafeTensors.load(root + "/export/" + shipped)
            XCTAssertEqual(Set(imported.keys), Set(exported.keys), stage)
            for (name, tensor) in imported {
                XCTAssertEqual(tensor.dtype, .float32, "\(stage) \(name)")
                XCTAssertTrue(try tensor.allClose(XCTUnwrap(exported[name]).to(.float32), rtol: 0, atol: 0), "\(stage) \(name)")
            }
            let original = try SafeTensors.load(world + "/stages/\(stage)/model.safetensors")
            XCTAssertEqual(Set(original.keys), Set(imported.keys), "\(stage): the stage file's own keys")
            XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/run/stages/\(stage)/metrics.jsonl"), stage)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/run/stages/vae/vae_config.json")),
                       try Data(contentsOf: URL(fileURLWithPath: world + "/stages/vae/vae_config.json")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/run/stages/unet"))
        let manifest = try JSONDecoder().decode(PretrainManifest.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/run/manifest.json")))
        XCTAssertEqual(manifest.invocations.map(\.command), ["spf world pretrain --size tiny --steps 1 (tests)", "spf world import (test)"])
        XCTAssertEqual(manifest.invocations.last?.outcome, "imported; to retrain: unet")

        // Retrain the UNet (the plan's other stages are already trained), export again.
        let run = try WorldPretraining(out: root + "/run", plan: nil, resume: true, vocabulary: TinyWorld.vocabulary())
        XCTAssertEqual([WorldStageName.vae, .clip, .probe].map(run.isFinished), [true, true, true])
        XCTAssertFalse(run.isFinished(.unet))
        XCTAssertEqual(try run.run(Set(WorldStageName.allCases)), .finished)
        try run.recordInvocation(command: "spf world pretrain --resume (test)", seconds: 0, outcome: .finished)
        _ = try WorldExport.write(run: root + "/run", to: root + "/export2", command: "spf world export (test)")
        for file in ["pipeline/vae/diffusion_pytorch_model.safetensors", "pipeline/text_encoder/model.safetensors",
                     "clip/model.safetensors", "probe/model.safetensors", "pipeline/vae/config.json"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/export2/" + file)),
                           try Data(contentsOf: URL(fileURLWithPath: root + "/export/" + file)), file)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/export2/pipeline/unet/diffusion_pytorch_model.safetensors"))
        let history = try JSONDecoder().decode(PretrainManifest.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/export2/manifest.json")))
        XCTAssertEqual(history.invocations.count, 3, "the export's history, the import, the retraining")
    }

    func testImportRefusesWhatWouldBeStaleOrOverwritten() throws {
        let (world, root) = try exportedTinyWorld()
        defer { try? FileManager.default.removeItem(atPath: root) }
        XCTAssertThrowsError(try WorldImport.write(export: root + "/export", to: root + "/a", retrain: [.clip], command: "x")) {
            XCTAssertTrue("\($0)".contains("retraining clip makes the shipped unet stale"), "\($0)")
        }
        XCTAssertThrowsError(try WorldImport.write(export: root + "/export", to: root + "/a", retrain: [.vae, .unet], command: "x")) {
            XCTAssertTrue("\($0)".contains("retraining vae makes the shipped probe stale"), "\($0)")  // the tiny plan's probe reads reconstructions
        }
        XCTAssertThrowsError(try WorldImport.write(export: world, to: root + "/a", retrain: [.unet], command: "x")) {
            XCTAssertTrue("\($0)".contains("is not a world export"), "\($0)")
        }
        XCTAssertThrowsError(try WorldImport.write(export: root + "/export", to: root + "/export", retrain: [.unet], command: "x")) {
            XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
        }
        try Data("{".utf8).write(to: URL(fileURLWithPath: root + "/export/plan.json"))
        XCTAssertThrowsError(try WorldImport.write(export: root + "/export", to: root + "/a", retrain: [.unet], command: "x")) {
            XCTAssertTrue("\($0)".contains("export/plan.json: cannot read the export's plan"), "\($0)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0 != "export" }
        XCTAssertEqual(leftovers, [], "nothing half-written")
    }
}
