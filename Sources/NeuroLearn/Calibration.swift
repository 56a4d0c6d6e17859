import Foundation
import NeuroCore

/// Maps a classifier's score for the positive class to a calibrated probability; fitted on scores the classifier
/// gave to samples it was not trained on (inner cross-validation), as scikit-learn's `CalibratedClassifierCV`.
/// Both maps are non-decreasing: unlike scikit-learn, a Platt fit with a decreasing slope becomes the constant
/// positive rate, so calibration can flatten a ranking but never reverse it.
public enum ProbabilityCalibration: String, CaseIterable, Sendable {
    case none, platt, isotonic

    /// A fitted calibration map from `scores` (any monotone score, e.g. log-odds) and the truth of each sample.
    public func fit(scores: [Double], truth: [Bool]) throws -> FittedCalibration {
        guard scores.count == truth.count, !scores.isEmpty else {
            throw InputError(file: "", field: "calibration", message: "needs one score per sample; got \(scores.count) scores for \(truth.count) samples")
        }
        switch self {
        case .none: return .identity
        case .platt:
            let (a, b) = PlattScaling.fit(scores: scores, truth: truth)
            guard a > 0 else { return .sigmoid(a: a, b: b) }
            // A decreasing fit would reverse the classifier's ranking. With little signal, inner-CV scores are
            // often anti-correlated with the truth (the class balance of each inner training set shifts against
            // its test part), and scikit-learn's unconstrained fit then turns chance into AUROC well below 0.5.
            // The optimum under a ≤ 0 is then on the boundary: a = 0, b from the smoothed positive rate.
            return .sigmoid(a: 0, b: PlattScaling.flatIntercept(truth: truth))
        case .isotonic:
            let (x, y) = IsotonicCalibration.fit(scores: scores, truth: truth)
            return .stepwise(x: x, y: y)
        }
    }
}

/// A calibration map: identity (scores are already probabilities), Platt's sigmoid 1/(1+exp(a·s+b)), or an
/// isotonic fit interpolated linearly between its points and clipped outside them.
public enum FittedCalibration: Sendable, Equatable {
    case identity
    case sigmoid(a: Double, b: Double)
    case stepwise(x: [Double], y: [Double])

    public func probability(_ score: Double) -> Double {
        switch self {
        case .identity: return score
        case .sigmoid(let a, let b): return 1 / (1 + exp(a * score + b))
        case .stepwise(let x, let y):
            guard let first = x.first, let last = x.last else { return .nan }
            if score <= first { return y[0] }
            if score >= last { return y[y.count - 1] }
            var lo = 0, hi = x.count - 1
            while hi - lo > 1 { let mid = (lo + hi) / 2; if x[mid] <= score { lo = mid } else { hi = mid } }
            let t = (score - x[lo]) / (x[hi] - x[lo])
            return y[lo] + t * (y[hi] - y[lo])
        }
    }
}

/// Platt scaling with scikit-learn's conventions (`_sigmoid_calibration`): targets smoothed to (N₊+1)/(N₊+2) and
/// 1/(N₋+2), start (0, log((N₋+1)/(N₊+1))), scores divided by max|s| when that reaches 30. The convex
/// cross-entropy is minimised by Newton's method with a backtracking line search (Lin, Lin & Weng 2007), which
/// reaches the optimum scikit-learn's L-BFGS approximates.
public enum PlattScaling {
    /// b of the constant map 1/(1+exp(b)) = the smoothed positive rate (the optimum with a fixed at 0).
    public static func flatIntercept(truth: [Bool]) -> Double {
        let positives = Double(truth.filter { $0 }.count), negatives = Double(truth.count) - positives
        let hi = (positives + 1) / (positives + 2), lo = 1 / (negatives + 2)
        let mean = (positives * hi + negatives * lo) / Double(truth.count)
        return log((1 - mean) / mean)
    }

    /// (a, b) of P(positive | s) = 1/(1+exp(a·s+b)), exactly as scikit-learn (no constraint on the sign of a).
    public static func fit(scores: [Double], truth: [Bool]) -> (a: Double, b: Double) {
        let peak = scores.reduce(0) { max($0, abs($1)) }
        let scale = peak >= 30 ? peak : 1
        let f = scores.map { $0 / scale }
        let positives = Double(truth.filter { $0 }.count), negatives = Double(truth.count) - positives
        let hi = (positives + 1) / (positives + 2), lo = 1 / (negatives + 2)
        let t = truth.map { $0 ? hi : lo }
        func loss(_ a: Double, _ b: Double) -> Double {
            var s = 0.0
            for i in f.indices {
                // −[t·log p + (1−t)·log(1−p)] with p = 1/(1+e^z), z = a·f+b, written stably.
                let z = a * f[i] + b
                s += z >= 0 ? t[i] * z + log1p(exp(-z)) : (t[i] - 1) * z + log1p(exp(z))
            }
            return s
        }
        var a = 0.0, b = log((negatives + 1) / (positives + 1))
        var current = loss(a, b)
        for _ in 0..<100 {
            var (ga, gb, haa, hab, hbb) = (0.0, 0.0, 1e-12, 0.0, 1e-12)
            for i in f.indices {
                let z = a * f[i] + b
                let p = z >= 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z))   // P(positive)
                let d = t[i] - p                                                 // ∂loss/∂z
                let w = p * (1 - p)
                ga += d * f[i]; gb += d
                haa += w * f[i] * f[i]; hab += w * f[i]; hbb += w
            }
            if abs(ga) < 1e-12 && abs(gb) < 1e-12 { break }
            let det = haa * hbb - hab * hab
            let da = -(hbb * ga - hab * gb) / det, db = -(haa * gb - hab * ga) / det
            var step = 1.0, improved = false
            while step >= 1e-10 {
                let candidate = loss(a + step * da, b + step * db)
                if candidate < current + 1e-4 * step * (ga * da + gb * db) { a += step * da; b += step * db; current = candidate; improved = true; break }
                step /= 2
            }
            if !improved { break }
        }
        return (a / scale, b)
    }
}

/// Isotonic (non-decreasing) regression of the truth on the score, as scikit-learn's `IsotonicRegression`
/// (`out_of_bounds="clip"`): equal scores merged to their mean, pool-adjacent-violators, then linear interpolation.
public enum IsotonicCalibration {
    /// The fitted points (x increasing, y non-decreasing).
    public static func fit(scores: [Double], truth: [Bool]) -> (x: [Double], y: [Double]) {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var xs = [Double](), ys = [Double](), ws = [Double]()
        for i in order {
            let v = truth[i] ? 1.0 : 0.0
            if let last = xs.last, last == scores[i] {
                ys[ys.count - 1] = (ys[ys.count - 1] * ws[ws.count - 1] + v) / (ws[ws.count - 1] + 1)
                ws[ws.count - 1] += 1
            } else {
                xs.append(scores[i]); ys.append(v); ws.append(1)
            }
        }
        // Pool adjacent violators over blocks (value, weight, count of points).
        var blocks = [(value: Double, weight: Double, count: Int)]()
        for k in xs.indices {
            blocks.append((ys[k], ws[k], 1))
            while blocks.count > 1 && blocks[blocks.count - 2].value > blocks[blocks.count - 1].value {
                let b = blocks.removeLast(), a = blocks.removeLast()
                blocks.append(((a.value * a.weight + b.value * b.weight) / (a.weight + b.weight), a.weight + b.weight, a.count + b.count))
            }
        }
        var fitted = [Double]()
        for b in blocks { fitted += [Double](repeating: b.value, count: b.count) }
        return (xs, fitted)
    }
}
