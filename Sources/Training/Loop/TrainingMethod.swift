import Foundation
import Torch

/// What the training loop feeds a method: one micro-batch of examples with their encodings.
public struct TrainingBatch {
    public let records: [CaptionRecord]
    /// VAE posterior parameters [B, 2 * latent channels, h, w] (mean and log-variance, diffusers'
    /// DiagonalGaussianDistribution input), from the cache or encoded for this batch.
    public let latentParameters: Tensor
    /// Text-encoder hidden states [S, D] for every text the method asked for (`TrainingMethod.texts`).
    public let embeddings: [String: Tensor]
    /// The optimizer step this micro-batch belongs to, counted from 0 over the whole run (a resumed run
    /// continues the count): what a method with stages (SPF) switches on.
    public let step: Int

    public init(records: [CaptionRecord], latentParameters: Tensor, embeddings: [String: Tensor], step: Int = 0) {
        self.records = records
        self.latentParameters = latentParameters
        self.embeddings = embeddings
        self.step = step
    }

    /// [B, S, D]: the embeddings of `text(record)` for every record of the batch.
    public func conditioning(_ text: (CaptionRecord) -> String) throws -> Tensor {
        try Tensor.stack(records.map { record in
            let key = text(record)
            guard let embedding = embeddings[key] else { throw TorchError("no text embedding for \"\(key)\"") }
            return embedding
        })
    }
}

/// The value of one micro-batch: the loss to minimize and the named terms to log (each a scalar tensor).
public struct StepLoss {
    public let loss: Tensor
    public let terms: [String: Tensor]

    public init(loss: Tensor, terms: [String: Tensor] = [:]) {
        self.loss = loss
        self.terms = terms
    }
}

/// A fine-tuning method plugged into the shared loop (`Trainer`): which tensors train, what the loss of a
/// batch is (its own terms, its own frozen models), and what it writes at the end. The loop owns data order,
/// caching, the optimizer, the learning-rate schedule, accumulation, clipping, checkpoints, logs and signals.
public protocol TrainingMethod: AnyObject {
    /// Short name recorded in checkpoints ("naive", "lora", ...): a checkpoint resumes only into its method.
    var name: String { get }
    /// The tensors the optimizer updates, by the names checkpoints store them under. Their order is the
    /// optimizer's parameter order and must not change between runs.
    var trainableParameters: [(name: String, tensor: Tensor)] { get }
    /// The texts of a record that need text embeddings (default: the record's full text).
    func texts(for record: CaptionRecord) -> [String]
    /// The loss of one micro-batch. Random draws come from `generator` only, so that a run resumes exactly.
    func loss(_ batch: TrainingBatch, generator: Generator) throws -> StepLoss
    /// Writes the method's outputs (model folder, LoRA files) into the run folder.
    func export(to run: RunFolder) throws
}

extension TrainingMethod {
    public func texts(for record: CaptionRecord) -> [String] { [record.text] }
}
