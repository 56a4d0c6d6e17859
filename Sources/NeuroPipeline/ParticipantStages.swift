import Foundation
import NeuroCore
import NeuroIO
import NeuroLearn
import NeuroRiemann
import NeuroScreen

/// Parameters shared by the participant-level classification stages (classify-table, classify-covariances).
let participantProtocolParameters: [StageParameter] = [
    StageParameter(name: "label", defaultValue: .string("group"), unit: "", help: "participants.tsv column with the two classes"),
    StageParameter(name: "positive", defaultValue: .string("MCI"), unit: "", help: "the class whose probability is reported"),
    StageParameter(name: "folds", defaultValue: .int(5), unit: "", help: "stratified folds (over participants; strata class × site when a site column exists)"),
    StageParameter(name: "repeats", defaultValue: .int(5), unit: "", help: "repetitions with different shuffles"),
    StageParameter(name: "c", defaultValue: .string("1"), unit: "", help: "logistic regression C, or auto (chosen per training fold by inner 3-fold CV from 0.01, 0.1, 1, 10)"),
    StageParameter(name: "calibration", defaultValue: .string("none"), unit: "", help: "none, platt or isotonic (fitted on inner 3-fold out-of-fold scores of each training fold)"),
    StageParameter(name: "baseline", defaultValue: .string("age,sex"), unit: "", help: "participants.tsv columns of the baseline model (empty: none)"),
    StageParameter(name: "site", defaultValue: .string("site"), unit: "", help: "participants.tsv column naming the recording site: strata and leave-one-site-out evaluation when present (empty: ignore)"),
    StageParameter(name: "permutations", defaultValue: .int(0), unit: "", help: "label permutations for the AUROC p-value"),
    StageParameter(name: "seed", defaultValue: .int(0), unit: "", help: "seed of the shuffles, bootstrap and permutations"),
]

let classifyTableStage = StageType(
    name: "classify-table", version: "2", level: .group,
    summary: "Participant-level logistic regression from a feature table: repeated stratified CV, everything fitted in-fold (imputation, scaling, MI screening, C, calibration), bootstrap CIs, age/sex baseline.",
    inputs: [StagePort(name: "table", file: "", help: "group feature table with participant_id (long tables are widened to feature[key])"),
             StagePort(name: "participants", file: "", help: "connect to `participants` (labels, site and baseline covariates)")],
    outputs: participantOutputs,
    parameters: participantProtocolParameters + [
        StageParameter(name: "screen_top", defaultValue: .null, unit: "", help: "keep the top-k features by MI, screened on each training fold", kind: .integer),
        StageParameter(name: "screen_method", defaultValue: .string("binning"), unit: "", help: "MI estimator for screening")]) { ctx in
    let tablePath = try ctx.groupTable()
    let source = try MatrixFeatureSource.participantTable(try TSVTable(path: tablePath))
    let names = (0..<source.featureCount).map(source.featureName)
    try runParticipantClassification(ctx, source: source, model: .logistic, features: names.count, describe: "\(names.count) features") { rows in
        .table(Matrix(rows: rows.count, cols: source.featureCount, storage: rows.flatMap { r in (0..<source.featureCount).map { source.matrix[r, $0] } }), names: names)
    }
}

