// Benchmark driver for scripts/bench/*: reads a whole file into Float64 with NeuroPipe and prints the size and a
// checksum so the work cannot be optimised away.
//   neuropipe-bench edf FILE.edf      physical Float64 of every channel (as MNE's preload=True)
//   neuropipe-bench nifti FILE.nii[.gz]  [voxels × timepoints] Float64 (as nibabel's get_fdata)
//   neuropipe-bench welch|fir FILE.f64 CHANNELS SFREQ   Welch PSD (nperseg 512) or MNE-default 1–40 Hz FIR band-pass
//   neuropipe-bench connectivity FILE.f64 CHANNELS SFREQ   band coh/imcoh/PLI/wPLI over 2 s epochs
//                                                      of a raw float64 [channels × samples] file
//   neuropipe-bench riemann FILE TRIALS CHANNELS SAMPLES ORDER LAG   the stages of scripts/bench/riemann
//   neuropipe-bench hash FILE                              xxHash3-128 throughput and memoised re-check time
//   neuropipe-bench eig N                                  per-call time of SymmetricEigen at size N (one BLAS thread)
import Foundation
import NeuroCore
import NeuroDSP
import NeuroIO
import NeuroLearn
import NeuroPipeline
import NeuroRiemann

@main
struct NeuroPipeBench {
    static func main() throws {
        configureAllocatorForLargeBuffers()  // as the neuropipe CLI does at start-up
        let args = CommandLine.arguments
        if args.count == 8 && args[1] == "riemann" { try riemann(args); return }
        if args.count == 3 && args[1] == "hash" {  // content-hash throughput, then memoised re-checks
            let t0 = Date()
            let h = try ContentHash.ofFile(args[2])
            let s = Date().timeIntervalSince(t0)
            let size = Double(try FileIdentity(path: args[2]).size)
            let memo = HashMemo(path: nil)
            _ = try memo.hash(of: args[2])
            let t1 = Date()
            for _ in 0..<1000 { _ = try memo.hash(of: args[2]) }
            print("neuropipe hash=\(h) seconds=\(s) GBps=\(size / s / 1e9) memo_recheck_ms=\(Date().timeIntervalSince(t1))")
            return
        }
        if args.count == 3 && args[1] == "eig" {  // per-call time of the symmetric eigendecomposition at size N
            let n = Int(args[2])!
            var a = Matrix(rows: n, cols: n + 224)
            var rng = SplitMix(seed: 1)
            for i in a.storage.indices { a.storage[i] = rng.uniform() - 0.5 }
            let c = Matrix.product(a, a, transposeB: true)
            BLASThreads.set(1)
            let t0 = Date()
            for _ in 0..<100 { _ = try SymmetricEigen(c) }
            print("SymmetricEigen n=\(n): \(Date().timeIntervalSince(t0) * 10) ms per call")
            return
        }
        guard (args.count == 3 && ["edf", "nifti"].contains(args[1])) || (args.count == 5 && ["welch", "fir", "connectivity"].contains(args[1])) else {
            FileHandle.standardError.write("usage: neuropipe-bench edf|nifti FILE | welch|fir|connectivity FILE.f64 CHANNELS SFREQ\n".data(using: .utf8)!)
            exit(2)
        }
        var t0 = Date()
        let values: [Double]
        switch args[1] {
        case "edf": values = try EDFReader(path: args[2]).read().samples
        case "nifti": values = try NIfTIReader(path: args[2]).voxelTimeMatrix().storage
        default:
            let channels = Int(args[3])!, fs = Double(args[4])!
            // One read straight into the matrix storage (numpy.fromfile does the same).
            let file = try ReadOnlyFile(path: args[2])
            let storage = try [Double](unsafeUninitializedCapacity: file.size / 8) { buf, count in
                try file.read(at: 0, into: UnsafeMutableRawBufferPointer(buf), field: "data")
                count = file.size / 8
            }
            let x = Matrix(rows: channels, cols: storage.count / channels, storage: storage)
            t0 = Date()  // time the computation, as the Python side does after loading
            if args[1] == "connectivity" {
                // Consecutive 2 s epochs; coh, imcoh, PLI, wPLI for every pair in theta, alpha and beta.
                let n = Int(2 * fs), trials = x.cols / n
                var data = [Double]()
                data.reserveCapacity(trials * channels * n)
                for t in 0..<trials { for c in 0..<channels { data += x.storage[(c * x.cols + t * n)..<(c * x.cols + (t + 1) * n)] } }
                let epochs = Epochs(data: data, trials: trials, channels: channels, samples: n, labels: [String](repeating: "", count: trials),
                                    groups: [String](repeating: "", count: trials), sampleRate: fs, channelNames: (0..<channels).map { "ch\($0)" }, tmin: 0, onsets: [])
                values = try BandConnectivity.compute(epochs, bands: [FrequencyBand("theta", 4, 8), FrequencyBand("alpha", 8, 13), FrequencyBand("beta", 13, 30)])
                    .flatMap { [$0.coh, $0.imcoh, $0.pli, $0.wpli] }
            } else if args[1] == "welch" {
                var s = WelchSettings()
                s.nperseg = 512
                values = try WelchPSD.compute(x, sampleRate: fs, settings: s).psd.storage
            } else {
                values = try ZeroPhaseFIR.apply(try FIRDesign.mneFilter(sampleRate: fs, lFreq: 1, hFreq: 40), to: x).storage
            }
        }
        let seconds = Date().timeIntervalSince(t0)
        var checksum = 0.0
        for i in stride(from: 0, to: values.count, by: 9973) { checksum += values[i] }
        print("neuropipe values=\(values.count) checksum=\(checksum) read_s=\(seconds)")
    }

