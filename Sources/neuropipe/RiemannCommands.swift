import ArgumentParser
import Foundation
import NeuroCore
import NeuroIO
import NeuroRiemann

struct CovarianceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "covariance", abstract: "Covariance (optionally augmented) of every epoch; Riemannian mean and tangent vectors.",
        discussion: "Writes /covariances [trials × n × n] and /y; with --mean the Riemannian mean /mean, with --tangent /tangent_vectors at that mean (data-schemas/hdf5-covariances.schema.json). --order/--lag embed each epoch as MOABB's AugmentedDataset (n = order × channels).")

    @Option(help: "Epochs HDF5 (neuropipe epochs).") var epochs: String
    @Option(help: "Output HDF5.") var out: String
    @Option(help: "Estimator: scm, cov, lwf, oas or shrinkage:S.") var estimator: String = "lwf"
    @Option(help: "Augmented covariance order (1 = plain covariance).") var order: Int = 1
    @Option(help: "Augmented covariance lag (samples).") var lag: Int = 1
    @Flag(help: "Also write the Riemannian mean.") var mean = false
    @Flag(help: "Also write tangent vectors at the Riemannian mean.") var tangent = false
    @OptionGroup var json: JSONOption

    func run() throws {
        try runReportingErrors(json: json.json) {
            let est = try CovarianceEstimator(name: estimator)
            let e = try EpochsFile.read(path: epochs)
            let covs: [Matrix]
            do { covs = try est.estimateAll(try e.trials.map { try AugmentedCovariance.embed($0, order: order, lag: lag) }) }
            catch let err as InputError { throw InputError(file: epochs, field: err.field, message: err.message) }
            var m: Matrix? = nil, t: Matrix? = nil
            var converged: Bool? = nil
            if mean || tangent {
                let ts = try TangentSpace().fit(covs)
                m = ts.reference
                converged = ts.meanConverged
                if tangent { t = try ts.transform(covs) }
            }
            try HDF5Layout.writeCovariances(covs, labels: e.labels, mean: mean ? m : nil, tangent: t, attributes: [
                ("estimator", .string(est.name)), ("order", .int(order)), ("lag", .int(lag)), ("source", .string((epochs as NSString).lastPathComponent)),
                ("mean_converged", converged.map { .bool($0) } ?? .null)], to: out)
            if converged == false { FileHandle.standardError.write("neuropipe: warning: Riemannian mean did not converge in 50 iterations\n".data(using: .utf8)!) }
            printResult(json: json.json, .object([("output", .string(out)), ("trials", .int(covs.count)), ("n", .int(covs.first?.rows ?? 0))]),
                        "wrote \(out): \(covs.count) covariances of \(covs.first?.rows ?? 0)×\(covs.first?.rows ?? 0)")
        }
    }
}

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify", abstract: "Cross-validated Riemannian classification of epochs (MDM, tangent space + LR/SVM/LDA, augmented covariance).",
        discussion: "Every fitted step (order/lag choice, Riemannian reference, classifier) sees only the training fold. --order auto picks lag by the first minimum of auto mutual information and order by false nearest neighbours; --order grid searches orders 1-10 × lags 1-10 with inner 3-fold CV. Folds of stratified:K equal scikit-learn's StratifiedKFold(K, shuffle=False).")

    @Option(help: "Epochs HDF5 (neuropipe epochs).") var epochs: String
    @Option(help: "Pipeline: \(PipelineName.allCases.map(\.rawValue).joined(separator: ", ")).") var pipeline: String
    @Option(help: "Estimator: scm, cov, lwf, oas or shrinkage:S.") var estimator: String = "lwf"
    @Option(help: "Augmented covariance order, or auto, or grid.") var order: String = "1"
    @Option(help: "Augmented covariance lag (samples).") var lag: Int = 1
    @Option(help: "Cross-validation: stratified:K, shuffle:K:SEED or group.") var cv: String = "stratified:5"
    @Option(help: "Also write the results to this JSON file.") var out: String?
    @OptionGroup var json: JSONOption

    func run() throws {
        guard let p = PipelineName(rawValue: pipeline) else {
            throw ValidationError("--pipeline must be one of \(PipelineName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let embedding: EmbeddingChoice
        switch order {
        case "auto": embedding = .auto(maxOrder: 10, maxLag: 10)
        case "grid": embedding = .grid(orders: Array(1...10), lags: Array(1...10), innerFolds: 3)
        default:
            guard let o = Int(order), o >= 1, lag >= 1 else { throw ValidationError("--order must be a positive integer, auto or grid; --lag a positive integer") }
            embedding = .fixed(order: o, lag: lag)
        }
        try runReportingErrors(json: json.json) {
            let scheme = try CrossValidationScheme(text: cv)
            let e = try EpochsFile.read(path: epochs)
            let eval = RiemannianEvaluation(pipeline: p, estimator: try CovarianceEstimator(name: estimator), embedding: embedding)
            let r: EvaluationResult
            do { r = try eval.run(epochs: e.trials, labels: e.labels, groups: e.groups, cv: scheme) }
            catch let err as InputError { throw InputError(file: epochs, field: err.field, message: err.message) }
            let result = JSONValue.object([
                ("pipeline", .string(r.pipeline)), ("estimator", .string(estimator)), ("cv", .string(cv)), ("classes", .array(r.classes.map { .string($0) })),
                ("n_trials", .int(e.trials.count)),
                ("folds", .array(r.folds.map { f in .object([
                    ("test_indices", .array(f.testIndices.map { .int($0) })), ("accuracy", .finite(f.accuracy)),
                    ("balanced_accuracy", .finite(f.balancedAccuracy)), ("auc", .finite(f.auc)), ("kappa", .finite(f.kappa)),
                    ("order", .int(f.order)), ("lag", .int(f.lag))]) })),
                ("accuracy", .finite(r.mean(\.accuracy))), ("balanced_accuracy", .finite(r.mean(\.balancedAccuracy))),
                ("auc", .finite(r.mean(\.auc))), ("kappa", .finite(r.mean(\.kappa))),
            ])
            if let out { try TableWriter.writeJSON(result, to: out) }
            let text = "\(r.pipeline): accuracy \(String(format: "%.3f", r.mean(\.accuracy))), balanced accuracy \(String(format: "%.3f", r.mean(\.balancedAccuracy))), AUC \(String(format: "%.3f", r.mean(\.auc))) over \(r.folds.count) folds (orders \(r.folds.map(\.order)), lags \(r.folds.map(\.lag)))"
            printResult(json: json.json, result, text)
        }
    }
}
