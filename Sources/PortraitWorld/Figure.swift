/// The person, painted back to front. All sizes are in units (1/64 of the canvas) times the framing
/// scale `s`, relative to the head centre (hx, hy).
struct Figure {
    let a: PortraitAttributes
    let s: Double
    let hx: Double
    let hy: Double
    /// Face half width and half height.
    let fw: Double
    let fh: Double
    /// Horizontal shift of the features for the pose.
    let tdx: Double
    /// Top of the shoulders, half width of the torso, half width of the neck.
    let ty: Double
    let tw: Double
    let nw: Double

    init(_ attributes: PortraitAttributes) {
        a = attributes
        s = Double(attributes.scene.scale) / 100
        hx = 32 + Double(attributes.scene.offsetX)
        hy = 26 + Double(attributes.scene.offsetY)
        let man = attributes.identity.subject == .man
        let (w, h): (Double, Double)
        switch attributes.identity.faceShape {
        case .oval: (w, h) = (10, 12.5)
        case .round: (w, h) = (11, 11.5)
        case .long: (w, h) = (9.2, 13.6)
        case .square: (w, h) = (10.2, 12)
        }
        fw = (w + (man ? 0.6 : 0)) * s
        fh = h * s
        switch attributes.scene.pose {
        case .front: tdx = 0
        case .left: tdx = -1.4 * s
        case .right: tdx = 1.4 * s
        }
        ty = hy + 19.5 * s
        tw = (man ? 23 : 21) * s
        nw = (man ? 5 : 4.2) * s
    }

    var skin: RGBColor { Palette.skin(a.identity.skinTone) }
    var hair: RGBColor { Palette.hair(a.identity.hairColor) }
    var face: FaceOutline {
        FaceOutline(ellipse: Ellipse(hx, hy, fw, fh),
                    square: a.identity.faceShape == .square ? SuperEllipse(hx, hy, fw, fh) : nil)
    }
    var eyeY: Double { hy - 0.8 * s }
    func eyeX(_ side: Double) -> Double { hx + tdx + side * 4.3 * s }
    var nose: Ellipse { Ellipse(hx + tdx * 1.1, hy + 3.4 * s, 1.0 * s, 1.6 * s) }

    func paint(on canvas: inout Canvas) {
        backHair(&canvas)
        canvas.fill(Rect(hx - nw, hy + fh * 0.5, hx + nw, ty + 2 * s), skin, .skin)
        torso(&canvas)
        if a.identity.hairStyle == .long {
            for side in [-1.0, 1.0] {
                let inner = hx + side * (fw - 1.6 * s)
                let outer = hx + side * (fw + 2.8 * s)
                canvas.fill(RoundedRect(min(inner, outer), hy - 2 * s, max(inner, outer), hy + 23 * s, radius: 2 * s), hair, .hair)
            }
        }
        for side in [-1.0, 1.0] {
            canvas.fill(Ellipse(hx + side * (fw + 0.3 * s), hy + 1 * s, 1.7 * s, 2.8 * s), skin, .skin)
        }
        canvas.fill(face, skin, .skin)
        canvas.fill(nose, skin.scaled(226), .skin)
        if a.targets.freckles { freckles(&canvas) }
        if a.targets.beard { beard(&canvas) }
        canvas.fill(Ellipse(hx + tdx, hy + 7.3 * s, 2.8 * s, 0.95 * s), Palette.lips(a.identity), .mouth)
        eyes(&canvas)
        frontHair(&canvas)
        if a.targets.sunglasses { sunglasses(&canvas) }
        if a.targets.earrings { earrings(&canvas) }
        if let hat = a.targets.hat { self.hat(hat, &canvas) }
    }

    // MARK: - Hair

    /// Unit-circle points (cos, -sin) every 30 degrees from 180 (left) over the top to 0, then 210 and
    /// 330: literal constants rather than sin/cos, so that every machine gets the same bits.
    static let curlRing: [(Double, Double)] = [
        (-1, 0), (-0.8660254037844386, -0.5), (-0.5, -0.8660254037844386), (0, -1), (0.5, -0.8660254037844386),
        (0.8660254037844386, -0.5), (1, 0), (-0.8660254037844386, 0.5), (0.8660254037844386, 0.5),
    ]

    private func backHair(_ canvas: inout Canvas) {
        switch a.identity.hairStyle {
        case .short:
            break
        case .long:
            canvas.fill(RoundedRect(hx - fw - 2.8 * s, hy - fh - 1 * s, hx + fw + 2.8 * s, hy + 21 * s, radius: 4 * s), hair, .hair)
        case .bob:
            canvas.fill(RoundedRect(hx - fw - 2.6 * s, hy - fh - 1 * s, hx + fw + 2.6 * s, hy + 7.5 * s, radius: 3 * s), hair, .hair)
        case .curly:
            for (c, d) in Self.curlRing {
                canvas.fill(Ellipse(circle: hx + (fw + 1.2 * s) * c, hy - 1 * s + (fh + 1.2 * s) * d, 3.6 * s), hair, .hair)
            }
            for side in [-1.0, 1.0] {
                canvas.fill(Ellipse(circle: hx + side * (fw + 1.4 * s), hy + 8 * s, 3.2 * s), hair, .hair)
            }
        case .bun:
            canvas.fill(Ellipse(circle: hx, hy - fh - 3.4 * s, 4.4 * s), hair, .hair)
        }
    }

