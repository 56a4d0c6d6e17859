import Foundation
import NeuroCore
import NeuroDSP
import NeuroIO
import NeuroLearn
import NeuroRiemann
import NeuroScreen

public enum StageLevel: String, Sendable { case participant, group }

public struct StageParameter: Sendable {
    /// What a parameter's YAML value must be; checked when the spec is loaded, so a mistyped value is an error
    /// at its line rather than silently read as "not given".
    public enum Kind: String, Sendable {
        case number, integer, bool, text
        /// An integer or a keyword (classify's order: 3, auto or grid).
        case integerOrText = "integer or text"
        /// A path, relative to the spec's folder or the dataset root; its content is part of the cache key.
        case file
    }
    public let name: String
    public let defaultValue: JSONValue
    public let unit: String
    public let help: String
    public let kind: Kind

    /// Without `kind`: from the default's type, else from the unit (s, Hz, µV → number; samples → integer; none → text).
    public init(name: String, defaultValue: JSONValue, unit: String, help: String, kind: Kind? = nil) {
        self.name = name; self.defaultValue = defaultValue; self.unit = unit; self.help = help
        self.kind = kind ?? {
            switch defaultValue {
            case .int: return .integer
            case .number: return .number
            case .bool: return .bool
            case .string: return .text
            default: return unit == "samples" ? .integer : unit.isEmpty ? .text : .number
            }
        }()
    }

    /// nil when `value` fits this parameter, else what was expected.
    public func mismatch(_ value: JSONValue) -> String? {
        let ok: Bool
        switch (kind, value) {
        case (_, .null): ok = true
        case (.number, .number), (.number, .int), (.integer, .int), (.bool, .bool), (.text, .string), (.integerOrText, .int), (.integerOrText, .string), (.file, .string): ok = true
        default: ok = false
        }
        let what = [Kind.number: "a number", .integer: "an integer", .bool: "true or false", .text: "text", .integerOrText: "an integer or a keyword", .file: "a file path"][kind]!
        return ok ? nil : "expected \(what)\(unit.isEmpty ? "" : " (\(unit))")"
    }
}

public struct StagePort: Sendable {
    public let name: String
    /// For outputs: the file written in the stage's output directory.
    public let file: String
    public let help: String
}

/// What a stage's `run` receives: input files by input name (one per participant for group stages), parameters
/// with defaults filled in, the directory to write outputs into, and the participant (nil at group level).
public struct StageContext: Sendable {
    public let inputs: [String: [String]]
    public let parameters: [String: JSONValue]
    public let outputDirectory: String
    public let participant: String?
    /// Participant of each file of a group input, in the same order.
    public let inputParticipants: [String: [String]]

    func double(_ k: String) -> Double? { parameters[k]?.doubleValue }
    func int(_ k: String) -> Int? { parameters[k].flatMap { if case .int(let i) = $0 { return i } else { return nil } } }
    func string(_ k: String) -> String? { parameters[k]?.stringValue }
    func bool(_ k: String) -> Bool { parameters[k] == .bool(true) }
    func output(_ file: String) -> String { outputDirectory + "/" + file }
    /// The one group table a group stage reads from its `table` input (a per-participant table would arrive once
    /// per recording).
    func groupTable() throws -> String {
        guard let paths = inputs["table"], paths.count == 1 else {
            throw InputError(file: "", field: "from.table", message: "expected one group table; got \(inputs["table"]?.count ?? 0) (stack per-recording or per-participant tables with concat-tables first)")
        }
        return paths[0]
    }
}

/// A stage type: declared inputs, outputs, parameters (with defaults and units) and a version. The runner, the
/// cache key, `neuropipe stages show` and validation all read this one declaration; `run` calls library code.
public struct StageType: Sendable {
    public let name: String
    public let version: String
    public let level: StageLevel
    public let summary: String
    public let inputs: [StagePort]
    public let outputs: [StagePort]
    public let parameters: [StageParameter]
    /// True when the output depends on which participant it is (e.g. epochs record it in /groups): the participant
    /// then enters the cache key, so identical recordings of two participants do not share that entry.
    public var usesParticipant = false
    public let run: @Sendable (StageContext) throws -> Void

    public init(name: String, version: String, level: StageLevel, summary: String, inputs: [StagePort], outputs: [StagePort],
                parameters: [StageParameter], usesParticipant: Bool = false, run: @escaping @Sendable (StageContext) throws -> Void) {
        self.name = name; self.version = version; self.level = level; self.summary = summary; self.inputs = inputs; self.outputs = outputs
        self.parameters = parameters; self.usesParticipant = usesParticipant; self.run = run
    }
}

