import Foundation
import Testing
import NeuroCore
import NeuroIO
import NeuroLearn
@testable import NeuroScreen

/// A `[samples × features]` problem: feature 0 linear in z, 1 quadratic, the rest noise; outcome z + noise.
struct SyntheticScreen {
    let matrix: Matrix
    let z: [Double]
    let outcome: [Double]

    init(samples n: Int = 150, features p: Int = 40, seed: UInt64 = 7) {
        var rng = SplitMix(seed: seed)
        let z = (0..<n).map { _ in rng.gaussian() }
        var storage = [Double](repeating: 0, count: n * p)
        for i in 0..<n {
            for j in 0..<p { storage[i * p + j] = rng.gaussian() }
            storage[i * p + 0] = z[i] + 0.5 * rng.gaussian()
            storage[i * p + 1] = z[i] * z[i] + 0.5 * rng.gaussian()
        }
        matrix = Matrix(rows: n, cols: p, storage: storage)
        self.z = z
        outcome = z.map { $0 + 0.1 * rng.gaussian() }
    }

    func column(_ j: Int) -> [Double] { (0..<matrix.rows).map { matrix[$0, j] } }
}

func temporaryDirectory(_ name: String) throws -> String {
    let dir = NSTemporaryDirectory() + "neuropipe-screen-\(name)-\(getpid())"
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct ScreeningEngineTests {
    let data = SyntheticScreen()

    @Test(arguments: ScreeningMethod.allCases)
    func engineEqualsOneFeatureAtATimeAndRanksTheSignalFirst(method: ScreeningMethod) throws {
        let options = ScreeningOptions(method: method)
        let outcome = Outcome(continuous: data.outcome)
        let result = try FeatureScreening.run(source: MatrixFeatureSource(data.matrix), outcome: outcome,
                                              request: ScreeningRequest(options: options, blockSize: 7))
        let worker = try options.scorer(for: outcome).makeWorker()
        for j in 0..<data.matrix.cols {
            let direct = data.column(j).withUnsafeBufferPointer { worker.score($0, feature: j).score }
            #expect(result.scores[j] == direct, "\(method) feature \(j)")
        }
        #expect(result.ranking[0] == 0, "\(method): the linear feature ranks first")
        if method != .pearson { #expect(Set(result.ranking.prefix(2)) == [0, 1], "\(method): the quadratic feature ranks second") }
    }

    @Test func hdf5ColumnBlocksEqualTheMatrix() throws {
        let dir = try temporaryDirectory("h5")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/X.h5"
        let writer = try HDF5Writer(path: path)
        try writer.writeDoubles("/X", data.matrix.storage, shape: [data.matrix.rows, data.matrix.cols])
        try writer.commit()
        let source = try HDF5FeatureSource(path: path)
        #expect(source.featureCount == 40 && source.sampleCount == 150 && source.featureName(3) == "feature_3")
        let fromFile = try source.readBlock(5..<9)
        let fromMatrix = try MatrixFeatureSource(data.matrix).readBlock(5..<9)
        #expect(fromFile == fromMatrix)
        let options = ScreeningOptions(method: .binning)
        let a = try FeatureScreening.run(source: source, outcome: Outcome(continuous: data.outcome), request: ScreeningRequest(options: options, blockSize: 3))
        let b = try FeatureScreening.run(source: MatrixFeatureSource(data.matrix), outcome: Outcome(continuous: data.outcome), request: ScreeningRequest(options: options))
        #expect(a.scores == b.scores)
    }

    /// Values near the top of the double range (±1e300) overflow sums of squares; Pearson and KSG are
    /// scale-invariant and must score such a feature as they score it at unit scale, not as 0.
    @Test func hugeMagnitudesScoreLikeUnitScale() throws {
        let huge = Matrix(rows: data.matrix.rows, cols: data.matrix.cols, storage: data.matrix.storage.map { $0 * 1e300 })
        #expect(huge.storage.allSatisfy { $0.isFinite })
        for method in [ScreeningMethod.pearson, .ksg] {
            let request = ScreeningRequest(options: ScreeningOptions(method: method))
            let unit = try FeatureScreening.run(source: MatrixFeatureSource(data.matrix), outcome: Outcome(continuous: data.outcome), request: request)
            let scaled = try FeatureScreening.run(source: MatrixFeatureSource(huge), outcome: Outcome(continuous: data.outcome.map { $0 * 1e300 }),
                                                  request: request)
            for (a, b) in zip(unit.scores, scaled.scores) { #expect(abs(a - b) <= 1e-9 * max(1, abs(a)), "\(method): \(a) vs \(b)") }
            #expect(unit.scores[0] > 0.3, "\(method): the linear feature must stand out")
        }
        let sd = [1e300, -1e300, 1e300, -1e300].withUnsafeBufferPointer { ScreeningStatistics.standardDeviation($0, ddof: 0) }
        #expect(sd == 1e300)
    }

    /// Blocks are read one ahead in the background: a read error of a later block reaches the caller, and no read is
    /// still running (or starts) once `run` has returned.
    @Test func backgroundReadErrorsReachTheCallerAndNoReadOutlivesTheRun() throws {
        final class FailingSource: FeatureSource, @unchecked Sendable {
            let inner: MatrixFeatureSource
            let failAt: Int
            let lock = NSLock()
            var active = 0, calls = 0
            init(_ m: Matrix, failAt: Int) { inner = MatrixFeatureSource(m); self.failAt = failAt }
            var origin: String { "failing.h5" }
            var sampleCount: Int { inner.sampleCount }
            var featureCount: Int { inner.featureCount }
            var sampleIDs: [String]? { nil }
            func featureName(_ j: Int) -> String { inner.featureName(j) }
            func readBlock(_ range: Range<Int>) throws -> [Double] {
                lock.withLock { active += 1; calls += 1 }
                defer { lock.withLock { active -= 1 } }
                usleep(20_000)
                if range.lowerBound >= failAt { throw InputError(file: origin, field: "/X", message: "unreadable block at \(range.lowerBound)") }
                return try inner.readBlock(range)
            }
        }
        let source = FailingSource(data.matrix, failAt: 20)
        #expect(throws: InputError.self) {
            _ = try FeatureScreening.run(source: source, outcome: Outcome(continuous: data.outcome),
                                         request: ScreeningRequest(options: ScreeningOptions(method: .pearson), blockSize: 10))
        }
        let (active, calls) = source.lock.withLock { (source.active, source.calls) }
        usleep(50_000)
        #expect(active == 0 && calls == 3 && source.lock.withLock { source.calls } == 3)
    }

    @Test func rowsScreenOnlyTheTrainingSamples() throws {
        let rows = Array(stride(from: 0, to: 150, by: 2))
        let options = ScreeningOptions(method: .fftkde)
        let subset = Outcome(continuous: rows.map { data.outcome[$0] })
        let viaRows = try FeatureScreening.run(source: MatrixFeatureSource(data.matrix), outcome: subset, request: ScreeningRequest(options: options, rows: rows))
        let sliced = Matrix(rows: rows.count, cols: 40, storage: rows.flatMap { r in (0..<40).map { data.matrix[r, $0] } })
        let direct = try FeatureScreening.run(source: MatrixFeatureSource(sliced), outcome: subset, request: ScreeningRequest(options: options))
        #expect(viaRows.scores == direct.scores)
        #expect(viaRows.sampleCount == 75)
        #expect(throws: InputError.self) {
            try FeatureScreening.run(source: MatrixFeatureSource(data.matrix), outcome: Outcome(continuous: data.outcome), request: ScreeningRequest(options: options, rows: rows))
        }
    }

    @Test func missingValuesUseTheCompleteSamples() throws {
        var storage = data.matrix.storage
        storage[3 * 40 + 0] = .nan
        storage[9 * 40 + 0] = .infinity
        let options = ScreeningOptions(method: .binning)
        let result = try FeatureScreening.run(source: MatrixFeatureSource(Matrix(rows: 150, cols: 40, storage: storage)),
                                              outcome: Outcome(continuous: data.outcome), request: ScreeningRequest(options: options))
        let keep = (0..<150).filter { $0 != 3 && $0 != 9 }
        let worker = try options.scorer(for: Outcome(continuous: keep.map { data.outcome[$0] })).makeWorker()
        let expected = keep.map { data.matrix[$0, 0] }.withUnsafeBufferPointer { worker.score($0, feature: 0).score }
        #expect(result.scores[0] == expected)
        #expect(result.featuresWithMissing == 1)
    }

    @Test func permutationPValuesAreFamilyWise() throws {
        let options = ScreeningOptions(method: .pearson, seed: 11)
        let request = ScreeningRequest(options: options, permutations: 49)
        let a = try FeatureScreening.run(source: MatrixFeatureSource(data.matrix), outcome: Outcome(continuous: data.outcome), request: request)
        let b = try FeatureScreening.run(source: MatrixFeatureSource(data.matrix), outcome: Outcome(continuous: data.outcome), request: request)
        let p = try #require(a.pValues)
        #expect(p == b.pValues!, "same seed, same p-values")
        #expect(p[0] == 1.0 / 50, "the strong feature beats every permutation maximum")
        #expect(p.allSatisfy { $0 > 0 && $0 <= 1 })
        // Noise features: family-wise p-values are large (few exceed the null maxima).
        #expect(p[2...].filter { $0 < 0.05 }.count <= 2)
        #expect(a.permutationMaxima.count == 49 && a.permutationMaxima.allSatisfy { $0 > 0 && $0 < a.scores[0] })
    }

    @Test func covariatesAreRegressedOut() throws {
        // Feature 0 depends on the outcome only through age; after residualising on age it carries nothing.
        var rng = SplitMix(seed: 3)
        let n = 200
        let age = (0..<n).map { _ in 60 + 8 * rng.gaussian() }
        let y = age.map { 0.1 * $0 + rng.gaussian() }
        let confounded = age.map { $0 + 0.5 * rng.gaussian() }
        let genuine = y.map { $0 + 0.5 * rng.gaussian() }
        let matrix = Matrix(rows: n, cols: 2, storage: (0..<n).flatMap { [confounded[$0], genuine[$0]] })
        let covariates = Matrix(rows: n, cols: 1, storage: age)
        let options = ScreeningOptions(method: .pearson)
        let plain = try FeatureScreening.run(source: MatrixFeatureSource(matrix), outcome: Outcome(continuous: y), request: ScreeningRequest(options: options))
        let adjusted = try FeatureScreening.run(source: MatrixFeatureSource(matrix), outcome: Outcome(continuous: y),
                                                request: ScreeningRequest(options: options, covariates: covariates))
        #expect(plain.scores[0] > 0.5)
        #expect(adjusted.scores[0] < 0.15)
        #expect(adjusted.scores[1] > 0.5)
        let collinear = Matrix(rows: n, cols: 2, storage: age.flatMap { [$0, 2 * $0] })
        #expect(throws: InputError.self) {
            try FeatureScreening.run(source: MatrixFeatureSource(matrix), outcome: Outcome(continuous: y), request: ScreeningRequest(options: options, covariates: collinear))
        }
    }

    @Test func selectionAndRankingTable() throws {
        let result = ScreeningResult(scores: [0.1, .nan, 0.7, 0.7, 0.3], statistics: nil, pValues: nil, permutationMaxima: [], sampleCount: 10, featuresWithMissing: 1)
        #expect(result.ranking == [2, 3, 4, 0, 1])
        #expect(ScreeningSelection(top: 2).apply(to: result) == [2, 3])
        #expect(ScreeningSelection(threshold: 0.2).apply(to: result) == [2, 3, 4])
        let table = ScreeningOutputs.rankingTable(result, names: { "f\t\($0)" }, selected: [4, 1])
        #expect(table.header == ["feature", "score", "rank"])
        #expect(table.rows == [["f 4", "0.3", "3"], ["f 1", "n/a", "5"]])
    }

    @Test func methodsRefuseWhatTheyCannotScore() throws {
        let labels = try Outcome(labels: (0..<30).map { ["a", "b", "c"][$0 % 3] })
        #expect(labels.kind == .categorical && labels.classLabels == ["a", "b", "c"])
        #expect(throws: InputError.self) { try ScreeningOptions(method: .pearson).scorer(for: labels) }
        #expect(throws: InputError.self) { try ScreeningOptions(method: .ksg, neighbours: 30).scorer(for: labels) }
        #expect(throws: InputError.self) { try ScreeningOptions(method: .fftkde, grid: 4).scorer(for: labels) }
        #expect(throws: InputError.self) { try ScreeningOptions(method: .binning, bins: 1).scorer(for: labels) }
        #expect(throws: InputError.self) { try Outcome(labels: ["x", "x", "x"]) }
        // A constant feature scores 0 with every method rather than NaN or a crash.
        let outcome = Outcome(continuous: data.outcome)
        for method in ScreeningMethod.allCases {
            let constant = [Double](repeating: 4, count: 150)
            let s = try constant.withUnsafeBufferPointer { try ScreeningOptions(method: method).scorer(for: outcome).makeWorker().score($0, feature: 0).score }
            #expect(s == 0, "\(method): \(s)")
        }
    }

    @Test func outcomeTableAlignsByParticipantAndDropsMissing() throws {
        let dir = try temporaryDirectory("tsv")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "participant_id\tf1\tf2\nsub-01\t1\t2\nsub-02\t3\tn/a\nsub-03\t5\t1\nsub-04\t2\t2\n".write(toFile: dir + "/X.tsv", atomically: true, encoding: .utf8)
        try "participant_id\tgroup\tage\tsex\nsub-04\tAD\t70\tF\nsub-03\tCN\t66\tM\nsub-02\tn/a\t61\tF\nsub-01\tCN\t59\tM\n".write(toFile: dir + "/participants.tsv", atomically: true, encoding: .utf8)
        let source = try TSVFeatureSource(path: dir + "/X.tsv")
        #expect(source.featureCount == 2 && source.sampleIDs == ["sub-01", "sub-02", "sub-03", "sub-04"])
        let table = try OutcomeTable(spec: dir + "/participants.tsv:group")
        let (outcome, rows) = try table.align(to: source, kind: nil)
        #expect(rows == [0, 2, 3])
        #expect(outcome.kind == .binary && outcome.classLabels == ["AD", "CN"] && outcome.values == [1, 1, 0])
        let (cov, names) = try table.covariates(["age", "sex"], for: source)
        #expect(names == ["age", "sex=M"] && cov.storage == [59, 1, 61, 0, 66, 1, 70, 0])
        // A number column with text in it is not silently read as dozens of classes.
        let broken = "y\n" + (0..<40).map { "np.float64(\($0).5)" }.joined(separator: "\n") + "\n"
        try broken.write(toFile: dir + "/y.tsv", atomically: true, encoding: .utf8)
        let positional = MatrixFeatureSource(Matrix(rows: 40, cols: 1, storage: (0..<40).map(Double.init)))
        #expect { try OutcomeTable(spec: dir + "/y.tsv").align(to: positional, kind: nil) } throws: { e in
            (e as? InputError)?.message.contains("'np.float64(0.5)' is not a number") == true
        }
        #expect(try OutcomeTable(spec: dir + "/y.tsv").align(to: positional, kind: .categorical).outcome.classCount == 40)
        try "participant_id\tf1\nsub-09\t1\n".write(toFile: dir + "/Y.tsv", atomically: true, encoding: .utf8)
        #expect(throws: InputError.self) { try table.align(to: try TSVFeatureSource(path: dir + "/Y.tsv"), kind: nil) }
        try "participant_id\tf1\nsub-01\tabc\n".write(toFile: dir + "/Z.tsv", atomically: true, encoding: .utf8)
        do {
            _ = try TSVFeatureSource(path: dir + "/Z.tsv")
            Issue.record("a non-numeric cell must be refused")
        } catch let e as InputError {
            #expect(e.field == "line 2, column f1" && e.message.contains("abc"))
        }
    }

    @Test func niftiImagesAreScreenedVoxelwiseAndMapped() throws {
        let dir = try temporaryDirectory("nii")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shape = [4, 3, 2]
        let affine = [[2.0, 0, 0, -4], [0, 2, 0, -3], [0, 0, 2, -2], [0, 0, 0, 1]]
        var rng = SplitMix(seed: 5)
        var paths = [String]()
        var y = [String]()
        for s in 0..<40 {
            let score = rng.gaussian()
            var volume = (0..<24).map { _ in rng.gaussian() }
            volume[5] = score + 0.2 * rng.gaussian()  // voxel (1, 1, 0) tracks the outcome
            let path = dir + "/sub-\(String(format: "%02d", s))_map.nii.gz"
            try NIfTIWriter.write(volume, shape: shape, affine: affine, to: path)
            paths.append(path)
            y.append("sub-\(String(format: "%02d", s))\t\(score)")
        }
        var mask = [Double](repeating: 1, count: 24)
        mask[0] = 0
        try NIfTIWriter.write(mask, shape: shape, affine: affine, to: dir + "/mask.nii.gz")
        try ("participant_id\tscore\n" + y.joined(separator: "\n") + "\n").write(toFile: dir + "/participants.tsv", atomically: true, encoding: .utf8)
        let source = try NIfTIFeatureSource(paths: paths, mask: dir + "/mask.nii.gz", scratchDirectory: dir)
        #expect(source.featureCount == 23 && source.sampleIDs?.first == "sub-00")
        #expect(source.featureName(4) == "voxel_1_1_0")
        let (outcome, rows) = try OutcomeTable(spec: dir + "/participants.tsv:score").align(to: source, kind: nil)
        let result = try FeatureScreening.run(source: source, outcome: outcome, request: ScreeningRequest(options: ScreeningOptions(method: .pearson), rows: rows, blockSize: 5))
        #expect(result.ranking[0] == 4)
        try ScreeningOutputs.writeScoreMap(result, source: source, to: dir + "/scores.nii.gz")
        let map = try NIfTIReader(path: dir + "/scores.nii.gz")
        let values = try map.readVolume(0)
        #expect(map.header.shape.prefix(3) == [4, 3, 2] && values[0] == 0)
        #expect(abs(values[5] - result.scores[4]) < 1e-6)
    }
}
