import Foundation
import Testing
import NeuroCore
import NeuroDSP
import NeuroIO
import NeuroLearn
import NeuroScreen
@testable import NeuroPipeline

func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
    let sab = zip(a, b).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
    let saa = a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) }, sbb = b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) }
    return sab / (saa * sbb).squareRoot()
}

/// `neuropipe simulate eeg-cohort`: a readable BIDS dataset whose spectra carry the intended group effects.
@Suite struct CohortSimulatorTests {
    @Test func cohortIsBIDSAndCarriesTheAlphaAndThetaEffects() throws {
        let root = try tempDirectory() + "/cohort"
        let people = try EEGCohortSimulator(participants: 20, seconds: 24, sites: 2, seed: 3).write(to: root)
        let units = try DatasetDiscovery.bids(root: root, datatype: "eeg", suffix: "eeg", extensions: [".edf"], participants: nil)
        #expect(units.count == 20)
        let table = try TSVTable(path: root + "/participants.tsv")
        #expect(table.header == ["participant_id", "age", "sex", "group", "site"] && table.rows.count == 20)
        #expect(try String(contentsOfFile: root + "/dataset_description.json", encoding: .utf8).contains("SYNTHETIC"))
        var measured = [Double](), ratios = [Double]()
        for p in people {
            let reader = try EDFReader(path: root + "/\(p.id)/eeg/\(p.id)_task-rest_eeg.edf")
            let signal = try reader.read()
            #expect(signal.channels.map(\.label) == EEGCohortSimulator.channels)
            let rate = signal.channels[0].sampleRate
            #expect(rate == (p.site == 2 ? 200 : 256))
            let n = signal.counts[0]
            let x = Matrix(rows: 19, cols: n, storage: signal.samples)
            var settings = WelchSettings()
            settings.nperseg = Int(4 * rate)
            let (f, psd) = try WelchPSD.compute(x, sampleRate: rate, settings: settings)
            let o1 = EEGCohortSimulator.channels.firstIndex(of: "O1")!, fz = EEGCohortSimulator.channels.firstIndex(of: "Fz")!
            measured.append(SpectralFeatures.alphaPeak(psd.row(o1), freqs: f).peak)
            let band = { (c: Int, lo: Double, hi: Double) in f.indices.filter { f[$0] >= lo && f[$0] < hi }.reduce(0) { $0 + psd[c, $1] } }
            ratios.append(band(fz, 4, 8) / band(o1, 8, 13))
        }
        // The measured alpha peak follows the generating one (0.25 Hz resolution).
        let truth = people.map(\.alphaFrequency)
        let r = zip(measured, truth).map { abs($0 - $1) }.max()!
        #expect(r < 0.6, "largest IAF error \(r) Hz")
        let mean = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
        let iaf = Dictionary(grouping: zip(people, measured), by: { $0.0.group }).mapValues { mean($0.map(\.1)) }
        #expect(iaf["control"]! - iaf["MCI"]! > 0.2, "\(iaf)")
        // Frontal theta over occipital alpha follows the generating amplitudes (whose group means differ by design).
        let generated = people.map { log($0.thetaGain / $0.alphaGain) }
        let observed = people.indices.map { log(ratios[$0]) }
        let r2 = pearson(generated, observed)
        #expect(r2 > 0.6, "theta/alpha follows the generating gains: r = \(r2)")
        #expect(throws: InputError.self) { try EEGCohortSimulator(participants: 2, seconds: 24, seed: 3).write(to: root) }
    }

