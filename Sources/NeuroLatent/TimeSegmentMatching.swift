import Foundation
import NeuroCore
import NeuroLearn

/// BrainIAK's SRM-tutorial time-segment matching: each subject's `[k × T]` response is cut into the T − w segments
/// of w TRs (stacked to k·w vectors); each segment of the held-out subject is matched to the segment of the sum of
/// the other subjects with the highest correlation (both z-scored over the k·w entries), segments overlapping the
/// true one (|i − j| < w, i ≠ j) excluded. Accuracy = share of segments matched to their own position.
public enum TimeSegmentMatching {
    /// Per-subject accuracy (leave one subject out).
    public static func accuracy(_ responses: [Matrix], window w: Int) throws -> [Double] {
        guard responses.count >= 2 else {
            throw InputError(file: "data", field: "subjects", message: "time-segment matching needs at least 2 subjects")
        }
        let k = responses[0].rows, t = responses[0].cols
        guard responses.allSatisfy({ $0.rows == k && $0.cols == t }) else {
            throw InputError(file: "data", field: "subjects", message: "every subject's response must be [\(k) × \(t)]")
        }
        let segments = t - w
        guard w >= 1, segments >= 2 else {
            throw InputError(file: "options", field: "window", message: "window \(w) needs at least \(w + 2) TRs, have \(t)")
        }
        let d = k * w
        /// Segment j of `r` as the k·w vector [r[:, j], r[:, j+1], …] (BrainIAK's stacking: block per lag).
        func stack(_ r: Matrix) -> [Double] {
            var out = [Double](repeating: 0, count: d * segments)  // [segments × d]
            for j in 0..<segments {
                for lag in 0..<w { for f in 0..<k { out[j * d + lag * k + f] = r[f, j + lag] } }
            }
            return out
        }
        let stacked = responses.map(stack)
        var total = [Double](repeating: 0, count: d * segments)
        for s in stacked { for i in 0..<total.count { total[i] += s[i] } }
        return responses.indices.map { subject in
            let test = zscoredRows(stacked[subject], rows: segments, cols: d)
            var others = total
            for i in 0..<others.count { others[i] -= stacked[subject][i] }
            let train = zscoredRows(others, rows: segments, cols: d)
            // Correlation of z-scored vectors is proportional to their dot product: compare dot products.
            let corr = Matrix.product(Matrix(rows: segments, cols: d, storage: test), Matrix(rows: segments, cols: d, storage: train), transposeB: true)
            var correct = 0
            for i in 0..<segments {
                var best = -Double.infinity, bestJ = -1
                for j in 0..<segments {
                    if j != i, abs(i - j) < w { continue }
                    let c = corr[i, j]
                    if c > best { best = c; bestJ = j }
                }
                if bestJ == i { correct += 1 }
            }
            return Double(correct) / Double(segments)
        }
    }

    /// Each row z-scored (ddof 1); a constant row becomes 0 (NumPy's NaN replaced by 0, as the tutorial does).
    static func zscoredRows(_ v: [Double], rows: Int, cols: Int) -> [Double] {
        var out = v
        for r in 0..<rows {
            let slice = v[(r * cols)..<((r + 1) * cols)]
            let mean = slice.reduce(0, +) / Double(cols)
            let sd = (slice.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(cols - 1)).squareRoot()
            for c in 0..<cols { out[r * cols + c] = sd > 0 ? (v[r * cols + c] - mean) / sd : 0 }
        }
        return out
    }

    /// Mean over subjects of the correlation between each subject's response and the mean of the others', per
    /// feature then averaged (inter-subject correlation in the shared space).
    public static func interSubjectCorrelation(_ responses: [Matrix]) -> Double {
        let k = responses[0].rows, t = responses[0].cols
        var sum = 0.0, count = 0
        for (i, r) in responses.enumerated() {
            for f in 0..<k {
                let mine = Array(r.row(f))
                var others = [Double](repeating: 0, count: t)
                for (j, o) in responses.enumerated() where j != i { for c in 0..<t { others[c] += o[f, c] } }
                if let c = pearson(mine, others) { sum += c; count += 1 }
            }
        }
        return count > 0 ? sum / Double(count) : .nan
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double? {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : nil
    }
}

/// Synthetic multi-subject data with a known shared response: k latent time series drawn from Gaussian processes
/// (RBF kernel, one timescale per latent, in TRs), orthonormal loadings per subject, heteroscedastic Gaussian noise
/// (each voxel's standard deviation drawn from [noiseMin, noiseMax]); `signalToNoise` is the ratio of a voxel's
/// average signal variance to the average noise variance.
public struct SyntheticSharedResponse: Sendable {
    public var subjects: Int
    public var voxels: Int
    public var samples: Int
    public var timescales: [Double]
    public var noiseMin: Double
    public var noiseMax: Double
    public var signalToNoise: Double
    public var seed: UInt64

    public init(subjects: Int, voxels: Int, samples: Int, timescales: [Double], noiseMin: Double = 0.5, noiseMax: Double = 1.5,
                signalToNoise: Double = 1, seed: UInt64 = 0) {
        self.signalToNoise = signalToNoise
        self.subjects = subjects
        self.voxels = voxels
        self.samples = samples
        self.timescales = timescales
        self.noiseMin = noiseMin
        self.noiseMax = noiseMax
        self.seed = seed
    }

    /// The latents `[k × T]` and each subject's data `[voxels × T]`.
    public func generate() throws -> (latents: Matrix, data: [Matrix], loadings: [Matrix]) {
        var rng = SplitMix(seed: seed)
        let k = timescales.count, t = samples
        var latents = Matrix(rows: k, cols: t)
        for (f, tau) in timescales.enumerated() {
            // K_ij = exp(−(i − j)²/(2τ²)) + 1e-6·δ_ij; a draw is L·z with K = L Lᵀ.
            var kernel = Matrix(rows: t, cols: t)
            for i in 0..<t { for j in 0..<t { kernel[i, j] = exp(-Double((i - j) * (i - j)) / (2 * tau * tau)) + (i == j ? 1e-6 : 0) } }
            let lower = try LatentLinearAlgebra.choleskyLower(kernel)
            let z = Matrix(rows: t, cols: 1, storage: (0..<t).map { _ in rng.gaussian() })
            let draw = Matrix.product(lower, z)
            for c in 0..<t { latents[f, c] = draw.storage[c] }
        }
        var data = [Matrix](), loadings = [Matrix]()
        for _ in 0..<subjects {
            let gaussian = Matrix(rows: voxels, cols: k, storage: (0..<(voxels * k)).map { _ in rng.gaussian() })
            let w = try LatentLinearAlgebra.polarFactor(gaussian)
            var x = Matrix.product(w, latents)
            // Orthonormal W spreads the unit-variance latents to k/voxels variance per voxel; scale to the requested
            // ratio of the mean noise variance.
            let meanNoiseVariance = (noiseMin * noiseMin + noiseMin * noiseMax + noiseMax * noiseMax) / 3
            let gain = (signalToNoise * meanNoiseVariance * Double(voxels) / Double(k)).squareRoot()
            for v in 0..<voxels {
                let sd = noiseMin + (noiseMax - noiseMin) * rng.uniform()
                for c in 0..<t { x[v, c] = gain * x[v, c] + sd * rng.gaussian() }
            }
            data.append(x)
            loadings.append(w)
        }
        return (latents, data, loadings)
    }
}
