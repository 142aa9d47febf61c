/// Everything that decides one portrait: who (identity), how it is shown (scene), and the fine-tuning
/// targets that pre-training never shows (all off by default). Plain data: the renderer draws exactly this,
/// with no hidden randomness, so a portrait is re-rendered from its `attributes.jsonl` line.
public struct PortraitAttributes: Codable, Hashable, Sendable {
    public var identity: Identity
    public var scene: Scene
    public var targets: Targets

    public init(identity: Identity = Identity(), scene: Scene = Scene(), targets: Targets = Targets()) {
        self.identity = identity
        self.scene = scene
        self.targets = targets
    }

    /// The same portrait without any target attribute (what a fine-tuning row's `base` caption describes).
    public var withoutTargets: PortraitAttributes {
        var copy = self
        copy.targets = Targets()
        return copy
    }

    /// Who is portrayed.
    public struct Identity: Codable, Hashable, Sendable {
        public var subject: Subject
        public var faceShape: FaceShape
        public var skinTone: SkinTone
        public var eyeColor: EyeColor
        public var hairColor: HairColor
        public var hairStyle: HairStyle

        public init(subject: Subject = .woman, faceShape: FaceShape = .oval, skinTone: SkinTone = .fair,
                    eyeColor: EyeColor = .brown, hairColor: HairColor = .brown, hairStyle: HairStyle = .long) {
            self.subject = subject
            self.faceShape = faceShape
            self.skinTone = skinTone
            self.eyeColor = eyeColor
            self.hairColor = hairColor
            self.hairStyle = hairStyle
        }

        enum CodingKeys: String, CodingKey {
            case subject, faceShape = "face_shape", skinTone = "skin_tone", eyeColor = "eye_color"
            case hairColor = "hair_color", hairStyle = "hair_style"
        }
    }

    /// How the person is shown: clothes, background, light, rendering style, colour cast and framing.
    public struct Scene: Codable, Hashable, Sendable {
        public var clothing: Clothing
        public var clothingColor: ClothingColor
        public var background: Background
        public var backgroundColor: BackgroundColor
        public var lighting: Lighting
        public var style: Style
        /// A global colour cast (a camera's white balance); never captioned.
        public var cast: ColorCast
        public var pose: Pose
        /// Framing jitter, never captioned: head position in 1/64 of the width, head size in percent.
        public var offsetX: Int
        public var offsetY: Int
        public var scale: Int

        public init(clothing: Clothing = .tShirt, clothingColor: ClothingColor = .blue, background: Background = .plain,
                    backgroundColor: BackgroundColor = .grey, lighting: Lighting = .even, style: Style = .photo,
                    cast: ColorCast = .none, pose: Pose = .front, offsetX: Int = 0, offsetY: Int = 0, scale: Int = 100) {
            self.clothing = clothing
            self.clothingColor = clothingColor
            self.background = background
            self.backgroundColor = backgroundColor
            self.lighting = lighting
            self.style = style
            self.cast = cast
            self.pose = pose
            self.offsetX = offsetX
            self.offsetY = offsetY
            self.scale = scale
        }

        public static let offsetRange = -8...8
        public static let scaleRange = 70...130

        enum CodingKeys: String, CodingKey {
            case clothing, clothingColor = "clothing_color", background, backgroundColor = "background_color"
            case lighting, style, cast, pose, offsetX = "offset_x", offsetY = "offset_y", scale
        }
    }

    /// The fine-tuning targets (`PortraitTarget`): never drawn in pre-training images, never named in its captions.
    public struct Targets: Codable, Hashable, Sendable {
        public var hat: HatColor?
        public var sunglasses: Bool
        public var beard: Bool
        public var freckles: Bool
        public var earrings: Bool
        /// Replace mode: the clothing is drawn as a dress of the same colour.
        public var dress: Bool
        /// Replace mode: the style becomes a pencil sketch.
        public var sketch: Bool

        public init(hat: HatColor? = nil, sunglasses: Bool = false, beard: Bool = false, freckles: Bool = false,
                    earrings: Bool = false, dress: Bool = false, sketch: Bool = false) {
            self.hat = hat
            self.sunglasses = sunglasses
            self.beard = beard
            self.freckles = freckles
            self.earrings = earrings
            self.dress = dress
            self.sketch = sketch
        }

        public var isEmpty: Bool { self == Targets() }

        /// The targets that are on, in `PortraitTarget` order.
        public var active: [PortraitTarget] { PortraitTarget.allCases.filter { $0.isOn(in: self) } }
    }

    /// Throws when a framing value is outside its documented range.
    public func validate() throws {
        for (name, value) in [("offset_x", scene.offsetX), ("offset_y", scene.offsetY)] where !Scene.offsetRange.contains(value) {
            throw WorldError("\(name) must be in \(Scene.offsetRange.lowerBound)...\(Scene.offsetRange.upperBound), got \(value)")
        }
        guard Scene.scaleRange.contains(scene.scale) else {
            throw WorldError("scale must be in \(Scene.scaleRange.lowerBound)...\(Scene.scaleRange.upperBound) (percent), got \(scene.scale)")
        }
    }
}

// MARK: - The closed value sets. Raw values are the words of `--attributes` and of attributes.jsonl.

public enum Subject: String, Codable, CaseIterable, Sendable { case woman, man }
public enum FaceShape: String, Codable, CaseIterable, Sendable { case oval, round, long, square }
public enum SkinTone: String, Codable, CaseIterable, Sendable { case pale, fair, tan, olive, brown, dark }
public enum EyeColor: String, Codable, CaseIterable, Sendable { case brown, blue, green, grey }
public enum HairColor: String, Codable, CaseIterable, Sendable { case black, brown, blonde, red, grey }
public enum HairStyle: String, Codable, CaseIterable, Sendable { case short, long, bob, curly, bun }
public enum Clothing: String, Codable, CaseIterable, Sendable {
    case tShirt = "t-shirt", sweater, shirt, jacket
}
public enum ClothingColor: String, Codable, CaseIterable, Sendable {
    case red, blue, green, yellow, black, white, purple, orange
}
public enum Background: String, Codable, CaseIterable, Sendable { case plain, striped, dotted, checkered, gradient }
public enum BackgroundColor: String, Codable, CaseIterable, Sendable { case blue, green, grey, pink, yellow, purple }
public enum Lighting: String, Codable, CaseIterable, Sendable { case even, left, right, top }
/// Pre-training styles; the pencil sketch is a target (`Targets.sketch`), not a style value.
public enum Style: String, Codable, CaseIterable, Sendable { case photo, cartoon }
public enum ColorCast: String, Codable, CaseIterable, Sendable { case none, warm, cool, green, magenta }
/// Where the face looks: its features shift a little towards that side.
public enum Pose: String, Codable, CaseIterable, Sendable { case front, left, right }
public enum HatColor: String, Codable, CaseIterable, Sendable { case red, blue, green, yellow }

/// A bad attribute, dataset request or file (the message names what is wrong and what is allowed).
public struct WorldError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
