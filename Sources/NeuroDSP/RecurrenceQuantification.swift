import Foundation
import NeuroCore

/// Recurrence quantification analysis of one time series with pyunicorn's `RecurrencePlot` conventions:
/// time-delay embedding x_i = (s_i, s_{i+τ}, …, s_{i+(m−1)τ}), recurrence R_ij = 1 when the distance between x_i
/// and x_j is strictly below the threshold (main diagonal included), diagonal lines counted on one side of the
/// main diagonal only, vertical lines over whole columns.
public enum RecurrenceQuantification {
    public enum Metric: String, CaseIterable, Sendable { case supremum, euclidean, manhattan }

    public struct Settings: Sendable {
        /// Embedding dimension m and delay τ (samples).
        public var dimension = 1
        public var delay = 1
        /// Recurrence threshold in units of the series' standard deviation (pyunicorn's `threshold_std`), or
        /// absolute when `thresholdIsAbsolute`.
        public var threshold = 0.5
        public var thresholdIsAbsolute = false
        public var metric = Metric.supremum
        /// Minimal diagonal and vertical line lengths.
        public var minDiagonal = 2
        public var minVertical = 2
        public init() {}
    }

    public struct Measures: Sendable, Equatable {
        public var recurrenceRate: Double
        public var determinism: Double
        public var averageDiagonal: Double
        public var laminarity: Double
        public var trappingTime: Double
    }

    /// pyunicorn adds this to every denominator.
    static let epsilon = 1e-8

    public static func measures(_ series: [Double], settings: Settings) throws -> Measures {
        let (m, tau) = (settings.dimension, settings.delay)
        guard m >= 1, tau >= 1 else { throw InputError(file: "", field: "with.dimension", message: "embedding dimension and delay must be at least 1") }
        let n = series.count - (m - 1) * tau
        guard n >= 2 else {
            throw InputError(file: "", field: "with.dimension", message: "a series of \(series.count) samples is too short for embedding dimension \(m) and delay \(tau)")
        }
        guard settings.minDiagonal >= 1, settings.minVertical >= 1, settings.threshold > 0 else {
            throw InputError(file: "", field: "with.threshold", message: "threshold and minimal line lengths must be positive")
        }
        var eps = settings.threshold
        if !settings.thresholdIsAbsolute {
            let mean = series.reduce(0, +) / Double(series.count)
            eps *= (series.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(series.count)).squareRoot()
        }
        func recurrent(_ i: Int, _ j: Int) -> Bool {
            var d = 0.0
            for k in 0..<m {
                let v = abs(series[i + k * tau] - series[j + k * tau])
                switch settings.metric {
                case .supremum: d = max(d, v)
                case .euclidean: d += v * v
                case .manhattan: d += v
                }
            }
            return (settings.metric == .euclidean ? d.squareRoot() : d) < eps
        }
        var r = [Bool](repeating: false, count: n * n)
        var total = 0
        for i in 0..<n {
            for j in i..<n where recurrent(i, j) {
                r[i * n + j] = true
                r[j * n + i] = true
                total += i == j ? 1 : 2
            }
        }
        // Diagonal lines below the main diagonal (offsets 1 … n−1), as pyunicorn's line scan.
        var diagonal = [Int](repeating: 0, count: n + 1)
        for offset in 1..<n {
            var run = 0
            for j in 0..<(n - offset) {
                if r[(j + offset) * n + j] { run += 1 } else if run > 0 { diagonal[run] += 1; run = 0 }
            }
            if run > 0 { diagonal[run] += 1 }
        }
        var vertical = [Int](repeating: 0, count: n + 1)
        for i in 0..<n {
            var run = 0
            for j in 0..<n {
                if r[i * n + j] { run += 1 } else if run > 0 { vertical[run] += 1; run = 0 }
            }
            if run > 0 { vertical[run] += 1 }
        }
        func points(_ h: [Int], from l: Int) -> Double { Double((l...n).reduce(0) { $0 + $1 * h[$1] }) }
        func lines(_ h: [Int], from l: Int) -> Double { Double((l...n).reduce(0) { $0 + h[$1] }) }
        let (lmin, vmin) = (min(settings.minDiagonal, n), min(settings.minVertical, n))
        return Measures(recurrenceRate: Double(total) / Double(n * n),
                        determinism: points(diagonal, from: lmin) / (points(diagonal, from: 1) + epsilon),
                        averageDiagonal: points(diagonal, from: lmin) / (lines(diagonal, from: lmin) + epsilon),
                        laminarity: points(vertical, from: vmin) / (points(vertical, from: 1) + epsilon),
                        trappingTime: points(vertical, from: vmin) / (lines(vertical, from: vmin) + epsilon))
    }
}
