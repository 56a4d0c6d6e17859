import Foundation
import NeuroCore

/// Builds EDF/BDF bytes field by field, so tests can produce every edge case and every malformation
/// (fields are raw strings: a test can put anything into any field).
struct SyntheticEDF {
    struct Signal {
        var label = "EEG Fz"
        var transducer = ""
        var unit = "uV"
        var physicalMin = "-100"
        var physicalMax = "100"
        var digitalMin = "-32768"
        var digitalMax = "32767"
        var prefilter = ""
        var samplesPerRecord = "10"
        /// Per record: digital samples (data signals) or raw bytes (annotation signals, via `annotationBytes`).
        var digital: [[Int32]] = []
        var annotationBytes: [[UInt8]] = []
    }

    var bdf = false
    var version: String? = nil
    var patient = "X X X X"
    var recording = "Startdate 01-JAN-2020 X X X"
    var startDate = "01.01.20"
    var startTime = "10.20.30"
    var headerBytes: String? = nil
    var reserved = ""
    var records = "1"
    var recordDuration = "1"
    var signalCount: String? = nil
    var signals: [Signal] = []
    /// Raw latin-1 bytes to splice over the patient field (for encoding tests).
    var patientBytes: [UInt8]? = nil

    func bytes() -> [UInt8] {
        var h = [UInt8]()
        func put(_ s: String, _ w: Int) {
            var b = Array(s.utf8.prefix(w))
            b += [UInt8](repeating: 0x20, count: w - b.count)
            h += b
        }
        if let version { put(version, 8) } else if bdf { h.append(0xFF); put("BIOSEMI", 7) } else { put("0", 8) }
        if let patientBytes {
            h += patientBytes.prefix(80) + [UInt8](repeating: 0x20, count: max(0, 80 - patientBytes.count))
        } else { put(patient, 80) }
        put(recording, 80)
        put(startDate, 8)
        put(startTime, 8)
        put(headerBytes ?? String(256 * (signals.count + 1)), 8)
        put(reserved, 44)
        put(records, 8)
        put(recordDuration, 8)
        put(signalCount ?? String(signals.count), 4)
        for s in signals { put(s.label, 16) }
        for s in signals { put(s.transducer, 80) }
        for s in signals { put(s.unit, 8) }
        for s in signals { put(s.physicalMin, 8) }
        for s in signals { put(s.physicalMax, 8) }
        for s in signals { put(s.digitalMin, 8) }
        for s in signals { put(s.digitalMax, 8) }
        for s in signals { put(s.prefilter, 80) }
        for s in signals { put(s.samplesPerRecord, 8) }
        for _ in signals { put("", 32) }
        let bps = bdf ? 3 : 2
        let nrec = signals.map { max($0.digital.count, $0.annotationBytes.count) }.max() ?? 0
        for r in 0..<nrec {
            for s in signals {
                let spr = min(1 << 20, max(0, Int(s.samplesPerRecord.trimmingCharacters(in: .whitespaces)) ?? 0))
                if !s.annotationBytes.isEmpty {
                    var b = r < s.annotationBytes.count ? s.annotationBytes[r] : []
                    b += [UInt8](repeating: 0, count: max(0, spr * bps - b.count))
                    h += b.prefix(spr * bps)
                } else {
                    let vals = r < s.digital.count ? s.digital[r] : []
                    for j in 0..<spr {
                        let u = UInt32(bitPattern: j < vals.count ? vals[j] : 0)
                        h.append(UInt8(u & 0xFF))
                        h.append(UInt8((u >> 8) & 0xFF))
                        if bdf { h.append(UInt8((u >> 16) & 0xFF)) }
                    }
                }
            }
        }
        return h
    }

    /// A TAL list as annotation bytes: the time-keeping TAL followed by `(onset, duration, text)` entries.
    static func tals(keeping: String, _ entries: [(String, String?, String)] = []) -> [UInt8] {
        var s = "\(keeping)\u{14}\u{14}\u{0}"
        for (onset, duration, text) in entries {
            s += onset + (duration.map { "\u{15}" + $0 } ?? "") + "\u{14}" + text + "\u{14}\u{0}"
        }
        return Array(s.utf8)
    }

    /// An EDF+ annotation signal carrying `perRecord[r]` bytes in record r.
    static func annotationSignal(bdf: Bool = false, samples: Int = 30, _ perRecord: [[UInt8]]) -> Signal {
        var s = Signal()
        s.label = bdf ? "BDF Annotations" : "EDF Annotations"
        s.unit = ""
        s.physicalMin = "-1"
        s.physicalMax = "1"
        s.digitalMin = bdf ? "-8388608" : "-32768"
        s.digitalMax = bdf ? "8388607" : "32767"
        s.samplesPerRecord = String(samples)
        s.annotationBytes = perRecord
        return s
    }

    /// Writes the bytes to a fresh temporary file and returns its path.
    func write(name: String = "synthetic.edf") throws -> String {
        try TempDir.shared.write(bytes(), name: name)
    }
}

/// A per-process temporary directory for test files.
final class TempDir: @unchecked Sendable {
    static let shared = TempDir()
    let path: String
    private let lock = NSLock()
    private var counter = 0

    init() {
        path = NSTemporaryDirectory() + "neuropipe-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ bytes: [UInt8], name: String) throws -> String {
        let p = uniquePath(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func uniquePath(_ name: String) -> String {
        lock.lock()
        counter += 1
        let n = counter
        lock.unlock()
        let dir = path + "/\(n)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }
}

/// Paths of committed fixtures.
enum Fixtures {
    static let root: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    /// A golden JSON file as Foundation objects, parsed with correctly rounded numbers (NeuroCore's parser;
    /// JSONSerialization on Linux can be an ulp off).
    static func json(_ relative: String) throws -> [String: Any] {
        let text = try String(contentsOfFile: path(relative), encoding: .utf8)
        return foundation(try JSONValue.parse(text)) as! [String: Any]
    }

    static func foundation(_ v: JSONValue) -> Any {
        switch v {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return NSNumber(value: i)
        case .number(let d): return NSNumber(value: d)
        case .string(let s): return s
        case .array(let a): return a.map(foundation)
        case .object(let m): return Dictionary(m.map { ($0.0, foundation($0.1)) }, uniquingKeysWith: { a, _ in a })
        }
    }

    static func list(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(dir))) ?? []).sorted()
    }
}
