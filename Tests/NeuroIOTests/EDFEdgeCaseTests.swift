import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Generated files for each reader rule of the EDF/EDF+/BDF specs and the pitfalls users reported.
struct EDFEdgeCaseTests {
    typealias S = SyntheticEDF

    static func signal(_ label: String, spr: Int, records: [[Int32]], pmin: String = "-100", pmax: String = "100",
                       dmin: String = "-32768", dmax: String = "32767") -> S.Signal {
        var s = S.Signal()
        s.label = label
        s.samplesPerRecord = String(spr)
        s.digital = records
        s.physicalMin = pmin
        s.physicalMax = pmax
        s.digitalMin = dmin
        s.digitalMax = dmax
        return s
    }

    @Test func scalingFollowsTheSpecExactly() throws {
        var f = S()
        f.signals = [Self.signal("A", spr: 4, records: [[-32768, 32767, 0, -1]], pmin: "-100", pmax: "100")]
        let r = try EDFReader(path: try f.write())
        let x = Array(try r.read().channel(0))
        let g = 200.0 / 65535.0
        #expect(x == [-100, 100, (0 + 32768) * g - 100, (-1 + 32768) * g - 100])
    }

    @Test func equalPhysicalLimitsGiveTheConstant() throws {
        var f = S()
        f.signals = [Self.signal("Flat", spr: 3, records: [[5, -7, 100]], pmin: "2.5", pmax: "2.5")]
        let r = try EDFReader(path: try f.write())
        #expect(Array(try r.read().channel(0)) == [2.5, 2.5, 2.5])
        #expect(r.warnings.contains { $0.contains("physical minimum equals physical maximum") })
    }

    @Test func mixedRatesNonIntegerRatesAndWindows() throws {
        var f = S()
        f.recordDuration = "0.7"
        let a = (0..<4).map { r in (0..<7).map { Int32(r * 7 + $0) } }
        let b = (0..<4).map { r in (0..<3).map { Int32(1000 + r * 3 + $0) } }
        f.records = "4"
        f.signals = [Self.signal("Fast", spr: 7, records: a, pmin: "-32768", pmax: "32767"),
                     Self.signal("Slow", spr: 3, records: b, pmin: "-32768", pmax: "32767")]
        let r = try EDFReader(path: try f.write())
        #expect(r.channels[0].sampleRate == 10)
        #expect(abs(r.channels[1].sampleRate - 3 / 0.7) < 1e-12)
        let full = try r.read()
        #expect(full.counts == [28, 12])
        #expect(Array(full.channel(0)) == (0..<28).map(Double.init))
        #expect(Array(full.channel(1)) == (1000..<1012).map(Double.init))
        // Window [0.35, 2.05) s: fast samples 4…20 (t = k/10), slow samples 2…8 (t = k·0.7/3).
        let w = try r.read(channels: [1, 0], from: 0.35, to: 2.05)
        #expect(Array(w.channel(0)) == (1002..<1009).map(Double.init))
        #expect(Array(w.channel(1)) == (4..<21).map(Double.init))
        #expect(w.channels.map(\.label) == ["Slow", "Fast"])
    }

    @Test(arguments: [("01.02.84", 2084), ("01.02.85", 1985), ("01.02.99", 1999), ("01.02.00", 2000)])
    func twoDigitYears(date: String, year: Int) throws {
        var f = S()
        f.recording = "anything"
        f.startDate = date
        f.signals = [Self.signal("A", spr: 1, records: [[0]])]
        let r = try EDFReader(path: try f.write())
        #expect(r.start == LocalDateTime(year: year, month: 2, day: 1, hour: 10, minute: 20, second: 30))
    }

    @Test func startdateSubfieldWinsUnlessX() throws {
        var f = S()
        f.reserved = "EDF+C"
        f.startDate = "02.03.02"
        f.recording = "Startdate 02-MAR-2002 X X X"
        f.signals = [Self.signal("A", spr: 1, records: [[0]]), S.annotationSignal([S.tals(keeping: "+0")])]
        #expect(try EDFReader(path: try f.write()).start?.year == 2002)
        f.recording = "Startdate X X X X"
        #expect(try EDFReader(path: try f.write()).start?.year == 2002)
        f.recording = "Startdate 03-MAR-1902 X X X"   // disagrees with the header: used, with a warning
        let r = try EDFReader(path: try f.write())
        #expect(r.start == LocalDateTime(year: 1902, month: 3, day: 3, hour: 10, minute: 20, second: 30))
        #expect(r.warnings.contains { $0.contains("disagrees") })
    }

