import PortraitWorld
import Training

/// Held-out evaluation prompts of the world: portraits drawn from the pre-training distribution (what the
/// original model knows, not the fine-tuning set's shifted one) that the target can apply to, each split into
/// base text and target as the fine-tuning captions are. Drawn from their own SplitMix64 streams (salted with
/// "eval/<target>"), so they share no draws with any dataset of the same seed, and prompt i is the same
/// whatever the count.
public enum EvaluationPrompts {
    public struct Prompt: Sendable {
        public var caption: PortraitCaption
        /// The portrait's attributes (without the target): ground truth of the base text.
        public var attributes: PortraitAttributes
        public var seed: UInt64
    }

    public static func world(target: PortraitTarget, count: Int, seed: UInt64) throws -> [Prompt] {
        var salt: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in "eval/\(target.rawValue)".utf8 { salt = (salt ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let distribution = WorldDistribution()
        var prompts: [Prompt] = []
        var stream: UInt64 = 0
        while prompts.count < count {
            var rng = SplitMix64(seed: seed ^ salt, stream: stream)
            stream += 1
            let attributes = distribution.sample(using: &rng).withoutTargets
            guard target.canApply(to: attributes) else { continue }
            let caption = CaptionBuilder.caption(for: attributes, using: &rng)
            let (phrase, replaces) = try target.split(base: caption, attributes: target.applied(to: attributes))
            let mode: PortraitCaption.Mode = target.mode == .add ? .add : .replace
            prompts.append(Prompt(caption: try PortraitCaption(base: caption.text, target: phrase, mode: mode, replaces: replaces),
                                  attributes: attributes, seed: seed &+ UInt64(prompts.count)))
        }
        return prompts
    }
}
