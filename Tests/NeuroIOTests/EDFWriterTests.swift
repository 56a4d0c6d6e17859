import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Files written by NeuroPipe, checked three ways: byte-identical to the committed files that MNE and edfio
/// read in scripts/golden/edf, what those readers saw equals the source within half a quantisation step, and
/// NeuroPipe's own reader returns the same header fields and annotations.
struct EDFWriterTests {
    static let conversions: [(String, String)] = {
        let text = try! String(contentsOfFile: Fixtures.path("golden/edf-written.txt"), encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let p = line.split(separator: " ")
            return (String(p[0]), String(p[1]))
        }
    }()

    static func convert(_ source: String, _ out: String) throws -> (EDFReader, String) {
        let reader = try EDFReader(path: Fixtures.path("edf/\(source)"))
        let path = TempDir.shared.uniquePath(out)
        try EDFWriter.write(try reader.readRecording(), to: path, kind: out.hasSuffix(".bdf") ? .bdf : .edf,
                            recordDuration: reader.header.recordDuration)
        return (reader, path)
    }

    /// Half a quantisation step of a channel as written.
    static func halfStep(_ c: ChannelInfo) -> Double {
        abs(c.physicalMax - c.physicalMin) / Double(c.digitalMax - c.digitalMin) / 2
    }

