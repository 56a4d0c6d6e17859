import Foundation
import NeuroCore
import NeuroDSP
import NeuroIO
import NeuroLearn

/// Region time series as a TSV: one row per volume, one column per region ("region-<label>").
func readRegionTable(_ path: String) throws -> (names: [String], series: Matrix) {
    let table = try TSVTable(path: path)
    let t = table.rows.count, r = table.header.count
    guard t >= 2, r >= 1 else { throw InputError(file: path, field: "rows", message: "expected a header of regions and at least 2 volumes, got \(r) × \(t)") }
    var m = Matrix(rows: r, cols: t)
    for (k, row) in table.rows.enumerated() {
        for c in 0..<r {
            guard let v = Double(row[c]), v.isFinite else { throw InputError(file: path, field: table.header[c], message: "row \(k + 2): '\(row[c])' is not a finite number") }
            m[c, k] = v
        }
    }
    return (table.header, m)
}

let regionTimeSeriesStage = StageType(
    name: "roi-timeseries", version: "1", level: .participant,
    summary: "Mean time series of each atlas region of a 4-D NIfTI image (nilearn NiftiLabelsMasker, strategy mean; the atlas must be on the image's grid).",
    inputs: [StagePort(name: "image", file: "", help: "4-D NIfTI (inputs: datatype func, suffix bold, extensions [.nii.gz, .nii])")],
    outputs: [StagePort(name: "timeseries", file: "timeseries.tsv", help: "one row per volume, one column per region (region-<label>)")],
    parameters: [StageParameter(name: "atlas", defaultValue: .null, unit: "", help: "3-D label image on the same grid (relative to the spec's folder or the dataset root)", kind: .file)]) { ctx in
    guard let atlas = ctx.string("atlas") else { throw InputError(file: "", field: "with.atlas", message: "give the atlas (a 3-D label image on the images' grid)") }
    let (labels, series, _) = try RegionTimeSeries.extract(image: ctx.inputs["image"]![0], atlas: atlas)
    try TableWriter.writeTSV(header: labels.map { "region-\($0)" },
                             rows: (0..<series.cols).map { t in (0..<series.rows).map { TableWriter.cell(series[$0, t]) } }, to: ctx.output("timeseries.tsv"))
}

let partialCorrelationStage = StageType(
    name: "partial-correlation", version: "1", level: .participant,
    summary: "Partial correlation between every pair of regions from the Ledoit-Wolf precision (nilearn ConnectivityMeasure kind 'partial correlation').",
    inputs: [StagePort(name: "timeseries", file: "", help: "roi-timeseries output")],
    outputs: [StagePort(name: "table", file: "partial_correlation.tsv", help: "region_a, region_b, partial_correlation (each pair once)")],
    parameters: []) { ctx in
    let (names, x) = try readRegionTable(ctx.inputs["timeseries"]![0])
    let p = try Connectome.partialCorrelation(x)
    var rows = [[String]]()
    for i in 0..<names.count { for j in (i + 1)..<max(i + 1, names.count) { rows.append([names[i], names[j], TableWriter.cell(p[i, j])]) } }
    try TableWriter.writeTSV(header: ["region_a", "region_b", "partial_correlation"], rows: rows, to: ctx.output("partial_correlation.tsv"))
}

let recurrenceStage = StageType(
    name: "rqa", version: "1", level: .participant,
    summary: "Recurrence quantification of each region's series (pyunicorn RecurrencePlot conventions): recurrence rate, determinism, mean diagonal line, laminarity, trapping time.",
    inputs: [StagePort(name: "timeseries", file: "", help: "roi-timeseries output")],
    outputs: [StagePort(name: "table", file: "rqa.tsv", help: "one row per region")],
    parameters: [StageParameter(name: "dimension", defaultValue: .int(3), unit: "", help: "embedding dimension"),
                 StageParameter(name: "delay", defaultValue: .int(1), unit: "samples", help: "embedding delay (volumes)"),
                 StageParameter(name: "threshold", defaultValue: .number(0.5), unit: "SD", help: "recurrence threshold in standard deviations of the series (pyunicorn threshold_std)", kind: .number),
                 StageParameter(name: "metric", defaultValue: .string("supremum"), unit: "", help: "supremum, euclidean or manhattan"),
                 StageParameter(name: "min_line", defaultValue: .int(2), unit: "samples", help: "minimal diagonal and vertical line length")]) { ctx in
    let (names, x) = try readRegionTable(ctx.inputs["timeseries"]![0])
    var s = RecurrenceQuantification.Settings()
    (s.dimension, s.delay, s.threshold) = (ctx.int("dimension") ?? 3, ctx.int("delay") ?? 1, ctx.double("threshold") ?? 0.5)
    (s.minDiagonal, s.minVertical) = (ctx.int("min_line") ?? 2, ctx.int("min_line") ?? 2)
    guard let metric = RecurrenceQuantification.Metric(rawValue: ctx.string("metric") ?? "supremum") else {
        throw InputError(file: "", field: "with.metric", message: "must be supremum, euclidean or manhattan")
    }
    s.metric = metric
    let rows = try names.indices.map { r -> [String] in
        let m = try RecurrenceQuantification.measures(Array(x.row(r)), settings: s)
        return [names[r]] + [m.recurrenceRate, m.determinism, m.averageDiagonal, m.laminarity, m.trappingTime].map(TableWriter.cell)
    }
    try TableWriter.writeTSV(header: ["region", "recurrence_rate", "determinism", "mean_diagonal_line", "laminarity", "trapping_time"], rows: rows, to: ctx.output("rqa.tsv"))
}
