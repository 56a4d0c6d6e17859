// Benchmark driver for scripts/bench/*: reads a whole file into Float64 with NeuroPipe and prints the size and a
// checksum so the work cannot be optimised away.
//   neuropipe-bench edf FILE.edf      physical Float64 of every channel (as MNE's preload=True)
//   neuropipe-bench nifti FILE.nii[.gz]  [voxels × timepoints] Float64 (as nibabel's get_fdata)
import Foundation
import NeuroCore
import NeuroIO

@main
struct NeuroPipeBench {
    static func main() throws {
        let args = CommandLine.arguments
        guard args.count == 3, ["edf", "nifti"].contains(args[1]) else {
            FileHandle.standardError.write("usage: neuropipe-bench edf|nifti FILE\n".data(using: .utf8)!)
            exit(2)
        }
        let t0 = Date()
        let values: [Double]
        if args[1] == "edf" {
            values = try EDFReader(path: args[2]).read().samples
        } else {
            values = try NIfTIReader(path: args[2]).voxelTimeMatrix().storage
        }
        let seconds = Date().timeIntervalSince(t0)
        var checksum = 0.0
        for i in stride(from: 0, to: values.count, by: 9973) { checksum += values[i] }
        print("neuropipe values=\(values.count) checksum=\(checksum) read_s=\(seconds)")
    }
}