let classifyCovariancesStage = StageType(
    name: "classify-covariances", version: "2", level: .group,
    summary: "Participant-level Riemannian classification (tangent space + logistic regression or SVM, or MDM) of one covariance matrix per participant, with the classify-table protocol.",
    inputs: [StagePort(name: "covariances", file: "", help: "each participant's HDF5 covariances (the covariance stage with mean: true; its /mean is the participant's matrix)"),
             StagePort(name: "participants", file: "", help: "connect to `participants` (labels, site and baseline covariates)")],
    outputs: participantOutputs,
    parameters: participantProtocolParameters + [
        StageParameter(name: "model", defaultValue: .string("ts-lr"), unit: "", help: "ts-lr or ts-svm (tangent space at the training fold's Riemannian mean + logistic regression or RBF SVM), or mdm")]) { ctx in
    let paths = ctx.inputs["covariances"] ?? [], who = ctx.inputParticipants["covariances"] ?? []
    guard let model = ParticipantModel(rawValue: ctx.string("model") ?? "ts-lr"), model != .logistic else {
        throw InputError(file: "", field: "with.model", message: "must be ts-lr, ts-svm or mdm")
    }
    guard Set(who).count == who.count else {
        throw InputError(file: "", field: "from.covariances", message: "expected one covariance file per participant; some participants have several recordings")
    }
    var matrices = [Matrix]()
    for path in paths {
        let file = try HDF5File(path: path)
        if file.exists("/mean") {
            let (shape, v) = try file.readDoubles("/mean")
            guard shape.count == 2, shape[0] == shape[1] else { throw InputError(file: path, field: "/mean", message: "expected a square matrix, got shape \(shape)") }
            matrices.append(Matrix(rows: shape[0], cols: shape[1], storage: v))
        } else {
            let (shape, v) = try file.readDoubles("/covariances")
            guard shape.count == 3, shape[1] == shape[2], shape[0] > 0 else {
                throw InputError(file: path, field: "/covariances", message: "expected [trials × n × n], got shape \(shape)")
            }
            let per = shape[1] * shape[1]
            let covs = (0..<shape[0]).map { Matrix(rows: shape[1], cols: shape[1], storage: Array(v[($0 * per)..<(($0 + 1) * per)])) }
            matrices.append(try SPD.meanRiemann(covs).mean)
        }
        if let n = matrices.first?.rows, matrices.last!.rows != n {
            throw InputError(file: path, field: "/mean", message: "is \(matrices.last!.rows)×\(matrices.last!.rows) but the first participant's is \(n)×\(n) (same channels and ACM order needed)")
        }
    }
    let n = matrices.first?.rows ?? 0
    let source = MatrixFeatureSource(Matrix(rows: who.count, cols: 0), names: [], sampleIDs: who, origin: "covariances")
    try runParticipantClassification(ctx, source: source, model: model, features: n * (n + 1) / 2, describe: "\(n)×\(n) covariance matrices") { rows in
        .covariances(rows.map { matrices[$0] })
    }
}

let participantOutputs = [
    StagePort(name: "results", file: "results.json", help: "metrics with 95% bootstrap intervals, baseline, ROC, confusion matrix, calibration bins, settings (data-schemas/participant-classification.schema.json)"),
    StagePort(name: "predictions", file: "predictions.tsv", help: "out-of-fold probability of the positive class per participant"),
]

