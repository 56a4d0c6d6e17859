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

        parametersSection(&report, log)

        // Participants.
        var groupOf = [String: String]()
        if let participants, fm.fileExists(atPath: participants) {
            let table = try TSVTable(path: participants)
            if let g = table.header.firstIndex(where: { ["group", "diagnosis", "dx"].contains($0.lowercased()) }), let id = table.header.firstIndex(of: "participant_id") {
                for row in table.rows { groupOf[row[id]] = row[g] }
            }
            report.heading("Participants")
            report.paragraph("\(table.rows.count) participant(s) in \(participants).")
            if let group = table.header.firstIndex(where: { ["group", "diagnosis", "dx"].contains($0.lowercased()) }) {
                let age = table.header.firstIndex { $0.lowercased() == "age" }, sex = table.header.firstIndex { $0.lowercased() == "sex" }
                let rows = Dictionary(grouping: table.rows, by: { $0[group] }).sorted { $0.key < $1.key }.map { name, members -> [String] in
                    var row = [name, "\(members.count)"]
                    if let age {
                        let v = members.compactMap { Double($0[age]) }
                        let m = v.reduce(0, +) / Double(max(1, v.count))
                        let sd = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, v.count - 1))).squareRoot()
                        row.append(v.isEmpty ? "n/a" : String(format: "%.1f ± %.1f", m, sd))
                    }
                    if let sex {
                        row.append(Dictionary(grouping: members, by: { $0[sex] }).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.count)" }.joined(separator: ", "))
                    }
                    return row
                }
                report.table(header: [table.header[group], "participants"] + (age != nil ? ["age (mean ± SD)"] : []) + (sex != nil ? ["sex"] : []), rows: rows,
                             caption: "Participants per group.")
            }
            report.table(header: table.header, rows: table.rows, limit: 50)
        }

        try dataQualitySection(&report, derivatives: derivatives, files: files)
        try summarySection(&report, derivatives: derivatives, files: files)

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

        // Spectra: the mean over recordings of the channel-averaged PSD, shaded ± 1 SD across recordings, one curve
        // per group when participants.tsv has groups.
        let spectra = files.filter { $0.hasSuffix("_spectra.h5") }
        if !spectra.isEmpty {
            var freqs: [Double]? = nil
            var curves = [String: [[Double]]]()
            var skipped = 0
            var unit = "unit²/Hz"
            for path in spectra {
                let file = try HDF5File(path: derivatives + "/" + path)
                let f = try file.readDoubles("/freqs").values
                let (shape, p) = try file.readDoubles("/psd")
                guard shape.count == 2, shape[1] == f.count, freqs == nil || freqs! == f else { skipped += 1; continue }
                freqs = f
                if let u = try file.attributes(of: "/").first(where: { $0.0 == "psd_unit" })?.1.stringValue { unit = u }
                let participant = String(path.split(separator: "/").first ?? "")
                curves[groupOf[participant] ?? "all recordings", default: []].append((0..<f.count).map { j in (0..<shape[0]).reduce(0) { $0 + p[$1 * f.count + j] } / Double(shape[0]) })
            }
            if let freqs, !curves.isEmpty {
                let total = curves.values.reduce(0) { $0 + $1.count }
                let series = curves.sorted { $0.key < $1.key }.map { name, group -> SVGPlot.Series in
                    let n = Double(group.count)
                    let mean = freqs.indices.map { j in group.reduce(0) { $0 + $1[j] } / n }
                    let sd = freqs.indices.map { j in (group.reduce(0) { $0 + ($1[j] - mean[j]) * ($1[j] - mean[j]) } / max(1, n - 1)).squareRoot() }
                    return SVGPlot.Series(name: "\(name) (\(group.count))", x: freqs, y: mean,
                                          lower: group.count > 1 ? zip(mean, sd).map { max($0 - $1, $0 * 1e-3) } : nil,
                                          upper: group.count > 1 ? zip(mean, sd).map { $0 + $1 } : nil)
                }
                report.heading("Spectra")
                report.paragraph("Channel-averaged power spectral density of \(total) recording(s)\(curves.count > 1 ? " by group" : "")\(skipped > 0 ? " (\(skipped) with a different frequency grid left out)" : "").")
                report.figure(SVGPlot.lines(series, xLabel: "frequency (Hz)", yLabel: "power (\(unit))", logY: true),
                              caption: "Group-average PSD (log scale)\(curves.values.contains { $0.count > 1 } ? ", shaded ± 1 SD across recordings" : "").")
            }
        }

        // Group tables, with the distribution of each numeric column per group when participants have groups.
        for path in files where path.hasPrefix("group/") && path.hasSuffix(".tsv") {
            let table = try TSVTable(path: derivatives + "/" + path)
            if !groupOf.isEmpty { featureDistributions(&report, table, path: path, groupOf: groupOf) }
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
        let classes = (r.member("classes")?.arrayValue ?? []).compactMap(\.stringValue)
        let labelText = r.member("positive")?.stringValue.map { "positive: \($0)" } ?? "\(classes.count) classes: \(classes.joined(separator: ", ")); macro one-vs-rest AUROC"
        report.facts([("Label", "\(r.member("label")?.stringValue ?? "") (\(labelText))"),
                      ("Participants", "\(r.member("participants")?.doubleValue.map { Int($0) } ?? 0) (\(counts))"),
                      ("Features", "\(r.member("features")?.doubleValue.map { Int($0) } ?? 0)"),
                      ("Classifier", r.member("classifier")?.stringValue ?? ""),
                      ("Cross-validation", "\(cv?.member("repeats")?.doubleValue.map { Int($0) } ?? 0) × stratified \(cv?.member("folds")?.doubleValue.map { Int($0) } ?? 0)-fold over participants"),
                      ("Input", r.member("input")?.stringValue ?? ""),
                      ("Regularisation C", regularisationText(r.member("regularisation"))),
                      ("Probability calibration (in-fold)", r.member("calibration")?.stringValue ?? "none"),
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
                          caption: r.member("positive")?.stringValue != nil
                            ? "Reliability diagram: out-of-fold probabilities in deciles against the observed rate of the positive class."
                            : "Reliability diagram: top-class confidence in deciles against the accuracy of those predictions.")
        }
        if let roc = r.member("roc"), roc != .null {
            func values(_ k: String) -> [Double] { roc.member(k)?.arrayValue?.map { $0.doubleValue ?? .nan } ?? [] }
            let grid = values("grid_fpr"), lower = values("tpr_lower"), upper = values("tpr_upper")
            var series = [SVGPlot.Series(name: "out-of-fold ROC", x: values("fpr"), y: values("tpr"))]
            if grid.count == lower.count, grid.count == upper.count, lower.allSatisfy(\.isFinite) {
                series.append(SVGPlot.Series(name: "95% bootstrap band", x: grid, y: zip(lower, upper).map { ($0 + $1) / 2 }, lower: lower, upper: upper))
            }
            series.append(SVGPlot.Series(name: "chance", x: [0, 1], y: [0, 1]))
            report.figure(SVGPlot.lines(series, xLabel: "false-positive rate", yLabel: "true-positive rate"),
                          caption: "ROC of the out-of-fold probabilities (mean over repeats), with the 2.5–97.5 percentile band of the true-positive rate over participant bootstrap resamples.")
        }
        if let confusion = r.member("confusion"), let labels = confusion.member("labels")?.arrayValue?.compactMap(\.stringValue), labels.count >= 2,
           let matrix = confusion.member("matrix")?.arrayValue?.map({ $0.arrayValue?.compactMap(\.doubleValue).map { Int($0) } ?? [] }),
           matrix.count == labels.count, matrix.allSatisfy({ $0.count == labels.count }) {
            let rule = confusion.member("threshold")?.doubleValue.map { "at threshold \($0) on the positive class" } ?? "by the most probable class"
            report.table(header: ["true \\ predicted"] + labels, rows: labels.indices.map { i in [labels[i]] + matrix[i].map(String.init) },
                         caption: "Confusion matrix of the out-of-fold probabilities, \(rule).")
        }
        if let sites = r.member("held_out_sites")?.arrayValue, !sites.isEmpty {
            report.table(header: ["held-out site", "participants", "AUROC", "accuracy"], rows: sites.map { s in
                [s.member("site")?.stringValue ?? "", s.member("participants")?.doubleValue.map { "\(Int($0))" } ?? "",
                 s.member("auroc")?.doubleValue.map { String(format: "%.3f", $0) } ?? "n/a (one class)", s.member("accuracy")?.doubleValue.map { String(format: "%.3f", $0) } ?? "n/a"]
            }, caption: "Leave-one-site-out: trained on the other sites, tested on this one.")
        }
        if case .object(let selected)? = r.member("screening")?.member("selected_in_folds"), !selected.isEmpty {
            let total = (r.member("fold_auroc")?.arrayValue?.count).map(String.init) ?? "?"
            report.table(header: ["feature (MI ranking)", "training folds that kept it"], rows: selected.prefix(20).map { [$0.0, $0.1.doubleValue.map { "\(Int($0))" } ?? ""] },
                         caption: "Features most often kept by the in-fold MI screening (out of about \(total) folds).")
        }
        let folds = r.member("fold_auroc")?.arrayValue?.compactMap(\.doubleValue) ?? []
        if !folds.isEmpty {
            report.figure(SVGPlot.bars(folds.indices.map { "\($0 + 1)" }, folds, yLabel: "AUROC", yRange: (0, 1)), caption: "AUROC of each test fold (all repeats).")
        }
    }

    static func regularisationText(_ v: JSONValue?) -> String {
        guard let v, v != .null else { return "n/a" }
        let chosen: String
        if case .object(let m)? = v.member("chosen_in_folds"), !m.isEmpty {
            chosen = " (chosen in folds: " + m.map { "C=\($0.0) ×\($0.1.doubleValue.map { Int($0) } ?? 0)" }.joined(separator: ", ") + ")"
        } else { chosen = "" }
        if let c = v.member("c")?.doubleValue { return "\(c)\(chosen)" }
        return "nested 3-fold CV\(chosen)"
    }

    /// Per-participant data quality from the reject-artifacts stage's quality.tsv files.
    static func dataQualitySection(_ report: inout HTMLReport, derivatives: String, files: [String]) throws {
        let paths = files.filter { !$0.hasPrefix("group/") && $0.hasSuffix("_quality.tsv") }
        guard !paths.isEmpty else { return }
        var rows = [[String]]()
        var (epochs, rejected, withBad) = (0, 0, 0)
        for path in paths {
            let table = try TSVTable(path: derivatives + "/" + path)
            guard let row = table.rows.first else { continue }
            func cell(_ name: String) -> String { table.header.firstIndex(of: name).map { row[$0] } ?? "n/a" }
            epochs += Int(cell("epochs")) ?? 0
            rejected += Int(cell("rejected")) ?? 0
            if cell("bad_channels") != "n/a" { withBad += 1 }
            rows.append([String(path.split(separator: "/").first ?? ""), cell("epochs"), cell("rejected"), cell("kept_seconds"), cell("bad_channels")])
        }
        report.heading("Data quality")
        report.paragraph("\(rejected) of \(epochs) epochs rejected (\(epochs > 0 ? String(format: "%.1f", 100 * Double(rejected) / Double(epochs)) : "0")%) over \(rows.count) recording(s); \(withBad) recording(s) with bad channels (flagged, not interpolated).")
        report.table(header: ["participant", "epochs", "rejected", "clean seconds", "bad channels"], rows: rows, caption: "Artifact rejection per recording (reject-artifacts stage).")
    }

    /// Box plots per group of each numeric column of a participant table (values averaged over a participant's rows,
    /// e.g. channels, then z-scored across participants so columns share an axis).
    static func featureDistributions(_ report: inout HTMLReport, _ table: TSVTable, path: String, groupOf: [String: String]) {
        guard let id = table.header.firstIndex(of: "participant_id") else { return }
        let numeric = table.header.indices.filter { c in c != id && table.rows.allSatisfy { TSVTable.isMissing($0[c]) || Double($0[c]) != nil } && table.rows.contains { Double($0[c]) != nil } }
        guard !numeric.isEmpty, numeric.count <= 12 else { return }
        var sums = [String: [Double]](), counts = [String: [Double]]()
        for row in table.rows {
            var s = sums[row[id]] ?? [Double](repeating: 0, count: numeric.count), n = counts[row[id]] ?? s
            for (k, c) in numeric.enumerated() { if let v = Double(row[c]), v.isFinite { s[k] += v; n[k] += 1 } }
            sums[row[id]] = s; counts[row[id]] = n
        }
        let participants = sums.keys.filter { groupOf[$0] != nil }.sorted()
        let groups = Array(Set(participants.compactMap { groupOf[$0] })).sorted()
        guard groups.count >= 2, participants.count >= 4 else { return }
        var values = [[[Double]]]()
        for k in numeric.indices {
            let v = participants.map { p in counts[p]![k] > 0 ? sums[p]![k] / counts[p]![k] : .nan }
            let finite = v.filter(\.isFinite)
            let mean = finite.reduce(0, +) / Double(max(1, finite.count))
            let sd = (finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, finite.count - 1))).squareRoot()
            values.append(groups.map { g in participants.indices.filter { groupOf[participants[$0]] == g }.map { sd > 0 ? (v[$0] - mean) / sd : 0 } })
        }
        report.figure(SVGPlot.boxes(categories: numeric.map { table.header[$0] }, groups: groups, values: values, yLabel: "z-score across participants"),
                      caption: "\(path): each column's participant values (mean over the participant's rows), z-scored across participants, per group.")
    }

    /// One row per participant-level model: the headline numbers a reader compares first.
    static func summarySection(_ report: inout HTMLReport, derivatives: String, files: [String]) throws {
        var rows = [[String]]()
        for path in files where path.hasPrefix("group/") && path.hasSuffix("_results.json") {
            let r = try JSONValue.parse(String(contentsOfFile: derivatives + "/" + path, encoding: .utf8))
            guard r.member("kind") == .string("participant-classification") else { continue }
            func metric(_ m: JSONValue?) -> String {
                guard let v = m?.member("value")?.doubleValue else { return "n/a" }
                let ci = m?.member("ci95")?.arrayValue?.compactMap(\.doubleValue) ?? []
                return String(format: "%.2f", v) + (ci.count == 2 ? String(format: " (%.2f–%.2f)", ci[0], ci[1]) : "")
            }
            let stage = String(path.dropFirst("group/".count).dropLast("_results.json".count))
            rows.append([stage, r.member("model")?.stringValue ?? "logistic", r.member("input")?.stringValue ?? "",
                         metric(r.member("metrics")?.member("auroc")), metric(r.member("metrics")?.member("balanced_accuracy")),
                         metric(r.member("metrics")?.member("ece")), metric(r.member("baseline")?.member("auroc"))])
        }
        guard !rows.isEmpty else { return }
        report.heading("Summary")
        report.table(header: ["model stage", "classifier", "input", "AUROC (95% CI)", "balanced accuracy", "calibration error (ECE)", "age/sex baseline AUROC"],
                     rows: rows, caption: "Out-of-fold results of every participant-level model; details in the sections below. An interval that includes 0.5 is not evidence of discrimination.")
    }

    /// Every stage with its parameters (defaults filled in) and units, from the run log.
    static func parametersSection(_ report: inout HTMLReport, _ log: JSONValue) {
        guard let stages = log.member("stages")?.arrayValue, !stages.isEmpty else { return }
        report.heading("Parameters")
        let rows = stages.map { stage -> [String] in
            let units: [(String, JSONValue)] = { if case .object(let m)? = stage.member("units") { return m }; return [] }()
            let params: [(String, JSONValue)] = { if case .object(let m)? = stage.member("parameters") { return m }; return [] }()
            let text = params.filter { $0.1 != .null }.map { name, value -> String in
                let unit = units.first { $0.0 == name }?.1.stringValue.map { " " + $0 } ?? ""
                switch value {
                case .string(let s): return "\(name) = \(s)\(unit)"
                case .number(let d): return "\(name) = \(d)\(unit)"
                case .int(let i): return "\(name) = \(i)\(unit)"
                case .bool(let b): return "\(name) = \(b)"
                default: return "\(name) = \(value)"
                }
            }.joined(separator: "; ")
            return [stage.member("id")?.stringValue ?? "", "\(stage.member("uses")?.stringValue ?? "") v\(stage.member("version")?.stringValue ?? "")", text.isEmpty ? "(defaults only)" : text]
        }
        report.table(header: ["stage", "type", "parameters (defaults filled in; unset ones omitted)"], rows: rows, caption: "Every stage of the pipeline as it ran.")
    }
}
