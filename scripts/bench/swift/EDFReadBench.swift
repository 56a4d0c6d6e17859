// Reads a whole EDF/BDF file into physical Float64 with NeuroPipe's reader (as MNE's preload=True does) and
// prints channels, samples and a checksum so the work cannot be optimised away. Used by scripts/bench/edf.
import Foundation
import NeuroIO

@main
struct EDFReadBench {
    static func main() throws {
        guard CommandLine.arguments.count == 2 else {
            FileHandle.standardError.write("usage: neuropipe-bench FILE.edf\n".data(using: .utf8)!)
            exit(2)
        }
        let t0 = Date()
        let reader = try EDFReader(path: CommandLine.arguments[1])
        let signal = try reader.read()
        let seconds = Date().timeIntervalSince(t0)
        var checksum = 0.0
        for i in stride(from: 0, to: signal.samples.count, by: 9973) { checksum += signal.samples[i] }
        print("neuropipe channels=\(signal.channelCount) samples=\(signal.samples.count) checksum=\(checksum) read_s=\(seconds)")
    }
}
