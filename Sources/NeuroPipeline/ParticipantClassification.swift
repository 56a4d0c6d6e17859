import Foundation
import NeuroCore
import NeuroLearn
import NeuroRiemann
import NeuroScreen

/// What each participant contributes to participant-level classification.
public enum ParticipantInput: Sendable {
    /// `[participants × features]` (NaN = missing) with one name per feature.
    case table(Matrix, names: [String])
    /// One SPD matrix per participant `[n × n]` (e.g. the Riemannian mean of its epoch covariances).
    case covariances([Matrix])

    var count: Int {
        switch self {
        case .table(let x, _): return x.rows
        case .covariances(let c): return c.count
        }
    }
}

/// The participant-level classifiers: L2 logistic regression on a feature table (median imputation and
/// standardisation fitted on the training fold, optional MI screening), tangent space at the training fold's
/// Riemannian mean + logistic regression, and minimum distance to the class Riemannian means (MDM).
public enum ParticipantModel: String, CaseIterable, Sendable {
    case logistic
    case tangentLogistic = "ts-lr"
    case tangentSVM = "ts-svm"
    case mdm

    var description: String {
        switch self {
        case .logistic: return "L2 logistic regression (liblinear), balanced class weights; median imputation and standardisation fitted per training fold"
        case .tangentLogistic: return "tangent space at the training fold's Riemannian mean + L2 logistic regression (liblinear), balanced class weights"
        case .tangentSVM: return "tangent space at the training fold's Riemannian mean + RBF SVM (libsvm, gamma 'scale', probabilities by libsvm's internal Platt scaling), balanced class weights"
        case .mdm: return "minimum distance to the class Riemannian means (MDM), probabilities softmax(−d²)"
        }
    }
}

/// Classification of participants (two classes, e.g. MCI vs control, or more, e.g. normal/MCI/dementia) with the
/// protocol MCI studies need: repeated stratified k-fold over participants (strata = class × site when sites are
/// given); every fitted step (imputation medians, standardisation, MI screening, tangent-space reference,
/// classifier, the regularisation chosen by inner CV, the probability calibration) sees only the training fold;
/// out-of-fold probabilities averaged over repeats; metrics with participant-bootstrap 95% intervals; an
/// age/sex-only baseline through the same protocol; an optional label-permutation test of the AUROC; optional
/// leave-one-site-out evaluation. With more than two classes AUROC is the macro one-vs-rest mean, the Brier score
/// sums over classes, and calibration error and the reliability diagram use the top-class confidence.
public struct ParticipantClassification: Sendable {
    public var folds: Int
    public var repeats: Int
    public var seed: UInt64
    public var model: ParticipantModel
    /// Keep the top-k features by MI (screened on the training fold only); nil = all features. Table input only.
    public var screenTop: Int?
    public var screenMethod: ScreeningMethod
    public var permutations: Int
    public var bootstrap: Int
    /// Inverse regularisation C of the logistic regression or SVM; nil = chosen per training fold by inner 3-fold
    /// CV AUROC from `regularisationGrid`.
    public var regularisation: Double?
    public var regularisationGrid: [Double] = [0.01, 0.1, 1, 10]
    /// Calibration fitted per training fold on inner 3-fold out-of-fold scores (scikit-learn's
    /// CalibratedClassifierCV with ensemble=False; one-vs-rest then renormalised for more than two classes).
    public var calibration: ProbabilityCalibration

    public init(folds: Int = 5, repeats: Int = 5, seed: UInt64 = 0, model: ParticipantModel = .logistic, screenTop: Int? = nil,
                screenMethod: ScreeningMethod = .binning, permutations: Int = 0, bootstrap: Int = 1000, regularisation: Double? = 1,
                calibration: ProbabilityCalibration = .none) {
        self.folds = folds
        self.repeats = repeats
        self.seed = seed
        self.model = model
        self.screenTop = screenTop
        self.screenMethod = screenMethod
        self.permutations = permutations
        self.bootstrap = bootstrap
        self.regularisation = regularisation
        self.calibration = calibration
    }

