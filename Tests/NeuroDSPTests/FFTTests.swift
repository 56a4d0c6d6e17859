import Foundation
import Testing
import NeuroCore
@testable import NeuroDSP

struct RealFFTPlanTests {
    /// Direct O(n²) DFT as the reference for small sizes.
    static func dft(_ x: [Double]) -> [(Double, Double)] {
        let n = x.count
        return (0...(n / 2)).map { k in
            var re = 0.0, im = 0.0
            for (t, v) in x.enumerated() {
                let a = -2 * Double.pi * Double(k * t) / Double(n)
                re += v * cos(a)
                im += v * sin(a)
            }
            return (re, im)
        }
    }

    @Test(arguments: [1, 2, 7, 16, 100, 243])
    func matchesDirectDFT(n: Int) throws {
        let x = (0..<n).map { sin(Double($0) * 0.3) + 0.1 * Double($0 % 5) }
        let got = try RealFFTPlan(n: n).forward(x)
        let want = Self.dft(x)
        #expect(got.count == n / 2 + 1)
        for (g, w) in zip(got, want) {
            #expect(abs(g.re - w.0) < 1e-9 * Double(n) && abs(g.im - w.1) < 1e-9 * Double(n))
        }
    }

    @Test func concurrentPlanningAndExecutionAgree() throws {
        // Many threads plan, execute and destroy at once; the planner lock keeps FFTW consistent.
        let sizes = (0..<64).map { 32 + ($0 % 8) * 5 }
        let results = UncheckedSendableBox(UnsafeMutableBufferPointer<Double>.allocate(capacity: sizes.count))
        defer { results.value.deallocate() }
        parallelFor(sizes.count) { i in
            let n = sizes[i]
            let x = (0..<n).map { Double(($0 * 7 + i) % 11) }
            let plan = try! RealFFTPlan(n: n)
            results.value[i] = plan.forward(x)[0].re  // DC term = sum of x
        }
        for (i, n) in sizes.enumerated() {
            let x = (0..<n).map { Double(($0 * 7 + i) % 11) }
            #expect(abs(results.value[i] - x.reduce(0, +)) < 1e-9)
        }
    }

    @Test func rejectsEmptyLength() {
        #expect(throws: RuntimeFailure.self) { try RealFFTPlan(n: 0) }
    }
}

