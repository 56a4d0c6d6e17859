import Foundation
import NeuroCore
import NeuroLearn

/// Which shared response model to fit.
public enum SharedResponseKind: String, Sendable, CaseIterable {
    /// Probabilistic SRM (Chen et al. 2015) with BrainIAK's EM updates.
    case srm
    /// Deterministic SRM: alternating orthonormal Procrustes for W_i and the mean of W_iᵀx_i for S.
    case detsrm
}

/// Hyper-parameters of a shared response model: k features, at most `maxIterations` EM / alternating steps,
/// stopping early when the objective changes by less than `tolerance` (relative); `seed` draws the random
/// orthonormal initial loadings unless `initialLoadings` are given (e.g. BrainIAK's, for a like-for-like run).
public struct SharedResponseModel: Sendable {
    public var kind: SharedResponseKind
    public var features: Int
    public var maxIterations: Int
    public var tolerance: Double
    public var seed: UInt64
    public var initialLoadings: [Matrix]?

    public init(kind: SharedResponseKind = .srm, features: Int, maxIterations: Int = 100, tolerance: Double = 1e-6, seed: UInt64 = 0,
                initialLoadings: [Matrix]? = nil) {
        self.kind = kind
        self.features = features
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.seed = seed
        self.initialLoadings = initialLoadings
    }
}

/// A fitted model: per-subject loadings W_i `[voxels_i × k]` (orthonormal columns) and voxel means μ_i, the shared
/// response S `[k × T]`, and for the probabilistic model the shared covariance Σ_s `[k × k]` and noise variances ρ²_i.
/// `objective` holds the log-likelihood (srm) or the reconstruction error ½·Σ‖x_i − W_i S‖²/T (detsrm) per iteration.
public struct FittedSharedResponse: Sendable {
    public let kind: SharedResponseKind
    public let loadings: [Matrix]
    public let means: [[Double]]
    public let shared: Matrix
    public let sharedCovariance: Matrix?
    public let noiseVariances: [Double]?
    public let objective: [Double]
    public let iterations: Int
    public let converged: Bool

    /// Each subject's data `[voxels_i × T']` in the shared space, W_iᵀ(X_i − μ_i) `[k × T']`: centred with the
    /// means learned in `fit` (BrainIAK's transform skips the centring its fit does; see PR #495).
    public func transform(_ data: [Matrix]) throws -> [Matrix] {
        guard data.count == loadings.count else {
            throw InputError(file: "data", field: "subjects", message: "has \(data.count) subjects; the model was fitted on \(loadings.count)")
        }
        return try zip(zip(data, loadings), means).enumerated().map { i, item in
            let ((x, w), mu) = item
            guard x.rows == w.rows else {
                throw InputError(file: "data", field: "subject \(i + 1)", message: "has \(x.rows) voxels; the model's loadings have \(w.rows)")
            }
            return Matrix.product(w, SharedResponseModel.centred(x, mu), transposeA: true)
        }
    }
}

extension SharedResponseModel {
    /// Subtracts each voxel's mean `mu` (`[voxels]`) from `x` `[voxels × T]`.
    static func centred(_ x: Matrix, _ mu: [Double]) -> Matrix {
        var out = x
        for v in 0..<x.rows { for t in 0..<x.cols { out.storage[v * x.cols + t] -= mu[v] } }
        return out
    }

