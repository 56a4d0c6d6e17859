import Foundation
import CLapacke
import NeuroCore

/// What to screen and how: the method, which samples (all, or a training fold), optional covariates to regress
/// out, and an optional permutation null.
public struct ScreeningRequest: Sendable {
    public var options: ScreeningOptions
    /// Samples used, as indices into the source's samples (e.g. the training rows of a CV fold); nil = all.
    public var rows: [Int]?
    /// `[samples × covariates]` aligned with the source's samples; each feature (and a continuous outcome) is
    /// replaced by its residual from ordinary least squares on [1, covariates] over `rows` before scoring.
    public var covariates: Matrix?
    /// Outcome permutations for the max-statistic (family-wise) p-values; 0 = none.
    public var permutations: Int
    /// Features read and scored per block.
    public var blockSize: Int

    public init(options: ScreeningOptions, rows: [Int]? = nil, covariates: Matrix? = nil, permutations: Int = 0, blockSize: Int = 2048) {
        self.options = options
        self.rows = rows
        self.covariates = covariates
        self.permutations = permutations
        self.blockSize = blockSize
    }
}

/// Scores of every feature, in source order.
public struct ScreeningResult: Sendable {
    public var scores: [Double]
    /// Pearson's signed r (pearson only).
    public var statistics: [Double]?
    /// Family-wise p-values from the max-statistic permutation null, (1 + #{max_b ≥ score}) / (B + 1).
    public var pValues: [Double]?
    /// The maximum score over features in each permutation.
    public var permutationMaxima: [Double]
    /// Samples used, and features that had missing values (scored on their complete samples).
    public var sampleCount: Int
    public var featuresWithMissing: Int

    /// Feature indices best first (ties by index; NaN scores last).
    public var ranking: [Int] {
        scores.indices.sorted { a, b in
            let (x, y) = (scores[a], scores[b])
            if x.isNaN != y.isNaN { return y.isNaN }
            return x != y ? x > y : a < b
        }
    }
}

public enum FeatureScreening {
    /// Screens every feature of `source` against `outcome`, which holds one value per used sample (`request.rows`,
    /// in that order, or every source sample). Blocks are read one at a time and scored in parallel on all cores;
    /// `progress(done, total)` is called after each block.
    public static func run(source: FeatureSource, outcome: Outcome, request: ScreeningRequest,
                           progress: ((Int, Int) -> Void)? = nil) throws -> ScreeningResult {
        let rows = request.rows ?? Array(0..<source.sampleCount)
        guard outcome.count == rows.count else {
            throw InputError(file: source.origin, field: "samples", message: "\(rows.count) samples are screened but the outcome has \(outcome.count) values")
        }
        guard rows.allSatisfy({ $0 >= 0 && $0 < source.sampleCount }) else {
            throw InputError(file: source.origin, field: "rows", message: "sample indices must lie in 0..<\(source.sampleCount)")
        }
        guard request.permutations >= 0 else {
            throw InputError(file: "options", field: "permutations", message: "must be ≥ 0, got \(request.permutations)")
        }
        let residualiser = try request.covariates.map { try Residualiser(covariates: $0, rows: rows, origin: source.origin) }
        var used = outcome
        if let residualiser, !used.isDiscrete {
            used = Outcome(continuous: residualiser.residual(used.values))
        }
        let options = request.options
        let outcomes = [used] + (0..<request.permutations).map { used.permuted(seed: options.seed &+ 0x5EED &+ UInt64($0)) }
        let scorers = try outcomes.map { try options.scorer(for: $0) }

        let p = source.featureCount, n = rows.count, b = max(1, request.blockSize)
        var scores = [Double](repeating: .nan, count: p)
        var statistics: [Double]? = options.method == .pearson ? [Double](repeating: .nan, count: p) : nil
        var maxima = [Double](repeating: -.infinity, count: request.permutations)
        var missing = 0
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let workers = try (0..<threads).map { _ in try scorers.map { try $0.makeWorker() } }
        let perThreadMaxima = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads * max(1, request.permutations))
        defer { perThreadMaxima.deallocate() }

