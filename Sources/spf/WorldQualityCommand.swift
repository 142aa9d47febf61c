import ArgumentParser
import Evaluation
import Foundation
import RunLogs

/// `spf world quality`: the quality figures of a world model folder (docs/portrait-world.md, issue 9 part 4).
struct WorldQualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Measure a world model folder: probe accuracy, caption agreement of generations, target rate, Frechet distances.",
        discussion: """
            On held-out draws: the probe's accuracy on rendered images of its own mixture; the original model's \
            generations for held-out pre-training captions, scored by the fraction of the attributes each caption \
            names that the probe reads as named; the fraction of those generations (captions without targets) that \
            show any target, next to the same on the captions' renders and their VAE reconstructions (the probe's \
            own false targets); caption agreement on those renders and reconstructions (ceilings); Frechet \
            distances of world-CLIP image embeddings, generated vs rendered (the same captions) and rendered vs \
            rendered (another seed). Prints JSON; --json also writes it to a file.
            """
    )

    @Option(help: "The world model folder (pipeline/, clip/, probe/).")
    var world = "models/world"
    @Option(help: "Images per measurement.")
    var count = 256
    @OptionGroup var sampling: SamplingOptions
    @Option(help: "Write the report as JSON here.")
    var json: String?
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.apply()
        guard (2...100_000).contains(count) else { throw InputError("--count must be in 2...100000, got \(count)") }
        if let json { try checkParentFolder(json, option: "--json") }
        let settings = try sampling.settings()
        let report = try WorldQuality.measure(world: world, count: count, sampling: settings) {
            FileHandle.standardError.write(Data("spf world quality: \($0)\n".utf8))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(report)
        print(String(decoding: data, as: UTF8.self))
        if let json {
            try replaceAtomically(path: json, with: [UInt8](data))
        }
    }
}
