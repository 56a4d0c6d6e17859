import Foundation
import NeuroDSP

/// The improved Sheather–Jones bandwidth (Botev, Grotowski & Kroese 2010) exactly as KDEpy 1.1 computes it:
/// linear binning onto a 1024-point mesh (margin max(0.5·range, 6)), DCT-II, the ℓ = 7 fixed-point equation solved
/// by Brent's method on [0, tol] with tol doubled until a root is bracketed, bandwidth √t*·(max − min).
enum ImprovedSheatherJones {
    static let meshSize = 1024

    /// nil when the fixed point has no positive root (too few distinct values); callers fall back to Silverman.
    static func bandwidth(sorted: UnsafeBufferPointer<Double>) -> Double? {
        let n = sorted.count
        guard n >= 2, let lo = sorted.first, let hi = sorted.last, hi > lo else { return nil }
        let range = hi - lo
        let margin = max(0.5 * range, 6)
        let mesh = LinearGrid(lower: lo - margin, upper: hi + margin, count: meshSize)
        var binned = [Double](repeating: 0, count: meshSize + 1)
        binned.withUnsafeMutableBufferPointer { mesh.bin(sorted, into: $0.baseAddress!) }
        binned.removeLast()
        for i in binned.indices { binned[i] /= Double(n) }
        guard let dct = try? DCTIIPlan.shared(n: meshSize) else { return nil }
        let a = dct.transform(binned)
        var distinct = 1
        for i in 1..<n where sorted[i] != sorted[i - 1] { distinct += 1 }
        let iSquared = (1..<meshSize).map { Double($0 * $0) }
        let a2 = a.dropFirst().map { $0 * $0 }
        let f = { (t: Double) in fixedPoint(t, n: Double(distinct), iSquared: iSquared, a2: a2) }
        guard let t = root(f, n: distinct) else { return nil }
        return t.squareRoot() * range
    }

    /// t − ξγ^[ℓ](t) of Botev et al. with ℓ = 7 (KDEpy's `_fixed_point`).
    static func fixedPoint(_ t: Double, n: Double, iSquared: [Double], a2: [Double]) -> Double {
        let ell = 7
        var sum = 0.0
        for k in iSquared.indices { sum += pow(iSquared[k], Double(ell)) * a2[k] * exp(-iSquared[k] * Double.pi * Double.pi * t) }
        var f = 0.5 * pow(Double.pi, Double(2 * ell)) * sum
        if f <= 0 { return -1 }
        for s in stride(from: ell - 1, through: 2, by: -1) {
            var oddProduct = 1.0
            for k in stride(from: 1, to: 2 * s + 1, by: 2) { oddProduct *= Double(k) }
            let k0 = oddProduct / (2 * Double.pi).squareRoot()
            let c = (1 + pow(0.5, Double(s) + 0.5)) / 3
            let time = pow(2 * c * k0 / (n * f), 2.0 / (3.0 + 2.0 * Double(s)))
            sum = 0
            for k in iSquared.indices { sum += pow(iSquared[k], Double(s)) * a2[k] * exp(-iSquared[k] * Double.pi * Double.pi * time) }
            f = 0.5 * pow(Double.pi, Double(2 * s)) * sum
        }
        let tOpt = pow(2 * n * Double.pi.squareRoot() * f, -2.0 / 5)
        return t - tOpt
    }

    /// KDEpy's `_root`: Brent on [0, tol], tol = 1e-11 + 0.01·(N − 50)/1000 with N clamped to 50…1050, doubled
    /// while no positive root is bracketed; nil once tol ≥ 1.
    static func root(_ f: (Double) -> Double, n: Int) -> Double? {
        let clamped = Double(max(min(1050, n), 50))
        var tol = 10e-12 + 0.01 * (clamped - 50) / 1000
        while tol < 1 {
            if let x = brent(f, 0, tol), x > 0 { return x }
            tol *= 2
        }
        return nil
    }

    /// Brent's method as SciPy's `brentq` (xtol 2e-12, rtol 4·eps, 100 iterations); nil when [a, b] does not bracket.
    static func brent(_ f: (Double) -> Double, _ a0: Double, _ b0: Double) -> Double? {
        let xtol = 2e-12, rtol = 4 * Double.ulpOfOne
        var xpre = a0, xcur = b0
        var fpre = f(xpre), fcur = f(xcur)
        if fpre == 0 { return xpre }
        if fcur == 0 { return xcur }
        if (fpre > 0) == (fcur > 0) { return nil }
        var xblk = 0.0, fblk = 0.0, spre = 0.0, scur = 0.0
        for _ in 0..<100 {
            if fpre != 0, fcur != 0, (fpre > 0) != (fcur > 0) {
                xblk = xpre; fblk = fpre
                spre = xcur - xpre; scur = spre
            }
            if abs(fblk) < abs(fcur) {
                xpre = xcur; xcur = xblk; xblk = xpre
                fpre = fcur; fcur = fblk; fblk = fpre
            }
            let delta = (xtol + rtol * abs(xcur)) / 2
            let sbis = (xblk - xcur) / 2
            if fcur == 0 || abs(sbis) < delta { return xcur }
            if abs(spre) > delta, abs(fcur) < abs(fpre) {
                var stry: Double
                if xpre == xblk {
                    stry = -fcur * (xcur - xpre) / (fcur - fpre)
                } else {
                    let dpre = (fpre - fcur) / (xpre - xcur)
                    let dblk = (fblk - fcur) / (xblk - xcur)
                    stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
                }
                if 2 * abs(stry) < min(abs(spre), 3 * abs(sbis) - delta) {
                    spre = scur; scur = stry
                } else {
                    spre = sbis; scur = sbis
                }
            } else {
                spre = sbis; scur = sbis
            }
            xpre = xcur; fpre = fcur
            if abs(scur) > delta { xcur += scur } else { xcur += sbis > 0 ? delta : -delta }
            fcur = f(xcur)
        }
        return xcur
    }
}
