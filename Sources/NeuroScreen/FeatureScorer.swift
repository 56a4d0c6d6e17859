import CVectorMath
import Foundation
import NeuroCore

/// A screening method: how one feature is scored against the outcome.
public enum ScreeningMethod: String, Sendable, CaseIterable {
    /// |Pearson r| (point-biserial for a binary outcome); the Gaussian MI −½·log(1 − r²) is reported beside it.
    case pearson
    /// Plug-in MI on equal-width bins (Birgé–Rozenholc bin count), as fastHDMI's binning estimator.
    case binning
    /// MI from Epanechnikov KDE densities evaluated on a grid by FFT convolution (KDEpy FFTKDE conventions).
    case fftkde
    /// Kraskov–Stögbauer–Grassberger k-NN estimator (Ross 2014 for a discrete outcome), as scikit-learn.
    case ksg
}

/// Settings of a screening method. `grid` defaults to 300 per axis for the 2-D KDE (continuous outcome) and 500
/// for the 1-D class densities (discrete outcome), fastHDMI's defaults.
public struct ScreeningOptions: Sendable, Equatable {
    public var method: ScreeningMethod
    public var bandwidth: BandwidthRule
    public var grid: Int?
    /// A fixed bin count for binning (continuous variables); nil = Birgé–Rozenholc per variable.
    public var bins: Int?
    public var neighbours: Int
    public var seed: UInt64

    public init(method: ScreeningMethod, bandwidth: BandwidthRule = .silverman, grid: Int? = nil, bins: Int? = nil,
                neighbours: Int = 3, seed: UInt64 = 0) {
        self.method = method
        self.bandwidth = bandwidth
        self.grid = grid
        self.bins = bins
        self.neighbours = neighbours
        self.seed = seed
    }
}

/// One feature's result: `score` ranks features (larger = stronger association); `statistic` is a signed
/// companion value where the method has one (Pearson's r).
public struct FeatureScore: Sendable, Equatable {
    public var score: Double
    public var statistic: Double?
    public init(score: Double, statistic: Double? = nil) {
        self.score = score
        self.statistic = statistic
    }
}

/// A method prepared for one outcome (its scaling, bins or sorted order computed once, not per feature).
public protocol FeatureScorer: Sendable {
    /// A worker with its own scratch buffers; one per thread.
    func makeWorker() throws -> FeatureScoringWorker
}

/// Scores features one at a time; not shared between threads.
public protocol FeatureScoringWorker: AnyObject {
    /// The score of feature number `feature` with values `x` (`[samples]`, aligned with the outcome, all finite).
    func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore
}

extension ScreeningOptions {
    /// The scorer of this method for `outcome`; throws when the method cannot handle that kind of outcome.
    public func scorer(for outcome: Outcome) throws -> FeatureScorer {
        guard outcome.count >= 3 else {
            throw InputError(file: "outcome", field: "samples", message: "screening needs at least 3 samples with an outcome, got \(outcome.count)")
        }
        switch method {
        case .pearson:
            guard outcome.kind != .categorical else {
                throw InputError(file: "outcome", field: "method", message: "pearson needs a continuous or binary outcome; this one has \(outcome.classCount) classes (use binning, fftkde or ksg)")
            }
            return PearsonScorer(outcome: outcome)
        case .binning:
            if let bins, !(2...10_000).contains(bins) {
                throw InputError(file: "options", field: "bins", message: "must be between 2 and 10000, got \(bins)")
            }
            return BinningMIScorer(outcome: outcome, fixedBins: bins)
        case .fftkde:
            if let grid, grid < 8 {
                throw InputError(file: "options", field: "grid", message: "the KDE grid needs at least 8 points per axis, got \(grid)")
            }
            return outcome.isDiscrete
                ? try ClassConditionalKDEScorer(outcome: outcome, bandwidth: bandwidth, grid: grid ?? 500)
                : try JointKDEScorer(outcome: outcome, bandwidth: bandwidth, grid: grid ?? 300)
        case .ksg:
            guard neighbours >= 1, neighbours < outcome.count else {
                throw InputError(file: "options", field: "k", message: "KSG needs 1 ≤ k < samples (\(outcome.count)), got \(neighbours)")
            }
            return outcome.isDiscrete
                ? KSGDiscreteScorer(outcome: outcome, k: neighbours, seed: seed)
                : KSGContinuousScorer(outcome: outcome, k: neighbours, seed: seed)
        }
    }
}

/// Pearson correlation with a centred outcome computed once. r is scale-invariant, so values whose sums or squares
/// would overflow (say ±1e300) are divided by a power of two first (`ScreeningStatistics.overflowSafeScale`).
struct PearsonScorer: FeatureScorer {
    let centred: [Double]
    let norm: Double

