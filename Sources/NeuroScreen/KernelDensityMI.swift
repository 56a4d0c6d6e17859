import Foundation
import NeuroDSP

/// An equidistant grid, `numpy.linspace(lower, upper, count)`.
struct LinearGrid {
    let lower: Double
    let upper: Double
    let count: Int

    /// Grid spacing as KDEpy computes it: (max − min) / (points − 1).
    var step: Double { (upper - lower) / Double(count - 1) }

    /// KDEpy's linear binning: each value t = (v − lower)/step adds 1 − frac(t) to point ⌊t⌋ and frac(t) to ⌊t⌋ + 1.
    /// `result` must hold `count + 1` zeroed entries; weights are not normalised.
    func bin(_ values: UnsafeBufferPointer<Double>, into result: UnsafeMutablePointer<Double>) {
        let dx = step
        for v in values {
            let t = (v - lower) / dx
            let whole = Int(t.rounded(.down))
            let frac = t - Double(whole)
            result[whole] += 1 - frac
            result[whole + 1] += frac
        }
    }

    /// The autogrid KDEpy builds around data spanning [lo, hi] for a kernel of practical support `support`:
    /// margin max(0.05·(hi − lo), support) on both sides.
    static func around(lo: Double, hi: Double, support: Double, count: Int) -> LinearGrid {
        let margin = max(0.05 * (hi - lo), support)
        return LinearGrid(lower: lo - margin, upper: hi + margin, count: count)
    }
}

/// KDEpy's Epanechnikov kernel scaled to unit variance (support √5 at bandwidth 1).
enum Epanechnikov {
    /// bw / √var with var = 1/5, as KDEpy computes the scale of a kernel of bandwidth `bw`.
    static func realBandwidth(_ bw: Double) -> Double { bw / (1.0 / 5).squareRoot() }
    /// Kernel.support · bw: the radius beyond which the kernel is 0.
    static func support(_ bw: Double) -> Double { (1 / (1.0 / 5).squareRoot()) * bw }
    static let unitDiscArea = pow(2.0, 2) * pow(tgamma(1.5), 2) / tgamma(2)
    static let unitIntervalLength = 2.0 * tgamma(1.5) / tgamma(1.5)

    /// The radially symmetric 2-D kernel (p = 2 norm) of bandwidth 1 at squared distance `squaredDistance`.
    static func radial2D(squaredDistance: Double) -> Double {
        let t2 = squaredDistance / (radialScale * radialScale)
        return t2 < 1 ? (1 - t2) * radialNormaliser : 0
    }
    private static let radialScale = realBandwidth(1)
    private static let radialNormaliser = 1 / 0.5 / (radialScale * radialScale * unitDiscArea)

    /// The 1-D kernel of bandwidth `bw` at offset `x`.
    static func oneD(_ x: Double, bw: Double) -> Double {
        let h = realBandwidth(bw)
        let t = abs(x) / h
        let t2 = t * t
        return t2 < 1 ? (1 - t2) / (2.0 / 3) / (h * unitIntervalLength) : 0
    }

    /// Offsets of the kernel grid KDEpy evaluates: `linspace(−dx·L, dx·L, 2L + 1)`.
    static func offsets(step dx: Double, half L: Int) -> [Double] {
        let start = -dx * Double(L), stop = dx * Double(L)
        guard L > 0 else { return [0] }
        let delta = (stop - start) / Double(2 * L)
        return (0...(2 * L)).map { $0 == 2 * L ? stop : Double($0) * delta + start }
    }

    /// Half-width L = min(⌊support / dx⌋, intervals + 1) of the kernel grid.
    static func halfWidth(support: Double, step dx: Double, intervals: Int) -> Int {
        min(Int((support / dx).rounded(.down)), intervals + 1)
    }
}

/// The smallest m ≥ n of the form 2^a·c, a ≥ 1, c ∈ {1, 3, 5, 25}: even (so a symmetric kernel's spectrum is a
/// half-length table) and among FFTW's fastest estimate-planned 2-D sizes here. Smoothness alone is not enough:
/// 360 (2³·3²·5) transforms 1.6× slower than 384 and 370 7× slower (scripts/bench/screen history in the README).
func fastFFTSize(atLeast n: Int) -> Int {
    var best = Int.max
    for c in [1, 3, 5, 25] {
        var m = 2 * c
        while m < n { m *= 2 }
        best = min(best, m)
    }
    return best
}

/// The robust-scaled values (v − median)/IQR of `x` (scikit-learn RobustScaler), ascending copy included, then divided
/// by the bandwidth `rule` gives on them, so the KDE runs at bandwidth 1 on every axis.
struct KDEAxis {
    var scaled: [Double]
    var sortedScaled: [Double]
    var bandwidth: Double

