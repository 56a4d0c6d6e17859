import Foundation
import NeuroCore
import NeuroLearn

/// The named pipelines of `neuropipe classify`: covariance (optionally augmented) → classifier.
public enum PipelineName: String, CaseIterable, Sendable {
    case mdm, tsLR = "ts-lr", tsSVM = "ts-svm", tsLDA = "ts-lda"
    case acmMDM = "acm-mdm", acmTSLR = "acm-ts-lr", acmTSSVM = "acm-ts-svm", acmTSLDA = "acm-ts-lda"

    public var isAugmented: Bool { rawValue.hasPrefix("acm-") }

    public var classifier: any CovarianceClassifier {
        switch self {
        case .mdm, .acmMDM: return MDM()
        case .tsLR, .acmTSLR: return TangentSpaceClassifier(LogisticRegression())
        case .tsSVM, .acmTSSVM: return TangentSpaceClassifier(SupportVectorClassifier())
        case .tsLDA, .acmTSLDA: return TangentSpaceClassifier(ShrinkageLDA())
        }
    }
}

/// How (order, lag) of the augmented covariance is chosen inside each training fold.
public enum EmbeddingChoice: Sendable, Equatable {
    case fixed(order: Int, lag: Int)
    /// Nested grid search: inner stratified k-fold on the training fold, best mean accuracy (ties: smaller order, lag).
    case grid(orders: [Int], lags: [Int], innerFolds: Int)
    /// Takens-style: AMI lag, false-nearest-neighbour order (EmbeddingSelection).
    case auto(maxOrder: Int, maxLag: Int)

    /// From user text: a positive order with a positive lag, `auto` (orders and lags 1–10), or `grid` (orders 1–10 ×
    /// lags 1–10, inner 3-fold CV).
    public init(order: String, lag: Int) throws {
        switch order {
        case "auto": self = .auto(maxOrder: 10, maxLag: 10)
        case "grid": self = .grid(orders: Array(1...10), lags: Array(1...10), innerFolds: 3)
        default:
            guard let o = Int(order), o >= 1 else { throw InputError(file: "", field: "order", message: "expected a positive integer, auto or grid; got \"\(order)\"") }
            guard lag >= 1 else { throw InputError(file: "", field: "lag", message: "expected a positive integer; got \(lag)") }
            self = .fixed(order: o, lag: lag)
        }
    }
}

public enum CrossValidationScheme: Sendable, Equatable {
    case stratified(k: Int)
    case shuffled(k: Int, seed: UInt64)
    /// Leave one group (subject, session) out.
    case group

    /// Parses stratified:K, shuffle:K:SEED, group.
    public init(text: String) throws {
        let p = text.split(separator: ":").map(String.init)
        switch (p.first, p.count) {
        case ("stratified", 2) where Int(p[1]) != nil: self = .stratified(k: Int(p[1])!)
        case ("shuffle", 3) where Int(p[1]) != nil && UInt64(p[2]) != nil: self = .shuffled(k: Int(p[1])!, seed: UInt64(p[2])!)
        case ("group", 1): self = .group
        default: throw InputError(file: "", field: "cv", message: "\"\(text)\" is not stratified:K, shuffle:K:SEED or group")
        }
    }

    func folds(labels: [String], groups: [String]?) throws -> [Fold] {
        switch self {
        case .stratified(let k): return try CrossValidation.stratifiedKFold(labels: labels, k: k)
        case .shuffled(let k, let seed): return try CrossValidation.stratifiedKFold(labels: labels, k: k, shuffle: seed)
        case .group:
            guard let groups, Set(groups).count >= 2 else { throw InputError(file: "", field: "groups", message: "leave-one-group-out needs /groups with at least two distinct values") }
            return try CrossValidation.leaveOneGroupOut(groups: groups)
        }
    }
}

/// Per-fold and mean results of a cross-validated pipeline.
public struct EvaluationResult: Sendable {
    public struct FoldResult: Sendable {
        public var testIndices: [Int]
        public var accuracy: Double
        public var balancedAccuracy: Double
        public var auc: Double
        public var kappa: Double
        public var order: Int
        public var lag: Int
    }
    public var pipeline: String
    public var classes: [String]
    public var folds: [FoldResult]
    public func mean(_ key: KeyPath<FoldResult, Double>) -> Double { folds.map { $0[keyPath: key] }.reduce(0, +) / Double(folds.count) }

