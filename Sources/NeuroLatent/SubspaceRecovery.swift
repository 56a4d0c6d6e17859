import Foundation
import CLapacke
import NeuroCore

/// How well estimated latents `[k × T]` recover true ones `[k × T]` (synthetic data).
public enum SubspaceRecovery {
    /// Canonical correlations between the two row spaces (cosines of the principal angles after centring each row):
    /// 1 means the true latent space is spanned exactly, whatever rotation the model chose. Ascending order not
    /// guaranteed; `k` values.
    public static func canonicalCorrelations(_ truth: Matrix, _ estimate: Matrix) throws -> [Double] {
        let qa = try orthonormalRows(truth), qb = try orthonormalRows(estimate)
        let c = Matrix.product(qa, qb, transposeB: true)  // [ka × kb]
        var work = c.storage
        let k = min(c.rows, c.cols)
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: c.rows * c.rows), vt = [Double](repeating: 0, count: c.cols * c.cols)
        let info = LAPACKE_dgesdd(neuropipe_lapack_row_major(), Int8(UInt8(ascii: "N")), Int32(c.rows), Int32(c.cols), &work, Int32(c.cols), &s,
                                  &u, Int32(c.rows), &vt, Int32(c.cols))
        guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dgesdd", message: "SVD failed with info = \(info)") }
        return s.map { min(1, $0) }
    }

    /// |Pearson correlation| of each true latent with the estimated latent the Hungarian assignment pairs it with
    /// (maximising the total); meaningful when the model's latents are not rotated (e.g. GP models, or after
    /// Procrustes alignment).
    public static func matchedCorrelations(_ truth: Matrix, _ estimate: Matrix) -> [Double] {
        let k = truth.rows
        var score = [[Double]](repeating: [Double](repeating: 0, count: estimate.rows), count: k)
        for i in 0..<k {
            for j in 0..<estimate.rows {
                score[i][j] = abs(TimeSegmentMatching.pearson(Array(truth.row(i)), Array(estimate.row(j))) ?? 0)
            }
        }
        let assignment = hungarianMaximum(score)
        return (0..<k).map { assignment[$0] >= 0 ? score[$0][assignment[$0]] : 0 }
    }

    /// Row-centred, then rows orthonormalised (Q of the QR of the transpose): `[k × T]`.
    static func orthonormalRows(_ m: Matrix) throws -> Matrix {
        var centred = m
        for r in 0..<m.rows {
            let mean = m.row(r).reduce(0, +) / Double(m.cols)
            for c in 0..<m.cols { centred[r, c] -= mean }
        }
        var a = centred.transposed.storage  // [T × k] row-major
        let (t, k) = (m.cols, m.rows)
        var tau = [Double](repeating: 0, count: k)
        guard LAPACKE_dgeqrf(neuropipe_lapack_row_major(), Int32(t), Int32(k), &a, Int32(k), &tau) == 0,
              LAPACKE_dorgqr(neuropipe_lapack_row_major(), Int32(t), Int32(k), Int32(k), &a, Int32(k), tau) == 0 else {
            throw RuntimeFailure(context: "LAPACKE_dgeqrf", message: "QR failed")
        }
        return Matrix(rows: t, cols: k, storage: a).transposed
    }

    /// Assignment of rows to distinct columns maximising the summed score (Hungarian algorithm, O(n³)); −1 for a
    /// row left unassigned when there are fewer columns than rows.
    static func hungarianMaximum(_ score: [[Double]]) -> [Int] {
        let rows = score.count, cols = score.first?.count ?? 0
        let n = max(rows, cols)
        let big = (score.flatMap { $0 }.max() ?? 0)
        // Minimise cost = big − score on a square matrix padded with zeros-cost (= big − 0 … treated as neutral).
        var cost = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n + 1)
        for i in 0..<n { for j in 0..<n { cost[i + 1][j + 1] = (i < rows && j < cols) ? big - score[i][j] : big } }
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
        var p = [Int](repeating: 0, count: n + 1), way = [Int](repeating: 0, count: n + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...n where !used[j] {
                    let cur = cost[i0][j] - u[i0] - v[j]
                    if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...n {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var assignment = [Int](repeating: -1, count: rows)
        for j in 1...n where p[j] >= 1 && p[j] <= rows && j <= cols { assignment[p[j] - 1] = j - 1 }
        return assignment
    }
}
