/// A caption: comma-separated phrases, the subject first ("a woman, with long red hair, a photo, in a
/// blue t-shirt, with a blue striped background"). No phrase contains a comma or a bracket, so the engine's
/// phrase split (`CLIPTokenizer.phrases(in:)`) gives back exactly `phrases`.
public struct Caption: Equatable, Sendable {
    public enum Role: String, Sendable, CaseIterable {
        case subject, style, hair, eyes, skin, face, clothing, background, lighting, target
    }

    public struct Phrase: Equatable, Sendable {
        public var role: Role
        public var text: String
    }

    public var phrases: [Phrase]

    public var text: String { phrases.map(\.text).joined(separator: ", ") }

    public func phrase(_ role: Role) -> String? { phrases.first { $0.role == role }?.text }
}

extension Caption.Role {
    /// The `AttributeClass` names a phrase of this role speaks about (targets: none, their phrases are the
    /// fine-tuning sets' own).
    public var attributes: [String] {
        switch self {
        case .subject: ["subject"]
        case .style: ["style"]
        case .hair: ["hair_color", "hair_style"]
        case .eyes: ["eye_color"]
        case .skin: ["skin_tone"]
        case .face: ["face_shape"]
        case .clothing: ["clothing", "clothing_color"]
        case .background: ["background", "background_color"]
        case .lighting: ["lighting"]
        case .target: []
        }
    }
}

extension Caption.Phrase {
    /// The attributes this phrase states: its role's, except that the gender-neutral subject ("a person") states
    /// no subject.
    public var statedAttributes: [String] {
        role == .subject && text == CaptionBuilder.neutralSubject ? [] : role.attributes
    }
}

/// Builds captions from attributes, with a few paraphrases per attribute and a varied phrase order (the
/// subject always first), every choice drawn from the caller's `SplitMix64`. Eyes, skin and face shape are
/// each mentioned half of the time (real captions leave things out); clothing, hair, background and style
/// always; lighting whenever a photo is not evenly lit. Target attributes are never described here (see
/// `PortraitTarget.phrase`).
public enum CaptionBuilder {
    /// The subject phrase that names neither a woman nor a man.
    public static let neutralSubject = "a person"

    public static func caption(for attributes: PortraitAttributes, using rng: inout SplitMix64) -> Caption {
        let identity = attributes.identity
        let scene = attributes.scene
        var rest: [Caption.Phrase] = []
        func add(_ role: Caption.Role, _ options: [String]) { rest.append(.init(role: role, text: rng.pick(options))) }

        let subject: String = rng.pick(identity.subject == .woman
            ? ["a woman", "a woman", "a young woman", neutralSubject] : ["a man", "a man", "a young man", neutralSubject])
        add(.style, styleWords(scene.style))
        let c = identity.hairColor.rawValue
        switch identity.hairStyle {
        case .short: add(.hair, ["with short \(c) hair", "short \(c) hair", "with \(c) hair cut short"])
        case .long: add(.hair, ["with long \(c) hair", "long \(c) hair", "with \(c) hair down to the shoulders"])
        case .bob: add(.hair, ["with a \(c) bob", "with \(c) hair in a bob", "\(c) bob haircut"])
        case .curly: add(.hair, ["with curly \(c) hair", "curly \(c) hair", "with \(c) curls"])
        case .bun: add(.hair, ["with \(c) hair in a bun", "\(c) hair tied in a bun", "with a \(c) bun"])
        }
        if rng.chance(1, in: 2) { add(.eyes, ["with \(identity.eyeColor.rawValue) eyes", "\(identity.eyeColor.rawValue) eyes"]) }
        if rng.chance(1, in: 2) { add(.skin, ["with \(identity.skinTone.rawValue) skin", "\(identity.skinTone.rawValue) skin"]) }
        let shape = identity.faceShape.rawValue
        if rng.chance(1, in: 2) { add(.face, ["with \(article(shape)) \(shape) face", "\(shape) face"]) }
        let item = rng.pick(clothingWords(scene.clothing))
        add(.clothing, clothingFrames.map { clothingPhrase(frame: $0, color: scene.clothingColor, item: item) })
        let b = scene.backgroundColor.rawValue
        switch scene.background {
        case .plain: add(.background, ["with a plain \(b) background", "with a \(b) background", "against a plain \(b) background"])
        case .striped: add(.background, ["with a \(b) striped background", "with a striped \(b) background", "against \(b) stripes"])
        case .dotted: add(.background, ["with a \(b) polka-dot background", "with a dotted \(b) background", "against \(b) dots"])
        case .checkered:
            add(.background, ["with a \(b) checkered background", "with a checkered \(b) background", "against a \(b) checkerboard"])
        case .gradient:
            add(.background, ["with a \(b) gradient background", "with a soft \(b) gradient background", "against a \(b) gradient"])
        }
        if scene.style == .photo {
            switch scene.lighting {
            case .even: break
            case .left: add(.lighting, ["lit from the left", "with light from the left"])
            case .right: add(.lighting, ["lit from the right", "with light from the right"])
            case .top: add(.lighting, ["lit from above", "with light from above"])
            }
        }
        rng.shuffle(&rest)
        return Caption(phrases: [.init(role: .subject, text: subject)] + rest)
    }

    static func styleWords(_ style: Style) -> [String] {
        switch style {
        case .photo: ["a photo", "a portrait photo", "a photograph"]
        case .cartoon: ["a cartoon", "a cartoon drawing"]
        }
    }

    static func clothingWords(_ clothing: Clothing) -> [String] {
        switch clothing {
        case .tShirt: ["t-shirt"]
        case .sweater: ["sweater", "turtleneck sweater"]
        case .shirt: ["shirt", "collared shirt"]
        case .jacket: ["jacket", "blazer"]
        }
    }

    static let clothingFrames = ["in", "wearing"]

    /// "in a" / "wearing a", with "an" before a vowel ("wearing an orange t-shirt").
    static func clothingPhrase(frame: String, color: ClothingColor, item: String) -> String {
        "\(frame) \(article(color.rawValue)) \(color.rawValue) \(item)"
    }

    static func article(_ word: String) -> String { "aeiou".contains(word.first ?? "x") ? "an" : "a" }
}
