import Foundation
import NeuroCore

/// Settings of Welch's method, with `scipy.signal.welch`'s meanings and defaults.
public struct WelchSettings: Equatable, Sendable {
    public enum Detrend: String, Sendable { case constant, linear, none }
    public enum Scaling: String, Sendable { case density, spectrum }
    public enum Average: String, Sendable { case mean, median }

    public var window: WindowFunction = .hann
    /// Samples per segment; nil = 256 (SciPy's default), capped at the signal length.
    public var nperseg: Int? = nil
    /// Overlap in samples; nil = nperseg / 2.
    public var noverlap: Int? = nil
    /// FFT length (zero padding); nil = nperseg.
    public var nfft: Int? = nil
    public var detrend: Detrend = .constant
    public var scaling: Scaling = .density
    public var average: Average = .mean

    public init() {}

    /// The settings resolved for a signal of `length` samples, as SciPy resolves them (nperseg capped at the length).
    public func resolved(length: Int) throws -> (nperseg: Int, noverlap: Int, nfft: Int) {
        var seg = nperseg ?? 256
        if seg > length { seg = length }
        guard seg >= 1 else { throw InputError(file: "", field: "nperseg", message: "the signal has no samples") }
        let overlap = noverlap ?? seg / 2
        guard overlap >= 0, overlap < seg else {
            throw InputError(file: "", field: "noverlap", message: "got \(overlap); expected 0 ≤ noverlap < nperseg (\(seg))")
        }
        let n = nfft ?? seg
        guard n >= seg else { throw InputError(file: "", field: "nfft", message: "got \(n); expected nfft ≥ nperseg (\(seg))") }
        return (seg, overlap, n)
    }
}

/// One-sided power spectra by Welch's method, numerically as `scipy.signal.welch` / `csd` / `coherence`.
public enum WelchPSD {
    /// Frequencies of the one-sided spectrum, `[nfft/2 + 1]` Hz.
    public static func frequencies(nfft: Int, sampleRate: Double) -> [Double] {
        (0...(nfft / 2)).map { Double($0) * sampleRate / Double(nfft) }
    }

    /// Per-channel spectra of `signal` `[channels × samples]` sampled at `sampleRate` Hz:
    /// `psd` `[channels × freqs]` (unit²/Hz for density, unit² for spectrum) and `freqs` `[freqs]` Hz.
    public static func compute(_ signal: Matrix, sampleRate: Double, settings: WelchSettings = WelchSettings()) throws -> (freqs: [Double], psd: Matrix) {
        let (seg, _, nfft) = try settings.resolved(length: signal.cols)
        let win = settings.window.samples(seg)
        let scale = settings.scaling == .density ? 1 / (sampleRate * win.reduce(0) { $0 + $1 * $1 }) : 1 / pow(win.reduce(0, +), 2)
        let nf = nfft / 2 + 1
        var out = Matrix(rows: signal.rows, cols: nf)
        // Each channel's segment spectra are reduced to its PSD at once, so memory stays at one channel per core.
        try out.storage.withUnsafeMutableBufferPointer { ob in
            let dst = UncheckedSendableBox(ob.baseAddress!)
            try forEachChannelSpectra(signal, settings: settings) { c, s in
                var power = [Double](repeating: 0, count: s.segments * nf)
                for k in 0..<(s.segments * nf) { power[k] = (s.values[2 * k] * s.values[2 * k] + s.values[2 * k + 1] * s.values[2 * k + 1]) * scale }
                onesided(&power, segments: s.segments, nfft: nfft)
                let avg = average(power, segments: s.segments, bins: nf, how: settings.average)
                for f in 0..<nf { dst.value[c * nf + f] = avg[f] }
            }
        }
        return (frequencies(nfft: nfft, sampleRate: sampleRate), out)
    }

