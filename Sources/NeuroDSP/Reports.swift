import Foundation
import NeuroCore

/// Band-power tables as `neuropipe bandpower` and the `bandpower` stage write them, with the sidecar describing
/// every convention.
public enum BandpowerTable {
    public static func compute(_ x: Matrix, sampleRate fs: Double, channelNames: [String], unit: String, bands: [FrequencyBand] = FrequencyBand.defaults,
                               relative: Bool = false, epochLength: Double? = nil, segments: [Segment] = [], source: String) throws
        -> (header: [String], rows: [[String]], sidecar: JSONValue) {
        var windows: [(label: String, onset: Double, m: Matrix)] = [("all", 0, x)]
        if let len = epochLength {
            let e = try Epoching.fixedLength(x, sampleRate: fs, channelNames: channelNames, length: len, segments: segments)
            windows = (0..<e.trials).map { ("\($0)", e.onsets[$0], e.trial($0)) }
        }
        let bandIndex = Dictionary(uniqueKeysWithValues: bands.enumerated().map { ($1.name, $0) })
        var ratioNames = [String]()
        if bandIndex["theta"] != nil, bandIndex["alpha"] != nil { ratioNames.append("theta_alpha") }
        if ["delta", "theta", "alpha", "beta"].allSatisfy({ bandIndex[$0] != nil }) { ratioNames.append("delta_theta_over_alpha_beta") }
        var settings = WelchSettings()
        settings.nperseg = Int((4 * fs).rounded())
        var rows = [[String]]()
        func cell(_ v: Double) -> String { v.isFinite ? "\(v)" : "n/a" }
        for w in windows {
            let (freqs, psd) = try WelchPSD.compute(w.m, sampleRate: fs, settings: settings, segments: epochLength == nil ? segments : [])
            for c in 0..<psd.rows {
                let (abs, rel) = SpectralFeatures.bandPowers(psd.row(c), freqs: freqs, bands: bands)
                var row = [channelNames[c]] + (epochLength != nil ? [w.label, cell(w.onset)] : [])
                row += (relative ? rel : abs).map(cell)
                if ratioNames.contains("theta_alpha") { row.append(cell(abs[bandIndex["theta"]!] / abs[bandIndex["alpha"]!])) }
                if ratioNames.contains("delta_theta_over_alpha_beta") {
                    row.append(cell((abs[bandIndex["delta"]!] + abs[bandIndex["theta"]!]) / (abs[bandIndex["alpha"]!] + abs[bandIndex["beta"]!])))
                }
                rows.append(row)
            }
        }
        let header = ["channel"] + (epochLength != nil ? ["epoch", "onset_s"] : []) + bands.map(\.name) + ratioNames
        let sidecar = JSONValue.object([
            ("source", .string(source)), ("neuropipe_version", .string(NeuroPipeVersion.current)),
            ("bands", .object(bands.map { ($0.name, .array([.number($0.low), .number($0.high)])) })),
            ("values", .string(relative ? "relative band power (fraction of total)" : "absolute band power, \(unit)^2")),
            ("integration_rule", .string(SpectralFeatures.integrationRule)),
            ("relative_normalisation_range_hz", .array([.number(1), .number(45)])),
            ("ratios", .object([("theta_alpha", .string("theta / alpha (absolute powers)")),
                                 ("delta_theta_over_alpha_beta", .string("(delta + theta) / (alpha + beta) (absolute powers)"))].filter { ratioNames.contains($0.0) })),
            ("psd", .object([("method", .string("welch")), ("window", .string("hann")), ("nperseg", .int(settings.nperseg!)),
                             ("noverlap", .string("nperseg/2")), ("detrend", .string("constant")), ("note", .string("nperseg capped at the epoch length"))])),
            ("epoch_length_s", epochLength.map { .number($0) } ?? .null),
        ])
        return (header, rows, sidecar)
    }
}

/// Epochs of one recording as `neuropipe epochs` and the `epochs` stage cut them.
public enum RecordingEpochs {
    public struct Settings: Sendable {
        public var events: Set<String>?
        public var tmin: Double?
        public var tmax: Double?
        public var length: Double?
        public var overlap: Double = 0
        public var baseline: Epoching.Baseline?
        /// Peak-to-peak threshold in µV (converted to the channels' unit).
        public var rejectMicrovolts: Double?
        public init() {}
    }

    /// `annotations` default to the recording's own; `x` are the chosen channels `[channels × samples]`.
    public static func cut(_ rec: Recording, x: Matrix, sampleRate fs: Double, channelNames: [String], units: [String], settings s: Settings,
                           annotations: [Annotation]? = nil, group: String) throws -> Epochs {
        var threshold: Double? = nil
        if let r = s.rejectMicrovolts {
            guard Set(units).count == 1, let per = PhysicalUnit.microvolts(per: units[0]) else {
                throw InputError(file: "", field: "reject_uv", message: "channel units \(Set(units).sorted()) are not one voltage unit; choose EEG channels")
            }
            threshold = r / per
        }
        if let wanted = s.events {
            guard let tmin = s.tmin, let tmax = s.tmax else { throw InputError(file: "", field: "tmin", message: "event epochs need tmin and tmax") }
            let ev = (annotations ?? rec.annotations).filter { wanted.contains($0.text) }.map { (onset: $0.onset, label: $0.text) }
            return try Epoching.eventLocked(x, sampleRate: fs, channelNames: channelNames, events: ev, tmin: tmin, tmax: tmax, baseline: s.baseline,
                                            rejectPeakToPeak: threshold, segments: rec.segments, group: group)
        }
        guard let length = s.length else { throw InputError(file: "", field: "events", message: "give events with tmin/tmax, or a fixed length") }
        return try Epoching.fixedLength(x, sampleRate: fs, channelNames: channelNames, length: length, overlap: s.overlap, baseline: s.baseline,
                                        rejectPeakToPeak: threshold, segments: rec.segments, group: group)
    }
}
