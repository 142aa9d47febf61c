import ArgumentParser
import Foundation
import Torch
import WorldModels

/// `spf world export`: the shipped copy of a finished pretraining run (models/world).
struct WorldExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy a finished `spf world pretrain` run's pipeline, CLIP and probe (weights in float16) and its logs to a folder.",
        discussion: """
            What the repository ships as models/world: DIR/pipeline, DIR/clip, DIR/probe with float16 weights (the \
            models run in float32), plan.json, manifest.json, README.md (with this command appended) and \
            logs/<stage>/ (metrics.jsonl, summary.json). No checkpoints, no rendered data. The folder appears \
            complete or not at all; an existing --out is replaced only if it is itself an export.
            """
    )

    @Option(help: "The finished pretraining run folder.")
    var from: String
    @Option(help: "The export folder.")
    var out: String
    @Option(help: "Weight dtype: float16 or float32.")
    var dtype = "float16"

    func run() throws {
        let type: DType
        switch dtype {
        case "float16": type = .float16
        case "float32": type = .float32
        default: throw InputError("--dtype must be float16 or float32, got \(dtype)")
        }
        let command = "spf world export --from \(from) --out \(out) --dtype \(dtype)"
        let summary = try WorldExport.write(run: from, to: out, dtype: type, command: command)
        print("\(out): \(summary.files.count) files, \(summary.bytes) bytes of weights and configs")
    }
}