    public struct Metric: Sendable {
        public var value: Double
        public var lower: Double
        public var upper: Double
    }

    /// One test fold: the participants the fitted steps saw and the ones they predicted.
    public struct FoldRecord: Sendable {
        public var train: [String]
        public var test: [String]
        public var auroc: Double?
        /// C used in this fold (nil for MDM).
        public var regularisation: Double?
    }

    /// Receiver operating characteristic of the out-of-fold probabilities, with a participant-bootstrap 95% band
    /// of the true-positive rate on a fixed false-positive-rate grid (two classes).
    public struct ROC: Sendable {
        public var fpr: [Double]
        public var tpr: [Double]
        public var gridFPR: [Double]
        public var tprLower: [Double]
        public var tprUpper: [Double]
    }

    /// AUROC when one site is held out and the model is trained on the others.
    public struct SiteResult: Sendable {
        public var site: String
        public var participants: Int
        public var auroc: Double?
        public var accuracy: Double
    }

    public struct Result: Sendable {
        /// The class whose probability is reported with two classes; nil with more.
        public var positive: String?
        /// Class order of `probabilities` and of the confusion matrix: [negative, positive] with two classes, sorted otherwise.
        public var classes: [String]
        public var participants: [String]
        public var labels: [String]
        /// Out-of-fold probability of each class per participant (mean over repeats).
        public var probabilities: [[Double]]
        /// With two classes, each participant's probability of the positive class.
        public var positiveProbabilities: [Double] { probabilities.map { $0[$0.count - 1] } }
        public var metrics: [(String, Metric)]
        public var baselineAUROC: Metric?
        public var permutationP: Double?
        /// (mean predicted probability, observed rate, count) per probability decile with members: of the positive
        /// class with two classes, of the top class (confidence vs accuracy) with more.
        public var reliability: [(Double, Double, Int)]
        public var meanConfidence: Double
        public var folds: [FoldRecord]
        public var foldAUROC: [Double] { folds.compactMap(\.auroc) }
        public var screenedFeatures: [String: Int]
        /// Rows true class, columns predicted class, in `classes` order (threshold 0.5 with two classes, else argmax).
        public var confusion: [[Int]]
        public var roc: ROC?
        public var heldOutSites: [SiteResult]
    }

