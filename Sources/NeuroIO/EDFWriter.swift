import Foundation
import NeuroCore

/// Writes EDF+ and BDF+ files (continuous, or discontinuous when the recording has several segments) with
/// annotations. Physical values come back within half a quantisation step; header fields and annotations exactly.
/// The file is written to a temporary name beside `path`, synced, then renamed: a killed run leaves no partial file.
public enum EDFWriter {
    public enum Kind: Sendable { case edf, bdf }

    /// Writes `recording` and returns the flavour written (EDF+C/D or BDF+C/D).
    /// - Parameter recordDuration: seconds per data record; default 1 s (needs integer sample rates).
    @discardableResult
    public static func write(_ recording: Recording, to path: String, kind: Kind, recordDuration: Double? = nil) throws -> EDFFormat {
        let plan = try Plan(recording, path: path, kind: kind, recordDuration: recordDuration)
        try AtomicFile.write(to: path) { sink in
            try sink.write(plan.headerBytes())
            var record = [UInt8](repeating: 0, count: plan.recordBytes)
            for r in 0..<plan.recordCount {
                plan.fillRecord(r, into: &record)
                try sink.write(record)
            }
        }
        return plan.format
    }

    /// Everything decided before the first byte is written, so every error surfaces before any output exists.
    struct Plan {
        let recording: Recording
        let kind: Kind
        let format: EDFFormat
        let duration: Double
        let recordCount: Int
        let samplesPerRecord: [Int]
        let physicalMin: [String], physicalMax: [String]
        let digitalMin: [Int], digitalMax: [Int]
        let gain: [Double], pmin: [Double], pmax: [Double]
        let talRecords: [[UInt8]]
        let annotationSamples: Int
        let recordBytes: Int
        let headerStart: LocalDateTime

        var bps: Int { kind == .bdf ? 3 : 2 }

