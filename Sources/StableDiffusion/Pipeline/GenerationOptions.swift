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
    /// diffusers' `guidance_rescale` in [0, 1]; 0 is plain classifier-free guidance (`DenoisingLoop.guidanceRescale`).
    public var guidanceRescale: Double = 0
    /// Adaptive projected guidance; `.none` (the default) is plain classifier-free guidance.
    public var projectedGuidance: AdaptiveProjectedGuidance = .none
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
        guard height <= Self.maxSide, width <= Self.maxSide else {
            throw PipelineError("height and width must be at most \(Self.maxSide), got \(height)x\(width)")
        }
        guard steps > 0 else { throw PipelineError("steps must be positive, got \(steps)") }
        guard batchSize > 0, batchSize <= Self.maxBatchSize else {
            throw PipelineError("batch size must be between 1 and \(Self.maxBatchSize), got \(batchSize)")
        }
        guard guidanceScale >= 0, guidanceScale <= Self.maxGuidanceScale else {
            throw PipelineError("guidance scale must be a number between 0 and \(Self.maxGuidanceScale), got \(guidanceScale)")
        }
        guard (0...1).contains(guidanceRescale) else {
            throw PipelineError("guidance rescale must be a number between 0 and 1, got \(guidanceRescale)")
        }
        try projectedGuidance.validate()
    }

    public var usesGuidance: Bool { guidanceScale > 1 }

    /// Bounds far beyond any useful value that keep the arithmetic finite and the allocations possible:
    /// a guidance of 1e308 overflows to infinity and gives black images.
    public static let maxGuidanceScale = 1000.0
    public static let maxBatchSize = 256
    public static let maxSide = 16384
}

public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import Foundation
