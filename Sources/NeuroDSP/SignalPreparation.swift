import Foundation
import NeuroCore

/// Turning a recording into the `[channels × samples]` matrix DSP works on, and the filters the CLI offers.
public enum SignalPreparation {
    /// The chosen channels (patterns; default every channel that is not a trigger/stim channel) as one matrix.
    /// Throws when they have different sampling rates (pick channels of one rate with `patterns`).
    public static func matrix(_ rec: Recording, patterns: [String]? = nil) throws -> (x: Matrix, sampleRate: Double, names: [String], units: [String]) {
        let labels = rec.signal.channels.map(\.label)
        let idx = try patterns.map { try ChannelOps.select($0, from: labels) }
            ?? labels.indices.filter { ChannelType.infer(label: labels[$0]) != .stim }
        guard !idx.isEmpty else { throw InputError(file: "", field: "channels", message: "no data channels to process") }
        let rates = Set(idx.map { rec.signal.channels[$0].sampleRate })
        guard rates.count == 1, let fs = rates.first, fs > 0 else {
            throw InputError(file: "", field: "channels", message: "channels have different sampling rates \(rates.sorted()) Hz; choose channels of one rate with --channels")
        }
        let n = rec.signal.counts[idx[0]]
        var storage = [Double]()
        storage.reserveCapacity(idx.count * n)
        for i in idx { storage += rec.signal.channel(i) }
        return (Matrix(rows: idx.count, cols: n, storage: storage), fs, idx.map { labels[$0] }, idx.map { rec.signal.channels[$0].unit })
    }

    public enum FilterMethod: String, Sendable, CaseIterable { case fir, iir }

    /// Notch at `notch` Hz and its harmonics below Nyquist, then high-/low-/band-pass. FIR: MNE's default designs
    /// (zero phase). IIR: Butterworth of `order` applied forward-backward (zero phase, effective order doubled);
    /// the notch becomes an order-2 band-stop over f ± 1 Hz.
    public static func filter(_ x: Matrix, sampleRate fs: Double, lFreq: Double?, hFreq: Double?, notch: Double?,
                              method: FilterMethod = .fir, order: Int = 4) throws -> (Matrix, [(String, JSONValue)]) {
        var y = x
        var notes = [(String, JSONValue)]()
        notes.append(("filter_method", .string(method.rawValue)))
        if let f0 = notch {
            let harmonics = stride(from: f0, to: fs / 2, by: f0).filter { $0 + 1 < fs / 2 }
            guard !harmonics.isEmpty else { throw InputError(file: "", field: "notch", message: "\(f0) Hz is not below Nyquist (\(fs / 2) Hz)") }
            if method == .fir {
                y = try ZeroPhaseFIR.apply(try FIRDesign.mneNotch(sampleRate: fs, freqs: harmonics), to: y)
            } else {
                for h in harmonics { y = try IIRFilter.sosfiltfilt(try IIRFilter.butterworth(order: 2, cutoffs: [h - 1, h + 1], kind: .bandstop, sampleRate: fs), y) }
            }
            notes.append(("notch_hz", .array(harmonics.map { .number($0) })))
        }
        if lFreq != nil || hFreq != nil {
            if method == .fir {
                let h = try FIRDesign.mneFilter(sampleRate: fs, lFreq: lFreq, hFreq: hFreq)
                y = try ZeroPhaseFIR.apply(h, to: y)
                notes.append(("fir_length", .int(h.count)))
                notes.append(("fir_design", .string("MNE default: firwin, hamming, auto transition bandwidths, zero phase, reflect_limited padding")))
            } else {
                let (cut, kind): ([Double], IIRFilter.Kind) = switch (lFreq, hFreq) {
                case let (l?, h?): ([l, h], .bandpass)
                case let (l?, nil): ([l], .highpass)
                default: ([hFreq!], .lowpass)
                }
                y = try IIRFilter.sosfiltfilt(try IIRFilter.butterworth(order: order, cutoffs: cut, kind: kind, sampleRate: fs), y)
                notes.append(("iir", .string("Butterworth order \(order), sosfiltfilt (zero phase, odd padding)")))
            }
            notes.append(("l_freq", lFreq.map { .number($0) } ?? .null))
            notes.append(("h_freq", hFreq.map { .number($0) } ?? .null))
        }
        return (y, notes)
    }

    /// Writes a filtered matrix back into a recording (same channels, rates and annotations).
    public static func replacing(_ rec: Recording, names: [String], with x: Matrix) -> Recording {
        var out = rec
        let picked = names.map { n in rec.signal.channels.first { $0.label == n }! }
        out.signal = MultichannelSignal(channels: picked, matrix: x)
        return out
    }
}
