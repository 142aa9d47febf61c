import ArgumentParser
import Foundation
import WorldModels

/// `spf world import`: a pretraining run folder seeded from an export, to train some stages again.
struct WorldImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Seed a new `spf world pretrain` run folder from an export (models/world) to retrain some of its stages.",
        discussion: """
            Every stage not named by --retrain gets the export's weights widened to float32 (a later export writes \
            the same bytes again) and its logs; the named stages are left empty. plan.json is the export's: edit it \
            to change a retrained stage's settings, then `spf world pretrain --out DIR --resume` trains the empty \
            stages (the kept ones are already trained). manifest.json keeps the export's history with this command appended. Retraining a stage whose \
            output another kept stage trained on (vae -> unet and probe, clip -> unet) is refused. The folder \
            appears complete or not at all, and never over an existing one.
            """
    )

    @Option(help: "The export folder (what `spf world export` wrote, e.g. models/world).")
    var from: String
    @Option(help: "The new run folder (must not exist).")
    var out: String
    @Option(help: "Comma-separated stages to leave empty for retraining: vae, clip, unet, probe.")
    var retrain = "unet"

    func run() throws {
        var stages = Set<WorldStageName>()
        for name in retrain.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let stage = WorldStageName(rawValue: name) else {
                throw InputError("--retrain: unknown stage \"\(name)\" (stages: "
                                 + WorldStageName.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            stages.insert(stage)
        }
        try checkParentFolder(out, option: "--out")
        let command = "spf world import --from \(from) --out \(out) --retrain \(retrain)"
        try WorldImport.write(export: from, to: out, retrain: stages, command: command)
        print("\(out): imported from \(from); `spf world pretrain --out \(out) --resume` trains "
              + WorldStageName.allCases.filter { stages.contains($0) }.map(\.rawValue).joined(separator: ", "))
    }
}
