import Foundation
import NeuroCore
import NeuroIO

/// Which ranked features the ranking table keeps: the best `top`, those scoring at least `threshold`, both, or all.
public struct ScreeningSelection: Sendable, Equatable {
    public var top: Int?
    public var threshold: Double?
    public init(top: Int? = nil, threshold: Double? = nil) {
        self.top = top
        self.threshold = threshold
    }

    /// The selected feature indices, best first.
    public func apply(to result: ScreeningResult) -> [Int] {
        var order = result.ranking
        if let threshold { order = order.filter { result.scores[$0] >= threshold } }
        if let top { order = Array(order.prefix(top)) }
        return order
    }
}

/// The files `neuropipe screen` writes: the ranking TSV (data-schemas/tsv-tables.json, "screen-ranking"), its JSON
/// sidecar with every setting (data-schemas/screen-sidecar.schema.json), and for voxel inputs a NIfTI score map.
public enum ScreeningOutputs {
    /// Columns: feature, score, rank (1 = strongest), then p_value when permutations ran, then r and gaussian_mi
    /// for Pearson screening. Rows in rank order.
    public static func rankingTable(_ result: ScreeningResult, names: (Int) -> String, selected: [Int]) -> (header: [String], rows: [[String]]) {
        var header = ["feature", "score", "rank"]
        if result.pValues != nil { header.append("p_value") }
        if result.statistics != nil { header += ["r", "gaussian_mi"] }
        var rankOf = [Int: Int]()
        for (i, j) in result.ranking.enumerated() { rankOf[j] = i + 1 }
        let rows = selected.map { j -> [String] in
            var row = [sanitised(names(j)), TableWriter.cell(result.scores[j]), "\(rankOf[j]!)"]
            if let p = result.pValues { row.append(TableWriter.cell(p[j])) }
            if let r = result.statistics { row += [TableWriter.cell(r[j]), TableWriter.cell(PearsonScorer.gaussianMI(r: r[j]))] }
            return row
        }
        return (header, rows)
    }

