import CLapacke
import Foundation
import NeuroCore

/// Discrete prolate spheroidal sequences and multitaper spectra, as `scipy.signal.windows.dpss` and
/// `mne.time_frequency.psd_array_multitaper(adaptive=False)` compute them.
public enum Multitaper {
    /// `kmax` DPSS tapers of length `n` with time-half-bandwidth `nw` (periodic, `sym=False`, unit energy) and their
    /// spectral concentration ratios, from LAPACK's tridiagonal eigensolver (`dstevr`).
    public static func dpss(n: Int, nw: Double, kmax: Int) throws -> (tapers: [[Double]], ratios: [Double]) {
        guard n > 1 else { return ([[1]], [1]) }
        let m = n + 1  // sym=False: compute M+1 points, drop the last
        let k = min(kmax, m)
        let w = nw / Double(m)
        var d = (0..<m).map { i -> Double in let a = (Double(m - 1) - 2 * Double(i)) / 2; return a * a * cos(2 * .pi * w) }
        var e = (1..<m).map { Double($0) * Double(m - $0) / 2 } + [0]
        var found: Int32 = 0
        var values = [Double](repeating: 0, count: m)
        var vectors = [Double](repeating: 0, count: m * k)
        var support = [Int32](repeating: 0, count: 2 * k)
        let info = LAPACKE_dstevr(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "I")), Int32(m), &d, &e, 0, 0,
                                  Int32(m - k + 1), Int32(m), 0, &found, &values, &vectors, Int32(m), &support)
        guard info == 0, found == Int32(k) else { throw RuntimeFailure(context: "LAPACKE_dstevr", message: "DPSS eigenproblem failed (info \(info))") }
        // Largest eigenvalue first.
        var windows = (0..<k).reversed().map { j in Array(vectors[(j * m)..<((j + 1) * m)]) }
        for i in stride(from: 0, to: k, by: 2) where windows[i].reduce(0, +) < 0 { windows[i] = windows[i].map { -$0 } }
        let thresh = max(1e-7, 1 / Double(m))
        for i in stride(from: 1, to: k, by: 2) {
            if let first = windows[i].first(where: { $0 * $0 > thresh }), first < 0 { windows[i] = windows[i].map { -$0 } }
        }
        // Concentration ratios from each taper's autocorrelation (Percival & Walden p. 390).
        var r = (0..<m).map { i -> Double in i == 0 ? 2 * w : 4 * w * FIRDesign.sinc(2 * w * Double(i)) }
        r[0] = 2 * w
        let ratios = try windows.map { win -> Double in
            let acf = try autocorrelation(win)
            return zip(acf, r).reduce(0) { $0 + $1.0 * $1.1 }
        }
        return (windows.map { Array($0.dropLast()) }, ratios)
    }

    /// Σ_j x[j]·x[j+lag] for lag 0..<n, through a zero-padded FFT.
    static func autocorrelation(_ x: [Double]) throws -> [Double] {
        let n = x.count
        var size = 1
        while size < 2 * n - 1 { size <<= 1 }
        let f = try RealFFTPlan.shared(n: size), inv = try InverseRealFFTPlan.shared(n: size)
        var buf = x + [Double](repeating: 0, count: size - n)
        var spec = [Double](repeating: 0, count: 2 * (size / 2 + 1))
        buf.withUnsafeMutableBufferPointer { i in spec.withUnsafeMutableBufferPointer { o in f.execute(i.baseAddress!, o.baseAddress!) } }
        for j in 0..<(size / 2 + 1) { spec[2 * j] = (spec[2 * j] * spec[2 * j] + spec[2 * j + 1] * spec[2 * j + 1]) / Double(size); spec[2 * j + 1] = 0 }
        var out = [Double](repeating: 0, count: size)
        spec.withUnsafeMutableBufferPointer { i in out.withUnsafeMutableBufferPointer { o in inv.execute(i.baseAddress!, o.baseAddress!) } }
        return Array(out.prefix(n))
    }

    public enum Normalization: String, Sendable { case length, full }

    /// Multitaper PSD of each row of `x` (`[channels × samples]`), non-adaptive: DC removed, DPSS with half-bandwidth
    /// `bandwidth·n/(2·sfreq)` (default 4), tapers with concentration ≤ 0.9 dropped (low_bias), spectra combined
    /// with the concentration ratios as weights; `full` normalisation divides by sfreq (MNE's default is `length`).
    public static func psd(_ x: Matrix, sampleRate fs: Double, bandwidth: Double? = nil, normalization: Normalization = .length,
                           fmin: Double = 0, fmax: Double = .infinity) throws -> (freqs: [Double], psd: Matrix) {
        let n = x.cols
        let halfNBW = bandwidth.map { $0 * Double(n) / (2 * fs) } ?? 4
        guard halfNBW >= 0.5 else {
            throw InputError(file: "", field: "bandwidth", message: "gives a normalised half-bandwidth \(halfNBW) < 0.5; use at least \(fs / Double(n)) Hz")
        }
        var (tapers, ratios) = try dpss(n: n, nw: halfNBW, kmax: Int(2 * halfNBW))
        let keep = ratios.indices.filter { ratios[$0] > 0.9 }
        let chosen = keep.isEmpty ? [ratios.indices.max { ratios[$0] < ratios[$1] }!] : keep
        tapers = chosen.map { tapers[$0] }
        ratios = chosen.map { ratios[$0] }
        let allFreqs = WelchPSD.frequencies(nfft: n, sampleRate: fs)
        let cols = allFreqs.indices.filter { allFreqs[$0] >= fmin && allFreqs[$0] <= fmax }
        let plan = try RealFFTPlan.shared(n: n)
        let weightSum = ratios.reduce(0, +)
        let nf = n / 2 + 1
        let (finalTapers, finalRatios) = (tapers, ratios)
        return (cols.map { allFreqs[$0] }, x.mapRowsInParallel(outputColumns: cols.count) { _, row, outRow in
            let mean = row.reduce(0, +) / Double(n)
            var acc = [Double](repeating: 0, count: nf)
            var buf = [Double](repeating: 0, count: n), spec = [Double](repeating: 0, count: 2 * nf)
            for (t, taper) in finalTapers.enumerated() {
                for i in 0..<n { buf[i] = (row[i] - mean) * taper[i] }
                buf.withUnsafeMutableBufferPointer { i in spec.withUnsafeMutableBufferPointer { o in plan.execute(i.baseAddress!, o.baseAddress!) } }
                for f in 0..<nf { acc[f] += finalRatios[t] * (spec[2 * f] * spec[2 * f] + spec[2 * f + 1] * spec[2 * f + 1]) }
            }
            acc[0] /= 2
            if n % 2 == 0 { acc[nf - 1] /= 2 }
            for (j, f) in cols.enumerated() {
                var v = acc[f] * 2 / weightSum
                if normalization == .full { v /= fs }
                outRow[j] = v
            }
        })
    }
}