    /// `sorter` is scratch for the (bucket) sort of `x`.
    init(_ x: UnsafeBufferPointer<Double>, rule: BandwidthRule, sorter: inout BucketedSortedValues) {
        sorter.build(x)
        let (centre, scale) = sorter.withSorted { ScreeningStatistics.robustCentreAndScale(sorted: $0) }
        let robust = x.map { ($0 - centre) / scale }
        let robustSorted = sorter.withSorted { $0.map { ($0 - centre) / scale } }
        bandwidth = robust.withUnsafeBufferPointer { r in robustSorted.withUnsafeBufferPointer { rule.bandwidth(values: r, sorted: $0) } }
        let h = bandwidth
        scaled = robust.map { $0 / h }
        sortedScaled = robustSorted.map { $0 / h }
    }
}

/// FFT-KDE MI for a continuous outcome: both variables robust-scaled, each divided by its own bandwidth (Silverman,
/// Scott, ISJ or fixed), then KDEpy's `FFTKDE(kernel="epa", norm=2, bw=1)` on the autogrid of `grid × grid`
/// points, plus machine epsilon, and fastHDMI's grid integral of the MI (`jointToMutualInformation`).
/// With `.fixed(1)` this is exactly fastHDMI 1.25's `MI_continuous_continuous` (which computes a bandwidth but never
/// passes it to KDEpy, so bandwidth 1 on robust-scaled data is what it uses).
struct JointKDEScorer: FeatureScorer {
    let grid: Int
    let rule: BandwidthRule
    let outcomeGrid: LinearGrid
    let outcomeBin: [Int]
    let outcomeFrac: [Double]
    let outcomeHalfWidth: Int
    let outcomeBandwidth: Double
    let rows: Int

    init(outcome: Outcome, bandwidth: BandwidthRule, grid: Int) throws {
        self.grid = grid
        rule = bandwidth
        var sorter = BucketedSortedValues()
        let axis = outcome.values.withUnsafeBufferPointer { KDEAxis($0, rule: bandwidth, sorter: &sorter) }
        outcomeBandwidth = axis.bandwidth
        outcomeGrid = LinearGrid.around(lo: axis.sortedScaled.first!, hi: axis.sortedScaled.last!, support: Epanechnikov.support(1), count: grid)
        let dx = outcomeGrid.step
        var bins = [Int](), fracs = [Double]()
        for u in axis.scaled {
            let t = (u - outcomeGrid.lower) / dx
            let whole = Int(t.rounded(.down))
            bins.append(whole)
            fracs.append(t - Double(whole))
        }
        outcomeBin = bins
        outcomeFrac = fracs
        outcomeHalfWidth = Epanechnikov.halfWidth(support: Epanechnikov.support(1), step: dx, intervals: grid - 1)
        rows = fastFFTSize(atLeast: grid + outcomeHalfWidth)
    }

    func makeWorker() throws -> FeatureScoringWorker { Worker(scorer: self) }

    final class Worker: FeatureScoringWorker {
        let scorer: JointKDEScorer
        var sorter = BucketedSortedValues()
        var data = [Double]()
        var kernel = [Double]()
        var dataSpectrum = [Double]()
        var kernelSpectrum = [Double]()
        var rowSums: [Double]
        var colSums: [Double]
        /// Kernel-spectrum transforms by padded feature-axis length (the outcome axis is fixed for the scorer).
        var kernelSpectra = [Int: EvenKernelSpectrum]()

        func kernelSpectrumPlan(n0: Int, n1: Int, quadrantRows: Int) -> EvenKernelSpectrum? {
            if let plan = kernelSpectra[n1] { return plan }
            let plan = try? EvenKernelSpectrum(n0: n0, n1: n1, quadrantRows: quadrantRows)
            kernelSpectra[n1] = plan
            return plan
        }

        init(scorer: JointKDEScorer) {
            self.scorer = scorer
            rowSums = [Double](repeating: 0, count: scorer.grid)
            colSums = [Double](repeating: 0, count: scorer.grid)
        }

