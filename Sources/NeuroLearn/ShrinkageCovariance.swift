import CLapacke
import Foundation
import NeuroCore

/// Shrinkage covariance estimators exactly as scikit-learn 1.9 computes them, on data `[features × samples]`
/// (one row per variable).
public enum ShrinkageCovariance {
    /// Empirical covariance (centred, divided by the number of samples) and the centred data.
    public static func empirical(_ x: Matrix) -> (covariance: Matrix, centred: Matrix) {
        let n = x.rows, t = x.cols
        var centred = x
        for r in 0..<n {
            let m = x.row(r).reduce(0, +) / Double(t)
            for k in 0..<t { centred[r, k] -= m }
        }
        return ((1 / Double(t)) * Matrix.product(centred, centred, transposeB: true), centred)
    }

    /// (1 − s)·C + s·tr(C)/n·I.
    public static func shrunk(_ c: Matrix, _ s: Double) -> Matrix {
        let mu = c.trace / Double(c.rows)
        var out = (1 - s) * c
        for i in 0..<c.rows { out[i, i] += s * mu }
        return out
    }

    /// `sklearn.covariance.ledoit_wolf`: shrunk covariance and shrinkage.
    public static func ledoitWolf(_ x: Matrix) -> (covariance: Matrix, shrinkage: Double) {
        let (emp, centred) = empirical(x)
        let n = x.rows, t = x.cols
        if n == 1 { return (emp, 0) }
        let x2 = Matrix(rows: n, cols: t, storage: centred.storage.map { $0 * $0 })
        let traceTerms = (0..<n).map { r in x2.row(r).reduce(0, +) / Double(t) }
        let mu = traceTerms.reduce(0, +) / Double(n)
        let beta_ = Matrix.product(x2, x2, transposeB: true).storage.reduce(0, +)
        var delta_ = Matrix.product(centred, centred, transposeB: true).storage.reduce(0) { $0 + $1 * $1 }
        delta_ /= Double(t) * Double(t)
        var beta = 1 / (Double(n) * Double(t)) * (beta_ / Double(t) - delta_)
        var delta = delta_ - 2 * mu * traceTerms.reduce(0, +) + Double(n) * mu * mu
        delta /= Double(n)
        beta = min(beta, delta)
        let s = beta == 0 ? 0 : beta / delta
        return (shrunk(emp, s), s)
    }

    /// `sklearn.covariance.oas`: shrunk covariance and shrinkage.
    public static func oas(_ x: Matrix) -> (covariance: Matrix, shrinkage: Double) {
        let (emp, _) = empirical(x)
        let n = x.rows, t = x.cols
        if n == 1 { return (emp, 0) }
        let alpha = emp.storage.reduce(0) { $0 + $1 * $1 } / Double(n * n)
        let mu = emp.trace / Double(n)
        let num = alpha + mu * mu
        let den = Double(t + 1) * (alpha - mu * mu / Double(n))
        let s = den == 0 ? 1 : min(num / den, 1)
        return (shrunk(emp, s), s)
    }
}

/// Linear discriminant analysis with Ledoit–Wolf shrinkage (scikit-learn's `LinearDiscriminantAnalysis(solver='lsqr',
/// shrinkage='auto')`): per-class covariances of standardised features, shrunk and rescaled, pooled by priors.
public struct ShrinkageLDA: VectorClassifier {
    public init() {}

    public func fit(_ x: Matrix, _ y: [String]) throws -> FittedShrinkageLDA {
        let classes = try ClassifierInput.validate(x, y)
        let d = x.cols
        var means = [[Double]](), pooled = Matrix(rows: d, cols: d), priors = [Double]()
        for c in classes {
            let idx = y.indices.filter { y[$0] == c }
            priors.append(Double(idx.count) / Double(y.count))
            // Features × samples of this class.
            var xc = Matrix(rows: d, cols: idx.count)
            for (k, i) in idx.enumerated() { for j in 0..<d { xc[j, k] = x[i, j] } }
            means.append((0..<d).map { xc.row($0).reduce(0, +) / Double(idx.count) })
            // StandardScaler (population std, zeros → 1), Ledoit–Wolf, rescale.
            let scale = (0..<d).map { j -> Double in
                let m = means.last![j]
                let v = xc.row(j).reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(idx.count)
                return v > 0 ? v.squareRoot() : 1
            }
            var z = xc
            for j in 0..<d { for k in 0..<idx.count { z[j, k] = (xc[j, k] - means.last![j]) / scale[j] } }
            let (s, _) = ShrinkageCovariance.ledoitWolf(z)
            for a in 0..<d { for b in 0..<d { pooled[a, b] += priors.last! * scale[a] * s[a, b] * scale[b] } }
        }
        // coef = lstsq(Σ, meansᵀ)ᵀ through LAPACK dgelsd (minimum-norm least squares, as scipy's lstsq).
        let coef = try leastSquares(pooled, Matrix(rows: classes.count, cols: d, storage: means.flatMap { $0 }).transposed).transposed
        var intercept = (0..<classes.count).map { k in -0.5 * zip(means[k], coef.row(k)).reduce(0) { $0 + $1.0 * $1.1 } + log(priors[k]) }
        var w = coef
        if classes.count == 2 {
            w = Matrix(rows: 1, cols: d, storage: zip(coef.row(1), coef.row(0)).map { $0 - $1 })
            intercept = [intercept[1] - intercept[0]]
        }
        return FittedShrinkageLDA(classes: classes, coefficients: w, intercept: intercept)
    }

    func leastSquares(_ a: Matrix, _ b: Matrix) throws -> Matrix {
        var aa = a.storage, bb = b.storage
        var s = [Double](repeating: 0, count: a.rows)
        var rank: Int32 = 0
        let info = LAPACKE_dgelsd(neuropipe_lapack_row_major(), Int32(a.rows), Int32(a.cols), Int32(b.cols), &aa, Int32(a.cols),
                                  &bb, Int32(b.cols), &s, -1, &rank)
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dgelsd", message: "least squares failed (info \(info))") }
        return Matrix(rows: a.cols, cols: b.cols, storage: Array(bb.prefix(a.cols * b.cols)))
    }
}

public struct FittedShrinkageLDA: FittedVectorClassifier {
    public let classes: [String]
    public let coefficients: Matrix
    public let intercept: [Double]

    func decision(_ x: Matrix) throws -> Matrix {
        guard x.cols == coefficients.cols else { throw InputError(file: "", field: "X", message: "\(x.cols) features; the model was fitted on \(coefficients.cols)") }
        var d = Matrix.product(x, coefficients, transposeB: true)
        for r in 0..<d.rows { for k in 0..<d.cols { d[r, k] += intercept[k] } }
        return d
    }

    public func predictProbability(_ x: Matrix) throws -> [[Double]] {
        let d = try decision(x)
        return (0..<d.rows).map { r in
            if d.cols == 1 { let p = 1 / (1 + exp(-d[r, 0])); return [1 - p, p] }
            let row = Array(d.row(r)), m = row.max()!
            let e = row.map { exp($0 - m) }, s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }

    public func predict(_ x: Matrix) throws -> [String] {
        try predictProbability(x).map { p in classes[p.indices.max { p[$0] < p[$1] }!] }
    }
}