    init(outcome: Outcome) {
        var (centred, norm) = outcome.values.withUnsafeBufferPointer { Self.centred($0, factor: 1) }
        if !norm.isFinite, let scale = outcome.values.withUnsafeBufferPointer(ScreeningStatistics.overflowSafeScale) {
            (centred, norm) = outcome.values.withUnsafeBufferPointer { Self.centred($0, factor: 1 / scale) }
        }
        (self.centred, self.norm) = (centred, norm)
    }

    /// The values times `factor`, centred, and their Euclidean norm.
    static func centred(_ v: UnsafeBufferPointer<Double>, factor: Double) -> ([Double], Double) {
        let mean = v.reduce(0) { $0 + $1 * factor } / Double(v.count)
        let centred = v.map { $0 * factor - mean }
        return (centred, centred.reduce(0) { $0 + $1 * $1 }.squareRoot())
    }

    func makeWorker() throws -> FeatureScoringWorker { Worker(scorer: self) }

    final class Worker: FeatureScoringWorker {
        let scorer: PearsonScorer
        init(scorer: PearsonScorer) { self.scorer = scorer }

        func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore {
            var (sxy, denominator) = moments(x, factor: 1)
            if !(sxy.isFinite && denominator.isFinite), let scale = ScreeningStatistics.overflowSafeScale(x) {
                (sxy, denominator) = moments(x, factor: 1 / scale)
            }
            // A constant feature (or outcome) has no correlation: 0, where NumPy would return NaN.
            guard denominator > 0 else { return FeatureScore(score: 0, statistic: 0) }
            let r = max(-1, min(1, sxy / denominator))
            return FeatureScore(score: abs(r), statistic: r)
        }

        /// Σ (x·factor − mean)·y and ‖x·factor − mean‖·‖y‖ against the centred outcome.
        private func moments(_ x: UnsafeBufferPointer<Double>, factor: Double) -> (Double, Double) {
            var mean = 0.0
            for v in x { mean += v * factor }
            mean /= Double(x.count)
            var sxy = 0.0, sxx = 0.0
            scorer.centred.withUnsafeBufferPointer { y in
                for i in 0..<x.count {
                    let d = x[i] * factor - mean
                    sxy += d * y[i]
                    sxx += d * d
                }
            }
            return (sxy, sxx.squareRoot() * scorer.norm)
        }
    }

    /// −½·log(1 − r²), the MI of a bivariate Gaussian with correlation r (∞ for |r| = 1).
    static func gaussianMI(r: Double) -> Double { abs(r) >= 1 ? .infinity : -0.5 * log1p(-r * r) }
}

/// fastHDMI's `joint_to_mi_cython`: Σ J_ij (log J_ij − log(Σ_j J_ij) − log b − log(Σ_i J_ij) − log a)·a·b over the
/// grid `[rows × cols]` (row-major) with cell sizes a (rows), b (columns); zero cells and empty marginals
/// contribute 0; no renormalisation; clamped at 0. Each cell is read as max(0, joint[i·rowStride + j]·scale + offset),
/// so a padded convolution output can be used in place (rowStride defaults to `cols`).
func jointToMutualInformation(_ joint: UnsafeBufferPointer<Double>, rows: Int, cols: Int, stepA: Double, stepB: Double,
                              rowSums: UnsafeMutablePointer<Double>, colSums: UnsafeMutablePointer<Double>,
                              rowStride: Int? = nil, scale: Double = 1, offset: Double = 0) -> Double {
    let stride = rowStride ?? cols
    precondition(stride >= cols && joint.count >= (rows - 1) * stride + cols, "joint grid smaller than \(rows) × \(cols)")
    rowSums.update(repeating: 0, count: rows)
    colSums.update(repeating: 0, count: cols)
    var jLogJ = 0.0
    // Each row's cells go to a contiguous buffer whose Σ v·log v is one SIMD libmvec call (the logs are most of
    // the cost of an FFT-KDE score: one per grid cell).
    withUnsafeTemporaryAllocation(of: Double.self, capacity: cols) { row in
        let row = row.baseAddress!
        for i in 0..<rows {
            var rowSum = 0.0
            let base = i * stride
            for j in 0..<cols {
                let raw = joint[base + j] * scale + offset
                let v = raw < 0 ? 0 : raw
                row[j] = v
                rowSum += v
                colSums[j] += v
            }
            rowSums[i] = rowSum
            jLogJ += neuropipe_xlogx_sum(row, cols)
        }
    }
    let logA = log(stepA), logB = log(stepB)
    var marginalTerm = 0.0
    for i in 0..<rows where rowSums[i] > 0 { marginalTerm += rowSums[i] * (log(rowSums[i]) + logB) }
    for j in 0..<cols where colSums[j] > 0 { marginalTerm += colSums[j] * (log(colSums[j]) + logA) }
    return max(0, (jLogJ - marginalTerm) * stepA * stepB)
}