    @Test("writer output is byte-identical to the committed golden files", arguments: conversions.map(\.1))
    func byteIdentical(out: String) throws {
        let source = Self.conversions.first { $0.1 == out }!.0
        let (_, path) = try Self.convert(source, out)
        let mine = try Data(contentsOf: URL(fileURLWithPath: path))
        let golden = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("golden/edf-written/\(out)")))
        let identical = mine == golden   // a Bool: Swift Testing would otherwise diff the bytes on failure (quadratic)
        #expect(identical, "\(out) differs from the file the references read; rerun scripts/golden/edf if the change is intended")
    }

    @Test("MNE and edfio read written files as the source", arguments: conversions.map(\.1))
    func referencesReadWrittenFiles(out: String) throws {
        let source = Self.conversions.first { $0.1 == out }!.0
        let src = try EDFReader(path: Fixtures.path("edf/\(source)"))
        let written = try EDFReader(path: Fixtures.path("golden/edf-written/\(out)"))
        let golden = try Fixtures.json("golden/edf-written-read/\(out).json")
        let srcStats = try src.channelStatistics()

        let edfio = golden["edfio"] as! [String: Any]
        try #require(edfio["error"] == nil, "edfio reads \(out): \(edfio["error"] ?? "")")
        let chans = edfio["channels"] as! [[String: Any]]
        try #require(chans.count == src.channels.count)
        for (i, c) in chans.enumerated() {
            #expect(c["label"] as! String == src.channels[i].label)
            #expect(abs((c["sfreq"] as! Double) - src.channels[i].sampleRate) < 1e-9)
            #expect(c["n_samples"] as! Int == src.sampleCount(channel: i))
            let s = c["stats"] as! [String: Double]
            let h = Self.halfStep(written.channels[i]) * (1 + 1e-9) + 1e-12
            #expect(abs(s["min"]! - srcStats[i].min) <= h, "\(out) \(c["label"]!) min")
            #expect(abs(s["max"]! - srcStats[i].max) <= h)
            #expect(abs(s["first"]! - srcStats[i].first!) <= h)
            #expect(abs(s["last"]! - srcStats[i].last!) <= h)
            #expect(abs(s["sum"]! - srcStats[i].sum) <= h * Double(srcStats[i].count))
        }
        // Annotations: same texts, onsets and durations as in the source (edfio sorts by onset, text).
        let theirs = (edfio["annotations"] as! [[String: Any]]).map { ($0["onset"] as! Double, $0["duration"] as? Double, $0["text"] as! String) }
        let mine = src.annotations.map { ($0.onset, $0.duration, $0.text) }.sorted { ($0.0, $0.2) < ($1.0, $1.2) }
        #expect(theirs.count == mine.count)
        for (a, b) in zip(mine, theirs) {
            #expect(abs(a.0 - b.0) < 1e-9 && a.1 == b.1 && a.2 == b.2, "\(out): \(a) vs \(b)")
        }
        if let start = edfio["startdatetime"] as? String, let s = src.start {
            #expect(start.prefix(19) == s.iso8601.prefix(19))
        }

        let mne = golden["mne"] as! [String: Any]
        try #require(mne["error"] == nil, "MNE reads \(out): \(mne["error"] ?? "")")
        #expect((mne["ch_names"] as! [String]).count == uniqueChannelLabels(src.channels.map(\.label)).count)
        if !src.channels.isEmpty {
            let mneAnn = (mne["annotations"] as! [[String: Any]]).map { $0["text"] as! String }.sorted()
            #expect(mneAnn == src.annotations.map(\.text).sorted())
        }
    }

    @Test("write then read returns header fields, annotations and values", arguments: conversions.map(\.1))
    func roundTrip(out: String) throws {
        let source = Self.conversions.first { $0.1 == out }!.0
        let (src, path) = try Self.convert(source, out)
        let back = try EDFReader(path: path)
        #expect(back.format.isPlus)
        #expect(back.format.isBDF == out.hasSuffix(".bdf"))
        #expect(back.start == src.start)
        #expect(back.recordCount == src.recordCount)
        #expect(back.header.recordDuration == src.header.recordDuration)
        #expect(back.segments == src.segments)
        #expect(back.annotations == src.annotations)
        #expect(back.channels.map(\.label) == src.channels.map(\.label))
        #expect(back.channels.map(\.unit) == src.channels.map(\.unit))
        #expect(back.channels.map(\.prefilter) == src.channels.map(\.prefilter))
        #expect(back.channels.map(\.transducer) == src.channels.map(\.transducer))
        let a = try src.read(), b = try back.read()
        #expect(a.counts == b.counts)
        for i in 0..<a.channelCount {
            let h = Self.halfStep(back.channels[i]) * (1 + 1e-9) + 1e-12
            let worst = zip(a.channel(i), b.channel(i)).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= h, "\(out) channel \(i): max error \(worst) > half step \(h)")
        }
    }

    @Test("writer quantises arbitrary values within half a step, EDF and BDF")
    func quantisation() throws {
        for kind in [EDFWriter.Kind.edf, .bdf] {
            let n = 1000
            let values = (0..<n).map { 123.456 * sin(Double($0) * 0.37) + 7.5 }
            let ch = ChannelInfo(label: "Cz", unit: "uV", sampleRate: 250, physicalMin: 0, physicalMax: 0, digitalMin: 0, digitalMax: 0)
            let start = LocalDateTime(year: 2090, month: 3, day: 4, hour: 5, minute: 6, second: 7, nanosecond: 250_000_000)
            let rec = Recording(signal: MultichannelSignal(channels: [ch], samples: values, counts: [n]), start: start,
                                patient: "P1 F 01-JAN-1950 Jane_Doe", recordingID: "",
                                annotations: [Annotation(onset: 0.5, duration: 1.25, text: "Ünïcødé ✓"), Annotation(onset: -2, duration: nil, text: "before")])
            let path = TempDir.shared.uniquePath(kind == .bdf ? "q.bdf" : "q.edf")
            try EDFWriter.write(rec, to: path, kind: kind, recordDuration: 0.4)
            let back = try EDFReader(path: path)
            #expect(back.start == start, "sub-second start and a year after 2084 survive")
            #expect(back.annotations == rec.annotations)
            #expect(back.header.patient == "P1 F 01-JAN-1950 Jane_Doe")
            #expect(back.header.recordDuration == 0.4)
            let h = Self.halfStep(back.channels[0]) * (1 + 1e-9)
            let got = try back.read().channel(0)
            #expect(zip(values, got).allSatisfy { abs($0 - $1) <= h })
            #expect(back.channels[0].physicalMin <= values.min()! && back.channels[0].physicalMax >= values.max()!)
        }
    }

    @Test("writer refuses what EDF cannot store, and leaves no file behind")
    func refusals() throws {
        let ch = ChannelInfo(label: "X", unit: "", sampleRate: 10.5, physicalMin: 0, physicalMax: 1, digitalMin: 0, digitalMax: 1)
        let bad = Recording(signal: MultichannelSignal(channels: [ch], samples: [Double](repeating: 0, count: 21), counts: [21]), start: nil)
        let path = TempDir.shared.uniquePath("bad.edf")
        #expect(throws: InputError.self) { try EDFWriter.write(bad, to: path, kind: .edf) }
        var nan = bad
        nan.signal = MultichannelSignal(channels: [ChannelInfo(label: "X", unit: "", sampleRate: 10, physicalMin: 0, physicalMax: 1, digitalMin: 0, digitalMax: 1)],
                                        samples: [0, .nan] + [Double](repeating: 0, count: 18), counts: [20])
        #expect(throws: InputError.self) { try EDFWriter.write(nan, to: path, kind: .edf) }
        let dir = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "no partial or temporary file left")
    }
}
