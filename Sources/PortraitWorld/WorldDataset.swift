import Foundation
import Imaging

/// A dataset of rendered portraits in the fine-tuning engine's format (`metadata.jsonl` plus the PNGs),
/// with ground truth beside it for evaluation: `labels/` (label maps as grayscale PNGs of `PortraitLabel`
/// ids), `attributes.jsonl` (what each image shows) and `world.json` (how the set was drawn).
public struct WorldDataset: Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable { case pretrain, finetune }

    public let kind: Kind
    public let target: PortraitTarget?
    public let count: Int
    public let seed: UInt64
    public let size: Int
    public let distribution: WorldDistribution

    public static let maxCount = 1_000_000

    /// `styles`: a pre-training set's mix of drawing styles (nil: pre-training's, `WorldDistribution.styles`);
    /// another mix draws other portraits from the same seed and is recorded in world.json's `shift`.
    public init(kind: Kind, target: PortraitTarget? = nil, count: Int, seed: UInt64, size: Int = 64,
                styles: [Style]? = nil) throws {
        if styles != nil, kind == .finetune {
            throw WorldError("a style mix is for pre-training sets; each target's fine-tuning set has its own (photos only)")
        }
        switch (kind, target) {
        case (.pretrain, .some(let t)):
            throw WorldError("a pre-training set has no target (got --target \(t.rawValue)); targets are for --kind finetune")
        case (.finetune, nil):
            throw WorldError("a fine-tuning set needs --target (\(PortraitTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        default: break
        }
        guard (1...Self.maxCount).contains(count) else { throw WorldError("count must be in 1...\(Self.maxCount), got \(count)") }
        _ = try PortraitRenderer(size: size)
        self.kind = kind
        self.target = target
        self.count = count
        self.seed = seed
        self.size = size
        distribution = try target.map { WorldDistribution.finetuning($0) } ?? styles.map { try .pretraining(styles: $0) } ?? .pretraining
    }

    /// One example: the attributes drawn for `index` (its own SplitMix64 stream of the salted seed, so
    /// example i does not depend on `count`), its caption and metadata row.
    public struct Example: Equatable, Sendable {
        public var index: Int
        public var fileName: String
        public var attributes: PortraitAttributes
        /// The caption of the portrait without its target.
        public var caption: Caption
        public var row: MetadataRow
    }

    /// One line of metadata.jsonl: `text` for pre-training; `base`, `target`, `mode` (and `replaces`) for
    /// fine-tuning, as the engine's `MetadataFile` reads them.
    public struct MetadataRow: Codable, Equatable, Sendable {
        public var fileName: String
        public var text: String?
        public var base: String?
        public var target: String?
        public var mode: PortraitTarget.Mode?
        public var replaces: String?

        enum CodingKeys: String, CodingKey { case fileName = "file_name", text, base, target, mode, replaces }

        /// The text the model trains on (`text`, or base and target combined as the engine does).
        public var fullText: String {
            if let text { return text }
            guard let base, let target else { return "" }
            if mode == .replace, let replaces {
                return base.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .map { $0 == replaces ? target : $0 }.joined(separator: ", ")
            }
            return base + ", " + target
        }
    }

    public func fileName(_ index: Int) -> String {
        let digits = max(5, String(count - 1).count)
        let number = String(index)
        return String(repeating: "0", count: max(0, digits - number.count)) + number + ".png"
    }

    /// Mixed into the seed so that sets of different kinds or targets drawn with the same seed do not share
    /// their random draws (FNV-1a of "pretrain" or "finetune/<target>").
    public var salt: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in (kind.rawValue + (target.map { "/" + $0.rawValue } ?? "")).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    public func example(_ index: Int) throws -> Example {
        var (attributes, rng) = draw(index)
        let caption = CaptionBuilder.caption(for: attributes.withoutTargets, using: &rng)
        let name = fileName(index)
        let row: MetadataRow
        if let target {
            let (phrase, replaces) = try target.split(base: caption, attributes: attributes)
            row = MetadataRow(fileName: name, text: nil, base: caption.text, target: phrase, mode: target.mode, replaces: replaces)
        } else {
            row = MetadataRow(fileName: name, text: caption.text, base: nil, target: nil, mode: nil, replaces: nil)
        }
        return Example(index: index, fileName: name, attributes: attributes, caption: caption, row: row)
    }

    /// Example `index`'s attributes and its generator as the caption is drawn from it: what `example` and
    /// `counterpart` (which captions a changed portrait from the same state) share.
    func draw(_ index: Int) -> (attributes: PortraitAttributes, captionGenerator: SplitMix64) {
        var rng = SplitMix64(seed: seed ^ salt, stream: UInt64(index))
        let attributes = distribution.sample(using: &rng)
        return (attributes, rng)
    }

    /// What `write` reports.
    public struct Summary: Sendable {
        public var directory: String
        public var count: Int
        public var seconds: Double
        public var renderSeconds: Double
    }

    /// Writes the dataset into `directory`, which must not exist yet. Everything is built in a hidden
    /// sibling folder that is renamed into place at the end: an error or interruption leaves no partial
    /// dataset at `directory` (only, at worst, the hidden folder).
    @discardableResult
    public func write(to directory: String, progress: ((Int) -> Void)? = nil) throws -> Summary {
        let start = DispatchTime.now().uptimeNanoseconds
        let destination = URL(fileURLWithPath: directory).standardizedFileURL
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            throw WorldError("\(directory) already exists; choose a new --out folder")
        }
        let parent = destination.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WorldError("\(parent.path): no such folder (the parent of --out must exist)")
        }
        let temporary = parent.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial")
        var renderNanoseconds: UInt64 = 0
        do {
            try FileManager.default.createDirectory(at: temporary.appendingPathComponent("labels"), withIntermediateDirectories: true)
            let renderer = try PortraitRenderer(size: size)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var metadata = ""
            var attributeLines = ""
            for index in 0..<count {
                let example = try example(index)
                let before = DispatchTime.now().uptimeNanoseconds
                let portrait = try renderer.render(example.attributes)
                renderNanoseconds += DispatchTime.now().uptimeNanoseconds - before
                try PNGWriter.write(portrait.image, to: temporary.appendingPathComponent(example.fileName).path)
                try portrait.labels.write(to: temporary.appendingPathComponent("labels").appendingPathComponent(example.fileName).path)
                metadata += String(decoding: try encoder.encode(example.row), as: UTF8.self) + "\n"
                let truth = GroundTruth(fileName: example.fileName, attributes: example.attributes, caption: example.row.fullText)
                attributeLines += String(decoding: try encoder.encode(truth), as: UTF8.self) + "\n"
                progress?(index + 1)
            }
            try AtomicWrite.write(metadata, to: temporary.appendingPathComponent("metadata.jsonl").path)
            try AtomicWrite.write(attributeLines, to: temporary.appendingPathComponent("attributes.jsonl").path)
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            try AtomicWrite.write(String(decoding: try encoder.encode(manifest), as: UTF8.self) + "\n",
                                  to: temporary.appendingPathComponent("world.json").path)
            guard rename(temporary.path, destination.path) == 0 else {
                throw WorldError("\(directory): cannot move the finished dataset into place (\(String(cString: strerror(errno))))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if error is WorldError || error is ImageError { throw error }
            throw WorldError("\(directory): \(error.localizedDescription)")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Summary(directory: destination.path, count: count, seconds: seconds, renderSeconds: Double(renderNanoseconds) / 1e9)
    }

    /// One line of attributes.jsonl.
    public struct GroundTruth: Codable, Equatable, Sendable {
        public var fileName: String
        public var attributes: PortraitAttributes
        /// The full training text (base and target combined for fine-tuning rows).
        public var caption: String
        enum CodingKeys: String, CodingKey { case fileName = "file_name", attributes, caption }
    }

    /// world.json: how the set was drawn.
    public struct Manifest: Codable, Equatable, Sendable {
        public var kind: Kind
        public var target: PortraitTarget?
        public var mode: PortraitTarget.Mode?
        public var count: Int
        public var seed: UInt64
        public var size: Int
        public var rendererVersion: Int
        public var shift: [String]
        /// Label names by id (index i names the id i stored in labels/*.png).
        public var labels: [String]
        enum CodingKeys: String, CodingKey {
            case kind, target, mode, count, seed, size, rendererVersion = "renderer_version", shift, labels
        }
    }

    public var manifest: Manifest {
        Manifest(kind: kind, target: target, mode: target?.mode, count: count, seed: seed, size: size,
                 rendererVersion: PortraitRenderer.version, shift: distribution.shift,
                 labels: PortraitLabel.allCases.map(\.name))
    }
}
