import Foundation
import Testing
import NeuroCore
@testable import NeuroLatent

/// Golden fixtures from scripts/golden/srm (BrainIAK 0.12).
enum SRMGolden {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/srm").path
    static let json: JSONValue = try! JSONValue.parse(String(contentsOfFile: root + "/srm.json", encoding: .utf8))

    static func matrix(_ v: JSONValue) -> Matrix {
        let rows = v.arrayValue!.map { $0.arrayValue!.map { $0.doubleValue! } }
        return Matrix(rows: rows.count, cols: rows[0].count, storage: rows.flatMap { $0 })
    }
    static func matrices(_ v: JSONValue) -> [Matrix] { v.arrayValue!.map(matrix) }
    static let data = matrices(json.member("data")!)

    /// max |a − b| / max |b|.
    static func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
        zip(a.storage, b.storage).map { abs($0 - $1) }.max()! / max(b.storage.map(abs).max()!, 1e-300)
    }
}

@Suite struct SharedResponseGoldenTests {
    @Test(arguments: [SharedResponseKind.srm, .detsrm])
    func matchesBrainIAKFromTheSameStart(kind: SharedResponseKind) throws {
        let reference = SRMGolden.json.member(kind.rawValue)!
        let model = SharedResponseModel(kind: kind, features: 4, maxIterations: 10, tolerance: 0,
                                        initialLoadings: SRMGolden.matrices(reference.member("w0")!))
        let fit = try model.fit(SRMGolden.data)
        #expect(fit.iterations == 10 && !fit.converged)
        for (w, expected) in zip(fit.loadings, SRMGolden.matrices(reference.member("w")!)) {
            #expect(SRMGolden.relativeError(w, expected) < 1e-6, "\(kind) W")
        }
        #expect(SRMGolden.relativeError(fit.shared, SRMGolden.matrix(reference.member("s")!)) < 1e-6, "\(kind) S")
        if kind == .srm {
            #expect(SRMGolden.relativeError(fit.sharedCovariance!, SRMGolden.matrix(reference.member("sigma_s")!)) < 1e-6)
            let rho2 = reference.member("rho2")!.arrayValue!.map { $0.doubleValue! }
            #expect(zip(fit.noiseVariances!, rho2).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) })
            // EM never decreases the likelihood.
            #expect(zip(fit.objective, fit.objective.dropFirst()).allSatisfy { $1 >= $0 - 1e-9 * abs($0) }, "\(fit.objective)")
        } else {
            #expect(zip(fit.objective, fit.objective.dropFirst()).allSatisfy { $1 <= $0 + 1e-9 * abs($0) }, "\(fit.objective)")
        }
        let transformed = try fit.transform(SRMGolden.data)
        for (s, expected) in zip(transformed, SRMGolden.matrices(reference.member("transformed")!)) {
            #expect(SRMGolden.relativeError(s, expected) < 1e-6)
        }
        let tsm = try TimeSegmentMatching.accuracy(transformed, window: 5)
        #expect(tsm == reference.member("tsm_window5")!.arrayValue!.map { $0.doubleValue! }, "\(tsm)")
    }

    @Test func convergesAndRecoversSyntheticLatents() throws {
        let synthetic = SyntheticSharedResponse(subjects: 6, voxels: 120, samples: 150, timescales: [2, 5, 10], seed: 3)
        let (latents, data, _) = try synthetic.generate()
        let fit = try SharedResponseModel(kind: .srm, features: 3, maxIterations: 500, tolerance: 1e-8, seed: 1).fit(data)
        #expect(fit.converged && fit.iterations < 500)
        // The shared response spans the true latents: each latent is almost a linear combination of S's rows.
        let recovery = try SubspaceRecovery.canonicalCorrelations(latents, fit.shared)
        #expect(recovery.min()! > 0.9, "\(recovery)")
        let held = try TimeSegmentMatching.accuracy(try fit.transform(data), window: 10)
        #expect(held.allSatisfy { $0 > 0.5 }, "\(held)")
    }

    @Test func refusesBadInput() throws {
        let a = Matrix(rows: 5, cols: 20, repeating: 1), b = Matrix(rows: 5, cols: 21, repeating: 1)
        #expect(throws: InputError.self) { try SharedResponseModel(features: 2).fit([a]) }
        #expect(throws: InputError.self) { try SharedResponseModel(features: 2).fit([a, b]) }
        #expect(throws: InputError.self) { try SharedResponseModel(features: 6).fit([a, a]) }
        var nan = a
        nan[0, 0] = .nan
        #expect(throws: InputError.self) { try SharedResponseModel(features: 2).fit([a, nan]) }
        #expect(throws: InputError.self) { try TimeSegmentMatching.accuracy([a, a], window: 19) }
    }
}

