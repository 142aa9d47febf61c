import Foundation
import Tokenizers

/// One training record's token groups for the two paths: every base phrase's span in the base text B (the
/// reference path's conditioning) and in the full text F (the response path's), the PAD group of each, and the
/// target's span in F. Slots are aligned: slot k is base phrase k on both sides.
///
/// Phrases are matched by position in the phrase lists (`CLIPTokenizer.phrases(in:)`): in add mode F's phrases
/// are B's followed by T's; in replace mode each phrase equal to `replaces` is swapped for T's phrases. A phrase
/// that truncation (77 tokens) dropped from one side has no span there; a phrase cut short keeps its surviving
/// tokens. Phrases may tokenize to different lengths on the two sides (the spans are independent).
public struct SPFPromptGroups: Equatable, Sendable {
    public struct Phrase: Equatable, Sendable {
        public var text: String
        /// Token positions in B's ids (nil: dropped by truncation).
        public var baseSpan: Range<Int>?
        /// Token positions in F's ids (nil: dropped by truncation, or replaced).
        public var fullSpan: Range<Int>?
        /// Replace mode: this phrase is the one the target replaces.
        public var isReplaced: Bool
    }

    public var phrases: [Phrase]
    /// EOS and padding positions in B's and F's ids.
    public var basePad: Range<Int>
    public var fullPad: Range<Int>
    /// The target's token positions in F (the union of its phrases' surviving spans; empty if truncated away).
    public var targetSpan: [Int]

    public init(caption: PortraitCaption, tokenizer: CLIPTokenizer, maxLength: Int = 77) throws {
        let full = caption.fullText
        let base = tokenizer.encodeWithPhrases(caption.base, maxLength: maxLength)
        let fullTokens = tokenizer.encodeWithPhrases(full, maxLength: maxLength)
        let basePhrases = CLIPTokenizer.phrases(in: caption.base)
        let fullPhrases = CLIPTokenizer.phrases(in: full)
        let targetCount = CLIPTokenizer.phrases(in: caption.target).count
        // Where each base phrase and the target's phrases sit in F's phrase list.
        var fullIndex: [Int?] = []
        var targetIndices: [Int] = []
        var next = 0
        for text in basePhrases {
            if caption.mode == .replace, text == caption.replaces {
                fullIndex.append(nil)
                targetIndices += next..<(next + targetCount)
                next += targetCount
            } else {
                fullIndex.append(next)
                next += 1
            }
        }
        if caption.mode == .add {
            targetIndices = Array(next..<(next + targetCount))
            next += targetCount
        }
        guard next == fullPhrases.count else {
            throw TrainingError("SPF: the full text \"\(full)\" has \(fullPhrases.count) phrases, expected \(next) from "
                                + "base \"\(caption.base)\" and target \"\(caption.target)\" (unbalanced brackets?)")
        }
        let baseSpans = base.spans(of: basePhrases)
        let fullSpans = fullTokens.spans(of: fullPhrases)
        phrases = basePhrases.enumerated().map { k, text in
            Phrase(text: text, baseSpan: baseSpans[k], fullSpan: fullIndex[k].flatMap { fullSpans[$0] },
                   isReplaced: fullIndex[k] == nil)
        }
        basePad = base.padGroup
        fullPad = fullTokens.padGroup
        targetSpan = targetIndices.flatMap { fullSpans[$0].map(Array.init) ?? [] }
    }
}

/// A batch's token-group layout, shared by both paths so that slot g means the same group on each side:
/// slots 0..<P are base phrases (P the most any record has; shorter records pad with empty groups), slot P is
/// the PAD group, slot P+1 the target (in F; in B the replaced phrase for replace mode, else empty).
public struct SPFGroupLayout {
    public let phraseSlots: Int
    public var padSlot: Int { phraseSlots }
    public var targetSlot: Int { phraseSlots + 1 }
    public var count: Int { phraseSlots + 2 }
    /// [B][G] token indices for the reference (B) and response (F) paths.
    public let reference: [[[Int]]]
    public let response: [[[Int]]]
    /// [B][G]: the slot enters L_tc (a base phrase on both sides, or the PAD group, per the settings).
    public let alignMask: [[Bool]]
    /// [B][P]: the base phrase enters the SFCM's phrase sum (present in F, not replaced).
    public let controlMask: [[Bool]]
    public let groups: [SPFPromptGroups]

    public init(_ groups: [SPFPromptGroups], settings: SPFSettings) {
        self.groups = groups
        let slots = max(groups.map(\.phrases.count).max() ?? 0, 1)
        phraseSlots = slots
        var reference: [[[Int]]] = [], response: [[[Int]]] = []
        var align: [[Bool]] = [], control: [[Bool]] = []
        for g in groups {
            var ref = [[Int]](repeating: [], count: slots + 2), res = ref
            var a = [Bool](repeating: false, count: slots + 2), c = [Bool](repeating: false, count: slots)
            for (k, phrase) in g.phrases.enumerated() {
                ref[k] = phrase.baseSpan.map(Array.init) ?? []
                if phrase.isReplaced {
                    if settings.replacedPhrase == .target { res[k] = g.targetSpan }
                } else {
                    res[k] = phrase.fullSpan.map(Array.init) ?? []
                    c[k] = !res[k].isEmpty
                }
                a[k] = !ref[k].isEmpty && !res[k].isEmpty
            }
            ref[slots] = Array(g.basePad)
            res[slots] = Array(g.fullPad)
            a[slots] = settings.padGroup
            res[slots + 1] = g.targetSpan
            if let replaced = g.phrases.first(where: \.isReplaced) { ref[slots + 1] = replaced.baseSpan.map(Array.init) ?? [] }
            reference.append(ref)
            response.append(res)
            align.append(a)
            control.append(c)
        }
        self.reference = reference
        self.response = response
        alignMask = align
        controlMask = control
    }
}