    /// Participants are independent draws: no two share a noise realisation at any small lag (a seeding bug once
    /// made every other participant a one-sample-shifted copy of the one before).
    @Test func participantsAreIndependentRealisations() throws {
        let root = try tempDirectory() + "/cohort"
        let people = try EEGCohortSimulator(participants: 6, seconds: 8, seed: 1).write(to: root)
        let signals = try people.map { p -> [Double] in
            let s = try EDFReader(path: root + "/\(p.id)/eeg/\(p.id)_task-rest_eeg.edf").read()
            let pz = Array(s.samples[(12 * s.counts[0])..<(13 * s.counts[0])])   // Pz (away from the blinks)
            // First differences: the 1/f background gives independent 8 s signals spurious correlations of ±0.4.
            return zip(pz.dropFirst(), pz).map { $0 - $1 }
        }
        for i in signals.indices {
            for j in signals.indices where j > i {
                for lag in 0...4 {
                    let n = min(signals[i].count, signals[j].count) - lag
                    let r = pearson(Array(signals[i][lag..<(lag + n)]), Array(signals[j][0..<n]))
                    #expect(abs(r) < 0.2, "participants \(i) and \(j) correlate at lag \(lag): r = \(r)")
                }
            }
        }
    }
}

/// pipelines/mci-eeg.yaml end to end on a tiny synthetic cohort, and the participant-level protocol's guarantees.
@Suite struct MCIPipelineTests {
    @Test func mciPipelineRunsOnASimulatedCohortAndReports() throws {
        let root = try tempDirectory() + "/cohort"
        try EEGCohortSimulator(participants: 12, seconds: 30, seed: 9).write(to: root)
        let out = try tempDirectory() + "/out"
        let spec = try PipelineSpec.load(path: PipelineFixtures.repo + "/pipelines/mci-eeg.yaml")
        let units = try DatasetDiscovery.bids(root: root, datatype: spec.datatype, suffix: spec.suffix, extensions: spec.extensions, participants: nil)
        let runner = try PipelineRunner(spec: spec, units: units, output: out, cacheDirectory: nil)
        runner.log = { _ in }
        runner.participants = try DatasetDiscovery.participantsTable(root: root)
        let records = try runner.run()
        #expect(!records.contains { $0.status == .failed }, "\(records.compactMap(\.error).prefix(3))")
        let results = try JSONValue.parse(String(contentsOfFile: out + "/group/spectral_model_results.json", encoding: .utf8))
        #expect(results.member("participants") == .int(12))
        let schema = try JSONValue.parse(String(contentsOfFile: PipelineFixtures.repo + "/data-schemas/participant-classification.schema.json", encoding: .utf8))
        #expect(JSONSchemaValidator(schema: schema).validate(results) == [])
        #expect(!JSONSchemaValidator(schema: schema).validate(.object([("kind", .string("other"))])).isEmpty, "the schema can fail")
        let auroc = try #require(results.member("metrics")?.member("auroc")?.member("value")?.doubleValue)
        #expect(auroc >= 0 && auroc <= 1)
        let predictions = try TSVTable(path: out + "/group/spectral_model_predictions.tsv")
        #expect(predictions.rows.count == 12 && Set(predictions.rows.map { $0[0] }).count == 12, "one out-of-fold prediction per participant")
        #expect(predictions.header == ["participant_id", "label", "probability_MCI"])
        // The HDF5 feature table: one row per participant, names, ids and participants.tsv columns, readable as a
        // screening source and valid against its schema's layout.
        let h5 = try HDF5File(path: out + "/group/feature_matrix_features.h5")
        #expect(try h5.readDoubles("/X").shape == [12, 19 * 5])
        #expect(try h5.readStrings("/sample_ids") == (1...12).map { String(format: "sub-%03d", $0) })
        #expect(try h5.readDoubles("/covariates/age").values.count == 12 && h5.readStrings("/covariates/group").count == 12)
        let screenable = try HDF5FeatureSource(path: out + "/group/feature_matrix_features.h5")
        #expect(screenable.featureCount == 95 && screenable.featureName(0).hasPrefix("iaf_peak_hz["))
        let wide = try TSVTable(path: out + "/group/feature_matrix_table.tsv")
        #expect(Array(wide.header.prefix(5)) == ["participant_id", "age", "sex", "group", "site"] && wide.rows.count == 12)
    }