    private func frontHair(_ canvas: inout Canvas) {
        let sideBottom: Double
        switch a.identity.hairStyle {
        case .short, .bun: sideBottom = hy - 1 * s
        case .long, .bob, .curly: sideBottom = hy + 1 * s
        }
        let fringe = hy - fh * 0.42
        let cap = Ellipse(hx, hy - 1.5 * s, fw + 1.5 * s, fh + 1.3 * s)
            .and(HorizontalCut(value: fringe, below: false).or(VerticalBand(center: hx, distance: fw - 1.6 * s, outside: true)))
            .and(HorizontalCut(value: sideBottom, below: false))
        canvas.fill(cap, hair, .hair)
        if a.identity.hairStyle == .curly {
            for k in -2...2 {
                canvas.fill(Ellipse(circle: hx + Double(k) * 3.2 * s, fringe - 0.6 * s, 2 * s), hair, .hair)
            }
        }
    }

    // MARK: - Clothes

    private func torsoShape() -> Either<Ellipse, Rect> {
        Ellipse(hx, ty + 9 * s, tw, 9 * s).or(Rect(hx - tw, ty + 9 * s, hx + tw, 1000))
    }

    private func torso(_ canvas: inout Canvas) {
        let body = torsoShape()
        if a.targets.dress {
            dress(body, &canvas)
            return
        }
        let color = Palette.clothing(a.scene.clothingColor)
        let dark = color.scaled(200)
        canvas.fill(body, color, .clothing)
        switch a.scene.clothing {
        case .tShirt:
            canvas.fill(Ellipse(hx, ty, nw + 1.9 * s, 4.3 * s).and(HorizontalCut(value: ty - 2 * s, below: true)), dark, .clothing)
            canvas.fill(Ellipse(hx, ty, nw + 0.9 * s, 3.3 * s).and(HorizontalCut(value: ty - 2 * s, below: true)), skin, .skin)
            for side in [-1.0, 1.0] {
                let x = hx + side * (tw - 4.5 * s)
                canvas.fill(Rect(x - 0.45 * s, ty + 11 * s, x + 0.45 * s, 1000), dark, .clothing)
            }
        case .sweater:
            canvas.fill(RoundedRect(hx - nw - 1.3 * s, hy + fh - 1.5 * s, hx + nw + 1.3 * s, ty + 2.5 * s, radius: 1.2 * s), dark, .clothing)
        case .shirt:
            canvas.fill(Polygon([(hx - 3 * s, ty - 0.5 * s), (hx + 3 * s, ty - 0.5 * s), (hx, ty + 7 * s)]), skin, .skin)
            let collar = color.mixed(with: RGBColor(255, 255, 255), 90)
            for side in [-1.0, 1.0] {
                canvas.fill(Polygon([(hx + side * (nw + 0.8 * s), ty - 1.6 * s), (hx + side * 0.6 * s, ty + 3.6 * s),
                                     (hx + side * 4.2 * s, ty + 5.6 * s), (hx + side * (nw + 3.4 * s), ty + 2.4 * s)]),
                            collar, .clothing)
            }
            for k in 0..<3 {
                canvas.fill(Ellipse(circle: hx, ty + (9 + 4 * Double(k)) * s, 0.6 * s), color.scaled(140), .clothing)
            }
        case .jacket:
            canvas.fill(Polygon([(hx - 5 * s, ty - 0.5 * s), (hx + 5 * s, ty - 0.5 * s), (hx, ty + 18 * s)]), Palette.innerShirt, .clothing)
            canvas.fill(Polygon([(hx - 2.6 * s, ty - 0.5 * s), (hx + 2.6 * s, ty - 0.5 * s), (hx, ty + 4 * s)]), skin, .skin)
            for side in [-1.0, 1.0] {
                canvas.fill(Polygon([(hx + side * 5.5 * s, ty - 0.5 * s), (hx + side * 0.6 * s, ty + 17 * s),
                                     (hx + side * 3.6 * s, ty + 11 * s), (hx + side * 8.5 * s, ty + 1.5 * s)]), dark, .clothing)
            }
        }
    }

