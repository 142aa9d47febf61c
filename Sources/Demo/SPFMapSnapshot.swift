import Evaluation
import Foundation
import Imaging
import PortraitWorld
import StableDiffusion
import Torch
import Training

/// What SPF-Portrait's stage 2 sees on a few fine-tuning examples, for the report: the Semantic-Aware Fine
/// Control Map M (where the target lives, so where alignment is off) and the response path's attention map of
/// the target phrase, at one fixed timestep, from the finished SPF run's weights.
public struct SPFMapSnapshot {
    public struct Example {
        public var caption: PortraitCaption
        public var image: RGBImage
        /// M, [h, w] in [0, 1] at the latent resolution.
        public var controlMap: [Float]
        /// The target phrase's attention, mean over the SFCM layers, [h, w], scaled so its maximum is 1.
        public var targetAttention: [Float]
        public var height: Int
        public var width: Int
        /// The share of each map cell that the target's ground-truth region covers ([h, w] in [0, 1]), from the
        /// dataset's label map; nil without one.
        public var targetRegion: [Float]?
    }

    /// M and the target's attention against the ground truth: each one's mean on the target's region and
    /// elsewhere (cells weighted by how much of them the region covers), the region's share of the image, and the
    /// mean over the examples of the Pearson correlation of the target's attention with M (issue 8: with the SFCM
    /// the target phrase should attend where M is high).
    public struct GroundTruthOverlap: Codable, Equatable, Sendable {
        public var meanInside: Double
        public var meanOutside: Double
        public var attentionInside: Double
        public var attentionOutside: Double
        public var attentionMapCorrelation: Double
        public var areaFraction: Double
        public var examples: Int

        enum CodingKeys: String, CodingKey {
            case meanInside = "mean_inside", meanOutside = "mean_outside", attentionInside = "attention_inside"
            case attentionOutside = "attention_outside", attentionMapCorrelation = "attention_map_correlation"
            case areaFraction = "area_fraction", examples
        }

        public init(maps: [(control: [Float], attention: [Float], region: [Float])]) {
            var inside = 0.0, outside = 0.0, attentionIn = 0.0, attentionOut = 0.0, area = 0.0, cells = 0.0
            var correlation = 0.0
            for (control, attention, region) in maps {
                for ((m, a), r) in zip(zip(control, attention), region) {
                    inside += Double(m * r)
                    outside += Double(m * (1 - r))
                    attentionIn += Double(a * r)
                    attentionOut += Double(a * (1 - r))
                    area += Double(r)
                }
                cells += Double(region.count)
                correlation += Self.pearson(attention, control)
            }
            meanInside = area > 0 ? inside / area : 0
            meanOutside = cells - area > 0 ? outside / (cells - area) : 0
            attentionInside = area > 0 ? attentionIn / area : 0
            attentionOutside = cells - area > 0 ? attentionOut / (cells - area) : 0
            attentionMapCorrelation = maps.isEmpty ? 0 : correlation / Double(maps.count)
            areaFraction = cells > 0 ? area / cells : 0
            examples = maps.count
        }

        /// 0 where either map is flat (no direction to agree on).
        static func pearson(_ x: [Float], _ y: [Float]) -> Double {
            let n = Double(min(x.count, y.count))
            guard n > 1 else { return 0 }
            let mx = x.reduce(0) { $0 + Double($1) } / n, my = y.reduce(0) { $0 + Double($1) } / n
            var sxy = 0.0, sxx = 0.0, syy = 0.0
            for (u, v) in zip(x, y) {
                let (du, dv) = (Double(u) - mx, Double(v) - my)
                sxy += du * dv
                sxx += du * du
                syy += dv * dv
            }
            return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
        }
    }

    public var timestep: Int
    public var examples: [Example]

    public var groundTruth: GroundTruthOverlap? {
        let pairs = examples.compactMap { example in
            example.targetRegion.map { (example.controlMap, example.targetAttention, $0) }
        }
        return pairs.isEmpty ? nil : GroundTruthOverlap(maps: pairs)
    }

    /// The share of each cell of an [h, w] grid covered by `labels` in a label map (label ids in the red channel).
    public static func regionShares(_ labelMap: RGBImage, labels: Set<UInt8>, height: Int, width: Int) -> [Float] {
        var covered = [Float](repeating: 0, count: height * width)
        var counts = [Float](repeating: 0, count: height * width)
        for y in 0..<labelMap.height {
            for x in 0..<labelMap.width {
                let cell = (y * height / labelMap.height) * width + x * width / labelMap.width
                counts[cell] += 1
                if labels.contains(labelMap.pixels[(y * labelMap.width + x) * 3]) { covered[cell] += 1 }
            }
        }
        return zip(covered, counts).map { $1 > 0 ? $0 / $1 : 0 }
    }

