import Foundation
import Imaging
import StableDiffusion
import Torch

/// Fixed-seed validation images during training: for every configured prompt, the original model's image
/// (rendered once, before the first step) beside the current model's, one row per prompt, written as
/// `validation/step-<n>.png`. The same seeds every time, so rows differ only by what training changed.
public final class ValidationImages {
    let pipeline: StableDiffusionPipeline
    let config: TrainingConfig
    let folder: String
    private var originals: [RGBImage]?

    public init(pipeline: StableDiffusionPipeline, config: TrainingConfig, run: RunFolder) {
        self.pipeline = pipeline
        self.config = config
        folder = run.validationPath
    }

    func options(_ index: Int) -> GenerationOptions {
        var options = GenerationOptions(prompt: config.validationPrompts[index], seed: config.validationSeed &+ UInt64(index),
                                        steps: config.validationSteps, height: config.resolution, width: config.resolution)
        options.guidanceScale = config.validationGuidance
        return options
    }

    func render() throws -> [RGBImage] {
        try config.validationPrompts.indices.map { index in
            try Tensor.withNoGrad {
                try RGBImage(tensor: pipeline.generate(options(index)).select(dim: 0, index: 0))
            }
        }
    }

    func originalPath(_ index: Int) -> String {
        (folder as NSString).appendingPathComponent(String(format: "original-%02d.png", index))
    }

    /// Renders the originals (call before training changes the model), keeps them as
    /// `validation/original-<i>.png` for resumed runs, and writes step 0's grid.
    @discardableResult
    public func start() throws -> String {
        let images = try render()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (index, image) in images.enumerated() { try PNGWriter.write(image, to: originalPath(index)) }
        originals = images
        return try write(step: 0, current: images)
    }

    /// Renders the current model and writes the grid for `step`; returns its path. A resumed run takes the
    /// originals from the files `start()` wrote.
    @discardableResult
    public func callAsFunction(step: Int) throws -> String {
        if originals == nil {
            originals = try config.validationPrompts.indices.map { try ImageFile.read(path: originalPath($0)) }
        }
        return try write(step: step, current: render())
    }

    @discardableResult
    func write(step: Int, current: [RGBImage]) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let grid = try ImageGrid.make(zip(originals ?? current, current).map { [$0, $1] })
        let path = (folder as NSString).appendingPathComponent(String(format: "step-%08d.png", step))
        let text = [("step", "\(step)"), ("columns", "original model | current model")]
            + config.validationPrompts.enumerated().map { ("prompt \($0.offset)", $0.element) }
        try PNGWriter.write(grid, text: text.map { (key: $0.0, value: $0.1) }, to: path)
        return path
    }
}
