import Foundation
import Imaging
import StableDiffusion
import Torch

/// Fixed-seed validation images during training, one row per configured prompt, written as
/// `validation/step-<n>.png`: the original model's image (rendered once, before the first step) beside the
/// current model's. In an SPF run a caption prompt ({base, target}) shows what the method is about: the original
/// model on the base text, the current model on the full text and on the base text alone, and the SFCM M and
/// the target phrase's attention over the full-text image. The same seeds every time, so rows differ only by
/// what training changed.
public final class ValidationImages {
    let pipeline: StableDiffusionPipeline
    let config: TrainingConfig
    let folder: String
    /// Set in SPF runs: caption prompts get the base-text image and the maps.
    let spf: SPFMethod?
    /// The timestep the maps are computed at (mid-trajectory, where the layout is decided).
    let mapTimestep = 500
    private var originals: [RGBImage]?

    public init(pipeline: StableDiffusionPipeline, config: TrainingConfig, run: RunFolder, spf: SPFMethod? = nil) {
        self.pipeline = pipeline
        self.config = config
        folder = run.validationPath
        self.spf = spf
    }

    var prompts: [ValidationPrompt] { config.validationPrompts }

    /// The caption of prompt `index` when its row shows the SPF columns.
    func spfCaption(_ index: Int) -> PortraitCaption? { spf == nil ? nil : prompts[index].caption }

    func image(_ index: Int, prompt: String) throws -> RGBImage {
        var options = GenerationOptions(prompt: prompt, seed: config.validationSeed &+ UInt64(index),
                                        steps: config.validationSteps, height: config.resolution, width: config.resolution)
        options.guidanceScale = config.validationGuidance
        return try Tensor.withNoGrad { try RGBImage(tensor: pipeline.generate(options).select(dim: 0, index: 0)) }
    }

    /// The original model is shown with the base text in SPF rows (what the reference path sees). In an SPF run
    /// the model already holds stage 1's weights when stage 2 starts from another run (`init_from`), so the
    /// originals are rendered by the reference path: the original values swapped in, LoRA adapters off.
    func renderOriginals() throws -> [RGBImage] {
        let render = { try self.prompts.indices.map { try self.image($0, prompt: self.spfCaption($0)?.base ?? self.prompts[$0].text) } }
        return try spf.map { try $0.reference.run(render) } ?? render()
    }

    /// The current model's cells of every row after the original's.
    func renderCurrent() throws -> [[RGBImage]] {
        var rows = try prompts.indices.map { index -> [RGBImage] in
            var row = [try image(index, prompt: prompts[index].text)]
            if let caption = spfCaption(index) { row.append(try image(index, prompt: caption.base)) }
            return row
        }
        let mapped = prompts.indices.filter { spfCaption($0) != nil }
        if let spf, !mapped.isEmpty {
            let records = mapped.map { index in
                CaptionRecord(line: index + 1, fileName: "validation-\(index)", text: prompts[index].text,
                              portrait: spfCaption(index))
            }
            let pixels = try Tensor.withNoGrad { try Tensor.stack(mapped.map { try rows[$0][0].normalizedTensor() }) }
            let maps = try spf.maps(records: records, pixels: pixels, timestep: mapTimestep, seed: config.validationSeed)
            for (i, index) in mapped.enumerated() {
                for map in [maps.controlMaps[i], maps.targetAttention[i]] {
                    rows[index].append(try rows[index][0].heatMapOverlay(map, height: maps.height, width: maps.width))
                }
            }
        }
        return rows
    }

    func originalPath(_ index: Int) -> String {
        (folder as NSString).appendingPathComponent(String(format: "original-%02d.png", index))
    }

    /// Renders the originals (call before training changes the model), keeps them as
    /// `validation/original-<i>.png` for resumed runs, and writes step 0's grid.
    @discardableResult
    public func start() throws -> String {
        let images = try renderOriginals()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (index, image) in images.enumerated() { try PNGWriter.write(image, to: originalPath(index)) }
        originals = images
        // Without SPF rows the current model is the original at step 0 (unless stage 2 starts from a stage-1 run).
        let same = spf == nil && config.initFrom == nil
        return try write(step: 0, current: same ? images.map { [$0] } : renderCurrent())
    }

    /// Renders the current model and writes the grid for `step`; returns its path. A resumed run takes the
    /// originals from the files `start()` wrote.
    @discardableResult
    public func callAsFunction(step: Int) throws -> String {
        if originals == nil {
            originals = try prompts.indices.map { try ImageFile.read(path: originalPath($0)) }
        }
        return try write(step: step, current: renderCurrent())
    }

    @discardableResult
    func write(step: Int, current: [[RGBImage]]) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let originals = originals ?? current.map { $0[0] }
        let grid = try ImageGrid.make(zip(originals, current).map { [$0] + $1 })
        let path = (folder as NSString).appendingPathComponent(String(format: "step-%08d.png", step))
        var columns = "original model | current model"
        if prompts.indices.contains(where: { spfCaption($0) != nil }) {
            columns = "caption rows: original on base | current on full text | current on base | SFCM M at t=\(mapTimestep) "
                + "| target attention at t=\(mapTimestep); plain prompts: original | current"
        }
        let text = [("step", "\(step)"), ("columns", columns)]
            + prompts.enumerated().map { ("prompt \($0.offset)", $0.element.caption.map { "\($0.base) + \($0.target)" } ?? $0.element.text) }
        try PNGWriter.write(grid, text: text.map { (key: $0.0, value: $0.1) }, to: path)
        return path
    }
}
