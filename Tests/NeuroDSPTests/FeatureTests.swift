import Foundation
import Testing
import NeuroCore
@testable import NeuroDSP

/// Spectral features recovered on synthetic signals with known answers.
struct SpectralFeatureTests {
    static let fs = 256.0

    static func signal(_ parts: [(freq: Double, amp: Double)], seconds: Double = 60, noise: Double = 0.01, seed: UInt64 = 3) -> [Double] {
        var rng = seed
        func gauss() -> Double {  // Box–Muller on a small LCG
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let u1 = Double(rng >> 11) / Double(1 << 53) + 1e-300
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let u2 = Double(rng >> 11) / Double(1 << 53)
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        let n = Int(seconds * fs)
        return (0..<n).map { i in parts.reduce(0.0) { $0 + $1.amp * sin(2 * .pi * $1.freq * Double(i) / fs) } + noise * gauss() }
    }

    static func psd(_ x: [Double]) throws -> ([Double], [Double]) {
        var s = WelchSettings()
        s.nperseg = Int(4 * fs)
        let (f, p) = try WelchPSD.compute(Matrix(rows: 1, cols: x.count, storage: x), sampleRate: fs, settings: s)
        return (f, p.storage)
    }

    @Test func bandPowersAndRatiosRecoverKnownSinePower() throws {
        let amps: [(Double, Double)] = [(2.5, 4), (6, 3), (10, 5), (20, 2), (38, 1)]
        let (f, p) = try Self.psd(Self.signal(amps))
        let (abs, rel) = SpectralFeatures.bandPowers(p[...], freqs: f, bands: FrequencyBand.defaults)
        for (i, (_, a)) in amps.enumerated() {
            #expect(Swift.abs(abs[i] - a * a / 2) / (a * a / 2) < 0.01, "band \(FrequencyBand.defaults[i].name): \(abs[i]) vs \(a * a / 2)")
        }
        let total = amps.reduce(0.0) { $0 + $1.1 * $1.1 / 2 }
        #expect(Swift.abs(rel[2] - 12.5 / total) < 0.01)
        #expect(Swift.abs(abs[1] / abs[2] - 9.0 / 25.0) < 0.01, "theta/alpha")
    }

    @Test func alphaPeakEntropyAndExponent() throws {
        let (f, p) = try Self.psd(Self.signal([(9.5, 5)], noise: 0.5))
        let iaf = SpectralFeatures.alphaPeak(p[...], freqs: f)
        #expect(iaf.peak == 9.5 && Swift.abs(iaf.centreOfGravity - 9.5) < 0.2)
        #expect(SpectralFeatures.spectralEntropy(p[...], freqs: f) < 0.8)
        let (_, white) = try Self.psd(Self.signal([], noise: 1))
        #expect(SpectralFeatures.spectralEntropy(white[...], freqs: f) > 0.97)
        // 1/f^1.5 power law (plus an alpha peak the robust fit ignores).
        let shaped = f.map { $0 > 0 ? 100 * pow($0, -1.5) : 0 }
        var withPeak = shaped
        for i in f.indices where f[i] >= 9 && f[i] <= 11 { withPeak[i] *= 6 }
        let fit = SpectralFeatures.aperiodicExponent(withPeak[...], freqs: f)
        #expect(Swift.abs(fit.exponent - 1.5) < 0.02 && Swift.abs(fit.offset - 2) < 0.05)
    }

    @Test func amplitudeAndPhaseSpectra() throws {
        let n = 512, k = 20
        let x = (0..<n).map { 3 * cos(2 * .pi * Double(k * $0) / Double(n) + 0.7) }
        let (f, a, ph) = try SpectralFeatures.amplitudePhase(Matrix(rows: 1, cols: n, storage: x), sampleRate: Self.fs)
        #expect(Swift.abs(a[0, k] - 3) < 1e-12 && Swift.abs(ph[0, k] - 0.7) < 1e-12)
        #expect(f[k] == Double(k) * Self.fs / Double(n))
    }

    @Test func pliSeparatesLockedFromIndependentSignals() throws {
        var data = [Double]()
        let n = 256, trials = 40
        for t in 0..<trials {
            let phase = Double(t) * 0.77
            let base = Self.signal([], seconds: 1, noise: 1, seed: UInt64(100 + t))
            let other = Self.signal([], seconds: 1, noise: 1, seed: UInt64(900 + t))
            let a = (0..<n).map { 2 * sin(2 * .pi * 10 * Double($0) / Self.fs + phase) + 0.3 * base[$0] }
            let b = (0..<n).map { 2 * sin(2 * .pi * 10 * Double($0) / Self.fs + phase - 0.8) + 0.3 * other[$0] }
            data += a + b + base
        }
        let epochs = Epochs(data: data, trials: trials, channels: 3, samples: n, labels: [String](repeating: "x", count: trials),
                            groups: [String](repeating: "", count: trials), sampleRate: Self.fs, channelNames: ["a", "b", "c"],
                            tmin: 0, onsets: [], dropped: [])
        let (f, pli, wpli) = try SpectralFeatures.phaseLagIndices(epochs, pairs: [(0, 1), (0, 2)])
        let k = f.firstIndex(of: 10)!
        #expect(pli[0][k] > 0.95 && wpli[0][k] > 0.95, "phase-locked with a lag")
        #expect(pli[1][k] < 0.4, "a 10 Hz sine against independent noise: \(pli[1][k])")
        // Band table: the 10 Hz bin alone (1 Hz resolution from 1 s epochs).
        let rows = try BandConnectivity.compute(epochs, bands: [FrequencyBand("ten", 9.5, 10.5)])
        #expect(rows.map { "\($0.channelA)-\($0.channelB)" } == ["a-b", "a-c", "b-c"])
        let ab = rows[0], ac = rows[1]
        #expect(ab.coh > 0.95 && ab.pli == pli[0][k] && ab.wpli == wpli[0][k])
        // Coherency of two phasors 0.8 rad apart: |Im| ≈ sin(0.8) · |coherency|.
        #expect(abs(abs(ab.imcoh) - sin(0.8) * ab.coh) < 0.05, "\(ab)")
        #expect(ac.coh < 0.5, "the sine swamps the shared noise at 10 Hz: \(ac)")
    }
}

struct EpochingTests {
    static let names = ["A", "B"]
    static func ramp(_ n: Int) -> Matrix { Matrix(rows: 2, cols: n, storage: (0..<n).map(Double.init) + (0..<n).map { Double($0) * 2 }) }

