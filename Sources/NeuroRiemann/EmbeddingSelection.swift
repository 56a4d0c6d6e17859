import Foundation
import NeuroCore

/// Choosing the augmented-covariance order and lag without a grid search (Takens-style, as the ACM paper
/// suggests): lag = first local minimum of the auto mutual information; order = smallest embedding dimension
/// whose fraction of false nearest neighbours (Kennel et al. 1992, Rtol = 15) falls below 10 %.
/// Computed on training epochs only, averaged over channels.
public enum EmbeddingSelection {
    /// Auto mutual information (nats) of one series at lags 1…maxLag, from a 16-bin equal-width histogram.
    public static func autoMutualInformation(_ x: [Double], maxLag: Int, bins: Int = 16) -> [Double] {
        guard let lo = x.min(), let hi = x.max(), hi > lo else { return [Double](repeating: 0, count: maxLag) }
        let code = x.map { min(bins - 1, Int((($0 - lo) / (hi - lo)) * Double(bins))) }
        return (1...maxLag).map { lag in
            let n = x.count - lag
            guard n > 0 else { return 0 }
            var joint = [Double](repeating: 0, count: bins * bins), pa = [Double](repeating: 0, count: bins), pb = pa
            for i in 0..<n { joint[code[i] * bins + code[i + lag]] += 1; pa[code[i]] += 1; pb[code[i + lag]] += 1 }
            var mi = 0.0
            for a in 0..<bins { for b in 0..<bins where joint[a * bins + b] > 0 {
                let p = joint[a * bins + b] / Double(n)
                mi += p * log(p / (pa[a] / Double(n) * pb[b] / Double(n)))
            } }
            return mi
        }
    }

    /// First local minimum of the channel-averaged AMI over the epochs (1-based lag), else `maxLag`.
    public static func lag(_ epochs: [Matrix], maxLag: Int = 10) -> Int {
        var total = [Double](repeating: 0, count: maxLag)
        for e in epochs { for c in 0..<e.rows {
            let ami = autoMutualInformation(Array(e.row(c)), maxLag: maxLag)
            for k in 0..<maxLag { total[k] += ami[k] }
        } }
        for k in 1..<(maxLag - 1) where total[k] < total[k - 1] && total[k] <= total[k + 1] { return k + 1 }
        return maxLag
    }

    /// Fraction of false nearest neighbours of a series embedded in d dimensions with `lag` (up to 300 points).
    static func falseNeighbourFraction(_ x: [Double], dimension d: Int, lag: Int, rtol: Double = 15) -> Double {
        let n = x.count - d * lag
        guard n > 10 else { return 0 }
        let step = max(1, n / 300)
        let points = Array(stride(from: 0, to: n, by: step))
        var falseCount = 0, total = 0
        for i in points {
            var best = Double.infinity, bestJ = -1
            for j in points where abs(j - i) > lag {
                var dist = 0.0
                for k in 0..<d { let v = x[i + k * lag] - x[j + k * lag]; dist += v * v }
                if dist < best && dist > 0 { best = dist; bestJ = j }
            }
            guard bestJ >= 0 else { continue }
            total += 1
            if abs(x[i + d * lag] - x[bestJ + d * lag]) / best.squareRoot() > rtol { falseCount += 1 }
        }
        return total == 0 ? 0 : Double(falseCount) / Double(total)
    }

    /// Smallest order in 1…maxOrder whose mean false-neighbour fraction (over up to 20 epochs × all channels) is
    /// below 10 %, else the order with the smallest fraction.
    public static func order(_ epochs: [Matrix], lag: Int, maxOrder: Int = 10) -> Int {
        let sample = Array(epochs.prefix(20))
        var fractions = [Double]()
        for d in 1...maxOrder {
            var sum = 0.0, count = 0
            for e in sample { for c in 0..<e.rows { sum += falseNeighbourFraction(Array(e.row(c)), dimension: d, lag: lag); count += 1 } }
            let f = sum / Double(max(count, 1))
            if f < 0.1 { return d }
            fractions.append(f)
        }
        return fractions.indices.min { fractions[$0] < fractions[$1] }! + 1
    }
}
