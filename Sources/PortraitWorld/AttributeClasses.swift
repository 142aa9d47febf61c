import Foundation

/// Every attribute of `PortraitAttributes` as a closed classification problem: its name (the keys of
/// attributes.jsonl), its class names in a fixed order, and the class index of a portrait. The attribute
/// probe has one head per entry; targets are classes too (`off` first, then `on`, or the hat's colours).
public struct AttributeClass: Sendable, Equatable {
    public let name: String
    public let values: [String]
    /// Framing jitter and other never-captioned attributes are still predicted, but reported apart.
    public let isCaptioned: Bool
    public let isTarget: Bool
    let index: @Sendable (PortraitAttributes) -> Int

    public var count: Int { values.count }
    public func value(of attributes: PortraitAttributes) -> Int { index(attributes) }

    /// Whether a rendering of `attributes` shows this attribute at all: the pencil sketch replaces every colour
    /// (and the lighting) by pencil on paper, a cartoon has no lighting, and the eye colour needs eye pixels
    /// (sunglasses cover the eyes). `eyePixels`: the pixels its label map gives to `PortraitLabel.eyes`.
    public func isShown(in attributes: PortraitAttributes, eyePixels: Int) -> Bool {
        switch name {
        case "skin_tone", "hair_color", "clothing_color", "background_color": !attributes.targets.sketch
        case "eye_color": !attributes.targets.sketch && eyePixels >= Self.minimumEyePixels
        case "lighting": !attributes.targets.sketch && attributes.scene.style == .photo
        default: true
        }
    }

    /// Fewer eye pixels than this show no iris colour (an eye is a few pixels wide at 64x64).
    public static let minimumEyePixels = 4

    public static func == (lhs: AttributeClass, rhs: AttributeClass) -> Bool {
        lhs.name == rhs.name && lhs.values == rhs.values
    }

    /// All attributes in documentation order.
    public static let all: [AttributeClass] = {
        func choice<E: RawRepresentable & CaseIterable & Equatable & Sendable>(
            _ name: String, _ type: E.Type, captioned: Bool = true, _ get: @escaping @Sendable (PortraitAttributes) -> E
        ) -> AttributeClass where E.RawValue == String {
            let cases = Array(E.allCases)
            return AttributeClass(name: name, values: cases.map(\.rawValue), isCaptioned: captioned, isTarget: false) {
                cases.firstIndex(of: get($0))!
            }
        }
        func integer(_ name: String, _ range: ClosedRange<Int>, _ get: @escaping @Sendable (PortraitAttributes) -> Int)
            -> AttributeClass {
            AttributeClass(name: name, values: range.map(String.init), isCaptioned: false, isTarget: false) {
                get($0) - range.lowerBound
            }
        }
        func flag(_ name: String, _ get: @escaping @Sendable (PortraitAttributes) -> Bool) -> AttributeClass {
            AttributeClass(name: name, values: ["off", "on"], isCaptioned: true, isTarget: true) { get($0) ? 1 : 0 }
        }
        return [
            choice("subject", Subject.self) { $0.identity.subject },
            choice("face_shape", FaceShape.self) { $0.identity.faceShape },
            choice("skin_tone", SkinTone.self) { $0.identity.skinTone },
            choice("eye_color", EyeColor.self) { $0.identity.eyeColor },
            choice("hair_color", HairColor.self) { $0.identity.hairColor },
            choice("hair_style", HairStyle.self) { $0.identity.hairStyle },
            choice("clothing", Clothing.self) { $0.scene.clothing },
            choice("clothing_color", ClothingColor.self) { $0.scene.clothingColor },
            choice("background", Background.self) { $0.scene.background },
            choice("background_color", BackgroundColor.self) { $0.scene.backgroundColor },
            choice("lighting", Lighting.self) { $0.scene.lighting },
            choice("style", Style.self) { $0.scene.style },
            choice("cast", ColorCast.self, captioned: false) { $0.scene.cast },
            choice("pose", Pose.self, captioned: false) { $0.scene.pose },
            integer("offset_x", PortraitAttributes.Scene.offsetRange) { $0.scene.offsetX },
            integer("offset_y", PortraitAttributes.Scene.offsetRange) { $0.scene.offsetY },
            integer("scale", PortraitAttributes.Scene.scaleRange) { $0.scene.scale },
            AttributeClass(name: "hat", values: ["off"] + HatColor.allCases.map(\.rawValue), isCaptioned: true,
                           isTarget: true) { a in a.targets.hat.map { HatColor.allCases.firstIndex(of: $0)! + 1 } ?? 0 },
            flag("sunglasses") { $0.targets.sunglasses },
            flag("beard") { $0.targets.beard },
            flag("freckles") { $0.targets.freckles },
            flag("earrings") { $0.targets.earrings },
            flag("dress") { $0.targets.dress },
            flag("sketch") { $0.targets.sketch },
        ]
    }()

    /// The class index of every attribute, in `all`'s order.
    public static func indices(of attributes: PortraitAttributes) -> [Int] { all.map { $0.value(of: attributes) } }

    /// The position in `all` of a target's head (its class 0 is "off").
    public static func column(of target: PortraitTarget) -> Int { all.firstIndex { $0.name == target.rawValue }! }
}