        init(_ rec: Recording, path: String, kind: Kind, recordDuration: Double?) throws {
            recording = rec
            self.kind = kind
            let sig = rec.signal
            func fail(_ field: String, _ message: String) -> InputError { InputError(file: path, field: field, message: message) }

            // Record duration and samples per record.
            let d: Double
            if sig.channelCount == 0 {
                d = recordDuration ?? 0
            } else if let given = recordDuration {
                guard given > 0 else { throw fail("record duration", "got \(given) s; expected > 0 for a file with signals") }
                d = given
            } else {
                d = 1
            }
            var sprs = [Int]()
            var records: Int? = nil
            for (i, c) in sig.channels.enumerated() {
                let exact = c.sampleRate * d
                let spr = Int(exact.rounded())
                guard spr > 0, abs(exact - Double(spr)) < 1e-6 else {
                    throw fail("channel \(c.label) sample rate", "\(c.sampleRate) Hz × \(d) s records is not a whole number of samples; choose another record duration")
                }
                guard sig.counts[i] % spr == 0 else {
                    throw fail("channel \(c.label) samples", "\(sig.counts[i]) samples is not a whole number of \(d) s records (\(spr) samples each)")
                }
                let n = sig.counts[i] / spr
                if let r = records, r != n {
                    throw fail("channel \(c.label) samples", "covers \(n) records but earlier channels cover \(r); channels must span the same duration")
                }
                records = n
                sprs.append(spr)
            }
            let recordCount = records ?? (rec.annotations.isEmpty ? 0 : 1)
            duration = d
            self.recordCount = recordCount
            samplesPerRecord = sprs

            // Ranges and quantisation.
            let (floor, ceiling) = kind == .bdf ? (-8_388_608, 8_388_607) : (-32_768, 32_767)
            var pminS = [String](), pmaxS = [String](), dmins = [Int](), dmaxs = [Int](), gains = [Double](), pmins = [Double](), pmaxs = [Double]()
            for (i, c) in sig.channels.enumerated() {
                let values = sig.channel(i)
                var lo = Double.infinity, hi = -Double.infinity
                for (j, v) in values.enumerated() {
                    guard v.isFinite else { throw fail("channel \(c.label) sample \(j)", "is \(v); EDF/BDF cannot store NaN or infinity") }
                    lo = Swift.min(lo, v)
                    hi = Swift.max(hi, v)
                }
                if values.isEmpty { lo = 0; hi = 0 }
                // Keep the channel's own ranges when they are representable and contain the data (lossless EDF→EDF).
                let keepS = (HeaderField.number(c.physicalMin), HeaderField.number(c.physicalMax))
                let step = c.digitalMax > c.digitalMin ? abs(c.physicalMax - c.physicalMin) / Double(c.digitalMax - c.digitalMin) : 0
                let keep = c.digitalMin < c.digitalMax && c.digitalMin >= floor && c.digitalMax <= ceiling
                    && keepS.0 != nil && keepS.1 != nil
                    && Double(keepS.0!) == c.physicalMin && Double(keepS.1!) == c.physicalMax
                    && (c.physicalMin != c.physicalMax ? lo >= Swift.min(c.physicalMin, c.physicalMax) - step / 2 && hi <= Swift.max(c.physicalMin, c.physicalMax) + step / 2
                                                        : lo == c.physicalMin && hi == c.physicalMin)
                if keep {
                    pminS.append(keepS.0!); pmaxS.append(keepS.1!)
                    dmins.append(c.digitalMin); dmaxs.append(c.digitalMax)
                } else {
                    guard let a = HeaderField.number(lo, rounding: .down), let b = HeaderField.number(hi == lo ? lo + 1 : hi, rounding: .up) else {
                        throw fail("channel \(c.label) physical range", "\(lo)…\(hi) does not fit the 8-character header fields")
                    }
                    pminS.append(a); pmaxS.append(b)
                    dmins.append(floor); dmaxs.append(ceiling)
                }
                let a = Double(pminS[i])!, b = Double(pmaxS[i])!
                pmins.append(a); pmaxs.append(b)
                gains.append(a == b ? 0 : Double(dmaxs[i] - dmins[i]) / (b - a))
            }
            physicalMin = pminS; physicalMax = pmaxS; digitalMin = dmins; digitalMax = dmaxs
            gain = gains; pmin = pmins; pmax = pmaxs

            // Record onsets (discontinuous when there are several segments).
            let start = rec.start ?? LocalDateTime(year: 1985, month: 1, day: 1)
            var whole = start
            whole.nanosecond = 0
            headerStart = whole
            let fraction = Double(start.nanosecond) / 1e9
            var onsets = [Double]()
            if rec.segments.count > 1 {
                for seg in rec.segments {
                    let n = Int((seg.duration / d).rounded())
                    for k in 0..<n { onsets.append(seg.onset + Double(k) * d) }
                }
                guard onsets.count == recordCount else {
                    throw fail("segments", "segments cover \(onsets.count) records of \(d) s but the data has \(recordCount)")
                }
                format = kind == .bdf ? .bdfPlusD : .edfPlusD
            } else {
                onsets = (0..<recordCount).map { Double($0) * d }
                format = kind == .bdf ? .bdfPlusC : .edfPlusC
            }

            // TALs: the time-keeping TAL in every record, annotations spread evenly in file order.
            var tals = onsets.map { Array("\(TALText.seconds($0 + fraction, signed: true))\u{14}\u{14}\u{0}".utf8) }
            let k = rec.annotations.count
            for (j, a) in rec.annotations.enumerated() {
                let r = recordCount == 0 ? 0 : Swift.min(recordCount - 1, j * recordCount / Swift.max(k, 1))
                tals[r] += TALText.encode(a, shift: fraction)
            }
            let longest = tals.map(\.count).max() ?? 0
            let bps = kind == .bdf ? 3 : 2
            annotationSamples = (longest + bps - 1) / bps
            talRecords = tals
            recordBytes = (sprs.reduce(0, +) + annotationSamples) * bps
        }

