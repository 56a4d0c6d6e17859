import Foundation
import NeuroCore

/// Band-averaged connectivity for every channel pair of a set of epochs: coherence and imaginary coherency from
/// cross-spectra averaged over epochs, PLI and wPLI over epochs (SpectralFeatures.phaseLagIndices).
public enum BandConnectivity {
    public struct Row: Sendable, Equatable {
        public var channelA: String, channelB: String, band: String
        /// Mean over the band's frequency bins [low, high); NaN when the band holds no bin.
        public var coherence: Double, imaginaryCoherency: Double, pli: Double, wpli: Double
    }

    /// Rows for pairs i < j in channel order, each band in turn. Frequency resolution is 1 / epoch length.
    public static func compute(_ epochs: Epochs, bands: [FrequencyBand]) throws -> [Row] {
        let c = epochs.channels, n = epochs.samples
        let pairs = (0..<c).flatMap { i in ((i + 1)..<c).map { (i, $0) } }
        let (pf, pli, wpli) = try SpectralFeatures.phaseLagIndices(epochs, pairs: pairs)
        // Epochs laid end to end, Welch with one Hann segment per epoch and no overlap: no segment crosses an epoch
        // boundary, so this is the epoch-averaged cross-spectrum (MNE's averaging), not a mean of per-epoch coherences.
        var joined = Matrix(rows: c, cols: n * epochs.trials)
        for t in 0..<epochs.trials {
            for ch in 0..<c {
                let src = (t * c + ch) * n
                for s in 0..<n { joined.storage[ch * joined.cols + t * n + s] = epochs.data[src + s] }
            }
        }
        var settings = WelchSettings()
        settings.nperseg = n
        settings.noverlap = 0
        let (freqs, coh, imag) = try WelchPSD.coherence(joined, sampleRate: epochs.sampleRate, pairs: pairs, settings: settings)
        func bandMean(_ v: [Double], _ f: [Double], _ b: FrequencyBand) -> Double {
            let idx = f.indices.filter { f[$0] >= b.low && f[$0] < b.high }
            return idx.isEmpty ? .nan : idx.reduce(0.0) { $0 + v[$1] } / Double(idx.count)
        }
        return pairs.enumerated().flatMap { k, p in
            bands.map { b in
                Row(channelA: epochs.channelNames[p.0], channelB: epochs.channelNames[p.1], band: b.name,
                    coherence: bandMean(coh[k], freqs, b), imaginaryCoherency: bandMean(imag[k], freqs, b),
                    pli: bandMean(pli[k], pf, b), wpli: bandMean(wpli[k], pf, b))
            }
        }
    }
}
