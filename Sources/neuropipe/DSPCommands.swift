import ArgumentParser
import Foundation
import NeuroCore
import NeuroDSP
import NeuroIO

/// Input and channel options shared by the signal-processing verbs.
struct SignalInput: ParsableArguments {
    @Argument(help: "Recording: EDF/BDF, or HDF5 in the continuous layout.")
    var input: String

    @Option(help: "Channels to use: comma-separated names or wildcards (default: every non-trigger channel).")
    var channels: String?

    @Option(help: "Re-reference: average, a channel name, or channels joined by + (e.g. A1+A2 for linked mastoids).")
    var reference: String?

    var patterns: [String]? { channels.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } }

    func load() throws -> (rec: Recording, x: Matrix, fs: Double, names: [String], units: [String]) {
        let rec = try RecordingLoader.load(path: input)
        do {
            var m = try SignalPreparation.matrix(rec, patterns: patterns)
            if let reference {
                let ref: ChannelOps.Reference = reference == "average"
                    ? .average([]) : .channels(try ChannelOps.select(reference.split(separator: "+").map(String.init), from: m.names))
                m.x = ChannelOps.rereference(m.x, ref)
            }
            return (rec, m.x, m.sampleRate, m.names, m.units)
        } catch let e as InputError { throw InputError(file: input, field: e.field, message: e.message) }
    }
}

/// Runs `body`, turning thrown errors into the one-line/JSON error every verb prints.
func runReportingErrors(json: Bool, _ body: () throws -> Void) throws {
    do { try body() } catch let e as ValidationError { throw e } catch let e as HDF5Error { exitWithError(e.inputError, json: json) } catch { exitWithError(error, json: json) }
}

