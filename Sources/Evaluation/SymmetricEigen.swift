import Foundation

/// Eigen-decomposition of a real symmetric matrix by cyclic Jacobi rotations, in Double. The metrics' matrices
/// are covariances of at most a few hundred dimensions (the world CLIP's projection is 64), where Jacobi is
/// accurate to rounding and fast enough; it needs no LAPACK in the product.
public struct SymmetricEigen {
    public let values: [Double]
    /// Column j is the eigenvector of values[j], stored row-major n x n.
    public let vectors: [Double]
    public let n: Int

    public init(_ matrix: [Double], n: Int, sweeps: Int = 100) {
        precondition(matrix.count == n * n, "a symmetric matrix needs n*n entries")
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<sweeps {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += a[p * n + q] * a[p * n + q] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where a[p * n + q] != 0 {
                    let apq = a[p * n + q]
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        values = (0..<n).map { a[$0 * n + $0] }
        vectors = v
        self.n = n
    }

    /// V f(D) V^T for a function of the eigenvalues (square root of a covariance: negative rounding noise to 0).
    public func applying(_ f: (Double) -> Double) -> [Double] {
        let mapped = values.map(f)
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * mapped[k] * vectors[j * n + k] }
                result[i * n + j] = sum
            }
        }
        return result
    }
}
