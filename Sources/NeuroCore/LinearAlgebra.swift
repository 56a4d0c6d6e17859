import CLapacke

extension Matrix {
    /// op(A)·op(B) through BLAS `dgemm` (op = transpose when the flag is set).
    public static func product(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        let (m, k) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
        let (k2, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
        precondition(k == k2, "inner dimensions \(k) and \(k2) differ")
        var out = Matrix(rows: m, cols: n)
        if m > 0 && n > 0 && k > 0 {
            cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a.storage, Int32(a.cols), b.storage, Int32(b.cols), 0, &out.storage, Int32(n))
        }
        return out
    }

    /// A·B·A for symmetric A (the congruence used by SPD geometry).
    public static func congruence(_ a: Matrix, _ b: Matrix) -> Matrix { product(product(a, b), a) }

    public var trace: Double { (0..<Swift.min(rows, cols)).reduce(0) { $0 + self[$1, $1] } }
    public var frobeniusNorm: Double { storage.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// (A + Aᵀ)/2, removing rounding asymmetry before an eigendecomposition.
    public var symmetrized: Matrix {
        var out = self
        let (r, c) = (rows, cols)
        out.storage.withUnsafeMutableBufferPointer { o in
            for i in 0..<r {
                for j in (i + 1)..<Swift.max(i + 1, c) {
                    let v = (o[i * c + j] + o[j * c + i]) / 2
                    o[i * c + j] = v
                    o[j * c + i] = v
                }
            }
        }
        return out
    }

    public static func + (a: Matrix, b: Matrix) -> Matrix { Matrix(rows: a.rows, cols: a.cols, storage: zip(a.storage, b.storage).map(+)) }
    public static func - (a: Matrix, b: Matrix) -> Matrix { Matrix(rows: a.rows, cols: a.cols, storage: zip(a.storage, b.storage).map(-)) }
    public static func * (s: Double, a: Matrix) -> Matrix { Matrix(rows: a.rows, cols: a.cols, storage: a.storage.map { $0 * s }) }
}

/// Runs `body` with OpenBLAS limited to one thread (many small matrices in parallel tasks are faster that way),
/// restoring the previous setting afterwards.
public func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
    let previous = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(previous) }
    return try body()
}
