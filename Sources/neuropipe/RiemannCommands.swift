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
            try OutputLocation.requireWritableFile(out)
            let est = try CovarianceEstimator(name: estimator)
            let e = try EpochsFile.read(path: epochs)
            let c: EpochCovariances
            do { c = try EpochCovariances(trials: e.trials, estimator: est, order: order, lag: lag, mean: mean, tangent: tangent) }
            catch let err as InputError { throw InputError(file: epochs, field: err.field, message: err.message) }
            let covs = c.covariances
            try HDF5Layout.writeCovariances(covs, labels: e.labels, mean: c.mean, tangent: c.tangent, attributes: [
                ("estimator", .string(est.name)), ("order", .int(order)), ("lag", .int(lag)), ("source", .string((epochs as NSString).lastPathComponent)),
                ("mean_converged", c.meanConverged.map { .bool($0) } ?? .null)], to: out)
            if c.meanConverged == false { FileHandle.standardError.write("neuropipe: warning: Riemannian mean did not converge in 50 iterations\n".data(using: .utf8)!) }
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
        do { embedding = try EmbeddingChoice(order: order, lag: lag) } catch let e as InputError { throw ValidationError("--\(e.field): \(e.message)") }
        try runReportingErrors(json: json.json) {
            if let out { try OutputLocation.requireWritableFile(out) }
            let scheme = try CrossValidationScheme(text: cv)
            let e = try EpochsFile.read(path: epochs)
            let eval = RiemannianEvaluation(pipeline: p, estimator: try CovarianceEstimator(name: estimator), embedding: embedding)
            let r: EvaluationResult
            do { r = try eval.run(epochs: e.trials, labels: e.labels, groups: e.groups, cv: scheme) }
            catch let err as InputError { throw InputError(file: epochs, field: err.field, message: err.message) }
            let result = r.json(estimator: estimator, cv: cv, trials: e.trials.count)
            if let out { try TableWriter.writeJSON(result, to: out) }
            let text = "\(r.pipeline): accuracy \(String(format: "%.3f", r.mean(\.accuracy))), balanced accuracy \(String(format: "%.3f", r.mean(\.balancedAccuracy))), AUC \(String(format: "%.3f", r.mean(\.auc))) over \(r.folds.count) folds (orders \(r.folds.map(\.order)), lags \(r.folds.map(\.lag)))"
            printResult(json: json.json, result, text)
        }
    }
}
