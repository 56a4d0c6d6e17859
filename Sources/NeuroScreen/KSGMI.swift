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
    for i in scaled.indices { scaled[i] += amplitude * rng.gaussian() }
    return scaled
}

/// A per-feature noise stream that does not depend on which thread or block scores the feature.
func featureRNG(seed: UInt64, feature: Int) -> SplitMix {
    var mix = SplitMix(seed: seed ^ (UInt64(truncatingIfNeeded: feature) &* 0xD1B5_4A32_D192_ED03 &+ 0x8CB9_2BA7_2F3D_8DD7))
    return SplitMix(seed: mix.next())
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
    let digamma: [Double]

    init(outcome: Outcome, k: Int, seed: UInt64) {
        self.k = k
        self.seed = seed
        var rng = SplitMix(seed: seed)
        self.outcome = outcome.values.withUnsafeBufferPointer { ksgScaled($0, rng: &rng) }
        outcomeSorted = self.outcome.sorted()
        digamma = ScreeningStatistics.digammaTable(upTo: outcome.count + 1)
    }

    func makeWorker() throws -> FeatureScoringWorker { Worker(scorer: self) }

    final class Worker: FeatureScoringWorker {
        let scorer: KSGContinuousScorer
        var order = [Int]()
        var best = [Double]()

        init(scorer: KSGContinuousScorer) {
            self.scorer = scorer
            best = [Double](repeating: 0, count: scorer.k)
        }

        func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore {
            let s = scorer, n = x.count, k = s.k
            var rng = featureRNG(seed: s.seed, feature: feature)
            let scaled = ksgScaled(x, rng: &rng)
            order = Array(0..<n)
            order.sort { scaled[$0] < scaled[$1] }
            let xs = order.map { scaled[$0] }
            let ys = order.map { s.outcome[$0] }
            var sumX = 0.0, sumY = 0.0
            xs.withUnsafeBufferPointer { xb in
                ys.withUnsafeBufferPointer { yb in
                    s.outcomeSorted.withUnsafeBufferPointer { ySorted in
                        for p in 0..<n {
                            let radius = kthChebyshevDistance(xb, yb, at: p, k: k)
                            let r = radius > 0 ? radius.nextDown : 0
                            let nx = countWithin(xb, centre: xb[p], radius: r) - 1
                            let ny = countWithin(ySorted, centre: yb[p], radius: r) - 1
                            sumX += s.digamma[nx + 1]
                            sumY += s.digamma[ny + 1]
                        }
                    }
                }
            }
            let mi = s.digamma[n] + s.digamma[k] - sumX / Double(n) - sumY / Double(n)
            return FeatureScore(score: max(0, mi))
        }

        /// Distance from point p to its k-th nearest other point (max-norm), walking outward in x order and stopping
        /// once the x gap alone reaches the current k-th distance.
        func kthChebyshevDistance(_ xs: UnsafeBufferPointer<Double>, _ ys: UnsafeBufferPointer<Double>, at p: Int, k: Int) -> Double {
            var found = 0
            var left = p - 1, right = p + 1
            let x0 = xs[p], y0 = ys[p]
            while left >= 0 || right < xs.count {
                let gapLeft = left >= 0 ? x0 - xs[left] : .infinity
                let gapRight = right < xs.count ? xs[right] - x0 : .infinity
                let useLeft = gapLeft <= gapRight
                let gap = useLeft ? gapLeft : gapRight
                if found == k, gap >= best[k - 1] { break }
                let j = useLeft ? left : right
                if useLeft { left -= 1 } else { right += 1 }
                let d = max(gap, abs(ys[j] - y0))
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
            return best[k - 1]
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
