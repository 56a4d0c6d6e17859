import Foundation
import NeuroCore

/// Tangent-space mapping at the Riemannian mean of the training matrices (pyRiemann's `TangentSpace`): the
/// upper triangle (row-major) of log(C_ref^-½ X C_ref^-½), weight 1 on the diagonal and √2 off it.
public struct TangentSpace: Sendable {
    public init() {}

    /// Fits the reference point on training covariances only.
    public func fit(_ covs: [Matrix]) throws -> FittedTangentSpace {
        let (ref, converged) = try SPD.meanRiemann(covs)
        return try FittedTangentSpace(reference: ref, converged: converged)
    }
}

public struct FittedTangentSpace: Sendable {
    public let reference: Matrix
    public let meanConverged: Bool
    let refInvSqrt: Matrix
    let refSqrt: Matrix

    init(reference: Matrix, converged: Bool) throws {
        self.reference = reference
        meanConverged = converged
        (refSqrt, refInvSqrt) = try SPD.sqrtAndInverseSqrt(reference)
    }

    /// `[matrices × n(n+1)/2]` tangent vectors.
    public func transform(_ covs: [Matrix]) throws -> Matrix {
        let n = reference.rows
        let d = n * (n + 1) / 2
        let rows = try withSingleThreadedBLAS { try parallelMap(covs.indices) { i -> [Double] in
            guard covs[i].rows == n else { throw InputError(file: "", field: "covariance", message: "matrix \(i) is \(covs[i].rows)×\(covs[i].cols); the reference is \(n)×\(n)") }
            let t = try SPD.logm(Matrix.congruence(refInvSqrt, covs[i]))
            return Self.upper(t)
        } }
        return Matrix(rows: covs.count, cols: d, storage: rows.flatMap { $0 })
    }

    /// Back from tangent vectors to SPD matrices: C_ref^½ exp(unvec(v)) C_ref^½.
    public func inverseTransform(_ vectors: Matrix) throws -> [Matrix] {
        try (0..<vectors.rows).map { r in Matrix.congruence(refSqrt, try SPD.expm(Self.unupper(Array(vectors.row(r)), n: reference.rows))) }
    }

    static func upper(_ t: Matrix) -> [Double] {
        var v = [Double]()
        v.reserveCapacity(t.rows * (t.rows + 1) / 2)
        for i in 0..<t.rows { for j in i..<t.rows { v.append(i == j ? t[i, j] : 2.squareRoot() * t[i, j]) } }
        return v
    }

    static func unupper(_ v: [Double], n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        var k = 0
        for i in 0..<n { for j in i..<n { let x = i == j ? v[k] : v[k] / 2.squareRoot(); m[i, j] = x; m[j, i] = x; k += 1 } }
        return m
    }
}

/// Covariances of every epoch with, optionally, their Riemannian mean and tangent vectors at that mean: what
/// `neuropipe covariance` and the covariance stage write.
public struct EpochCovariances: Sendable {
    /// `[trials]` of `[n × n]`, n = order × channels.
    public var covariances: [Matrix]
    public var mean: Matrix?
    /// `[trials × n(n+1)/2]`.
    public var tangent: Matrix?
    /// nil when no mean was asked for.
    public var meanConverged: Bool?

    public init(trials: [Matrix], estimator: CovarianceEstimator, order: Int, lag: Int, mean wantMean: Bool, tangent wantTangent: Bool) throws {
        covariances = try estimator.estimateAll(try trials.map { try AugmentedCovariance.embed($0, order: order, lag: lag) })
        if wantMean || wantTangent {
            let ts = try TangentSpace().fit(covariances)
            mean = wantMean ? ts.reference : nil
            meanConverged = ts.meanConverged
            if wantTangent { tangent = try ts.transform(covariances) }
        }
    }
}
