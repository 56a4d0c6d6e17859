import Foundation
import NeuroCore

/// Zero-phase FIR filtering by FFT overlap-add, numerically as MNE's `_overlap_add_filter(phase='zero',
/// pad='reflect_limited')`: edges padded by odd reflection (limited to the signal), FFT length chosen by MNE's
/// cost rule, the filter's delay removed by shifting.
public enum ZeroPhaseFIR {
    /// MNE's FFT length for a filter of `nh` taps on `nx` padded samples.
    static func fftLength(nh: Int, nx: Int) -> Int {
        let minFFT = 2 * nh - 1
        guard nx >= minFFT else {
            // scipy.fft.next_fast_len: smallest 2^a 3^b 5^c 7^d 11^e ≥ n.
            var n = minFFT
            while true {
                var m = n
                for p in [2, 3, 5, 7, 11] { while m % p == 0 { m /= p } }
                if m == 1 { return n }
                n += 1
            }
        }
        var best = 0, bestCost = Double.infinity
        let lo = Int(log2(Double(minFFT)).rounded(.up)), hi = Int(log2(Double(nx)).rounded(.up))
        for e in lo...max(lo, hi) {
            let n = 1 << e
            var cost = (Double(nx) / Double(n - nh + 1)).rounded(.up) * Double(n) * (log2(Double(n)) + 1)
            cost += 4e-5 * Double(n) * Double(nx)
            if cost < bestCost { bestCost = cost; best = n }
        }
        return best
    }

    /// Filters each row of `x` `[channels × samples]` with the odd-length symmetric filter `h`.
    public static func apply(_ h: [Double], to x: Matrix) throws -> Matrix {
        let nh = h.count
        guard nh % 2 == 1 else { throw InputError(file: "", field: "filter_length", message: "zero-phase FIR needs an odd length, got \(nh)") }
        if nh == 1 { return Matrix(rows: x.rows, cols: x.cols, storage: x.storage.map { $0 * h[0] }) }
        let n = x.cols
        let edge = max(min(nh, n) - 1, 0)
        let nx = n + 2 * edge
        let nfft = fftLength(nh: nh, nx: nx)
        let forward = try RealFFTPlan.shared(n: nfft)
        let inverse = try InverseRealFFTPlan.shared(n: nfft)
        // H = rfft(h, nfft), scaled by 1/nfft for FFTW's unnormalised inverse.
        var hPadded = h + [Double](repeating: 0, count: nfft - nh)
        var H = [Double](repeating: 0, count: 2 * (nfft / 2 + 1))
        hPadded.withUnsafeMutableBufferPointer { i in H.withUnsafeMutableBufferPointer { o in forward.execute(i.baseAddress!, o.baseAddress!) } }
        let invN = 1 / Double(nfft)
        return x.mapRowsInParallel(outputColumns: n) { _, row, outRow in
            let ext = reflectLimited(row, edge: edge)
            var filtered = [Double](repeating: 0, count: nx)
            let seg = nfft - nh + 1
            let segments = (nx + seg - 1) / seg
            let shift = (nh - 1) / 2 + edge
            var buf = [Double](repeating: 0, count: nfft)
            var spec = [Double](repeating: 0, count: 2 * (nfft / 2 + 1))
            var prod = [Double](repeating: 0, count: nfft)
            for s in 0..<segments {
                let start = s * seg, stop = min(nx, start + seg)
                for i in 0..<nfft { buf[i] = start + i < stop ? ext[start + i] : 0 }
                buf.withUnsafeMutableBufferPointer { i in spec.withUnsafeMutableBufferPointer { o in forward.execute(i.baseAddress!, o.baseAddress!) } }
                for k in 0..<(nfft / 2 + 1) {
                    let (a, b) = (spec[2 * k], spec[2 * k + 1]), (c2, d) = (H[2 * k], H[2 * k + 1])
                    spec[2 * k] = (a * c2 - b * d) * invN
                    spec[2 * k + 1] = (a * d + b * c2) * invN
                }
                spec.withUnsafeMutableBufferPointer { i in prod.withUnsafeMutableBufferPointer { o in inverse.execute(i.baseAddress!, o.baseAddress!) } }
                let startFilt = max(0, start - shift), stopFilt = min(start - shift + nfft, nx)
                let startProd = max(0, shift - start)
                if stopFilt > startFilt {
                    for i in 0..<(stopFilt - startFilt) { filtered[startFilt + i] += prod[startProd + i] }
                }
            }
            for i in 0..<n { outRow[i] = filtered[i] }
        }
    }

