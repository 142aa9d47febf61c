import PortraitWorld

/// Per-pair comparisons of two observed image sets (image i of one with image i of the other: same prompt,
/// same seed), each in [0, 1] except the perceptual distance.
public enum PairMetrics {
    /// The attributes that make a person who they are (not the scene, not the framing, not the target).
    public static let identityAttributes = ["subject", "face_shape", "skin_tone", "eye_color", "hair_color", "hair_style"]

    /// Fraction of identity attributes the probe reads the same in both images.
    public static func identityAgreement(_ a: ImageObservations, _ b: ImageObservations) -> [Double] {
        let columns = identityAttributes.map { name in AttributeClass.all.firstIndex { $0.name == name }! }
        return zip(a.attributes, b.attributes).map { x, y in
            Double(columns.filter { x[$0] == y[$0] }.count) / Double(columns.count)
        }
    }

    /// Cosine similarity of the CLIP image embeddings (CLIP-I).
    public static func clipImageSimilarity(_ a: ImageObservations, _ b: ImageObservations) -> [Double] {
        zip(a.clip, b.clip).map { dot($0, $1) }
    }

    /// Segmentation consistency (Seg-Cons): the mean IoU, over the labels present in either map, of the probe's
    /// segmentations restricted to pixels outside the target's region in both images (the region may move: the
    /// customized image's hat is excluded, and so is where the original had the replaced clothing). A style target
    /// (sketch) changes no region: the whole image counts. A pair with no pixel left counts as 1.
    public static func segmentationConsistency(_ a: ImageObservations, _ b: ImageObservations,
                                               excluding excluded: Set<UInt8>) -> [Double] {
        zip(a.labels, b.labels).map { x, y in
            var intersection = [Int](repeating: 0, count: 256)
            var union = [Int](repeating: 0, count: 256)
            for (p, q) in zip(x, y) where !excluded.contains(p) && !excluded.contains(q) {
                if p == q {
                    intersection[Int(p)] += 1
                    union[Int(p)] += 1
                } else {
                    union[Int(p)] += 1
                    union[Int(q)] += 1
                }
            }
            let present = (0..<256).filter { union[$0] > 0 }
            guard !present.isEmpty else { return 1 }
            return present.reduce(0.0) { $0 + Double(intersection[$1]) / Double(union[$1]) } / Double(present.count)
        }
    }

    /// The labels a target's region covers (for the dress: the dress and the clothing it replaces).
    public static func regionLabels(of target: PortraitTarget) -> Set<UInt8> {
        switch target {
        case .dress: [PortraitLabel.dress.rawValue, PortraitLabel.clothing.rawValue]
        case .sketch: []
        default: target.label.map { [$0.rawValue] } ?? []
        }
    }

    /// 1 where the probe sees the target (its head names any class but "off").
    public static func targetDetected(_ a: ImageObservations, target: PortraitTarget) -> [Double] {
        let column = AttributeClass.column(of: target)
        return a.attributes.map { $0[column] != 0 ? 1 : 0 }
    }

    /// Cosine similarity of each image with its text (CLIP-T); `texts` are L2-normalized text embeddings.
    public static func clipTextSimilarity(_ a: ImageObservations, texts: [[Double]]) -> [Double] {
        zip(a.clip, texts).map { dot($0, $1) }
    }

    static func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
}
