import Foundation

/// Small order statistics and rules shared by the screening estimators, each written to give the same numbers as
/// the NumPy / scikit-learn / KDEpy function it names.
public enum ScreeningStatistics {
    /// `numpy.percentile(v, q)` with the default linear method; `sorted` must be ascending and non-empty.
    public static func percentile(sorted: UnsafeBufferPointer<Double>, _ q: Double) -> Double {
        let n = sorted.count
        let position = q / 100 * Double(n - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, n - 1)
        let t = position - Double(lower)
        let a = sorted[lower], b = sorted[upper]
        // NumPy's _lerp: a + (b − a)·t, or b − (b − a)·(1 − t) when t ≥ 0.5 (exact at both ends).
        let diff = b - a
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
    }

    public static func percentile(sorted: [Double], _ q: Double) -> Double {
        sorted.withUnsafeBufferPointer { percentile(sorted: $0, q) }
    }

    /// scikit-learn `RobustScaler()` statistics: (median, q75 − q25), the scale replaced by 1 when it is 0.
    public static func robustCentreAndScale(sorted: UnsafeBufferPointer<Double>) -> (centre: Double, scale: Double) {
        let centre = percentile(sorted: sorted, 50)
        let iqr = percentile(sorted: sorted, 75) - percentile(sorted: sorted, 25)
        return (centre, iqr == 0 ? 1 : iqr)
    }

    /// Sample standard deviation with `ddof` (NumPy's two-pass algorithm: mean first, then squared deviations).
    /// When the sum or the squares overflow although the values are finite (say ±1e300), the same passes run on
    /// the values divided by a power of two above their largest magnitude (exact), and the result is scaled back.
    public static func standardDeviation(_ v: UnsafeBufferPointer<Double>, ddof: Int) -> Double {
        let n = v.count
        guard n > ddof else { return .nan }
        func twoPass(_ factor: Double) -> Double {
            var sum = 0.0
            for x in v { sum += x * factor }
            let mean = sum / Double(n)
            var ss = 0.0
            for x in v { let d = x * factor - mean; ss += d * d }
            return (ss / Double(n - ddof)).squareRoot()
        }
        let direct = twoPass(1)
        if direct.isFinite { return direct }
        guard let scale = overflowSafeScale(v) else { return direct }
        return twoPass(1 / scale) * scale
    }

    /// A power of two at least the largest |v| (so dividing by it is exact and keeps sums and squares finite), or
    /// nil when a value is not finite or all are 0.
    static func overflowSafeScale(_ v: UnsafeBufferPointer<Double>) -> Double? {
        var largest = 0.0
        for x in v { largest = max(largest, abs(x)) }
        guard largest.isFinite, largest > 0 else { return nil }
        return Double(sign: .plus, exponent: largest.exponent + 1, significand: 1)
    }

    /// Birgé–Rozenholc number of equal-width bins on [min, max], D ∈ 2…99, as fastHDMI's `num_of_bins_cython`:
    /// maximise Σ N_j log N_j + n log D − (D − 1 + (log D)^2.5), empty bins contributing 0, first maximum wins.
    /// `counts` is scratch space of at least 99 entries.
    public static func birgeRozenholcBins(_ x: UnsafeBufferPointer<Double>, min lo: Double, max hi: Double,
                                          counts: UnsafeMutablePointer<Int32>) -> Int {
        let n = x.count
        var best = 2, bestObjective = -1e20
        for d in 2..<100 {
            counts.update(repeating: 0, count: d)
            let width = (hi - lo) / Double(d)
            for v in x {
                var index = Int((v - lo) / width)
                if index >= d { index = d - 1 }
                counts[index] += 1
            }
            var objective = 0.0
            var total = 0
            for j in 0..<d where counts[j] > 0 {
                let c = Double(counts[j])
                objective += c * log(c)
                total += Int(counts[j])
            }
            let logD = log(Double(d))
            objective += Double(total) * logD - (Double(d - 1) + pow(logD, 2.5))
            if objective > bestObjective {
                bestObjective = objective
                best = d
            }
        }
        _ = n
        return best
    }

    /// ψ(m) for integers m = 0…upTo (ψ(0) is unused and set to −∞): ψ(1) = −γ, ψ(m + 1) = ψ(m) + 1/m.
    public static func digammaTable(upTo count: Int) -> [Double] {
        var table = [Double](repeating: -.infinity, count: count + 1)
        guard count >= 1 else { return table }
        table[1] = -0.57721566490153286060651209008240243
        if count >= 2 {
            for m in 1..<count { table[m + 1] = table[m] + 1 / Double(m) }
        }
        return table
    }
}

/// A kernel bandwidth rule for FFT-KDE: KDEpy's Silverman or Scott rule (on the robust-scaled variable), the
/// improved Sheather–Jones plug-in, or a fixed value (in robust-scaled units; `fixed(1)` is what fastHDMI 1.25 uses).
public enum BandwidthRule: Sendable, Equatable, CustomStringConvertible {
    case silverman, scott, isj
    case fixed(Double)

    /// Parses `silverman`, `scott`, `isj` or a positive number.
    public init?(_ text: String) {
        switch text.lowercased() {
        case "silverman": self = .silverman
        case "scott": self = .scott
        case "isj": self = .isj
        default:
            guard let v = Double(text), v > 0, v.isFinite else { return nil }
            self = .fixed(v)
        }
    }

    public var description: String {
        switch self {
        case .silverman: return "silverman"
        case .scott: return "scott"
        case .isj: return "isj"
        case .fixed(let v): return "\(v)"
        }
    }

    /// The bandwidth (a standard deviation of the kernel) for `values`; `sorted` is the same values ascending.
    public func bandwidth(values: UnsafeBufferPointer<Double>, sorted: UnsafeBufferPointer<Double>) -> Double {
        switch self {
        case .fixed(let v): return v
        case .isj: return ImprovedSheatherJones.bandwidth(sorted: sorted) ?? BandwidthRule.silverman.bandwidth(values: values, sorted: sorted)
        case .silverman, .scott:
            let n = values.count
            if n <= 1 { return 1 }
            let sd = ScreeningStatistics.standardDeviation(values, ddof: 1)
            let iqr = (ScreeningStatistics.percentile(sorted: sorted, 75) - ScreeningStatistics.percentile(sorted: sorted, 25)) / 1.3489795003921634
            let sigma = min(sd, iqr)
            let factor = self == .silverman ? pow(Double(n) * 3 / 4, -1.0 / 5) : pow(Double(n), -1.0 / 5)
            if sigma > 0 { return sigma * factor }
            // KDEpy's fallback when over half the values are identical: the 1–99% range, then 1.
            let wide = (ScreeningStatistics.percentile(sorted: sorted, 99) - ScreeningStatistics.percentile(sorted: sorted, 1)) / 4.6526957480816815
            return wide > 0 ? wide * factor : 1
        }
    }
}
