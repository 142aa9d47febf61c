import Evaluation
import Foundation
import PortraitWorld
import RunLogs
import StableDiffusion
import Training

/// `spf eval suite`: the paper's Table 1 in PortraitWorld. For every target: naive fine-tuning (stage 1), LoRA at
/// ranks 4, 16 and 64, SPF-Portrait stage 2 from that stage 1, and its four ablations, each trained with the
/// demo's settings and measured like the demo (same held-out prompts and seeds per target).
///
/// Resumable at the level of one (target, variant) cell: a finished cell is OUT/<target>/cells/<variant>.json and
/// is never redone; an interrupted one is trained again from the start (a cell is about a minute). OUT/suite.json
/// fixes the settings: a rerun with other settings is refused rather than mixing two experiments in one table.
public final class EvaluationSuite {
    public enum Variant: String, CaseIterable, Codable, Sendable {
        case naive
        case lora4 = "lora-4", lora16 = "lora-16", lora64 = "lora-64"
        case spf
        case noTC = "spf-no-tc", noFG = "spf-no-fg", noEnh = "spf-no-enh", noSFCM = "spf-no-sfcm"

        /// The row name, as the paper's Table 1 has it.
        public var label: String {
            switch self {
            case .naive: "Naive fine-tuning"
            case .lora4: "LoRA rank 4"
            case .lora16: "LoRA rank 16"
            case .lora64: "LoRA rank 64"
            case .spf: "SPF-Portrait"
            case .noTC: "w/o L_tc"
            case .noFG: "w/o L_fg"
            case .noEnh: "w/o L_enh"
            case .noSFCM: "w/o SFCM"
            }
        }

        public var loraRank: Int? {
            switch self {
            case .lora4: 4
            case .lora16: 16
            case .lora64: 64
            default: nil
            }
        }

        public var isSPF: Bool { [.spf, .noTC, .noFG, .noEnh, .noSFCM].contains(self) }

        /// The ablation's change to SPF-Portrait's settings: one loss weight to zero, or no control map.
        func ablate(_ spf: inout SPFSettings) {
            switch self {
            case .noTC: spf.lambdaTc = 0
            case .noFG: spf.lambdaFg = 0
            case .noEnh: spf.lambdaEnh = 0
            case .noSFCM: spf.sfcm = false
            default: break
            }
        }
    }

    /// One measured (target, variant).
    public struct Cell: Codable, Sendable {
        public var target: PortraitTarget
        public var variant: Variant
        public var metrics: CustomizationMetrics
        public var trainingSeconds: Double
        public var evaluationSeconds: Double
    }

    /// What OUT/suite.json records: the settings every cell was made with.
    public struct Plan: Codable, Equatable, Sendable {
        public var settings: DemoSettings
        public var world: String

        public init(settings: DemoSettings, world: String) {
            self.settings = settings
            self.world = world
        }
    }

    public let settings: DemoSettings
    public let world: String
    public let out: String
    public var log: (String) -> Void = { _ in }
    public var trainingProgress: (String, TrainingProgress) -> Void = { _, _ in }
    public var generationProgress: (String, Int, Int) -> Void = { _, _, _ in }
    /// Polled between cells: true ends the run there (finished cells are kept).
    public var shouldStop: () -> Bool = { false }

    public init(settings: DemoSettings, world: String, out: String) {
        self.settings = settings
        self.world = world
        self.out = out
    }

    func path(_ relative: String) -> String { (out as NSString).appendingPathComponent(relative) }
    func cellPath(_ target: PortraitTarget, _ variant: Variant) -> String {
        path("\(target.rawValue)/cells/\(variant.rawValue).json")
    }

    /// Every finished cell under OUT (any target, any variant), in target then variant order.
    public func finishedCells() throws -> [Cell] {
        var cells: [Cell] = []
        for target in PortraitTarget.allCases {
            for variant in Variant.allCases where FileManager.default.fileExists(atPath: cellPath(target, variant)) {
                let file = cellPath(target, variant)
                do {
                    cells.append(try JSONDecoder().decode(Cell.self, from: Data(contentsOf: URL(fileURLWithPath: file))))
                } catch {
                    throw DemoError("\(file): not a suite result (\(error)); delete it to measure that cell again")
                }
            }
        }
        return cells
    }