        func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore {
            let s = scorer
            let g = s.grid
            // A constant feature carries no information; the radial kernel would still give it a small positive MI.
            guard let first = x.first, x.contains(where: { $0 != first }) else { return FeatureScore(score: 0) }
            let axis = KDEAxis(x, rule: s.rule, sorter: &sorter)
            let gridB = LinearGrid.around(lo: axis.sortedScaled.first!, hi: axis.sortedScaled.last!, support: Epanechnikov.support(1), count: g)
            let dxA = s.outcomeGrid.step, dxB = gridB.step
            let halfB = Epanechnikov.halfWidth(support: Epanechnikov.support(1), step: dxB, intervals: g - 1)
            let n0 = s.rows, n1 = fastFFTSize(atLeast: g + halfB)
            let spectrumCount = n0 * (n1 / 2 + 1) * 2
            if data.count < n0 * n1 {
                data = [Double](repeating: 0, count: n0 * n1)
                kernel = [Double](repeating: 0, count: n0 * n1)
            }
            if dataSpectrum.count < spectrumCount {
                dataSpectrum = [Double](repeating: 0, count: spectrumCount)
                kernelSpectrum = [Double](repeating: 0, count: spectrumCount)
            }
            // A 2-D FFT that skips the zero-padded rows: row transforms of the grid's g rows, then columns.
            let half1 = n1 / 2 + 1
            guard let rowsForward = try? RealFFTPlan.shared(n: n1, howMany: g), let rowsInverse = try? InverseRealFFTBatchPlan.shared(n: n1, howMany: g),
                  let columnsForward = try? ColumnFFTPlan.shared(n: n0, columns: half1, direction: .forward),
                  let columnsInverse = try? ColumnFFTPlan.shared(n: n0, columns: half1, direction: .backward) else {
                return FeatureScore(score: .nan)
            }
            // Linear binning of the (outcome, feature) pairs onto the grid (KDEpy's iterate_data_2D).
            data.withUnsafeMutableBufferPointer { d in
                // Only the g rows the row transforms read (the inverse transform left the last feature's output there).
                d.baseAddress!.update(repeating: 0, count: g * n1)
                for i in 0..<x.count {
                    let a = s.outcomeBin[i], fa = s.outcomeFrac[i]
                    let t = (axis.scaled[i] - gridB.lower) / dxB
                    let b = Int(t.rounded(.down)), fb = t - Double(b)
                    let xy = fa * fb
                    d[a * n1 + b] += xy - fa - fb + 1
                    d[(a + 1) * n1 + b] += fa - xy
                    d[a * n1 + b + 1] += fb - xy
                    d[(a + 1) * n1 + b + 1] += xy
                }
            }
            // The kernel on its own grid: even on both axes, so its spectrum (that of the kernel wrapped around the
            // origin, which makes the circular convolution KDEpy's "same" mode) follows from its first quadrant.
            let halfA = s.outcomeHalfWidth
            let offA = Epanechnikov.offsets(step: dxA, half: halfA), offB = Epanechnikov.offsets(step: dxB, half: halfB)
            let m1 = n1 / 2 + 1
            guard let even = kernelSpectrumPlan(n0: n0, n1: n1, quadrantRows: halfA + 1) else { return FeatureScore(score: .nan) }
            let quadrantColumns = halfB + 1
            kernel.withUnsafeMutableBufferPointer { k in
                for i in 0...halfA {
                    let ua = offA[halfA + i]
                    for j in 0...halfB {
                        let ub = offB[halfB + j]
                        k[i * quadrantColumns + j] = Epanechnikov.radial2D(squaredDistance: ua * ua + ub * ub)
                    }
                }
                kernelSpectrum.withUnsafeMutableBufferPointer { ks in
                    even.compute(quadrant: k.baseAddress!, quadrantRows: halfA + 1, quadrantColumns: quadrantColumns, spectrum: ks.baseAddress!)
                }
            }
            data.withUnsafeMutableBufferPointer { d in
                dataSpectrum.withUnsafeMutableBufferPointer { ds in
                    rowsForward.execute(d.baseAddress!, ds.baseAddress!)
                    (ds.baseAddress! + 2 * g * half1).update(repeating: 0, count: 2 * (n0 - g) * half1)
                    columnsForward.execute(ds.baseAddress!)
                }
            }
            dataSpectrum.withUnsafeMutableBufferPointer { ds in
                kernelSpectrum.withUnsafeBufferPointer { ks in
                    for a in 0..<n0 {
                        let row = min(a, n0 - a) * m1
                        for b in 0..<half1 {
                            let weight = ks[row + b]
                            ds[2 * (a * half1 + b)] *= weight
                            ds[2 * (a * half1 + b) + 1] *= weight
                        }
                    }
                }
                columnsInverse.execute(ds.baseAddress!)
                data.withUnsafeMutableBufferPointer { d in rowsInverse.execute(ds.baseAddress!, d.baseAddress!) }
            }
            let scale = 1 / (Double(n0 * n1) * Double(x.count))
            return data.withUnsafeBufferPointer { d in
                rowSums.withUnsafeMutableBufferPointer { rs in
                    colSums.withUnsafeMutableBufferPointer { cs in
                        FeatureScore(score: jointToMutualInformation(d, rows: g, cols: g, stepA: dxA, stepB: dxB, rowSums: rs.baseAddress!,
                                                                     colSums: cs.baseAddress!, rowStride: n1, scale: scale, offset: Double.ulpOfOne))
                    }
                }
            }
        }
    }
}

