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
        let spectra = try EpochSpectra(epochs)
        let freqs = WelchPSD.frequencies(nfft: epochs.samples, sampleRate: epochs.sampleRate)
        let bins = bands.map { b in freqs.indices.filter { freqs[$0] >= b.low && freqs[$0] <= b.high } }
        func mean(_ v: [Double], _ idx: [Int]) -> Double { idx.isEmpty ? .nan : idx.reduce(0.0) { $0 + v[$1] } / Double(idx.count) }
        let pairs = (0..<epochs.channels).flatMap { i in ((i + 1)..<epochs.channels).map { (i, $0) } }
        // Pairs in parallel; each writes its own slots [pair × band × 4].
        var values = [Double](repeating: 0, count: pairs.count * bands.count * 4)
        values.withUnsafeMutableBufferPointer { vb in
            let out = UncheckedSendableBox(vb)
            parallelFor(pairs.count) { k in
                let s = spectra.pair(pairs[k].0, pairs[k].1)
                for (b, idx) in bins.enumerated() {
                    let o = (k * bins.count + b) * 4
                    out.value[o] = mean(s.coh, idx); out.value[o + 1] = mean(s.imcoh, idx)
                    out.value[o + 2] = mean(s.pli, idx); out.value[o + 3] = mean(s.wpli, idx)
                }
            }
        }
        return pairs.enumerated().flatMap { k, p in
            bands.enumerated().map { b, band in
                let o = (k * bands.count + b) * 4
                return Row(channelA: epochs.channelNames[p.0], channelB: epochs.channelNames[p.1], band: band.name,
                           coh: values[o], imcoh: values[o + 1], pli: values[o + 2], wpli: values[o + 3])
            }
        }
    }
}