public struct StageRegistry: Sendable {
    public let types: [String: StageType]

    public init(_ list: [StageType]) { types = Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) }) }

    /// Every stage type NeuroPipe offers.
    public static let standard = StageRegistry([filterStage, psdStage, bandpowerStage, epochsStage, covarianceStage, classifyStage, concatTablesStage, joinParticipantsStage,
                                                   resampleStage, spectralFeaturesStage, connectivityStage, convertStage, screenStage, classifyTableStage,
                                                   classifyCovariancesStage, rejectArtifactsStage, regionTimeSeriesStage, partialCorrelationStage, recurrenceStage,
                                                   featureMatrixStage])

    /// Parameters with defaults filled in, checked against the declared ones.
    public func resolvedParameters(_ type: StageType, _ given: [(String, JSONValue)]) -> [String: JSONValue] {
        var p = Dictionary(uniqueKeysWithValues: type.parameters.map { ($0.name, $0.defaultValue) })
        for (k, v) in given { p[k] = v }
        return p
    }
}

/// Loads the recording and the chosen channels (comma-separated patterns in `channels`).
func loadSignal(_ path: String, channels: String?) throws -> (Recording, Matrix, Double, [String], [String]) {
    let rec = try RecordingLoader.load(path: path)
    let m = try SignalPreparation.matrix(rec, patterns: channels.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } })
    return (rec, m.x, m.sampleRate, m.names, m.units)
}

let channelsParameter = StageParameter(name: "channels", defaultValue: .null, unit: "", help: "comma-separated channel names or wildcards (default: every non-trigger channel)")

let filterStage = StageType(
    name: "filter", version: "2", level: .participant, summary: "Optional 10-20 montage and re-reference, then zero-phase band-pass/high-pass/low-pass and notch filter (MNE's default FIR, or Butterworth IIR).",
    inputs: [StagePort(name: "recording", file: "", help: "EDF/BDF/CSV or HDF5 continuous recording")],
    outputs: [StagePort(name: "recording", file: "recording.h5", help: "filtered recording, HDF5 continuous layout")],
    parameters: [StageParameter(name: "l_freq", defaultValue: .null, unit: "Hz", help: "high-pass edge"),
                 StageParameter(name: "h_freq", defaultValue: .null, unit: "Hz", help: "low-pass edge"),
                 StageParameter(name: "notch", defaultValue: .null, unit: "Hz", help: "line frequency (harmonics included)"),
                 StageParameter(name: "method", defaultValue: .string("fir"), unit: "", help: "fir or iir"), channelsParameter,
                 StageParameter(name: "montage", defaultValue: .null, unit: "", help: "10-20: keep the 19 10-20 channels, old names (T3/T4/T5/T6) renamed to T7/T8/P7/P8", kind: .text),
                 StageParameter(name: "reference", defaultValue: .null, unit: "", help: "average (over the kept channels), or a channel name, or channels joined by +", kind: .text)]) { ctx in
    var (rec, x, fs, names, _) = try loadSignal(ctx.inputs["recording"]![0], channels: ctx.string("channels"))
    if let montage = ctx.string("montage") {
        guard montage == "10-20" else { throw InputError(file: "", field: "with.montage", message: "the only montage is 10-20, got \(montage)") }
        let picked = try ChannelOps.select1020(names)
        x = Matrix(rows: picked.count, cols: x.cols, storage: picked.flatMap { Array(x.row($0)) })
        // Rename the kept channels in the recording so the output carries the 10-10 labels.
        var channels = rec.signal.channels
        for (k, i) in picked.enumerated() {
            if let c = channels.firstIndex(where: { $0.label == names[i] }) { channels[c].label = ChannelOps.standard1020[k] }
        }
        rec.signal.channels = channels
        names = ChannelOps.standard1020
    }
    if let reference = ctx.string("reference") {
        let ref: ChannelOps.Reference = reference == "average"
            ? .average([]) : .channels(try ChannelOps.select(reference.split(separator: "+").map(String.init), from: names))
        x = ChannelOps.rereference(x, ref)
    }
    guard let method = SignalPreparation.FilterMethod(rawValue: ctx.string("method") ?? "fir") else {
        throw InputError(file: "", field: "with.method", message: "expected fir or iir")
    }
    guard ctx.double("l_freq") != nil || ctx.double("h_freq") != nil || ctx.double("notch") != nil || ctx.string("reference") != nil else {
        throw InputError(file: "", field: "with", message: "give l_freq, h_freq, notch or reference; with none the filter would copy the recording unchanged")
    }
    let (y, _) = try SignalPreparation.filter(x, sampleRate: fs, lFreq: ctx.double("l_freq"), hFreq: ctx.double("h_freq"), notch: ctx.double("notch"), method: method)
    try HDF5Layout.writeContinuous(SignalPreparation.replacing(rec, names: names, with: y), source: (ctx.inputs["recording"]![0] as NSString).lastPathComponent,
                                   to: ctx.output("recording.h5"))
}