    /// The results file written by `neuropipe classify --out` and the classify stage: per-fold and mean metrics.
    public func json(estimator: String, cv: String, trials: Int) -> JSONValue {
        .object([
            ("pipeline", .string(pipeline)), ("estimator", .string(estimator)), ("cv", .string(cv)), ("classes", .array(classes.map { .string($0) })),
            ("n_trials", .int(trials)),
            ("folds", .array(folds.map { f in .object([
                ("test_indices", .array(f.testIndices.map { .int($0) })), ("accuracy", .finite(f.accuracy)),
                ("balanced_accuracy", .finite(f.balancedAccuracy)), ("auc", .finite(f.auc)), ("kappa", .finite(f.kappa)),
                ("order", .int(f.order)), ("lag", .int(f.lag))]) })),
            ("accuracy", .finite(mean(\.accuracy))), ("balanced_accuracy", .finite(mean(\.balancedAccuracy))),
            ("auc", .finite(mean(\.auc))), ("kappa", .finite(mean(\.kappa))),
        ])
    }
}

/// Cross-validated evaluation where every fitted step (embedding choice, covariance reference, classifier) sees
/// only the training fold.
public struct RiemannianEvaluation: Sendable {
    public var pipeline: PipelineName
    public var estimator: CovarianceEstimator
    public var embedding: EmbeddingChoice
    public init(pipeline: PipelineName, estimator: CovarianceEstimator, embedding: EmbeddingChoice = .fixed(order: 1, lag: 1)) {
        self.pipeline = pipeline; self.estimator = estimator; self.embedding = embedding
    }

    func covariances(_ epochs: [Matrix], order: Int, lag: Int) throws -> [Matrix] {
        try estimator.estimateAll(try epochs.map { try AugmentedCovariance.embed($0, order: order, lag: lag) })
    }

    /// Accuracy of the pipeline with (order, lag) by inner stratified CV on `epochs`.
    func innerScore(_ epochs: [Matrix], _ y: [String], order: Int, lag: Int, folds k: Int) throws -> Double {
        let covs = try covariances(epochs, order: order, lag: lag)
        let folds = try CrossValidation.stratifiedKFold(labels: y, k: k)
        var correct = 0
        for f in folds {
            let model = try pipeline.classifier.fit(f.train.map { covs[$0] }, f.train.map { y[$0] })
            correct += zip(try model.predict(f.test.map { covs[$0] }), f.test.map { y[$0] }).filter { $0 == $1 }.count
        }
        return Double(correct) / Double(y.count)
    }

    public func run(epochs: [Matrix], labels: [String], groups: [String]? = nil, cv: CrossValidationScheme) throws -> EvaluationResult {
        let folds = try cv.folds(labels: labels, groups: groups)
        let classes = Array(Set(labels)).sorted()
        var results = [EvaluationResult.FoldResult]()
        for fold in folds {
            let trainX = fold.train.map { epochs[$0] }, trainY = fold.train.map { labels[$0] }
            var (order, lag) = (1, 1)
            if pipeline.isAugmented {
                switch embedding {
                case .fixed(let o, let l): (order, lag) = (o, l)
                case .auto(let maxOrder, let maxLag):
                    lag = EmbeddingSelection.lag(trainX, maxLag: maxLag)
                    order = EmbeddingSelection.order(trainX, lag: lag, maxOrder: maxOrder)
                case .grid(let orders, let lags, let inner):
                    var best = (score: -1.0, order: 1, lag: 1)
                    for o in orders.sorted() { for l in lags.sorted() where o * l < (trainX.first?.cols ?? 0) - 2 {
                        let s = try innerScore(trainX, trainY, order: o, lag: l, folds: inner)
                        if s > best.score { best = (s, o, l) }
                    } }
                    (order, lag) = (best.order, best.lag)
                }
            }
            let trainC = try covariances(trainX, order: order, lag: lag)
            let testC = try covariances(fold.test.map { epochs[$0] }, order: order, lag: lag)
            let model = try pipeline.classifier.fit(trainC, trainY)
            let truth = fold.test.map { labels[$0] }
            let pred = try model.predict(testC)
            let scores = try model.rankingScores(testC)
            // Columns in the model's classes; re-ordered to all classes (a class absent from training gets 0).
            let aligned = scores.map { p in classes.map { c in model.classes.firstIndex(of: c).map { p[$0] } ?? 0 } }
            results.append(.init(testIndices: fold.test, accuracy: Metrics.accuracy(truth, pred), balancedAccuracy: Metrics.balancedAccuracy(truth, pred),
                                 auc: Metrics.rocAUC(truth: truth, probabilities: aligned, classes: classes), kappa: Metrics.cohenKappa(truth, pred),
                                 order: order, lag: lag))
        }
        return EvaluationResult(pipeline: pipeline.rawValue, classes: classes, folds: results)
    }
}
