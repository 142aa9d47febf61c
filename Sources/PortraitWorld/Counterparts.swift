/// Hard negatives for contrastive training: the same portrait with exactly one captioned attribute changed
/// (or its clothing and background colours swapped), captioned with the same wording and phrase order.
///
/// Why: a CLIP trained on random batches only needs the attributes that tell random portraits apart - the
/// big colour areas - and its text tower then barely encodes hair style, subject or face shape (measured on
/// the first world CLIP: "long" vs "curly" moved the word's hidden state by 13% of its norm, a colour swap by
/// up to 120%), so a UNet conditioned on it cannot draw them. A batch that holds both members of such pairs
/// can only be solved by encoding the changed attribute, bound to the right object (NegCLIP's idea of
/// hard negatives, here exact because the world renders both).
public struct Counterpart: Sendable {
    /// The attribute that differs (`AttributeClass` names), or "color_binding" for the colour swap.
    public var changed: String
    public var attributes: PortraitAttributes
    public var caption: Caption

    public init(changed: String, attributes: PortraitAttributes, caption: Caption) {
        self.changed = changed
        self.attributes = attributes
        self.caption = caption
    }
}

extension WorldDataset {
    /// Every change a counterpart can make, in a fixed order: (name, change). A change returns nil where it
    /// cannot apply (a list with one value, colours that do not exist in the other list).
    static func counterpartChanges(_ d: WorldDistribution)
        -> [(name: String, change: (PortraitAttributes, inout SplitMix64) -> PortraitAttributes?)] {
        /// Another value of `values` than `current`, uniformly, or nil when there is none.
        func other<T: Equatable>(_ values: [T], _ current: T, _ rng: inout SplitMix64) -> T? {
            var seen: [T] = []
            for v in values where v != current && !seen.contains(v) { seen.append(v) }
            return seen.isEmpty ? nil : rng.pick(seen)
        }
        func field<T: Equatable>(_ path: WritableKeyPath<PortraitAttributes, T>, _ values: [T])
            -> (PortraitAttributes, inout SplitMix64) -> PortraitAttributes? {
            { a, rng in
                guard let v = other(values, a[keyPath: path], &rng) else { return nil }
                var b = a
                b[keyPath: path] = v
                return b
            }
        }
        return [
            ("subject", field(\.identity.subject, d.subjects)),
            ("hair_style", field(\.identity.hairStyle, d.hairStyles)),
            ("hair_color", field(\.identity.hairColor, d.hairColors)),
            ("eye_color", field(\.identity.eyeColor, d.eyeColors)),
            ("skin_tone", field(\.identity.skinTone, d.skinTones)),
            ("face_shape", field(\.identity.faceShape, d.faceShapes)),
            ("clothing", field(\.scene.clothing, d.clothing)),
            ("clothing_color", field(\.scene.clothingColor, d.clothingColors)),
            ("background", field(\.scene.background, d.backgrounds)),
            ("background_color", field(\.scene.backgroundColor, d.backgroundColors)),
            ("color_binding", { a, _ in
                guard a.scene.clothingColor.rawValue != a.scene.backgroundColor.rawValue,
                      let clothing = ClothingColor(rawValue: a.scene.backgroundColor.rawValue),
                      let background = BackgroundColor(rawValue: a.scene.clothingColor.rawValue) else { return nil }
                var b = a
                b.scene.clothingColor = clothing
                b.scene.backgroundColor = background
                return b
            }),
        ]
    }

    /// The counterpart of example `index`: one change, drawn from the index's own stream (independent of
    /// the example's draws), among those that change the caption's text - an attribute the caption does not
    /// mention ("a person", eyes left out) would give two images one caption. The caption is built from the
    /// same generator state as the example's, so wording and order match and only the changed phrase differs.
    public func counterpart(_ index: Int) throws -> Counterpart {
        guard target == nil else {
            throw WorldError("counterparts are drawn from a pre-training set (this one is for \(target!.rawValue))")
        }
        let (attributes, captionState) = draw(index)
        let caption = try example(index).caption
        var choice = SplitMix64(seed: seed ^ salt ^ 0xC0C0_7E57_0000_0000, stream: UInt64(index))
        var changes = Self.counterpartChanges(distribution)
        choice.shuffle(&changes)
        for (name, change) in changes {
            guard let changed = change(attributes, &choice) else { continue }
            var again = captionState
            let text = CaptionBuilder.caption(for: changed.withoutTargets, using: &again)
            if text.text != caption.text { return Counterpart(changed: name, attributes: changed, caption: text) }
        }
        throw WorldError("example \(index) has no counterpart whose caption differs (every change left the text as it was)")
    }
}