let psdStage = StageType(
    name: "psd", version: "3", level: .participant, summary: "Welch power spectral density (scipy.signal.welch conventions; over the segments of a recording with gaps, no window crosses a gap).",
    inputs: [StagePort(name: "recording", file: "", help: "recording")],
    outputs: [StagePort(name: "spectra", file: "spectra.h5", help: "/psd [channels × freqs], /freqs (HDF5 spectra layout)")],
    parameters: [StageParameter(name: "method", defaultValue: .string("welch"), unit: "", help: "welch or multitaper"),
                 StageParameter(name: "nperseg", defaultValue: .null, unit: "samples", help: "Welch segment length (default 256)"),
                 StageParameter(name: "fmax", defaultValue: .null, unit: "Hz", help: "highest frequency kept"), channelsParameter]) { ctx in
    let (rec, x, fs, names, units) = try loadSignal(ctx.inputs["recording"]![0], channels: ctx.string("channels"))
    let psdUnit: (String, JSONValue) = ("psd_unit", .string(Set(units).count == 1 ? "\(units[0])²/Hz" : "mixed units²/Hz"))
    if ctx.string("method") == "multitaper" {
        let (f, p) = try Multitaper.psd(x, sampleRate: fs, fmax: ctx.double("fmax") ?? .infinity)
        try HDF5Layout.writeSpectra(psd: p, freqs: f, channelNames: names, sampleRate: fs, settings: [("method", .string("multitaper")), ("normalization", .string("length")), psdUnit],
                                    source: (ctx.inputs["recording"]![0] as NSString).lastPathComponent, to: ctx.output("spectra.h5"))
        return
    }
    var s = WelchSettings()
    s.nperseg = ctx.int("nperseg")
    let (freqs, psd) = try WelchPSD.compute(x, sampleRate: fs, settings: s, segments: rec.segments)
    let keep = freqs.indices.filter { freqs[$0] <= (ctx.double("fmax") ?? .infinity) }
    var cut = Matrix(rows: psd.rows, cols: keep.count)
    for c in 0..<psd.rows { for (j, k) in keep.enumerated() { cut[c, j] = psd[c, k] } }
    let (seg, overlap, n) = try s.resolved(length: x.cols)
    try HDF5Layout.writeSpectra(psd: cut, freqs: keep.map { freqs[$0] }, channelNames: names, sampleRate: fs,
                                settings: [("method", .string("welch")), ("window", .string("hann")), ("nperseg", .int(seg)), ("noverlap", .int(overlap)), ("nfft", .int(n)), psdUnit],
                                source: (ctx.inputs["recording"]![0] as NSString).lastPathComponent, to: ctx.output("spectra.h5"))
}

let bandpowerStage = StageType(
    name: "bandpower", version: "2", level: .participant, summary: "Band power per channel (and epoch) with ratios; conventions in the sidecar.",
    inputs: [StagePort(name: "recording", file: "", help: "recording")],
    outputs: [StagePort(name: "table", file: "bandpower.tsv", help: "one row per channel (per epoch)"),
              StagePort(name: "sidecar", file: "bandpower.json", help: "conventions used")],
    parameters: [StageParameter(name: "relative", defaultValue: .bool(false), unit: "", help: "relative to [1, 45) Hz"),
                 StageParameter(name: "bands", defaultValue: .null, unit: "Hz", help: "name=low-high,... (default delta…gamma)", kind: .text),
                 StageParameter(name: "epoch_length", defaultValue: .null, unit: "s", help: "per consecutive epoch"), channelsParameter]) { ctx in
    let path = ctx.inputs["recording"]![0]
    let (rec, x, fs, names, units) = try loadSignal(path, channels: ctx.string("channels"))
    let (header, rows, sidecar) = try BandpowerTable.compute(x, sampleRate: fs, channelNames: names, unit: Set(units).count == 1 ? units[0] : "mixed",
                                                             bands: try ctx.string("bands").map { try FrequencyBand.parse($0) } ?? FrequencyBand.defaults,
                                                             relative: ctx.bool("relative"), epochLength: ctx.double("epoch_length"), segments: rec.segments,
                                                             source: (path as NSString).lastPathComponent)
    try TableWriter.writeTSV(header: header, rows: rows, to: ctx.output("bandpower.tsv"))
    try TableWriter.writeJSON(sidecar, to: ctx.output("bandpower.json"))
}

