import Foundation
import CLapacke
import NeuroCore

/// Parameters of Gaussian-process factor analysis (Yu et al. 2009) for observations `[q × T]`:
/// y_t = C x_t + d + ε, ε ~ N(0, diag(r)); latent i is a GP with K_i(t, s) = (1 − ε_i)·exp(−γ_i (t − s)²/2) + ε_i·δ_ts,
/// γ_i = 1/τ_i² with τ_i the timescale in samples (TRs). Elephant's conventions (its `gamma`, `eps`, `R`).
public struct GPFAParameters: Sendable, Equatable {
    public var loadings: Matrix        // C [q × k]
    public var offsets: [Double]       // d [q]
    public var noiseVariances: [Double]  // diag(R) [q]
    public var gamma: [Double]         // [k]
    public var gpNoise: [Double]       // ε [k] (fixed)

    public init(loadings: Matrix, offsets: [Double], noiseVariances: [Double], gamma: [Double], gpNoise: [Double]) {
        self.loadings = loadings
        self.offsets = offsets
        self.noiseVariances = noiseVariances
        self.gamma = gamma
        self.gpNoise = gpNoise
    }

    /// Timescales τ_i = 1/√γ_i in samples.
    public var timescales: [Double] { gamma.map { 1 / $0.squareRoot() } }
}

/// EM for GPFA with the exact E-step over the whole sequence (the k·T × k·T posterior precision, never a dense
/// q × q or q·T matrix, so the cost grows linearly with the number of observed dimensions q), closed-form updates
/// of C, d and diagonal R (floored at `minVarianceFraction` of each dimension's variance), and each γ_i by a 1-D
/// Newton/bisection search on the expected GP log-density — Elephant 1.2's algorithm.
public struct GPFA: Sendable {
    public var latents: Int
    public var maxIterations: Int
    public var tolerance: Double
    public var minVarianceFraction: Double
    public var initialTimescale: Double
    public var gpNoise: Double
    /// Observed dimensions sharing one noise variance (e.g. each subject's voxels in S-GPFA); nil = one per dimension.
    public var noiseGroups: [Range<Int>]?

    public init(latents: Int, maxIterations: Int = 100, tolerance: Double = 1e-8, minVarianceFraction: Double = 0.01,
                initialTimescale: Double = 5, gpNoise: Double = 1e-3) {
        self.latents = latents
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.minVarianceFraction = minVarianceFraction
        self.initialTimescale = initialTimescale
        self.gpNoise = gpNoise
    }

    public struct Fit: Sendable {
        public var parameters: GPFAParameters
        /// Posterior mean of the latents `[k × T]`.
        public var latents: Matrix
        /// Data log-likelihood before each iteration's M-step.
        public var logLikelihoods: [Double]
        public var iterations: Int
        public var converged: Bool
    }

