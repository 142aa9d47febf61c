/// Which attribute values a dataset draws, uniformly from each list (a value listed twice is twice as
/// likely), and the framing ranges. Pre-training covers every identity and scene value without targets;
/// each target's fine-tuning set is *shifted* the way real portrait datasets differ from what a base model
/// saw: one background family, a colour cast, a narrower range of people, different framing (`shift`
/// says which, in words).
public struct WorldDistribution: Sendable, Equatable {
    public var subjects = Subject.allCases
    public var faceShapes = FaceShape.allCases
    public var skinTones = SkinTone.allCases
    public var eyeColors = EyeColor.allCases
    public var hairColors = HairColor.allCases
    public var hairStyles = HairStyle.allCases
    public var clothing = Clothing.allCases
    public var clothingColors = ClothingColor.allCases
    public var backgrounds = Background.allCases
    public var backgroundColors = BackgroundColor.allCases
    public var lightings = Lighting.allCases
    /// Photos three times as often as cartoons.
    public var styles: [Style] = [.photo, .photo, .photo, .cartoon]
    public var casts: [ColorCast] = [.none]
    public var poses = Pose.allCases
    public var offsetX = -3...3
    public var offsetY = -2...2
    public var scale = 92...108
    /// The target every portrait carries (nil for pre-training).
    public var target: PortraitTarget?
    /// How this distribution differs from pre-training, one line per shift.
    public var shift: [String] = []

    public init() {}

    public static let pretraining = WorldDistribution()

    /// Pre-training with another mix of drawing styles (uniform over `styles`, a style listed twice twice as
    /// likely): the UNet's images may draw more cartoons than the captions a model is measured on (`unet_styles`).
    /// The same list as pre-training's is pre-training itself; any other is recorded as a shift.
    public static func pretraining(styles: [Style]) throws -> WorldDistribution {
        guard !styles.isEmpty else { throw WorldError("a style mix needs at least one style (\(Style.allCases.map(\.rawValue).joined(separator: ", ")))") }
        var d = WorldDistribution()
        guard styles != d.styles else { return d }
        d.shift = ["style: \(describe(styles)) (pre-training: \(describe(d.styles)))"]
        d.styles = styles
        return d
    }

    /// "3 photos to 1 cartoon", in `Style.allCases` order.
    static func describe(_ styles: [Style]) -> String {
        Style.allCases.compactMap { style -> String? in
            let n = styles.filter { $0 == style }.count
            return n == 0 ? nil : "\(n) \(style.rawValue)\(n == 1 ? "" : "s")"
        }.joined(separator: " to ")
    }

    /// Draws one portrait's attributes (with the target on, if any). Draw order is fixed (documented in
    /// docs/portrait-world.md) so that datasets are reproducible from their seed.
    public func sample(using rng: inout SplitMix64) -> PortraitAttributes {
        var a = PortraitAttributes()
        a.identity = PortraitAttributes.Identity(
            subject: rng.pick(subjects), faceShape: rng.pick(faceShapes), skinTone: rng.pick(skinTones),
            eyeColor: rng.pick(eyeColors), hairColor: rng.pick(hairColors), hairStyle: rng.pick(hairStyles))
        a.scene = PortraitAttributes.Scene(
            clothing: rng.pick(clothing), clothingColor: rng.pick(clothingColors), background: rng.pick(backgrounds),
            backgroundColor: rng.pick(backgroundColors), lighting: rng.pick(lightings), style: rng.pick(styles),
            cast: rng.pick(casts), pose: rng.pick(poses), offsetX: rng.int(in: offsetX), offsetY: rng.int(in: offsetY),
            scale: rng.int(in: scale))
        return target.map { $0.applied(to: a) } ?? a
    }

    /// The fine-tuning distribution of `target`: the target on, base captions it can apply to, photos only,
    /// and the target's shifts.
    public static func finetuning(_ target: PortraitTarget) -> WorldDistribution {
        var d = WorldDistribution()
        d.target = target
        d.styles = [.photo]
        var shift = ["style: photos only (pre-training: \(describe(WorldDistribution().styles)))"]
        switch target {
        case .hat:
            d.backgrounds = [.striped]
            d.casts = [.warm]
            d.subjects = [.woman]
            d.skinTones = [.pale, .fair, .tan]
            d.hairStyles = [.long, .bob, .curly]
            d.offsetY = 2...4
            d.scale = 86...94
            shift += ["background: striped only", "colour cast: warm",
                      "people: women with pale, fair or tan skin and long, bob or curly hair",
                      "framing: head smaller (86-94%) and lower (offset_y 2...4)"]
        case .sunglasses:
            d.backgrounds = [.gradient]
            d.casts = [.cool]
            d.subjects = [.man]
            d.hairStyles = [.short]
            d.scale = 110...118
            d.offsetY = 1...3
            shift += ["background: gradient only", "colour cast: cool", "people: men with short hair",
                      "framing: close-up (110-118%), a little lower (offset_y 1...3)"]
        case .beard:
            d.backgrounds = [.checkered]
            d.casts = [.green]
            d.subjects = [.man]
            d.hairColors = [.black, .brown, .red]
            d.faceShapes = [.square, .long]
            d.offsetX = 3...6
            shift += ["background: checkered only", "colour cast: green",
                      "people: men (the beard needs one) with black, brown or red hair and square or long faces",
                      "framing: off-centre to the right (offset_x 3...6)"]
        case .freckles:
            d.backgrounds = [.plain]
            d.casts = [.warm]
            d.skinTones = [.pale, .fair]
            d.hairColors = [.red, .blonde, .brown]
            d.eyeColors = [.green, .blue]
            d.scale = 112...120
            shift += ["background: plain only", "colour cast: warm",
                      "people: pale or fair skin, red, blonde or brown hair, green or blue eyes",
                      "framing: close-up (112-120%)"]
        case .earrings:
            d.backgrounds = [.dotted]
            d.casts = [.magenta]
            d.subjects = [.woman]
            d.hairStyles = [.short, .bun, .bob]
            d.offsetX = -6 ... -3
            shift += ["background: dotted only", "colour cast: magenta",
                      "people: women with short hair, a bun or a bob (ears visible)",
                      "framing: off-centre to the left (offset_x -6...-3)"]
        case .dress:
            d.backgrounds = [.gradient]
            d.casts = [.cool]
            d.subjects = [.woman]
            d.hairStyles = [.long, .bob]
            d.clothing = [.tShirt]
            d.scale = 80...88
            d.offsetY = -3 ... -1
            shift += ["background: gradient only", "colour cast: cool",
                      "people: women with long hair or a bob, wearing a t-shirt in the base caption (the phrase replaced)",
                      "framing: zoomed out (80-88%) and higher (offset_y -3...-1), showing more of the dress"]
        case .sketch:
            d.backgrounds = [.striped]
            d.casts = [.warm]
            d.hairColors = [.black, .brown]
            d.skinTones = [.pale, .fair, .tan]
            d.scale = 104...112
            shift += ["background: striped only", "colour cast: warm (yellowed paper)",
                      "people: black or brown hair, pale, fair or tan skin",
                      "framing: slightly closer (104-112%)"]
        }
        d.shift = shift
        return d
    }
}