    @Test func eventLockedFollowsMNESampleRounding() throws {
        let x = Self.ramp(1000)
        let e = try Epoching.eventLocked(x, sampleRate: 100, channelNames: Self.names,
                                         events: [(1.004, "T1"), (5.0, "T2"), (0.05, "early"), (9.95, "late")], tmin: -0.1, tmax: 0.5)
        #expect(e.samples == 61 && e.trials == 2 && e.labels == ["T1", "T2"])
        #expect(e.trial(0)[0, 0] == 90 && e.trial(1)[1, 60] == 2 * 550)
        #expect(e.dropped.map(\.label) == ["early", "late"] && e.dropped.allSatisfy { $0.reason == "outside the data" })
        #expect(e.tmin == -0.1)
    }

    @Test func baselineAndPeakToPeakRejection() throws {
        var x = Self.ramp(1000)
        x[0, 520] = 1e4  // an artifact inside the second epoch
        let e = try Epoching.eventLocked(x, sampleRate: 100, channelNames: Self.names, events: [(2.0, "a"), (5.0, "b")], tmin: -0.2, tmax: 0.4,
                                         baseline: .init(start: nil, end: 0), rejectPeakToPeak: 500)
        #expect(e.trials == 1 && e.dropped.first?.reason.contains("peak-to-peak") == true && e.dropped.first?.reason.contains("in A") == true)
        // Baseline [−0.2, 0] on a ramp: samples −20…0 average to −10, so the event sample reads +10.
        #expect(Swift.abs(e.trial(0)[0, 20] - 10) < 1e-9)
    }

