import Foundation
import NeuroCore

/// Band-averaged connectivity for every channel pair of a set of epochs, as mne-connectivity's
/// `spectral_connectivity_epochs(mode="fourier", faverage=True)` with methods coh, imcoh, pli, wpli.
public enum BandConnectivity {
    public struct Row: Sendable, Equatable {
        public var channelA: String, channelB: String, band: String
        /// Means over the frequency bins f with low ≤ f ≤ high (MNE's band rule); NaN when the band holds no bin.
        public var coh: Double, imcoh: Double, pli: Double, wpli: Double
    }

    /// Rows for pairs i < j in channel order, each band in turn. Frequency resolution is 1 / epoch length.
    public static func compute(_ epochs: Epochs, bands: [FrequencyBand]) throws -> [Row] {
        let c = epochs.channels
        let spectra = try SpectralFeatures.epochSpectra(epochs)
        let freqs = WelchPSD.frequencies(nfft: epochs.samples, sampleRate: epochs.sampleRate)
        let bins = bands.map { b in freqs.indices.filter { freqs[$0] >= b.low && freqs[$0] <= b.high } }
        func mean(_ v: [Double], _ idx: [Int]) -> Double { idx.isEmpty ? .nan : idx.reduce(0.0) { $0 + v[$1] } / Double(idx.count) }
        var rows = [Row]()
        for i in 0..<c {
            for j in (i + 1)..<max(i + 1, c) {
                let s = SpectralFeatures.pairSpectra(spectra, i, j)
                for (b, idx) in zip(bands, bins) {
                    rows.append(Row(channelA: epochs.channelNames[i], channelB: epochs.channelNames[j], band: b.name,
                                    coh: mean(s.coh, idx), imcoh: mean(s.imcoh, idx), pli: mean(s.pli, idx), wpli: mean(s.wpli, idx)))
                }
            }
        }
        return rows
    }
}
