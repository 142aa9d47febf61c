import Foundation

/// The Frechet distance between two Gaussians fitted to feature sets (FID's formula, on the features the caller
/// chooses: here the world CLIP's image embeddings):
/// |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^1/2 S_b S_a^1/2)^1/2), with unbiased covariances (numpy's
/// `np.cov`, as pytorch-fid). The symmetric form needs only symmetric square roots (no complex sqrtm).
public enum FrechetDistance {
    public static func between(_ a: [[Double]], _ b: [[Double]]) throws -> Double {
        guard a.count >= 2, b.count >= 2 else { throw EvaluationError("the Frechet distance needs at least 2 images per set") }
        let d = a[0].count
        guard a.allSatisfy({ $0.count == d }), b.allSatisfy({ $0.count == d }) else {
            throw EvaluationError("the Frechet distance needs features of one dimension")
        }
        let (muA, covA) = moments(a, d)
        let (muB, covB) = moments(b, d)
        let rootA = SymmetricEigen(covA, n: d).applying { $0 > 0 ? $0.squareRoot() : 0 }
        let inner = multiply(multiply(rootA, covB, d), rootA, d)
        let traceRoot = SymmetricEigen(symmetrized(inner, d), n: d).values.reduce(0) { $0 + ($1 > 0 ? $1.squareRoot() : 0) }
        var meanTerm = 0.0
        for i in 0..<d { meanTerm += (muA[i] - muB[i]) * (muA[i] - muB[i]) }
        let trace = (0..<d).reduce(0.0) { $0 + covA[$1 * d + $1] + covB[$1 * d + $1] }
        return max(0, meanTerm + trace - 2 * traceRoot)
    }

    static func moments(_ x: [[Double]], _ d: Int) -> ([Double], [Double]) {
        let n = Double(x.count)
        var mu = [Double](repeating: 0, count: d)
        for row in x { for i in 0..<d { mu[i] += row[i] / n } }
        var cov = [Double](repeating: 0, count: d * d)
        for row in x {
            for i in 0..<d {
                let di = row[i] - mu[i]
                for j in i..<d { cov[i * d + j] += di * (row[j] - mu[j]) }
            }
        }
        for i in 0..<d {
            for j in i..<d {
                cov[i * d + j] /= n - 1
                cov[j * d + i] = cov[i * d + j]
            }
        }
        return (mu, cov)
    }

    static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n {
                let aik = a[i * n + k]
                if aik == 0 { continue }
                for j in 0..<n { c[i * n + j] += aik * b[k * n + j] }
            }
        }
        return c
    }

    static func symmetrized(_ a: [Double], _ n: Int) -> [Double] {
        var s = a
        for i in 0..<n { for j in 0..<n { s[i * n + j] = (a[i * n + j] + a[j * n + i]) / 2 } }
        return s
    }
}

public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