    @Test func fixedLengthWithOverlapAndGaps() throws {
        let x = Self.ramp(1000)
        let e = try Epoching.fixedLength(x, sampleRate: 100, channelNames: Self.names, length: 2, overlap: 0.5)
        #expect(e.samples == 200 && e.trials == 6 && e.onsets == [0, 1.5, 3, 4.5, 6, 7.5])
        let gaps = [Segment(onset: 0, duration: 4, dataOffset: 0), Segment(onset: 10, duration: 6, dataOffset: 4)]
        let g = try Epoching.fixedLength(x, sampleRate: 100, channelNames: Self.names, length: 3, segments: gaps)
        #expect(g.onsets == [0, 4, 7], "no epoch crosses the gap at 4 s of data")
        let crossing = try Epoching.eventLocked(x, sampleRate: 100, channelNames: Self.names, events: [(3.5, "x")], tmin: 0, tmax: 1, segments: gaps)
        #expect(crossing.trials == 0 && crossing.dropped.first?.reason.contains("gap") == true)
    }

    @Test func rereferencingAndSelection() throws {
        let x = Matrix(rows: 3, cols: 2, storage: [1, 2, 3, 4, 5, 9])
        let avg = ChannelOps.rereference(x, .average([]))
        for t in 0..<2 { #expect(Swift.abs((0..<3).reduce(0.0) { $0 + avg[$1, t] }) < 1e-12) }
        let linked = ChannelOps.rereference(x, .channels([1, 2]))
        #expect(linked[0, 0] == 1 - 4 && linked[0, 1] == 2 - 6.5)
        #expect(try ChannelOps.select(["Fc5", "O*"], from: ["Fc5.", "Cz..", "O1..", "Oz.."]) == [0, 2, 3])
        #expect(throws: InputError.self) { try ChannelOps.select(["Pz"], from: ["Fc5.", "Cz.."]) }
        #expect(ChannelType.infer(label: "EOG horizontal") == .eog && ChannelType.infer(label: "Status") == .stim
                && ChannelType.infer(label: "EEG Fpz-Cz") == .eeg && ChannelType.infer(label: "ECG") == .ecg && ChannelType.infer(label: "O1") == .eeg)
    }
}

/// Band connectivity against mne-connectivity 0.9.0 (scripts/golden/connectivity): every pair, band and method
/// within 1e-10 absolute (values are in [-1, 1]; PLI is a count ratio and must match exactly up to rounding).
struct BandConnectivityGoldenTests {
    @Test(arguments: DSPGolden.cases(prefix: "connectivity_"))
    func matchesMNEConnectivity(name: String) throws {
        let g = try DSPGolden.load(name)
        let (x, fs) = try DSPGolden.input(g["input"]!.stringValue!)
        let n = g["epoch"]!.int!, trials = x.cols / n
        var data = [Double]()
        for t in 0..<trials { for c in 0..<x.rows { data += x.storage[(c * x.cols + t * n)..<(c * x.cols + (t + 1) * n)] } }
        let epochs = Epochs(data: data, trials: trials, channels: x.rows, samples: n, labels: [String](repeating: "", count: trials),
                            groups: [String](repeating: "", count: trials), sampleRate: fs, channelNames: (0..<x.rows).map { "ch\($0)" },
                            tmin: 0, onsets: [])
        let bands = g["bands"]!.arrayValue!.map { b in FrequencyBand(b.arrayValue![0].stringValue!, b.arrayValue![1].doubleValue!, b.arrayValue![2].doubleValue!) }
        let rows = try BandConnectivity.compute(epochs, bands: bands)
        let expected = g["rows"]!.arrayValue!
        try #require(rows.count == expected.count)
        for (r, e) in zip(rows, expected) {
            #expect(r.channelA == "ch\(e["a"]!.int!)" && r.channelB == "ch\(e["b"]!.int!)" && r.band == e["band"]!.stringValue!)
            for (mine, key) in [(r.coh, "coh"), (r.imcoh, "imcoh"), (r.pli, "pli"), (r.wpli, "wpli")] {
                #expect(abs(mine - e[key]!.doubleValue!) <= 1e-10, "\(name) \(r.channelA)-\(r.channelB) \(r.band) \(key): \(mine) vs \(e[key]!.doubleValue!)")
            }
        }
    }
}