    /// `input` one row or matrix per participant, `labels` two or more classes, `positive` the class whose
    /// probability is reported with two classes (ignored with more); `baseline` `[participants × covariates]` (e.g.
    /// age, sex) for the baseline model; `sites` one site per participant (strata and leave-one-site-out), or nil.
    public func run(_ input: ParticipantInput, labels: [String], participants: [String], positive: String?, baseline: Matrix?,
                    sites: [String]? = nil) throws -> Result {
        let distinct = Array(Set(labels)).sorted()
        guard distinct.count >= 2 else {
            throw InputError(file: "participants", field: "label", message: "needs at least two classes; found \(distinct.joined(separator: ", "))")
        }
        let classes: [String]
        if distinct.count == 2 {
            guard let positive, distinct.contains(positive) else {
                throw InputError(file: "participants", field: "positive", message: "must be one of the two classes \(distinct.joined(separator: ", ")); got \(positive ?? "none")")
            }
            classes = [distinct.first { $0 != positive }!, positive]
        } else {
            classes = distinct
        }
        guard Set(participants).count == participants.count else {
            throw InputError(file: "table", field: "participant_id", message: "a participant appears in more than one row; folds must split participants")
        }
        guard input.count == labels.count, participants.count == labels.count, sites.map({ $0.count == labels.count }) ?? true else {
            throw InputError(file: "table", field: "participant_id", message: "\(input.count) inputs for \(labels.count) labels and \(participants.count) participants")
        }
        if screenTop != nil, case .covariances = input {
            throw InputError(file: "", field: "with.screen_top", message: "MI screening applies to feature tables, not to covariance matrices")
        }
        let counts = classes.map { c in labels.filter { $0 == c }.count }
        guard counts.min()! >= folds else {
            throw InputError(file: "participants", field: "label", message: "each class needs at least \(folds) participants for \(folds)-fold CV; counts \(zip(classes, counts).map { "\($0) \($1)" }.joined(separator: ", "))")
        }
        let k = classes.count
        let truth = labels.map { classes.firstIndex(of: $0)! }
        let distinctSites = Set(sites ?? [])
        let strata = distinctSites.count > 1 ? zip(labels, sites!).map { "\($0)|\($1)" } : labels
        var screened = [String: Int]()
        var records = [FoldRecord]()
        let probabilities = try crossValidated(input, labels: labels, classes: classes, strata: strata, participants: participants,
                                               screened: &screened, records: &records)
        typealias Statistic = ([Int], [[Double]]) -> Double
        func interval(_ statistic: @escaping Statistic, seedOffset: UInt64 = 77, _ p: [[Double]]? = nil) -> Metric {
            ParticipantClassification.bootstrapInterval(truth, p ?? probabilities, classes: k, draws: bootstrap, seed: seed &+ seedOffset, statistic)
        }
        let auroc: Statistic = { ParticipantClassification.auroc($0, $1, classes: k) }
        let metrics: [(String, Metric)] = [
            ("auroc", interval(auroc)),
            ("accuracy", interval { t, p in Double(zip(t, p).filter { ParticipantClassification.predicted($1) == $0 }.count) / Double(t.count) }),
            ("balanced_accuracy", interval { ParticipantClassification.balancedAccuracy($0, $1, classes: k) }),
            ("brier", interval { ParticipantClassification.brier($0, $1) }),
            ("log_loss", interval { t, p in -zip(t, p).reduce(0) { $0 + log(max(1e-15, $1.1[$1.0])) } / Double(t.count) }),
            ("ece", interval { ParticipantClassification.expectedCalibrationError($0, $1) }),
        ]
        var baselineMetric: Metric? = nil
        if let baseline {
            var ignored = [String: Int](), ignoredRecords = [FoldRecord]()
            var plain = self
            (plain.screenTop, plain.model) = (nil, .logistic)
            let p = try plain.crossValidated(.table(baseline, names: (0..<baseline.cols).map { "covariate_\($0)" }), labels: labels, classes: classes,
                                             strata: strata, participants: participants, screened: &ignored, records: &ignoredRecords)
            baselineMetric = interval(auroc, seedOffset: 78, p)
        }
        var permutationP: Double? = nil
        if permutations > 0 {
            let observed = metrics[0].1.value
            var atLeast = 0
            var quick = self
            quick.repeats = 1
            for b in 0..<permutations {
                var shuffled = labels
                var r = SplitMix(seed: seed &+ 1000 &+ UInt64(b))
                r.shuffle(&shuffled)
                var ignored = [String: Int](), ignoredRecords = [FoldRecord]()
                let p = try quick.crossValidated(input, labels: shuffled, classes: classes, strata: shuffled, participants: participants,
                                                 screened: &ignored, records: &ignoredRecords)
                if auroc(shuffled.map { classes.firstIndex(of: $0)! }, p) >= observed { atLeast += 1 }
            }
            permutationP = Double(1 + atLeast) / Double(1 + permutations)
        }
        let bins = ParticipantClassification.reliability(truth, probabilities)
        let confidence = probabilities.reduce(0) { $0 + $1.max()! } / Double(probabilities.count)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, probabilities) { confusion[t][ParticipantClassification.predicted(p)] += 1 }
        var siteResults = [SiteResult]()
        if distinctSites.count > 1 {
            for site in distinctSites.sorted() {
                let test = labels.indices.filter { sites![$0] == site }, train = labels.indices.filter { sites![$0] != site }
                guard Set(train.map { labels[$0] }).count == k else { continue }
                var ignored = [String: Int]()
                let (p, _) = try fitPredict(input, train: train, test: test, labels: labels, classes: classes, seed: seed &+ 500, screened: &ignored)
                let t = test.map { truth[$0] }
                siteResults.append(SiteResult(site: site, participants: test.count,
                                              auroc: Set(t).count == k ? auroc(t, p) : nil,
                                              accuracy: Double(zip(t, p).filter { ParticipantClassification.predicted($1) == $0 }.count) / Double(t.count)))
            }
        }
        let roc = k == 2 ? ParticipantClassification.roc(truth.map { $0 == 1 }, probabilities.map { $0[1] }, draws: bootstrap, seed: seed &+ 79) : nil
        return Result(positive: k == 2 ? classes[1] : nil, classes: classes, participants: participants, labels: labels,
                      probabilities: probabilities, metrics: metrics, baselineAUROC: baselineMetric, permutationP: permutationP,
                      reliability: bins, meanConfidence: confidence, folds: records, screenedFeatures: screened, confusion: confusion,
                      roc: roc, heldOutSites: siteResults)
    }

    /// Out-of-fold class probabilities averaged over repeats; one record per test fold.
    func crossValidated(_ input: ParticipantInput, labels: [String], classes: [String], strata: [String], participants: [String],
                        screened: inout [String: Int], records: inout [FoldRecord]) throws -> [[Double]] {
        let k = classes.count
        var sum = [[Double]](repeating: [Double](repeating: 0, count: k), count: labels.count)
        for r in 0..<repeats {
            for fold in try CrossValidation.stratifiedKFold(labels: strata, k: folds, shuffle: seed &+ UInt64(r)) {
                let (p, c) = try fitPredict(input, train: fold.train, test: fold.test, labels: labels, classes: classes,
                                            seed: seed &+ UInt64(r), screened: &screened)
                for (row, i) in fold.test.enumerated() { for j in 0..<k { sum[i][j] += p[row][j] } }
                let t = fold.test.map { classes.firstIndex(of: labels[$0])! }
                records.append(FoldRecord(train: fold.train.map { participants[$0] }, test: fold.test.map { participants[$0] },
                                          auroc: Set(t).count == k ? ParticipantClassification.auroc(t, p, classes: k) : nil, regularisation: c))
            }
        }
        return sum.map { $0.map { $0 / Double(repeats) } }
    }

    /// Fits on `train` only and returns the (calibrated) class probabilities of each `test` participant and the
    /// regularisation used. Calibration maps are fitted on inner 3-fold out-of-fold log-odds of the training fold:
    /// of the positive class with two classes, of each class one-vs-rest (then renormalised) with more.
    func fitPredict(_ input: ParticipantInput, train: [Int], test: [Int], labels: [String], classes: [String], seed: UInt64,
                    screened: inout [String: Int]) throws -> ([[Double]], Double?) {
        let c = try chooseRegularisation(input, train: train, labels: labels, classes: classes, seed: seed)
        let raw = try fitScores(input, train: train, test: test, labels: labels, classes: classes, c: c, screened: &screened)
        guard calibration != .none else { return (raw, c) }
        let k = classes.count
        var inner = [[Double]](), innerTruth = [Int]()
        var ignored = [String: Int]()
        for f in try CrossValidation.stratifiedKFold(labels: train.map { labels[$0] }, k: min(3, folds), shuffle: seed &+ 31) {
            inner += try fitScores(input, train: f.train.map { train[$0] }, test: f.test.map { train[$0] }, labels: labels, classes: classes,
                                   c: c, screened: &ignored)
            innerTruth += f.test.map { classes.firstIndex(of: labels[train[$0]])! }
        }
        let calibrated = k == 2 ? [1] : Array(0..<k)
        var maps = [Int: FittedCalibration]()
        for j in calibrated {
            maps[j] = try calibration.fit(scores: inner.map { ParticipantClassification.logit($0[j]) }, truth: innerTruth.map { $0 == j })
        }
        let out = raw.map { p -> [Double] in
            if k == 2 {
                let q = maps[1]!.probability(ParticipantClassification.logit(p[1]))
                return [1 - q, q]
            }
            let q = (0..<k).map { maps[$0]!.probability(ParticipantClassification.logit(p[$0])) }
            let total = q.reduce(0, +)
            return total > 0 ? q.map { $0 / total } : [Double](repeating: 1 / Double(k), count: k)
        }
        return (out, c)
    }

    /// The fixed C, or the grid value with the best inner 3-fold AUROC on the training fold (ties: smaller C).
    func chooseRegularisation(_ input: ParticipantInput, train: [Int], labels: [String], classes: [String], seed: UInt64) throws -> Double? {
        if model == .mdm { return nil }
        if let regularisation { return regularisation }
        let inner = try CrossValidation.stratifiedKFold(labels: train.map { labels[$0] }, k: min(3, folds), shuffle: seed &+ 17)
        let truth = train.map { classes.firstIndex(of: labels[$0])! }
        var best: (Double, Double)? = nil
        for c in regularisationGrid.sorted() {
            var scores = [[Double]](repeating: [], count: train.count)
            var ignored = [String: Int]()
            for f in inner {
                let p = try fitScores(input, train: f.train.map { train[$0] }, test: f.test.map { train[$0] }, labels: labels, classes: classes,
                                      c: c, screened: &ignored)
                for (row, i) in f.test.enumerated() { scores[i] = p[row] }
            }
            let auc = ParticipantClassification.auroc(truth, scores, classes: classes.count)
            if best == nil || auc > best!.1 + 1e-12 { best = (c, auc) }
        }
        return best!.0
    }

    /// The uncalibrated class probabilities (in `classes` order) of each `test` participant from a model fitted on
    /// `train` only.
    func fitScores(_ input: ParticipantInput, train: [Int], test: [Int], labels: [String], classes: [String], c: Double?,
                   screened: inout [String: Int]) throws -> [[Double]] {
        let trainLabels = train.map { labels[$0] }
        func reorder(_ fittedClasses: [String], _ p: [[Double]]) -> [[Double]] {
            let columns = classes.map { fittedClasses.firstIndex(of: $0) }
            return p.map { row in columns.map { $0.map { row[$0] } ?? 0 } }
        }
        switch input {
        case .covariances(let covs):
            let trainCovs = train.map { covs[$0] }
            let fitted: any FittedCovarianceClassifier
            switch model {
            case .mdm: fitted = try MDM().fit(trainCovs, trainLabels)
            case .tangentSVM: fitted = try TangentSpaceClassifier(SupportVectorClassifier(c: c ?? 1, balancedClassWeights: true)).fit(trainCovs, trainLabels)
            default: fitted = try TangentSpaceClassifier(LogisticRegression(c: c ?? 1, balancedClassWeights: true)).fit(trainCovs, trainLabels)
            }
            return reorder(fitted.classes, try fitted.predictProbability(test.map { covs[$0] }))
        case .table(let x, let names):
            guard model == .logistic else {
                throw InputError(file: "", field: "with.model", message: "\(model.rawValue) needs covariance matrices (from: covariances); a feature table takes logistic")
            }
            var columns = Array(0..<x.cols)
            // Missing values: training-fold median per feature.
            var medians = [Double](repeating: 0, count: x.cols)
            for j in 0..<x.cols {
                let v = train.map { x[$0, j] }.filter(\.isFinite).sorted()
                medians[j] = v.isEmpty ? 0 : ScreeningStatistics.percentile(sorted: v, 50)
            }
            func value(_ i: Int, _ j: Int) -> Double { x[i, j].isFinite ? x[i, j] : medians[j] }
            if let top = screenTop, top < x.cols {
                let trainMatrix = Matrix(rows: train.count, cols: x.cols, storage: train.flatMap { i in (0..<x.cols).map { value(i, $0) } })
                let result = try FeatureScreening.run(source: MatrixFeatureSource(trainMatrix), outcome: try Outcome(labels: trainLabels),
                                                      request: ScreeningRequest(options: ScreeningOptions(method: screenMethod, seed: seed)))
                columns = Array(result.ranking.prefix(top)).sorted()
                for j in columns { screened[names[j], default: 0] += 1 }
            }
            // Standardise with training-fold statistics.
            var means = [Double](), sds = [Double]()
            for j in columns {
                let v = train.map { value($0, j) }
                let m = v.reduce(0, +) / Double(v.count)
                let sd = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, v.count - 1))).squareRoot()
                means.append(m)
                sds.append(sd > 0 ? sd : 1)
            }
            func design(_ rows: [Int]) -> Matrix {
                Matrix(rows: rows.count, cols: columns.count, storage: rows.flatMap { i in columns.indices.map { (value(i, columns[$0]) - means[$0]) / sds[$0] } })
            }
            let fitted = try LogisticRegression(c: c ?? 1, balancedClassWeights: true).fit(design(train), trainLabels)
            return reorder(fitted.classes, try fitted.predictProbability(design(test)))
        }
    }

    static func logit(_ p: Double) -> Double {
        let q = min(max(p, 1e-15), 1 - 1e-15)
        return log(q / (1 - q))
    }

    /// Predicted class: the positive one when its probability is at least 0.5 (two classes), else the most probable.
    static func predicted(_ p: [Double]) -> Int {
        p.count == 2 ? (p[1] >= 0.5 ? 1 : 0) : p.indices.max { p[$0] < p[$1] }!
    }

    /// AUROC of the positive class (two classes) or the macro one-vs-rest mean (more); NaN when a class is absent.
    static func auroc(_ truth: [Int], _ p: [[Double]], classes k: Int) -> Double {
        if k == 2 { return Metrics.rocAUC(positive: truth.map { $0 == 1 }, scores: p.map { $0[1] }) }
        var total = 0.0
        for c in 0..<k {
            let t = truth.map { $0 == c }
            guard t.contains(true), t.contains(false) else { return .nan }
            total += Metrics.rocAUC(positive: t, scores: p.map { $0[c] })
        }
        return total / Double(k)
    }

    /// Mean recall over the classes present.
    static func balancedAccuracy(_ truth: [Int], _ p: [[Double]], classes k: Int) -> Double {
        var recalls = [Double]()
        for c in 0..<k {
            let members = truth.indices.filter { truth[$0] == c }
            if members.isEmpty { continue }
            recalls.append(Double(members.filter { predicted(p[$0]) == c }.count) / Double(members.count))
        }
        return recalls.isEmpty ? .nan : recalls.reduce(0, +) / Double(recalls.count)
    }

    /// Brier score: of the positive class with two classes (scikit-learn's brier_score_loss), summed over classes with more.
    static func brier(_ truth: [Int], _ p: [[Double]]) -> Double {
        guard let k = p.first?.count else { return .nan }
        if k == 2 { return zip(truth, p).reduce(0) { $0 + pow($1.1[1] - ($1.0 == 1 ? 1 : 0), 2) } / Double(truth.count) }
        return zip(truth, p).reduce(0) { acc, tp in acc + tp.1.indices.reduce(0) { $0 + pow(tp.1[$1] - ($1 == tp.0 ? 1 : 0), 2) } } / Double(truth.count)
    }

    /// The (probability, outcome) pairs of the calibration summaries: the positive class's probability and truth
    /// with two classes, the top-class confidence and correctness with more.
    static func calibrationPairs(_ truth: [Int], _ p: [[Double]]) -> [(Double, Bool)] {
        zip(truth, p).map { t, q in q.count == 2 ? (q[1], t == 1) : (q.max()!, predicted(q) == t) }
    }

    /// (mean probability, observed rate, count) per decile with members.
    static func reliability(_ truth: [Int], _ p: [[Double]]) -> [(Double, Double, Int)] {
        let pairs = calibrationPairs(truth, p)
        var bins = [(Double, Double, Int)]()
        for d in 0..<10 {
            let members = pairs.filter { min(9, Int($0.0 * 10)) == d }
            if members.isEmpty { continue }
            bins.append((members.reduce(0) { $0 + $1.0 } / Double(members.count), Double(members.filter(\.1).count) / Double(members.count), members.count))
        }
        return bins
    }

    /// Expected calibration error over 10 equal-width bins: Σ (n_b/n)·|mean p − observed rate|.
    static func expectedCalibrationError(_ truth: [Int], _ p: [[Double]]) -> Double {
        reliability(truth, p).reduce(0) { $0 + Double($1.2) / Double(truth.count) * abs($1.0 - $1.1) }
    }

    /// `statistic` on all participants, with the 2.5th and 97.5th percentiles over `draws` participant resamples
    /// (resamples missing a class are skipped; NaN bounds when fewer than 20 remain).
    static func bootstrapInterval(_ truth: [Int], _ p: [[Double]], classes k: Int, draws: Int, seed: UInt64,
                                  _ statistic: ([Int], [[Double]]) -> Double) -> Metric {
        var rng = SplitMix(seed: seed)
        var values = [Double]()
        for _ in 0..<draws {
            let idx = (0..<truth.count).map { _ in Int(rng.next() % UInt64(truth.count)) }
            let t = idx.map { truth[$0] }
            guard Set(t).count == k else { continue }
            values.append(statistic(t, idx.map { p[$0] }))
        }
        values.sort()
        let value = statistic(truth, p)
        guard values.count >= 20 else { return Metric(value: value, lower: .nan, upper: .nan) }
        return Metric(value: value, lower: ScreeningStatistics.percentile(sorted: values, 2.5), upper: ScreeningStatistics.percentile(sorted: values, 97.5))
    }

    /// The empirical ROC (thresholds at every distinct probability) and a bootstrap band of TPR on FPR 0, 0.02, …, 1.
    static func roc(_ truth: [Bool], _ p: [Double], draws: Int, seed: UInt64) -> ROC {
        func curve(_ t: [Bool], _ s: [Double]) -> ([Double], [Double]) {
            let order = s.indices.sorted { s[$0] > s[$1] }
            let pos = Double(t.filter { $0 }.count), neg = Double(t.count) - pos
            var fpr = [0.0], tpr = [0.0], tp = 0.0, fp = 0.0
            for (k, i) in order.enumerated() {
                if t[i] { tp += 1 } else { fp += 1 }
                if k + 1 == order.count || s[order[k + 1]] != s[i] { fpr.append(fp / neg); tpr.append(tp / pos) }
            }
            return (fpr, tpr)
        }
        /// TPR at `x`: the highest TPR reached at FPR ≤ x (the ROC's step envelope).
        func tprAt(_ x: Double, _ fpr: [Double], _ tpr: [Double]) -> Double {
            var best = 0.0
            for (f, t) in zip(fpr, tpr) where f <= x + 1e-12 { best = max(best, t) }
            return best
        }
        let (fpr, tpr) = curve(truth, p)
        let grid = (0...50).map { Double($0) / 50 }
        var samples = [[Double]](repeating: [], count: grid.count)
        var rng = SplitMix(seed: seed)
        for _ in 0..<draws {
            let idx = (0..<truth.count).map { _ in Int(rng.next() % UInt64(truth.count)) }
            let t = idx.map { truth[$0] }
            guard t.contains(true), t.contains(false) else { continue }
            let (f, r) = curve(t, idx.map { p[$0] })
            for (g, x) in grid.enumerated() { samples[g].append(tprAt(x, f, r)) }
        }
        let lower = samples.map { $0.count >= 20 ? ScreeningStatistics.percentile(sorted: $0.sorted(), 2.5) : .nan }
        let upper = samples.map { $0.count >= 20 ? ScreeningStatistics.percentile(sorted: $0.sorted(), 97.5) : .nan }
        return ROC(fpr: fpr, tpr: tpr, gridFPR: grid, tprLower: lower, tprUpper: upper)
    }
}