/// Aligns the participants of `source` with participants.tsv, runs the protocol with `model` on `input(rows)` and
/// writes results.json and predictions.tsv.
func runParticipantClassification(_ ctx: StageContext, source: MatrixFeatureSource, model: ParticipantModel, features: Int, describe: String,
                                  input: ([Int]) -> ParticipantInput) throws {
    let participantsPath = ctx.inputs["participants"]![0]
    let labelColumn = ctx.string("label") ?? "group", positive = ctx.string("positive") ?? "MCI"
    let outcome = try OutcomeTable(spec: participantsPath + ":" + labelColumn)
    // Two classes (positive as given) or more (normal/MCI/dementia: multiclass, positive unused).
    let (y, rows) = try outcome.align(to: source, kind: .categorical)
    let labels = y.values.map { y.classLabels[Int($0)] }
    let ids = rows.map { source.sampleIDs![$0] }
    let baselineNames = (ctx.string("baseline") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    var baseline: Matrix? = nil
    if !baselineNames.isEmpty {
        let (full, _) = try outcome.covariates(baselineNames, for: source)
        baseline = Matrix(rows: rows.count, cols: full.cols, storage: rows.flatMap { r in (0..<full.cols).map { full[r, $0] } })
    }
    var sites: [String]? = nil
    if let siteColumn = ctx.string("site"), !siteColumn.isEmpty {
        let table = try TSVTable(path: participantsPath)
        if let c = table.header.firstIndex(of: siteColumn), let idColumn = table.header.firstIndex(of: "participant_id") {
            let byID = Dictionary(table.rows.map { ($0[idColumn], $0[c]) }, uniquingKeysWith: { a, _ in a })
            sites = ids.map { byID[$0] ?? "n/a" }
        }
    }
    let method = try ScreeningMethod(rawValue: ctx.string("screen_method") ?? "binning")
        .orThrow(InputError(file: "", field: "with.screen_method", message: "must be one of \(ScreeningMethod.allCases.map(\.rawValue).joined(separator: ", "))"))
    let cText = ctx.string("c") ?? "1"
    guard cText == "auto" || (Double(cText).map { $0 > 0 } ?? false) else {
        throw InputError(file: "", field: "with.c", message: "expected a positive number or auto, got \(cText)")
    }
    guard let calibration = ProbabilityCalibration(rawValue: ctx.string("calibration") ?? "none") else {
        throw InputError(file: "", field: "with.calibration", message: "must be none, platt or isotonic")
    }
    let protocolSettings = ParticipantClassification(folds: ctx.int("folds") ?? 5, repeats: ctx.int("repeats") ?? 5, seed: UInt64(max(0, ctx.int("seed") ?? 0)),
                                                     model: model, screenTop: ctx.int("screen_top"), screenMethod: method, permutations: ctx.int("permutations") ?? 0,
                                                     regularisation: cText == "auto" ? nil : Double(cText), calibration: calibration)
    let r = try protocolSettings.run(input(rows), labels: labels, participants: ids, positive: Set(labels).count == 2 ? positive : nil,
                                     baseline: baseline, sites: sites)
    try TableWriter.writeJSON(r.json(protocolSettings, label: labelColumn, features: features, describe: describe, baselineNames: baselineNames, screenMethod: method),
                              to: ctx.output("results.json"))
    // Two classes: the positive class's probability (one column); more: one column per class.
    let reported = r.positive.map { [$0] } ?? r.classes
    let columns = reported.map { r.classes.firstIndex(of: $0)! }
    try TableWriter.writeTSV(header: ["participant_id", "label"] + reported.map { "probability_\($0)" },
                             rows: ids.indices.map { i in [ids[i], labels[i]] + columns.map { TableWriter.cell(r.probabilities[i][$0]) } }, to: ctx.output("predictions.tsv"))
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

extension ParticipantClassification.Result {
    /// results.json (data-schemas/participant-classification.schema.json).
    func json(_ settings: ParticipantClassification, label: String, features: Int, describe: String, baselineNames: [String], screenMethod: ScreeningMethod) -> JSONValue {
        func metric(_ m: ParticipantClassification.Metric) -> JSONValue { .object([("value", .finite(m.value)), ("ci95", .array([.finite(m.lower), .finite(m.upper)]))]) }
        func numbers(_ v: [Double]) -> JSONValue { .array(v.map { .finite($0) }) }
        let accuracy = metrics.first { $0.0 == "accuracy" }!.1.value
        let chosenC: [(String, JSONValue)] = Dictionary(grouping: folds.compactMap(\.regularisation), by: { $0 }).sorted { $0.key < $1.key }
            .map { (TableWriter.cell($0.key), JSONValue.int($0.value.count)) }
        let classCounts: [(String, JSONValue)] = Dictionary(grouping: labels, by: { $0 }).sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value.count)) }
        var regularisationJSON = JSONValue.null
        if settings.model != .mdm {
            let c: JSONValue = settings.regularisation.map { .finite($0) } ?? .string("auto")
            let grid: JSONValue = settings.regularisation == nil ? numbers(settings.regularisationGrid) : .null
            regularisationJSON = .object([("c", c), ("grid", grid), ("chosen_in_folds", .object(chosenC))])
        }
        var screeningJSON = JSONValue.null
        if let top = settings.screenTop {
            let selected: [(String, JSONValue)] = screenedFeatures.sorted { $0.value > $1.value }.prefix(50).map { ($0.key, JSONValue.int($0.value)) }
            screeningJSON = .object([("top", .int(top)), ("method", .string(screenMethod.rawValue)), ("selected_in_folds", .object(selected))])
        }
        var baselineJSON = JSONValue.null
        if let b = baselineAUROC { baselineJSON = .object([("covariates", .array(baselineNames.map { .string($0) })), ("auroc", metric(b))]) }
        let reliabilityJSON: [JSONValue] = reliability.map { .object([("mean_probability", .finite($0.0)), ("observed_rate", .finite($0.1)), ("count", .int($0.2))]) }
        let confusionJSON: JSONValue = .object([("labels", .array(classes.map { .string($0) })),
                                                ("threshold", classes.count == 2 ? .number(0.5) : .string("argmax")),
                                                ("matrix", .array(confusion.map { .array($0.map { .int($0) }) }))])
        var rocJSON = JSONValue.null
        if let roc {
            rocJSON = .object([("fpr", numbers(roc.fpr)), ("tpr", numbers(roc.tpr)), ("grid_fpr", numbers(roc.gridFPR)),
                               ("tpr_lower", numbers(roc.tprLower)), ("tpr_upper", numbers(roc.tprUpper))])
        }
        let sitesJSON: [JSONValue] = heldOutSites.map { .object([("site", .string($0.site)), ("participants", .int($0.participants)),
                                                                 ("auroc", .finite($0.auroc)), ("accuracy", .finite($0.accuracy))]) }
        let metricsJSON: [(String, JSONValue)] = metrics.map { ($0.0, metric($0.1)) }
        let cv: JSONValue = .object([("folds", .int(settings.folds)), ("repeats", .int(settings.repeats)), ("seed", .int(Int(settings.seed)))])
        var members: [(String, JSONValue)] = [
            ("kind", .string("participant-classification")), ("label", .string(label)), ("positive", positive.map { .string($0) } ?? .null),
            ("classes", .array(classes.map { .string($0) })),
            ("participants", .int(participants.count)), ("features", .int(features)), ("input", .string(describe)),
            ("class_counts", .object(classCounts)), ("model", .string(settings.model.rawValue)), ("classifier", .string(settings.model.description)),
        ]
        members += [("regularisation", regularisationJSON), ("calibration", .string(settings.calibration.rawValue)), ("cv", cv),
                     ("screening", screeningJSON), ("metrics", .object(metricsJSON)), ("baseline", baselineJSON),
                     ("permutation_p_auroc", .finite(permutationP)), ("mean_confidence", .finite(meanConfidence)),
                     ("overconfident", .bool(meanConfidence > accuracy))]
        members += [("reliability", .array(reliabilityJSON)), ("confusion", confusionJSON), ("roc", rocJSON),
                    ("held_out_sites", .array(sitesJSON)), ("fold_auroc", numbers(foldAUROC))]
        return .object(members)
    }
}

