import Foundation
import NeuroCore

/// Loads a continuous recording from EDF/BDF, an EEGLAB v7.3 .set, a timestamps CSV or NeuroPipe's HDF5 continuous layout.
public enum RecordingLoader {
    public static func load(path: String) throws -> Recording {
        switch try FileKind.detect(path: path) {
        case .edf, .bdf:
            return try EDFReader(path: path).readRecording()
        case .hdf5:
            do {
                // MATLAB v7.3 files (EEGLAB .set) are HDF5 behind a 512-byte text header naming MATLAB.
                let head = try ReadOnlyFile(path: path).read(at: 0, count: 10, field: "magic")
                if head == Array("MATLAB 7.3".utf8) { return try EEGLABReader.read(HDF5File(path: path)) }
                return try loadContinuousHDF5(HDF5File(path: path))
            } catch let e as HDF5Error { throw e.inputError }
        case .csv:
            return try CSVRecording.read(path: path).recording
        case .nifti:
            throw InputError(file: path, field: "format", message: "is a NIfTI image; expected a recording (EDF, BDF, CSV or HDF5 continuous layout)")
        }
    }

    static func loadContinuousHDF5(_ f: HDF5File) throws -> Recording {
        let attrs = Dictionary(try f.attributes(of: "/").map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        guard attrs["layout"] == .string("neuropipe.continuous") else {
            throw InputError(file: f.path, field: "/@layout", message: "expected \"neuropipe.continuous\" (data-schemas/hdf5-continuous.schema.json)")
        }
        func strings(_ v: JSONValue?) -> [String] {
            if case .array(let a)? = v { return a.compactMap { if case .string(let s) = $0 { return s } else { return nil } } }
            if case .string(let s)? = v { return [s] }
            return []
        }
        func numbers(_ v: JSONValue?) -> [Double] {
            if case .array(let a)? = v { return a.compactMap { switch $0 { case .number(let d): return d; case .int(let i): return Double(i); default: return nil } } }
            if case .number(let d)? = v { return [d] }
            return []
        }
        let names = strings(attrs["ch_names"]), units = strings(attrs["units"]), rates = numbers(attrs["sfreqs"])
        guard names.count == rates.count, units.count == names.count else {
            throw InputError(file: f.path, field: "/@ch_names", message: "ch_names, units and sfreqs must have one entry per channel")
        }
        let channels = names.indices.map { ChannelInfo(label: names[$0], unit: units[$0], sampleRate: rates[$0], physicalMin: 0, physicalMax: 0, digitalMin: 0, digitalMax: 0) }
        let signal: MultichannelSignal
        if f.exists("/data") {
            let (shape, values) = try f.readDoubles("/data")
            guard shape.count == 2, shape[0] == names.count else {
                throw InputError(file: f.path, field: "/data", message: "shape \(shape); expected [\(names.count) channels × samples]")
            }
            signal = MultichannelSignal(channels: channels, samples: values, counts: [Int](repeating: shape[1], count: shape[0]))
        } else {
            var all = [Double](), counts = [Int]()
            for i in names.indices {
                let v = try f.readDoubles("/channels/" + String(format: "%04d", i)).values
                all += v
                counts.append(v.count)
            }
            signal = MultichannelSignal(channels: channels, samples: all, counts: counts)
        }
        let onset = try f.readDoubles("/annotations/onset").values, duration = try f.readDoubles("/annotations/duration").values
        let text = try f.readStrings("/annotations/text")
        let segOn = try f.readDoubles("/segments/onset").values, segDur = try f.readDoubles("/segments/duration").values
        var offset = 0.0
        let segments = zip(segOn, segDur).map { s -> Segment in defer { offset += s.1 }; return Segment(onset: s.0, duration: s.1, dataOffset: offset) }
        var start: LocalDateTime? = nil
        if case .string(let s)? = attrs["start"] { start = parseISO(s) }
        return Recording(signal: signal, start: start, annotations: zip(zip(onset, duration), text).map {
            Annotation(onset: $0.0.0, duration: $0.0.1.isNaN ? nil : $0.0.1, text: $0.1)
        }, segments: segments)
    }

    static func parseISO(_ s: String) -> LocalDateTime? {
        let parts = s.split(whereSeparator: { "-T:.".contains($0) }).map(String.init)
        guard parts.count >= 6, let y = Int(parts[0]), let mo = Int(parts[1]), let d = Int(parts[2]), let h = Int(parts[3]),
              let mi = Int(parts[4]), let se = Int(parts[5]) else { return nil }
        var ns = 0
        if parts.count > 6 { ns = Int(parts[6].padding(toLength: 9, withPad: "0", startingAt: 0)) ?? 0 }
        return LocalDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: se, nanosecond: ns)
    }