    /// Cross spectral density of every pair (x = row i, y = row j) as `scipy.signal.csd(x, y)`: conj(X)·Y, scaled
    /// and averaged like the PSD. Returns `[pairs][freqs]` of (re, im) for the requested `pairs`.
    public static func crossSpectra(_ signal: Matrix, sampleRate: Double, pairs: [(Int, Int)],
                                    settings: WelchSettings = WelchSettings()) throws -> (freqs: [Double], csd: [[(re: Double, im: Double)]]) {
        // Only the channels some pair needs are transformed and kept.
        let needed = Set(pairs.flatMap { [$0.0, $0.1] })
        var spectra = [Int: SegmentSpectra]()
        let lock = Lock()
        try forEachChannelSpectra(signal, settings: settings, only: needed) { c, s in lock.withLock { spectra[c] = s } }
        let (seg, _, nfft) = try settings.resolved(length: signal.cols)
        let win = settings.window.samples(seg)
        let scale = settings.scaling == .density ? 1 / (sampleRate * win.reduce(0) { $0 + $1 * $1 }) : 1 / pow(win.reduce(0, +), 2)
        let nf = nfft / 2 + 1
        var result = [[(re: Double, im: Double)]]()
        for (i, j) in pairs {
            let a = spectra[i]!, b = spectra[j]!
            var re = [Double](repeating: 0, count: a.segments * nf), im = re
            for k in 0..<(a.segments * nf) {
                let (xr, xi, yr, yi) = (a.values[2 * k], a.values[2 * k + 1], b.values[2 * k], b.values[2 * k + 1])
                re[k] = (xr * yr + xi * yi) * scale      // conj(X)·Y
                im[k] = (xr * yi - xi * yr) * scale
            }
            onesided(&re, segments: a.segments, nfft: nfft)
            onesided(&im, segments: a.segments, nfft: nfft)
            let r = average(re, segments: a.segments, bins: nf, how: settings.average)
            let m = average(im, segments: a.segments, bins: nf, how: settings.average)
            result.append((0..<nf).map { (r[$0], m[$0]) })
        }
        return (frequencies(nfft: nfft, sampleRate: sampleRate), result)
    }

    /// Magnitude-squared coherence |Pxy|²/(Pxx·Pyy) (`scipy.signal.coherence`) and imaginary coherency
    /// Im(Pxy)/√(Pxx·Pyy) for each pair, `[pairs][freqs]`.
    public static func coherence(_ signal: Matrix, sampleRate: Double, pairs: [(Int, Int)], settings: WelchSettings = WelchSettings())
        throws -> (freqs: [Double], msc: [[Double]], imaginary: [[Double]]) {
        let (freqs, psd) = try compute(signal, sampleRate: sampleRate, settings: settings)
        let (_, csd) = try crossSpectra(signal, sampleRate: sampleRate, pairs: pairs, settings: settings)
        var msc = [[Double]](), imag = [[Double]]()
        for (p, (i, j)) in pairs.enumerated() {
            msc.append(freqs.indices.map { f in
                let c = csd[p][f]
                return (c.re * c.re + c.im * c.im) / (psd[i, f] * psd[j, f])
            })
            imag.append(freqs.indices.map { f in csd[p][f].im / (psd[i, f] * psd[j, f]).squareRoot() })
        }
        return (freqs, msc, imag)
    }

    /// Doubles every bin except DC (and Nyquist for even nfft), as SciPy's one-sided spectra.
    static func onesided(_ v: inout [Double], segments: Int, nfft: Int) {
        let nf = nfft / 2 + 1
        let last = nfft % 2 == 0 ? nf - 1 : nf
        for s in 0..<segments { for f in 1..<last { v[s * nf + f] *= 2 } }
    }

    /// Mean over segments, or median divided by SciPy's `_median_bias(n)` (median of χ²₂ relative to its mean).
    static func average(_ v: [Double], segments: Int, bins: Int, how: WelchSettings.Average) -> [Double] {
        guard segments > 0 else { return [Double](repeating: .nan, count: bins) }
        if how == .mean {
            return (0..<bins).map { f in (0..<segments).reduce(0.0) { $0 + v[$1 * bins + f] } / Double(segments) }
        }
        var bias = 1.0
        let k = (segments - 1) / 2
        if k >= 1 { for i in 1...k { let ii = Double(2 * i); bias += 1 / (ii + 1) - 1 / ii } }
        return (0..<bins).map { f in
            let column = (0..<segments).map { v[$0 * bins + f] }.sorted()
            let m = column.count % 2 == 1 ? column[column.count / 2] : (column[column.count / 2 - 1] + column[column.count / 2]) / 2
            return m / bias
        }
    }

    struct SegmentSpectra { let segments: Int; let values: [Double] }  // [segments × (nfft/2+1)] interleaved complex