let epochsStage = StageType(
    name: "epochs", version: "1", level: .participant, summary: "Epochs around annotations (events, tmin, tmax) or of fixed length.",
    inputs: [StagePort(name: "recording", file: "", help: "recording")],
    outputs: [StagePort(name: "epochs", file: "epochs.h5", help: "HDF5 epochs layout; /groups = participant")],
    parameters: [StageParameter(name: "events", defaultValue: .null, unit: "", help: "comma-separated annotation texts"),
                 StageParameter(name: "tmin", defaultValue: .null, unit: "s", help: "epoch start relative to the event"),
                 StageParameter(name: "tmax", defaultValue: .null, unit: "s", help: "epoch end (included)"),
                 StageParameter(name: "length", defaultValue: .null, unit: "s", help: "fixed-length epochs"),
                 StageParameter(name: "overlap", defaultValue: .number(0), unit: "s", help: "overlap of fixed-length epochs"),
                 StageParameter(name: "reject_uv", defaultValue: .null, unit: "µV", help: "peak-to-peak rejection threshold"), channelsParameter],
    usesParticipant: true) { ctx in
    let (rec, x, fs, names, units) = try loadSignal(ctx.inputs["recording"]![0], channels: ctx.string("channels"))
    var s = RecordingEpochs.Settings()
    s.events = ctx.string("events").map { Set($0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }) }
    (s.tmin, s.tmax, s.length, s.overlap, s.rejectMicrovolts) = (ctx.double("tmin"), ctx.double("tmax"), ctx.double("length"), ctx.double("overlap") ?? 0, ctx.double("reject_uv"))
    let e = try RecordingEpochs.cut(rec, x: x, sampleRate: fs, channelNames: names, units: units, settings: s, group: ctx.participant ?? "")
    guard e.trials > 0 else { throw InputError(file: ctx.inputs["recording"]![0], field: "events", message: "no epochs were kept (\(e.dropped.count) dropped)") }
    try HDF5Layout.writeEpochs(data: e.data, trials: e.trials, channels: e.channels, samples: e.samples, labels: e.labels, groups: e.groups, onsets: e.onsets,
                               sampleRate: e.sampleRate, channelNames: e.channelNames, tmin: e.tmin, dropLog: e.dropped.map { "\($0.label) at \($0.onset) s: \($0.reason)" },
                               settings: [], to: ctx.output("epochs.h5"))
}

let covarianceStage = StageType(
    name: "covariance", version: "2", level: .participant, summary: "Covariance (optionally augmented) of every epoch; Riemannian mean and tangent vectors.",
    inputs: [StagePort(name: "epochs", file: "", help: "HDF5 epochs")],
    outputs: [StagePort(name: "covariances", file: "covariances.h5", help: "HDF5 covariances layout")],
    parameters: [StageParameter(name: "estimator", defaultValue: .string("lwf"), unit: "", help: "scm, cov, lwf, oas, shrinkage:S"),
                 StageParameter(name: "order", defaultValue: .int(1), unit: "", help: "augmented covariance order"),
                 StageParameter(name: "lag", defaultValue: .int(1), unit: "samples", help: "augmented covariance lag"),
                 StageParameter(name: "mean", defaultValue: .bool(false), unit: "", help: "also write the Riemannian mean /mean"),
                 StageParameter(name: "tangent", defaultValue: .bool(false), unit: "", help: "also write /tangent_vectors at that mean")]) { ctx in
    let path = ctx.inputs["epochs"]![0]
    let e = try EpochsFile.read(path: path)
    let est = try CovarianceEstimator(name: ctx.string("estimator") ?? "lwf")
    let (order, lag) = (ctx.int("order") ?? 1, ctx.int("lag") ?? 1)
    let c = try EpochCovariances(trials: e.trials, estimator: est, order: order, lag: lag, mean: ctx.bool("mean"), tangent: ctx.bool("tangent"))
    try HDF5Layout.writeCovariances(c.covariances, labels: e.labels, mean: c.mean, tangent: c.tangent,
                                    attributes: [("estimator", .string(est.name)), ("order", .int(order)), ("lag", .int(lag)),
                                                 ("source", .string((path as NSString).lastPathComponent)), ("mean_converged", c.meanConverged.map { .bool($0) } ?? .null)],
                                    to: ctx.output("covariances.h5"))
}

