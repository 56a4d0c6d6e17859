import Foundation
import NeuroLearn

/// scikit-learn's preprocessing of a continuous variable for KSG: divided by its standard deviation (ddof 0; 1 when
/// constant), plus 1e-10·max(1, mean|v|) Gaussian noise that breaks ties. The noise comes from `rng` (scikit-learn
/// draws it from NumPy's generator, so individual scores agree to the noise level, not bit for bit).
func ksgScaled(_ x: UnsafeBufferPointer<Double>, rng: inout SplitMix) -> [Double] {
    var sd = ScreeningStatistics.standardDeviation(x, ddof: 0)
    if !(sd > 0) { sd = 1 }
    var scaled = x.map { $0 / sd }
    let meanAbs = scaled.reduce(0) { $0 + abs($1) } / Double(scaled.count)
    let amplitude = 1e-10 * max(1, meanAbs)
    var i = 0
    while i < scaled.count {
        let (a, b) = rng.gaussianPair()
        scaled[i] += amplitude * a
        if i + 1 < scaled.count { scaled[i + 1] += amplitude * b }
        i += 2
    }
    return scaled
}

/// A per-feature noise stream that does not depend on which thread or block scores the feature.
func featureRNG(seed: UInt64, feature: Int) -> SplitMix {
    SplitMix(seed: seed, stream: UInt64(truncatingIfNeeded: feature))
}

/// Number of entries of ascending `sorted` within `radius` of `centre` (|v − centre| ≤ radius, computed as that
/// difference so rounding matches a KD-tree's distance test).
func countWithin(_ sorted: UnsafeBufferPointer<Double>, centre: Double, radius: Double) -> Int {
    // First index with centre − v ≤ radius (the predicate is monotone along the sorted values).
    var lo = 0, hi = sorted.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if centre - sorted[mid] <= radius { hi = mid } else { lo = mid + 1 }
    }
    let first = lo
    // First index with v − centre > radius.
    lo = first
    hi = sorted.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if sorted[mid] - centre > radius { hi = mid } else { lo = mid + 1 }
    }
    return lo - first
}

/// KSG estimator 1 (Kraskov et al. 2004) for a continuous outcome, as scikit-learn's `_compute_mi_cc`: Chebyshev
/// distance to the k-th neighbour in the joint space, marginal counts strictly inside it, ψ(n) + ψ(k) −
/// ⟨ψ(n_x + 1)⟩ − ⟨ψ(n_y + 1)⟩, clamped at 0. The k-NN search sweeps the feature-sorted order (no tree).
struct KSGContinuousScorer: FeatureScorer {
    let k: Int
    let seed: UInt64
    let outcome: [Double]
    let outcomeSorted: [Double]
    /// Position of each sample's outcome in `outcomeSorted` (ties: any of the equal positions).
    let outcomeRank: [Int32]
    let digamma: [Double]

    init(outcome: Outcome, k: Int, seed: UInt64) {
        self.k = k
        self.seed = seed
        var rng = SplitMix(seed: seed)
        let scaled = outcome.values.withUnsafeBufferPointer { ksgScaled($0, rng: &rng) }
        self.outcome = scaled
        let order = scaled.indices.sorted { scaled[$0] < scaled[$1] }
        outcomeSorted = order.map { scaled[$0] }
        var rank = [Int32](repeating: 0, count: scaled.count)
        for (position, i) in order.enumerated() { rank[i] = Int32(position) }
        outcomeRank = rank
        digamma = ScreeningStatistics.digammaTable(upTo: outcome.count + 1)
    }

    func makeWorker() throws -> FeatureScoringWorker { Worker(scorer: self) }

    final class Worker: FeatureScoringWorker {
        let scorer: KSGContinuousScorer
        let grid = ChebyshevGrid()

        init(scorer: KSGContinuousScorer) { self.scorer = scorer }