        func headerBytes() -> [UInt8] {
            let ns = samplesPerRecord.count + 1
            var h = [UInt8]()
            h.reserveCapacity(256 * (ns + 1))
            func put(_ s: String, _ width: Int) { h += HeaderField.ascii(s, width: width) }
            if kind == .bdf { h.append(0xFF); put("BIOSEMI", 7) } else { put("0", 8) }
            put(HeaderField.patient(recording.patient), 80)
            put(HeaderField.recordingField(recording.recordingID, start: recording.start), 80)
            let yy = headerStart.year >= 1985 && headerStart.year <= 2084 ? HeaderField.two(headerStart.year % 100) : "yy"
            put("\(HeaderField.two(headerStart.day)).\(HeaderField.two(headerStart.month)).\(yy)", 8)
            put("\(HeaderField.two(headerStart.hour)).\(HeaderField.two(headerStart.minute)).\(HeaderField.two(headerStart.second))", 8)
            put(String(256 * (ns + 1)), 8)
            put(format.rawValue, 44)
            put(String(recordCount), 8)
            put(HeaderField.number(duration) ?? "1", 8)
            put(String(ns), 4)
            let annLabel = kind == .bdf ? "BDF Annotations" : "EDF Annotations"
            let chans = recording.signal.channels
            let (floor, ceiling) = kind == .bdf ? (-8_388_608, 8_388_607) : (-32_768, 32_767)
            for c in chans { put(c.label, 16) }; put(annLabel, 16)
            for c in chans { put(c.transducer, 80) }; put("", 80)
            for c in chans { put(c.unit, 8) }; put("", 8)
            for s in physicalMin { put(s, 8) }; put("-1", 8)
            for s in physicalMax { put(s, 8) }; put("1", 8)
            for d in digitalMin { put(String(d), 8) }; put(String(floor), 8)
            for d in digitalMax { put(String(d), 8) }; put(String(ceiling), 8)
            for c in chans { put(c.prefilter, 80) }; put("", 80)
            for s in samplesPerRecord { put(String(s), 8) }; put(String(annotationSamples), 8)
            for _ in 0..<ns { put("", 32) }
            return h
        }

        func fillRecord(_ r: Int, into out: inout [UInt8]) {
            let sig = recording.signal
            var pos = 0
            let bdf = kind == .bdf
            sig.samples.withUnsafeBufferPointer { samples in
                for i in 0..<samplesPerRecord.count {
                    let spr = samplesPerRecord[i]
                    let base = sig.offsets[i] + r * spr
                    let (g, lo, dmin, dmax) = (gain[i], pmin[i], digitalMin[i], digitalMax[i])
                    for j in 0..<spr {
                        var d = g == 0 ? dmin : Int(((samples[base + j] - lo) * g + Double(dmin)).rounded())
                        d = Swift.min(dmax, Swift.max(dmin, d))
                        let u = UInt32(bitPattern: Int32(d))
                        out[pos] = UInt8(u & 0xFF)
                        out[pos + 1] = UInt8((u >> 8) & 0xFF)
                        if bdf { out[pos + 2] = UInt8((u >> 16) & 0xFF) }
                        pos += bdf ? 3 : 2
                    }
                }
            }
            let tal = r < talRecords.count ? talRecords[r] : []
            for j in 0..<(annotationSamples * bps) { out[pos + j] = j < tal.count ? tal[j] : 0 }
        }
    }
}

/// Formatting of EDF+ TAL text: onsets and durations in seconds with up to nanosecond precision.
enum TALText {
    static func seconds(_ x: Double, signed: Bool) -> String {
        let ns = Int((x * 1e9).rounded())
        let sign = ns < 0 ? "-" : (signed ? "+" : "")
        let a = abs(ns)
        var frac = String(a % 1_000_000_000)
        frac = String(repeating: "0", count: 9 - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        return sign + String(a / 1_000_000_000) + (frac.isEmpty ? "" : "." + frac)
    }

    static func encode(_ a: Annotation, shift: Double) -> [UInt8] {
        var s = seconds(a.onset + shift, signed: true)
        if let d = a.duration { s += "\u{15}" + seconds(d, signed: false) }
        // \x14 and NUL would break the TAL framing; text is UTF-8 otherwise unchanged.
        let text = a.text.replacingOccurrences(of: "\u{14}", with: " ").replacingOccurrences(of: "\u{0}", with: " ")
        return Array((s + "\u{14}" + text + "\u{14}\u{0}").utf8)
    }
}

/// Fixed-width ASCII header fields.
enum HeaderField {
    static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }

    /// `s` as printable ASCII (others become "?"), cut or space-padded to `width` bytes.
    static func ascii(_ s: String, width: Int) -> [UInt8] {
        var out = s.unicodeScalars.prefix(width).map { $0.value >= 0x20 && $0.value < 0x7F ? UInt8($0.value) : UInt8(ascii: "?") }
        out += [UInt8](repeating: 0x20, count: width - out.count)
        return out
    }

    enum Rounding { case nearest, down, up }