    /// Fits the model to one `[voxels_i × T]` matrix per subject (voxel counts may differ; T may not).
    public func fit(_ data: [Matrix]) throws -> FittedSharedResponse {
        guard data.count >= 2 else {
            throw InputError(file: "data", field: "subjects", message: "a shared response needs at least 2 subjects, got \(data.count)")
        }
        let samples = data[0].cols
        guard features >= 1 else { throw InputError(file: "options", field: "k", message: "must be at least 1, got \(features)") }
        for (i, x) in data.enumerated() {
            guard x.cols == samples else {
                throw InputError(file: "data", field: "subject \(i + 1)", message: "has \(x.cols) TRs; expected \(samples) like the first subject")
            }
            guard x.rows >= features else {
                throw InputError(file: "data", field: "subject \(i + 1)", message: "has \(x.rows) voxels, fewer than k = \(features)")
            }
            guard x.storage.allSatisfy(\.isFinite) else {
                throw InputError(file: "data", field: "subject \(i + 1)", message: "contains NaN or infinite values")
            }
        }
        guard samples >= features else {
            throw InputError(file: "data", field: "TRs", message: "\(samples) TRs are fewer than k = \(features)")
        }
        let means = data.map { x in (0..<x.rows).map { v in x.storage[(v * x.cols)..<((v + 1) * x.cols)].reduce(0, +) / Double(x.cols) } }
        let centred = zip(data, means).map { SharedResponseModel.centred($0, $1) }
        var w: [Matrix]
        if let initialLoadings {
            guard initialLoadings.count == data.count, zip(initialLoadings, data).allSatisfy({ $0.rows == $1.rows && $0.cols == features }) else {
                throw InputError(file: "options", field: "initial loadings", message: "need one [voxels × \(features)] matrix per subject")
            }
            w = initialLoadings
        } else {
            var rng = SplitMix(seed: seed)
            w = try data.map { try LatentLinearAlgebra.randomOrthonormal(rows: $0.rows, cols: features, rng: &rng) }
        }
        // Subjects run in parallel, each product on one BLAS thread (cheaper than OpenBLAS's own threads here).
        return try withSingleThreadedBLAS {
            switch kind {
            case .srm: return try fitProbabilistic(centred, means: means, w: &w)
            case .detsrm: return try fitDeterministic(centred, means: means, w: &w)
            }
        }
    }


    /// W_i ← polar(x_i Sᵀ + 0.001·I) — BrainIAK's update, the perturbation keeping the SVD well defined.
    static func updatedLoadings(_ x: Matrix, _ s: Matrix) throws -> (w: Matrix, a: Matrix) {
        let a = Matrix.product(x, s, transposeB: true)
        var perturbed = a
        for i in 0..<min(a.rows, a.cols) { perturbed[i, i] += 0.001 }
        return (try LatentLinearAlgebra.polarFactor(perturbed), a)
    }

    private func fitProbabilistic(_ x: [Matrix], means: [[Double]], w: inout [Matrix]) throws -> FittedSharedResponse {
        let k = features, t = x[0].cols, m = x.count
        let voxels = x.map(\.rows)
        let traceXtX = x.map { $0.storage.reduce(0) { $0 + $1 * $1 } }
        var rho2 = [Double](repeating: 1, count: m)
        var sigmaS = Matrix.identity(k)
        var shared = Matrix(rows: k, cols: t)
        var objective = [Double]()
        var converged = false
        var iterations = 0
        for _ in 0..<maxIterations {
            iterations += 1
            let rho0 = rho2.reduce(0) { $0 + 1 / $1 }
            let (invSigmaS, logDetSigmaS) = try LatentLinearAlgebra.spdInverse(sigmaS)
            var sigmaSRhos = invSigmaS
            for i in 0..<k { sigmaSRhos[i, i] += rho0 }
            let (invSigmaSRhos, logDetSigmaSRhos) = try LatentLinearAlgebra.spdInverse(sigmaSRhos)
            var wtInvPsiX = Matrix(rows: k, cols: t)
            var traceInvSigma2 = 0.0
            let currentW = w
            let projections = try parallelMap(0..<m) { Matrix.product(currentW[$0], x[$0], transposeA: true) }
            for i in 0..<m {
                let p = projections[i]
                for j in 0..<(k * t) { wtInvPsiX.storage[j] += p.storage[j] / rho2[i] }
                traceInvSigma2 += traceXtX[i] / rho2[i]
            }
            let logDetPsi = zip(rho2, voxels).reduce(0) { $0 + log($1.0) * Double($1.1) }
            var projector = Matrix.identity(k)
            for j in 0..<(k * k) { projector.storage[j] -= rho0 * invSigmaSRhos.storage[j] }
            shared = Matrix.product(Matrix.product(sigmaS, projector), wtInvPsiX)
            // Log-likelihood of the parameters this iteration started from (BrainIAK's _likelihood).
            let quadratic = Matrix.product(Matrix.product(wtInvPsiX, invSigmaSRhos, transposeA: true), wtInvPsiX).trace
            let logLikelihood = -0.5 * Double(t) * (logDetSigmaSRhos + logDetPsi + logDetSigmaS) - 0.5 * traceInvSigma2 + 0.5 * quadratic
            let ssT = Matrix.product(shared, shared, transposeB: true)
            sigmaS = invSigmaSRhos + (1 / Double(t)) * ssT
            let traceSigmaS = Double(t) * sigmaS.trace
            let sharedNow = shared
            let updates = try parallelMap(0..<m) { try SharedResponseModel.updatedLoadings(x[$0], sharedNow) }
            for i in 0..<m {
                let (wi, a) = updates[i]
                w[i] = wi
                var inner = 0.0
                for j in 0..<a.storage.count { inner += wi.storage[j] * a.storage[j] }
                rho2[i] = (traceXtX[i] - 2 * inner + traceSigmaS) / (Double(t) * Double(voxels[i]))
            }
            if let previous = objective.last, abs(logLikelihood - previous) <= tolerance * abs(previous) {
                objective.append(logLikelihood)
                converged = true
                break
            }
            objective.append(logLikelihood)
        }
        return FittedSharedResponse(kind: .srm, loadings: w, means: means, shared: shared, sharedCovariance: sigmaS, noiseVariances: rho2,
                                    objective: objective, iterations: iterations, converged: converged)
    }

