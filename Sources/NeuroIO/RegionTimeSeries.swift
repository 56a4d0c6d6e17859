import Foundation
import NeuroCore

/// Mean time series of each labelled region of a 4-D image, as nilearn's `NiftiLabelsMasker` (strategy "mean",
/// background label 0, no standardisation or detrending) when the atlas is on the image's grid. NeuroPipe does not
/// resample: an atlas with another shape or affine is an error naming both.
public enum RegionTimeSeries {
    /// Labels (ascending, background 0 excluded) and `[regions × timepoints]`.
    public static func extract(image path: String, atlas atlasPath: String) throws -> (labels: [Int], series: Matrix, tr: Double?) {
        let image = try NIfTIReader(path: path), atlas = try NIfTIReader(path: atlasPath)
        let grid = Array(image.header.shape.prefix(3)), atlasGrid = Array(atlas.header.shape.prefix(3))
        guard grid == atlasGrid, atlas.volumeCount == 1 else {
            throw InputError(file: atlasPath, field: "dim", message: "atlas grid \(atlasGrid) × \(atlas.volumeCount) volume(s) does not match the image \(path) grid \(grid); expected one 3-D volume on the same grid (NeuroPipe does not resample)")
        }
        let (a, b) = (image.affine, atlas.affine)
        let mismatch = zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 0
        guard mismatch <= 1e-3 else {
            throw InputError(file: atlasPath, field: "affine", message: "differs from the image \(path) affine by up to \(mismatch) mm; expected the same grid (NeuroPipe does not resample)")
        }
        let labelValues = try atlas.readVolume(0)
        var members = [Int: [Int]]()
        for (v, value) in labelValues.enumerated() where value.isFinite {
            let label = Int(value.rounded())
            if label != 0 { members[label, default: []].append(v) }
        }
        guard !members.isEmpty else { throw InputError(file: atlasPath, field: "data", message: "has no non-zero labels") }
        let labels = members.keys.sorted()
        let voxels = labels.flatMap { members[$0]! }
        let data = try image.voxelTimeMatrix(voxels: voxels)
        let t = data.cols
        var series = Matrix(rows: labels.count, cols: t)
        var row = 0
        for (r, label) in labels.enumerated() {
            let count = members[label]!.count
            for _ in 0..<count {
                for k in 0..<t { series.storage[r * t + k] += data.storage[row * t + k] }
                row += 1
            }
            for k in 0..<t { series.storage[r * t + k] /= Double(count) }
        }
        return (labels, series, image.trSeconds)
    }
}
