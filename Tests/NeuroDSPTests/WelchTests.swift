import Foundation
import Testing
import NeuroCore
@testable import NeuroDSP

/// Welch PSD, CSD and coherence against scipy.signal (relative 1e-8, absolute 1e-10 of the spectrum's maximum).
struct WelchTests {
    @Test("welch matches scipy.signal.welch", arguments: DSPGolden.cases(prefix: "welch_"))
    func welch(name: String) throws {
        let g = try DSPGolden.load(name)
        let (x, fs) = try DSPGolden.input(g["input"]!.string!)
        let (freqs, psd) = try WelchPSD.compute(x, sampleRate: fs, settings: DSPGolden.welchSettings(g["settings"]))
        #expect(DSPGolden.worst(freqs, g["freqs"]!.doubles) == 0)
        let ref = g["psd"]!.matrix
        #expect(psd.rows == ref.count && psd.cols == ref[0].count)
        for c in 0..<psd.rows { #expect(DSPGolden.worst(Array(psd.row(c)), ref[c]) == 0, "\(name) channel \(c)") }
    }

    @Test("csd and coherence match scipy.signal", arguments: DSPGolden.cases(prefix: "coherence_"))
    func coherence(name: String) throws {
        let g = try DSPGolden.load(name)
        let (x, fs) = try DSPGolden.input(g["input"]!.string!)
        let pairs = g["pairs"]!.array!.map { ($0.array![0].int!, $0.array![1].int!) }
        let settings = DSPGolden.welchSettings(g["settings"])
        var cohSettings = settings
        cohSettings.scaling = .density
        let (_, msc, _) = try WelchPSD.coherence(x, sampleRate: fs, pairs: pairs, settings: cohSettings)
        let (_, csd) = try WelchPSD.crossSpectra(x, sampleRate: fs, pairs: pairs, settings: settings)
        for p in pairs.indices {
            #expect(DSPGolden.worst(msc[p], g["coherence"]!.matrix[p]) == 0, "\(name) coherence pair \(p)")
            #expect(DSPGolden.worst(csd[p].map(\.re), g["csd_re"]!.matrix[p]) == 0, "\(name) csd re \(p)")
            #expect(DSPGolden.worst(csd[p].map(\.im), g["csd_im"]!.matrix[p]) == 0, "\(name) csd im \(p)")
        }
    }

    @Test func sineAmplitudeIsRecovered() throws {
        // A 10 Hz sine of amplitude A has power A²/2: the density integrates to it, the spectrum peak equals it.
        let fs = 250.0, a = 3.0
        let x = Matrix(rows: 1, cols: 5000, storage: (0..<5000).map { a * sin(2 * .pi * 10 * Double($0) / fs) })
        var s = WelchSettings()
        s.nperseg = 500
        let (f, p) = try WelchPSD.compute(x, sampleRate: fs, settings: s)
        let df = f[1] - f[0]
        #expect(abs(p.storage.reduce(0, +) * df - a * a / 2) < 1e-3)
        s.scaling = .spectrum
        s.window = .boxcar
        let (_, q) = try WelchPSD.compute(x, sampleRate: fs, settings: s)
        #expect(abs(q.storage.max()! - a * a / 2) < 1e-9)
    }

    @Test func rejectsImpossibleSettings() {
        var s = WelchSettings()
        s.nperseg = 100
        s.noverlap = 100
        #expect(throws: InputError.self) { try WelchPSD.compute(Matrix(rows: 1, cols: 1000), sampleRate: 100, settings: s) }
        s.noverlap = 10
        s.nfft = 50
        #expect(throws: InputError.self) { try WelchPSD.compute(Matrix(rows: 1, cols: 1000), sampleRate: 100, settings: s) }
    }
}

/// Multitaper PSD against MNE's psd_array_multitaper(adaptive=False), DPSS against scipy.signal.windows.dpss.
struct MultitaperTests {
    @Test("dpss tapers and concentration ratios match scipy", arguments: DSPGolden.cases(prefix: "dpss_"))
    func dpss(name: String) throws {
        let g = try DSPGolden.load(name)
        let (tapers, ratios) = try Multitaper.dpss(n: g["n"]!.int!, nw: g["nw"]!.double!, kmax: g["kmax"]!.int!)
        let ref = g["tapers"]!.matrix
        #expect(tapers.count == ref.count)
        for k in ref.indices { #expect(DSPGolden.worst(tapers[k], ref[k], rel: 1e-8, absFloor: 1e-9) == 0, "\(name) taper \(k)") }
        #expect(DSPGolden.worst(ratios, g["ratios"]!.doubles, rel: 1e-9, absFloor: 1e-12) == 0, "\(name) ratios")
    }

    @Test("multitaper PSD matches MNE", arguments: DSPGolden.cases(prefix: "multitaper_"))
    func multitaper(name: String) throws {
        let g = try DSPGolden.load(name)
        let (x, fs) = try DSPGolden.input(g["input"]!.string!)
        let s = g["settings"]!
        let (freqs, psd) = try Multitaper.psd(x, sampleRate: fs, bandwidth: s["bandwidth"]?.double,
                                              normalization: s["normalization"]?.string == "full" ? .full : .length,
                                              fmin: s["fmin"]?.double ?? 0, fmax: s["fmax"]?.double ?? .infinity)
        #expect(DSPGolden.worst(freqs, g["freqs"]!.doubles) == 0)
        let ref = g["psd"]!.matrix
        for c in ref.indices { #expect(DSPGolden.worst(Array(psd.row(c)), ref[c]) == 0, "\(name) channel \(c)") }
    }
}

/// Artifact rejection and Welch over a recording with gaps.
struct ArtifactRejectionTests {
    static func noise(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        return Matrix(rows: rows, cols: cols, storage: (0..<(rows * cols)).map { _ in 20 * next() })
    }

    /// A 300 µV spike in the 3rd of five 1 s epochs is rejected; a flat channel and a noisy one are flagged and do
    /// not cause rejections; kept epochs 1-2 and 4-5 become two spans.
    @Test func rejectsAmplitudeArtifactsAndFlagsBadChannels() throws {
        var x = Self.noise(4, 500, seed: 1)
        for t in 0..<500 { x[2, t] = 0.01 }          // flat
        for t in 0..<500 { x[3, t] *= 20 }           // noisy: SD 20× the others
        x[0, 250] = 300
        var s = ArtifactRejection.Settings()
        s.epochLength = 1
        s.peakToPeak = 150
        let r = try ArtifactRejection.run(x, sampleRate: 100, channelNames: ["A", "B", "C", "D"], settings: s)
        #expect(r.epochs == 5 && r.rejected == 1 && r.rejections[0].onset == 2)
        #expect(r.keptSpans == [0..<200, 300..<500])
        #expect(r.badChannels.map(\.0) == ["C", "D"])
        s.peakToPeak = -1
        #expect(throws: InputError.self) { try ArtifactRejection.run(x, sampleRate: 100, channelNames: ["A", "B", "C", "D"], settings: s) }
    }

    /// Welch over two segments = the window-count-weighted mean of each segment's Welch estimate; one segment = plain.
    @Test func welchOverSegmentsAveragesWindowsWithinSegments() throws {
        let x = Self.noise(2, 1000, seed: 2)
        var settings = WelchSettings()
        settings.nperseg = 100
        let segments = [Segment(onset: 0, duration: 4, dataOffset: 0), Segment(onset: 10, duration: 6, dataOffset: 4)]
        let (_, both) = try WelchPSD.compute(x, sampleRate: 100, settings: settings, segments: segments)
        func part(_ r: Range<Int>) -> Matrix { Matrix(rows: 2, cols: r.count, storage: (0..<2).flatMap { c in x.storage[(c * 1000 + r.lowerBound)..<(c * 1000 + r.upperBound)] }) }
        let (_, a) = try WelchPSD.compute(part(0..<400), sampleRate: 100, settings: settings)
        let (_, b) = try WelchPSD.compute(part(400..<1000), sampleRate: 100, settings: settings)
        // 7 windows (step 50) in 400 samples, 11 in 600.
        for k in 0..<both.storage.count { #expect(abs(both.storage[k] - (7 * a.storage[k] + 11 * b.storage[k]) / 18) < 1e-12 * max(1, abs(both.storage[k]))) }
        let (_, plain) = try WelchPSD.compute(x, sampleRate: 100, settings: settings)
        let (_, single) = try WelchPSD.compute(x, sampleRate: 100, settings: settings, segments: [Segment(onset: 0, duration: 10, dataOffset: 0)])
        #expect(plain.storage == single.storage)
        // A segment shorter than one window is left out.
        var long = WelchSettings()
        long.nperseg = 500
        let (_, skipped) = try WelchPSD.compute(x, sampleRate: 100, settings: long, segments: segments)
        let (_, second) = try WelchPSD.compute(part(400..<1000), sampleRate: 100, settings: long)
        #expect(skipped.storage == second.storage)
    }
}
