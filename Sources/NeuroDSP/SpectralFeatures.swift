import Foundation
import NeuroCore

/// A named frequency band [low, high) in Hz.
public struct FrequencyBand: Equatable, Sendable {
    public var name: String
    public var low: Double
    public var high: Double
    public init(_ name: String, _ low: Double, _ high: Double) { self.name = name; self.low = low; self.high = high }

    /// delta [1,4), theta [4,8), alpha [8,13), beta [13,30), gamma [30,45) Hz.
    public static let defaults = [FrequencyBand("delta", 1, 4), FrequencyBand("theta", 4, 8), FrequencyBand("alpha", 8, 13),
                                  FrequencyBand("beta", 13, 30), FrequencyBand("gamma", 30, 45)]

    /// Parses "name=lo-hi,name=lo-hi".
    public static func parse(_ text: String) throws -> [FrequencyBand] {
        try text.split(separator: ",").map { item in
            let kv = item.split(separator: "=", maxSplits: 1)
            let range = kv.count == 2 ? kv[1].split(separator: "-") : []
            guard kv.count == 2, range.count == 2, let lo = Double(range[0]), let hi = Double(range[1]), lo >= 0, hi > lo else {
                throw InputError(file: "", field: "bands", message: "\"\(item)\" is not name=low-high with 0 ≤ low < high (Hz)")
            }
            return FrequencyBand(String(kv[0]), lo, hi)
        }
    }
}

/// Spectral features of one power spectrum (`psd` over `freqs`, uniformly spaced). Conventions, recorded in
/// every output's metadata because yasa and mne-features differ: band power = Σ PSD(f)·Δf over bins with
/// low ≤ f < high (rectangle rule); relative power divides by the power over `totalRange` (default [1, 45) Hz).
public enum SpectralFeatures {
    public static let integrationRule = "rectangle: sum of PSD bins with low <= f < high, times the bin width"

    public static func bandPower(_ psd: ArraySlice<Double>, freqs: [Double], low: Double, high: Double) -> Double {
        guard freqs.count > 1 else { return .nan }
        let df = freqs[1] - freqs[0]
        var s = 0.0
        for (i, f) in freqs.enumerated() where f >= low && f < high { s += psd[psd.startIndex + i] }
        return s * df
    }

    /// Absolute band powers, and relative ones (divided by the power in `totalRange`).
    public static func bandPowers(_ psd: ArraySlice<Double>, freqs: [Double], bands: [FrequencyBand],
                                  totalRange: (Double, Double) = (1, 45)) -> (absolute: [Double], relative: [Double]) {
        let abs = bands.map { bandPower(psd, freqs: freqs, low: $0.low, high: $0.high) }
        let total = bandPower(psd, freqs: freqs, low: totalRange.0, high: totalRange.1)
        return (abs, abs.map { $0 / total })
    }

    /// Individual alpha frequency in [low, high] Hz: the peak bin's frequency and the centre of gravity Σf·P/ΣP.
    public static func alphaPeak(_ psd: ArraySlice<Double>, freqs: [Double], low: Double = 7, high: Double = 13) -> (peak: Double, centreOfGravity: Double) {
        let idx = freqs.indices.filter { freqs[$0] >= low && freqs[$0] <= high }
        guard let best = idx.max(by: { psd[psd.startIndex + $0] < psd[psd.startIndex + $1] }) else { return (.nan, .nan) }
        let num = idx.reduce(0.0) { $0 + freqs[$1] * psd[psd.startIndex + $1] }
        let den = idx.reduce(0.0) { $0 + psd[psd.startIndex + $1] }
        return (freqs[best], num / den)
    }

    /// Shannon entropy of the normalised spectrum over [low, high), divided by log(bins): 0 (one line) to 1 (flat).
    public static func spectralEntropy(_ psd: ArraySlice<Double>, freqs: [Double], low: Double = 1, high: Double = 45) -> Double {
        let v = freqs.indices.filter { freqs[$0] >= low && freqs[$0] < high }.map { psd[psd.startIndex + $0] }
        let total = v.reduce(0, +)
        guard v.count > 1, total > 0 else { return .nan }
        let h = v.reduce(0.0) { acc, p in p > 0 ? acc - (p / total) * log(p / total) : acc }
        return h / log(Double(v.count))
    }

    /// Aperiodic 1/f exponent χ (PSD ∝ f^−χ) by a Theil–Sen fit of log10 P on log10 f over [low, high) Hz:
    /// the median of pairwise slopes, robust to the alpha and beta peaks. Returns (exponent, offset).
    public static func aperiodicExponent(_ psd: ArraySlice<Double>, freqs: [Double], low: Double = 2, high: Double = 40) -> (exponent: Double, offset: Double) {
        let pts = freqs.indices.filter { freqs[$0] >= low && freqs[$0] < high && freqs[$0] > 0 && psd[psd.startIndex + $0] > 0 }
            .map { (log10(freqs[$0]), log10(psd[psd.startIndex + $0])) }
        guard pts.count >= 2 else { return (.nan, .nan) }
        var slopes = [Double]()
        slopes.reserveCapacity(pts.count * (pts.count - 1) / 2)
        for i in 0..<pts.count { for j in (i + 1)..<pts.count where pts[j].0 != pts[i].0 { slopes.append((pts[j].1 - pts[i].1) / (pts[j].0 - pts[i].0)) } }
        let slope = median(slopes)
        let offset = median(pts.map { $0.1 - slope * $0.0 })
        return (-slope, offset)
    }