    @Test func latin1HeaderBytesAndDuplicateLabels() throws {
        var f = S()
        f.patientBytes = Array("Ren".utf8) + [0xE9] + Array(" M X X".utf8)
        f.signals = [Self.signal("EEG F1-Ref", spr: 1, records: [[1]]), Self.signal("EEG F1-Ref", spr: 1, records: [[2]])]
        let r = try EDFReader(path: try f.write())
        #expect(r.header.patient == "René M X X")
        let sig = try r.read()
        #expect(sig.uniqueLabels == ["EEG F1-Ref-0", "EEG F1-Ref-1"])
        #expect(sig.indices(ofLabel: "EEG F1-Ref") == [0, 1])
        #expect(r.warnings.contains { $0.contains("duplicate channel labels") })
    }

    @Test func unknownRecordCountIsInferred() throws {
        var f = S()
        f.records = "-1"
        f.signals = [Self.signal("A", spr: 2, records: [[1, 2], [3, 4], [5, 6]], pmin: "-32768", pmax: "32767")]
        let r = try EDFReader(path: try f.write())
        #expect(r.recordCount == 3)
        #expect(Array(try r.read().channel(0)) == [1, 2, 3, 4, 5, 6])
        #expect(r.warnings.contains { $0.contains("-1") })
    }

