import Foundation
import NeuroCore

/// Functional connectivity matrices from region time series, as nilearn's `ConnectivityMeasure` computes them.
public enum Connectome {
    /// Partial correlation `[regions × regions]` of `x` `[regions × timepoints]`: Ledoit–Wolf covariance
    /// (scikit-learn's, on the raw series), its inverse P, then −P_ij/√(P_ii·P_jj) with 1 on the diagonal —
    /// nilearn's `ConnectivityMeasure(kind="partial correlation")` with its default estimator.
    public static func partialCorrelation(_ x: Matrix) throws -> Matrix {
        guard x.rows >= 2, x.cols >= 2 else {
            throw InputError(file: "", field: "timeseries", message: "partial correlation needs at least 2 regions and 2 timepoints, got \(x.rows) × \(x.cols)")
        }
        let (covariance, _) = ShrinkageCovariance.ledoitWolf(x)
        let eigen = try SymmetricEigen(covariance)
        guard let smallest = eigen.values.min(), smallest > 0 else {
            throw InputError(file: "", field: "timeseries", message: "the shrunk covariance is singular (a constant region?); partial correlation is undefined")
        }
        let precision = eigen.apply { 1 / $0 }
        var out = Matrix(rows: x.rows, cols: x.rows)
        for i in 0..<x.rows {
            for j in 0..<x.rows {
                out[i, j] = i == j ? 1 : -precision[i, j] / (precision[i, i] * precision[j, j]).squareRoot()
            }
        }
        return out
    }
}
