import Foundation
import SafeTensors
import Torch

/// An exponential moving average of the trained tensors, as diffusers' `EMAModel` keeps it for
/// train_text_to_image's `--use_ema` (use_ema_warmup off, update_after_step 0, min_decay 0): after optimizer
/// step n the decay is min(`maxDecay`, (1 + k) / (10 + k)) with k = n - 1 (0 at the first step, so the average
/// starts as a copy), and every shadow tensor s becomes s - (1 - decay) (s - p), with the same float32 operations
/// in the same order. Exports and validation images use the average; checkpoints keep both.
public final class EMAWeights {
    public let maxDecay: Double
    /// Shadow copies, in the order and under the names of the trained tensors.
    public let shadow: [(name: String, tensor: Tensor)]
    /// Updates done (diffusers' `optimization_step`).
    public private(set) var updates = 0

    public init(_ trainable: [(name: String, tensor: Tensor)], maxDecay: Double) throws {
        self.maxDecay = maxDecay
        shadow = try Tensor.withNoGrad { try trainable.map { ($0.name, try $0.tensor.detach().clone()) } }
    }

    /// The decay applied at update number `update` (1-based), as `EMAModel.get_decay`.
    public static func decay(update: Int, maxDecay: Double) -> Double {
        let step = max(0, update - 1)
        guard step > 0 else { return 0 }
        return min(Double(1 + step) / Double(10 + step), maxDecay)
    }

    /// One update from the trained tensors (after the optimizer step).
    public func update(from trainable: [(name: String, tensor: Tensor)]) throws {
        updates += 1
        let oneMinusDecay = 1 - Self.decay(update: updates, maxDecay: maxDecay)
        try Tensor.withNoGrad {
            for (s, p) in zip(shadow, trainable) {
                try s.tensor.copy_(s.tensor - (s.tensor - p.tensor) * oneMinusDecay)
            }
        }
    }

    /// Copies the average into `trainable` (diffusers' `copy_to`).
    public func copy(to trainable: [(name: String, tensor: Tensor)]) throws {
        try Tensor.withNoGrad { for (s, p) in zip(shadow, trainable) { try p.tensor.copy_(s.tensor) } }
    }

    /// Runs `body` with the average in `trainable` and puts the trained values back afterwards, even when it
    /// throws (diffusers' store / copy_to / restore around validation).
    public func withAverage<T>(in trainable: [(name: String, tensor: Tensor)], _ body: () throws -> T) throws -> T {
        let stored = try Tensor.withNoGrad { try trainable.map { try $0.tensor.detach().clone() } }
        try copy(to: trainable)
        let result = Result { try body() }
        // Not `try?` in a defer: training on with the average in place must not happen silently.
        try Tensor.withNoGrad { for (p, value) in zip(trainable, stored) { try p.tensor.copy_(value) } }
        return try result.get()
    }

    static let fileName = "ema.safetensors"

    /// Writes the shadow tensors and the update count into a checkpoint folder.
    func save(into folder: String) throws {
        try Tensor.withNoGrad {
            try SafeTensors.save(Dictionary(uniqueKeysWithValues: shadow.map { ($0.name, $0.tensor) }),
                                 metadata: ["updates": String(updates), "max_decay": String(maxDecay)],
                                 to: (folder as NSString).appendingPathComponent(Self.fileName))
        }
    }

    /// Restores what `save` wrote; errors name the file and the key.
    func restore(from folder: String) throws {
        let path = (folder as NSString).appendingPathComponent(Self.fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError(source: folder, "has no \(Self.fileName), but this run keeps an EMA (ema_decay): it was written without one")
        }
        let file = try SafeTensorsFile(path: path)
        guard let text = file.metadata["updates"], let count = Int(text), count >= 0 else {
            throw ConfigError(source: path, "metadata 'updates' is missing or not a count")
        }
        let saved = try file.tensors()
        try Tensor.withNoGrad {
            for (name, tensor) in shadow {
                guard let value = saved[name] else { throw ConfigError(source: path, "key '\(name)' is missing") }
                guard value.shape == tensor.shape else {
                    throw ConfigError(source: path, "key '\(name)' has shape \(value.shape), the model's is \(tensor.shape)")
                }
                try tensor.copy_(value)
            }
        }
        updates = count
    }
}
