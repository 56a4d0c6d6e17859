import Foundation

/// Classification metrics as scikit-learn defines them.
public enum Metrics {
    public static func accuracy(_ truth: [String], _ predicted: [String]) -> Double {
        guard !truth.isEmpty else { return .nan }
        return Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// Mean of per-class recall (classes present in `truth`).
    public static func balancedAccuracy(_ truth: [String], _ predicted: [String]) -> Double {
        let classes = Array(Set(truth)).sorted()
        guard !classes.isEmpty else { return .nan }
        let recalls = classes.map { c -> Double in
            let idx = truth.indices.filter { truth[$0] == c }
            return Double(idx.filter { predicted[$0] == c }.count) / Double(idx.count)
        }
        return recalls.reduce(0, +) / Double(recalls.count)
    }

    /// Binary ROC-AUC of `scores` for the positive class (the Mann–Whitney statistic, ties counted half).
    public static func rocAUC(positive: [Bool], scores: [Double]) -> Double {
        let pos = scores.indices.filter { positive[$0] }, neg = scores.indices.filter { !positive[$0] }
        guard !pos.isEmpty, !neg.isEmpty else { return .nan }
        // Rank-based: average ranks for ties.
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        let sumPos = pos.reduce(0.0) { $0 + ranks[$1] }
        let np = Double(pos.count), nn = Double(neg.count)
        return (sumPos - np * (np + 1) / 2) / (np * nn)
    }

    /// ROC-AUC: binary (probability of `classes[1]`), or macro-averaged one-vs-rest for more classes.
    /// `probabilities` is `[samples][classes]` in the order of `classes`.
    public static func rocAUC(truth: [String], probabilities: [[Double]], classes: [String]) -> Double {
        if classes.count == 2 {
            return rocAUC(positive: truth.map { $0 == classes[1] }, scores: probabilities.map { $0[1] })
        }
        let per = classes.indices.map { c in rocAUC(positive: truth.map { $0 == classes[c] }, scores: probabilities.map { $0[c] }) }
        let valid = per.filter { !$0.isNaN }
        return valid.isEmpty ? .nan : valid.reduce(0, +) / Double(valid.count)
    }

    /// Cohen's kappa: (p_o − p_e) / (1 − p_e).
    public static func cohenKappa(_ truth: [String], _ predicted: [String]) -> Double {
        let classes = Array(Set(truth).union(predicted)).sorted()
        let n = Double(truth.count)
        guard n > 0 else { return .nan }
        let po = accuracy(truth, predicted)
        var pe = 0.0
        for c in classes {
            pe += Double(truth.filter { $0 == c }.count) / n * Double(predicted.filter { $0 == c }.count) / n
        }
        return pe == 1 ? 1 : (po - pe) / (1 - pe)
    }
}