    /// Posterior of the latents given `y` `[q × T]`: mean `[k × T]`, the inverse precision, and the log-likelihood.
    public static func posterior(_ y: Matrix, _ p: GPFAParameters) throws -> (mean: Matrix, covariance: Matrix, logLikelihood: Double) {
        let q = y.rows, t = y.cols, k = p.loadings.cols
        let c = p.loadings
        // Cᵀ R⁻¹ [k × q] and M = Cᵀ R⁻¹ C [k × k].
        var cRinv = c.transposed
        for i in 0..<k { for v in 0..<q { cRinv[i, v] /= p.noiseVariances[v] } }
        let m = Matrix.product(cRinv, c)
        // Precision, latent-major (index i·T + t): blockdiag(K_i⁻¹) + M ⊗ I_T.
        let n = k * t
        var precision = Matrix(rows: n, cols: n)
        var logDetK = 0.0
        for i in 0..<k {
            let (kInv, logDet) = try LatentLinearAlgebra.spdInverse(GPFA.kernel(t, gamma: p.gamma[i], eps: p.gpNoise[i]))
            logDetK += logDet
            for a in 0..<t { for b in 0..<t { precision[i * t + a, i * t + b] = kInv[a, b] } }
        }
        for i in 0..<k { for j in 0..<k { for s in 0..<t { precision[i * t + s, j * t + s] += m[i, j] } } }
        let (covariance, logDetP) = try LatentLinearAlgebra.spdInverse(precision)
        // term1 = vec(Cᵀ R⁻¹ (Y − d)), latent-major.
        var dif = y
        for v in 0..<q { for s in 0..<t { dif[v, s] -= p.offsets[v] } }
        let term1 = Matrix.product(cRinv, dif)  // [k × T], row-major = latent-major vector
        let meanVector = Matrix.product(covariance, Matrix(rows: n, cols: 1, storage: term1.storage))
        let mean = Matrix(rows: k, cols: t, storage: meanVector.storage)
        var quadraticY = 0.0
        for v in 0..<q { for s in 0..<t { quadraticY += dif[v, s] * dif[v, s] / p.noiseVariances[v] } }
        var quadraticX = 0.0
        for j in 0..<n { quadraticX += term1.storage[j] * meanVector.storage[j] }
        let logDetR = p.noiseVariances.reduce(0) { $0 + log($1) }
        let ll = 0.5 * (-Double(t) * logDetR - logDetK - logDetP - Double(q * t) * log(2 * Double.pi) - quadraticY + quadraticX)
        return (mean, covariance, ll)
    }

    /// K(t, s) = (1 − ε)·exp(−γ (t − s)²/2) + ε·δ_ts over `t` samples.
    static func kernel(_ t: Int, gamma: Double, eps: Double) -> Matrix {
        var k = Matrix(rows: t, cols: t)
        for a in 0..<t { for b in 0..<t { k[a, b] = (1 - eps) * exp(-gamma / 2 * Double((a - b) * (a - b))) + (a == b ? eps : 0) } }
        return k
    }

    /// Initial parameters from PCA of `y`: C the top-k principal axes scaled by their standard deviations, R the
    /// residual variances, d the means, every timescale `initialTimescale`.
    public func initialParameters(_ y: Matrix) throws -> GPFAParameters {
        let q = y.rows, t = y.cols, k = latents
        let means = (0..<q).map { v in y.row(v).reduce(0, +) / Double(t) }
        var centred = y
        for v in 0..<q { for s in 0..<t { centred[v, s] -= means[v] } }
        // Thin SVD of the centred data: C = U_k Σ_k / √T.
        var work = centred.storage
        let r = min(q, t)
        var sv = [Double](repeating: 0, count: r), u = [Double](repeating: 0, count: q * r), vt = [Double](repeating: 0, count: r * t)
        let info = LAPACKE_dgesdd(neuropipe_lapack_row_major(), Int8(UInt8(ascii: "S")), Int32(q), Int32(t), &work, Int32(t), &sv, &u, Int32(r), &vt, Int32(t))
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dgesdd", message: "SVD failed with info = \(info)") }
        var c = Matrix(rows: q, cols: k)
        for v in 0..<q { for i in 0..<k { c[v, i] = u[v * r + i] * sv[i] / Double(t).squareRoot() } }
        let variances = (0..<q).map { v in centred.row(v).reduce(0) { $0 + $1 * $1 } / Double(t) }
        let explained = (0..<q).map { v in (0..<k).reduce(0) { $0 + c[v, $1] * c[v, $1] } }
        let noise = zip(variances, explained).map { max($0 - $1, 0.01 * $0, 1e-8) }
        return GPFAParameters(loadings: c, offsets: means, noiseVariances: noise, gamma: [Double](repeating: 1 / (initialTimescale * initialTimescale), count: k),
                              gpNoise: [Double](repeating: gpNoise, count: k))
    }

