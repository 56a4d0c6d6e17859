import CLapacke
import Foundation
import NeuroCore

/// Functions of symmetric positive-definite matrices, all through `SymmetricEigen` (one LAPACK `dsyevd` path),
/// and the affine-invariant (AIRM) and log-Euclidean geometry pyRiemann uses.
public enum SPD {
    public static func sqrtm(_ c: Matrix) throws -> Matrix { try SymmetricEigen(c.symmetrized).apply { $0.squareRoot() } }
    public static func invsqrtm(_ c: Matrix) throws -> Matrix { try SymmetricEigen(c.symmetrized).apply { 1 / $0.squareRoot() } }
    public static func logm(_ c: Matrix) throws -> Matrix { try SymmetricEigen(c.symmetrized).apply { log($0) } }
    public static func expm(_ c: Matrix) throws -> Matrix { try SymmetricEigen(c.symmetrized).apply { exp($0) } }
    public static func powm(_ c: Matrix, _ p: Double) throws -> Matrix { try SymmetricEigen(c.symmetrized).apply { pow($0, p) } }
    /// sqrtm and invsqrtm from one decomposition.
    static func sqrtAndInverseSqrt(_ c: Matrix) throws -> (Matrix, Matrix) {
        let e = try SymmetricEigen(c.symmetrized)
        return (e.apply { $0.squareRoot() }, e.apply { 1 / $0.squareRoot() })
    }

    /// AIRM distance √Σ log²λᵢ, λ the generalised eigenvalues of (A, B) (LAPACK `dsygv`).
    public static func distanceRiemann(_ a: Matrix, _ b: Matrix) throws -> Double {
        let n = a.rows
        var aa = a.symmetrized.storage, bb = b.symmetrized.storage
        var w = [Double](repeating: 0, count: n)
        let info = LAPACKE_dsygv(neuropipe_lapack_row_major(), 1, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "U")), Int32(n), &aa, Int32(n), &bb, Int32(n), &w)
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dsygv", message: "generalised eigenproblem failed (info \(info)); is the second matrix SPD?") }
        return w.reduce(0) { $0 + log($1) * log($1) }.squareRoot()
    }

    public static func distanceLogEuclid(_ a: Matrix, _ b: Matrix) throws -> Double {
        (try logm(a) - (try logm(b))).frobeniusNorm
    }

    static func normalizedWeights(_ w: [Double]?, count: Int) throws -> [Double] {
        let w = w ?? [Double](repeating: 1, count: count)
        guard w.count == count, w.allSatisfy({ $0 >= 0 }), w.reduce(0, +) > 0 else {
            throw InputError(file: "", field: "sample_weight", message: "expected \(count) non-negative weights with a positive sum")
        }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    public static func meanEuclid(_ covs: [Matrix], weights: [Double]? = nil) throws -> Matrix {
        weightedSum(covs, weights: try normalizedWeights(weights, count: covs.count))
    }

    /// Σ wᵢ Mᵢ over equally shaped matrices, in parallel over slices of the entries (each slice summed in matrix
    /// order, so the result does not depend on the thread count). The Karcher iteration forms one per iteration.
    static func weightedSum(_ matrices: [Matrix], weights: [Double]) -> Matrix {
        var out = Matrix(rows: matrices[0].rows, cols: matrices[0].cols)
        let count = out.storage.count
        let slice = 4096
        out.storage.withUnsafeMutableBufferPointer { o in
            let target = UncheckedSendableBox(o.baseAddress!)
            parallelFor((count + slice - 1) / slice) { s in
                let lo = s * slice, hi = Swift.min(count, lo + slice)
                for (m, wi) in zip(matrices, weights) {
                    m.storage.withUnsafeBufferPointer { v in
                        for k in lo..<hi { target.value[k] += wi * v[k] }
                    }
                }
            }
        }
        return out
    }

    public static func meanLogEuclid(_ covs: [Matrix], weights: [Double]? = nil) throws -> Matrix {
        try expm(try meanEuclid(try covs.map(logm), weights: weights))
    }

    /// Riemannian (Karcher) mean with pyRiemann's algorithm: start at the arithmetic mean; J = Σ wᵢ log(M^-½ Xᵢ M^-½);
    /// M ← M^½ exp(νJ) M^½; ν ×0.95 when ν‖J‖ improved else ×0.5; stop when ‖J‖_F ≤ tol or ν ≤ tol (50 iterations
    /// at most). Returns the mean and whether it converged.
    public static func meanRiemann(_ covs: [Matrix], weights: [Double]? = nil, tolerance: Double = 1e-8, maxIterations: Int = 50) throws -> (mean: Matrix, converged: Bool) {
        guard !covs.isEmpty else { throw InputError(file: "", field: "covariances", message: "no matrices to average") }
        let w = try normalizedWeights(weights, count: covs.count)
        var m = try meanEuclid(covs, weights: w)
        var nu = 1.0, tau = Double.greatestFiniteMagnitude
        for _ in 0..<maxIterations {
            let (m12, mm12) = try sqrtAndInverseSqrt(m)
            let logs = try withSingleThreadedBLAS {
                try parallelMap(covs.indices) { try logm(Matrix.congruence(mm12, covs[$0])) }
            }
            let j = weightedSum(logs, weights: w)
            m = Matrix.congruence(m12, try expm(nu * j))
            let crit = j.frobeniusNorm
            let h = nu * crit
            if h < tau { nu *= 0.95; tau = h } else { nu *= 0.5 }
            if crit <= tolerance || nu <= tolerance { return (m, true) }
        }
        return (m, false)
    }

    /// Reciprocal condition number λmin/λmax (0 for singular or indefinite matrices).
    public static func conditionReciprocal(_ c: Matrix) throws -> Double {
        let v = try SymmetricEigen.values(of: c.symmetrized)
        guard let lo = v.first, let hi = v.last, hi > 0 else { return 0 }
        return max(0, lo / hi)
    }
}