    static func median(_ v: [Double]) -> Double { OrderStatistics.median(v) }

    /// One-sided amplitude (|X|·2/N, DC and Nyquist not doubled) and phase (radians) spectra of each row.
    public static func amplitudePhase(_ x: Matrix, sampleRate: Double) throws -> (freqs: [Double], amplitude: Matrix, phase: Matrix) {
        let n = x.cols
        let plan = try RealFFTPlan.shared(n: n)
        let nf = n / 2 + 1
        var amp = Matrix(rows: x.rows, cols: nf), ph = Matrix(rows: x.rows, cols: nf)
        for c in 0..<x.rows {
            let spec = plan.forward(Array(x.row(c)))
            for k in 0..<nf {
                let scale = (k == 0 || (n % 2 == 0 && k == nf - 1)) ? 1.0 : 2.0
                amp[c, k] = hypot(spec[k].re, spec[k].im) * scale / Double(n)
                ph[c, k] = atan2(spec[k].im, spec[k].re)
            }
        }
        return (WelchPSD.frequencies(nfft: n, sampleRate: sampleRate), amp, ph)
    }

    /// Phase lag index and weighted PLI between channel pairs over epochs, per frequency: from the Hann-tapered
    /// cross-spectrum S = X·conj(Y) of each epoch, PLI = |mean sign(Im S)|, wPLI = |mean Im S| / mean |Im S|.
    public static func phaseLagIndices(_ epochs: Epochs, pairs: [(Int, Int)]) throws -> (freqs: [Double], pli: [[Double]], wpli: [[Double]]) {
        let spectra = try EpochSpectra(epochs)
        let rows = pairs.map { spectra.pair($0.0, $0.1) }
        return (WelchPSD.frequencies(nfft: epochs.samples, sampleRate: epochs.sampleRate), rows.map(\.pli), rows.map(\.wpli))
    }

}

/// Fourier coefficients of every epoch and channel: mean removed, symmetric Hann window, real FFT of the epoch
/// length (mne-connectivity's `mode="fourier"`). Stored `[channels × freqs × trials]` so that per-pair sums over
/// trials read contiguous memory.
public struct EpochSpectra: Sendable {
    public let channels: Int, freqs: Int, trials: Int
    public private(set) var re: [Double], im: [Double]

    public init(_ epochs: Epochs) throws {
        let n = epochs.samples
        channels = epochs.channels; trials = epochs.trials; freqs = n / 2 + 1
        let plan = try RealFFTPlan.shared(n: n)
        let win = WindowFunction.hann.samples(n, periodic: false)
        re = [Double](repeating: 0, count: channels * freqs * trials)
        im = re
        var buffer = [Double](repeating: 0, count: n)
        for t in 0..<trials {
            for c in 0..<channels {
                let start = (t * channels + c) * n
                var mean = 0.0
                for k in 0..<n { mean += epochs.data[start + k] }
                mean /= Double(max(1, n))
                for k in 0..<n { buffer[k] = (epochs.data[start + k] - mean) * win[k] }
                for (f, z) in plan.forward(buffer).enumerated() {
                    re[(c * freqs + f) * trials + t] = z.re
                    im[(c * freqs + f) * trials + t] = z.im
                }
            }
        }
    }

    /// Per frequency, over epochs, for channels i and j with S = X·conj(Y): coh = |mean S| / √(mean|X|² mean|Y|²),
    /// imcoh = Im(mean S) / √(…), PLI = |mean sign(Im S)|, wPLI = |mean Im S| / mean |Im S| (0 when all Im S are 0).
    public func pair(_ i: Int, _ j: Int) -> (coh: [Double], imcoh: [Double], pli: [Double], wpli: [Double]) {
        var coh = [Double](repeating: 0, count: freqs), imcoh = coh, pli = coh, wpli = coh
        let T = trials
        re.withUnsafeBufferPointer { rb in
            im.withUnsafeBufferPointer { ib in
                for f in 0..<freqs {
                    let xi = (i * freqs + f) * T, yi = (j * freqs + f) * T
                    var sRe = 0.0, sIm = 0.0, pxx = 0.0, pyy = 0.0, signSum = 0.0, absSum = 0.0
                    for t in 0..<T {
                        let xr = rb[xi + t], xm = ib[xi + t], yr = rb[yi + t], ym = ib[yi + t]
                        let cross = xm * yr - xr * ym  // Im(X·conj(Y))
                        sRe += xr * yr + xm * ym; sIm += cross
                        pxx += xr * xr + xm * xm; pyy += yr * yr + ym * ym
                        signSum += cross > 0 ? 1 : (cross < 0 ? -1 : 0)
                        absSum += abs(cross)
                    }
                    let denom = (pxx * pyy).squareRoot()
                    coh[f] = denom > 0 ? (sRe * sRe + sIm * sIm).squareRoot() / denom : .nan
                    imcoh[f] = denom > 0 ? sIm / denom : .nan
                    pli[f] = abs(signSum) / Double(max(1, T))
                    wpli[f] = absSum > 0 ? abs(sIm) / absSum : 0
                }
            }
        }
        return (coh, imcoh, pli, wpli)
    }
}
