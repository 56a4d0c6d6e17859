import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// NeuroPipe's EDF/BDF reader against edfio 0.4.18, MNE 1.13.2 and pyedflib 0.1.42
/// (golden JSON from scripts/golden/edf, one per fixture in Tests/Fixtures/edf).
struct EDFGoldenTests {
    static let files = Fixtures.list("edf")

    @Test("fixture set is complete", arguments: [0])
    func fixtureSetPresent(_: Int) {
        #expect(Self.files.count >= 23)
        for f in Self.files { #expect(FileManager.default.fileExists(atPath: Fixtures.path("golden/edf/\(f).json")), "golden for \(f)") }
    }

    @Test("header fields and physical values match edfio", arguments: files)
    func matchesEdfio(file: String) throws {
        let golden = try Fixtures.json("golden/edf/\(file).json")
        let ref = golden["edfio"] as! [String: Any]
        if ref["error"] != nil { return }  // edfio refuses (anonymised start date); covered by MNE below
        let reader = try EDFReader(path: Fixtures.path("edf/\(file)"))
        #expect(reader.recordCount == ref["n_records"] as! Int)
        #expect(reader.header.recordDuration == ref["record_duration_s"] as! Double)
        let chans = ref["channels"] as! [[String: Any]]
        try #require(reader.channels.count == chans.count)
        let stats = try reader.channelStatistics()
        for (i, c) in chans.enumerated() {
            let mine = reader.channels[i]
            #expect(mine.label == c["label"] as! String)
            #expect(mine.unit == c["unit"] as! String)
            #expect(abs(mine.sampleRate - (c["sfreq"] as! Double)) <= 1e-9 * mine.sampleRate)
            #expect(reader.sampleCount(channel: i) == c["n_samples"] as! Int)
            #expect(mine.physicalMin == c["physical_min"] as! Double)
            #expect(mine.physicalMax == c["physical_max"] as! Double)
            #expect(mine.digitalMin == c["digital_min"] as! Int)
            #expect(mine.digitalMax == c["digital_max"] as! Int)
            #expect(mine.prefilter == c["prefilter"] as! String)
            #expect(mine.transducer == c["transducer"] as! String)
            guard let s = c["stats"] as? [String: Double] else { continue }
            let scale = max(abs(mine.physicalMin), abs(mine.physicalMax), 1)
            // Same formula, different rounding order: values agree to ~1e-12 of the range.
            let tol = 1e-11 * scale
            #expect(abs(stats[i].min - s["min"]!) <= tol, "\(file) \(mine.label) min")
            #expect(abs(stats[i].max - s["max"]!) <= tol, "\(file) \(mine.label) max")
            #expect(abs(stats[i].first! - s["first"]!) <= tol)
            #expect(abs(stats[i].last! - s["last"]!) <= tol)
            let n = Double(stats[i].count)
            #expect(abs(stats[i].sum - s["sum"]!) <= tol * n, "\(file) \(mine.label) sum")
            #expect(abs(stats[i].sumOfSquares - s["sum_sq"]!) <= 2 * tol * scale * n, "\(file) \(mine.label) sum_sq")
            if let words = c["status_words"] as? [String: Any] {
                let w = try #require(try reader.statusWords())
                #expect(w.reduce(0) { $0 + Int($1) } == words["sum"] as! Int)
                #expect(Int(w.max()!) == words["max"] as! Int)
            }
        }
        // edfio sorts annotations by onset and text; onsets are seconds from the first sample in both.
        let refAnn = (ref["annotations"] as! [[String: Any]]).map { ($0["onset"] as! Double, $0["duration"] as? Double, $0["text"] as! String) }
        let mine = reader.annotations.map { ($0.onset, $0.duration, $0.text) }.sorted { ($0.0, $0.2) < ($1.0, $1.2) }
        #expect(mine.count == refAnn.count, "\(file) annotation count")
        for (a, r) in zip(mine, refAnn) {
            #expect(abs(a.0 - r.0) < 1e-9, "\(file) onset \(a.0)")
            #expect(a.1 == r.1)
            #expect(a.2 == r.2)
        }
        if let start = ref["startdatetime"] as? String, let mine = reader.start {
            #expect(mine.iso8601.prefix(19) == start.prefix(19))
            // edfio keeps microseconds.
            let micro = start.count > 20 ? Int(start.dropFirst(20).padding(toLength: 6, withPad: "0", startingAt: 0))! : 0
            #expect(abs(mine.nanosecond / 1000 - micro) <= 1, "\(file) sub-second start")
        }
    }

    @Test("annotations, start and length match MNE", arguments: files)
    func matchesMNE(file: String) throws {
        let golden = try Fixtures.json("golden/edf/\(file).json")
        let ref = golden["mne"] as! [String: Any]
        try #require(ref["error"] == nil, "MNE read every fixture when the golden was made")
        let reader = try EDFReader(path: Fixtures.path("edf/\(file)"))
        // MNE drops the sub-second part of the start; the whole seconds must agree.
        if let md = ref["meas_date"] as? String, let mine = reader.start {
            #expect(mine.iso8601.prefix(19) == md.prefix(19), "\(file) start")
        }
        let rates = Set(reader.channels.map(\.sampleRate))
        if rates.count == 1, let i = reader.channels.indices.first {
            #expect(reader.sampleCount(channel: i) == ref["n_times"] as! Int)
            #expect(abs(reader.channels[i].sampleRate - (ref["sfreq"] as! Double)) < 1e-9)
        }
        // MNE loses the annotations of files without data signals (it reads TALs only within n_times);
        // those files are compared with edfio and pyedflib instead.
        if reader.channels.isEmpty { return }
        // MNE sorts annotations by onset, writes duration 0 when the file gives none, rounds onsets to whole
        // microseconds (datetime arithmetic) and crops durations at the end of the data; NeuroPipe keeps them.
        let refAnn = (ref["annotations"] as! [[String: Any]]).map { ($0["onset"] as! Double, $0["duration"] as! Double, $0["text"] as! String) }
        let end = reader.duration
        let mine = reader.annotations.map { ($0.onset, min($0.duration ?? 0, max(0, end - $0.onset)), $0.text) }
            .sorted { ($0.0, $0.2) < ($1.0, $1.2) }
        let theirs = refAnn.sorted { ($0.0, $0.2) < ($1.0, $1.2) }
        #expect(mine.count == theirs.count, "\(file) annotation count")
        for (a, b) in zip(mine, theirs) {
            #expect(abs(a.0 - b.0) <= 5e-7 + 1e-12, "\(file) onset")
            #expect(abs(a.1 - b.1) <= 1e-6)
            #expect(a.2 == b.2)
        }
    }

    @Test("labels and rates match pyedflib where it reads the file", arguments: files)
    func matchesPyedflib(file: String) throws {
        let golden = try Fixtures.json("golden/edf/\(file).json")
        let ref = golden["pyedflib"] as! [String: Any]
        let reader = try EDFReader(path: Fixtures.path("edf/\(file)"))
        if let err = ref["error"] as? String {
            // pyedflib refuses EDF+D and BioSemi's native header; NeuroPipe reads both (checked against edfio/MNE).
            #expect(err.contains("discontinuous") || err.contains("Number of Datarecords"), "\(file): \(err)")
            return
        }
        #expect(reader.channels.map(\.label) == (ref["labels"] as! [String]).map { $0.trimmingCharacters(in: .whitespaces) })
        let rates = ref["sfreq"] as! [Double]
        for (c, r) in zip(reader.channels, rates) { #expect(abs(c.sampleRate - r) < 1e-9) }
        // pyedflib (EDFlib) reads annotations of data-less files too; it reports a missing duration as −1 or 0.
        let theirs = (ref["annotations"] as! [[String: Any]]).map { ($0["onset"] as! Double, $0["text"] as! String) }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        let mine = reader.annotations.map { ($0.onset, $0.text) }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        #expect(mine.count == theirs.count, "\(file) annotation count")
        for (a, b) in zip(mine, theirs) {
            #expect(abs(a.0 - b.0) < 1e-6, "\(file) onset")
            #expect(a.1 == b.1)
        }
    }
}
