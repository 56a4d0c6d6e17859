import Foundation
import NeuroCore
import NeuroIO

/// The report of a pipeline run, built from its derivatives folder (what `neuropipe run --out` wrote): the run log,
/// participants, classification results (mean and per fold, with a warning when there are too few trials for the
/// numbers to mean much), group-average spectra with their spread, and the group tables.
public enum RunReport {
    /// Reads `derivatives` and returns the report; `participants` is the dataset's participants.tsv when known.
    public static func build(derivatives: String, participants: String? = nil) throws -> HTMLReport {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: derivatives, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError(file: derivatives, field: "derivatives", message: "is not a folder; expected the --out folder of `neuropipe run`")
        }
        let files = (fm.enumerator(atPath: derivatives)?.allObjects as? [String] ?? []).filter { !$0.hasPrefix(".") && !$0.contains("/.") }.sorted()
        let logs = files.filter { $0.hasPrefix("logs/run-") && $0.hasSuffix(".json") }
        guard let lastLog = logs.last else {
            throw InputError(file: derivatives, field: "logs", message: "has no logs/run-*.json; run `neuropipe run ... --out \(derivatives)` first")
        }
        let log = try JSONValue.parse(String(contentsOfFile: derivatives + "/" + lastLog, encoding: .utf8))
        let pipeline = log.member("pipeline")?.stringValue ?? "pipeline"
        var report = HTMLReport(title: "NeuroPipe report: \(pipeline)", subtitle: "Derivatives: \(derivatives)")