    /// MNE's `_smart_pad(x, (edge, edge), 'reflect_limited')`: odd reflection, zero-padded when x is short.
    static func reflectLimited(_ x: UnsafeBufferPointer<Double>, edge: Int) -> [Double] {
        let n = x.count
        guard edge > 0 else { return Array(x) }
        let zl = max(edge - n + 1, 0)
        var out = [Double](repeating: 0, count: zl)
        // 2·x[0] − x[edge:0:-1]
        var i = min(edge, n - 1)
        while i >= 1 { out.append(2 * x[0] - x[i]); i -= 1 }
        out += Array(x)
        // 2·x[-1] − x[-2:-edge-2:-1]
        var j = n - 2
        let lastStop = max(-1, n - edge - 2)
        while j > lastStop { out.append(2 * x[n - 1] - x[j]); j -= 1 }
        out += [Double](repeating: 0, count: zl)
        return out
    }
}

/// Butterworth IIR filters in second-order sections and zero-phase application, as `scipy.signal.butter(...,
/// output='sos')` and `sosfiltfilt` (odd padding of 3 × taps, steady-state initial conditions).
public enum IIRFilter {
    public enum Kind: String, Sendable { case lowpass, highpass, bandpass, bandstop }

    /// Sections `[n × 6]` as rows (b0, b1, b2, 1, a1, a2).
    public static func butterworth(order: Int, cutoffs: [Double], kind: Kind, sampleRate fs: Double) throws -> [[Double]] {
        guard order >= 1 && order <= 40 else { throw InputError(file: "", field: "order", message: "got \(order); expected 1…40") }
        let wn = cutoffs.map { 2 * $0 / fs }
        let needed = (kind == .bandpass || kind == .bandstop) ? 2 : 1
        guard wn.count == needed, wn.allSatisfy({ $0 > 0 && $0 < 1 }), wn.count == 1 || wn[0] < wn[1] else {
            throw InputError(file: "", field: "cutoff", message: "\(kind.rawValue) needs \(needed) increasing cutoff(s) inside (0, \(fs / 2)) Hz, got \(cutoffs)")
        }
        // Analog prototype, pre-warped edges (SciPy normalises to fs = 2).
        var z = [Complex](), p = (0..<order).map { i -> Complex in
            let m = Double(-order + 1 + 2 * i)
            return -Complex.exp(Complex(0, Double.pi * m / Double(2 * order)))
        }
        var k = 1.0
        let warped = wn.map { 4 * tan(Double.pi * $0 / 2) }
        switch kind {
        case .lowpass:
            p = p.map { warped[0] * $0 }
            k *= pow(warped[0], Double(p.count))
        case .highpass:
            let prodP = p.reduce(Complex(1)) { $0 * (-$1) }
            k *= (Complex(1) / prodP).re
            p = p.map { Complex(warped[0]) / $0 }
            z = [Complex](repeating: Complex(0), count: order)
        case .bandpass, .bandstop:
            let bw = warped[1] - warped[0], wo = (warped[0] * warped[1]).squareRoot()
            if kind == .bandpass {
                let lp = p.map { (bw / 2) * $0 }
                p = lp.map { $0 + ($0 * $0 - Complex(wo * wo)).squareRoot } + lp.map { $0 - ($0 * $0 - Complex(wo * wo)).squareRoot }
                z = [Complex](repeating: Complex(0), count: order)
                k *= pow(bw, Double(order))
            } else {
                let prodP = p.reduce(Complex(1)) { $0 * (-$1) }
                k *= (Complex(1) / prodP).re
                let hp = p.map { Complex(bw / 2) / $0 }
                p = hp.map { $0 + ($0 * $0 - Complex(wo * wo)).squareRoot } + hp.map { $0 - ($0 * $0 - Complex(wo * wo)).squareRoot }
                z = [Complex](repeating: Complex(0, wo), count: order) + [Complex](repeating: Complex(0, -wo), count: order)
            }
        }
        // Bilinear transform (fs = 2 → 2·fs = 4).
        let f2 = Complex(4)
        let degree = p.count - z.count
        let num = z.reduce(Complex(1)) { $0 * (f2 - $1) }, den = p.reduce(Complex(1)) { $0 * (f2 - $1) }
        k *= (num / den).re
        var zd = z.map { (f2 + $0) / (f2 - $0) } + [Complex](repeating: Complex(-1), count: degree)
        let pd = p.map { (f2 + $0) / (f2 - $0) }
        return sections(zeros: &zd, poles: pd, gain: k)
    }

