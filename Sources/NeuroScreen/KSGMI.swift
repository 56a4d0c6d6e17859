import Foundation
import NeuroLearn

/// scikit-learn's preprocessing of a continuous variable for KSG: divided by its standard deviation (ddof 0; 1 when
/// constant), plus 1e-10·max(1, mean|v|) Gaussian noise that breaks ties. The noise comes from `rng` by Marsaglia's
/// polar method (scikit-learn draws it from NumPy's generator, so individual scores agree to the noise level, not bit
/// for bit); Box–Muller's sine and cosine were a fifth of KSG's time.
func ksgScaled(_ x: UnsafeBufferPointer<Double>, rng: inout SplitMix) -> [Double] {
    var sd = ScreeningStatistics.standardDeviation(x, ddof: 0)
    if !(sd > 0) { sd = 1 }
    var scaled = x.map { $0 / sd }
    let meanAbs = scaled.reduce(0) { $0 + abs($1) } / Double(scaled.count)
    let amplitude = 1e-10 * max(1, meanAbs)
    var i = 0
    while i < scaled.count {
        let (a, b) = rng.polarGaussianPair()
        scaled[i] += amplitude * a
        if i + 1 < scaled.count { scaled[i + 1] += amplitude * b }
        i += 2
    }
    return scaled
}

extension SplitMix {
    /// Two independent standard normal deviates (Marsaglia's polar method: a uniform point in the unit disc, no
    /// trigonometry).
    mutating func polarGaussianPair() -> (Double, Double) {
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let f = (-2 * log(s) / s).squareRoot()
                return (u * f, v * f)
            }
        }
    }
}

/// A per-feature noise stream that does not depend on which thread or block scores the feature.
func featureRNG(seed: UInt64, feature: Int) -> SplitMix {
    SplitMix(seed: seed, stream: UInt64(truncatingIfNeeded: feature))
}

/// KSG estimator 1 (Kraskov et al. 2004) for a continuous outcome, as scikit-learn's `_compute_mi_cc`: Chebyshev
/// distance to the k-th neighbour in the joint space, marginal counts strictly inside it, ψ(n) + ψ(k) −
/// ⟨ψ(n_x + 1)⟩ − ⟨ψ(n_y + 1)⟩, clamped at 0. The k-NN search sweeps the feature-sorted order (no tree).
struct KSGContinuousScorer: FeatureScorer {
    let k: Int
    let seed: UInt64
    let outcome: [Double]
    let outcomeValues: BucketedSortedValues
    let digamma: [Double]

    init(outcome: Outcome, k: Int, seed: UInt64) {
        self.k = k
        self.seed = seed
        var rng = SplitMix(seed: seed)
        let scaled = outcome.values.withUnsafeBufferPointer { ksgScaled($0, rng: &rng) }
        self.outcome = scaled
        outcomeValues = scaled.withUnsafeBufferPointer { BucketedSortedValues($0) }
        digamma = ScreeningStatistics.digammaTable(upTo: outcome.count + 1)
    }

    func makeWorker() throws -> FeatureScoringWorker { Worker(scorer: self) }

    final class Worker: FeatureScoringWorker {
        let scorer: KSGContinuousScorer
        var grid = ChebyshevGrid()
        var featureValues = BucketedSortedValues()

        init(scorer: KSGContinuousScorer) { self.scorer = scorer }

