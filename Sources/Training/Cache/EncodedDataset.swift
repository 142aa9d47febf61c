import Foundation
import Torch

/// Everything the loop draws batches from: the records, their VAE posterior parameters (and those of the
/// flipped image when flipping is on), and the text embeddings every method asked for. Built once before
/// training from the cache folder, encoding only what is missing; with random crops latents cannot be
/// cached and are encoded per batch instead (`latents == nil`).
public struct EncodedDataset {
    public let records: [CaptionRecord]
    /// Per record: [2 * latent channels, h, w].
    public let latents: [Tensor]?
    public let flippedLatents: [Tensor]?
    public let embeddings: [String: Tensor]

    /// What encoding did, for the log.
    public struct Report: Sendable {
        public var latentsReused = 0
        public var latentsEncoded = 0
        public var textsReused = 0
        public var textsEncoded = 0
        public var notes: [String] = []
    }

    /// Loads or computes every encoding. `pixels(record, flipped)` gives the training image as [3, R, R]
    /// in [-1, 1] (deterministic: center crop); `progress(done, total, what)` reports as it goes.
    public static func build(records: [CaptionRecord], models: TrainingModels, config: TrainingConfig,
                             texts: (CaptionRecord) -> [String], cacheDirectory: String,
                             pixels: (CaptionRecord, Bool) throws -> Tensor,
                             imageHash: (CaptionRecord) throws -> String,
                             progress: (Int, Int, String) -> Void = { _, _, _ in }) throws -> (EncodedDataset, Report) {
        var report = Report()
        let vaeFingerprint = try Fingerprint.of(module: models.vae)
        var latents: [Tensor]?
        var flipped: [Tensor]?
        if config.crop == .center {
            let store = EncodingStore(directory: cacheDirectory, kind: "latents", descriptor: [
                "vae": vaeFingerprint, "resolution": "\(config.resolution)", "crop": config.crop.rawValue,
                "dtype": "float32", "encoding": "posterior parameters (mean, logvar)",
            ])
            if let reason = store.discarded { report.notes.append("rebuilt \(store.path): \(reason)") }
            var plain: [Tensor] = []
            var mirrored: [Tensor] = []
            let variants = config.flip ? [false, true] : [false]
            for (index, record) in records.enumerated() {
                let hash = try imageHash(record)
                for flip in variants {
                    let key = flip ? hash + ".flip" : hash
                    let parameters: Tensor
                    if let cached = store[key] {
                        parameters = cached
                        report.latentsReused += 1
                    } else {
                        parameters = try Tensor.withNoGrad {
                            try models.vae.encode(pixels(record, flip).unsqueeze(dim: 0)).parameters.squeeze(dim: 0)
                        }
                        store.insert(parameters, for: key)
                        report.latentsEncoded += 1
                    }
                    if flip { mirrored.append(parameters) } else { plain.append(parameters) }
                }
                progress(index + 1, records.count, "latents")
                // Write as we go (every 64 images) so an interrupted encoding keeps its work.
                if store.added >= 64 { try store.saveIfChanged() }
            }
            try store.saveIfChanged()
            latents = plain
            flipped = config.flip ? mirrored : nil
        } else {
            report.notes.append("random crops: latents are encoded for every batch (not cacheable)")
        }

        let textFingerprint = try Fingerprint.of(module: models.textEncoder)
        let textStore = EncodingStore(directory: cacheDirectory, kind: "text", descriptor: [
            "text_encoder": textFingerprint, "dtype": "float32", "encoding": "last_hidden_state of the CLIP ids",
        ])
        if let reason = textStore.discarded { report.notes.append("rebuilt \(textStore.path): \(reason)") }
        var embeddings: [String: Tensor] = [:]
        let allTexts = Array(Set(records.flatMap(texts))).sorted()
        for (index, text) in allTexts.enumerated() {
            let ids = models.tokenIDs(text)
            // Keyed by the token ids, so a different tokenizer is a different entry.
            let key = Fingerprint.of(ids.map(String.init))
            if let cached = textStore[key] {
                embeddings[text] = cached
                report.textsReused += 1
            } else {
                let embedding = try Tensor.withNoGrad {
                    try models.textEncoder(Tensor(ids.map(Int64.init), shape: [1, ids.count])).lastHiddenState
                        .squeeze(dim: 0)
                }
                textStore.insert(embedding, for: key)
                embeddings[text] = embedding
                report.textsEncoded += 1
            }
            progress(index + 1, allTexts.count, "texts")
        }
        try textStore.saveIfChanged()
        return (EncodedDataset(records: records, latents: latents, flippedLatents: flipped, embeddings: embeddings),
                report)
    }
}
