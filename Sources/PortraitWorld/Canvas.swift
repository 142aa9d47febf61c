/// The supersampled raster the renderer paints on. Coordinates are in *units*: the canvas is 64 units
/// wide and high whatever the output size; a sample sits at the centre of its subpixel. Shapes decide
/// coverage with IEEE-754 `+ - * /` on Double only (correctly rounded, the same on every machine; Swift
/// emits no fused multiply-add unless asked), never with libm functions such as sin or pow.
struct Canvas {
    let width: Int
    let height: Int
    /// Subpixels per unit.
    let unit: Double
    var rgb: [UInt8]
    var labels: [UInt8]
    /// Unit coordinate of each subpixel column / row centre.
    let xs: [Double]
    let ys: [Double]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        unit = Double(width) / 64
        rgb = [UInt8](repeating: 0, count: width * height * 3)
        labels = [UInt8](repeating: 0, count: width * height)
        let unit = self.unit
        xs = (0..<width).map { (Double($0) + 0.5) / unit }
        ys = (0..<height).map { (Double($0) + 0.5) / unit }
    }

    /// Paints every subpixel whose centre lies inside `shape`.
    mutating func fill<S: Shape>(_ shape: S, _ color: RGBColor, _ label: PortraitLabel) {
        let b = shape.bounds
        guard b.maxX > b.minX, b.maxY > b.minY else { return }
        let i0 = max(0, Self.index(b.minX * unit) - 1)
        let i1 = min(width, Self.index(b.maxX * unit) + 2)
        let j0 = max(0, Self.index(b.minY * unit) - 1)
        let j1 = min(height, Self.index(b.maxY * unit) + 2)
        guard i0 < i1, j0 < j1 else { return }
        let id = label.rawValue
        for j in j0..<j1 {
            let y = ys[j]
            let row = j * width
            for i in i0..<i1 where shape.contains(xs[i], y) {
                let p = row + i
                labels[p] = id
                rgb[p * 3] = color.r
                rgb[p * 3 + 1] = color.g
                rgb[p * 3 + 2] = color.b
            }
        }
    }

    /// Floor of `value`, clamped into Int's comfortable range (bounds may be infinite).
    private static func index(_ value: Double) -> Int {
        if !(value > -1e9) { return -1_000_000_000 }
        if !(value < 1e9) { return 1_000_000_000 }
        return Int(value.rounded(.down))
    }
}

/// Axis-aligned bounds in units (may be infinite for half-planes).
struct Bounds {
    var minX, minY, maxX, maxY: Double
    static let everything = Bounds(minX: -.infinity, minY: -.infinity, maxX: .infinity, maxY: .infinity)
    func intersection(_ other: Bounds) -> Bounds {
        Bounds(minX: max(minX, other.minX), minY: max(minY, other.minY), maxX: min(maxX, other.maxX), maxY: min(maxY, other.maxY))
    }
    func union(_ other: Bounds) -> Bounds {
        Bounds(minX: min(minX, other.minX), minY: min(minY, other.minY), maxX: max(maxX, other.maxX), maxY: max(maxY, other.maxY))
    }
}

protocol Shape {
    var bounds: Bounds { get }
    func contains(_ x: Double, _ y: Double) -> Bool
}

struct Ellipse: Shape {
    let cx, cy, irx, iry: Double
    let bounds: Bounds
    init(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double) {
        self.cx = cx
        self.cy = cy
        irx = 1 / rx
        iry = 1 / ry
        bounds = Bounds(minX: cx - rx, minY: cy - ry, maxX: cx + rx, maxY: cy + ry)
    }
    init(circle cx: Double, _ cy: Double, _ r: Double) { self.init(cx, cy, r, r) }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool {
        let dx = (x - cx) * irx
        let dy = (y - cy) * iry
        return dx * dx + dy * dy <= 1
    }
}

/// |x/rx|^4 + |y/ry|^4 <= 1: a rounded square (the "square" face).
struct SuperEllipse: Shape {
    let cx, cy, irx, iry: Double
    let bounds: Bounds
    init(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double) {
        self.cx = cx
        self.cy = cy
        irx = 1 / rx
        iry = 1 / ry
        bounds = Bounds(minX: cx - rx, minY: cy - ry, maxX: cx + rx, maxY: cy + ry)
    }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool {
        let dx = (x - cx) * irx
        let dy = (y - cy) * iry
        let dx2 = dx * dx
        let dy2 = dy * dy
        return dx2 * dx2 + dy2 * dy2 <= 1
    }
}