    /// Noise features give chance-level AUROC (no leak of test labels through imputation, scaling or screening);
    /// a feature equal to the label gives a perfect one; duplicated participants are refused.
    @Test func protocolDoesNotLeakAndRefusesDuplicates() throws {
        var rng = SplitMix(seed: 4)
        let n = 40
        let labels = (0..<n).map { $0 % 2 == 0 ? "MCI" : "control" }
        let noise = Matrix(rows: n, cols: 60, storage: (0..<(n * 60)).map { _ in rng.gaussian() })
        let ids = (0..<n).map { "sub-\($0)" }
        let model = ParticipantClassification(folds: 5, repeats: 3, screenTop: 10, bootstrap: 200)
        let chance = try model.run(.table(noise, names: (0..<60).map { "f\($0)" }), labels: labels, participants: ids, positive: "MCI", baseline: nil)
        let auroc = chance.metrics.first { $0.0 == "auroc" }!.1
        #expect(auroc.value > 0.2 && auroc.value < 0.8 && auroc.lower < 0.5, "noise AUROC \(auroc.value) [\(auroc.lower), \(auroc.upper)]")
        var storage = noise.storage
        for i in 0..<n { storage[i * 60] = labels[i] == "MCI" ? 1 : 0 }
        let perfect = try model.run(.table(Matrix(rows: n, cols: 60, storage: storage), names: (0..<60).map { "f\($0)" }), labels: labels, participants: ids, positive: "MCI", baseline: nil)
        #expect(perfect.metrics.first { $0.0 == "auroc" }!.1.value > 0.99)
        #expect(perfect.screenedFeatures["f0"] == 15, "the informative feature is screened in every training fold")
        // Every fold's fitted steps saw only its training participants, and no participant is in both sides.
        #expect(chance.folds.count == 15)
        for fold in chance.folds {
            #expect(Set(fold.train).isDisjoint(with: fold.test) && Set(fold.train).union(fold.test) == Set(ids))
        }
        #expect(Set(chance.folds.prefix(5).flatMap(\.test)) == Set(ids), "each repeat tests every participant once")
        #expect(throws: InputError.self) {
            try model.run(.table(noise, names: (0..<60).map { "f\($0)" }), labels: labels, participants: ids.map { _ in "sub-1" }, positive: "MCI", baseline: nil)
        }
    }
}

/// The Riemannian participant models, nested choice of C, calibration and held-out sites.
@Suite struct ParticipantModelTests {
    /// `n` participants' 6×6 SPD matrices; MCI participants have `effect` more variance on channel 0.
    static func covariances(_ n: Int, effect: Double, seed: UInt64) -> ([Matrix], [String]) {
        var rng = SplitMix(seed: seed)
        var covs = [Matrix](), labels = [String]()
        for i in 0..<n {
            let mci = i % 2 == 0
            var a = Matrix(rows: 6, cols: 40)
            for k in 0..<a.storage.count { a.storage[k] = rng.gaussian() }
            for t in 0..<40 where mci { a[0, t] *= 1 + effect }
            var c = Matrix(rows: 6, cols: 6)
            for p in 0..<6 { for q in 0..<6 { c[p, q] = (0..<40).reduce(0) { $0 + a[p, $1] * a[q, $1] } / 40 } }
            covs.append(c)
            labels.append(mci ? "MCI" : "control")
        }
        return (covs, labels)
    }

