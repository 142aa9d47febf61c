import Foundation

/// CLIPTokenizer's normalizer: NFC, then every run of whitespace (`\s+`, Unicode White_Space as in
/// Oniguruma) becomes one space, then per-character lowercasing (tokenizers' `Lowercase` maps each
/// character on its own, so a final sigma stays σ and İ becomes i + U+0307).
enum Normalizer {
    static func normalize<S: Sequence>(_ scalars: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        let composed = String(String.UnicodeScalarView(scalars)).precomposedStringWithCanonicalMapping
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(composed.unicodeScalars.count)
        var inWhitespace = false
        for scalar in composed.unicodeScalars {
            if scalar.properties.isWhitespace {
                if !inWhitespace { out.append(" ") }
                inWhitespace = true
                continue
            }
            inWhitespace = false
            if scalar.properties.changesWhenLowercased {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return out
    }
}
