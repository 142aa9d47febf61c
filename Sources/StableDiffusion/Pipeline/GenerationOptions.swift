/// What to generate: the knobs of diffusers' StableDiffusionPipeline.__call__, as a plain value.
public struct GenerationOptions: Codable, Equatable, Sendable {
    public var prompt: String
    public var negativePrompt: String = ""
    /// Seeds the one CPU generator that draws the initial latents (and a stochastic sampler's noise).
    public var seed: UInt64 = 0
    public var batchSize: Int = 1
    public var steps: Int = 30
    /// Classifier-free guidance weight; <= 1 disables guidance (one UNet pass per step), as diffusers does.
    public var guidanceScale: Double = 7.5
    public var height: Int = 512
    public var width: Int = 512
    /// A scheduler name accepted by `makeScheduler` ("ddim", "euler", "dpmpp_2m_karras", ...); nil uses the
    /// model folder's own scheduler class.
    public var scheduler: String?

    public init(prompt: String, negativePrompt: String = "", seed: UInt64 = 0, batchSize: Int = 1, steps: Int = 30,
                guidanceScale: Double = 7.5, height: Int = 512, width: Int = 512, scheduler: String? = nil) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.batchSize = batchSize
        self.steps = steps
        self.guidanceScale = guidanceScale
        self.height = height
        self.width = width
        self.scheduler = scheduler
    }

    /// Checks everything that can be checked before any model runs.
    public func validate() throws {
        if prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw PipelineError("the prompt is empty")
        }
        guard height > 0, width > 0, height % 8 == 0, width % 8 == 0 else {
            throw PipelineError("height and width must be positive multiples of 8, got \(height)x\(width)")
        }
        guard steps > 0 else { throw PipelineError("steps must be positive, got \(steps)") }
        guard batchSize > 0 else { throw PipelineError("batch size must be positive, got \(batchSize)") }
        guard guidanceScale >= 0, guidanceScale.isFinite else {
            throw PipelineError("guidance scale must be a non-negative number, got \(guidanceScale)")
        }
    }

    public var usesGuidance: Bool { guidanceScale > 1 }
}

public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import Foundation