    /// The subject a file belongs to: the BIDS `sub-<label>` in its path, else a `subject<label>` / `subj<label>`
    /// folder, else the file name without extension.
    public static func subject(of path: String) -> String {
        for part in path.split(separator: "/").reversed() {
            if let r = part.range(of: "sub-") {
                let label = part[r.upperBound...].prefix { $0.isLetter || $0.isNumber }
                if !label.isEmpty { return "sub-" + label }
            }
        }
        for part in path.split(separator: "/").reversed().dropFirst() {
            let lower = part.lowercased()
            for prefix in ["subject", "subj"] where lower.hasPrefix(prefix) {
                let label = lower.dropFirst(prefix.count).drop { $0 == "-" || $0 == "_" }
                if !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber }) { return "sub-" + label }
            }
        }
        var name = (path as NSString).lastPathComponent
        while (name as NSString).pathExtension != "" { name = (name as NSString).deletingPathExtension }
        return name
    }
}

extension HDF5Layout {
    /// Spectra layout: `/psd` `[channels × freqs]`, `/freqs` `[freqs]`, root attributes ch_names, sfreq and every
    /// setting given in `settings`.
    public static func writeSpectra(psd: Matrix, freqs: [Double], channelNames: [String], sampleRate: Double,
                                    settings: [(String, JSONValue)], source: String, to path: String) throws {
        let w = try HDF5Writer(path: path)
        try w.setAttribute("layout", .string("neuropipe.spectra"))
        try w.setAttribute("layout_version", .int(1))
        try w.setAttribute("neuropipe_version", .string(NeuroPipeVersion.current))
        try w.setAttribute("source", .string(source))
        try w.setAttribute("ch_names", .array(channelNames.map { .string($0) }))
        try w.setAttribute("sfreq", .number(sampleRate))
        for (k, v) in settings where v != .null { try w.setAttribute(k, v) }
        try w.writeDoubles("/psd", psd.storage, shape: [psd.rows, psd.cols])
        try w.writeDoubles("/freqs", freqs, shape: [freqs.count])
        try w.commit()
    }

    /// Epochs layout: `/X` `[trials × channels × samples]`, `/y` labels (strings), `/groups` (strings),
    /// `/onsets` (s); root attributes sfreq, ch_names, tmin, drop_log (one line per dropped candidate).
    public static func writeEpochs(data: [Double], trials: Int, channels: Int, samples: Int, labels: [String], groups: [String],
                                   onsets: [Double], sampleRate: Double, channelNames: [String], tmin: Double, dropLog: [String],
                                   settings: [(String, JSONValue)], to path: String) throws {
        let w = try HDF5Writer(path: path)
        try w.setAttribute("layout", .string("neuropipe.epochs"))
        try w.setAttribute("layout_version", .int(1))
        try w.setAttribute("neuropipe_version", .string(NeuroPipeVersion.current))
        try w.setAttribute("sfreq", .number(sampleRate))
        try w.setAttribute("ch_names", .array(channelNames.map { .string($0) }))
        try w.setAttribute("tmin", .number(tmin))
        if !dropLog.isEmpty { try w.setAttribute("drop_log", .array(dropLog.map { .string($0) })) }
        for (k, v) in settings where v != .null { try w.setAttribute(k, v) }
        try w.writeDoubles("/X", data, shape: [trials, channels, samples], storage: .contiguous)   // signals barely deflate; see writeContinuous
        try w.writeStrings("/y", labels)
        try w.writeStrings("/groups", groups)
        try w.writeDoubles("/onsets", onsets, shape: [onsets.count])
        try w.commit()
    }
}

/// Tab-separated tables (BIDS style: header row, `n/a` for missing) and JSON sidecars, written atomically.
public enum TableWriter {
    public static func writeTSV(header: [String], rows: [[String]], to path: String) throws {
        var text = header.joined(separator: "\t") + "\n"
        for r in rows { text += r.joined(separator: "\t") + "\n" }
        try AtomicFile.write(to: path) { try $0.write(Array(text.utf8)) }
    }

    public static func writeJSON(_ value: JSONValue, to path: String) throws {
        try AtomicFile.write(to: path) { try $0.write(Array((value.serialized(pretty: true) + "\n").utf8)) }
    }

    /// A number for a TSV cell: shortest round-trip text, `n/a` for NaN/inf.
    public static func cell(_ v: Double) -> String { v.isFinite ? "\(v)" : "n/a" }
}