let classifyStage = StageType(
    name: "classify", version: "2", level: .group, summary: "Cross-validated Riemannian classification of every participant's epochs together.",
    inputs: [StagePort(name: "epochs", file: "", help: "HDF5 epochs of each participant")],
    outputs: [StagePort(name: "results", file: "results.json", help: "per-fold and mean metrics")],
    parameters: [StageParameter(name: "pipeline", defaultValue: .string("ts-lr"), unit: "", help: PipelineName.allCases.map(\.rawValue).joined(separator: ", ")),
                 StageParameter(name: "estimator", defaultValue: .string("lwf"), unit: "", help: "covariance estimator"),
                 StageParameter(name: "order", defaultValue: .int(1), unit: "", help: "ACM order, or auto (AMI lag + false nearest neighbours), or grid (orders 1-10 × lags 1-10, inner 3-fold CV)", kind: .integerOrText),
                 StageParameter(name: "lag", defaultValue: .int(1), unit: "samples", help: "ACM lag (with a numeric order)"),
                 StageParameter(name: "cv", defaultValue: .string("stratified:5"), unit: "", help: "stratified:K, shuffle:K:SEED or group")]) { ctx in
    var trials = [Matrix](), labels = [String](), groups = [String]()
    for path in ctx.inputs["epochs"]! {
        let e = try EpochsFile.read(path: path)
        trials += e.trials; labels += e.labels; groups += e.groups ?? [String](repeating: "", count: e.labels.count)
    }
    guard let p = PipelineName(rawValue: ctx.string("pipeline") ?? "ts-lr") else { throw InputError(file: "", field: "with.pipeline", message: "unknown pipeline") }
    let orderText = ctx.string("order") ?? ctx.int("order").map(String.init) ?? "1"
    let embedding: EmbeddingChoice
    do { embedding = try EmbeddingChoice(order: orderText, lag: ctx.int("lag") ?? 1) } catch let e as InputError { throw InputError(file: "", field: "with." + e.field, message: e.message) }
    let estimator = ctx.string("estimator") ?? "lwf", cv = ctx.string("cv") ?? "stratified:5"
    let r = try RiemannianEvaluation(pipeline: p, estimator: try CovarianceEstimator(name: estimator), embedding: embedding)
        .run(epochs: trials, labels: labels, groups: groups, cv: try CrossValidationScheme(text: cv))
    try TableWriter.writeJSON(r.json(estimator: estimator, cv: cv, trials: trials.count), to: ctx.output("results.json"))
}

let concatTablesStage = StageType(
    name: "concat-tables", version: "1", level: .group, summary: "Stacks every participant's TSV table with a participant_id column first.",
    inputs: [StagePort(name: "tables", file: "", help: "TSV tables (same header)")],
    outputs: [StagePort(name: "table", file: "table.tsv", help: "all rows, participant_id first")],
    parameters: []) { ctx in
    var header: [String]? = nil
    var rows = [[String]]()
    for (path, who) in zip(ctx.inputs["tables"]!, ctx.inputParticipants["tables"]!) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let h = lines.first else { continue }
        if let header, header != h { throw InputError(file: path, field: "header", message: "differs from the first table's header") }
        header = h
        rows += lines.dropFirst().map { [who] + $0 }
    }
    try TableWriter.writeTSV(header: ["participant_id"] + (header ?? []), rows: rows, to: ctx.output("table.tsv"))
}

let joinParticipantsStage = StageType(
    name: "join-participants", version: "1", level: .group, summary: "Adds participants.tsv columns (age, sex, group, …) to a table keyed by participant_id.",
    inputs: [StagePort(name: "table", file: "", help: "group table with a participant_id column (e.g. concat-tables)"),
             StagePort(name: "participants", file: "", help: "connect to `participants` (the dataset's participants.tsv)")],
    outputs: [StagePort(name: "table", file: "table.tsv", help: "the table with the participants' columns appended")],
    parameters: []) { ctx in
    let tablePath = try ctx.groupTable()
    func read(_ p: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: p, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        return (lines.first ?? [], Array(lines.dropFirst()))
    }
    let (th, trows) = try read(tablePath), (ph, prows) = try read(ctx.inputs["participants"]![0])
    guard let tid = th.firstIndex(of: "participant_id"), let pid = ph.firstIndex(of: "participant_id") else {
        throw InputError(file: "", field: "participant_id", message: "both tables need a participant_id column")
    }
    let extra = ph.indices.filter { $0 != pid }
    let byID = Dictionary(prows.map { ($0[pid], $0) }, uniquingKeysWith: { a, _ in a })
    try TableWriter.writeTSV(header: th + extra.map { ph[$0] }, rows: trows.map { r in r + extra.map { byID[r[tid]]?[$0] ?? "n/a" } }, to: ctx.output("table.tsv"))
}

