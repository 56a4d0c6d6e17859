import NeuroCore

/// A classifier of feature vectors: hyper-parameters in the value, learned state in what `fit` returns.
public protocol VectorClassifier: Sendable {
    associatedtype Fitted: FittedVectorClassifier
    /// - Parameters: x `[samples × features]`, y one label per sample.
    func fit(_ x: Matrix, _ y: [String]) throws -> Fitted
}

public protocol FittedVectorClassifier: Sendable {
    /// Classes in sorted order; probability columns follow it.
    var classes: [String] { get }
    func predict(_ x: Matrix) throws -> [String]
    /// `[samples][classes]`, each row summing to 1.
    func predictProbability(_ x: Matrix) throws -> [[Double]]
    /// Scores used to rank samples for ROC-AUC, `[samples][classes]`: the decision function where the model has
    /// one (as scikit-learn's roc_auc scorer prefers), else the probabilities.
    func rankingScores(_ x: Matrix) throws -> [[Double]]
}

extension FittedVectorClassifier {
    public func rankingScores(_ x: Matrix) throws -> [[Double]] { try predictProbability(x) }
}

/// Checks shared by every classifier: shapes, at least two classes, finite values.
enum ClassifierInput {
    static func validate(_ x: Matrix, _ y: [String]) throws -> [String] {
        guard x.rows == y.count else { throw InputError(file: "", field: "y", message: "\(y.count) labels for \(x.rows) samples") }
        guard x.cols > 0 else { throw InputError(file: "", field: "X", message: "no features") }
        let classes = Array(Set(y)).sorted()
        guard classes.count >= 2 else { throw InputError(file: "", field: "y", message: "need at least two classes, got \(classes)") }
        guard x.storage.allSatisfy(\.isFinite) else { throw InputError(file: "", field: "X", message: "features contain NaN or infinity") }
        return classes
    }

    /// scikit-learn's class_weight="balanced": n_samples / (n_classes · count_c).
    static func balancedWeights(_ y: [String], classes: [String]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: classes.map { c in (c, Double(y.count) / (Double(classes.count) * Double(y.filter { $0 == c }.count))) })
    }
}
