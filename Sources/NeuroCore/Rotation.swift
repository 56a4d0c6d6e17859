import CLapacke

/// The orthonormal matrix nearest to a 3×3 matrix `m` (polar decomposition through LAPACK `dgesvd`: U Vᵀ).
public func nearestOrthonormal3x3(_ m: [[Double]]) throws -> [[Double]] {
    var a = m.flatMap { $0 }
    var s = [Double](repeating: 0, count: 3), u = [Double](repeating: 0, count: 9), vt = [Double](repeating: 0, count: 9)
    var superb = [Double](repeating: 0, count: 2)
    let info = LAPACKE_dgesvd(neuropipe_lapack_row_major(), Int8(UInt8(ascii: "A")), Int8(UInt8(ascii: "A")), 3, 3,
                              &a, 3, &s, &u, 3, &vt, 3, &superb)
    guard info == 0 else { throw RuntimeFailure(context: "LAPACKE_dgesvd", message: "failed with info = \(info)") }
    var out = [[Double]](repeating: [0, 0, 0], count: 3)
    for i in 0..<3 {
        for j in 0..<3 {
            var sum = 0.0
            for k in 0..<3 { sum += u[i * 3 + k] * vt[k * 3 + j] }
            out[i][j] = sum
        }
    }
    return out
}

/// Unit quaternion (w, x, y, z) with w ≥ 0 of a rotation matrix, by the Bar-Itzhack eigenvector method
/// (as nibabel's `mat2quat`), through `SymmetricEigen`.
public func quaternion(fromRotation m: [[Double]]) throws -> (w: Double, x: Double, y: Double, z: Double) {
    let (qxx, qyx, qzx) = (m[0][0], m[0][1], m[0][2])
    let (qxy, qyy, qzy) = (m[1][0], m[1][1], m[1][2])
    let (qxz, qyz, qzz) = (m[2][0], m[2][1], m[2][2])
    let lower: [[Double]] = [
        [qxx - qyy - qzz, 0, 0, 0],
        [qyx + qxy, qyy - qxx - qzz, 0, 0],
        [qzx + qxz, qzy + qyz, qzz - qxx - qyy, 0],
        [qyz - qzy, qzx - qxz, qxy - qyx, qxx + qyy + qzz],
    ]
    var k = Matrix(rows: 4, cols: 4)
    for i in 0..<4 { for j in 0...i { k[i, j] = lower[i][j] / 3; k[j, i] = lower[i][j] / 3 } }
    let e = try SymmetricEigen(k)
    let best = e.values.indices.max { e.values[$0] < e.values[$1] }!
    var q = (w: e.vectors[3, best], x: e.vectors[0, best], y: e.vectors[1, best], z: e.vectors[2, best])
    if q.w < 0 { q = (-q.w, -q.x, -q.y, -q.z) }
    return q
}