    @Test func truncatedLastRecordIsDroppedWithAWarning() throws {
        var f = S()
        f.records = "3"
        f.signals = [Self.signal("A", spr: 4, records: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], pmin: "-32768", pmax: "32767")]
        var bytes = f.bytes()
        bytes.removeLast(3)
        let path = try TempDir.shared.write(bytes, name: "trunc.edf")
        let r = try EDFReader(path: path)
        #expect(r.recordCount == 2)
        #expect(Array(try r.read().channel(0)) == (1...8).map(Double.init))
        #expect(r.warnings.contains { $0.contains("truncated") })
    }

    @Test func subsecondStartShiftsStartNotOnsets() throws {
        var f = S()
        f.reserved = "EDF+C"
        f.records = "2"
        f.signals = [Self.signal("A", spr: 2, records: [[0, 0], [0, 0]]),
                     S.annotationSignal([S.tals(keeping: "+0.375", [("+1.375", "0.5", "Spike")]), S.tals(keeping: "+1.375")])]
        let r = try EDFReader(path: try f.write())
        #expect(r.start == LocalDateTime(year: 2020, month: 1, day: 1, hour: 10, minute: 20, second: 30, nanosecond: 375_000_000))
        #expect(r.annotations == [Annotation(onset: 1, duration: 0.5, text: "Spike")])
        #expect(r.segments.count == 1)
        #expect(try r.infoJSON(stats: false).serialized().contains("\"start\":\"2020-01-01T10:20:30.375\""))
    }

    @Test func discontinuousFileExposesSegments() throws {
        var f = S()
        f.reserved = "EDF+D"
        f.records = "3"
        f.signals = [Self.signal("A", spr: 2, records: [[1, 2], [3, 4], [5, 6]], pmin: "-32768", pmax: "32767"),
                     S.annotationSignal([S.tals(keeping: "+0"), S.tals(keeping: "+1"), S.tals(keeping: "+5", [("+5.5", nil, "after gap")])])]
        let r = try EDFReader(path: try f.write())
        #expect(r.format == .edfPlusD)
        #expect(r.segments == [Segment(onset: 0, duration: 2, dataOffset: 0), Segment(onset: 5, duration: 1, dataOffset: 2)])
        #expect(r.recordOnsets == [0, 1, 5])
        #expect(r.annotations == [Annotation(onset: 5.5, duration: nil, text: "after gap")])
        // Written back, the gap survives as EDF+D.
        let out = TempDir.shared.uniquePath("d.edf")
        #expect(try EDFWriter.write(try r.readRecording(), to: out, kind: .edf) == .edfPlusD)
        #expect(try EDFReader(path: out).segments == r.segments)
    }

    @Test func severalAnnotationSignalsUtf8AndAnnotationsOutsideTheData() throws {
        var f = S()
        f.reserved = "EDF+C"
        f.signals = [Self.signal("A", spr: 1, records: [[0]]),
                     S.annotationSignal([S.tals(keeping: "+0", [("+0.5", nil, "仰卧")])]),
                     S.annotationSignal(samples: 40, [Array("+100\u{15}2\u{14}late\u{14}second text\u{14}\u{0}-3\u{14}early\u{14}\u{0}".utf8)])]
        let r = try EDFReader(path: try f.write())
        #expect(r.channels.count == 1, "annotation signals are not channels")
        #expect(r.annotations == [Annotation(onset: 0.5, duration: nil, text: "仰卧"),
                                  Annotation(onset: 100, duration: 2, text: "late"), Annotation(onset: 100, duration: 2, text: "second text"),
                                  Annotation(onset: -3, duration: nil, text: "early")])
    }

    @Test func invalidUtf8FallsBackToLatin1WithAWarning() throws {
        var f = S()
        f.reserved = "EDF+C"
        f.signals = [Self.signal("A", spr: 1, records: [[0]]),
                     S.annotationSignal([Array("+0\u{14}\u{14}\u{0}+0.2\u{14}caf".utf8) + [0xE9] + Array("\u{14}\u{0}".utf8)])]
        let r = try EDFReader(path: try f.write())
        #expect(r.annotations.map(\.text) == ["café"])
        #expect(r.warnings.contains { $0.contains("latin-1") })
    }

    @Test func bdf24BitValuesAndStatusWords() throws {
        var f = S()
        f.bdf = true
        var status = Self.signal("Status", spr: 3, records: [[-1, 0x12_3456, -8_388_608]], pmin: "-8388608", pmax: "8388607",
                                 dmin: "-8388608", dmax: "8388607")
        status.unit = "Boolean"
        f.signals = [Self.signal("Cz", spr: 3, records: [[-1, 8_388_607, -8_388_608]], pmin: "-8388608", pmax: "8388607",
                                 dmin: "-8388608", dmax: "8388607"), status]
        let r = try EDFReader(path: try f.write(name: "s.bdf"))
        #expect(r.format == .bdf)
        #expect(Array(try r.read().channel(0)) == [-1, 8_388_607, -8_388_608])
        #expect(try r.readDigital(channel: 1) == [-1, 0x12_3456, -8_388_608])
        #expect(try r.statusWords() == [0xFF_FFFF, 0x12_3456, 0x80_0000])
    }

    @Test func annotationOnlyFileWithZeroRecordDuration() throws {
        var f = S()
        f.reserved = "EDF+C"
        f.recordDuration = "0"
        f.signals = [S.annotationSignal([S.tals(keeping: "+0", [("+0", "30", "Sleep stage W"), ("+30", "30", "Sleep stage 1")])])]
        let r = try EDFReader(path: try f.write())
        #expect(r.channels.isEmpty)
        #expect(r.annotations.count == 2)
        #expect(r.duration == 0)
    }

    @Test func recordDurationsOtherThanOneSecond() throws {
        for (d, spr, rate) in [("0.1", 25, 250.0), ("0.5", 100, 200.0), ("9.59375", 1228, 1228 / 9.59375)] {
            var f = S()
            f.recordDuration = d
            f.records = "2"
            f.signals = [Self.signal("A", spr: spr, records: [[Int32]](repeating: [Int32](repeating: 3, count: spr), count: 2))]
            let r = try EDFReader(path: try f.write())
            #expect(r.channels[0].sampleRate == rate)
            #expect(r.duration == 2 * Double(d)!)
            #expect(r.segments.map(\.duration) == [2 * Double(d)!])
        }
    }

    @Test func infoJSONHasTheContractFields() throws {
        let r = try EDFReader(path: Fixtures.path("edf/S001R04.edf"))
        let json = try r.infoJSON(stats: true).serialized()
        let obj = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        for key in ["format", "start", "n_records", "record_duration_s", "duration_s", "patient", "recording", "channels", "annotations", "segments", "warnings"] {
            #expect(obj[key] != nil, "missing \(key)")
        }
        let ch = (obj["channels"] as! [[String: Any]])[0]
        for key in ["label", "unit", "sfreq", "n_samples", "physical_min", "physical_max", "digital_min", "digital_max", "prefilter", "transducer", "stats"] {
            #expect(ch[key] != nil, "missing channel \(key)")
        }
        #expect(obj["format"] as! String == "EDF+C")
        #expect((obj["channels"] as! [Any]).count == 64)
        #expect((obj["annotations"] as! [Any]).count == 30)
    }
}
