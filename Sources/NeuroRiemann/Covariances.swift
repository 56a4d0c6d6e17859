import Foundation
import NeuroCore
import NeuroLearn

/// Covariance estimators of one epoch `[channels × samples]`, numerically as pyRiemann 0.12 / scikit-learn 1.9.
public enum CovarianceEstimator: Equatable, Sendable {
    /// Centred, divided by the number of samples (pyRiemann's `scm`).
    case scm
    /// Centred, divided by samples − 1 (`numpy.cov`, pyRiemann's `cov`).
    case cov
    /// Ledoit–Wolf shrinkage as `sklearn.covariance.ledoit_wolf`.
    case lwf
    /// Oracle approximating shrinkage as `sklearn.covariance.oas`.
    case oas
    /// (1 − s)·SCM + s·tr(SCM)/n·I.
    case shrinkage(Double)

    /// Parses scm, cov, lwf, oas, shrinkage:S.
    public init(name: String) throws {
        switch name {
        case "scm": self = .scm
        case "cov": self = .cov
        case "lwf": self = .lwf
        case "oas": self = .oas
        default:
            if name.hasPrefix("shrinkage:"), let s = Double(name.dropFirst(10)), s >= 0, s <= 1 { self = .shrinkage(s); return }
            throw InputError(file: "", field: "estimator", message: "\"\(name)\" is not one of scm, cov, lwf, oas, shrinkage:S (0 ≤ S ≤ 1)")
        }
    }

    public var name: String {
        switch self {
        case .scm: return "scm"
        case .cov: return "cov"
        case .lwf: return "lwf"
        case .oas: return "oas"
        case .shrinkage(let s): return "shrinkage:\(s)"
        }
    }

    /// The estimate for `x` `[channels × samples]` and the shrinkage used (0 for scm/cov).
    public func estimate(_ x: Matrix) throws -> (covariance: Matrix, shrinkage: Double) {
        guard x.cols >= 2 else { throw InputError(file: "", field: "samples", message: "an epoch needs at least 2 samples, got \(x.cols)") }
        switch self {
        case .scm: return (ShrinkageCovariance.empirical(x).covariance, 0)
        case .cov: return ((Double(x.cols) / Double(x.cols - 1)) * ShrinkageCovariance.empirical(x).covariance, 0)
        case .shrinkage(let s): return (ShrinkageCovariance.shrunk(ShrinkageCovariance.empirical(x).covariance, s), s)
        case .lwf: return ShrinkageCovariance.ledoitWolf(x)
        case .oas: return ShrinkageCovariance.oas(x)
        }
    }

    /// Covariances of every epoch of `epochs` `[trials × channels × samples]`, in parallel over trials with one
    /// BLAS thread each. Non-SPD results are reported with their condition number and a fix.
    public func estimateAll(_ epochs: [Matrix]) throws -> [Matrix] {
        let covs = try withSingleThreadedBLAS { try parallelMap(epochs.indices) { try estimate(epochs[$0]).covariance } }
        for (i, c) in covs.enumerated() {
            let rc = try SPD.conditionReciprocal(c)
            if rc < 1e-12 {
                throw InputError(file: "", field: "covariance", message: "trial \(i): the \(name) estimate is not positive definite (reciprocal condition number \(rc)); channels are linearly dependent (average reference, bridged electrodes) or there are more channels than samples — use --estimator lwf or oas (shrinkage)")
            }
        }
        return covs
    }
}

/// Delay embedding of MOABB's `AugmentedDataset(order, lag)`: block k (k = 0…order−1) is samples k·lag …
/// k·lag + L − 1 of every channel, L = T − order·lag; output channel index k·C + c. Order 1 returns the epoch.
public enum AugmentedCovariance {
    public static func embed(_ x: Matrix, order: Int, lag: Int) throws -> Matrix {
        guard order >= 1, lag >= 1 else { throw InputError(file: "", field: "order/lag", message: "order and lag must be ≥ 1, got \(order)/\(lag)") }
        if order == 1 { return x }
        let c = x.rows, t = x.cols
        let l = t - order * lag
        guard l >= 2 else {
            throw InputError(file: "", field: "order/lag", message: "order \(order) × lag \(lag) = \(order * lag) leaves \(l) of \(t) samples; need order·lag ≤ T − 2")
        }
        var out = Matrix(rows: order * c, cols: l)
        for k in 0..<order { for ch in 0..<c { for i in 0..<l { out[k * c + ch, i] = x[ch, k * lag + i] } } }
        return out
    }
}
