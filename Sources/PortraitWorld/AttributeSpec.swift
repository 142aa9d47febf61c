import Foundation

/// `--attributes` text: comma-separated `name=value` items that override attributes, e.g.
/// `hair_color=red,hair_style=long,clothing=t-shirt,hat=blue,sunglasses`. A target given without a value
/// is switched on (`hat` alone means a red hat); `name=off` switches it off. Names are the keys of
/// attributes.jsonl; every unknown name or value is an error listing the valid ones.
public enum AttributeSpec {
    struct Entry {
        let name: String
        let values: [String]
        /// A bare name (no `=value`) is allowed: targets.
        let isFlag: Bool
        let set: (inout PortraitAttributes, String) -> Void
    }

    static var entries: [Entry] {
        func choice<E: RawRepresentable & CaseIterable>(_ name: String, _ path: WritableKeyPath<PortraitAttributes, E>)
            -> Entry where E.RawValue == String {
            Entry(name: name, values: E.allCases.map(\.rawValue), isFlag: false) { $0[keyPath: path] = E(rawValue: $1)! }
        }
        func integer(_ name: String, _ range: ClosedRange<Int>, _ path: WritableKeyPath<PortraitAttributes, Int>) -> Entry {
            Entry(name: name, values: range.map(String.init), isFlag: false) { $0[keyPath: path] = Int($1)! }
        }
        func flag(_ name: String, _ path: WritableKeyPath<PortraitAttributes, Bool>) -> Entry {
            Entry(name: name, values: onWords + offWords, isFlag: true) { $0[keyPath: path] = onWords.contains($1) }
        }
        return [
            choice("subject", \.identity.subject),
            choice("face_shape", \.identity.faceShape),
            choice("skin_tone", \.identity.skinTone),
            choice("eye_color", \.identity.eyeColor),
            choice("hair_color", \.identity.hairColor),
            choice("hair_style", \.identity.hairStyle),
            choice("clothing", \.scene.clothing),
            choice("clothing_color", \.scene.clothingColor),
            choice("background", \.scene.background),
            choice("background_color", \.scene.backgroundColor),
            choice("lighting", \.scene.lighting),
            choice("style", \.scene.style),
            choice("cast", \.scene.cast),
            choice("pose", \.scene.pose),
            integer("offset_x", PortraitAttributes.Scene.offsetRange, \.scene.offsetX),
            integer("offset_y", PortraitAttributes.Scene.offsetRange, \.scene.offsetY),
            integer("scale", PortraitAttributes.Scene.scaleRange, \.scene.scale),
            Entry(name: "hat", values: HatColor.allCases.map(\.rawValue) + offWords, isFlag: true) {
                $0.targets.hat = offWords.contains($1) ? nil : HatColor(rawValue: $1)
            },
            flag("sunglasses", \.targets.sunglasses),
            flag("beard", \.targets.beard),
            flag("freckles", \.targets.freckles),
            flag("earrings", \.targets.earrings),
            flag("dress", \.targets.dress),
            flag("sketch", \.targets.sketch),
        ]
    }

    static let onWords = ["on", "true", "yes"]
    static let offWords = ["off", "false", "no", "none"]

    /// Every attribute name `apply` accepts, in documentation order.
    public static var names: [String] { entries.map(\.name) }

    /// The values `name` accepts (nil for an unknown name).
    public static func values(of name: String) -> [String]? { entries.first { $0.name == name }?.values }

    /// Applies every item of `spec` to `attributes`, or throws before changing anything.
    public static func apply(_ spec: String, to attributes: inout PortraitAttributes) throws {
        var result = attributes
        let table = entries
        for rawItem in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let item = rawItem.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let name = parts[0]
            guard let entry = table.first(where: { $0.name == name }) else {
                throw WorldError("unknown attribute \"\(name)\" (attributes: \(table.map(\.name).joined(separator: ", ")))")
            }
            var value: String
            if parts.count == 2 {
                value = parts[1]
            } else if entry.isFlag {
                value = entry.name == "hat" ? HatColor.red.rawValue : "on"
            } else {
                throw WorldError("attribute \"\(name)\" needs a value: \(name)=\(entry.values.joined(separator: "|"))")
            }
            if entry.name == "hat", onWords.contains(value) { value = HatColor.red.rawValue }
            guard entry.values.contains(value) else {
                throw WorldError("unknown value \"\(value)\" for \(name) (values: \(entry.values.joined(separator: ", ")))")
            }
            entry.set(&result, value)
        }
        try result.validate()
        attributes = result
    }
}