    private func fitDeterministic(_ x: [Matrix], means: [[Double]], w: inout [Matrix]) throws -> FittedSharedResponse {
        let squaredNorms = x.map { $0.storage.reduce(0) { $0 + $1 * $1 } }
        /// S = mean of W_iᵀx_i, and ½·Σ‖x_i − W_i S‖²/T from the same products: with orthonormal W_i,
        /// ‖x_i − W_i S‖² = ‖x_i‖² − 2⟨W_iᵀx_i, S⟩ + ‖S‖².
        func sharedAndError(_ w: [Matrix]) throws -> (Matrix, Double) {
            let projections = try parallelMap(0..<x.count) { Matrix.product(w[$0], x[$0], transposeA: true) }
            var s = Matrix(rows: features, cols: x[0].cols)
            for p in projections { for j in 0..<s.storage.count { s.storage[j] += p.storage[j] } }
            for j in 0..<s.storage.count { s.storage[j] /= Double(x.count) }
            let sNorm = s.storage.reduce(0) { $0 + $1 * $1 }
            var total = 0.0
            for (i, p) in projections.enumerated() {
                var inner = 0.0
                for j in 0..<p.storage.count { inner += p.storage[j] * s.storage[j] }
                total += squaredNorms[i] - 2 * inner + sNorm
            }
            return (s, total * 0.5 / Double(x[0].cols))
        }
        var (shared, error) = try sharedAndError(w)
        var objective = [error]
        var converged = false
        var iterations = 0
        for _ in 0..<maxIterations {
            iterations += 1
            let sharedNow = shared
            w = try parallelMap(0..<x.count) { try SharedResponseModel.updatedLoadings(x[$0], sharedNow).w }
            (shared, error) = try sharedAndError(w)
            let previous = objective.last!
            objective.append(error)
            if abs(error - previous) <= tolerance * abs(previous) {
                converged = true
                break
            }
        }
        return FittedSharedResponse(kind: .detsrm, loadings: w, means: means, shared: shared, sharedCovariance: nil, noiseVariances: nil,
                                    objective: objective, iterations: iterations, converged: converged)
    }
}

extension FittedSharedResponse {
    /// Loadings for a subject the model was not fitted on, from that subject's data over the fitted TRs
    /// `[voxels × T]` (BrainIAK's `transform_subject`: W = polar((X − μ) Sᵀ)); returns a model with the subject
    /// appended last, so `transform` then takes its new runs like any fitted subject's.
    public func addingSubject(_ training: Matrix) throws -> FittedSharedResponse {
        guard training.cols == shared.cols else {
            throw InputError(file: "data", field: "new subject", message: "has \(training.cols) TRs; the model's shared response has \(shared.cols)")
        }
        guard training.rows >= shared.rows else {
            throw InputError(file: "data", field: "new subject", message: "has \(training.rows) voxels, fewer than k = \(shared.rows)")
        }
        let mu = (0..<training.rows).map { v in training.row(v).reduce(0, +) / Double(training.cols) }
        let w = try LatentLinearAlgebra.polarFactor(Matrix.product(SharedResponseModel.centred(training, mu), shared, transposeB: true))
        return FittedSharedResponse(kind: kind, loadings: loadings + [w], means: means + [mu], shared: shared, sharedCovariance: sharedCovariance,
                                    noiseVariances: noiseVariances.map { $0 + [.nan] }, objective: objective, iterations: iterations, converged: converged)
    }
}
