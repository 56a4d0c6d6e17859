// Benchmark driver for scripts/bench/*: reads a whole file into Float64 with NeuroPipe and prints the size and a
// checksum so the work cannot be optimised away.
//   neuropipe-bench edf FILE.edf      physical Float64 of every channel (as MNE's preload=True)
//   neuropipe-bench nifti FILE.nii[.gz]  [voxels × timepoints] Float64 (as nibabel's get_fdata)
//   neuropipe-bench welch|fir FILE.f64 CHANNELS SFREQ   Welch PSD (nperseg 512) or MNE-default 1–40 Hz FIR band-pass
//                                                      of a raw float64 [channels × samples] file
import Foundation
import NeuroCore
import NeuroDSP
import NeuroIO

@main
struct NeuroPipeBench {
    static func main() throws {
        let args = CommandLine.arguments
        guard (args.count == 3 && ["edf", "nifti"].contains(args[1])) || (args.count == 5 && ["welch", "fir"].contains(args[1])) else {
            FileHandle.standardError.write("usage: neuropipe-bench edf|nifti FILE | welch|fir FILE.f64 CHANNELS SFREQ\n".data(using: .utf8)!)
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
            if args[1] == "welch" {
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
}