/// FFT-KDE MI for a discrete outcome from the class-conditional densities: the feature robust-scaled, one 1-D
/// KDEpy `FFTKDE(kernel="epa", bw=h_c)` per class (h_c by the rule on that class's values) on one common grid of
/// `grid` points (margin max(0.05·range, √5·max h_c)), joint f(x, c) = p_c·(f_c(x) + ε), MI by the grid integral.
/// This is the estimator the fastHDMI paper describes; fastHDMI 1.25.16 evaluates each class density as a single
/// scalar and 1.25.26 falls back to binning, so neither is a usable reference here.
struct ClassConditionalKDEScorer: FeatureScorer {
    let grid: Int
    let rule: BandwidthRule
    let classOf: [Int]
    let classCount: Int
    let classSizes: [Int]

    init(outcome: Outcome, bandwidth: BandwidthRule, grid: Int) throws {
        self.grid = grid
        rule = bandwidth
        classOf = outcome.classIndices
        classCount = outcome.classCount
        var sizes = [Int](repeating: 0, count: outcome.classCount)
        for c in classOf { sizes[c] += 1 }
        classSizes = sizes
    }

    func makeWorker() throws -> FeatureScoringWorker { Worker(scorer: self) }

    final class Worker: FeatureScoringWorker {
        let scorer: ClassConditionalKDEScorer
        var sortScratch = [Double]()
        var binned: [Double]
        var joint: [Double]
        var rowSums: [Double]
        var colSums: [Double]

        init(scorer: ClassConditionalKDEScorer) {
            self.scorer = scorer
            binned = [Double](repeating: 0, count: scorer.grid + 1)
            joint = [Double](repeating: 0, count: scorer.grid * scorer.classCount)
            rowSums = [Double](repeating: 0, count: scorer.grid)
            colSums = [Double](repeating: 0, count: scorer.classCount)
        }

        func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore {
            let s = scorer
            let g = s.grid, k = s.classCount, n = x.count
            guard let first = x.first, x.contains(where: { $0 != first }) else { return FeatureScore(score: 0) }
            sortScratch.removeAll(keepingCapacity: true)
            sortScratch.append(contentsOf: x)
            sortScratch.sort()
            let (centre, scale) = sortScratch.withUnsafeBufferPointer { ScreeningStatistics.robustCentreAndScale(sorted: $0) }
            let lo = (sortScratch[0] - centre) / scale, hi = (sortScratch[n - 1] - centre) / scale
            var members = [[Double]](repeating: [], count: k)
            for i in 0..<n { members[s.classOf[i]].append((x[i] - centre) / scale) }
            var bandwidths = [Double](repeating: 1, count: k)
            for c in 0..<k where !members[c].isEmpty {
                let sorted = members[c].sorted()
                bandwidths[c] = members[c].withUnsafeBufferPointer { v in sorted.withUnsafeBufferPointer { s.rule.bandwidth(values: v, sorted: $0) } }
            }
            let widest = zip(bandwidths, members).filter { !$0.1.isEmpty }.map(\.0).max() ?? 1
            let axis = LinearGrid.around(lo: lo, hi: hi, support: Epanechnikov.support(widest), count: g)
            let dx = axis.step
            joint.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: g * k) }
            for c in 0..<k where !members[c].isEmpty {
                let p = Double(s.classSizes[c]) / Double(n)
                binned.withUnsafeMutableBufferPointer { b in
                    b.baseAddress!.update(repeating: 0, count: g + 1)
                    members[c].withUnsafeBufferPointer { axis.bin($0, into: b.baseAddress!) }
                    let count = Double(members[c].count)
                    for i in 0..<g { b[i] /= count }
                }
                let half = Epanechnikov.halfWidth(support: Epanechnikov.support(bandwidths[c]), step: dx, intervals: g - 1)
                let weights = Epanechnikov.offsets(step: dx, half: half).map { Epanechnikov.oneD($0, bw: bandwidths[c]) }
                // Direct "same"-mode convolution: out[i] = Σ_m binned[m]·K((i − m)·dx).
                for i in 0..<g {
                    var acc = 0.0
                    let mLo = max(0, i - half), mHi = min(g - 1, i + half)
                    if mLo <= mHi {
                        for m in mLo...mHi { acc += binned[m] * weights[i - m + half] }
                    }
                    joint[i * k + c] = (acc + Double.ulpOfOne) * p
                }
            }
            for i in 0..<(g * k) where joint[i] < 0 { joint[i] = 0 }
            return joint.withUnsafeBufferPointer { jb in
                rowSums.withUnsafeMutableBufferPointer { rs in
                    colSums.withUnsafeMutableBufferPointer { cs in
                        FeatureScore(score: jointToMutualInformation(jb, rows: g, cols: k, stepA: dx, stepB: 1,
                                                                     rowSums: rs.baseAddress!, colSums: cs.baseAddress!))
                    }
                }
            }
        }
    }
}
