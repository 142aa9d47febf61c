import Foundation
import NN
import PortraitWorld
import Tokenizers
import Torch

/// Training-only heads on the CLIP text tower's last hidden state (what the UNet reads): for every caption
/// phrase, the mean of its tokens' states predicts each attribute the phrase states (hair style and colour from
/// "with brown curls", and so on), one linear head per captioned attribute shared by every wording.
///
/// Why: contrastive batches teach the text tower only what the tiny vision tower can tell apart; hair style,
/// face shape and subject stayed at chance even with counterparts (docs/portrait-world.md), so their words
/// reached the UNet as near-identical states and it never learned them. The real CLIP text encoder separates
/// such words; these heads make the world's do the same. They are not part of the CLIP folder.
public final class CaptionAttributeHeads: Module {
    /// The captioned attributes that are not targets, in `AttributeClass.all` order.
    public let classes: [AttributeClass]
    let heads: [Linear]

    public init(hidden: Int, factory: ParameterFactory) throws {
        classes = AttributeClass.all.filter { $0.isCaptioned && !$0.isTarget }
        heads = try classes.map { try Linear(hidden, $0.count, factory: factory) }
    }

    public var children: [(name: String, module: any Module)] {
        zip(classes, heads).map { ("heads.\($0.0.name)", $0.1 as any Module) }
    }

    /// Mean cross-entropy over attributes (each the mean over the phrases that state it) and the fraction of
    /// those predictions that are right. `hidden`: [B, S, H] (`CLIPTextOutput.lastHiddenState`); `prompts`: the
    /// tokenized captions (their phrase spans); `captions` and `attributes`: the same B examples.
    public func loss(hidden: Tensor, prompts: [TokenizedPrompt], captions: [Caption],
                     attributes: [PortraitAttributes]) throws -> (loss: Tensor, accuracy: Double) {
        let (b, s) = (hidden.shape[0], hidden.shape[1])
        // Rows of a pooling matrix per attribute: weight 1/length on the phrase's tokens of one example.
        var rows: [String: [[(Int, Float)]]] = [:]
        var labels: [String: [Int64]] = [:]
        for k in 0..<b {
            let spans = prompts[k].spans(of: captions[k].phrases.map(\.text))
            for (phrase, span) in zip(captions[k].phrases, spans) {
                guard let span, !span.isEmpty else { continue }
                let weight = 1 / Float(span.count)
                for name in phrase.statedAttributes {
                    guard let attribute = classes.first(where: { $0.name == name }) else { continue }
                    rows[name, default: []].append(span.map { (k * s + $0, weight) })
                    labels[name, default: []].append(Int64(attribute.value(of: attributes[k])))
                }
            }
        }
        let flat = try hidden.reshape([b * s, hidden.shape[2]])
        var losses: [Tensor] = []
        var right = 0
        var total = 0
        for (attribute, head) in zip(classes, heads) {
            guard let entries = rows[attribute.name], let truth = labels[attribute.name] else { continue }
            var pooling = [Float](repeating: 0, count: entries.count * b * s)
            for (r, entry) in entries.enumerated() {
                for (column, weight) in entry { pooling[r * b * s + column] = weight }
            }
            let pooled = try Tensor(pooling, shape: [entries.count, b * s]).matmul(flat)
            let logits = try head(pooled)
            let target = try Tensor(truth, shape: [truth.count])
            losses.append(try crossEntropy(logits, target))
            let predicted = try Tensor.withNoGrad { try logits.argmax(dim: 1).toArray(Int64.self) }
            right += zip(predicted, truth).filter { $0.0 == $0.1 }.count
            total += truth.count
        }
        guard !losses.isEmpty else { throw WorldError("caption attribute heads: no caption states an attribute") }
        return (try Tensor.stack(losses).mean(), Double(right) / Double(max(total, 1)))
    }
}