    @Test func riemannianModelsFindAVarianceEffectAndNotNoise() throws {
        let ids = (0..<40).map { "sub-\($0)" }
        for model in [ParticipantModel.tangentLogistic, .mdm] {
            let protocolSettings = ParticipantClassification(folds: 5, repeats: 2, model: model, bootstrap: 200)
            let (effect, labels) = Self.covariances(40, effect: 1.0, seed: 3)
            let found = try protocolSettings.run(.covariances(effect), labels: labels, participants: ids, positive: "MCI", baseline: nil)
            #expect(found.metrics[0].1.value > 0.9, "\(model) AUROC \(found.metrics[0].1.value)")
            let (noise, noiseLabels) = Self.covariances(40, effect: 0, seed: 4)
            let chance = try protocolSettings.run(.covariances(noise), labels: noiseLabels, participants: ids, positive: "MCI", baseline: nil)
            #expect(chance.metrics[0].1.lower < 0.5, "\(model) noise AUROC \(chance.metrics[0].1.value)")
            #expect(found.confusion.flatMap { $0 }.reduce(0, +) == 40)
        }
        #expect(throws: InputError.self) {
            try ParticipantClassification(screenTop: 3).run(.covariances(Self.covariances(10, effect: 0, seed: 1).0), labels: (0..<10).map { $0 % 2 == 0 ? "MCI" : "c" },
                                                            participants: (0..<10).map { "s\($0)" }, positive: "MCI", baseline: nil)
        }
    }

    /// Nested C: one grid value chosen per outer fold. Platt calibration: probabilities stay in (0, 1) and a
    /// strongly over-confident model (C = 100 on weak features) gets a smaller ECE. Sites: one held-out result each.
    @Test func nestedRegularisationCalibrationAndSites() throws {
        var rng = SplitMix(seed: 8)
        let n = 60
        let labels = (0..<n).map { $0 % 2 == 0 ? "MCI" : "control" }
        let x = Matrix(rows: n, cols: 20, storage: (0..<(n * 20)).map { k in rng.gaussian() + (k % 20 < 3 && labels[k / 20] == "MCI" ? 0.6 : 0) })
        let ids = (0..<n).map { "sub-\($0)" }, sites = (0..<n).map { $0 % 4 < 2 ? "A" : "B" }
        let input = ParticipantInput.table(x, names: (0..<20).map { "f\($0)" })
        let nested = try ParticipantClassification(folds: 5, repeats: 1, bootstrap: 100, regularisation: nil).run(input, labels: labels, participants: ids, positive: "MCI", baseline: nil, sites: sites)
        #expect(nested.folds.allSatisfy { [0.01, 0.1, 1, 10].contains($0.regularisation ?? -1) })
        #expect(nested.heldOutSites.map(\.site) == ["A", "B"] && nested.heldOutSites.allSatisfy { $0.participants == 30 && $0.auroc != nil })
        let raw = try ParticipantClassification(folds: 5, repeats: 1, bootstrap: 100, regularisation: 100).run(input, labels: labels, participants: ids, positive: "MCI", baseline: nil)
        let platt = try ParticipantClassification(folds: 5, repeats: 1, bootstrap: 100, regularisation: 100, calibration: .platt).run(input, labels: labels, participants: ids, positive: "MCI", baseline: nil)
        func ece(_ r: ParticipantClassification.Result) -> Double { r.metrics.first { $0.0 == "ece" }!.1.value }
        #expect(platt.positiveProbabilities.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(ece(platt) < ece(raw), "ECE raw \(ece(raw)) platt \(ece(platt))")
        #expect(platt.meanConfidence < raw.meanConfidence)
        let roc = try #require(raw.roc)
        #expect(roc.tpr.first == 0 && roc.tpr.last == 1 && roc.gridFPR.count == 51)
        #expect(zip(roc.tprLower, roc.tprUpper).allSatisfy { $0 <= $1 })
    }
}

