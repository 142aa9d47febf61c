import Diffusion
import Foundation
import PortraitWorld
import Torch

/// `spf world import`: a pretraining run folder seeded from an export (what `models/world` holds), so that some
/// stages can be trained again while the others stay exactly as shipped: each kept stage's weights are the export's
/// widened to float32 (float16 -> float32 is exact, so a later export writes the same bytes again), with its logs;
/// the stages to retrain are left empty for `spf world pretrain --out DIR --resume --stage ...`. plan.json is the
/// export's (edit it before retraining to change a stage's settings) and manifest.json keeps the export's history
/// with this import appended, so the next export still says how every part was made. The folder appears complete
/// or not at all, and never over an existing one.
public enum WorldImport {
    /// The stages that read each stage's result: retraining a stage makes these stale. The probe reads the VAE
    /// only when it trains on reconstructions.
    static func consumers(of stage: WorldStageName, plan: WorldModelPlan) -> [WorldStageName] {
        switch stage {
        case .vae: (plan.probeReconstructions ?? 0) > 0 ? [.unet, .probe] : [.unet]
        case .clip: [.unet]
        case .unet, .probe: []
        }
    }

    public static func write(export: String, to out: String, retrain: Set<WorldStageName>, command: String) throws {
        let manager = FileManager.default
        func exportPath(_ relative: String) -> String { (export as NSString).appendingPathComponent(relative) }
        guard manager.fileExists(atPath: exportPath("export.json")) else {
            throw WorldError("\(export) is not a world export (no export.json; `spf world export` writes one)")
        }
        let plan: WorldModelPlan
        do {
            plan = try JSONDecoder().decode(WorldModelPlan.self, from: Data(contentsOf: URL(fileURLWithPath: exportPath("plan.json"))))
        } catch {
            throw WorldError("\(exportPath("plan.json")): cannot read the export's plan (\(error))")
        }
        for stage in WorldStageName.allCases where retrain.contains(stage) {
            let stale = consumers(of: stage, plan: plan).filter { !retrain.contains($0) }
            guard stale.isEmpty else {
                throw WorldError("retraining \(stage.rawValue) makes the shipped \(stale.map(\.rawValue).joined(separator: " and ")) "
                                 + "stale (they train on its output); retrain them too")
            }
        }
        guard !manager.fileExists(atPath: out) else {
            throw WorldError("\(out) already exists; import into a new folder")
        }
        let parent = URL(fileURLWithPath: out).standardizedFileURL.deletingLastPathComponent().path
        let temporary = (parent as NSString).appendingPathComponent(".\((out as NSString).lastPathComponent).\(UUID().uuidString).partial")
        defer { try? manager.removeItem(atPath: temporary) }
        func runPath(_ relative: String) -> String { (temporary as NSString).appendingPathComponent(relative) }

        try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try manager.copyItem(atPath: exportPath("plan.json"), toPath: runPath("plan.json"))
        let unetFolder = plan.unetPhases[plan.unetPhases.count - 1].folder
        for stage in WorldStageName.allCases where !retrain.contains(stage) {
            switch stage {
            case .vae:
                try WorldExport.convertFile(exportPath("pipeline/vae/diffusion_pytorch_model.safetensors"),
                                            to: runPath("stages/vae/model.safetensors"), dtype: .float32)
                let config: AutoencoderKLConfig
                do {
                    config = try JSONDecoder().decode(AutoencoderKLConfig.self,
                                                      from: Data(contentsOf: URL(fileURLWithPath: exportPath("pipeline/vae/config.json"))))
                } catch {
                    throw WorldError("\(exportPath("pipeline/vae/config.json")): cannot read the VAE's config (\(error))")
                }
                try writeJSON(config, to: runPath("stages/vae/vae_config.json"))
            case .clip:
                try WorldExport.convertFile(exportPath("clip/model.safetensors"), to: runPath("stages/clip/model.safetensors"),
                                            dtype: .float32)
            case .probe:
                try WorldExport.convertFile(exportPath("probe/model.safetensors"), to: runPath("stages/probe/model.safetensors"),
                                            dtype: .float32)
            case .unet:
                try WorldExport.convertFolder(exportPath("pipeline"), to: runPath(unetFolder + "/model"), dtype: .float32)
            }
        }
        // Each kept stage's logs go back where `spf world pretrain` writes them (the UNet's extension phases too).
        let kept = WorldStageName.allCases.filter { !retrain.contains($0) }.map(\.rawValue)
            + (retrain.contains(.unet) ? [] : plan.unetPhases.dropFirst().map { ($0.folder as NSString).lastPathComponent })
        for stage in kept {
            for record in WorldExport.stageRecords where manager.fileExists(atPath: exportPath("logs/\(stage)/\(record)")) {
                try manager.createDirectory(atPath: runPath("stages/\(stage)"), withIntermediateDirectories: true)
                try manager.copyItem(atPath: exportPath("logs/\(stage)/\(record)"), toPath: runPath("stages/\(stage)/\(record)"))
            }
        }
        var manifest = PretrainManifest()
        if manager.fileExists(atPath: exportPath("manifest.json")) {
            do {
                manifest = try JSONDecoder().decode(PretrainManifest.self, from: Data(contentsOf: URL(fileURLWithPath: exportPath("manifest.json"))))
            } catch {
                throw WorldError("\(exportPath("manifest.json")): cannot read the export's manifest (\(error))")
            }
        }
        let retrained = WorldStageName.allCases.filter { retrain.contains($0) }.map(\.rawValue)
        for stage in retrained { manifest.stages[stage] = ["finished": 0] }
        manifest.invocations.append(.init(command: command, date: ISO8601DateFormatter().string(from: Date()), seconds: 0,
                                          outcome: retrained.isEmpty ? "imported" : "imported; to retrain: \(retrained.joined(separator: ", "))"))
        try writeJSON(manifest, to: runPath("manifest.json"))
        try manager.moveItem(atPath: temporary, toPath: out)
    }
}