struct Rect: Shape {
    let bounds: Bounds
    init(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) {
        bounds = Bounds(minX: x0, minY: y0, maxX: x1, maxY: y1)
    }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool {
        x >= bounds.minX && x < bounds.maxX && y >= bounds.minY && y < bounds.maxY
    }
}

struct RoundedRect: Shape {
    let bounds: Bounds
    let r: Double
    init(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, radius: Double) {
        bounds = Bounds(minX: x0, minY: y0, maxX: x1, maxY: y1)
        r = radius
    }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool {
        guard x >= bounds.minX, x < bounds.maxX, y >= bounds.minY, y < bounds.maxY else { return false }
        let dx = max(bounds.minX + r - x, 0, x - (bounds.maxX - r))
        let dy = max(bounds.minY + r - y, 0, y - (bounds.maxY - r))
        return dx * dx + dy * dy <= r * r
    }
}

/// A convex polygon (vertices in either order).
struct Polygon: Shape {
    let points: [(Double, Double)]
    let sign: Double
    let bounds: Bounds
    init(_ points: [(Double, Double)]) {
        self.points = points
        var area = 0.0
        for k in points.indices {
            let (ax, ay) = points[k]
            let (bx, by) = points[(k + 1) % points.count]
            area += ax * by - bx * ay
        }
        sign = area >= 0 ? 1 : -1
        bounds = Bounds(minX: points.map(\.0).min()!, minY: points.map(\.1).min()!,
                        maxX: points.map(\.0).max()!, maxY: points.map(\.1).max()!)
    }
    func contains(_ x: Double, _ y: Double) -> Bool {
        for k in points.indices {
            let (ax, ay) = points[k]
            let (bx, by) = points[(k + 1) % points.count]
            if ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) * sign < 0 { return false }
        }
        return true
    }
}

/// The half-plane `y >= value` (`below: true`) or `y < value`.
struct HorizontalCut: Shape {
    let value: Double
    let below: Bool
    var bounds: Bounds {
        below ? Bounds(minX: -.infinity, minY: value, maxX: .infinity, maxY: .infinity)
            : Bounds(minX: -.infinity, minY: -.infinity, maxX: .infinity, maxY: value)
    }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool { below ? y >= value : y < value }
}

/// |x - center| >= distance (`outside: true`) or < distance.
struct VerticalBand: Shape {
    let center: Double
    let distance: Double
    let outside: Bool
    var bounds: Bounds {
        outside ? .everything : Bounds(minX: center - distance, minY: -.infinity, maxX: center + distance, maxY: .infinity)
    }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool {
        let d = x - center
        let inside = d > -distance && d < distance
        return outside ? !inside : inside
    }
}

struct Both<A: Shape, B: Shape>: Shape {
    let a: A
    let b: B
    var bounds: Bounds { a.bounds.intersection(b.bounds) }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool { a.contains(x, y) && b.contains(x, y) }
}

struct Either<A: Shape, B: Shape>: Shape {
    let a: A
    let b: B
    var bounds: Bounds { a.bounds.union(b.bounds) }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool { a.contains(x, y) || b.contains(x, y) }
}

struct Without<A: Shape, B: Shape>: Shape {
    let a: A
    let b: B
    var bounds: Bounds { a.bounds }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool { a.contains(x, y) && !b.contains(x, y) }
}

extension Shape {
    func and<B: Shape>(_ other: B) -> Both<Self, B> { Both(a: self, b: other) }
    func or<B: Shape>(_ other: B) -> Either<Self, B> { Either(a: self, b: other) }
    func minus<B: Shape>(_ other: B) -> Without<Self, B> { Without(a: self, b: other) }
}

/// A face outline: an ellipse, or a rounded square for the square face.
struct FaceOutline: Shape {
    let ellipse: Ellipse
    let square: SuperEllipse?
    var bounds: Bounds { ellipse.bounds }
    @inline(__always) func contains(_ x: Double, _ y: Double) -> Bool {
        if let square { return square.contains(x, y) }
        return ellipse.contains(x, y)
    }
}
