import Foundation
import NeuroCore

/// FIR design as `scipy.signal.firwin` and MNE's default FIR filters (`mne.filter.create_filter`, firwin design).
public enum FIRDesign {
    /// numpy's sinc: sin(πx)/(πx), 1 at 0.
    static func sinc(_ x: Double) -> Double {
        let y = Double.pi * (x == 0 ? 1e-20 : x)
        return sin(y) / y
    }

    /// `scipy.signal.firwin(numtaps, cutoff, window=…, pass_zero=…, scale=True, fs=…)`; cutoffs in Hz, increasing.
    public static func firwin(numtaps: Int, cutoffs: [Double], window: WindowFunction = .hamming, passZero: Bool = true,
                              sampleRate fs: Double) throws -> [Double] {
        let nyq = fs / 2
        let c = cutoffs.map { $0 / nyq }
        guard !c.isEmpty, c.min()! > 0, c.max()! < 1, zip(c, c.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw InputError(file: "", field: "cutoff", message: "cutoffs \(cutoffs) Hz must increase strictly inside (0, \(nyq)) Hz")
        }
        let passNyquist = (c.count % 2 == 1) != passZero
        guard !(passNyquist && numtaps % 2 == 0) else {
            throw InputError(file: "", field: "numtaps", message: "\(numtaps) taps: a filter passing Nyquist needs an odd length")
        }
        let edges = (passZero ? [0.0] : []) + c + (passNyquist ? [1.0] : [])
        let alpha = 0.5 * Double(numtaps - 1)
        let m = (0..<numtaps).map { Double($0) - alpha }
        var h = [Double](repeating: 0, count: numtaps)
        for b in stride(from: 0, to: edges.count, by: 2) {
            let (left, right) = (edges[b], edges[b + 1])
            for i in 0..<numtaps { h[i] += right * sinc(right * m[i]); h[i] -= left * sinc(left * m[i]) }
        }
        let w = window.samples(numtaps, periodic: false)
        for i in 0..<numtaps { h[i] *= w[i] }
        let (left, right) = (edges[0], edges[1])
        let f = left == 0 ? 0.0 : (right == 1 ? 1.0 : 0.5 * (left + right))
        var s = 0.0
        for i in 0..<numtaps { s += h[i] * cos(Double.pi * m[i] * f) }
        return h.map { $0 / s }
    }

    /// MNE's window length factors (transition bandwidth × factor = filter duration).
    static let lengthFactor: [String: Double] = ["hann": 3.1, "hamming": 3.3]

    /// A zero-phase FIR filter designed as MNE's `create_filter(..., method='fir', fir_design='firwin')`:
    /// high-pass (`lFreq` only), low-pass (`hFreq` only), band-pass (`lFreq < hFreq`). Transition bandwidths
    /// default to MNE's "auto" rule; the length to ⌈3.3 / min(transition) · sfreq⌉, made odd (hamming).
    public static func mneFilter(sampleRate sfreq: Double, lFreq: Double?, hFreq: Double?,
                                 lTransition: Double? = nil, hTransition: Double? = nil,
                                 window: WindowFunction = .hamming) throws -> [Double] {
        let nyq = sfreq / 2
        var freq = [Double](), gain = [Double]()
        var transitions = [Double]()
        if let h = hFreq, h >= nyq { throw InputError(file: "", field: "h_freq", message: "\(h) Hz must be below Nyquist (\(nyq) Hz)") }
        if let l = lFreq, l <= 0 { throw InputError(file: "", field: "l_freq", message: "\(l) Hz must be greater than zero") }
        let lt = lFreq.map { l in lTransition ?? min(max(0.25 * l, 2), l) }
        let ht = hFreq.map { h in hTransition ?? min(max(0.25 * h, 2), nyq - h) }
        switch (lFreq, hFreq) {
        case (nil, nil):
            throw InputError(file: "", field: "l_freq", message: "give a high-pass and/or a low-pass frequency")
        case (nil, let h?):
            let fs = h + ht!
            freq = [0, h, fs]; gain = [1, 1, 0]
            if fs != nyq { freq.append(nyq); gain.append(0) }
            transitions = [ht!]
        case (let l?, nil):
            let stop = l - lt!
            freq = [stop, l, nyq]; gain = [0, 1, 1]
            if stop != 0 { freq.insert(0, at: 0); gain.insert(0, at: 0) }
            transitions = [lt!]
        case (let l?, let h?):
            guard l < h else { throw InputError(file: "", field: "l_freq", message: "band-pass needs l_freq (\(l)) < h_freq (\(h)); for a band-stop use notch") }
            let s1 = l - lt!, s2 = h + ht!
            freq = [s1, l, h, s2]; gain = [0, 1, 1, 0]
            if s2 != nyq { freq.append(nyq); gain.append(0) }
            if s1 != 0 { freq.insert(0, at: 0); gain.insert(0, at: 0) }
            transitions = [lt!, ht!]
        }
        if freq.first! < 0 { throw InputError(file: "", field: "l_trans_bandwidth", message: "lower stop frequency \(freq.first!) Hz is negative") }
        if freq.last! > nyq { throw InputError(file: "", field: "h_trans_bandwidth", message: "upper stop frequency \(freq.last!) Hz exceeds Nyquist") }
        let length = try mneLength(sampleRate: sfreq, minTransition: transitions.min()!, window: window)
        return try compositeFirwin(length: length, freq: freq.map { $0 / nyq }, gain: gain, window: window, sampleRate: sfreq)
    }

