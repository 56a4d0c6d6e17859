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
