import Foundation
import NeuroCore

/// EEGLAB datasets saved as MATLAB v7.3 (`.set` is then HDF5 behind a 512-byte MATLAB header), the format of
/// OpenNeuro's dementia EEG (ds004504): continuous data from the companion `.fdt` (float32, channels fastest) or from
/// the `.set` itself, channel labels from `chanlocs`, events as annotations. Values as EEGLAB stores them (µV).
/// Conventions follow MNE's `read_raw_eeglab`: onset = (latency − 1) / srate, duration likewise (0 when absent),
/// description = the event type, and "EEG 000", "EEG 001", … when the set has no channel labels.
public enum EEGLABReader {
    public static func read(_ file: HDF5File) throws -> Recording {
        let path = file.path
        // pop_saveset writes either the fields of EEG at the root ('-struct') or one EEG struct.
        let base = file.exists("/EEG/srate") ? "/EEG/" : "/"
        func scalar(_ name: String) throws -> Double {
            guard file.exists(base + name) else { throw InputError(file: path, field: "EEG.\(name)", message: "is missing; not an EEGLAB dataset") }
            let v = try file.readDoubles(base + name).values
            guard v.count == 1, v[0].isFinite else { throw InputError(file: path, field: "EEG.\(name)", message: "expected one finite number, got \(v.count) values") }
            return v[0]
        }
        let rate = try scalar("srate"), channels = try scalar("nbchan"), samples = try scalar("pnts"), trials = try scalar("trials")
        guard rate > 0, channels >= 1, samples >= 1, channels == channels.rounded(), samples == samples.rounded() else {
            throw InputError(file: path, field: "EEG.srate/nbchan/pnts", message: "expected a positive rate and whole positive counts, got \(rate) Hz, \(channels) channels, \(samples) samples")
        }
        guard trials == 1 else {
            throw InputError(file: path, field: "EEG.trials", message: "is \(Int(trials)): an epoched EEGLAB set; only continuous sets (trials = 1) are read")
        }
        guard channels <= 1_000_000, samples <= 1e13 else {
            throw InputError(file: path, field: "EEG.nbchan/pnts", message: "declares \(channels) channels × \(samples) samples, more than any recording holds")
        }
        let (c, n) = (Int(channels), Int(samples))
        // float32 values as read, then Float64 samples: 12 bytes per value at the peak.
        let product = c.multipliedReportingOverflow(by: n)
        try MemoryBudget.require(product.overflow ? Int.max : product.partialValue, bytesPerValue: 12, file: path, field: "EEG.nbchan/pnts", what: "\(c) channels × \(n) samples")
        let values = try data(file, base: base, channels: c, samples: n)
        let labels = try channelLabels(file, base: base, count: c)
        let infos = labels.map { ChannelInfo(label: $0, unit: "uV", sampleRate: rate, physicalMin: 0, physicalMax: 0, digitalMin: 0, digitalMax: 0) }
        var storage = [Double](repeating: 0, count: c * n)
        for t in 0..<n { for ch in 0..<c { storage[ch * n + t] = Double(values[t * c + ch]) } }
        let signal = MultichannelSignal(channels: infos, samples: storage, counts: [Int](repeating: n, count: c))
        return Recording(signal: signal, start: nil, annotations: try events(file, base: base, rate: rate),
                         segments: [Segment(onset: 0, duration: Double(n) / rate, dataOffset: 0)])
    }

    /// `[samples × channels]` float32 values (MATLAB's column-major `[channels × samples]`).
    static func data(_ file: HDF5File, base: String, channels c: Int, samples n: Int) throws -> [Float] {
        let path = file.path
        guard file.exists(base + "data") else { throw InputError(file: path, field: "EEG.data", message: "is missing") }
        if matlabClass(file, base + "data") == "char" {
            let name = try text(file, base + "data")
            let fdt = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent((name as NSString).lastPathComponent)
            let raw = try ReadOnlyFile(path: fdt)
            let expected = 4 * c * n
            guard raw.size == expected else {
                throw InputError(file: fdt, field: "size", message: "is \(raw.size) bytes; EEG.nbchan × EEG.pnts float32 values are \(expected) bytes")
            }
            let bytes = try raw.read(at: 0, count: expected, field: "data")
            return bytes.withUnsafeBytes { b in (0..<(c * n)).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        }
        let (shape, v) = try file.readDoubles(base + "data")
        guard shape.reduce(1, *) == c * n, shape.count == 2, shape[1] == c else {
            throw InputError(file: path, field: "EEG.data", message: "has shape \(shape); expected \(n) samples × \(c) channels as MATLAB v7.3 stores [channels × samples]")
        }
        return v.map { Float($0) }
    }

    static func channelLabels(_ file: HDF5File, base: String, count: Int) throws -> [String] {
        let labels = base + "chanlocs/labels"
        guard file.exists(labels) else { return (0..<count).map { String(format: "EEG %03d", $0) } }
        let names = try file.referencedPaths(labels).map { try text(file, $0) }
        guard names.count == count else {
            throw InputError(file: file.path, field: "EEG.chanlocs", message: "has \(names.count) labels for \(count) channels")
        }
        return names
    }

    static func events(_ file: HDF5File, base: String, rate: Double) throws -> [Annotation] {
        let group = base + "event/"
        guard file.exists(group + "latency"), file.exists(group + "type") else { return [] }
        let latencies = try file.referencedPaths(group + "latency"), types = try file.referencedPaths(group + "type")
        let durations = file.exists(group + "duration") ? try file.referencedPaths(group + "duration") : []
        guard latencies.count == types.count else {
            throw InputError(file: file.path, field: "EEG.event", message: "has \(latencies.count) latencies for \(types.count) types")
        }
        return try latencies.indices.map { i in
            guard let latency = try file.readDoubles(latencies[i]).values.first else {
                throw InputError(file: file.path, field: "EEG.event(\(i + 1)).latency", message: "is empty; expected a sample number")
            }
            let duration = durations.count == latencies.count ? (try file.readDoubles(durations[i]).values.first ?? 0) : 0
            let type = matlabClass(file, types[i]) == "char" ? try text(file, types[i]) : (try file.readDoubles(types[i]).values.first.map { "\($0)" } ?? "")
            return Annotation(onset: (latency - 1) / rate, duration: duration / rate, text: type)
        }
    }

    static func matlabClass(_ file: HDF5File, _ object: String) -> String? {
        (try? file.attributes(of: object))?.first { $0.0 == "MATLAB_class" }?.1.stringValue
    }

    /// A MATLAB char array (UTF-16 code units); empty arrays (MATLAB_empty) are "".
    static func text(_ file: HDF5File, _ object: String) throws -> String {
        if (try? file.attributes(of: object))?.contains(where: { $0.0 == "MATLAB_empty" && $0.1.doubleValue == 1 }) == true { return "" }
        let units = try file.readDoubles(object).values.map { UInt16(clamping: Int($0)) }
        return String(decoding: units, as: UTF16.self)
    }
}
