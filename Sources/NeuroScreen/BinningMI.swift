import Foundation

/// Plug-in MI on equal-width bins, as fastHDMI 1.25's `binning_MI_cython` (continuous outcome) and
/// `binning_MI_discrete_cython` (discrete outcome): bin k of v is ⌊(v − min)/((max − min)/D)⌋ (the maximum in the
/// last bin), D by Birgé–Rozenholc for continuous variables and the class count for a discrete outcome; no bias
/// correction. The outcome's bins are computed once. A discrete outcome uses class indices, which equals
/// fastHDMI's equal-width binning of the labels for 0/1 and 0/1/2 codes. `fixedBins` replaces the Birgé–Rozenholc
/// choice for continuous variables.
struct BinningMIScorer: FeatureScorer {
    let outcomeBins: [Int32]
    let outcomeBinCount: Int
    let fixedBins: Int?

    init(outcome: Outcome, fixedBins: Int? = nil) {
        self.fixedBins = fixedBins
        if outcome.isDiscrete {
            outcomeBins = outcome.values.map { Int32($0) }
            outcomeBinCount = outcome.classCount
        } else {
            let lo = outcome.values.min()!, hi = outcome.values.max()!
            if hi == lo {
                outcomeBins = [Int32](repeating: 0, count: outcome.count)
                outcomeBinCount = 1
            } else {
                var counts = [Int32](repeating: 0, count: 100)
                let d = fixedBins ?? outcome.values.withUnsafeBufferPointer { v in
                    counts.withUnsafeMutableBufferPointer { ScreeningStatistics.birgeRozenholcBins(v, min: lo, max: hi, counts: $0.baseAddress!) }
                }
                outcomeBins = BinningMIScorer.binIndices(outcome.values, lo: lo, hi: hi, bins: d)
                outcomeBinCount = d
            }
        }
    }

    static func binIndices(_ values: [Double], lo: Double, hi: Double, bins: Int) -> [Int32] {
        let width = (hi - lo) / Double(bins)
        return values.map { v in Int32(min(bins - 1, Int((v - lo) / width))) }
    }

    func makeWorker() throws -> FeatureScoringWorker { Worker(scorer: self) }

    final class Worker: FeatureScoringWorker {
        let scorer: BinningMIScorer
        var counts = [Int32](repeating: 0, count: 100)
        var joint: [Double]
        var rowSums: [Double]
        var colSums = [Double](repeating: 0, count: 100)

        init(scorer: BinningMIScorer) {
            self.scorer = scorer
            rowSums = [Double](repeating: 0, count: scorer.outcomeBinCount)
            joint = [Double](repeating: 0, count: scorer.outcomeBinCount * max(100, scorer.fixedBins ?? 0))
            colSums = [Double](repeating: 0, count: max(100, scorer.fixedBins ?? 0))
        }

        func score(_ x: UnsafeBufferPointer<Double>, feature: Int) -> FeatureScore {
            var lo = x[0], hi = x[0]
            for v in x {
                if v < lo { lo = v }
                if v > hi { hi = v }
            }
            // A constant feature carries no information (fastHDMI would divide by a zero bin width).
            guard hi > lo, scorer.outcomeBinCount > 1 else { return FeatureScore(score: 0) }
            let d = scorer.fixedBins ?? counts.withUnsafeMutableBufferPointer { ScreeningStatistics.birgeRozenholcBins(x, min: lo, max: hi, counts: $0.baseAddress!) }
            let rows = scorer.outcomeBinCount
            let width = (hi - lo) / Double(d)
            let n = Double(x.count)
            return joint.withUnsafeMutableBufferPointer { jb in
                jb.baseAddress!.update(repeating: 0, count: rows * d)
                scorer.outcomeBins.withUnsafeBufferPointer { yb in
                    for i in 0..<x.count {
                        var b = Int((x[i] - lo) / width)
                        if b >= d { b = d - 1 }
                        jb[Int(yb[i]) * d + b] += 1
                    }
                }
                for i in 0..<(rows * d) { jb[i] /= n }
                return rowSums.withUnsafeMutableBufferPointer { rs in
                    colSums.withUnsafeMutableBufferPointer { cs in
                        FeatureScore(score: jointToMutualInformation(UnsafeBufferPointer(start: jb.baseAddress, count: rows * d), rows: rows, cols: d,
                                                                     stepA: 1, stepB: 1, rowSums: rs.baseAddress!, colSums: cs.baseAddress!))
                    }
                }
            }
        }
    }
}