    /// Fits GPFA to `y` `[q × T]` starting from `initial` (or `initialParameters(y)`); stops when the log-likelihood
    /// gain falls below `tolerance` times the gain since the second iteration (Elephant's rule), or after
    /// `maxIterations` (a negative tolerance never stops early).
    public func fit(_ y: Matrix, initial: GPFAParameters? = nil) throws -> Fit {
        guard latents >= 1, latents <= y.rows, y.cols >= 2 else {
            throw InputError(file: "data", field: "k", message: "GPFA needs 1 ≤ k ≤ observed dimensions (\(y.rows)) and at least 2 samples")
        }
        var p = try initial ?? initialParameters(y)
        let q = y.rows, t = y.cols, k = latents
        let varianceFloor = (0..<q).map { v -> Double in
            let row = y.row(v), mean = row.reduce(0, +) / Double(t)
            return minVarianceFraction * row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(t - 1)
        }
        var lls = [Double]()
        var mean = Matrix(rows: k, cols: t)
        var converged = false
        var llBase = 0.0
        for iteration in 1...maxIterations {
            let post = try GPFA.posterior(y, p)
            mean = post.mean
            let ll = post.logLikelihood
            if tolerance >= 0, iteration > 2, let previous = lls.last, ll - llBase < (1 + tolerance) * (previous - llBase) {
                lls.append(ll)
                converged = true
                break
            }
            lls.append(ll)
            if iteration <= 2 { llBase = ll }
            // Σ_t E[x_t x_tᵀ] and per-latent E[x_i x_iᵀ].
            var sumAuto = Matrix.product(mean, mean, transposeB: true)
            for i in 0..<k { for j in 0..<k { for s in 0..<t { sumAuto[i, j] += post.covariance[i * t + s, j * t + s] } } }
            let sumYX = Matrix.product(y, mean, transposeB: true)  // [q × k]
            let sumX = (0..<k).map { i in mean.row(i).reduce(0, +) }
            let sumY = (0..<q).map { v in y.row(v).reduce(0, +) }
            var term = Matrix(rows: k + 1, cols: k + 1)
            for i in 0..<k { for j in 0..<k { term[i, j] = sumAuto[i, j] } ; term[i, k] = sumX[i]; term[k, i] = sumX[i] }
            term[k, k] = Double(t)
            let (termInv, _) = try LatentLinearAlgebra.spdInverse(term)
            var rhs = Matrix(rows: q, cols: k + 1)
            for v in 0..<q { for i in 0..<k { rhs[v, i] = sumYX[v, i] }; rhs[v, k] = sumY[v] }
            let cd = Matrix.product(rhs, termInv)
            var c = Matrix(rows: q, cols: k)
            var d = [Double](repeating: 0, count: q)
            for v in 0..<q { for i in 0..<k { c[v, i] = cd[v, i] }; d[v] = cd[v, k] }
            var r = [Double](repeating: 0, count: q)
            for v in 0..<q {
                let sumYY = y.row(v).reduce(0) { $0 + $1 * $1 }
                var cross = 0.0
                for i in 0..<k { cross += (sumYX[v, i] - d[v] * sumX[i]) * c[v, i] }
                r[v] = max(varianceFloor[v], d[v] * d[v] + (sumYY - 2 * sumY[v] * d[v] - cross) / Double(t))
            }
            if let noiseGroups {
                for group in noiseGroups where !group.isEmpty {
                    let shared = r[group].reduce(0, +) / Double(group.count)
                    for v in group { r[v] = shared }
                }
            }
            p.loadings = c
            p.offsets = d
            p.noiseVariances = r
            // The k timescale searches are independent: one per core, each on single-threaded BLAS.
            let pAutos = (0..<k).map { i -> Matrix in
                var pAuto = Matrix(rows: t, cols: t)
                for a in 0..<t { for b in 0..<t { pAuto[a, b] = post.covariance[i * t + a, i * t + b] + mean[i, a] * mean[i, b] } }
                return pAuto
            }
            let (starts, eps) = (p.gamma, p.gpNoise)
            p.gamma = try withSingleThreadedBLAS {
                try SharedResponseModel.perSubject(k) { try GPFA.optimiseGamma(pAutos[$0], start: starts[$0], eps: eps[$0]) }
            }
        }
        return Fit(parameters: p, latents: mean, logLikelihoods: lls, iterations: lls.count, converged: converged)
    }