    /// Feature names cannot break the table: tabs and newlines become spaces.
    static func sanitised(_ name: String) -> String {
        String(name.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    public static func writeRanking(_ result: ScreeningResult, names: (Int) -> String, selected: [Int], to path: String) throws {
        let (header, rows) = rankingTable(result, names: names, selected: selected)
        try TableWriter.writeTSV(header: header, rows: rows, to: path)
    }

    /// The sidecar: inputs, every option, counts, and (with permutations) the null maxima's quantiles.
    public static func sidecar(result: ScreeningResult, request: ScreeningRequest, selection: ScreeningSelection, selectedCount: Int,
                               features: FeatureSource, outcome: OutcomeTable?, outcomeKind: OutcomeKind, classLabels: [String],
                               covariates: [String], elapsedSeconds: Double) -> JSONValue {
        let o = request.options
        var method: [(String, JSONValue)] = [("name", .string(o.method.rawValue))]
        switch o.method {
        case .pearson: method.append(("score", .string("|r|")))
        case .binning: method.append(("bins", o.bins.map { .int($0) } ?? .string("birge-rozenholc")))
        case .fftkde:
            method += [("kernel", .string("epanechnikov")), ("bandwidth", .string(o.bandwidth.description)),
                       ("grid", .int(o.grid ?? (outcomeKind == .continuous ? 300 : 500))),
                       ("scaling", .string("robust (median, IQR)"))]
        case .ksg: method += [("k", .int(o.neighbours)), ("seed", .int(Int(truncatingIfNeeded: o.seed)))]
        }
        var permutation: [(String, JSONValue)] = [("count", .int(request.permutations))]
        if request.permutations > 0 {
            permutation.append(("seed", .int(Int(truncatingIfNeeded: o.seed))))
            let sorted = result.permutationMaxima.sorted()
            permutation.append(("max_statistic_95th", .finite(ScreeningStatistics.percentile(sorted: sorted, 95))))
        }
        var selectionJSON: [(String, JSONValue)] = [("written", .int(selectedCount))]
        if let top = selection.top { selectionJSON.append(("top", .int(top))) }
        if let threshold = selection.threshold { selectionJSON.append(("threshold", .finite(threshold))) }
        var outcomeJSON: [(String, JSONValue)] = [("kind", .string(outcomeKind.rawValue))]
        if let outcome {
            outcomeJSON += [("source", .string(outcome.path)), ("column", .string(outcome.column))]
        }
        if !classLabels.isEmpty { outcomeJSON.append(("classes", .array(classLabels.map { .string($0) }))) }
        return .object([
            ("neuropipe_version", .string(NeuroPipeVersion.current)),
            ("method", .object(method)),
            ("features", .object([("source", .string(features.origin)), ("count", .int(features.featureCount)),
                                  ("with_missing_values", .int(result.featuresWithMissing))])),
            ("samples", .int(result.sampleCount)),
            ("outcome", .object(outcomeJSON)),
            ("covariates", .array(covariates.map { .string($0) })),
            ("permutations", .object(permutation)),
            ("selection", .object(selectionJSON)),
            ("elapsed_seconds", .finite((elapsedSeconds * 1000).rounded() / 1000)),
        ])
    }

    /// Scores of a voxel screening as a 3-D float32 NIfTI on the input grid (0 outside the mask, NaN scores as 0).
    public static func writeScoreMap(_ result: ScreeningResult, source: NIfTIFeatureSource, to path: String) throws {
        var volume = [Double](repeating: 0, count: source.shape.reduce(1, *))
        for (j, v) in source.voxels.enumerated() where result.scores[j].isFinite { volume[v] = result.scores[j] }
        var options = NIfTIWriter.Options()
        options.description = "NeuroPipe screen scores"
        try NIfTIWriter.write(volume, shape: source.shape, affine: source.affine, to: path, options: options)
    }
}

/// A whole screening as the CLI verb and the pipeline stage run it: align the outcome (and covariates) to the
/// features, screen, select, and write RANKING.tsv, RANKING.json and (voxel features) RANKING.nii.gz.
public struct ScreeningJob {
    public var source: FeatureSource
    public var outcome: OutcomeTable
    public var outcomeKind: OutcomeKind?
    public var covariates: [String]
    public var options: ScreeningOptions
    public var permutations: Int
    public var blockSize: Int
    public var selection: ScreeningSelection

    public init(source: FeatureSource, outcome: OutcomeTable, outcomeKind: OutcomeKind? = nil, covariates: [String] = [], options: ScreeningOptions,
                permutations: Int = 0, blockSize: Int = 2048, selection: ScreeningSelection = ScreeningSelection()) {
        self.source = source
        self.outcome = outcome
        self.outcomeKind = outcomeKind
        self.covariates = covariates
        self.options = options
        self.permutations = permutations
        self.blockSize = blockSize
        self.selection = selection
    }

    public struct Written {
        public var result: ScreeningResult
        public var selected: [Int]
        public var sidecar: JSONValue
        public var mapPath: String?
    }

    /// `rankingPath` must end in .tsv; the sidecar and map take its name with .json / .nii.gz.
    public func run(rankingPath: String, progress: ((Int, Int) -> Void)? = nil) throws -> Written {
        let started = Date()
        let (y, rows) = try outcome.align(to: source, kind: outcomeKind)
        let covariateMatrix = covariates.isEmpty ? nil : try outcome.covariates(covariates, for: source)
        let request = ScreeningRequest(options: options, rows: rows, covariates: covariateMatrix?.matrix, permutations: permutations, blockSize: blockSize)
        let result = try FeatureScreening.run(source: source, outcome: y, request: request, progress: progress)
        let selected = selection.apply(to: result)
        try ScreeningOutputs.writeRanking(result, names: source.featureName, selected: selected, to: rankingPath)
        let base = String(rankingPath.dropLast(4))
        let sidecar = ScreeningOutputs.sidecar(result: result, request: request, selection: selection, selectedCount: selected.count,
                                               features: source, outcome: outcome, outcomeKind: y.kind, classLabels: y.classLabels,
                                               covariates: covariateMatrix?.columns ?? [], elapsedSeconds: Date().timeIntervalSince(started))
        try TableWriter.writeJSON(sidecar, to: base + ".json")
        var mapPath: String? = nil
        if let voxels = source as? NIfTIFeatureSource {
            mapPath = base + ".nii.gz"
            try ScreeningOutputs.writeScoreMap(result, source: voxels, to: mapPath!)
        }
        return Written(result: result, selected: selected, sidecar: sidecar, mapPath: mapPath)
    }
}