@Suite struct SharedResponseFileTests {
    @Test func modelFilesRoundTripAndTransformCentres() throws {
        let dir = NSTemporaryDirectory() + "neuropipe-srm-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (latents, data, _) = try SyntheticSharedResponse(subjects: 3, voxels: 40, samples: 60, timescales: [3, 9], seed: 8).generate()
        // An offset per voxel must not change the shared response: fit and transform both centre.
        let shifted = data.map { x in Matrix(rows: x.rows, cols: x.cols, storage: x.storage.enumerated().map { $1 + Double($0 / x.cols) }) }
        try SubjectData(ids: ["sub-a", "sub-b", "sub-c"], matrices: shifted).write(to: dir + "/d.h5", latents: latents)
        let loaded = try SubjectData.read(hdf5: dir + "/d.h5")
        #expect(loaded.ids == ["sub-a", "sub-b", "sub-c"] && loaded.matrices == shifted)
        let fit = try SharedResponseModel(kind: .srm, features: 2, maxIterations: 50, seed: 2).fit(loaded.matrices)
        let plain = try SharedResponseModel(kind: .srm, features: 2, maxIterations: 50, seed: 2).fit(data)
        #expect(SRMGolden.relativeError(fit.shared, plain.shared) < 1e-8)
        let s1 = try fit.transform(shifted), s2 = try plain.transform(data)
        #expect(zip(s1, s2).allSatisfy { SRMGolden.relativeError($0, $1) < 1e-8 })
        try fit.write(to: dir + "/m.h5", ids: loaded.ids)
        let (back, ids) = try FittedSharedResponse.read(dir + "/m.h5")
        #expect(ids == loaded.ids && back.kind == .srm && back.loadings == fit.loadings && back.shared == fit.shared)
        #expect(back.noiseVariances == fit.noiseVariances && back.iterations == fit.iterations && back.converged == fit.converged)
        #expect(throws: InputError.self) { try FittedSharedResponse.read(dir + "/d.h5") }
        #expect(throws: InputError.self) { try fit.transform(Array(shifted.prefix(2))) }
    }

    @Test func hungarianMatchingUndoesPermutationAndSign() throws {
        let (latents, _, _) = try SyntheticSharedResponse(subjects: 2, voxels: 10, samples: 80, timescales: [2, 6, 12], seed: 4).generate()
        var permuted = Matrix(rows: 3, cols: 80)
        for c in 0..<80 { permuted[0, c] = -latents[2, c]; permuted[1, c] = latents[0, c]; permuted[2, c] = 2 * latents[1, c] }
        let matched = SubspaceRecovery.matchedCorrelations(latents, permuted)
        #expect(matched.allSatisfy { abs($0 - 1) < 1e-12 }, "\(matched)")
        #expect(SubspaceRecovery.hungarianMaximum([[1, 9], [8, 2]]) == [1, 0])
        #expect(try SubspaceRecovery.canonicalCorrelations(latents, permuted).allSatisfy { abs($0 - 1) < 1e-9 })
    }
}

@Suite struct GPFAGoldenTests {
    static let json: JSONValue = try! JSONValue.parse(String(contentsOfFile: SRMGolden.root + "/gpfa.json", encoding: .utf8))
    static func vector(_ v: JSONValue) -> [Double] { v.arrayValue!.map { $0.doubleValue! } }