    /// MNE's notch filter (`notch_filter(method='fir')`): band-stops at each frequency of width f/200 (or the given
    /// widths) with `transitionBandwidth` (default 1 Hz) split on both sides.
    public static func mneNotch(sampleRate sfreq: Double, freqs: [Double], widths: [Double]? = nil,
                                transitionBandwidth: Double = 1, window: WindowFunction = .hamming) throws -> [Double] {
        let nyq = sfreq / 2
        let w = widths ?? freqs.map { $0 / 200 }
        guard w.count == freqs.count, !freqs.isEmpty else { throw InputError(file: "", field: "notch_widths", message: "one width per frequency") }
        let tb = transitionBandwidth / 2
        // MNE calls filter_data(l_freq=highs, h_freq=lows, trans=tb/2) and triages it as a reversed band.
        var points = [(Double, Double)]()
        for (f, nw) in zip(freqs, w) {
            let low = f - nw / 2 - tb, high = f + nw / 2 + tb
            guard low > 0, high < nyq else { throw InputError(file: "", field: "notch", message: "\(f) Hz ± \(nw / 2 + tb) Hz must lie inside (0, \(nyq)) Hz") }
            points += [(low, 1), (low + tb, 0), (high - tb, 0), (high, 1)]
        }
        points.sort { $0.0 < $1.0 }
        var freq = points.map(\.0), gain = points.map(\.1)
        if freq.first! != 0 { freq.insert(0, at: 0); gain.insert(1, at: 0) }
        if freq.last! != nyq { freq.append(nyq); gain.append(1) }
        for i in 2..<gain.count where abs(gain[i] - 2 * gain[i - 1] + gain[i - 2]) > 1 {
            throw InputError(file: "", field: "notch", message: "stop bands are not sufficiently separated")
        }
        let length = try mneLength(sampleRate: sfreq, minTransition: tb, window: window)
        return try compositeFirwin(length: length, freq: freq.map { $0 / nyq }, gain: gain, window: window, sampleRate: sfreq)
    }

    static func mneLength(sampleRate: Double, minTransition: Double, window: WindowFunction) throws -> Int {
        guard let factor = lengthFactor[window.name] else {
            throw InputError(file: "", field: "fir_window", message: "\(window.name) is not one of MNE's FIR windows (hann, hamming)")
        }
        // MNE formats the duration as text and parses it back; Double's description round-trips exactly.
        var n = max(Int((Double("\(factor / minTransition)")! * sampleRate).rounded(.up)), 1)
        n += (n - 1) % 2
        return n
    }

    /// MNE's `_firwin_design`: starting from the top band, each gain change adds or subtracts a centred firwin
    /// low-pass whose length matches that transition. `freq` normalised to Nyquist = 1.
    static func compositeFirwin(length n: Int, freq: [Double], gain: [Double], window: WindowFunction, sampleRate: Double) throws -> [Double] {
        var h = [Double](repeating: 0, count: n)
        var prevFreq = freq.last!, prevGain = gain.last!
        if prevGain == 1 { h[n / 2] = 1 }
        for (f, g) in zip(freq.reversed().dropFirst(), gain.reversed().dropFirst()) {
            if g != prevGain {
                let transition = (prevFreq - f) / 2
                var thisN = Int((lengthFactor[window.name]! / transition).rounded(.toNearestOrEven))
                thisN += 1 - thisN % 2
                guard thisN <= n else {
                    throw InputError(file: "", field: "filter_length", message: "\(n) samples are too short for a \(transition * sampleRate) Hz transition (needs \(thisN))")
                }
                let lp = try firwin(numtaps: thisN, cutoffs: [(prevFreq + f) / 2], window: window, passZero: true, sampleRate: 2)
                let offset = (n - thisN) / 2
                for i in 0..<thisN { h[offset + i] += g == 0 ? -lp[i] : lp[i] }
            }
            prevGain = g
            prevFreq = f
        }
        return h
    }
}
