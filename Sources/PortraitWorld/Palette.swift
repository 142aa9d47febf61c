/// An 8-bit colour. All colour arithmetic is integer: the same bytes on every machine.
public struct RGBColor: Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Each channel times `numerator / 256`, rounded, clamped to 255.
    func scaled(_ numerator: Int) -> RGBColor {
        RGBColor(Self.scale(r, numerator), Self.scale(g, numerator), Self.scale(b, numerator))
    }

    /// `self * (256 - t) / 256 + other * t / 256`, rounded.
    func mixed(with other: RGBColor, _ t: Int) -> RGBColor {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Int(a) * (256 - t) + Int(b) * t + 128) >> 8) }
        return RGBColor(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    static func scale(_ value: UInt8, _ numerator: Int) -> UInt8 { UInt8(min(255, (Int(value) * numerator + 128) >> 8)) }
}

/// The colours of every attribute value. Chosen so that any target differs from anything it can cover by
/// at least ~15 levels in some channel (the label-map tests rely on that) and so that each value reads as
/// its word at 64x64.
enum Palette {
    static func skin(_ tone: SkinTone) -> RGBColor {
        switch tone {
        case .pale: RGBColor(246, 222, 205)
        case .fair: RGBColor(236, 200, 170)
        case .tan: RGBColor(208, 162, 120)
        case .olive: RGBColor(186, 150, 100)
        case .brown: RGBColor(150, 104, 72)
        case .dark: RGBColor(96, 64, 50)
        }
    }

    static func hair(_ color: HairColor) -> RGBColor {
        switch color {
        case .black: RGBColor(45, 38, 36)
        case .brown: RGBColor(112, 70, 36)
        case .blonde: RGBColor(226, 194, 116)
        case .red: RGBColor(176, 74, 36)
        case .grey: RGBColor(160, 160, 164)
        }
    }

    static func eye(_ color: EyeColor) -> RGBColor {
        switch color {
        case .brown: RGBColor(112, 66, 30)
        case .blue: RGBColor(56, 120, 206)
        case .green: RGBColor(60, 150, 76)
        case .grey: RGBColor(128, 140, 152)
        }
    }

    static func clothing(_ color: ClothingColor) -> RGBColor {
        switch color {
        case .red: RGBColor(196, 48, 54)
        case .blue: RGBColor(52, 92, 190)
        case .green: RGBColor(56, 148, 78)
        case .yellow: RGBColor(232, 196, 58)
        case .black: RGBColor(36, 36, 42)
        case .white: RGBColor(236, 236, 232)
        case .purple: RGBColor(124, 68, 160)
        case .orange: RGBColor(230, 124, 42)
        }
    }

    static func background(_ color: BackgroundColor) -> RGBColor {
        switch color {
        case .blue: RGBColor(140, 176, 226)
        case .green: RGBColor(150, 202, 150)
        case .grey: RGBColor(172, 172, 172)
        case .pink: RGBColor(236, 176, 196)
        case .yellow: RGBColor(240, 220, 140)
        case .purple: RGBColor(186, 160, 216)
        }
    }

    static func hat(_ color: HatColor) -> RGBColor {
        switch color {
        case .red: RGBColor(204, 34, 44)
        case .blue: RGBColor(30, 64, 176)
        case .green: RGBColor(26, 122, 58)
        case .yellow: RGBColor(246, 206, 26)
        }
    }

    /// Per-channel gains of a colour cast, in 1/256.
    static func cast(_ cast: ColorCast) -> (Int, Int, Int) {
        switch cast {
        case .none: (256, 256, 256)
        case .warm: (272, 250, 210)
        case .cool: (218, 242, 280)
        case .green: (230, 272, 226)
        case .magenta: (268, 222, 262)
        }
    }

    static let eyeWhite = RGBColor(246, 244, 238)
    static let pupil = RGBColor(40, 30, 30)
    static let lenses = RGBColor(12, 14, 24)
    static let gold = RGBColor(236, 184, 40)
    static let innerShirt = RGBColor(238, 238, 232)
    static let paper = RGBColor(242, 238, 226)
    static let pencil = RGBColor(92, 90, 88)
    static let pencilLine = RGBColor(60, 58, 58)

    /// The dress is the clothing colour, muted (3/4 of it plus 32): a different fabric, and a region that
    /// differs from the t-shirt it replaces at every pixel.
    static func dress(_ color: ClothingColor) -> RGBColor {
        let c = clothing(color)
        func f(_ v: UInt8) -> UInt8 { UInt8((Int(v) * 3) / 4 + 32) }
        return RGBColor(f(c.r), f(c.g), f(c.b))
    }

    static func lips(_ identity: PortraitAttributes.Identity) -> RGBColor {
        identity.subject == .woman ? RGBColor(186, 70, 84) : skin(identity.skinTone).scaled(176).mixed(with: RGBColor(150, 40, 40), 64)
    }
}
