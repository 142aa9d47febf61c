import Foundation

/// The numpy computations diffusers' `set_timesteps` runs, replayed in Swift operation for operation so
/// that timesteps and sigmas come out bit-identical (numpy 2.x semantics: float64 unless noted).
enum NumPyMirror {
    /// `np.arange(start, stop, step)` for floats: numpy fills `start + i * delta` with
    /// `delta = (start + step) - start`, which is not always `step`.
    static func arange(_ start: Double, _ stop: Double, _ step: Double) -> [Double] {
        let count = Int(((stop - start) / step).rounded(.up))
        guard count > 0 else { return [] }
        if count == 1 { return [start] }
        let delta = (start + step) - start
        return [start, start + step] + (2..<max(count, 2)).map { start + Double($0) * delta }
    }

    /// `np.linspace(start, stop, num)` (endpoint included): `arange(num) * step + start`, last set to stop.
    static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        guard num > 0 else { return [] }
        let div = num - 1
        let delta = stop - start
        guard div > 0 else { return [0 * delta + start] }
        let step = delta / Double(div)
        var y = (0..<num).map { step == 0 ? Double($0) / Double(div) * delta : Double($0) * step }
        for i in y.indices { y[i] += start }
        y[num - 1] = stop
        return y
    }

    /// `np.round` (half to even).
    static func round(_ x: Double) -> Double { x.rounded(.toNearestOrEven) }

    /// `np.interp(x, xp, fp)` for increasing `xp`, following numpy's C loop (slopes computed per interval,
    /// exact hits return `fp[j]`).
    static func interp(_ x: Double, _ xp: [Double], _ fp: [Double]) -> Double {
        let n = xp.count
        if x > xp[n - 1] { return fp[n - 1] }
        if x < xp[0] { return fp[0] }
        if x == xp[n - 1] { return fp[n - 1] }
        // Last j with xp[j] <= x.
        var lo = 0, hi = n - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if xp[mid] <= x { lo = mid } else { hi = mid }
        }
        let j = lo
        if xp[j] == x { return fp[j] }
        let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
        var result = slope * (x - xp[j]) + fp[j]
        if result.isNaN {
            result = slope * (x - xp[j + 1]) + fp[j + 1]
            if result.isNaN, fp[j] == fp[j + 1] { result = fp[j] }
        }
        return result
    }

    /// numpy's float32 `np.log` (its AVX2/AVX512F kernel: mantissa in [sqrt(1/2), sqrt(2)), a 5/5 rational
    /// approximation with fused multiply-adds). It is not correctly rounded, and diffusers feeds its
    /// output (log_sigmas) into timestep interpolation, so we replay it exactly.
    static func logFloat32(_ input: Float) -> Float {
        if input.isNaN { return input }
        if input < 0 { return -Float.nan }
        if input == 0 { return -.infinity }
        if input == .infinity { return .infinity }
        let p0: Float = 0.000000000000000000000e+00, p1: Float = 9.999999999999998702752e-01
        let p2: Float = 2.112677543073053063722e+00, p3: Float = 1.480000633576506585156e+00
        let p4: Float = 3.808837741388407920751e-01, p5: Float = 2.589979117907922693523e-02
        let q0: Float = 1.000000000000000000000e+00, q1: Float = 2.612677543073109236779e+00
        let q2: Float = 2.453006071784736363091e+00, q3: Float = 9.864942958519418960339e-01
        let q4: Float = 1.546476374983906719538e-01, q5: Float = 5.875095403124574342950e-03
        let sqrtHalf: Float = 0.707106781186547524400844362104849039
        let ln2: Float = 0.693147180559945309417232121458176568
        // Denormals are scaled by 2^100 before splitting into exponent and mantissa in [0.5, 1).
        let denormal = input < Float.leastNormalMagnitude
        let normal = denormal ? input * Float(bitPattern: 0x7180_0000) : input
        var exponent = Float(Int32(bitPattern: normal.bitPattern >> 23) - 126) - (denormal ? 100 : 0)
        var x = Float(bitPattern: (normal.bitPattern & 0x007F_FFFF) | 0x3F00_0000)
        if x <= sqrtHalf {
            x = x + x
            exponent = exponent - 1
        }
        x = x - 1
        // fmadd(a, b, c) = a * b + c, rounded once.
        func fmadd(_ a: Float, _ b: Float, _ c: Float) -> Float { c.addingProduct(a, b) }
        var num = fmadd(p5, x, p4)
        num = fmadd(num, x, p3)
        num = fmadd(num, x, p2)
        num = fmadd(num, x, p1)
        num = fmadd(num, x, p0)
        var den = fmadd(q5, x, q4)
        den = fmadd(den, x, q3)
        den = fmadd(den, x, q2)
        den = fmadd(den, x, q1)
        den = fmadd(den, x, q0)
        return fmadd(exponent, ln2, num / den)
    }

    /// diffusers' `_sigma_to_t`: the fractional training timestep whose log-sigma matches `sigma`,
    /// interpolating linearly in log space. `logSigmas` are float32 (numpy's log of float32 sigmas).
    static func sigmaToT(_ sigma: Double, logSigmas: [Float]) -> Double {
        let logSigma = Foundation.log(max(sigma, 1e-10))
        // cumsum(dists >= 0).argmax(): the last index with log_sigmas[i] <= log_sigma, or 0 if none.
        var lowIndex = 0
        for (i, value) in logSigmas.enumerated() where logSigma - Double(value) >= 0 { lowIndex = i }
        lowIndex = min(lowIndex, logSigmas.count - 2)
        let low = logSigmas[lowIndex], high = logSigmas[lowIndex + 1]
        // (low - high) is a float32 subtraction in numpy; the rest is float64.
        var w = (Double(low) - logSigma) / Double(low - high)
        w = min(max(w, 0), 1)
        return (1 - w) * Double(lowIndex) + w * Double(lowIndex + 1)
    }

    /// diffusers' `_convert_to_karras` (rho = 7), in float64.
    static func karrasSigmas(sigmaMin: Double, sigmaMax: Double, count: Int) -> [Double] {
        let rho = 7.0
        let ramp = linspace(0, 1, count)
        let minInvRho = Foundation.pow(sigmaMin, 1 / rho)
        let maxInvRho = Foundation.pow(sigmaMax, 1 / rho)
        return ramp.map { Foundation.pow(maxInvRho + $0 * (minInvRho - maxInvRho), rho) }
    }
}