    /// The dress replaces the clothing: bare shoulders (skin), straps, a sweetheart bodice and a waist seam.
    private func dress(_ body: Either<Ellipse, Rect>, _ canvas: inout Canvas) {
        let color = Palette.dress(a.scene.clothingColor)
        canvas.fill(body, skin, .skin)
        let top = ty + 7 * s
        let width = 15.5 * s
        let bodice = body.and(VerticalBand(center: hx, distance: width, outside: false)).and(HorizontalCut(value: top, below: true))
        canvas.fill(bodice, color, .dress)
        for side in [-1.0, 1.0] {
            canvas.fill(Ellipse(hx + side * 4.5 * s, top, 5 * s, 2.6 * s), color, .dress)
            canvas.fill(Rect(hx + side * 7.4 * s - 0.9 * s, ty - 0.5 * s, hx + side * 7.4 * s + 0.9 * s, top), color, .dress)
        }
        canvas.fill(bodice.and(HorizontalCut(value: ty + 17 * s, below: true)).and(HorizontalCut(value: ty + 18.5 * s, below: false)),
                    color.scaled(190), .dress)
    }

    // MARK: - Face details

    private func eyes(_ canvas: inout Canvas) {
        let browHalf = (a.identity.subject == .man ? 0.75 : 0.5) * s
        for side in [-1.0, 1.0] {
            let x = eyeX(side)
            let white = Ellipse(x, eyeY, 2.3 * s, 1.35 * s)
            canvas.fill(white, Palette.eyeWhite, .eyes)
            canvas.fill(Ellipse(circle: x + tdx * 0.35, eyeY, 1.15 * s).and(white), Palette.eye(a.identity.eyeColor), .eyes)
            canvas.fill(Ellipse(circle: x + tdx * 0.35, eyeY, 0.55 * s), Palette.pupil, .eyes)
            canvas.fill(RoundedRect(x - 2.4 * s, hy - 4.3 * s - browHalf, x + 2.4 * s, hy - 4.3 * s + browHalf, radius: browHalf),
                        hair.scaled(200), .hair)
        }
    }

    /// Freckle centres relative to (hx + tdx, hy), in units before scaling: the left cheek, mirrored.
    static let freckleSpots: [(Double, Double)] = [
        (-6.2, 2.3), (-4.7, 3.1), (-6.6, 4.1), (-3.6, 2.0), (-5.3, 5.0), (-3.9, 4.3), (-1.6, 1.2),
    ]

    private func freckles(_ canvas: inout Canvas) {
        let color = skin.scaled(168).mixed(with: RGBColor(120, 60, 30), 64)
        for (x, y) in Self.freckleSpots {
            for side in [-1.0, 1.0] {
                canvas.fill(Ellipse(circle: hx + tdx + side * x * s, hy + y * s, 0.62 * s), color, .freckles)
            }
        }
    }

    private func beard(_ canvas: inout Canvas) {
        let color = hair.scaled(180)
        let lower = face.and(HorizontalCut(value: hy + 3.8 * s, below: true))
        let sideburns = face.and(VerticalBand(center: hx, distance: fw - 2.2 * s, outside: true)).and(HorizontalCut(value: hy - 1 * s, below: true))
        let chin = Ellipse(hx, hy + fh - 0.8 * s, 6.5 * s, 3.6 * s)
        let moustache = Ellipse(hx + tdx, hy + 5.9 * s, 3.4 * s, 1.0 * s)
        canvas.fill(lower.or(sideburns).or(chin).or(moustache).minus(nose), color, .beard)
    }

    private func sunglasses(_ canvas: inout Canvas) {
        for side in [-1.0, 1.0] {
            let x = eyeX(side)
            canvas.fill(RoundedRect(x - 3 * s, eyeY - 1.9 * s, x + 3 * s, eyeY + 2 * s, radius: 1.2 * s), Palette.lenses, .sunglasses)
        }
        canvas.fill(Rect(hx + tdx - 1.4 * s, eyeY - 1.2 * s, hx + tdx + 1.4 * s, eyeY - 0.4 * s), Palette.lenses, .sunglasses)
    }

    private func earrings(_ canvas: inout Canvas) {
        for side in [-1.0, 1.0] {
            let x = hx + side * (fw + 0.3 * s)
            canvas.fill(Ellipse(circle: x, hy + 4 * s, 0.9 * s), Palette.gold, .earrings)
            canvas.fill(Ellipse(circle: x, hy + 5.9 * s, 1.25 * s), Palette.gold, .earrings)
        }
    }

    private func hat(_ hatColor: HatColor, _ canvas: inout Canvas) {
        let color = Palette.hat(hatColor)
        let brim = hy - fh * 0.52
        canvas.fill(RoundedRect(hx - fw + 0.2 * s, hy - fh - 8.5 * s, hx + fw - 0.2 * s, brim + 0.5 * s, radius: 2.5 * s), color, .hat)
        canvas.fill(Rect(hx - fw + 0.2 * s, brim - 2.2 * s, hx + fw - 0.2 * s, brim), color.scaled(150), .hat)
        canvas.fill(Ellipse(hx, brim, fw + 5.5 * s, 1.9 * s), color, .hat)
    }
}
