import Foundation
import Testing
import NeuroCore
@testable import NeuroDSP

/// Filters and resampling against SciPy 1.17.1 and MNE 1.13.2 (golden from scripts/golden/dsp).
struct FilterTests {
    static func rows(_ m: Matrix) -> [[Double]] { (0..<m.rows).map { Array(m.row($0)) } }

    @Test("firwin taps match scipy.signal.firwin", arguments: DSPGolden.cases(prefix: "firwin_"))
    func firwin(name: String) throws {
        let g = try DSPGolden.load(name)
        let h = try FIRDesign.firwin(numtaps: g["numtaps"]!.int!, cutoffs: g["cutoffs"]!.doubles,
                                     window: WindowFunction(name: g["window"]!.string!)!,
                                     passZero: g["pass_zero"]! == .bool(true), sampleRate: g["fs"]!.double!)
        #expect(DSPGolden.worst(h, g["h"]!.doubles, rel: 1e-10, absFloor: 1e-12) == 0, "\(name)")
    }

    @Test("sosfiltfilt with SciPy's sections, and Butterworth designs, match scipy.signal", arguments: DSPGolden.cases(prefix: "butter_"))
    func butterworth(name: String) throws {
        let g = try DSPGolden.load(name)
        let (x, fs) = try DSPGolden.input(g["input"]!.string!)
        let ref = g["output"]!.matrix
        // 1. SciPy's own sections through our sosfiltfilt: the application alone.
        let sos = g["sos"]!.matrix
        let y1 = Self.rows(try IIRFilter.sosfiltfilt(sos, x))
        for c in ref.indices { #expect(DSPGolden.worst(y1[c], ref[c]) == 0, "\(name) sosfiltfilt channel \(c)") }
        // 2. Our design end to end (sections may be paired differently; the filter is the same).
        let kind = IIRFilter.Kind(rawValue: g["kind"]!.string!)!
        let mine = try IIRFilter.butterworth(order: g["order"]!.int!, cutoffs: g["cutoffs"]!.doubles, kind: kind, sampleRate: fs)
        #expect(mine.count == sos.count)
        let y2 = Self.rows(try IIRFilter.sosfiltfilt(mine, x))
        for c in ref.indices { #expect(DSPGolden.worst(y2[c], ref[c], rel: 1e-8, absFloor: 1e-9) == 0, "\(name) design channel \(c)") }
    }

    @Test("MNE default FIR filters: taps and filter_data output", arguments: DSPGolden.cases(prefix: "mnefir_"))
    func mneFIR(name: String) throws {
        let g = try DSPGolden.load(name)
        let (x, fs) = try DSPGolden.input(g["input"]!.string!)
        let h = try FIRDesign.mneFilter(sampleRate: fs, lFreq: g["l_freq"]!.double, hFreq: g["h_freq"]!.double)
        let refH = g["h"]!.doubles
        #expect(h.count == refH.count, "\(name) length \(h.count) vs \(refH.count)")
        #expect(DSPGolden.worst(h, refH, rel: 1e-10, absFloor: 1e-12) == 0, "\(name) taps")
        let y = Self.rows(try ZeroPhaseFIR.apply(h, to: x))
        let ref = g["output"]!.matrix
        for c in ref.indices { #expect(DSPGolden.worst(y[c], ref[c]) == 0, "\(name) output channel \(c)") }
    }

    @Test("MNE notch filter: taps and output", arguments: DSPGolden.cases(prefix: "mnenotch_"))
    func mneNotch(name: String) throws {
        let g = try DSPGolden.load(name)
        let (x, fs) = try DSPGolden.input(g["input"]!.string!)
        let h = try FIRDesign.mneNotch(sampleRate: fs, freqs: g["freqs"]!.doubles)
        #expect(DSPGolden.worst(h, g["h"]!.doubles, rel: 1e-10, absFloor: 1e-12) == 0, "\(name) taps")
        let y = Self.rows(try ZeroPhaseFIR.apply(h, to: x))
        let ref = g["output"]!.matrix
        for c in ref.indices { #expect(DSPGolden.worst(y[c], ref[c]) == 0, "\(name) output channel \(c)") }
    }

    @Test("resample_poly matches scipy.signal.resample_poly", arguments: DSPGolden.cases(prefix: "resample_"))
    func resample(name: String) throws {
        let g = try DSPGolden.load(name)
        let (x, _) = try DSPGolden.input(g["input"]!.string!)
        let y = Self.rows(try Resampler.resamplePoly(x, up: g["up"]!.int!, down: g["down"]!.int!))
        let ref = g["output"]!.matrix
        #expect(y[0].count == ref[0].count)
        for c in ref.indices { #expect(DSPGolden.worst(y[c], ref[c]) == 0, "\(name) channel \(c)") }
    }

    @Test func invalidDesignsAreRejected() {
        #expect(throws: InputError.self) { try FIRDesign.firwin(numtaps: 10, cutoffs: [20], passZero: false, sampleRate: 100) }
        #expect(throws: InputError.self) { try FIRDesign.mneFilter(sampleRate: 100, lFreq: nil, hFreq: 60) }
        #expect(throws: InputError.self) { try IIRFilter.butterworth(order: 4, cutoffs: [30, 10], kind: .bandpass, sampleRate: 100) }
        #expect(throws: InputError.self) { try IIRFilter.sosfiltfilt(try IIRFilter.butterworth(order: 4, cutoffs: [10], kind: .lowpass, sampleRate: 100), Matrix(rows: 1, cols: 10)) }
    }
}