    /// `run`: a finished `method = "spf"` run (its config.json, last checkpoint and dataset). With `target`, each
    /// example's ground-truth region comes from the dataset's `labels/` (PortraitWorld sets have them).
    /// `mapLayers`: the cross-attention layers M and the target's attention are read from (`Stage2Model`).
    public static func compute(run: String, count: Int, timestep: Int = 500, seed: UInt64 = 0,
                               target: PortraitTarget? = nil, mapLayers: [String]? = nil) throws -> SPFMapSnapshot {
        let stage2 = try Stage2Model(run: run, mapLayers: mapLayers)
        let config = stage2.config
        let records = Array(try MetadataFile.read(dataset: config.data).prefix(count))
        let images = ImageSource(config: config)
        let pixels = try Tensor.withNoGrad { try Tensor.stack(records.map { try images.pixels($0, flip: false) }) }
        var snapshot = try stage2.maps(records: records, pixels: pixels, timestep: timestep, seed: seed)
        guard let target, !PairMetrics.regionLabels(of: target).isEmpty else { return snapshot }
        for (i, record) in records.enumerated() {
            let labelPath = ((config.data as NSString).appendingPathComponent("labels") as NSString)
                .appendingPathComponent(record.fileName)
            guard FileManager.default.fileExists(atPath: labelPath) else { continue }
            let labels = try ImageFile.read(path: labelPath)
            let example = snapshot.examples[i]
            snapshot.examples[i].targetRegion = regionShares(labels, labels: PairMetrics.regionLabels(of: target),
                                                             height: example.height, width: example.width)
        }
        return snapshot
    }

    /// M and the target's attention for any captioned images (`spf compare --run` passes generated ones).
    public static func compute(_ stage2: Stage2Model, images: [(caption: PortraitCaption, image: RGBImage)],
                               timestep: Int = 500, seed: UInt64 = 0) throws -> SPFMapSnapshot {
        let records = images.enumerated().map { i, example in
            CaptionRecord(line: i + 1, fileName: "image-\(i).png", text: example.caption.fullText, portrait: example.caption)
        }
        let pixels = try Tensor.withNoGrad { try Tensor.stack(images.map { try $0.image.normalizedTensor() }) }
        return try stage2.maps(records: records, pixels: pixels, timestep: timestep, seed: seed)
    }

    /// A finished SPF run's stage 2 with its own final weights in the response path and the original model in
    /// the reference path: what the maps are computed with.
    public struct Stage2Model {
        public let config: TrainingConfig
        let method: SPFMethod

        /// `mapLayers` (selectors as in `spf.sfcm_layers`: "1/2", "all" or a layer name ending in .attn2) replaces the
        /// run's `sfcm_layers` for the maps only: the weights are the run's either way, so one finished run can be
        /// inspected level by level (which layers put the target's attention where M is).
        public init(run: String, mapLayers: [String]? = nil) throws {
            let folder = RunFolder(path: run)
            var config = try ConfigResolution.resolveResumed(savedConfig: folder.file("config.json"), overrides: [])
            guard config.method == .spf else { throw DemoError("\(run): a \(config.method.rawValue) run; the maps need an SPF run") }
            config.initFrom = run  // the run's own final weights, loaded as stage 2 would load stage 1's
            if let mapLayers { config.spf.sfcmLayers = mapLayers }
            self.config = config
            method = try SPFMethod(models: TrainingModels.load(config), config: config)
        }

        /// The customized model (the run's weights; LoRA adapters at strength 1). `original` renders the
        /// original model with the same modules, so one load serves both sides of a comparison.
        public var pipeline: StableDiffusionPipeline { method.models.pipeline }

        /// Runs `body` on the original model: the reference path (original values swapped in, adapters off).
        public func original<R>(_ body: () throws -> R) throws -> R { try method.reference.run(body) }

        /// Scales the run's LoRA adapters (`--lora-scale`; 1 = as trained). No effect on a run without LoRA.
        public func setLoRAStrength(_ strength: Double) {
            for adapter in method.models.unet.loraAdapters() { adapter.lora.strength = strength }
        }

        /// One stage-2 forward of both paths on `pixels` ([B, 3, H, W] in [-1, 1]) noised to `timestep`.
        public func maps(records: [CaptionRecord], pixels: Tensor, timestep: Int, seed: UInt64) throws -> SPFMapSnapshot {
            let maps = try method.maps(records: records, pixels: pixels, timestep: timestep, seed: seed)
            let examples = try records.enumerated().map { i, record in
                Example(caption: record.portrait!, image: try RGBImage(tensor: pixels.select(dim: 0, index: i)),
                        controlMap: maps.controlMaps[i], targetAttention: maps.targetAttention[i], height: maps.height,
                        width: maps.width, targetRegion: nil)
            }
            return SPFMapSnapshot(timestep: timestep, examples: examples)
        }
    }
}
