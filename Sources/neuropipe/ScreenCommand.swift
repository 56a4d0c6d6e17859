import ArgumentParser
import Foundation
import NeuroCore
import NeuroIO
import NeuroScreen

struct ScreenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screen", abstract: "Rank features (voxels, edges, spectral features) by their association with an outcome (Pearson or mutual information).",
        discussion: """
        --features takes an HDF5 file with /X [samples × features] (streamed in column blocks), a TSV with one row \
        per sample (participant_id optional), or a glob of 3-D NIfTI images (one per participant) with --mask. \
        --outcome is TABLE.tsv:COLUMN (e.g. participants.tsv:group); samples are matched by participant_id when \
        both sides have ids. fftkde with --bandwidth 1 reproduces fastHDMI 1.25 (which never passes its computed \
        bandwidth to KDEpy); the default Silverman bandwidth is per axis. Writes RANKING.tsv and RANKING.json \
        (every setting), and for NIfTI inputs RANKING.nii.gz with the score of every voxel.
        """)

    @Option(help: "Features: X.h5, X.tsv, or a quoted glob of NIfTI images (then --mask).") var features: String
    @Option(help: "Mask image for NIfTI features (non-zero voxels are screened).") var mask: String?
    @Option(help: "Outcome: TABLE.tsv:COLUMN, or a TSV with one value column.") var outcome: String
    @Option(help: "continuous, binary or categorical (default: inferred from the values).") var outcomeType: String?
    @Option(help: "pearson, binning, fftkde or ksg.") var method: String
    @Option(help: "FFT-KDE bandwidth: silverman, scott, isj, or a number (robust-scaled units).") var bandwidth: String = "silverman"
    @Option(help: "FFT-KDE grid points per axis (default 300 for a continuous outcome, 500 per class otherwise).") var grid: Int?
    @Option(help: "Binning: fixed bin count (default: Birgé–Rozenholc per variable).") var bins: Int?
    @Option(help: "KSG neighbours.") var k: Int = 3
    @Option(help: "Keep only the best K features in the ranking table.") var top: Int?
    @Option(help: "Keep only features scoring at least this.") var threshold: Double?
    @Option(help: "Outcome permutations for family-wise (max-statistic) p-values.") var permutations: Int = 0
    @Option(help: "Comma-separated columns of the outcome table to regress out of every feature first (e.g. age,sex).") var covariates: String?
    @Option(help: "Seed for permutations and KSG tie-breaking noise.") var seed: UInt64 = 0
    @Option(help: "Features read and scored per block (memory ≈ block × samples × 24 bytes).") var blockSize: Int = 2048
    @Option(help: "Ranking TSV to write (its .json sidecar and, for NIfTI inputs, .nii.gz map go beside it).") var out: String
    @OptionGroup var json: JSONOption

    func validate() throws {
        guard ScreeningMethod(rawValue: method) != nil else {
            throw ValidationError("--method must be one of \(ScreeningMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let outcomeType, OutcomeKind(rawValue: outcomeType) == nil {
            throw ValidationError("--outcome-type must be one of \(OutcomeKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard BandwidthRule(bandwidth) != nil else { throw ValidationError("--bandwidth must be silverman, scott, isj or a positive number, got '\(bandwidth)'") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        guard permutations >= 0 else { throw ValidationError("--permutations must be ≥ 0") }
        guard blockSize >= 1 else { throw ValidationError("--block-size must be at least 1") }
        guard out.hasSuffix(".tsv") else { throw ValidationError("--out must name a .tsv file (the sidecar is written beside it as .json)") }
    }

    func run() throws {
        try runReportingErrors(json: json.json) {
            let outDirectory = (out as NSString).deletingLastPathComponent.isEmpty ? "." : (out as NSString).deletingLastPathComponent
            try OutputLocation.requireWritableFile(out)
            let source = try openFeatures(scratch: outDirectory)
            let names = (covariates ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let options = ScreeningOptions(method: ScreeningMethod(rawValue: method)!, bandwidth: BandwidthRule(bandwidth)!, grid: grid, bins: bins,
                                           neighbours: k, seed: seed)
            let job = ScreeningJob(source: source, outcome: try OutcomeTable(spec: outcome), outcomeKind: outcomeType.flatMap(OutcomeKind.init),
                                   covariates: names, options: options, permutations: permutations, blockSize: blockSize,
                                   selection: ScreeningSelection(top: top, threshold: threshold))
            let showProgress = isatty(2) != 0 && !json.json
            let written = try job.run(rankingPath: out) { done, total in
                guard showProgress else { return }
                let bar = String(repeating: "#", count: 30 * done / max(1, total)).padding(toLength: 30, withPad: ".", startingAt: 0)
                FileHandle.standardError.write("\r[\(bar)] \(done)/\(total) features   \(done == total ? "\n" : "")".data(using: .utf8)!)
            }
            let (result, selected, mapPath) = (written.result, written.selected, written.mapPath)
            let base = String(out.dropLast(4))
            let best = selected.prefix(10).map { j in
                JSONValue.object([("feature", .string(source.featureName(j))), ("score", .finite(result.scores[j]))] +
                                 (result.pValues.map { [("p_value", JSONValue.finite($0[j]))] } ?? []))
            }
            let summary = JSONValue.object([("ranking", .string(out)), ("sidecar", .string(base + ".json")), ("map", mapPath.map { .string($0) } ?? .null),
                                            ("method", .string(method)), ("samples", .int(result.sampleCount)), ("features", .int(source.featureCount)),
                                            ("written", .int(selected.count)), ("top", .array(best))])
            let lead = selected.first.map { "best \(source.featureName($0)) (\(String(format: "%.4g", result.scores[$0])))" } ?? "no feature selected"
            printResult(json: json.json, summary, "\(method): \(source.featureCount) features × \(result.sampleCount) samples; \(lead); wrote \(out)")
        }
    }

    /// The feature source named by --features (and --mask).
    func openFeatures(scratch: String) throws -> FeatureSource {
        let lower = features.lowercased()
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { return try HDF5FeatureSource(path: features) }
        if lower.hasSuffix(".tsv") { return try TSVFeatureSource(path: features) }
        if lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") {
            guard let mask else { throw InputError(file: features, field: "--mask", message: "NIfTI features need --mask (which voxels to screen)") }
            let paths = try expandGlob(features, option: "--features")
            return try NIfTIFeatureSource(paths: paths, mask: mask, scratchDirectory: scratch)
        }
        throw InputError(file: features, field: "--features", message: "unrecognised kind; expected .h5/.hdf5, .tsv, or .nii/.nii.gz images")
    }
}