        // The used samples of each feature of `range`, contiguous and residualised: [range.count × n].
        let full = source.sampleCount
        let prepare = UncheckedSendableBox { (range: Range<Int>) throws -> [Double] in
            let block = try source.readBlock(range)
            var x = [Double](repeating: 0, count: range.count * n)
            for f in 0..<range.count {
                for (i, r) in rows.enumerated() { x[f * n + i] = block[f * full + r] }
            }
            if let residualiser {
                for f in 0..<range.count where (0..<n).allSatisfy({ x[f * n + $0].isFinite }) {
                    x.withUnsafeMutableBufferPointer { residualiser.residualInPlace(UnsafeMutableBufferPointer(rebasing: $0[(f * n)..<((f + 1) * n)])) }
                }
            }
            return x
        }
        let blocks = stride(from: 0, to: p, by: b).map { $0..<min(p, $0 + b) }
        // Block i + 1 is read in the background while block i is scored; a read still running when scoring fails is
        // waited for, so the source is never used after this function returns.
        var pending = blocks.first.map { first in BackgroundResult { try prepare.value(first) } }
        defer { _ = try? pending?.value() }
        for (index, range) in blocks.enumerated() {
            let x = try pending!.value()
            pending = index + 1 < blocks.count ? BackgroundResult { [next = blocks[index + 1]] in try prepare.value(next) } : nil
            var blockScores = [FeatureScore](repeating: FeatureScore(score: .nan), count: range.count)
            var blockMissing = [Bool](repeating: false, count: range.count)
            perThreadMaxima.update(repeating: -.infinity)
            let next = Counter()
            let chunk = 8
            try x.withUnsafeBufferPointer { xb in
                try blockScores.withUnsafeMutableBufferPointer { sb in
                    try blockMissing.withUnsafeMutableBufferPointer { mb in
                        let shared = UncheckedSendableBox((xb, sb, mb, perThreadMaxima))
                        let failure = ErrorSlot()
                        parallelFor(threads) { t in
                            let (xb, sb, mb, maxima) = shared.value
                            let mine = workers[t]
                            while true {
                                let first = next.take(chunk)
                                if first >= range.count { break }
                                for f in first..<min(range.count, first + chunk) {
                                    let feature = range.lowerBound + f
                                    let values = UnsafeBufferPointer(rebasing: xb[(f * n)..<((f + 1) * n)])
                                    do {
                                        let all = try scoreAll(values, feature: feature, workers: mine, outcomes: outcomes, options: options,
                                                               covariates: request.covariates, rows: rows, origin: source.origin)
                                        sb[f] = all.scores[0]
                                        mb[f] = all.missing
                                        for k in 1..<all.scores.count {
                                            let v = all.scores[k].score
                                            if v > maxima[t * request.permutations + k - 1] { maxima[t * request.permutations + k - 1] = v }
                                        }
                                    } catch {
                                        failure.set(error)
                                    }
                                }
                            }
                        }
                        if let error = failure.error { throw error }
                    }
                }
            }
            for f in 0..<range.count {
                scores[range.lowerBound + f] = blockScores[f].score
                statistics?[range.lowerBound + f] = blockScores[f].statistic ?? .nan
                if blockMissing[f] { missing += 1 }
            }
            for k in 0..<request.permutations {
                for t in 0..<threads { maxima[k] = max(maxima[k], perThreadMaxima[t * request.permutations + k]) }
            }
            progress?(range.upperBound, p)
        }
        // Family-wise p: the share of permutation maxima at least as large as the score (plus the observed one).
        let pValues = request.permutations > 0
            ? scores.map { s in Double(1 + maxima.filter { $0 >= s }.count) / Double(request.permutations + 1) } : nil
        return ScreeningResult(scores: scores, statistics: statistics, pValues: pValues, permutationMaxima: maxima,
                               sampleCount: n, featuresWithMissing: missing)
    }

    /// Scores one feature against the outcome and every permuted outcome. Non-finite values are missing: such a
    /// feature is scored on its complete samples with freshly prepared scorers (fastHDMI's pairwise deletion); with
    /// covariates it is residualised over those samples (the outcome keeps its residual over all used samples).
    static func scoreAll(_ x: UnsafeBufferPointer<Double>, feature: Int, workers: [FeatureScoringWorker], outcomes: [Outcome],
                         options: ScreeningOptions, covariates: Matrix?, rows: [Int], origin: String) throws -> (scores: [FeatureScore], missing: Bool) {
        if x.allSatisfy({ $0.isFinite }) {
            return (workers.map { $0.score(x, feature: feature) }, false)
        }
        let keep = x.indices.filter { x[$0].isFinite }
        guard keep.count >= 3 + (covariates?.cols ?? -1) + 1 else { return (outcomes.map { _ in FeatureScore(score: .nan, statistic: .nan) }, true) }
        var complete = keep.map { x[$0] }
        if let covariates {
            complete = try Residualiser(covariates: covariates, rows: keep.map { rows[$0] }, origin: origin).residual(complete)
        }
        return try complete.withUnsafeBufferPointer { c in
            (try outcomes.map { outcome in
                let subset = outcome.subset(keep)
                if subset.isDiscrete, Set(subset.values).count < 2 { return FeatureScore(score: 0, statistic: 0) }
                return try options.scorer(for: subset).makeWorker().score(c, feature: feature)
            }, true)
        }
    }
}

