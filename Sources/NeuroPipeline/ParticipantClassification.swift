import Foundation
import NeuroCore
import NeuroLearn
import NeuroScreen

/// Binary classification of participants from a feature table with the protocol MCI studies need: repeated
/// stratified k-fold over participants; every fitted step (missing-value medians, standardisation, optional MI
/// screening, the class-weighted L2 logistic regression) sees only the training fold; out-of-fold probabilities
/// averaged over repeats; metrics with participant-bootstrap 95% intervals; an age/sex-only baseline through the
/// same protocol; an optional label-permutation test of the AUROC.
public struct ParticipantClassification: Sendable {
    public var folds: Int
    public var repeats: Int
    public var seed: UInt64
    /// Keep the top-k features by MI (screened on the training fold only); nil = all features.
    public var screenTop: Int?
    public var screenMethod: ScreeningMethod
    public var permutations: Int
    public var bootstrap: Int
    public var regularisation: Double

    public init(folds: Int = 5, repeats: Int = 5, seed: UInt64 = 0, screenTop: Int? = nil, screenMethod: ScreeningMethod = .binning,
                permutations: Int = 0, bootstrap: Int = 1000, regularisation: Double = 1) {
        self.folds = folds
        self.repeats = repeats
        self.seed = seed
        self.screenTop = screenTop
        self.screenMethod = screenMethod
        self.permutations = permutations
        self.bootstrap = bootstrap
        self.regularisation = regularisation
    }

    public struct Metric: Sendable {
        public var value: Double
        public var lower: Double
        public var upper: Double
    }

    public struct Result: Sendable {
        public var positive: String
        public var participants: [String]
        public var labels: [String]
        /// Out-of-fold probability of the positive class per participant (mean over repeats).
        public var probabilities: [Double]
        public var metrics: [(String, Metric)]
        public var baselineAUROC: Metric?
        public var permutationP: Double?
        /// (mean predicted probability, observed positive rate, count) per probability decile with members.
        public var reliability: [(Double, Double, Int)]
        public var meanConfidence: Double
        public var foldAUROC: [Double]
        public var screenedFeatures: [String: Int]
    }