        // Run summary.
        let records = log.member("records")?.arrayValue ?? []
        var counts = [String: Int]()
        for r in records { counts[r.member("status")?.stringValue ?? "?", default: 0] += 1 }
        let units = Set(records.compactMap { $0.member("participant")?.stringValue })
        report.heading("Run")
        report.facts([("Pipeline", pipeline), ("Spec", log.member("spec")?.stringValue ?? ""), ("Stage runs", "\(records.count)"),
                      ("Status", counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
                      ("Recordings / scopes", "\(units.count)"), ("Log", lastLog)])
        let failures = records.filter { $0.member("status")?.stringValue == "failed" }
        if !failures.isEmpty {
            report.warning("\(failures.count) stage run(s) failed; their outputs are missing from this report.")
            report.table(header: ["stage", "participant", "error"], rows: failures.map {
                [$0.member("stage")?.stringValue ?? "", $0.member("participant")?.stringValue ?? "", $0.member("error")?.stringValue ?? ""]
            })
        }

        // Participants.
        if let participants, fm.fileExists(atPath: participants) {
            let table = try TSVTable(path: participants)
            report.heading("Participants")
            report.paragraph("\(table.rows.count) participant(s) in \(participants).")
            if let group = table.header.firstIndex(where: { ["group", "diagnosis", "dx"].contains($0.lowercased()) }) {
                var perGroup = [String: Int]()
                for row in table.rows { perGroup[row[group], default: 0] += 1 }
                report.table(header: [table.header[group], "participants"], rows: perGroup.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
            }
            report.table(header: table.header, rows: table.rows, limit: 50)
        }

        // Classification results.
        for path in files where path.hasPrefix("group/") && path.hasSuffix("_results.json") {
            let r = try JSONValue.parse(String(contentsOfFile: derivatives + "/" + path, encoding: .utf8))
            if r.member("kind") == .string("participant-classification") {
                participantSection(&report, r, path: path)
                continue
            }
            guard let folds = r.member("folds")?.arrayValue else { continue }
            report.heading("Classification (\(path))")
            let trials = r.member("n_trials")?.doubleValue.map { Int($0) } ?? 0
            func mean(_ key: String) -> String { r.member(key)?.doubleValue.map { String(format: "%.3f", $0) } ?? "n/a" }
            report.facts([("Pipeline", r.member("pipeline")?.stringValue ?? ""), ("Estimator", r.member("estimator")?.stringValue ?? ""),
                          ("Cross-validation", r.member("cv")?.stringValue ?? ""), ("Trials", "\(trials)"),
                          ("Classes", (r.member("classes")?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
                          ("Accuracy (mean over folds)", mean("accuracy")), ("Balanced accuracy", mean("balanced_accuracy")),
                          ("ROC-AUC", mean("auc")), ("Cohen's kappa", mean("kappa"))])
            if trials < 100 {
                // The binomial standard error of an accuracy near 0.8 at n trials is about 0.4/√n.
                let half = 1.96 * (0.25 / Double(max(trials, 1))).squareRoot()
                report.warning("Only \(trials) trials: an accuracy is uncertain by about ±\(String(format: "%.2f", half)) (95%), so differences between pipelines of that size are not evidence.")
            }
            let foldRows = folds.enumerated().map { i, fold -> [String] in
                ["\(i + 1)", "\(fold.member("test_indices")?.arrayValue?.count ?? 0)"] +
                ["accuracy", "balanced_accuracy", "auc", "kappa"].map { k in fold.member(k)?.doubleValue.map { String(format: "%.3f", $0) } ?? "n/a" } +
                ["\(fold.member("order")?.doubleValue.map { Int($0) } ?? 1)/\(fold.member("lag")?.doubleValue.map { Int($0) } ?? 1)"]
            }
            report.table(header: ["fold", "test trials", "accuracy", "balanced accuracy", "AUC", "kappa", "ACM order/lag"], rows: foldRows)
            let accuracies = folds.map { $0.member("accuracy")?.doubleValue ?? .nan }
            report.figure(SVGPlot.bars(folds.indices.map { "fold \($0 + 1)" }, accuracies, yLabel: "accuracy", yRange: (0, 1)),
                          caption: "Accuracy per cross-validation fold.")
        }

        // Spectra: the mean over recordings of the channel-averaged PSD, shaded ± 1 SD across recordings.
        let spectra = files.filter { $0.hasSuffix("_spectra.h5") }
        if !spectra.isEmpty {
            var freqs: [Double]? = nil
            var curves = [[Double]]()
            var skipped = 0
            for path in spectra {
                let file = try HDF5File(path: derivatives + "/" + path)
                let f = try file.readDoubles("/freqs").values
                let (shape, p) = try file.readDoubles("/psd")
                guard shape.count == 2, shape[1] == f.count, freqs == nil || freqs! == f else { skipped += 1; continue }
                freqs = f
                curves.append((0..<f.count).map { j in (0..<shape[0]).reduce(0) { $0 + p[$1 * f.count + j] } / Double(shape[0]) })
            }
            if let freqs, !curves.isEmpty {
                let n = Double(curves.count)
                let mean = freqs.indices.map { j in curves.reduce(0) { $0 + $1[j] } / n }
                let sd = freqs.indices.map { j in (curves.reduce(0) { $0 + ($1[j] - mean[j]) * ($1[j] - mean[j]) } / max(1, n - 1)).squareRoot() }
                report.heading("Spectra")
                report.paragraph("Channel-averaged power spectral density of \(curves.count) recording(s)\(skipped > 0 ? " (\(skipped) with a different frequency grid left out)" : "").")
                let series = SVGPlot.Series(name: "mean of \(curves.count)", x: freqs, y: mean,
                                            lower: curves.count > 1 ? zip(mean, sd).map { max($0 - $1, $0 * 1e-3) } : nil,
                                            upper: curves.count > 1 ? zip(mean, sd).map { $0 + $1 } : nil)
                report.figure(SVGPlot.lines([series], xLabel: "frequency (Hz)", yLabel: "power (unit²/Hz)", logY: true),
                              caption: "Group-average PSD (log scale)\(curves.count > 1 ? ", shaded ± 1 SD across recordings" : "").")
            }
        }

        // Group tables.
        for path in files where path.hasPrefix("group/") && path.hasSuffix(".tsv") {
            let table = try TSVTable(path: derivatives + "/" + path)
            report.heading("Table \(path)")
            report.table(header: table.header, rows: table.rows, limit: 40, caption: "\(table.rows.count) rows")
        }
        return report
    }

    /// Participant-level classification (`classify-table`): metrics with 95% intervals, the age/sex baseline, a
    /// reliability diagram and the per-fold AUROC.
    static func participantSection(_ report: inout HTMLReport, _ r: JSONValue, path: String) {
        report.heading("Participant classification (\(path))")
        let counts = (r.member("class_counts").flatMap { v -> [(String, JSONValue)]? in if case .object(let m) = v { return m }; return nil } ?? [])
            .map { "\($0.0) \($0.1.doubleValue.map { Int($0) } ?? 0)" }.joined(separator: ", ")
        let cv = r.member("cv")
        report.facts([("Label", "\(r.member("label")?.stringValue ?? "") (positive: \(r.member("positive")?.stringValue ?? ""))"),
                      ("Participants", "\(r.member("participants")?.doubleValue.map { Int($0) } ?? 0) (\(counts))"),
                      ("Features", "\(r.member("features")?.doubleValue.map { Int($0) } ?? 0)"),
                      ("Classifier", r.member("classifier")?.stringValue ?? ""),
                      ("Cross-validation", "\(cv?.member("repeats")?.doubleValue.map { Int($0) } ?? 0) × stratified \(cv?.member("folds")?.doubleValue.map { Int($0) } ?? 0)-fold over participants"),
                      ("MI screening in training folds", r.member("screening")?.member("top")?.doubleValue.map { "top \(Int($0)) by \(r.member("screening")?.member("method")?.stringValue ?? "")" } ?? "none"),
                      ("Permutation p (AUROC)", r.member("permutation_p_auroc")?.doubleValue.map { String(format: "%.3f", $0) } ?? "not run")])
        var rows = [[String]]()
        if case .object(let metrics)? = r.member("metrics") {
            for (name, m) in metrics {
                let ci = m.member("ci95")?.arrayValue?.compactMap(\.doubleValue) ?? []
                rows.append([name, m.member("value")?.doubleValue.map { String(format: "%.3f", $0) } ?? "n/a",
                             ci.count == 2 ? String(format: "%.3f – %.3f", ci[0], ci[1]) : "n/a"])
            }
        }
        if let b = r.member("baseline")?.member("auroc") {
            let ci = b.member("ci95")?.arrayValue?.compactMap(\.doubleValue) ?? []
            let covariates = (r.member("baseline")?.member("covariates")?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            rows.append(["baseline AUROC (\(covariates) only)", b.member("value")?.doubleValue.map { String(format: "%.3f", $0) } ?? "n/a",
                         ci.count == 2 ? String(format: "%.3f – %.3f", ci[0], ci[1]) : "n/a"])
        }
        report.table(header: ["metric (out-of-fold, mean over repeats)", "value", "95% bootstrap interval"], rows: rows)
        if r.member("overconfident") == .bool(true) {
            report.warning("Mean confidence (\(r.member("mean_confidence")?.doubleValue.map { String(format: "%.2f", $0) } ?? "?")) exceeds accuracy: the probabilities are over-confident.")
        }
        let bins = r.member("reliability")?.arrayValue ?? []
        if !bins.isEmpty {
            let x = bins.compactMap { $0.member("mean_probability")?.doubleValue }, y = bins.compactMap { $0.member("observed_rate")?.doubleValue }
            report.figure(SVGPlot.lines([SVGPlot.Series(name: "observed", x: x, y: y), SVGPlot.Series(name: "perfect calibration", x: [0, 1], y: [0, 1])],
                                        xLabel: "mean predicted probability", yLabel: "observed rate"),
                          caption: "Reliability diagram: out-of-fold probabilities in deciles against the observed rate of the positive class.")
        }
        let folds = r.member("fold_auroc")?.arrayValue?.compactMap(\.doubleValue) ?? []
        if !folds.isEmpty {
            report.figure(SVGPlot.bars(folds.indices.map { "\($0 + 1)" }, folds, yLabel: "AUROC", yRange: (0, 1)), caption: "AUROC of each test fold (all repeats).")
        }
    }
}