/// A shared work counter for dynamic scheduling of feature chunks across threads.
final class Counter: @unchecked Sendable {
    private let lock = Lock()
    private var value = 0
    func take(_ count: Int) -> Int { lock.withLock { defer { value += count }; return value } }
}

/// Residuals from ordinary least squares on [1, covariates]: x − Q·Qᵀx with Q the thin QR factor (LAPACK dgeqrf +
/// dorgqr) of the design over the used samples.
struct Residualiser: Sendable {
    let q: [Double]  // [n × m] column-major
    let n: Int
    let m: Int

    init(covariates: Matrix, rows: [Int], origin: String) throws {
        n = rows.count
        m = covariates.cols + 1
        guard n > m else {
            throw InputError(file: origin, field: "covariates", message: "\(covariates.cols) covariates need more than \(m) samples, got \(n)")
        }
        var a = [Double](repeating: 1, count: n * m)
        for (i, r) in rows.enumerated() {
            for c in 0..<covariates.cols {
                let v = covariates[r, c]
                guard v.isFinite else {
                    throw InputError(file: origin, field: "covariates", message: "covariate \(c + 1) of sample \(r + 1) is missing; covariates must be complete")
                }
                a[(c + 1) * n + i] = v
            }
        }
        var tau = [Double](repeating: 0, count: m)
        guard LAPACKE_dgeqrf(LAPACK_COL_MAJOR, Int32(n), Int32(m), &a, Int32(n), &tau) == 0 else {
            throw RuntimeFailure(context: "covariates", message: "QR factorisation failed")
        }
        let (rowCount, columnCount) = (n, m)
        let diagonal = (0..<columnCount).map { abs(a[$0 * rowCount + $0]) }
        let largest = diagonal.max() ?? 0
        if let weak = diagonal.firstIndex(where: { $0 <= 1e-10 * largest }) {
            throw InputError(file: origin, field: "covariates", message: weak == 0 ? "the intercept is collinear with the covariates" :
                "covariate \(weak) is constant or a combination of the others over the used samples")
        }
        guard LAPACKE_dorgqr(LAPACK_COL_MAJOR, Int32(n), Int32(m), Int32(m), &a, Int32(n), tau) == 0 else {
            throw RuntimeFailure(context: "covariates", message: "forming Q failed")
        }
        q = a
    }

    func residualInPlace(_ x: UnsafeMutableBufferPointer<Double>) {
        for c in 0..<m {
            var dot = 0.0
            for i in 0..<n { dot += q[c * n + i] * x[i] }
            for i in 0..<n { x[i] -= dot * q[c * n + i] }
        }
    }

    func residual(_ x: [Double]) -> [Double] {
        var out = x
        out.withUnsafeMutableBufferPointer { residualInPlace($0) }
        return out
    }
}
