import ArgumentParser
import Foundation
import PortraitWorld

/// `spf world dataset`: a pre-training or fine-tuning set in the engine's metadata.jsonl format.
struct WorldDatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Write a PortraitWorld dataset (PNGs + metadata.jsonl, with labels/, attributes.jsonl, world.json).",
        discussion: """
            --kind pretrain: every identity and scene value, no target attribute, captions as `text`. \
            --kind finetune --target NAME: every portrait carries the target, drawn from a shifted distribution \
            (docs/portrait-world.md lists the shifts); rows carry `base`, `target`, `mode` and, for replace \
            targets, `replaces`. Targets: \(PortraitTarget.allCases.map(\.rawValue).joined(separator: ", ")). \
            The folder appears only when complete; it must not exist yet.
            """
    )

    @Option(help: "pretrain or finetune.")
    var kind: String

    @Option(help: "The target of a fine-tuning set.")
    var target: String?

    @Option(help: "Number of portraits.")
    var count: Int

    @Option(help: "Dataset seed (example i is the same for any --count).")
    var seed: UInt64 = 0

    @Option(help: "Image size in pixels.")
    var size = 64

    @Option(help: "A pre-training set's drawing styles, comma-separated, each listed as often as it is likely (default photo,photo,photo,cartoon; the UNet's images follow the plan's unet_styles).")
    var styles: String?

    @Option(help: "The dataset folder to create.")
    var out: String

    func run() throws {
        guard let kind = WorldDataset.Kind(rawValue: kind) else {
            throw InputError("unknown --kind \"\(self.kind)\" (pretrain or finetune)")
        }
        let dataset: WorldDataset
        do {
            dataset = try WorldDataset(kind: kind, target: try target.map(parseTarget), count: count, seed: seed, size: size,
                                       styles: try styles.map(parseStyles))
        } catch let error as WorldError {
            throw InputError(error.description)
        }
        let summary: WorldDataset.Summary
        do {
            summary = try dataset.write(to: out)
        } catch let error as WorldError {
            throw InputError(error.description)
        }
        print("wrote \(summary.count) portraits to \(summary.directory) in \(String(format: "%.1f", summary.seconds)) s "
              + "(rendering \(String(format: "%.2f", summary.renderSeconds * 1000 / Double(summary.count))) ms per image)")
    }
}