    /// Trains and measures every missing cell of `targets` x `variants`; returns all finished cells.
    public func run(targets: [PortraitTarget], variants: [Variant]) throws -> [Cell] {
        try settings.validate()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try checkPlan()
        for target in targets {
            let pending = variants.filter { !FileManager.default.fileExists(atPath: cellPath(target, $0)) }
            guard !pending.isEmpty else {
                log("\(target.rawValue): all \(variants.count) variants measured")
                continue
            }
            if shouldStop() { break }
            try runTarget(target, pending)
        }
        return try finishedCells()
    }

    func checkPlan() throws {
        let file = path("suite.json")
        let plan = Plan(settings: settings, world: world)
        if FileManager.default.fileExists(atPath: file) {
            let saved: Plan
            do {
                saved = try JSONDecoder().decode(Plan.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                throw DemoError("\(file): not a suite plan (\(error))")
            }
            guard saved == plan else {
                throw DemoError("\(out) holds a suite made with other settings or another world model (\(file)); "
                                + "continue it with the same --set and --world, or choose another --out")
            }
        } else {
            try write(plan, to: file)
        }
    }

    func runTarget(_ target: PortraitTarget, _ pending: [Variant]) throws {
        var settings = self.settings
        settings.target = target
        let demo = DemoRun(settings: settings, world: world, out: path(target.rawValue))
        demo.log = { [log] in log("\(target.rawValue): \($0)") }
        demo.trainingProgress = { [trainingProgress] in trainingProgress("\(target.rawValue)/\($0)", $1) }
        demo.generationProgress = { [generationProgress] in generationProgress("\(target.rawValue): \($0)", $1, $2) }
        try demo.checkWorldFolder()
        for folder in ["cells", "work"] {
            try FileManager.default.createDirectory(atPath: path("\(target.rawValue)/\(folder)"), withIntermediateDirectories: true)
        }
        let data = try demo.fineTuningSet()
        let prompts = try demo.evaluationPrompts()
        let evaluator = try WorldEvaluator(world: world)
        let original = try demo.generateOriginal(prompts)

        // Stage 1 once per target: naive fine-tuning's model and every SPF variant's starting point.
        var stage1: RunFolder?
        func naive() throws -> (run: RunFolder, seconds: Double) {
            let folder = RunFolder(path: demo.path("work/naive"))
            if let stage1 { return (stage1, 0) }
            if FileManager.default.fileExists(atPath: (folder.modelPath as NSString).appendingPathComponent("model_index.json")),
               FileManager.default.fileExists(atPath: cellPath(target, .naive)) {
                stage1 = folder  // finished by an earlier invocation, whose cell recorded its time
                return (folder, 0)
            }
            let start = Date()
            let run = try demo.train("naive", data: data, demo.configureNaive)
            stage1 = run
            return (run, Date().timeIntervalSince(start))
        }

        for variant in Variant.allCases where pending.contains(variant) {
            if shouldStop() { return }
            let start = Date()
            var trainingSeconds = 0.0
            let pipeline: StableDiffusionPipeline
            if variant == .naive {
                let (run, seconds) = try naive()
                trainingSeconds = seconds
                pipeline = try demo.loadModel(run, lora: false)
            } else if let rank = variant.loraRank {
                let run = try demo.train(variant.rawValue, data: data) { demo.configureLoRA(&$0, rank: rank) }
                trainingSeconds = Date().timeIntervalSince(start)
                pipeline = try demo.loadModel(run, lora: true)
            } else {
                let stage1 = try naive().run
                let trainingStart = Date()
                let run = try demo.train(variant.rawValue, data: data) { config in
                    demo.configureSPF(&config, from: stage1)
                    variant.ablate(&config.spf)
                }
                trainingSeconds = Date().timeIntervalSince(trainingStart)
                pipeline = try demo.loadModel(run, lora: false)
            }
            let evaluationStart = Date()
            let metrics = try demo.measure(variant.label, pipeline, prompts: prompts, original: original, evaluator: evaluator).metrics
            let cell = Cell(target: target, variant: variant, metrics: metrics, trainingSeconds: trainingSeconds.rounded(),
                            evaluationSeconds: Date().timeIntervalSince(evaluationStart).rounded())
            try write(cell, to: cellPath(target, variant))
            log(String(format: "%@ / %@: FD %.3f, CLIP-T %.3f, target detected %.3f (%.0f s)", target.rawValue, variant.rawValue,
                       metrics.fullText.frechetDistance.value, metrics.clipText.value, metrics.targetDetection.value,
                       Date().timeIntervalSince(start)))
        }
    }

    func write<T: Encodable>(_ value: T, to file: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try replaceAtomically(path: file, with: [UInt8](encoder.encode(value)))
    }
}