    /// Pairs conjugate poles (closest to the unit circle last, as SciPy orders them) with their nearest zeros.
    static func sections(zeros: inout [Complex], poles: [Complex], gain: Double) -> [[Double]] {
        var ps = poles.filter { $0.im >= -1e-14 * $0.magnitude }
        ps.sort { abs(1 - $0.magnitude) > abs(1 - $1.magnitude) }  // farthest from the unit circle first
        var out = [[Double]]()
        var usedReal = [Complex]()
        for pole in ps {
            let isReal = abs(pole.im) <= 1e-14 * max(1, pole.magnitude)
            if isReal { usedReal.append(pole); continue }
            // Nearest zero and its partner (conjugate, or the next nearest real zero).
            var a = [1.0, -2 * pole.re, pole.re * pole.re + pole.im * pole.im]
            var b = [1.0, 0, 0]
            if let zi = zeros.indices.min(by: { (zeros[$0] - pole).magnitude < (zeros[$1] - pole).magnitude }) {
                let z1 = zeros.remove(at: zi)
                if abs(z1.im) > 1e-14 * max(1, z1.magnitude), let ci = zeros.indices.min(by: { (zeros[$0] - z1.conjugate).magnitude < (zeros[$1] - z1.conjugate).magnitude }) {
                    zeros.remove(at: ci)
                    b = [1, -2 * z1.re, z1.re * z1.re + z1.im * z1.im]
                } else if let ri = zeros.indices.min(by: { (zeros[$0] - pole).magnitude < (zeros[$1] - pole).magnitude }) {
                    let z2 = zeros.remove(at: ri)
                    b = [1, -(z1.re + z2.re), z1.re * z2.re]
                } else {
                    b = [1, -z1.re, 0]
                }
            }
            a = a.map { $0 }
            out.append(b + a)
        }
        // Real poles: paired two by two (one left alone for odd orders), with the remaining real zeros.
        var i = 0
        while i < usedReal.count {
            let p1 = usedReal[i].re
            let p2: Double? = i + 1 < usedReal.count ? usedReal[i + 1].re : nil
            var zr = [Double]()
            for _ in 0..<(p2 == nil ? 1 : 2) where !zeros.isEmpty { zr.append(zeros.removeFirst().re) }
            let a: [Double] = p2.map { [1, -(p1 + $0), p1 * $0] } ?? [1, -p1, 0]
            let b: [Double] = zr.count == 2 ? [1, -(zr[0] + zr[1]), zr[0] * zr[1]] : (zr.count == 1 ? [1, -zr[0], 0] : [1, 0, 0])
            out.insert(b + a, at: 0)
            i += 2
        }
        if !out.isEmpty { for j in 0..<3 { out[0][j] *= gain } }
        return out
    }

    /// Steady-state initial conditions of each section for a unit step (`scipy.signal.sosfilt_zi`).
    static func sosfiltZi(_ sos: [[Double]]) -> [[Double]] {
        var scale = 1.0
        return sos.map { s in
            let (b0, b1, b2, a0, a1, a2) = (s[0] / s[3], s[1] / s[3], s[2] / s[3], 1.0, s[4] / s[3], s[5] / s[3])
            _ = a0
            // Solve [[1+a1, −1], [a2, 1]] zi = [b1 − a1·b0, b2 − a2·b0].
            let r0 = b1 - a1 * b0, r1 = b2 - a2 * b0
            let det = (1 + a1) * 1 - (-1) * a2
            let z0 = (r0 * 1 + r1) / det
            let z1 = ((1 + a1) * r1 - a2 * r0) / det
            defer { scale *= (s[0] + s[1] + s[2]) / (s[3] + s[4] + s[5]) }
            return [scale * z0, scale * z1]
        }
    }