    /// Calls `body(channel, spectra)` (possibly concurrently) with the detrended, windowed, zero-padded segments of
    /// each channel (or those in `only`) transformed in one batched FFT per channel.
    static func forEachChannelSpectra(_ signal: Matrix, settings: WelchSettings, only: Set<Int>? = nil,
                                      _ body: (Int, SegmentSpectra) -> Void) throws {
        let n = signal.cols
        let (seg, overlap, nfft) = try settings.resolved(length: n)
        let step = seg - overlap
        let nseg = (n - overlap) / step
        guard nseg >= 1 else { throw InputError(file: "", field: "nperseg", message: "no complete segment of \(seg) samples in \(n)") }
        let win = settings.window.samples(seg)
        let plan = try RealFFTPlan.shared(n: nfft, howMany: nseg)
        let nf = nfft / 2 + 1
        let channels = only.map { Array($0).sorted() } ?? Array(0..<signal.rows)
        signal.storage.withUnsafeBufferPointer { data in
            let src = UncheckedSendableBox(data)
            parallelFor(channels.count) { k in
                let c = channels[k]
                var input = [Double](repeating: 0, count: nseg * nfft)
                var output = [Double](repeating: 0, count: nseg * nf * 2)
                var segment = [Double](repeating: 0, count: seg)
                for s in 0..<nseg {
                    let start = c * n + s * step
                    for i in 0..<seg { segment[i] = src.value[start + i] }
                    detrend(&segment, settings.detrend)
                    for i in 0..<seg { input[s * nfft + i] = segment[i] * win[i] }
                }
                input.withUnsafeMutableBufferPointer { i in output.withUnsafeMutableBufferPointer { o in plan.execute(i.baseAddress!, o.baseAddress!) } }
                body(c, SegmentSpectra(segments: nseg, values: output))
            }
        }
    }

    /// Removes the mean (constant) or the least-squares line (linear), as `scipy.signal.detrend`.
    public static func detrend(_ x: inout [Double], _ how: WelchSettings.Detrend) {
        let n = x.count
        guard n > 0 else { return }
        switch how {
        case .none: return
        case .constant:
            let m = x.reduce(0, +) / Double(n)
            for i in 0..<n { x[i] -= m }
        case .linear:
            guard n > 1 else { x[0] = 0; return }
            let tm = Double(n - 1) / 2
            let xm = x.reduce(0, +) / Double(n)
            var sxy = 0.0, sxx = 0.0
            for i in 0..<n { let d = Double(i) - tm; sxy += d * (x[i] - xm); sxx += d * d }
            let slope = sxy / sxx
            for i in 0..<n { x[i] -= xm + slope * (Double(i) - tm) }
        }
    }
}

extension WelchPSD {
    /// Welch PSD of data made of contiguous `segments` (concatenated in `signal`): each segment at least nperseg
    /// long is analysed on its own and the results averaged weighted by their window counts, so no window straddles
    /// a gap — the mean over all windows that fit, as MNE computes spectra with bad spans excluded. One segment or
    /// none = `compute(signal, …)`. Mean averaging only.
    public static func compute(_ signal: Matrix, sampleRate: Double, settings: WelchSettings, segments: [Segment]) throws -> (freqs: [Double], psd: Matrix) {
        guard segments.count > 1 else { return try compute(signal, sampleRate: sampleRate, settings: settings) }
        let spans = segments.map { Int(($0.dataOffset * sampleRate).rounded())..<min(signal.cols, Int((($0.dataOffset + $0.duration) * sampleRate).rounded())) }
        let longest = spans.map(\.count).max() ?? 0
        let (seg, overlap, _) = try settings.resolved(length: longest)
        var fixed = settings
        fixed.nperseg = seg
        fixed.noverlap = overlap
        var total: Matrix? = nil, freqs = [Double](), windows = 0
        for span in spans where span.count >= seg {
            let part = Matrix(rows: signal.rows, cols: span.count, storage: (0..<signal.rows).flatMap { c in signal.storage[(c * signal.cols + span.lowerBound)..<(c * signal.cols + span.upperBound)] })
            let (f, p) = try compute(part, sampleRate: sampleRate, settings: fixed)
            let count = 1 + (span.count - seg) / (seg - overlap)
            if total == nil { total = Matrix(rows: p.rows, cols: p.cols) }
            for k in 0..<p.storage.count { total!.storage[k] += Double(count) * p.storage[k] }
            freqs = f
            windows += count
        }
        guard var total else {
            throw InputError(file: "", field: "segments", message: "no segment is as long as one Welch window (\(seg) samples); the longest has \(longest)")
        }
        for k in 0..<total.storage.count { total.storage[k] /= Double(windows) }
        return (freqs, total)
    }
}
