import CLapacke
import NeuroCore
import NeuroLearn

/// The small dense helpers the shared-response models need, all through LAPACK.
enum LatentLinearAlgebra {
    /// The orthonormal factor U·Vᵀ of the thin SVD of `a` `[m × n]`, m ≥ n (the nearest matrix with orthonormal
    /// columns, as BrainIAK's W update computes it), via LAPACK `dgesdd`.
    static func polarFactor(_ a: Matrix) throws -> Matrix {
        let (m, n) = (a.rows, a.cols)
        var work = a.storage
        let k = min(m, n)
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: m * k)
        var vt = [Double](repeating: 0, count: k * n)
        let info = LAPACKE_dgesdd(neuropipe_lapack_row_major(), Int8(UInt8(ascii: "S")), Int32(m), Int32(n), &work, Int32(n), &s,
                                  &u, Int32(k), &vt, Int32(n))
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dgesdd", message: "SVD failed with info = \(info)") }
        return Matrix.product(Matrix(rows: m, cols: k, storage: u), Matrix(rows: k, cols: n, storage: vt))
    }

    /// Inverse and log-determinant of a symmetric positive definite `a` (Cholesky: LAPACK `dpotrf` + `dpotri`).
    /// A symmetric matrix is its own transpose, so it goes to LAPACK column-major as it is (row-major would make
    /// LAPACKE copy and transpose it twice).
    static func spdInverse(_ a: Matrix) throws -> (inverse: Matrix, logDeterminant: Double) {
        let n = a.rows
        var f = a.storage
        var info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), &f, Int32(n))
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dpotrf", message: "matrix is not positive definite (info = \(info))") }
        var logDet = 0.0
        for i in 0..<n { logDet += 2 * log(f[i * n + i]) }
        info = LAPACKE_dpotri(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), &f, Int32(n))
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dpotri", message: "inverse failed (info = \(info))") }
        // Column-major lower triangle = row-major upper triangle: mirror it into the lower one.
        f.withUnsafeMutableBufferPointer { fb in
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { fb[j * n + i] = fb[i * n + j] } }
        }
        return (Matrix(rows: n, cols: n, storage: f), logDet)
    }

    /// Inverse of a square matrix (LU: LAPACK `dgetrf` + `dgetri`).
    static func generalInverse(_ a: Matrix) throws -> Matrix {
        let n = a.rows
        var f = a.storage
        var pivots = [Int32](repeating: 0, count: n)
        guard LAPACKE_dgetrf(neuropipe_lapack_row_major(), Int32(n), Int32(n), &f, Int32(n), &pivots) == 0,
              LAPACKE_dgetri(neuropipe_lapack_row_major(), Int32(n), &f, Int32(n), pivots) == 0 else {
            throw RuntimeFailure(context: "LAPACKE_dgetrf", message: "matrix is singular")
        }
        return Matrix(rows: n, cols: n, storage: f)
    }

    /// The lower Cholesky factor L of a symmetric positive definite `a` (a = L Lᵀ, LAPACK `dpotrf`).
    static func choleskyLower(_ a: Matrix) throws -> Matrix {
        let n = a.rows
        var f = a.storage
        let info = LAPACKE_dpotrf(neuropipe_lapack_row_major(), Int8(UInt8(ascii: "L")), Int32(n), &f, Int32(n))
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dpotrf", message: "matrix is not positive definite (info = \(info))") }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { f[i * n + j] = 0 } }
        return Matrix(rows: n, cols: n, storage: f)
    }

    /// A `[m × k]` matrix with orthonormal columns: Q of the QR factorisation (LAPACK `dgeqrf` + `dorgqr`) of a
    /// uniform random matrix drawn from `rng` (BrainIAK draws its initial W the same way from NumPy's generator).
    static func randomOrthonormal(rows m: Int, cols k: Int, rng: inout SplitMix) throws -> Matrix {
        var a = (0..<(m * k)).map { _ in rng.uniform() }
        var tau = [Double](repeating: 0, count: k)
        guard LAPACKE_dgeqrf(neuropipe_lapack_row_major(), Int32(m), Int32(k), &a, Int32(k), &tau) == 0,
              LAPACKE_dorgqr(neuropipe_lapack_row_major(), Int32(m), Int32(k), Int32(k), &a, Int32(k), tau) == 0 else {
            throw RuntimeFailure(context: "LAPACKE_dgeqrf", message: "QR of the initial loadings failed")
        }
        return Matrix(rows: m, cols: k, storage: a)
    }
}

import Foundation