struct PSDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psd", abstract: "Power spectral density by Welch's method (as scipy.signal.welch).",
        discussion: "Writes /psd [channels × freqs] (unit²/Hz for density scaling) and /freqs (Hz) with every setting as attributes (data-schemas/hdf5-spectra.schema.json). Multitaper follows mne.time_frequency.psd_array_multitaper(adaptive=False).")

    @OptionGroup var source: SignalInput
    @Option(help: "Output HDF5 file.") var out: String
    @Option(help: "Method: welch or multitaper.") var method: String = "welch"
    @Option(help: "Multitaper: frequency smoothing bandwidth (Hz; default gives half-bandwidth 4).") var bandwidth: Double?
    @Option(help: "Multitaper normalisation: length (MNE's default) or full (divided by sfreq, a density).") var normalization: String = "length"
    @Option(help: "Samples per segment (default 256, capped at the signal length).") var nperseg: Int?
    @Option(help: "Overlapping samples (default nperseg/2).") var noverlap: Int?
    @Option(help: "FFT length (default nperseg).") var nfft: Int?
    @Option(help: "Window: hann, hamming or boxcar.") var window: String = "hann"
    @Option(help: "Detrend: constant, linear or none.") var detrend: String = "constant"
    @Option(help: "Scaling: density or spectrum.") var scaling: String = "density"
    @Option(help: "Average over segments: mean or median.") var average: String = "mean"
    @Option(help: "Lowest frequency kept (Hz).") var fmin: Double?
    @Option(help: "Highest frequency kept (Hz).") var fmax: Double?
    @OptionGroup var json: JSONOption

    func run() throws {
        guard method == "welch" || method == "multitaper" else { throw ValidationError("--method must be welch or multitaper") }
        guard let norm = Multitaper.Normalization(rawValue: normalization) else { throw ValidationError("--normalization must be length or full") }
        var s = WelchSettings()
        guard let w = WindowFunction(name: window) else { throw ValidationError("--window must be hann, hamming, boxcar or kaiser:BETA") }
        guard let d = WelchSettings.Detrend(rawValue: detrend) else { throw ValidationError("--detrend must be constant, linear or none") }
        guard let sc = WelchSettings.Scaling(rawValue: scaling) else { throw ValidationError("--scaling must be density or spectrum") }
        guard let av = WelchSettings.Average(rawValue: average) else { throw ValidationError("--average must be mean or median") }
        (s.window, s.nperseg, s.noverlap, s.nfft, s.detrend, s.scaling, s.average) = (w, nperseg, noverlap, nfft, d, sc, av)
        try runReportingErrors(json: json.json) {
            try OutputLocation.requireWritableFile(out)
            let (_, x, fs, names, units) = try source.load()
            let unit = Set(units).count == 1 ? units[0] : "mixed"
            if method == "multitaper" {
                let (freqs, psd) = try Multitaper.psd(x, sampleRate: fs, bandwidth: bandwidth, normalization: norm, fmin: fmin ?? 0, fmax: fmax ?? .infinity)
                try HDF5Layout.writeSpectra(psd: psd, freqs: freqs, channelNames: names, sampleRate: fs, settings: [
                    ("method", .string("multitaper")), ("adaptive", .bool(false)), ("low_bias", .bool(true)),
                    ("bandwidth", bandwidth.map { .number($0) } ?? .string("default (half-bandwidth 4)")), ("normalization", .string(norm.rawValue)),
                    ("fmin", fmin.map { .number($0) } ?? .null), ("fmax", fmax.map { .number($0) } ?? .null),
                    ("unit", .string(norm == .full ? "\(unit)^2/Hz" : "\(unit)^2 (length normalisation)")),
                ], source: (source.input as NSString).lastPathComponent, to: out)
                printResult(json: json.json, .object([("output", .string(out)), ("channels", .int(names.count)), ("freqs", .int(freqs.count)), ("sfreq", .number(fs))]),
                            "wrote \(out): \(names.count) channels × \(freqs.count) frequencies (multitaper)")
                return
            }
            let (freqs, psd) = try WelchPSD.compute(x, sampleRate: fs, settings: s)
            let keep = freqs.indices.filter { freqs[$0] >= (fmin ?? -1) && freqs[$0] <= (fmax ?? .infinity) }
            var cut = Matrix(rows: psd.rows, cols: keep.count)
            for c in 0..<psd.rows { for (j, k) in keep.enumerated() { cut[c, j] = psd[c, k] } }
            let (seg, overlap, n) = try s.resolved(length: x.cols)
            try HDF5Layout.writeSpectra(psd: cut, freqs: keep.map { freqs[$0] }, channelNames: names, sampleRate: fs, settings: [
                ("method", .string("welch")), ("window", .string(w.name)), ("nperseg", .int(seg)), ("noverlap", .int(overlap)),
                ("nfft", .int(n)), ("detrend", .string(d.rawValue)), ("scaling", .string(sc.rawValue)), ("average", .string(av.rawValue)),
                ("fmin", fmin.map { .number($0) } ?? .null), ("fmax", fmax.map { .number($0) } ?? .null),
                ("unit", .string(sc == .density ? "\(unit)^2/Hz" : "\(unit)^2")),
            ], source: (source.input as NSString).lastPathComponent, to: out)
            printResult(json: json.json, JSONValue.object([("output", .string(out)), ("channels", .int(names.count)), ("freqs", .int(keep.count)), ("sfreq", .number(fs))]), "wrote \(out): \(names.count) channels × \(keep.count) frequencies")
        }
    }
}

struct BandpowerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bandpower", abstract: "Absolute or relative band power per channel (and per epoch), with band ratios.",
        discussion: "Welch PSD (hann, 4 s segments, 50% overlap, capped at the epoch). Band power = sum of PSD bins with low ≤ f < high times the bin width; relative power divides by the power in [1, 45) Hz. Ratios: theta/alpha and (delta+theta)/(alpha+beta) when those bands exist. A JSON sidecar beside the TSV records every convention.")

    @OptionGroup var source: SignalInput
    @Option(help: "Output TSV file.") var out: String
    @Option(help: "Bands as name=low-high,... (Hz; default delta=1-4,theta=4-8,alpha=8-13,beta=13-30,gamma=30-45).") var bands: String?
    @Flag(help: "Relative band power (fraction of the power in [1, 45) Hz).") var relative = false
    @Option(name: .customLong("epoch-length"), help: "Compute per consecutive epoch of this many seconds.") var epochLength: Double?
    @OptionGroup var json: JSONOption

    func run() throws {
        try runReportingErrors(json: json.json) {
            try OutputLocation.requireWritableFile(out)
            let bandList = try bands.map { try FrequencyBand.parse($0) } ?? FrequencyBand.defaults
            let (rec, x, fs, names, units) = try source.load()
            let (header, rows, sidecar) = try BandpowerTable.compute(x, sampleRate: fs, channelNames: names, unit: Set(units).count == 1 ? units[0] : "mixed",
                                                                     bands: bandList, relative: relative, epochLength: epochLength, segments: rec.segments,
                                                                     source: source.input)
            try TableWriter.writeTSV(header: header, rows: rows, to: out)
            let sidecarPath = (out as NSString).deletingPathExtension + ".json"
            try TableWriter.writeJSON(sidecar, to: sidecarPath)
            printResult(json: json.json, JSONValue.object([("output", .string(out)), ("sidecar", .string(sidecarPath)), ("rows", .int(rows.count))]), "wrote \(out) (\(rows.count) rows) and \(sidecarPath)")
        }
    }
}