/// Leak detector: every fitted step (imputation, scaling, screening, C by inner CV, calibration, tangent-space
/// reference, classifier) must see the training fold only. So a test participant's probability must not change
/// when the *other* test participants' features are replaced by values that encode their labels.
@Suite struct LeakDetectorTests {
    @Test func testRowsDoNotInfluenceOneAnother() throws {
        var rng = SplitMix(seed: 12)
        let n = 30
        let labels = (0..<n).map { $0 % 2 == 0 ? "MCI" : "control" }
        var storage = (0..<(n * 12)).map { _ in rng.gaussian() }
        for i in 0..<n where i % 5 == 0 { storage[i * 12 + 3] = .nan }    // missing values exercise imputation
        let x = Matrix(rows: n, cols: 12, storage: storage)
        let fold = try CrossValidation.stratifiedKFold(labels: labels, k: 5, shuffle: 3)[0]
        let (probe, others) = (fold.test[0], Array(fold.test.dropFirst()))
        var leaky = x
        for i in others { for j in 0..<12 { leaky[i, j] = labels[i] == "MCI" ? 50 + Double(j) : 20 + Double(j) } }
        for settings in [ParticipantClassification(screenTop: 4, regularisation: nil, calibration: .platt),
                         ParticipantClassification(regularisation: 1, calibration: .isotonic),
                         ParticipantClassification(regularisation: 1, calibration: .none)] {
            var ignored = [String: Int]()
            let (clean, _) = try settings.fitPredict(.table(x, names: (0..<12).map { "f\($0)" }), train: fold.train, test: fold.test, labels: labels, classes: ["control", "MCI"], seed: 1, screened: &ignored)
            let (dirty, _) = try settings.fitPredict(.table(leaky, names: (0..<12).map { "f\($0)" }), train: fold.train, test: fold.test, labels: labels, classes: ["control", "MCI"], seed: 1, screened: &ignored)
            #expect(clean[0] == dirty[0], "probe probabilities moved from \(clean[0]) to \(dirty[0]) when other test rows changed")
        }
        // Covariance models: the other test participants' matrices are blown up along their label.
        let (covs, covLabels) = ParticipantModelTests.covariances(n, effect: 0.3, seed: 5)
        var leakyCovs = covs
        for i in others { leakyCovs[i] = (covLabels[i] == "MCI" ? 100.0 : 0.01) * covs[i] }
        for model in [ParticipantModel.tangentLogistic, .tangentSVM, .mdm] {
            let settings = ParticipantClassification(model: model, regularisation: model == .mdm ? 1 : nil, calibration: .platt)
            var ignored = [String: Int]()
            let (clean, _) = try settings.fitPredict(.covariances(covs), train: fold.train, test: fold.test, labels: covLabels, classes: ["control", "MCI"], seed: 1, screened: &ignored)
            let (dirty, _) = try settings.fitPredict(.covariances(leakyCovs), train: fold.train, test: fold.test, labels: covLabels, classes: ["control", "MCI"], seed: 1, screened: &ignored)
            #expect(clean[0] == dirty[0], "\(model): probe probability moved from \(clean[0]) to \(dirty[0])")
        }
    }
}

/// Three classes (normal/MCI/dementia): macro one-vs-rest AUROC, a 3×3 confusion matrix, per-class probabilities
/// that sum to one (calibrated one-vs-rest then renormalised), no ROC, chance on noise.
@Suite struct MulticlassTests {
    @Test func threeClassesFromAFeatureTable() throws {
        var rng = SplitMix(seed: 21)
        let n = 60
        let classes = ["control", "MCI", "dementia"]
        let labels = (0..<n).map { classes[$0 % 3] }
        let shift: [String: Double] = ["control": 0, "MCI": 1, "dementia": 2]
        let x = Matrix(rows: n, cols: 6, storage: (0..<(n * 6)).map { k in rng.gaussian() + (k % 6 == 0 ? 1.5 * shift[labels[k / 6]]! : 0) })
        let ids = (0..<n).map { "sub-\($0)" }
        let r = try ParticipantClassification(folds: 5, repeats: 2, bootstrap: 200, calibration: .platt)
            .run(.table(x, names: (0..<6).map { "f\($0)" }), labels: labels, participants: ids, positive: nil, baseline: nil)
        #expect(r.positive == nil && r.classes == ["MCI", "control", "dementia"] && r.roc == nil)
        #expect(r.probabilities.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-9 && $0.count == 3 })
        #expect(r.confusion.count == 3 && r.confusion.flatMap { $0 }.reduce(0, +) == n)
        let auroc = r.metrics.first { $0.0 == "auroc" }!.1
        #expect(auroc.value > 0.75, "macro AUROC \(auroc.value)")
        var noise = x
        for i in 0..<n { noise[i, 0] = rng.gaussian() }
        let chance = try ParticipantClassification(folds: 5, repeats: 2, bootstrap: 200)
            .run(.table(noise, names: (0..<6).map { "f\($0)" }), labels: labels, participants: ids, positive: nil, baseline: nil)
        #expect(chance.metrics.first { $0.0 == "auroc" }!.1.lower < 0.5)
        #expect(throws: InputError.self) {
            try ParticipantClassification().run(.table(x, names: (0..<6).map { "f\($0)" }), labels: labels.map { $0 == "dementia" ? "MCI" : $0 },
                                                participants: ids, positive: "AD", baseline: nil)
        }
    }
}