    /// From Elephant's own factor-analysis start, 15 EM iterations: the log-likelihood trace and the fitted
    /// parameters agree with Elephant 1.2.1 (its γ step is scipy's L-BFGS-B, ours a tighter 1-D root search, so
    /// agreement is to that optimiser's precision, not to rounding).
    @Test func matchesElephantFromTheSameStart() throws {
        let j = Self.json
        let y = SRMGolden.matrix(j.member("y")!)
        let initial = j.member("init")!
        let start = GPFAParameters(loadings: SRMGolden.matrix(initial.member("C")!), offsets: Self.vector(initial.member("d")!),
                                   noiseVariances: Self.vector(initial.member("R")!), gamma: Self.vector(initial.member("gamma")!),
                                   gpNoise: Self.vector(initial.member("eps")!))
        let fit = try GPFA(latents: 2, maxIterations: 15, tolerance: -1).fit(y, initial: start)
        let expected = Self.vector(j.member("log_likelihoods")!)
        #expect(fit.logLikelihoods.count == 15)
        #expect(abs(fit.logLikelihoods[0] - expected[0]) <= 1e-9 * abs(expected[0]), "the first E-step is exact: \(fit.logLikelihoods[0]) vs \(expected[0])")
        let worst = zip(fit.logLikelihoods, expected).map { abs($0 - $1) / abs($1) }.max()!
        #expect(worst < 1e-7, "log-likelihood trace differs by \(worst) (relative)")
        #expect(zip(fit.logLikelihoods, fit.logLikelihoods.dropFirst()).allSatisfy { $1 >= $0 - 1e-6 * abs($0) }, "EM never decreases the likelihood")
        let gamma = Self.vector(j.member("gamma")!)
        #expect(zip(fit.parameters.gamma, gamma).allSatisfy { abs($0 - $1) <= 1e-4 * $1 }, "\(fit.parameters.gamma) vs \(gamma)")
        #expect(SRMGolden.relativeError(fit.parameters.loadings, SRMGolden.matrix(j.member("C")!)) < 1e-3)
        // The recovered subspace: canonical correlations with Elephant's latents and with the truth.
        let vsElephant = try SubspaceRecovery.canonicalCorrelations(SRMGolden.matrix(j.member("latents")!), fit.latents)
        #expect(vsElephant.allSatisfy { $0 > 0.9999 }, "\(vsElephant)")
        let vsTruth = try SubspaceRecovery.canonicalCorrelations(SRMGolden.matrix(j.member("true_latents")!), fit.latents)
        #expect(vsTruth.allSatisfy { $0 > 0.8 }, "\(vsTruth)")
    }
}

@Suite struct SharedGPFATests {
    /// Noisy synthetic data (per-voxel SNR 0.05): S-GPFA's GP prior recovers the latents and their timescales and
    /// matches time segments better than SRM on held-out TRs.
    @Test func beatsSRMOnNoisyDataAndRecoversTimescales() throws {
        let (latents, data, _) = try SyntheticSharedResponse(subjects: 5, voxels: 150, samples: 200, timescales: [2, 5, 10], signalToNoise: 0.05, seed: 11).generate()
        let train = data.map { x in Matrix(rows: x.rows, cols: 100, storage: (0..<x.rows).flatMap { v in x.storage[(v * 200)..<(v * 200 + 100)] }) }
        let test = data.map { x in Matrix(rows: x.rows, cols: 100, storage: (0..<x.rows).flatMap { v in x.storage[(v * 200 + 100)..<(v * 200 + 200)] }) }
        // The synthetic noise differs per voxel, so per-voxel noise is the well-specified choice here.
        let gp = try SharedGPFA(latents: 3, maxIterations: 200, noise: .perVoxel).fit(train)  // about 10 s in a debug build
        let srm = try SharedResponseModel(kind: .srm, features: 3, maxIterations: 200).fit(train)
        let gpTSM = try TimeSegmentMatching.accuracy(try gp.transform(test), window: 5)
        let srmTSM = try TimeSegmentMatching.accuracy(try srm.transform(test), window: 5)
        let mean = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
        #expect(mean(gpTSM) > mean(srmTSM) + 0.1, "S-GPFA \(mean(gpTSM)) vs SRM \(mean(srmTSM))")
        let trainLatents = Matrix(rows: 3, cols: 100, storage: (0..<3).flatMap { f in latents.storage[(f * 200)..<(f * 200 + 100)] })
        let recovery = try SubspaceRecovery.canonicalCorrelations(trainLatents, gp.shared)
        // Two of the three latents are recovered closely at this noise level (the third, τ = 5, only partly: 0.74).
        #expect(recovery.sorted().suffix(2).allSatisfy { $0 > 0.95 } && recovery.min()! > 0.5, "\(recovery)")
        let scales = gp.timescales.sorted()
        #expect(abs(scales.last! - 10) / 10 < 0.35 && abs(scales[scales.count - 2] - 2) / 2 < 0.35, "\(scales)")
        #expect(zip(gp.logLikelihoods, gp.logLikelihoods.dropFirst()).allSatisfy { $1 >= $0 - 1e-6 * abs($0) })
    }