let resampleStage = StageType(
    name: "resample", version: "1", level: .participant, summary: "Rational resampling (scipy.signal.resample_poly) to a new rate.",
    inputs: [StagePort(name: "recording", file: "", help: "recording")],
    outputs: [StagePort(name: "recording", file: "recording.h5", help: "resampled recording (annotations kept in seconds)")],
    parameters: [StageParameter(name: "sfreq", defaultValue: .null, unit: "Hz", help: "target rate (up/down from the ratio of whole rates)"), channelsParameter]) { ctx in
    let (rec, x, fs, names, _) = try loadSignal(ctx.inputs["recording"]![0], channels: ctx.string("channels"))
    guard let target = ctx.double("sfreq"), target > 0, target == target.rounded(), fs == fs.rounded() else {
        throw InputError(file: "", field: "with.sfreq", message: "give a whole target rate; the recording's rate must be whole too (got \(fs) Hz)")
    }
    let y = try Resampler.resamplePoly(x, up: Int(target), down: Int(fs))
    var out = SignalPreparation.replacing(rec, names: names, with: y)
    out.signal.channels = out.signal.channels.map { var c = $0; c.sampleRate = target; return c }
    out.segments = [Segment(onset: 0, duration: Double(y.cols) / target, dataOffset: 0)]
    try HDF5Layout.writeContinuous(out, source: (ctx.inputs["recording"]![0] as NSString).lastPathComponent, to: ctx.output("recording.h5"))
}

let spectralFeaturesStage = StageType(
    name: "spectral-features", version: "2", level: .participant,
    summary: "Per channel: individual alpha frequency (peak, centre of gravity), spectral entropy, aperiodic exponent.",
    inputs: [StagePort(name: "recording", file: "", help: "recording")],
    outputs: [StagePort(name: "table", file: "spectral_features.tsv", help: "one row per channel")],
    parameters: [channelsParameter]) { ctx in
    let (rec, x, fs, names, _) = try loadSignal(ctx.inputs["recording"]![0], channels: ctx.string("channels"))
    var s = WelchSettings()
    s.nperseg = Int((4 * fs).rounded())
    let (f, p) = try WelchPSD.compute(x, sampleRate: fs, settings: s, segments: rec.segments)
    let rows = names.indices.map { c -> [String] in
        let iaf = SpectralFeatures.alphaPeak(p.row(c), freqs: f)
        let ap = SpectralFeatures.aperiodicExponent(p.row(c), freqs: f)
        return [names[c], TableWriter.cell(iaf.peak), TableWriter.cell(iaf.centreOfGravity), TableWriter.cell(SpectralFeatures.spectralEntropy(p.row(c), freqs: f)),
                TableWriter.cell(ap.exponent), TableWriter.cell(ap.offset)]
    }
    try TableWriter.writeTSV(header: ["channel", "iaf_peak_hz", "iaf_cog_hz", "spectral_entropy", "aperiodic_exponent", "aperiodic_offset"], rows: rows,
                             to: ctx.output("spectral_features.tsv"))
}

let connectivityStage = StageType(
    name: "connectivity", version: "2", level: .participant,
    summary: "Band-averaged coherence, imaginary coherency, PLI and wPLI over epochs for every channel pair (mne-connectivity, mode fourier).",
    inputs: [StagePort(name: "epochs", file: "", help: "HDF5 epochs")],
    outputs: [StagePort(name: "table", file: "connectivity.tsv", help: "one row per channel pair and band")],
    parameters: [StageParameter(name: "bands", defaultValue: .null, unit: "Hz", help: "name=low-high,... (default delta…gamma)", kind: .text)]) { ctx in
    let e = try EpochsFile.read(path: ctx.inputs["epochs"]![0])
    let bands = try ctx.string("bands").map { try FrequencyBand.parse($0) } ?? FrequencyBand.defaults
    let c = e.trials.first?.rows ?? 0
    let epochs = Epochs(data: e.trials.flatMap(\.storage), trials: e.trials.count, channels: c, samples: e.trials.first?.cols ?? 0, labels: e.labels,
                        groups: e.groups ?? [String](repeating: "", count: e.trials.count), sampleRate: e.sampleRate, channelNames: e.channelNames,
                        tmin: 0, onsets: [])
    let rows = try BandConnectivity.compute(epochs, bands: bands).map { r in
        [r.channelA, r.channelB, r.band] + [r.coh, r.imcoh, r.pli, r.wpli].map(TableWriter.cell)
    }
    try TableWriter.writeTSV(header: ["channel_a", "channel_b", "band", "coh", "imcoh", "pli", "wpli"], rows: rows, to: ctx.output("connectivity.tsv"))
}