let featureMatrixStage = StageType(
    name: "feature-matrix", version: "1", level: .group,
    summary: "The group feature table as one row per participant (long tables widened to feature[key]) with the participants.tsv columns: HDF5 (neuropipe.features, for `neuropipe screen` and h5py) and TSV.",
    inputs: [StagePort(name: "table", file: "", help: "group table with participant_id (e.g. concat-tables)"),
             StagePort(name: "participants", file: "", help: "connect to `participants` (covariates and labels)")],
    outputs: [StagePort(name: "features", file: "features.h5", help: "/X [participants × features], /feature_names, /sample_ids, /covariates/<column> (data-schemas/hdf5-features.schema.json)"),
              StagePort(name: "table", file: "features.tsv", help: "participant_id, the participants.tsv columns, then one column per feature")],
    parameters: []) { ctx in
    let tablePath = try ctx.groupTable()
    let source = try MatrixFeatureSource.participantTable(try TSVTable(path: tablePath))
    let ids = source.sampleIDs ?? []
    let participants = try TSVTable(path: ctx.inputs["participants"]![0])
    guard let idColumn = participants.header.firstIndex(of: "participant_id") else {
        throw InputError(file: participants.path, field: "participant_id", message: "participants.tsv needs a participant_id column")
    }
    let byID = Dictionary(participants.rows.map { ($0[idColumn], $0) }, uniquingKeysWith: { a, _ in a })
    let columns = participants.header.indices.filter { $0 != idColumn }
    let covariates = columns.map { c in (participants.header[c], ids.map { byID[$0]?[c] ?? "n/a" }) }
    let names = (0..<source.featureCount).map(source.featureName)
    try HDF5Layout.writeFeatures(source.matrix, featureNames: names, sampleIDs: ids, covariates: covariates,
                                 source: (tablePath as NSString).lastPathComponent, to: ctx.output("features.h5"))
    try TableWriter.writeTSV(header: ["participant_id"] + columns.map { participants.header[$0] } + names,
                             rows: ids.enumerated().map { r, id in [id] + columns.map { byID[id]?[$0] ?? "n/a" } + (0..<source.featureCount).map { TableWriter.cell(source.matrix[r, $0]) } },
                             to: ctx.output("features.tsv"))
}