    /// The shortest decimal text of at most 8 characters equal to `v` (or, when rounding down/up, the closest
    /// one ≤ / ≥ `v`); nil when none fits.
    static func number(_ v: Double, rounding: Rounding = .nearest) -> String? {
        if v == v.rounded(), abs(v) < 1e8 {
            let s = String(Int(v))
            if s.count <= 8 { return s }
        }
        for decimals in stride(from: 7, through: 0, by: -1) {
            var s = String(format: "%.\(decimals)f", v)
            if s.count > 8 { continue }
            guard var parsed = Double(s) else { continue }
            let unit = pow(10, -Double(decimals))
            switch rounding {
            case .nearest:
                if parsed != v { return decimals == 7 || s.count == 8 ? nil : nil }
            case .down:
                if parsed > v { parsed -= unit; s = String(format: "%.\(decimals)f", parsed) }
            case .up:
                if parsed < v { parsed += unit; s = String(format: "%.\(decimals)f", parsed) }
            }
            if s.count <= 8 { return trim(s) }
        }
        return nil
    }

    private static func trim(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t == "-0" ? "0" : t
    }

    /// EDF+ patient field: kept when it already is "code sex birthdate name …" (sex M/F/X, birthdate
    /// dd-MMM-yyyy or X), else "X X X <original_text_with_underscores>".
    static func patient(_ p: String) -> String {
        let parts = p.split(separator: " ").map(String.init)
        if parts.count >= 4, ["M", "F", "X"].contains(parts[1]), parts[2] == "X" || isDate(parts[2]) { return p }
        return p.isEmpty ? "X X X X" : "X X X " + parts.joined(separator: "_")
    }

    /// True for "dd-MMM-yyyy" with an English month abbreviation.
    static func isDate(_ s: String) -> Bool {
        let p = s.split(separator: "-", omittingEmptySubsequences: false)
        return p.count == 3 && p[0].count == 2 && Int(p[0]) != nil && months.contains(p[1].uppercased())
            && p[2].count == 4 && Int(p[2]) != nil
    }

    /// EDF+ recording field: "Startdate dd-MMM-yyyy …" with the date of `start`, other subfields kept.
    static func recordingField(_ r: String, start: LocalDateTime?) -> String {
        let date = start.map { "\(two($0.day))-\(months[$0.month - 1])-\($0.year)" } ?? "X"
        let parts = r.split(separator: " ").map(String.init)
        if parts.first == "Startdate", parts.count >= 5 {
            return (["Startdate", date] + parts.dropFirst(2)).joined(separator: " ")
        }
        return "Startdate \(date) X X X" + (r.isEmpty ? "" : " " + parts.joined(separator: "_"))
    }
}

/// Writes a file through a temporary sibling and an atomic rename; on any error the temporary file is removed.
public enum AtomicFile {
    public final class Sink {
        let handle: FileHandle
        let path: String
        init(handle: FileHandle, path: String) { self.handle = handle; self.path = path }
        public func write(_ bytes: [UInt8]) throws {
            do { try handle.write(contentsOf: bytes) } catch {
                throw RuntimeFailure(context: path, message: "write failed: \(error.localizedDescription)")
            }
        }
    }

    /// A hidden, unique temporary name in the same directory as `path` (so the final rename is atomic).
    public static func temporarySibling(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return (dir.isEmpty ? "." : dir) + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Deletes temporary siblings (`.<name>.tmp-<pid>-<n>`) left under `root` by killed writers: only those whose
    /// process no longer exists, so a concurrent writer's file is never touched. Folders named in `skipping` are not
    /// entered. Returns the removed paths.
    @discardableResult
    public static func removeAbandonedTemporaries(under root: String, skipping: Set<String> = []) -> [String] {
        var removed = [String]()
        guard let walker = FileManager.default.enumerator(atPath: root) else { return removed }
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if skipping.contains(name) { walker.skipDescendants(); continue }
            guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { continue }
            let parts = name[marker.upperBound...].split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), UInt32(parts[1]) != nil, pid > 0 else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH, unlink(root + "/" + rel) == 0 { removed.append(root + "/" + rel) }
        }
        return removed
    }

    public static func write(to path: String, _ body: (Sink) throws -> Void) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = temporarySibling(of: path)
        InFlightTemporaries.add(tmp)
        defer { InFlightTemporaries.remove(tmp) }
        guard FileManager.default.createFile(atPath: tmp, contents: nil) else {
            throw InputError(file: path, field: "output", message: "cannot create a file in \(dir.isEmpty ? "." : dir)")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp))
            do {
                try body(Sink(handle: handle, path: path))
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(tmp, path) == 0 else {
                throw RuntimeFailure(context: path, message: "cannot move the finished file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(tmp)
            throw error
        }
    }
}
