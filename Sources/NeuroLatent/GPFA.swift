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
    /// How the noise variances are tied across observed dimensions (S-GPFA's subject and subject × region options).
    public var noise: NoiseStructure = .perDimension

    /// Noise structure of the observed dimensions: one variance each; one per group (e.g. per subject); or separable,
    /// σ²_subject·τ²_region, with a subject and a region label per dimension (fitted by alternating averages).
    public enum NoiseStructure: Sendable {
        case perDimension
        case groups([Range<Int>])
        case separable(subject: [Int], region: [Int])
    }

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

    /// What the M-step needs of the latents' posterior given `y` `[q × T]`: the mean `[k × T]`, Σ_t Cov(x_t)
    /// `[k × k]`, each latent's covariance over time `[T × T]`, and the data log-likelihood.
    public struct Posterior: Sendable {
        public var mean: Matrix
        public var summedTimeCovariance: Matrix
        public var latentCovariances: [Matrix]
        public var logLikelihood: Double
    }

    /// The exact posterior by selected inversion: the k·T precision P = blockdiag(K_i⁻¹) + (Cᵀ R⁻¹ C) ⊗ I_T is
    /// factorised (LAPACK `dpotrf`), its triangular factor inverted (`dtrtri`), and only the blocks of P⁻¹ = L⁻ᵀL⁻¹
    /// the M-step uses are formed (BLAS `dsyrk` per latent, column dot products per time point) — about 30% fewer
    /// operations than the full inverse. P is symmetric, so it is handed to LAPACK column-major as stored.
    public static func posterior(_ y: Matrix, _ p: GPFAParameters) throws -> Posterior {
        let q = y.rows, t = y.cols, k = p.loadings.cols
        let c = p.loadings
        // Cᵀ R⁻¹ [k × q] and M = Cᵀ R⁻¹ C [k × k].
        var cRinv = c.transposed
        for i in 0..<k { for v in 0..<q { cRinv[i, v] /= p.noiseVariances[v] } }
        let m = Matrix.product(cRinv, c)
        // Precision, latent-major (index i·T + t): blockdiag(K_i⁻¹) + M ⊗ I_T.
        let n = k * t
        var f = [Double](repeating: 0, count: n * n)
        var logDetK = 0.0
        for i in 0..<k {
            let (kInv, logDet) = try LatentLinearAlgebra.spdInverse(GPFA.kernel(t, gamma: p.gamma[i], eps: p.gpNoise[i]))
            logDetK += logDet
            f.withUnsafeMutableBufferPointer { pb in
                kInv.storage.withUnsafeBufferPointer { kb in
                    for a in 0..<t { (pb.baseAddress! + (i * t + a) * n + i * t).update(from: kb.baseAddress! + a * t, count: t) }
                }
            }
        }
        f.withUnsafeMutableBufferPointer { pb in
            for i in 0..<k { for j in 0..<k { for s in 0..<t { pb[(i * t + s) * n + j * t + s] += m[i, j] } } }
        }
        guard LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), &f, Int32(n)) == 0 else {
            throw RuntimeFailure(context: "GPFA", message: "the posterior precision is not positive definite")
        }
        var logDetP = 0.0
        for i in 0..<n { logDetP += 2 * log(f[i * n + i]) }
        guard LAPACKE_dtrtri(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int8(UInt8(ascii: "N")), Int32(n), &f, Int32(n)) == 0 else {
            throw RuntimeFailure(context: "GPFA", message: "inverting the Cholesky factor failed")
        }
        // Column-major lower triangle holds L⁻¹ (column c contiguous at f[c·n…]); clear the strict upper part.
        f.withUnsafeMutableBufferPointer { fb in
            for col in 0..<n { (fb.baseAddress! + col * n).update(repeating: 0, count: col) }
        }
        // term1 = vec(Cᵀ R⁻¹ (Y − d)); mean = P⁻¹ term1 = L⁻ᵀ (L⁻¹ term1); term1ᵀP⁻¹term1 = ‖L⁻¹ term1‖².
        var dif = y
        for v in 0..<q { for s in 0..<t { dif[v, s] -= p.offsets[v] } }
        let term1 = Matrix.product(cRinv, dif)  // [k × T] row-major = the latent-major vector
        var z = term1.storage
        cblas_dtrmv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, Int32(n), f, Int32(n), &z, 1)
        let quadraticX = z.reduce(0) { $0 + $1 * $1 }
        cblas_dtrmv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, Int32(n), f, Int32(n), &z, 1)
        let mean = Matrix(rows: k, cols: t, storage: z)
        // Latent blocks: Σ_ii = B_iᵀ B_i with B_i = rows i·T…n of columns i·T…(i+1)·T of L⁻¹.
        var latentCovariances = [Matrix]()
        for i in 0..<k {
            var block = [Double](repeating: 0, count: t * t)
            f.withUnsafeBufferPointer { fb in
                cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, Int32(t), Int32(n - i * t), 1, fb.baseAddress! + (i * t) * n + i * t, Int32(n), 0, &block, Int32(t))
            }
            for a in 0..<t { for b in (a + 1)..<max(a + 1, t) { block[b * t + a] = block[a * t + b] } }  // mirror (col-major lower → full)
            latentCovariances.append(Matrix(rows: t, cols: t, storage: block))
        }
        // Σ_t Cov(x_t)_ij = Σ_t ⟨column i·T+t, column j·T+t⟩ of L⁻¹ (rows from max(i, j)·T + t on are the non-zero ones).
        var summed = Matrix(rows: k, cols: k)
        f.withUnsafeBufferPointer { fb in
            for s in 0..<t {
                for i in 0..<k {
                    for j in i..<k {
                        let ci = i * t + s, cj = j * t + s, start = cj
                        let dot = cblas_ddot(Int32(n - start), fb.baseAddress! + ci * n + start, 1, fb.baseAddress! + cj * n + start, 1)
                        summed[i, j] += dot
                    }
                }
            }
        }
        for i in 0..<k { for j in 0..<i { summed[i, j] = summed[j, i] } }
        var quadraticY = 0.0
        for v in 0..<q { for s in 0..<t { quadraticY += dif[v, s] * dif[v, s] / p.noiseVariances[v] } }
        let logDetR = p.noiseVariances.reduce(0) { $0 + log($1) }
        let ll = 0.5 * (-Double(t) * logDetR - logDetK - logDetP - Double(q * t) * log(2 * Double.pi) - quadraticY + quadraticX)
        return Posterior(mean: mean, summedTimeCovariance: summed, latentCovariances: latentCovariances, logLikelihood: ll)
    }

    /// Per-dimension residual variances `r` (already floored) tied as `structure` says: a group's variance is the mean
    /// of its members' (the maximum-likelihood shared value); separable variances come from alternating averages.
    static func tied(_ r: [Double], _ structure: NoiseStructure, floor: [Double]) -> [Double] {
        var out = r
        switch structure {
        case .perDimension:
            return r
        case .groups(let groups):
            for group in groups where !group.isEmpty {
                let shared = r[group].reduce(0, +) / Double(group.count)
                for v in group { out[v] = shared }
            }
        case .separable(let subject, let region):
            // Maximum likelihood of r_v ≈ σ²_s(v)·τ²_g(v): alternate the two closed-form averages.
            let subjects = (subject.max() ?? 0) + 1, regions = (region.max() ?? 0) + 1
            var sigma = [Double](repeating: 1, count: subjects), tau = [Double](repeating: 1, count: regions)
            for _ in 0..<30 {
                var sum = [Double](repeating: 0, count: regions), count = [Double](repeating: 0, count: regions)
                for v in r.indices { sum[region[v]] += r[v] / sigma[subject[v]]; count[region[v]] += 1 }
                for g in 0..<regions where count[g] > 0 { tau[g] = sum[g] / count[g] }
                sum = [Double](repeating: 0, count: subjects); count = [Double](repeating: 0, count: subjects)
                for v in r.indices { sum[subject[v]] += r[v] / tau[region[v]]; count[subject[v]] += 1 }
                for m in 0..<subjects where count[m] > 0 { sigma[m] = sum[m] / count[m] }
            }
            for v in r.indices { out[v] = max(sigma[subject[v]] * tau[region[v]], 1e-12) }
        }
        return out
    }

    /// K(t, s) = (1 − ε)·exp(−γ (t − s)²/2) + ε·δ_ts over `t` samples (Toeplitz: one exp per lag).
    static func kernel(_ t: Int, gamma: Double, eps: Double) -> Matrix {
        let profile = kernelProfile(t, gamma: gamma, eps: eps)
        var k = Matrix(rows: t, cols: t)
        k.storage.withUnsafeMutableBufferPointer { kb in
            for a in 0..<t { for b in 0..<t { kb[a * t + b] = profile[abs(a - b)] + (a == b ? eps : 0) } }
        }
        return k
    }

    /// (1 − ε)·exp(−γ d²/2) for lags d = 0…t−1.
    static func kernelProfile(_ t: Int, gamma: Double, eps: Double) -> [Double] {
        (0..<t).map { (1 - eps) * exp(-gamma / 2 * Double($0 * $0)) }
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
            let sumAuto = Matrix.product(mean, mean, transposeB: true) + post.summedTimeCovariance
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
            r = GPFA.tied(r, noise, floor: varianceFloor)
            p.loadings = c
            p.offsets = d
            p.noiseVariances = r
            // The k timescale searches are independent: one per core, each on single-threaded BLAS.
            let pAutos = (0..<k).map { i -> Matrix in
                var pAuto = Matrix(rows: t, cols: t)
                for a in 0..<t { for b in 0..<t { pAuto[a, b] = post.latentCovariances[i][a, b] + mean[i, a] * mean[i, b] } }
                return pAuto
            }
            let (starts, eps) = (p.gamma, p.gpNoise)
            p.gamma = try withSingleThreadedBLAS {
                try parallelMap(0..<k) { try GPFA.optimiseGamma(pAutos[$0], start: starts[$0], eps: eps[$0]) }
            }
        }
        return Fit(parameters: p, latents: mean, logLikelihoods: lls, iterations: lls.count, converged: converged)
    }

    /// The γ maximising E[log N(x_i; 0, K(γ))] = −½ log|K| − ½ tr(K⁻¹ P) given P = E[x_i x_iᵀ] `[T × T]`: the root of
    /// the derivative in log γ, bracketed by doubling and refined by bisection with secant steps.
    static func optimiseGamma(_ pAuto: Matrix, start: Double, eps: Double) throws -> Double {
        let t = pAuto.rows
        /// d/d(log γ) of the expected log-density.
        func slope(_ logGamma: Double) throws -> Double {
            let gamma = exp(logGamma)
            let (kInv, _) = try LatentLinearAlgebra.spdInverse(kernel(t, gamma: gamma, eps: eps))
            // dK/dγ(a, b) = −½·(1 − ε)·exp(−γ d²/2)·d², d = a − b.
            let profile = kernelProfile(t, gamma: gamma, eps: eps).enumerated().map { -0.5 * $1 * Double($0 * $0) }
            var dK = Matrix(rows: t, cols: t)
            dK.storage.withUnsafeMutableBufferPointer { db in
                for a in 0..<t { for b in 0..<t { db[a * t + b] = profile[abs(a - b)] } }
            }
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
            if hi - lo < 1e-6 { break }
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
