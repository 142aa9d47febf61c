import ArgumentParser
import Demo
import Foundation
import PortraitWorld
import RunLogs

/// `spf eval suite`: every target x {naive, LoRA 4/16/64, SPF-Portrait and its ablations}, resumable, written as
/// the paper's Table 1 (docs/results.md).
struct EvalSuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "The full evaluation: every target x naive, LoRA ranks 4/16/64, SPF-Portrait and its ablations.",
        discussion: """
            Trains and measures each (target, variant) cell with the demo's settings (change them with --set, as for \
            spf demo) and writes OUT/<target>/cells/<variant>.json as each finishes; a rerun skips finished cells, so \
            an interrupted suite (Ctrl-C, --minutes) continues where it stopped. After every run OUT/results.md (and \
            --results, if given) holds the table: means over the complete targets beside the paper's Table 1, the \
            ablations' direction of change, and every target's intervals.
            """
    )

    @Option(help: "The world model folder (pipeline/, clip/, probe/).")
    var world = "models/world"
    @Option(help: "The suite folder (created; rerun with the same folder to continue).")
    var out = "suite"
    @Option(help: "Comma-separated targets, or all (\(PortraitTarget.allCases.map(\.rawValue).joined(separator: ", "))).")
    var targets = "all"
    @Option(help: "Comma-separated variants, or all (\(EvaluationSuite.Variant.allCases.map(\.rawValue).joined(separator: ", "))).")
    var variants = "all"
    @Option(name: .customLong("set"), parsing: .singleValue, help: "Any demo setting: key=value (repeatable).")
    var settings: [String] = []
    @Option(help: "Also write the results table here (e.g. docs/results.md).")
    var results: String?
    @Option(help: "Wall-clock budget in minutes: no new cell starts after it (finished cells are kept).")
    var minutes: Double?
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.apply()
        let targetList = try targets == "all" ? PortraitTarget.allCases : targets.split(separator: ",").map { try parseTarget(String($0)) }
        let variantList: [EvaluationSuite.Variant] = try variants == "all" ? EvaluationSuite.Variant.allCases
            : variants.split(separator: ",").map { name in
                guard let variant = EvaluationSuite.Variant(rawValue: String(name)) else {
                    throw InputError("unknown variant \"\(name)\" (\(EvaluationSuite.Variant.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return variant
            }
        guard !targetList.isEmpty, !variantList.isEmpty else { throw InputError("--targets and --variants must name at least one") }
        if let results { try checkParentFolder(results, option: "--results") }
        let demo = try DemoSettings().applying(settings)
        let suite = EvaluationSuite(settings: demo, world: world, out: out)
        let lines = JobProgressLines()
        let started = lines.started
        suite.log = lines.log
        suite.trainingProgress = lines.training
        suite.generationProgress = lines.generation
        let stop = StopRequest()
        let deadline = minutes.map { started.addingTimeInterval($0 * 60) }
        suite.shouldStop = { stop.isRequested || deadline.map { Date() >= $0 } ?? false }
        let cells = try suite.run(targets: targetList, variants: variantList)
        let command = (["spf"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let markdown = SuiteResults.markdown(cells: cells, plan: .init(settings: demo, world: world), command: command)
        for path in [(out as NSString).appendingPathComponent("results.md")] + (results.map { [$0] } ?? []) {
            try replaceAtomically(path: path, with: Array(markdown.utf8))
        }
        print(markdown)
        if let number = stop.signalNumber { throw ExitCode(128 + number) }
    }
}
