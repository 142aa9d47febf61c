import Foundation
import PortraitWorld
import SafeTensors
import Torch

/// `spf world export`: the shipped copy of a finished pretraining run (what `models/world` holds): the pipeline,
/// CLIP and probe folders with every weight file converted to float16 (half the bytes; the models run in
/// float32 and widen the stored values on load), and the run's records - plan.json, manifest.json, README.md,
/// and each stage's metrics.jsonl and summary - so that the folder says exactly how it was made. Without
/// checkpoints, the rendered data or the stage folders' weights. Written to a hidden sibling and renamed into
/// place; an existing destination is replaced only when it is itself an export (has export.json).
public enum WorldExport {
    public static let folders = ["pipeline", "clip", "probe"]
    public static let records = ["plan.json", "manifest.json", "README.md"]
    public static let stageRecords = ["metrics.jsonl", "summary.json", "accuracy_held_out.json", "config.json"]

    public struct Summary: Codable, Sendable {
        public var source: String
        public var dtype: String
        public var files: [String: Int]
        public var bytes: Int
    }

    public static func write(run: String, to out: String, dtype: DType = .float16, command: String) throws -> Summary {
        let manager = FileManager.default
        func runPath(_ relative: String) -> String { (run as NSString).appendingPathComponent(relative) }
        for folder in folders where !manager.fileExists(atPath: runPath(folder)) {
            throw WorldError("\(run) has no \(folder)/: export a finished `spf world pretrain` run")
        }
        let plan: WorldModelPlan
        do {
            plan = try JSONDecoder().decode(WorldModelPlan.self, from: Data(contentsOf: URL(fileURLWithPath: runPath("plan.json"))))
        } catch {
            throw WorldError("\(runPath("plan.json")): cannot read the run's plan (\(error))")
        }
        let unetFinal = plan.unetPhases[plan.unetPhases.count - 1].folder + "/model"
        guard manager.fileExists(atPath: runPath(unetFinal)) else {
            throw WorldError("\(run): the UNet stage has not finished (no \(unetFinal)); nothing to ship")
        }
        if manager.fileExists(atPath: out), !manager.fileExists(atPath: (out as NSString).appendingPathComponent("export.json")) {
            throw WorldError("\(out) exists and is not a world export; choose another --out")
        }
        let parent = (URL(fileURLWithPath: out).standardizedFileURL.deletingLastPathComponent().path)
        let temporary = (parent as NSString).appendingPathComponent(".\((out as NSString).lastPathComponent).\(UUID().uuidString).partial")
        defer { try? manager.removeItem(atPath: temporary) }
        var files: [String: Int] = [:]
        for folder in folders {
            let copied = try convertFolder(runPath(folder), to: (temporary as NSString).appendingPathComponent(folder), dtype: dtype)
            for (relative, bytes) in copied { files["\(folder)/\(relative)"] = bytes }
        }
        for record in records where manager.fileExists(atPath: runPath(record)) {
            try manager.copyItem(atPath: runPath(record), toPath: (temporary as NSString).appendingPathComponent(record))
        }
        let stageNames = WorldStageName.allCases.map(\.rawValue)
            + plan.unetPhases.dropFirst().map { ($0.folder as NSString).lastPathComponent }
        for stage in stageNames {
            for record in stageRecords where manager.fileExists(atPath: runPath("stages/\(stage)/\(record)")) {
                let to = (temporary as NSString).appendingPathComponent("logs/\(stage)/\(record)")
                try manager.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try manager.copyItem(atPath: runPath("stages/\(stage)/\(record)"), toPath: to)
            }
        }
        let summary = Summary(source: run, dtype: "\(dtype)", files: files, bytes: files.values.reduce(0, +))
        try writeJSON(summary, to: (temporary as NSString).appendingPathComponent("export.json"))
        var readme = (try? String(contentsOfFile: runPath("README.md"), encoding: .utf8)) ?? "# PortraitWorld foundation models\n"
        readme += "\nThis folder is `\(command)` of that run: weights in \(dtype) (\(summary.bytes) bytes), the training logs "
            + "under logs/<stage>/ (metrics.jsonl, summary.json), plan.json and manifest.json.\n"
        try Data(readme.utf8).write(to: URL(fileURLWithPath: (temporary as NSString).appendingPathComponent("README.md")))
        if manager.fileExists(atPath: out) { try manager.removeItem(atPath: out) }
        try manager.moveItem(atPath: temporary, toPath: out)
        return summary
    }

    /// A safetensors file with its floating-point tensors converted to `dtype`, keys and metadata unchanged.
    public static func convertFile(_ source: String, to target: String, dtype: DType) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw WorldError("\(source): no such file") }
        let header = try SafeTensorsFile(path: source)
        let tensors = try SafeTensors.load(source).mapValues { $0.dtype.isFloatingPoint ? try $0.to(dtype) : $0 }
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try SafeTensors.save(tensors, metadata: header.metadata.isEmpty ? ["format": "pt"] : header.metadata, to: target)
    }

    /// A folder copied file by file with every safetensors file converted to `dtype`; the bytes of each file
    /// written, by relative path.
    @discardableResult
    public static func convertFolder(_ source: String, to target: String, dtype: DType) throws -> [String: Int] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: source) else { throw WorldError("\(source): cannot list") }
        var files: [String: Int] = [:]
        for case let relative as String in enumerator {
            let from = (source as NSString).appendingPathComponent(relative)
            let to = (target as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            manager.fileExists(atPath: from, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            if relative.hasSuffix(".safetensors") {
                try convertFile(from, to: to, dtype: dtype)
            } else {
                try manager.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try manager.copyItem(atPath: from, toPath: to)
            }
            files[relative] = (try manager.attributesOfItem(atPath: to)[.size] as? Int) ?? 0
        }
        return files
    }
}