    /// `x` `[participants × features]` (NaN = missing), `labels` two classes, `positive` the class whose probability is
    /// reported; `baseline` `[participants × covariates]` (e.g. age, sex) for the baseline model.
    public func run(_ x: Matrix, names: [String], labels: [String], participants: [String], positive: String, baseline: Matrix?) throws -> Result {
        let classes = Array(Set(labels)).sorted()
        guard classes.count == 2, classes.contains(positive) else {
            throw InputError(file: "participants", field: "label", message: "needs exactly two classes including \(positive); found \(classes.joined(separator: ", "))")
        }
        guard Set(participants).count == participants.count else {
            throw InputError(file: "table", field: "participant_id", message: "a participant appears in more than one row; folds must split participants")
        }
        let counts = classes.map { c in labels.filter { $0 == c }.count }
        guard counts.min()! >= folds else {
            throw InputError(file: "participants", field: "label", message: "each class needs at least \(folds) participants for \(folds)-fold CV; counts \(zip(classes, counts).map { "\($0) \($1)" }.joined(separator: ", "))")
        }
        var screened = [String: Int]()
        let (probabilities, foldAUROC) = try crossValidated(x, names: names, labels: labels, positive: positive, screened: &screened)
        let truth = labels.map { $0 == positive }
        func interval(_ statistic: ([Bool], [Double]) -> Double) -> Metric {
            ParticipantClassification.bootstrapInterval(truth, probabilities, draws: bootstrap, seed: seed &+ 77, statistic)
        }
        let metrics: [(String, Metric)] = [
            ("auroc", interval { Metrics.rocAUC(positive: $0, scores: $1) }),
            ("accuracy", interval { t, p in Double(zip(t, p).filter { ($1 >= 0.5) == $0 }.count) / Double(t.count) }),
            ("balanced_accuracy", interval(ParticipantClassification.balancedAccuracy)),
            ("brier", interval { t, p in zip(t, p).reduce(0) { $0 + pow($1.1 - ($1.0 ? 1 : 0), 2) } / Double(t.count) }),
            ("log_loss", interval { t, p in -zip(t, p).reduce(0) { $0 + log(max(1e-15, $1.0 ? $1.1 : 1 - $1.1)) } / Double(t.count) }),
            ("ece", interval { ParticipantClassification.expectedCalibrationError($0, $1) }),
        ]
        var baselineMetric: Metric? = nil
        if let baseline {
            var ignored = [String: Int]()
            var plain = self
            plain.screenTop = nil
            let (p, _) = try plain.crossValidated(baseline, names: (0..<baseline.cols).map { "covariate_\($0)" }, labels: labels, positive: positive, screened: &ignored)
            baselineMetric = ParticipantClassification.bootstrapInterval(truth, p, draws: bootstrap, seed: seed &+ 78) { Metrics.rocAUC(positive: $0, scores: $1) }
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
                var ignored = [String: Int]()
                let (p, _) = try quick.crossValidated(x, names: names, labels: shuffled, positive: positive, screened: &ignored)
                if Metrics.rocAUC(positive: shuffled.map { $0 == positive }, scores: p) >= observed { atLeast += 1 }
            }
            permutationP = Double(1 + atLeast) / Double(1 + permutations)
        }
        var bins = [(Double, Double, Int)]()
        for d in 0..<10 {
            let members = probabilities.indices.filter { min(9, Int(probabilities[$0] * 10)) == d }
            if members.isEmpty { continue }
            bins.append((members.reduce(0) { $0 + probabilities[$1] } / Double(members.count),
                         Double(members.filter { truth[$0] }.count) / Double(members.count), members.count))
        }
        let confidence = probabilities.reduce(0) { $0 + max($1, 1 - $1) } / Double(probabilities.count)
        return Result(positive: positive, participants: participants, labels: labels, probabilities: probabilities, metrics: metrics,
                      baselineAUROC: baselineMetric, permutationP: permutationP, reliability: bins, meanConfidence: confidence,
                      foldAUROC: foldAUROC, screenedFeatures: screened)
    }

    /// Out-of-fold positive-class probabilities averaged over repeats, and each fold's AUROC.
    func crossValidated(_ x: Matrix, names: [String], labels: [String], positive: String, screened: inout [String: Int]) throws -> ([Double], [Double]) {
        let n = x.rows
        var sum = [Double](repeating: 0, count: n)
        var foldAUROC = [Double]()
        for r in 0..<repeats {
            let splits = try CrossValidation.stratifiedKFold(labels: labels, k: folds, shuffle: seed &+ UInt64(r))
            for fold in splits {
                var columns = Array(0..<x.cols)
                let train = fold.train, test = fold.test
                // Missing values: training-fold median per feature.
                var medians = [Double](repeating: 0, count: x.cols)
                for j in 0..<x.cols {
                    let v = train.map { x[$0, j] }.filter(\.isFinite).sorted()
                    medians[j] = v.isEmpty ? 0 : ScreeningStatistics.percentile(sorted: v, 50)
                }
                func value(_ i: Int, _ j: Int) -> Double { x[i, j].isFinite ? x[i, j] : medians[j] }
                if let top = screenTop, top < x.cols {
                    let trainMatrix = Matrix(rows: train.count, cols: x.cols, storage: train.flatMap { i in (0..<x.cols).map { value(i, $0) } })
                    let outcome = try Outcome(labels: train.map { labels[$0] })
                    let result = try FeatureScreening.run(source: MatrixFeatureSource(trainMatrix), outcome: outcome,
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
                let model = try LogisticRegression(c: regularisation, balancedClassWeights: true).fit(design(train), train.map { labels[$0] })
                let probabilities = try model.predictProbability(design(test))
                guard let column = model.classes.firstIndex(of: positive) else { continue }
                let p = probabilities.map { $0[column] }
                for (k, i) in test.enumerated() { sum[i] += p[k] }
                let t = test.map { labels[$0] == positive }
                if t.contains(true), t.contains(false) { foldAUROC.append(Metrics.rocAUC(positive: t, scores: p)) }
            }
        }
        return (sum.map { $0 / Double(repeats) }, foldAUROC)
    }

    /// `statistic` on all participants, with the 2.5th and 97.5th percentiles over `draws` participant resamples
    /// (resamples holding one class only are skipped; NaN bounds when fewer than 20 remain).
    static func bootstrapInterval(_ truth: [Bool], _ p: [Double], draws: Int, seed: UInt64, _ statistic: ([Bool], [Double]) -> Double) -> Metric {
        var rng = SplitMix(seed: seed)
        var values = [Double]()
        for _ in 0..<draws {
            let idx = (0..<truth.count).map { _ in Int(rng.next() % UInt64(truth.count)) }
            let t = idx.map { truth[$0] }
            guard t.contains(true), t.contains(false) else { continue }
            values.append(statistic(t, idx.map { p[$0] }))
        }
        values.sort()
        let value = statistic(truth, p)
        guard values.count >= 20 else { return Metric(value: value, lower: .nan, upper: .nan) }
        return Metric(value: value, lower: ScreeningStatistics.percentile(sorted: values, 2.5), upper: ScreeningStatistics.percentile(sorted: values, 97.5))
    }

    static func balancedAccuracy(_ truth: [Bool], _ p: [Double]) -> Double {
        let pos = truth.indices.filter { truth[$0] }, neg = truth.indices.filter { !truth[$0] }
        guard !pos.isEmpty, !neg.isEmpty else { return .nan }
        let tpr = Double(pos.filter { p[$0] >= 0.5 }.count) / Double(pos.count)
        let tnr = Double(neg.filter { p[$0] < 0.5 }.count) / Double(neg.count)
        return (tpr + tnr) / 2
    }

    /// Expected calibration error over 10 equal-width probability bins: Σ (n_b/n)·|mean p − observed rate|.
    static func expectedCalibrationError(_ truth: [Bool], _ p: [Double]) -> Double {
        var total = 0.0
        for d in 0..<10 {
            let members = p.indices.filter { min(9, Int(p[$0] * 10)) == d }
            if members.isEmpty { continue }
            let meanP = members.reduce(0) { $0 + p[$1] } / Double(members.count)
            let rate = Double(members.filter { truth[$0] }.count) / Double(members.count)
            total += Double(members.count) / Double(p.count) * abs(meanP - rate)
        }
        return total
    }
}