struct ComplexFFTAndWisdomTests {
    @Test func complexBatchedTransformMatchesDirectDFTAndInverts() throws {
        let n = 12, batch = 3
        var x = (0..<(2 * n * batch)).map { sin(Double($0) * 0.37) + Double($0 % 7) * 0.1 }
        var y = [Double](repeating: 0, count: x.count)
        let fwd = try ComplexFFTPlan.shared(n: n, howMany: batch)
        x.withUnsafeMutableBufferPointer { i in y.withUnsafeMutableBufferPointer { o in fwd.execute(i.baseAddress!, o.baseAddress!) } }
        for b in 0..<batch {
            for k in 0..<n {
                var re = 0.0, im = 0.0
                for t in 0..<n {
                    let (a, c) = (x[2 * (b * n + t)], x[2 * (b * n + t) + 1])
                    let w = -2 * Double.pi * Double(k * t) / Double(n)
                    re += a * cos(w) - c * sin(w)
                    im += a * sin(w) + c * cos(w)
                }
                #expect(abs(y[2 * (b * n + k)] - re) < 1e-12 && abs(y[2 * (b * n + k) + 1] - im) < 1e-12)
            }
        }
        var back = [Double](repeating: 0, count: x.count)
        let inv = try ComplexFFTPlan.shared(n: n, howMany: batch, direction: .backward)
        y.withUnsafeMutableBufferPointer { i in back.withUnsafeMutableBufferPointer { o in inv.execute(i.baseAddress!, o.baseAddress!) } }
        for i in x.indices { #expect(abs(back[i] / Double(n) - x[i]) < 1e-13) }
        #expect(try ComplexFFTPlan.shared(n: n, howMany: batch) === fwd, "plans are cached")
    }

    @Test func wisdomRoundTripsThroughAFile() throws {
        _ = try RealFFTPlan.shared(n: 1000)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("np-wisdom-\(getpid()).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FFTPlanner.exportWisdom(to: path))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("fftw_wisdom"))
        #expect(FFTPlanner.importWisdom(from: path))
        try "not wisdom".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(!FFTPlanner.importWisdom(from: path))
    }
}

@Test func tenTwentyMontageAcceptsOldNamesAndReferenceSuffixes() throws {
    var labels = ChannelOps.standard1020.map { "EEG \($0)-REF" }
    labels[7] = "EEG T3-REF"   // old name of T7
    labels[12] = "T5"          // old name of P7, no prefix
    labels.insert("ECG", at: 0)
    let picked = try ChannelOps.select1020(labels)
    #expect(picked.count == 19 && picked[0] == 1 && picked[7] == 8 && labels[picked[12]] == "T5")
    #expect { try ChannelOps.select1020(Array(labels.dropLast())) } throws: { ($0 as? InputError)?.message.contains("O2") == true }
}

/// Plans pick FFTW's SIMD variant for aligned arrays and the unaligned one otherwise; both must give the transform.
struct AlignedPlanTests {
    @Test func alignedAndMisalignedBuffersGiveTheSameSpectrum() throws {
        let n = 96, howMany = 3
        let plan = try RealFFTPlan.shared(n: n, howMany: howMany)
        let x = (0..<(n * howMany)).map { sin(Double($0) * 0.37) + 0.01 * Double($0 % 11) }
        // One extra leading Double shifts the data off FFTW's 16-byte alignment.
        var aligned = x, shifted = [0.0] + x
        var outAligned = [Double](repeating: 0, count: 2 * (n / 2 + 1) * howMany)
        var outShifted = [Double](repeating: 0, count: 2 * (n / 2 + 1) * howMany + 1)
        aligned.withUnsafeMutableBufferPointer { i in outAligned.withUnsafeMutableBufferPointer { plan.execute(i.baseAddress!, $0.baseAddress!) } }
        shifted.withUnsafeMutableBufferPointer { i in outShifted.withUnsafeMutableBufferPointer { plan.execute(i.baseAddress! + 1, $0.baseAddress! + 1) } }
        let reference = RealFFTPlanTests.dft(Array(x[0..<n]))
        for k in 0...(n / 2) {
            #expect(abs(outAligned[2 * k] - reference[k].0) < 1e-10 && abs(outAligned[2 * k + 1] - reference[k].1) < 1e-10)
        }
        for i in outAligned.indices { #expect(abs(outAligned[i] - outShifted[i + 1]) < 1e-12) }
    }
}

/// The spectrum of an even 2-D kernel from its quadrant, against the direct 2-D DFT of the wrapped kernel.
struct EvenKernelSpectrumTests {
    @Test(arguments: [(12, 10, 4, 3), (16, 20, 9, 11), (8, 6, 5, 4)])
    func matchesDirectDFT(n0: Int, n1: Int, rows: Int, columns: Int) throws {
        let quadrant = (0..<(rows * columns)).map { 1 / (1 + Double($0 % 7)) + 0.1 * Double($0 / columns) }
        var spectrum = [Double](repeating: 0, count: (n0 / 2 + 1) * (n1 / 2 + 1))
        let plan = try EvenKernelSpectrum(n0: n0, n1: n1, quadrantRows: rows)
        quadrant.withUnsafeBufferPointer { q in
            spectrum.withUnsafeMutableBufferPointer { plan.compute(quadrant: q.baseAddress!, quadrantRows: rows, quadrantColumns: columns, spectrum: $0.baseAddress!) }
        }
        // The kernel wrapped around the origin of the n0 × n1 torus: k(i, j) = quadrant(|i|, |j|).
        func kernel(_ a: Int, _ b: Int) -> Double {
            let i = min(a, n0 - a), j = min(b, n1 - b)
            return i < rows && j < columns ? quadrant[i * columns + j] : 0
        }
        for k in 0...(n0 / 2) {
            for l in 0...(n1 / 2) {
                var re = 0.0, im = 0.0
                for a in 0..<n0 {
                    for b in 0..<n1 {
                        let angle = -2 * Double.pi * (Double(k * a) / Double(n0) + Double(l * b) / Double(n1))
                        re += kernel(a, b) * cos(angle)
                        im += kernel(a, b) * sin(angle)
                    }
                }
                #expect(abs(spectrum[k * (n1 / 2 + 1) + l] - re) < 1e-10 && abs(im) < 1e-10, "(\(k), \(l))")
            }
        }
    }
}
