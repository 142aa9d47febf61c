/// The attributes a customization teaches: five added (a hat, sunglasses, a beard, freckles, earrings) and
/// two replacements (an object, t-shirt -> dress; a style, photo -> pencil sketch). None of them is ever
/// drawn in a pre-training image or named in a pre-training caption.
public enum PortraitTarget: String, CaseIterable, Codable, Sendable {
    case hat, sunglasses, beard, freckles, earrings, dress, sketch

    public enum Mode: String, Codable, Sendable { case add, replace }

    public var mode: Mode {
        switch self {
        case .hat, .sunglasses, .beard, .freckles, .earrings: .add
        case .dress, .sketch: .replace
        }
    }

    /// The label-map class of the target's region; nil for the sketch, which changes every pixel.
    public var label: PortraitLabel? {
        switch self {
        case .hat: .hat
        case .sunglasses: .sunglasses
        case .beard: .beard
        case .freckles: .freckles
        case .earrings: .earrings
        case .dress: .dress
        case .sketch: nil
        }
    }

    /// Words that only this target's phrase uses (pre-training captions never contain them).
    public var words: [String] {
        switch self {
        case .hat: ["hat"]
        case .sunglasses: ["sunglasses"]
        case .beard: ["beard"]
        case .freckles: ["freckles"]
        case .earrings: ["earrings", "gold"]
        case .dress: ["dress"]
        case .sketch: ["pencil", "sketch"]
        }
    }

    public func isOn(in targets: PortraitAttributes.Targets) -> Bool {
        switch self {
        case .hat: targets.hat != nil
        case .sunglasses: targets.sunglasses
        case .beard: targets.beard
        case .freckles: targets.freckles
        case .earrings: targets.earrings
        case .dress: targets.dress
        case .sketch: targets.sketch
        }
    }

    /// `attributes` with this target switched on (the hat of the fine-tuning sets is red).
    public func applied(to attributes: PortraitAttributes) -> PortraitAttributes {
        var a = attributes
        switch self {
        case .hat: a.targets.hat = .red
        case .sunglasses: a.targets.sunglasses = true
        case .beard: a.targets.beard = true
        case .freckles: a.targets.freckles = true
        case .earrings: a.targets.earrings = true
        case .dress: a.targets.dress = true
        case .sketch: a.targets.sketch = true
        }
        return a
    }

    /// `attributes` with this target switched off (the inverse of `applied`; other targets unchanged).
    public func removed(from attributes: PortraitAttributes) -> PortraitAttributes {
        var a = attributes
        switch self {
        case .hat: a.targets.hat = nil
        case .sunglasses: a.targets.sunglasses = false
        case .beard: a.targets.beard = false
        case .freckles: a.targets.freckles = false
        case .earrings: a.targets.earrings = false
        case .dress: a.targets.dress = false
        case .sketch: a.targets.sketch = false
        }
        return a
    }

    /// What the fine-tuning sets require of a portrait for this target: a t-shirt for the dress (the phrase it
    /// replaces: t-shirt -> dress), a photo for the sketch (photo -> pencil sketch), a man for the beard.
    /// (`split` itself replaces whatever clothing or style phrase the caption has.)
    public func canApply(to attributes: PortraitAttributes) -> Bool {
        switch self {
        case .dress: attributes.scene.clothing == .tShirt
        case .sketch: attributes.scene.style == .photo
        case .beard: attributes.identity.subject == .man
        case .hat, .sunglasses, .freckles, .earrings: true
        }
    }

    /// The fine-tuning text for a portrait with this target whose target-free caption is `base`: the target
    /// phrase and, in replace mode, the base phrase it replaces (one of `base.phrases`, exactly).
    public func split(base: Caption, attributes: PortraitAttributes) throws -> (target: String, replaces: String?) {
        switch self {
        case .hat: return ("wearing a \((attributes.targets.hat ?? .red).rawValue) hat", nil)
        case .sunglasses: return ("wearing sunglasses", nil)
        case .beard: return ("with a beard", nil)
        case .freckles: return ("with freckles", nil)
        case .earrings: return ("wearing gold earrings", nil)
        case .dress:
            guard let phrase = base.phrase(.clothing) else { throw WorldError("the caption has no clothing phrase to replace") }
            let frame = CaptionBuilder.clothingFrames.first { phrase.hasPrefix($0 + " ") } ?? "in"
            return (CaptionBuilder.clothingPhrase(frame: frame, color: attributes.scene.clothingColor, item: "dress"), phrase)
        case .sketch:
            guard let phrase = base.phrase(.style) else { throw WorldError("the caption has no style phrase to replace") }
            return ("a pencil sketch", phrase)
        }
    }

    /// `base` with this target named as the fine-tuning sets name it (`split`; `MetadataRow.fullText`): the target
    /// phrase appended in add mode, put in place of the phrase it replaces in replace mode, with role `.target`.
    public func caption(base: Caption, attributes: PortraitAttributes) throws -> Caption {
        let (target, replaces) = try split(base: base, attributes: attributes)
        let phrase = Caption.Phrase(role: .target, text: target)
        guard let replaces else { return Caption(phrases: base.phrases + [phrase]) }
        return Caption(phrases: base.phrases.map { $0.text == replaces ? phrase : $0 })
    }
}
