import Foundation
import NeuroCore
import NeuroLearn

/// A classifier of SPD matrices (covariances): hyper-parameters in the value, learned state from `fit`.
public protocol CovarianceClassifier: Sendable {
    func fit(_ covs: [Matrix], _ y: [String]) throws -> any FittedCovarianceClassifier
}

public protocol FittedCovarianceClassifier: Sendable {
    var classes: [String] { get }
    func predict(_ covs: [Matrix]) throws -> [String]
    /// `[matrices][classes]`, rows summing to 1.
    func predictProbability(_ covs: [Matrix]) throws -> [[Double]]
    /// Scores for ROC-AUC ranking (decision function where the model has one, else probabilities).
    func rankingScores(_ covs: [Matrix]) throws -> [[Double]]
}

extension FittedCovarianceClassifier {
    public func rankingScores(_ covs: [Matrix]) throws -> [[Double]] { try predictProbability(covs) }
}

func validateCovarianceInput(_ covs: [Matrix], _ y: [String]) throws -> [String] {
    guard covs.count == y.count else { throw InputError(file: "", field: "y", message: "\(y.count) labels for \(covs.count) matrices") }
    guard let n = covs.first?.rows, covs.allSatisfy({ $0.rows == n && $0.cols == n }) else {
        throw InputError(file: "", field: "covariances", message: "expected square matrices of one size")
    }
    let classes = Array(Set(y)).sorted()
    guard classes.count >= 2 else { throw InputError(file: "", field: "y", message: "need at least two classes, got \(classes)") }
    return classes
}

/// Minimum distance to mean (pyRiemann's MDM): one Riemannian mean per class, nearest by AIRM distance,
/// probabilities softmax(−d²).
public struct MDM: CovarianceClassifier {
    public init() {}

    public func fit(_ covs: [Matrix], _ y: [String]) throws -> any FittedCovarianceClassifier {
        let classes = try validateCovarianceInput(covs, y)
        let means = try classes.map { c in try SPD.meanRiemann(covs.indices.filter { y[$0] == c }.map { covs[$0] }).mean }
        return FittedMDM(classes: classes, centroids: means)
    }
}

public struct FittedMDM: FittedCovarianceClassifier {
    public let classes: [String]
    public let centroids: [Matrix]

    public func distances(_ covs: [Matrix]) throws -> [[Double]] {
        try withSingleThreadedBLAS { try parallelMap(covs.indices) { i in try centroids.map { try SPD.distanceRiemann(covs[i], $0) } } }
    }

    public func predict(_ covs: [Matrix]) throws -> [String] {
        try distances(covs).map { d in classes[d.indices.min { d[$0] < d[$1] }!] }
    }

    public func predictProbability(_ covs: [Matrix]) throws -> [[Double]] {
        try distances(covs).map { d in
            let z = d.map { -$0 * $0 }
            let m = z.max()!
            let e = z.map { exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }
}

/// Tangent space (fitted on the training matrices only) followed by a vector classifier (logistic regression,
/// SVM, shrinkage LDA).
public struct TangentSpaceClassifier<Inner: VectorClassifier>: CovarianceClassifier {
    public var inner: Inner
    public init(_ inner: Inner) { self.inner = inner }

    public func fit(_ covs: [Matrix], _ y: [String]) throws -> any FittedCovarianceClassifier {
        _ = try validateCovarianceInput(covs, y)
        let ts = try TangentSpace().fit(covs)
        let fitted = try inner.fit(try ts.transform(covs), y)
        return FittedTangentSpaceClassifier(tangent: ts, inner: fitted)
    }
}

public struct FittedTangentSpaceClassifier<F: FittedVectorClassifier>: FittedCovarianceClassifier {
    public let tangent: FittedTangentSpace
    public let inner: F
    public var classes: [String] { inner.classes }
    public func predict(_ covs: [Matrix]) throws -> [String] { try inner.predict(try tangent.transform(covs)) }
    public func predictProbability(_ covs: [Matrix]) throws -> [[Double]] { try inner.predictProbability(try tangent.transform(covs)) }
    public func rankingScores(_ covs: [Matrix]) throws -> [[Double]] { try inner.rankingScores(try tangent.transform(covs)) }
}