struct FilterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter", abstract: "Zero-phase band-pass/high-pass/low-pass and notch filtering.",
        discussion: "FIR (default): MNE's default filters (firwin, hamming window, automatic transition bandwidths, zero phase). IIR: Butterworth (--order) applied forward and backward. --notch F removes F and its harmonics below Nyquist. Output .h5 (continuous layout) or .edf/.bdf.")

    @OptionGroup var source: SignalInput
    @Option(help: "Output: .h5, .edf or .bdf.") var out: String
    @Option(name: .customLong("l-freq"), help: "High-pass edge (Hz).") var lFreq: Double?
    @Option(name: .customLong("h-freq"), help: "Low-pass edge (Hz).") var hFreq: Double?
    @Option(help: "Line frequency to notch out, with harmonics (Hz).") var notch: Double?
    @Option(help: "fir or iir.") var method: String = "fir"
    @Option(help: "Butterworth order for --method iir.") var order: Int = 4
    @OptionGroup var json: JSONOption

    func run() throws {
        guard let m = SignalPreparation.FilterMethod(rawValue: method) else { throw ValidationError("--method must be fir or iir") }
        guard lFreq != nil || hFreq != nil || notch != nil else { throw ValidationError("give --l-freq, --h-freq and/or --notch") }
        try runReportingErrors(json: json.json) {
            try OutputLocation.requireWritableFile(out)
            let (rec, x, fs, names, _) = try source.load()
            let (y, notes) = try SignalPreparation.filter(x, sampleRate: fs, lFreq: lFreq, hFreq: hFreq, notch: notch, method: m, order: order)
            let filtered = SignalPreparation.replacing(rec, names: names, with: y)
            let lower = out.lowercased()
            if lower.hasSuffix(".edf") || lower.hasSuffix(".bdf") {
                try EDFWriter.write(filtered, to: out, kind: lower.hasSuffix(".bdf") ? .bdf : .edf)
            } else if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") {
                try HDF5Layout.writeContinuous(filtered, source: (source.input as NSString).lastPathComponent, to: out)
            } else {
                throw InputError(file: out, field: "extension", message: "expected .h5, .edf or .bdf")
            }
            printResult(json: json.json, JSONValue.object([("output", .string(out))] + notes), "wrote \(out): \(names.count) channels filtered (\(notes.map { "\($0.0)=\($0.1.serialized())" }.joined(separator: ", ")))")
        }
    }
}