    /// Cascade of direct-form-II-transposed sections over `x` in place, starting from `zi` (updated).
    static func sosfilt(_ sos: [[Double]], _ x: inout [Double], zi: inout [[Double]]) {
        for (k, s) in sos.enumerated() {
            let (b0, b1, b2, a1, a2) = (s[0] / s[3], s[1] / s[3], s[2] / s[3], s[4] / s[3], s[5] / s[3])
            var z0 = zi[k][0], z1 = zi[k][1]
            for i in 0..<x.count {
                let xi = x[i]
                let y = b0 * xi + z0
                z0 = b1 * xi - a1 * y + z1
                z1 = b2 * xi - a2 * y
                x[i] = y
            }
            zi[k] = [z0, z1]
        }
    }

    /// Zero-phase forward-backward filtering of each row of `x` (`scipy.signal.sosfiltfilt`, padtype 'odd').
    public static func sosfiltfilt(_ sos: [[Double]], _ x: Matrix) throws -> Matrix {
        var taps = 2 * sos.count + 1
        taps -= min(sos.filter { $0[2] == 0 }.count, sos.filter { $0[5] == 0 }.count)
        let edge = 3 * taps
        guard x.cols > edge else {
            throw InputError(file: "", field: "samples", message: "\(x.cols) samples; zero-phase IIR filtering needs more than \(edge) (3 × filter taps)")
        }
        let zi = sosfiltZi(sos)
        let n = x.cols
        return x.mapRowsInParallel(outputColumns: n) { _, row, outRow in
            var ext = [Double]()
            ext.reserveCapacity(n + 2 * edge)
            for i in stride(from: edge, through: 1, by: -1) { ext.append(2 * row[0] - row[i]) }
            ext += Array(row)
            for i in stride(from: n - 2, through: n - edge - 1, by: -1) { ext.append(2 * row[n - 1] - row[i]) }
            var z = zi.map { $0.map { $0 * ext[0] } }
            sosfilt(sos, &ext, zi: &z)
            ext.reverse()
            z = zi.map { $0.map { $0 * ext[0] } }
            sosfilt(sos, &ext, zi: &z)
            ext.reverse()
            for i in 0..<n { outRow[i] = ext[edge + i] }
        }
    }
}

/// Rational resampling as `scipy.signal.resample_poly(x, up, down)` with its default Kaiser (β = 5) filter.
public enum Resampler {
    public static func resamplePoly(_ x: Matrix, up: Int, down: Int) throws -> Matrix {
        guard up >= 1, down >= 1 else { throw InputError(file: "", field: "up/down", message: "up and down must be ≥ 1, got \(up)/\(down)") }
        var g = up, r = down
        while r != 0 { (g, r) = (r, g % r) }
        let u = up / g, d = down / g
        if u == 1 && d == 1 { return x }
        let nIn = x.cols
        let nOut = (nIn * u) / d + ((nIn * u) % d == 0 ? 0 : 1)
        let maxRate = max(u, d)
        let halfLen = 10 * maxRate
        var h = try FIRDesign.firwin(numtaps: 2 * halfLen + 1, cutoffs: [1 / Double(maxRate)], window: .kaiser(beta: 5), sampleRate: 2)
        h = h.map { $0 * Double(u) }
        let pre = d - halfLen % d
        var post = 0
        let preRemove = (halfLen + pre) / d
        func outputLength(_ lenH: Int) -> Int { ((nIn - 1) * u + lenH - 1) / d + 1 }
        while outputLength(h.count + pre + post) < nOut + preRemove { post += 1 }
        h = [Double](repeating: 0, count: pre) + h + [Double](repeating: 0, count: post)
        let nh = h.count
        return x.mapRowsInParallel(outputColumns: nOut) { _, xin, outRow in
            for k in 0..<nOut {
                // y[k'] with k' = k + preRemove: Σ_j h[j]·xu[k'·d − j], xu[m] = x[m/u] when u divides m.
                let m = (k + preRemove) * d
                var j = m % u
                var acc = 0.0
                while j < nh {
                    let idx = (m - j) / u
                    if idx < 0 { break }
                    if idx < nIn { acc += h[j] * xin[idx] }
                    j += u
                }
                outRow[k] = acc
            }
        }
    }
}