    /// The γ maximising E[log N(x_i; 0, K(γ))] = −½ log|K| − ½ tr(K⁻¹ P) given P = E[x_i x_iᵀ] `[T × T]`: the root of
    /// the derivative in log γ, bracketed by doubling and refined by bisection with secant steps.
    static func optimiseGamma(_ pAuto: Matrix, start: Double, eps: Double) throws -> Double {
        let t = pAuto.rows
        var difSq = Matrix(rows: t, cols: t)
        for a in 0..<t { for b in 0..<t { difSq[a, b] = Double((a - b) * (a - b)) } }
        /// d/d(log γ) of the expected log-density.
        func slope(_ logGamma: Double) throws -> Double {
            let gamma = exp(logGamma)
            let (kInv, _) = try LatentLinearAlgebra.spdInverse(kernel(t, gamma: gamma, eps: eps))
            var dK = Matrix(rows: t, cols: t)
            for a in 0..<t { for b in 0..<t { dK[a, b] = -0.5 * (1 - eps) * exp(-gamma / 2 * difSq[a, b]) * difSq[a, b] } }
            let kInvDK = Matrix.product(kInv, dK)
            let inner = Matrix.product(kInvDK, kInv)
            var traceTerm = 0.0, quadratic = 0.0
            for a in 0..<t { traceTerm += kInvDK[a, a] }
            for j in 0..<(t * t) { quadratic += pAuto.storage[j] * inner.storage[j] }
            return (-0.5 * traceTerm + 0.5 * quadratic) * gamma
        }
        var lo = log(start), hi = lo
        var sLo = try slope(lo), sHi = sLo
        // The objective is maximised where the slope crosses from positive to negative.
        var steps = 0
        if sLo > 0 {
            repeat { lo = hi; sLo = sHi; hi += 1; sHi = try slope(hi); steps += 1 } while sHi > 0 && steps < 40
        } else {
            repeat { hi = lo; sHi = sLo; lo -= 1; sLo = try slope(lo); steps += 1 } while sLo < 0 && steps < 40
        }
        guard sLo >= 0, sHi <= 0 else { return exp(sLo < 0 ? lo : hi) }
        for _ in 0..<60 {
            let mid = (sLo - sHi) > 0 ? lo + (hi - lo) * sLo / (sLo - sHi) : (lo + hi) / 2
            let point = min(max(mid, lo + 0.01 * (hi - lo)), hi - 0.01 * (hi - lo))
            let s = try slope(point)
            if s > 0 { lo = point; sLo = s } else { hi = point; sHi = s }
            if hi - lo < 1e-8 { break }
        }
        return exp((lo + hi) / 2)
    }

    /// Orthonormalised latents (Elephant's `orthonormalize`): C = U D Vᵀ, x_orth = D Vᵀ x, loadings U.
    public static func orthonormalised(_ fit: Fit) throws -> (latents: Matrix, loadings: Matrix) {
        let (dvt, u) = try orthonormalBasis(fit.parameters.loadings)
        return (Matrix.product(dvt, fit.latents), u)
    }

    /// D·Vᵀ of the thin SVD C = U D Vᵀ (`[k × k]`).
    public static func orthonormaliser(_ c: Matrix) throws -> Matrix { try orthonormalBasis(c).dvt }

    static func orthonormalBasis(_ c: Matrix) throws -> (dvt: Matrix, u: Matrix) {
        let (q, k) = (c.rows, c.cols)
        var work = c.storage
        var sv = [Double](repeating: 0, count: k), u = [Double](repeating: 0, count: q * k), vt = [Double](repeating: 0, count: k * k)
        let info = LAPACKE_dgesdd(neuropipe_lapack_row_major(), Int8(UInt8(ascii: "S")), Int32(q), Int32(k), &work, Int32(k), &sv, &u, Int32(k), &vt, Int32(k))
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dgesdd", message: "SVD failed with info = \(info)") }
        var dvt = Matrix(rows: k, cols: k, storage: vt)
        for i in 0..<k { for j in 0..<k { dvt[i, j] *= sv[i] } }
        return (dvt, Matrix(rows: q, cols: k, storage: u))
    }
}