struct EpochsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epochs", abstract: "Cut epochs around annotations, or fixed-length epochs, into one HDF5 file.",
        discussion: "Labels come from the annotation text; /groups holds each file's subject (BIDS sub-<label>, else the file name). Epochs leaving the data, crossing an EDF+D gap, or exceeding --reject-uv peak-to-peak are dropped and listed in the drop_log attribute. Layout: data-schemas/hdf5-epochs.schema.json.")

    @Argument(help: "Recordings (EDF/BDF or HDF5 continuous layout).") var inputs: [String]
    @Option(help: "Output HDF5 file.") var out: String
    @Option(help: "Channels: comma-separated names or wildcards (default: every non-trigger channel).") var channels: String?
    @Option(help: "Annotation texts to epoch around, comma-separated (e.g. T1,T2).") var events: String?
    @Option(name: .customLong("events-file"), help: "BIDS events.tsv (onset, trial_type or value) to use instead of the file's annotations; one per input, or one for all.") var eventsFiles: [String] = []
    @Option(help: "Re-reference: average, a channel name, or channels joined by + (e.g. A1+A2).") var reference: String?
    @Option(name: .customLong("group-by"), help: "What /groups holds: subject (BIDS sub-<label> or subject folder) or file (each input a group: cross-session/run evaluation).") var groupBy: String = "subject"
    // Negative times are common (--tmin -0.2): these options take the next argument whatever it starts with.
    @Option(parsing: .unconditional, help: "Epoch start relative to the event (s), e.g. -0.2.") var tmin: Double?
    @Option(parsing: .unconditional, help: "Epoch end relative to the event (s, included).") var tmax: Double?
    @Option(help: "Fixed-length epochs of this many seconds (instead of --events).") var length: Double?
    @Option(help: "Overlap of fixed-length epochs (s).") var overlap: Double = 0
    @Option(parsing: .unconditional, help: "Baseline interval a,b in s (empty side = epoch start/end), e.g. ',0' or '-0.2,0'.") var baseline: String?
    @Option(name: .customLong("reject-uv"), help: "Drop epochs whose peak-to-peak amplitude exceeds this (µV) in any channel.") var rejectUV: Double?
    @OptionGroup var json: JSONOption

    func run() throws {
        guard (events != nil && tmin != nil && tmax != nil) != (length != nil) else {
            throw ValidationError("give either --events with --tmin and --tmax, or --length")
        }
        var base: Epoching.Baseline? = nil
        if let b = baseline {
            let parts = b.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts.allSatisfy({ $0.isEmpty || Double($0) != nil }) else { throw ValidationError("--baseline must be a,b (seconds; either may be empty)") }
            base = .init(start: Double(parts[0]), end: Double(parts[1]))
        }
        guard groupBy == "subject" || groupBy == "file" else { throw ValidationError("--group-by must be subject or file") }
        let wanted = events.map { Set($0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }) }
        try runReportingErrors(json: json.json) {
            try OutputLocation.requireWritableFile(out)
            var parts = [Epochs]()
            guard eventsFiles.isEmpty || eventsFiles.count == 1 || eventsFiles.count == inputs.count else {
                throw ValidationError("give one --events-file per input, or a single one")
            }
            for (k, path) in inputs.enumerated() {
                var src = SignalInput(input: path, channels: channels)
                src.reference = reference
                let (rec, x, fs, names, units) = try src.load()
                let group = groupBy == "file" ? (path as NSString).lastPathComponent : RecordingLoader.subject(of: path)
                var settings = RecordingEpochs.Settings()
                (settings.events, settings.tmin, settings.tmax, settings.length, settings.overlap, settings.baseline, settings.rejectMicrovolts) =
                    (wanted, tmin, tmax, length, overlap, base, rejectUV)
                let table = eventsFiles.isEmpty ? nil : try EventsTable.read(path: eventsFiles[eventsFiles.count == 1 ? 0 : k])
                let e: Epochs
                do { e = try RecordingEpochs.cut(rec, x: x, sampleRate: fs, channelNames: names, units: units, settings: settings, annotations: table, group: group) }
                catch let err as InputError { throw InputError(file: path, field: err.field, message: err.message) }
                parts.append(e)
            }
            let all = try Epochs.concatenate(parts)
            guard all.trials > 0 else {
                throw InputError(file: inputs.joined(separator: ","), field: "events", message: "no epochs were kept (\(all.dropped.count) dropped)")
            }
            try HDF5Layout.writeEpochs(data: all.data, trials: all.trials, channels: all.channels, samples: all.samples, labels: all.labels,
                                       groups: all.groups, onsets: all.onsets, sampleRate: all.sampleRate, channelNames: all.channelNames, tmin: all.tmin,
                                       dropLog: all.dropped.map { "\($0.label) at \($0.onset) s: \($0.reason)" },
                                       settings: [("tmax", tmax.map { .number($0) } ?? .null), ("length", length.map { .number($0) } ?? .null),
                                                  ("reject_uv", rejectUV.map { .number($0) } ?? .null),
                                                  ("sources", .array(inputs.map { .string(($0 as NSString).lastPathComponent) }))], to: out)
            let counts = Dictionary(all.labels.map { ($0, 1) }, uniquingKeysWith: +)
            printResult(json: json.json, JSONValue.object([("output", .string(out)), ("trials", .int(all.trials)), ("dropped", .int(all.dropped.count)),
                                        ("labels", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))]), "wrote \(out): \(all.trials) epochs × \(all.channels) channels × \(all.samples) samples (\(counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))); \(all.dropped.count) dropped")
        }
    }
}

extension SignalInput {
    init(input: String, channels: String?) {
        self.init()
        self.input = input
        self.channels = channels
    }
}
