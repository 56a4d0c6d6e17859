import CLapacke

/// Eigendecomposition of a real symmetric matrix through LAPACK `dsyevr`: A = V diag(λ) Vᵀ, λ ascending.
/// Every symmetric matrix function (sqrt, inverse sqrt, log, exp, power) goes through `apply`, so there is one
/// numerical path for all of them.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues, ascending, `[n]`.
    public let values: [Double]
    /// Eigenvectors as columns, row-major `[n × n]`.
    public let vectors: Matrix

    /// Decomposes `matrix` (only its upper triangle is read). Throws if it is not square or LAPACK fails.
    public init(_ matrix: Matrix) throws {
        guard matrix.rows == matrix.cols else {
            throw RuntimeFailure(context: "SymmetricEigen", message: "matrix is \(matrix.rows)×\(matrix.cols), expected square")
        }
        let n = matrix.rows
        var a = matrix.storage
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * n)
        var isuppz = [Int32](repeating: 0, count: 2 * max(n, 1))
        var found: Int32 = 0
        let info = LAPACKE_dsyevr(
            neuropipe_lapack_row_major(), Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "A")), Int8(UInt8(ascii: "U")),
            Int32(n), &a, Int32(n), 0, 0, 0, 0, 0, &found, &w, &z, Int32(n), &isuppz)
        guard info == 0 else {
            throw RuntimeFailure(context: "LAPACKE_dsyevr", message: "failed with info = \(info)")
        }
        values = w
        vectors = Matrix(rows: n, cols: n, storage: z)
    }

    /// V f(Λ) Vᵀ, `[n × n]`.
    public func apply(_ f: (Double) -> Double) -> Matrix {
        let n = values.count
        // scaled = V · diag(f(λ)); result = scaled · Vᵀ via dgemm.
        var scaled = vectors.storage
        for j in 0..<n {
            let fj = f(values[j])
            for i in 0..<n { scaled[i * n + j] *= fj }
        }
        var out = [Double](repeating: 0, count: n * n)
        if n > 0 {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(n),
                        1.0, scaled, Int32(n), vectors.storage, Int32(n), 0.0, &out, Int32(n))
        }
        return Matrix(rows: n, cols: n, storage: out)
    }
}

/// OpenBLAS thread count: loops over many small matrices run faster with one BLAS thread per task.
public enum BLASThreads {
    public static var current: Int { Int(openblas_get_num_threads()) }
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
}