    /// neuropipe-bench riemann FILE TRIALS CHANNELS SAMPLES ORDER LAG: the stages of scripts/bench/riemann.
    static func riemann(_ args: [String]) throws {
        let (trials, ch, n, order, lag) = (Int(args[3])!, Int(args[4])!, Int(args[5])!, Int(args[6])!, Int(args[7])!)
        let file = try ReadOnlyFile(path: args[2])
        let v = try [Double](unsafeUninitializedCapacity: file.size / 8) { b, c in try file.read(at: 0, into: UnsafeMutableRawBufferPointer(b), field: "data"); c = file.size / 8 }
        let x = (0..<trials).map { Matrix(rows: ch, cols: n, storage: Array(v[($0 * ch * n)..<(($0 + 1) * ch * n)])) }
        let y = (0..<trials).map { $0 % 2 == 0 ? "a" : "b" }
        var times = [(String, Double)]()
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let t0 = Date()
            let r = try body()
            times.append((name, Date().timeIntervalSince(t0)))
            return r
        }
        let c = try timed("acm_covariances") { try CovarianceEstimator.cov.estimateAll(try x.map { try AugmentedCovariance.embed($0, order: order, lag: lag) }) }
        _ = try timed("riemann_mean") { try SPD.meanRiemann(c) }
        let split = trials * 5 / 6
        let train = Array(c[..<split]), test = Array(c[split...]), ytrain = Array(y[..<split]), ytest = Array(y[split...])
        let p1 = try timed("mdm_fit_predict") { try MDM().fit(train, ytrain).predict(test) }
        let p2 = try timed("ts_svm_fit_predict") { try TangentSpaceClassifier(SupportVectorClassifier()).fit(train, ytrain).predict(test) }
        print("neuropipe " + times.map { "\($0.0)=\(String(format: "%.3f", $0.1))" }.joined(separator: " ")
              + " n=\(c[0].rows) mdm_acc=\(String(format: "%.3f", Metrics.accuracy(ytest, p1))) svm_acc=\(String(format: "%.3f", Metrics.accuracy(ytest, p2)))")
    }
}