    @Test func modelFileRoundTripsAndSubjectNoiseIsShared() throws {
        let (_, data, _) = try SyntheticSharedResponse(subjects: 3, voxels: 30, samples: 60, timescales: [3, 8], seed: 5).generate()
        let fit = try SharedGPFA(latents: 2, maxIterations: 10, noise: .perSubject).fit(data)
        for rows in fit.subjectRows { #expect(Set(fit.parameters.noiseVariances[rows]).count == 1) }
        let dir = NSTemporaryDirectory() + "neuropipe-sgpfa-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try fit.write(to: dir + "/m.h5", ids: ["a", "b", "c"])
        let (back, ids) = try SharedGPFA.Fitted.read(dir + "/m.h5")
        #expect(ids == ["a", "b", "c"] && back.parameters.loadings == fit.parameters.loadings && back.subjectRows == fit.subjectRows)
        #expect(zip(back.timescales, fit.timescales).allSatisfy { abs($0 - $1) < 1e-12 * $1 })
        let a = try fit.transform(data), b = try back.transform(data)
        #expect(zip(a, b).allSatisfy { SRMGolden.relativeError($0, $1) < 1e-9 })
        #expect(throws: InputError.self) { try FittedSharedResponse.read(dir + "/m.h5") }
        // Separable subject × region noise: every voxel's variance is σ²_subject·τ²_region.
        let regions = data.map { x in (0..<x.rows).map { $0 % 3 } }
        let separable = try SharedGPFA(latents: 2, maxIterations: 10, noise: .separable).fit(data, regions: regions)
        let r = separable.parameters.noiseVariances, rows = separable.subjectRows
        let ratio0 = r[rows[0].lowerBound] / r[rows[1].lowerBound], ratio1 = r[rows[0].lowerBound + 1] / r[rows[1].lowerBound + 1]
        #expect(abs(ratio0 - ratio1) < 1e-9 * ratio0, "subject factor shared by regions: \(ratio0) vs \(ratio1)")
        #expect(Set(r[rows[0]].map { ($0 * 1e9).rounded() }).count == 3, "three region levels within a subject")
        #expect(throws: InputError.self) { try SharedGPFA(latents: 2, maxIterations: 2, noise: .separable).fit(data) }
    }
}

@Suite struct HeldOutSubjectTests {
    /// A subject left out of the fit gets loadings from its training TRs; for SRM, re-adding a fitted subject
    /// reproduces its fitted loadings (the W update's fixed point), and held-out matching stays far above chance.
    @Test func heldOutSubjectsAreProjectedFromTheirTrainingHalf() throws {
        let (_, data, _) = try SyntheticSharedResponse(subjects: 4, voxels: 60, samples: 120, timescales: [3, 8], signalToNoise: 0.2, seed: 21).generate()
        let train = data.map { x in Matrix(rows: x.rows, cols: 60, storage: (0..<x.rows).flatMap { v in x.storage[(v * 120)..<(v * 120 + 60)] }) }
        let test = data.map { x in Matrix(rows: x.rows, cols: 60, storage: (0..<x.rows).flatMap { v in x.storage[(v * 120 + 60)..<(v * 120 + 120)] }) }
        let srm = try SharedResponseModel(kind: .srm, features: 2, maxIterations: 500, tolerance: 1e-10).fit(train)
        let readded = try srm.addingSubject(train[0])
        #expect(SRMGolden.relativeError(readded.loadings[4], srm.loadings[0]) < 1e-2)
        let heldSRM = try SharedResponseModel(kind: .srm, features: 2, maxIterations: 200).fit(Array(train.dropFirst())).addingSubject(train[0])
        let srmAccuracy = try TimeSegmentMatching.accuracy(try heldSRM.transform(Array(test.dropFirst()) + [test[0]]), window: 5).last!
        let heldGP = try SharedGPFA(latents: 2, maxIterations: 30).fit(Array(train.dropFirst())).addingSubject(train[0])
        let gpAccuracy = try TimeSegmentMatching.accuracy(try heldGP.transform(Array(test.dropFirst()) + [test[0]]), window: 5).last!
        // Chance is 1/55; measured SRM 0.18, S-GPFA 0.58.
        #expect(srmAccuracy > 0.1 && gpAccuracy > 0.3, "SRM \(srmAccuracy), S-GPFA \(gpAccuracy), chance \(1.0 / 55)")
        #expect(throws: InputError.self) { try srm.addingSubject(Matrix(rows: 60, cols: 59)) }
    }
}