let convertStage = StageType(
    name: "convert", version: "1", level: .participant,
    summary: "Any readable file → NeuroPipe HDF5: recordings (EDF/BDF/CSV) to the continuous layout, NIfTI to [voxels × timepoints].",
    inputs: [StagePort(name: "input", file: "", help: "recording or NIfTI image (with inputs.datatype func and extensions [.nii.gz, .nii] for fMRI)")],
    outputs: [StagePort(name: "data", file: "data.h5", help: "HDF5 continuous or voxels layout")],
    parameters: []) { ctx in
    // No mask parameter: a path parameter would not be content-hashed, so an edited mask would hit a stale entry.
    _ = try Conversion.convert(input: ctx.inputs["input"]![0], output: ctx.output("data.h5"))
}

let screenStage = StageType(
    name: "screen", version: "2", level: .group,
    summary: "Ranks a group table's features by association with a participants.tsv column (Pearson, binning, FFT-KDE or KSG mutual information).",
    inputs: [StagePort(name: "table", file: "", help: "group table with participant_id (e.g. concat-tables); long tables (rows per channel/band) are widened to feature[key]"),
             StagePort(name: "participants", file: "", help: "connect to `participants` (the dataset's participants.tsv)")],
    outputs: [StagePort(name: "ranking", file: "ranking.tsv", help: "feature, score, rank (+ p_value), best first"),
              StagePort(name: "settings", file: "ranking.json", help: "every setting of the screening (data-schemas/screen-sidecar.schema.json)")],
    parameters: [StageParameter(name: "outcome", defaultValue: .null, unit: "", help: "participants.tsv column to screen against (e.g. group)", kind: .text),
                 StageParameter(name: "outcome_type", defaultValue: .null, unit: "", help: "continuous, binary or categorical (default: inferred)", kind: .text),
                 StageParameter(name: "method", defaultValue: .string("fftkde"), unit: "", help: ScreeningMethod.allCases.map(\.rawValue).joined(separator: ", ")),
                 StageParameter(name: "bandwidth", defaultValue: .string("silverman"), unit: "", help: "fftkde bandwidth: silverman, scott, isj or a number"),
                 StageParameter(name: "top", defaultValue: .null, unit: "", help: "keep the best K features", kind: .integer),
                 StageParameter(name: "permutations", defaultValue: .int(0), unit: "", help: "outcome permutations for family-wise p-values"),
                 StageParameter(name: "covariates", defaultValue: .null, unit: "", help: "comma-separated participants.tsv columns regressed out first (e.g. age,sex)", kind: .text),
                 StageParameter(name: "seed", defaultValue: .int(0), unit: "", help: "seed for permutations and KSG noise")]) { ctx in
    let tablePath = try ctx.groupTable()
    guard let column = ctx.string("outcome") else { throw InputError(file: "", field: "with.outcome", message: "name the participants.tsv column to screen against") }
    guard let method = ScreeningMethod(rawValue: ctx.string("method") ?? "fftkde") else {
        throw InputError(file: "", field: "with.method", message: "must be one of \(ScreeningMethod.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard let bandwidth = BandwidthRule(ctx.string("bandwidth") ?? "silverman") else {
        throw InputError(file: "", field: "with.bandwidth", message: "must be silverman, scott, isj or a positive number")
    }
    var kind: OutcomeKind? = nil
    if let text = ctx.string("outcome_type") {
        guard let k = OutcomeKind(rawValue: text) else { throw InputError(file: "", field: "with.outcome_type", message: "must be continuous, binary or categorical") }
        kind = k
    }
    let source = try MatrixFeatureSource.participantTable(try TSVTable(path: tablePath))
    let covariates = (ctx.string("covariates") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    let options = ScreeningOptions(method: method, bandwidth: bandwidth, seed: UInt64(max(0, ctx.int("seed") ?? 0)))
    let job = ScreeningJob(source: source, outcome: try OutcomeTable(spec: ctx.inputs["participants"]![0] + ":" + column), outcomeKind: kind,
                           covariates: covariates, options: options, permutations: ctx.int("permutations") ?? 0,
                           selection: ScreeningSelection(top: ctx.int("top")))
    _ = try job.run(rankingPath: ctx.output("ranking.tsv"))
}

let rejectArtifactsStage = StageType(
    name: "reject-artifacts", version: "1", level: .participant,
    summary: "Flags flat and noisy channels, cuts fixed-length epochs and drops those over a peak-to-peak threshold; keeps the clean epochs as a recording with gaps.",
    inputs: [StagePort(name: "recording", file: "", help: "recording (e.g. the filter stage's output)")],
    outputs: [StagePort(name: "recording", file: "recording.h5", help: "the kept epochs, adjacent ones merged into segments (HDF5 continuous layout with /segments)"),
              StagePort(name: "quality", file: "quality.tsv", help: "epochs, rejected, kept seconds, bad channels (one row)"),
              StagePort(name: "rejections", file: "rejections.tsv", help: "onset_s and reason of every rejected epoch")],
    parameters: [StageParameter(name: "length", defaultValue: .number(2), unit: "s", help: "epoch length"),
                 StageParameter(name: "reject_uv", defaultValue: .number(150), unit: "µV", help: "peak-to-peak threshold on any good channel (signal units)"),
                 StageParameter(name: "flat_uv", defaultValue: .number(0.5), unit: "µV", help: "channels with a standard deviation below this are flat"),
                 StageParameter(name: "noisy_ratio", defaultValue: .number(5), unit: "", help: "channels with a standard deviation above this × the median channel's are noisy", kind: .number),
                 StageParameter(name: "min_seconds", defaultValue: .number(10), unit: "s", help: "fail the participant when less clean data than this remains"),
                 channelsParameter]) { ctx in
    let path = ctx.inputs["recording"]![0]
    let (rec, x, fs, names, _) = try loadSignal(path, channels: ctx.string("channels"))
    var settings = ArtifactRejection.Settings()
    settings.epochLength = ctx.double("length") ?? 2
    settings.peakToPeak = ctx.double("reject_uv")
    settings.flat = ctx.double("flat_uv") ?? 0.5
    settings.noisyRatio = ctx.double("noisy_ratio") ?? 5
    let r = try ArtifactRejection.run(x, sampleRate: fs, channelNames: names, segments: rec.segments, settings: settings)
    let keptSeconds = Double(r.keptSamples) / fs
    guard keptSeconds >= (ctx.double("min_seconds") ?? 10) else {
        throw InputError(file: path, field: "with.min_seconds", message: "only \(keptSeconds) s of \(r.epochs) epochs survive rejection (\(r.rejected) rejected, first: \(r.rejections.first?.reason ?? "none")); expected at least \(ctx.double("min_seconds") ?? 10) s")
    }
    var y = Matrix(rows: x.rows, cols: r.keptSamples)
    var offset = 0
    var segments = [Segment]()
    let original = rec.segments.isEmpty ? [Segment(onset: 0, duration: Double(x.cols) / fs, dataOffset: 0)] : rec.segments
    for span in r.keptSpans {
        for c in 0..<x.rows { for t in span { y.storage[c * y.cols + offset + t - span.lowerBound] = x.storage[c * x.cols + t] } }
        // Onset in recording time: the original segment holding the span, shifted by the span's position in it.
        let start = Double(span.lowerBound) / fs
        let holder = original.last { $0.dataOffset <= start + 1e-9 } ?? original[0]
        segments.append(Segment(onset: holder.onset + start - holder.dataOffset, duration: Double(span.count) / fs, dataOffset: Double(offset) / fs))
        offset += span.count
    }
    var out = SignalPreparation.replacing(rec, names: names, with: y)
    out.segments = segments
    try HDF5Layout.writeContinuous(out, source: (path as NSString).lastPathComponent, to: ctx.output("recording.h5"))
    try TableWriter.writeTSV(header: ["epochs", "rejected", "kept_seconds", "bad_channels"],
                             rows: [["\(r.epochs)", "\(r.rejected)", TableWriter.cell(keptSeconds),
                                     r.badChannels.isEmpty ? "n/a" : r.badChannels.map { "\($0.0) (\($0.1))" }.joined(separator: "; ")]],
                             to: ctx.output("quality.tsv"))
    try TableWriter.writeTSV(header: ["onset_s", "reason"], rows: r.rejections.map { [TableWriter.cell($0.onset), $0.reason] }, to: ctx.output("rejections.tsv"))
}