        func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore {
            let s = scorer, n = x.count, k = s.k
            var rng = featureRNG(seed: s.seed, feature: feature)
            let scaled = ksgScaled(x, rng: &rng)
            var sumX = 0.0, sumY = 0.0
            scaled.withUnsafeBufferPointer { xb in
                featureValues.build(xb)
                s.outcome.withUnsafeBufferPointer { yb in
                    featureValues.withSorted { xs in
                        s.outcomeValues.withSorted { ys in grid.build(xs: xb, ys: yb, xSorted: xs, ySorted: ys) }
                    }
                    s.digamma.withUnsafeBufferPointer { psi in
                        featureValues.withView { xCounts in
                            s.outcomeValues.withView { yCounts in
                                grid.withSearch { search in
                                    withUnsafeTemporaryAllocation(of: Double.self, capacity: k + 1) { best in
                                        for p in 0..<n {
                                            let radius = search.kthDistance(of: p, k: k, best: best.baseAddress!)
                                            let r = radius > 0 ? radius.nextDown : 0
                                            // Marginal counts within r, self included (= n_x + 1, n_y + 1).
                                            sumX += psi[xCounts.count(centre: xb[p], radius: r)]
                                            sumY += psi[yCounts.count(centre: yb[p], radius: r)]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let mi = s.digamma[n] + s.digamma[k] - sumX / Double(n) - sumY / Double(n)
            return FeatureScore(score: max(0, mi))
        }
    }
}

/// Square cells over the (x, y) points for k-nearest-neighbour distances in the max-norm: a query scans the 3 × 3
/// cells around its own, then further rings, until the k-th distance found is within the rings covered. Cells are
/// stored row by row, so each row of a square is one contiguous run of (x, y) pairs. The cell side is set from the
/// interquartile box so a central cell holds about two points; cells are capped at 16 per point.
struct ChebyshevGrid {
    private var cellStart = [Int32]()
    private var slotXY = [Double]()
    private var cellOf = [Int32]()
    private var originX = 0.0, originY = 0.0, side = 1.0
    private var columns = 1, rows = 1
    private var xs: UnsafeBufferPointer<Double> = UnsafeBufferPointer(start: nil, count: 0)
    private var ys: UnsafeBufferPointer<Double> = UnsafeBufferPointer(start: nil, count: 0)

    /// Points (xs[i], ys[i]); `xSorted`, `ySorted` the same values ascending (for the ranges and interquartile box).
    mutating func build(xs: UnsafeBufferPointer<Double>, ys: UnsafeBufferPointer<Double>, xSorted: UnsafeBufferPointer<Double>, ySorted: UnsafeBufferPointer<Double>) {
        let n = xs.count
        self.xs = xs
        self.ys = ys
        originX = xSorted[0]
        let minY = ySorted[0], maxY = ySorted[n - 1]
        originY = minY
        let spanX = max(xSorted[n - 1] - originX, 0), spanY = max(maxY - minY, 0)
        let iqrX = ScreeningStatistics.percentile(sorted: xSorted, 75) - ScreeningStatistics.percentile(sorted: xSorted, 25)
        let iqrY = ScreeningStatistics.percentile(sorted: ySorted, 75) - ScreeningStatistics.percentile(sorted: ySorted, 25)
        // About a quarter of the points fall in the interquartile box; aim for 2 points per cell there.
        var w = (max(iqrX * iqrY, 1e-300) / (0.25 * Double(n)) * 2).squareRoot()
        if !(w > 0) || !w.isFinite { w = max(spanX, spanY, 1) }
        let maxCells = Double(16 * n + 16)
        while (spanX / w + 1) * (spanY / w + 1) > maxCells { w *= 1.5 }
        side = w
        columns = Int(spanX / w) + 1
        rows = Int(spanY / w) + 1
        let cells = columns * rows
        cellStart.removeAll(keepingCapacity: true)
        cellStart.append(contentsOf: repeatElement(0, count: cells + 1))
        cellOf.removeAll(keepingCapacity: true)
        slotXY.removeAll(keepingCapacity: true)
        slotXY.append(contentsOf: repeatElement(0, count: 2 * n))
        for i in 0..<n {
            let c = cell(xs[i], ys[i])
            cellOf.append(Int32(c))
            cellStart[c + 1] += 1
        }
        for c in 0..<cells { cellStart[c + 1] += cellStart[c] }
        var fill = Array(cellStart.prefix(cells))
        for i in 0..<n {
            let c = Int(cellOf[i])
            let at = Int(fill[c])
            fill[c] += 1
            slotXY[2 * at] = xs[i]
            slotXY[2 * at + 1] = ys[i]
        }
    }

    private func cell(_ x: Double, _ y: Double) -> Int {
        let cx = min(columns - 1, max(0, Int((x - originX) / side)))
        let cy = min(rows - 1, max(0, Int((y - originY) / side)))
        return cy * columns + cx
    }

    /// Runs `body` with a searcher over raw pointers to the grid (no per-query access checks on the arrays).
    func withSearch<R>(_ body: (Search) -> R) -> R {
        cellStart.withUnsafeBufferPointer { starts in
            slotXY.withUnsafeBufferPointer { xy in
                cellOf.withUnsafeBufferPointer { owner in
                    body(Search(xs: xs.baseAddress!, ys: ys.baseAddress!, owner: owner.baseAddress!, starts: starts.baseAddress!, xy: xy.baseAddress!,
                                originX: originX, originY: originY, side: side, columns: columns, rows: rows))
                }
            }
        }
    }

    struct Search {
        let xs: UnsafePointer<Double>, ys: UnsafePointer<Double>
        let owner: UnsafePointer<Int32>, starts: UnsafePointer<Int32>, xy: UnsafePointer<Double>
        let originX: Double, originY: Double, side: Double
        let columns: Int, rows: Int

        /// Max-norm distance from point `p` to its k-th nearest other point (∞ when there are not k others).
        /// The point itself is among the slots at distance 0, so the k + 1 smallest distances are kept and the last
        /// is the k-th neighbour's. For k ≤ 3 they live in four registers; otherwise `best` (scratch for k + 1
        /// values) holds them.
        @inline(__always)
        func kthDistance(of p: Int, k: Int, best: UnsafeMutablePointer<Double>) -> Double {
            if k <= 3 {
                // Insertion into four ascending registers without branches: b_i becomes min(b_i, max(b_{i−1}, d)).
                var b0 = Double.infinity, b1 = Double.infinity, b2 = Double.infinity, b3 = Double.infinity
                return scanSquares(of: p, kth: { k == 3 ? b3 : (k == 2 ? b2 : (k == 1 ? b1 : b0)) }) { d in
                    b3 = min(b3, max(b2, d))
                    b2 = min(b2, max(b1, d))
                    b1 = min(b1, max(b0, d))
                    b0 = min(b0, d)
                }
            }
            best.update(repeating: .infinity, count: k + 1)
            return scanSquares(of: p, kth: { best[k] }) { d in
                // The same insertion over memory: the branch of an insertion sort mispredicts on most points.
                var carry = d
                for i in 0...k {
                    let b = best[i]
                    best[i] = min(b, carry)
                    carry = max(b, carry)
                }
            }
        }

        /// Feeds `insert` the max-norm distance from point `p` to every point of the 3 × 3 cells around its own, then
        /// of further rings, until `kth()` is within the square scanned so far, measured from the point to the
        /// square's edges (a side at the grid's border covers everything beyond it). Returns the final `kth()`.
        @inline(__always)
        private func scanSquares(of p: Int, kth: () -> Double, insert: (Double) -> Void) -> Double {
            let x0 = xs[p], y0 = ys[p]
            let cell = Int(owner[p])
            let cx = cell % columns, cy = cell / columns
            let xy = xy, starts = starts, columns = columns
            // Cells gx0…gx1 of row gy: one contiguous run of slots.
            func scan(_ gy: Int, _ gx0: Int, _ gx1: Int) {
                let rowBase = gy * columns
                var slot = Int(starts[rowBase + gx0])
                let stop = Int(starts[rowBase + gx1 + 1])
                while slot < stop {
                    insert(max(abs(xy[2 * slot] - x0), abs(xy[2 * slot + 1] - y0)))
                    slot += 1
                }
            }
            // Distance from the point to the edges of the square of rings 0…ring, less a margin for points placed in a
            // neighbouring cell by rounding.
            func covered(_ ring: Int) -> Double {
                let margin = 1e-9 * side
                let left = cx - ring <= 0 ? Double.infinity : x0 - (originX + Double(cx - ring) * side)
                let right = cx + ring >= columns - 1 ? Double.infinity : originX + Double(cx + ring + 1) * side - x0
                let below = cy - ring <= 0 ? Double.infinity : y0 - (originY + Double(cy - ring) * side)
                let above = cy + ring >= rows - 1 ? Double.infinity : originY + Double(cy + ring + 1) * side - y0
                return min(left, right, below, above) - margin
            }
            var ring = 1
            for gy in max(0, cy - 1)...min(rows - 1, cy + 1) { scan(gy, max(0, cx - 1), min(columns - 1, cx + 1)) }
            while !(kth() <= covered(ring)) {
                ring += 1
                if cx - ring < 0 && cx + ring >= columns && cy - ring < 0 && cy + ring >= rows { break }
                let gx0 = max(0, cx - ring), gx1 = min(columns - 1, cx + ring)
                if cy - ring >= 0 { scan(cy - ring, gx0, gx1) }
                if cy + ring < rows { scan(cy + ring, gx0, gx1) }
                let inner0 = max(0, cy - ring + 1), inner1 = min(rows - 1, cy + ring - 1)
                if inner0 <= inner1 {
                    for gy in inner0...inner1 {
                        if cx - ring >= 0 { scan(gy, cx - ring, cx - ring) }
                        if cx + ring < columns { scan(gy, cx + ring, cx + ring) }
                    }
                }
            }
            return kth()
        }
    }
}

/// Ross's (2014) k-NN estimator for a discrete outcome, as scikit-learn's `_compute_mi_cd`: within each class
/// (size > 1) the distance to the min(k, size − 1)-th neighbour, m_i = points of all kept classes within it,
/// ψ(N) + ⟨ψ(k_i)⟩ − ⟨ψ(N_c(i))⟩ − ⟨ψ(m_i)⟩, clamped at 0; classes with one sample are dropped.
struct KSGDiscreteScorer: FeatureScorer {
    let k: Int
    let seed: UInt64
    let classOf: [Int]
    let classSizes: [Int]
    let digamma: [Double]

    init(outcome: Outcome, k: Int, seed: UInt64) {
        self.k = k
        self.seed = seed
        classOf = outcome.classIndices
        var sizes = [Int](repeating: 0, count: outcome.classCount)
        for c in classOf { sizes[c] += 1 }
        classSizes = sizes
        digamma = ScreeningStatistics.digammaTable(upTo: outcome.count + 1)
    }

    func makeWorker() throws -> FeatureScoringWorker { Worker(scorer: self) }

    final class Worker: FeatureScoringWorker {
        let scorer: KSGDiscreteScorer
        init(scorer: KSGDiscreteScorer) { self.scorer = scorer }

        func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore {
            let s = scorer
            var rng = featureRNG(seed: s.seed, feature: feature)
            let scaled = ksgScaled(x, rng: &rng)
            var members = [[Double]](repeating: [], count: s.classSizes.count)
            for i in scaled.indices where s.classSizes[s.classOf[i]] > 1 { members[s.classOf[i]].append(scaled[i]) }
            let kept = members.flatMap { $0 }
            guard kept.count > 1 else { return FeatureScore(score: 0) }
            let all = kept.withUnsafeBufferPointer { BucketedSortedValues($0) }
            var sumK = 0.0, sumLabel = 0.0, sumM = 0.0
            // One raw-pointer view for all the counts (no array access checks per point).
            all.withView { counts in
                for c in members.indices where members[c].count > 1 {
                    let values = members[c].sorted()
                    let kc = min(s.k, values.count - 1)
                    for p in values.indices {
                        // k-th neighbour in 1-D: step k times to the nearer side.
                        var left = p - 1, right = p + 1, radius = 0.0
                        for _ in 0..<kc {
                            let gapLeft = left >= 0 ? values[p] - values[left] : .infinity
                            let gapRight = right < values.count ? values[right] - values[p] : .infinity
                            if gapLeft <= gapRight { radius = gapLeft; left -= 1 } else { radius = gapRight; right += 1 }
                        }
                        let r = radius > 0 ? radius.nextDown : 0
                        sumM += s.digamma[counts.count(centre: values[p], radius: r)]
                        sumK += s.digamma[kc]
                        sumLabel += s.digamma[values.count]
                    }
                }
            }
            let n = Double(kept.count)
            let mi = s.digamma[kept.count] + sumK / n - sumLabel / n - sumM / n
            return FeatureScore(score: max(0, mi))
        }
    }
}
