import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// The EEGLAB v7.3 reader against MNE 1.13's read_raw_eeglab (scripts/golden/eeglab) on mne-testing-data's set.
struct EEGLABTests {
    @Test func readsTheTestSetAsMNEDoes() throws {
        let golden = try Fixtures.json("golden/eeglab/test_raw_h5.json")
        let rec = try RecordingLoader.load(path: Fixtures.path("hdf5/test_raw_h5.set"))
        let names = golden["ch_names"] as! [String]
        #expect(rec.signal.channels.map(\.label) == names)
        #expect(rec.signal.channels.allSatisfy { $0.sampleRate == golden["sfreq"] as! Double && $0.unit == "uV" })
        let n = golden["n_times"] as! Int
        #expect(rec.signal.counts == [Int](repeating: n, count: names.count))
        // Values are float32 in the file; MNE multiplies by 1e-6 and the golden file by 1e6 again: 1e-9 relative.
        let sums = golden["sums"] as! [Double], first = golden["first"] as! [[Double]], last = golden["last"] as! [[Double]]
        for c in names.indices {
            let x = rec.signal.channel(c)
            let sum = x.reduce(0, +)
            #expect(abs(sum - sums[c]) <= 1e-9 * max(1, x.reduce(0) { $0 + abs($1) }), "channel \(c) sum")
            for (k, v) in first[c].enumerated() { #expect(abs(x[x.startIndex + k] - v) <= 1e-9 * max(1, abs(v))) }
            for (k, v) in last[c].enumerated() { #expect(abs(x[x.startIndex + n - 3 + k] - v) <= 1e-9 * max(1, abs(v))) }
        }
        let onsets = golden["onsets"] as! [Double], descriptions = golden["descriptions"] as! [String]
        #expect(rec.annotations.count == onsets.count && onsets.count == 154)
        for (a, (o, d)) in zip(rec.annotations, zip(onsets, descriptions)) {
            // MNE stores annotation onsets rounded to the microsecond.
            #expect(abs(a.onset - o) <= 5.0001e-7 && a.text == d, "\(a.onset) \(a.text) vs \(o) \(d)")
        }
    }

    /// A missing or truncated .fdt and an epoched or v5 set are clear errors naming the file and field.
    @Test func badSetsAreClearErrors() throws {
        let dir = NSTemporaryDirectory() + "neuropipe-eeglab-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Fixtures.path("hdf5/test_raw_h5.set"), toPath: dir + "/test_raw_h5.set")
        #expect { try RecordingLoader.load(path: dir + "/test_raw_h5.set") } throws: { ($0 as? InputError)?.file.hasSuffix("test_raw.fdt") == true }
        let fdt = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hdf5/test_raw.fdt")))
        try fdt.prefix(1000).write(to: URL(fileURLWithPath: dir + "/test_raw.fdt"))
        #expect { try RecordingLoader.load(path: dir + "/test_raw_h5.set") } throws: { e in
            guard let e = e as? InputError else { return false }
            return e.field == "size" && e.message.contains("3904512")
        }
        var v5 = Data("MATLAB 5.0 MAT-file, Platform: GLNXA64".utf8)
        v5.append(Data(count: 200))
        try v5.write(to: URL(fileURLWithPath: dir + "/old.set"))
        #expect { try RecordingLoader.load(path: dir + "/old.set") } throws: { ($0 as? InputError)?.message.contains("7.3") == true }
    }
}