        func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore {
            let s = scorer, n = x.count, k = s.k
            var rng = featureRNG(seed: s.seed, feature: feature)
            let scaled = ksgScaled(x, rng: &rng)
            let xSorted = scaled.sorted()
            var sumX = 0.0, sumY = 0.0
            scaled.withUnsafeBufferPointer { xb in
                s.outcome.withUnsafeBufferPointer { yb in
                    s.outcomeRank.withUnsafeBufferPointer { rb in
                        xSorted.withUnsafeBufferPointer { xs in
                            s.outcomeSorted.withUnsafeBufferPointer { ys in
                                s.digamma.withUnsafeBufferPointer { psi in
                                    grid.build(xs: xb, ys: yb, xSorted: xs, ySorted: ys)
                                    withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { best in
                                        for p in 0..<n {
                                            let radius = grid.kthDistance(of: p, k: k, best: best.baseAddress!)
                                            let r = radius > 0 ? radius.nextDown : 0
                                            // Marginal counts within r, self included (= n_x + 1, n_y + 1).
                                            sumX += psi[countWithin(xs, centre: xb[p], radius: r)]
                                            sumY += psi[countAround(ys, at: Int(rb[p]), radius: r)]
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

/// Entries of ascending `sorted` within `radius` of `sorted[at]` (|v − centre| ≤ radius, that difference computed as a
/// KD-tree computes distances), counted by walking outward from `at`: the neighbourhoods are small, so this beats a
/// binary search.
func countAround(_ sorted: UnsafeBufferPointer<Double>, at: Int, radius: Double) -> Int {
    let centre = sorted[at]
    var lo = at, hi = at
    while lo > 0, centre - sorted[lo - 1] <= radius { lo -= 1 }
    while hi + 1 < sorted.count, sorted[hi + 1] - centre <= radius { hi += 1 }
    return hi - lo + 1
}

/// Square cells over the (x, y) points for k-nearest-neighbour distances in the max-norm: a query scans rings of
/// cells around its own until the k-th distance found is within the rings already covered. The cell side is set
/// from the interquartile box so a central cell holds about two points; cells are capped at 16 per point.
final class ChebyshevGrid {
    private var cellStart = [Int32]()
    private var slotX = [Double](), slotY = [Double](), slotIndex = [Int32]()
    private var cellOf = [Int32]()
    private var originX = 0.0, originY = 0.0, side = 1.0
    private var columns = 1, rows = 1
    private var xs: UnsafeBufferPointer<Double> = UnsafeBufferPointer(start: nil, count: 0)
    private var ys: UnsafeBufferPointer<Double> = UnsafeBufferPointer(start: nil, count: 0)

    /// Points (xs[i], ys[i]); `xSorted`, `ySorted` the same values ascending (for the ranges and interquartile box).
    func build(xs: UnsafeBufferPointer<Double>, ys: UnsafeBufferPointer<Double>, xSorted: UnsafeBufferPointer<Double>, ySorted: UnsafeBufferPointer<Double>) {
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
        var starts = [Int32](repeating: 0, count: cells + 1)
        var owner = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            let c = cell(xs[i], ys[i])
            owner[i] = Int32(c)
            starts[c + 1] += 1
        }
        for c in 0..<cells { starts[c + 1] += starts[c] }
        var sx = [Double](repeating: 0, count: n), sy = [Double](repeating: 0, count: n), index = [Int32](repeating: 0, count: n)
        var fill = Array(starts.prefix(cells))
        for i in 0..<n {
            let c = Int(owner[i])
            let at = Int(fill[c])
            fill[c] += 1
            sx[at] = xs[i]
            sy[at] = ys[i]
            index[at] = Int32(i)
        }
        (cellStart, cellOf, slotX, slotY, slotIndex) = (starts, owner, sx, sy, index)
    }

    private func cell(_ x: Double, _ y: Double) -> Int {
        let cx = min(columns - 1, max(0, Int((x - originX) / side)))
        let cy = min(rows - 1, max(0, Int((y - originY) / side)))
        return cy * columns + cx
    }

    /// Max-norm distance from point `p` to its k-th nearest other point. `best` is scratch for k values.
    func kthDistance(of p: Int, k: Int, best: UnsafeMutablePointer<Double>) -> Double {
        cellStart.withUnsafeBufferPointer { starts in
            slotX.withUnsafeBufferPointer { sx in
                slotY.withUnsafeBufferPointer { sy in
                    slotIndex.withUnsafeBufferPointer { si in
                        ChebyshevGrid.search(p: p, x0: xs[p], y0: ys[p], cell: Int(cellOf[p]), columns: columns, rows: rows, side: side, k: k,
                                             starts: starts.baseAddress!, sx: sx.baseAddress!, sy: sy.baseAddress!, si: si.baseAddress!, best: best)
                    }
                }
            }
        }
    }

    /// The ring scan, on raw pointers and locals only (no captured mutable state, so no exclusivity checks).
    private static func search(p: Int, x0: Double, y0: Double, cell: Int, columns: Int, rows: Int, side: Double, k: Int,
                               starts: UnsafePointer<Int32>, sx: UnsafePointer<Double>, sy: UnsafePointer<Double>, si: UnsafePointer<Int32>,
                               best: UnsafeMutablePointer<Double>) -> Double {
        let cx = cell % columns, cy = cell / columns
        let widest = max(columns, rows)
        var found = 0
        var ring = 0
        while true {
            // Cells of this ring: the square's perimeter (or the centre cell), clipped to the grid.
            let count = ring == 0 ? 1 : 8 * ring
            for t in 0..<count {
                var gx = cx, gy = cy
                if ring > 0 {
                    let side2 = 2 * ring
                    if t < side2 + 1 { gx = cx - ring + t; gy = cy - ring }
                    else if t < 2 * side2 + 2 { gx = cx - ring + (t - side2 - 1); gy = cy + ring }
                    else if t < 2 * side2 + 2 + (side2 - 1) { gx = cx - ring; gy = cy - ring + 1 + (t - 2 * side2 - 2) }
                    else { gx = cx + ring; gy = cy - ring + 1 + (t - 3 * side2 - 1) }
                }
                if gx < 0 || gx >= columns || gy < 0 || gy >= rows { continue }
                let g = gy * columns + gx
                var slot = Int(starts[g])
                let stop = Int(starts[g + 1])
                while slot < stop {
                    if Int(si[slot]) != p {
                        let d = max(abs(sx[slot] - x0), abs(sy[slot] - y0))
                        if found < k {
                            var i = found
                            while i > 0, best[i - 1] > d { best[i] = best[i - 1]; i -= 1 }
                            best[i] = d
                            found += 1
                        } else if d < best[k - 1] {
                            var i = k - 1
                            while i > 0, best[i - 1] > d { best[i] = best[i - 1]; i -= 1 }
                            best[i] = d
                        }
                    }
                    slot += 1
                }
            }
            // Rings 0…ring hold every point within ring·side of p (margin for rounding at cell edges).
            if found >= k, best[k - 1] <= (Double(ring) - 1e-9) * side { break }
            if ring > widest { break }
            ring += 1
        }
        return best[k - 1]
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
            let kept = members.flatMap { $0 }.sorted()
            guard kept.count > 1 else { return FeatureScore(score: 0) }
            var sumK = 0.0, sumLabel = 0.0, sumM = 0.0
            kept.withUnsafeBufferPointer { all in
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
                        sumM += s.digamma[countWithin(all, centre: values[p], radius: r)]
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
