import ArgumentParser
import Foundation
import NeuroCore
import NeuroIO
import NeuroLatent

struct SRMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srm", abstract: "Shared response models across subjects (SRM, deterministic SRM): fit, transform, time-segment matching.",
        subcommands: [SRMFitCommand.self, SRMTransformCommand.self, SRMTSMCommand.self, SRMSimulateCommand.self])
}

/// `--data` as every srm verb reads it: D.h5 (/subjects/<id>/data) or a glob of 4-D NIfTI images with --mask.
struct SubjectDataOptions: ParsableArguments {
    @Option(help: "Subjects' data: D.h5 with /subjects/<id>/data [voxels × TRs], or a quoted glob of 4-D NIfTI images (then --mask).") var data: String
    @Option(help: "Mask image for NIfTI data.") var mask: String?
    @Option(help: "Label image (atlas) giving each NIfTI voxel a region, for --noise separable.") var atlas: String?
    @Flag(help: "z-score each voxel's time series first (as the BrainIAK tutorials do).") var zscore = false

    func load() throws -> SubjectData {
        let lower = data.lowercased()
        var loaded: SubjectData
        if lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") {
            guard let mask else { throw InputError(file: data, field: "--mask", message: "NIfTI data need --mask") }
            let paths = try expandGlob(data, option: "--data")
            loaded = try SubjectData.read(nifti: paths, mask: mask, atlas: atlas)
        } else {
            loaded = try SubjectData.read(hdf5: data)
        }
        return zscore ? loaded.zscored() : loaded
    }
}

/// Model choice shared by fit and tsm.
struct SRMModelOptions: ParsableArguments {
    @Option(help: "srm (probabilistic), detsrm, gpfa (GP factor analysis of all subjects' voxels), or sgpfa (shared GP model).") var model: String = "srm"
    @Option(help: "GP models' noise: voxel (one variance per voxel; gpfa's default), subject (one per subject; sgpfa's default) or separable (subject × region; needs regions).") var noise: String?
    @Option(help: "Number of shared features.") var k: Int
    @Option(help: "Maximum iterations.") var iter: Int = 100
    @Option(help: "Stop when the objective changes by less than this (relative).") var tol: Double = 1e-6
    @Option(help: "Seed of the random orthonormal initial loadings.") var seed: UInt64 = 0

    var isGP: Bool { model == "sgpfa" || model == "gpfa" }
    var noiseStructure: SharedGPFA.Noise { noise.flatMap(SharedGPFA.Noise.init) ?? (model == "gpfa" ? .perVoxel : .perSubject) }

    func validate() throws {
        guard SharedResponseKind(rawValue: model) != nil || isGP else {
            throw ValidationError("--model must be srm, detsrm, gpfa or sgpfa")
        }
        if let noise, SharedGPFA.Noise(rawValue: noise) == nil { throw ValidationError("--noise must be voxel, subject or separable") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        guard iter >= 1 else { throw ValidationError("--iter must be at least 1") }
    }

    var model_: SharedResponseModel {
        SharedResponseModel(kind: SharedResponseKind(rawValue: model)!, features: k, maxIterations: iter, tolerance: tol, seed: seed)
    }

    var gpModel: SharedGPFA { SharedGPFA(latents: k, maxIterations: iter, tolerance: tol, noise: noiseStructure) }

    /// Fits the chosen model; returns the training shared response and a projector for new data of the same subjects.
    func fitAndProject(_ data: [Matrix], regions: [[Int]]?) throws -> (iterations: Int, converged: Bool, objective: Double?, timescales: [Double]?, project: ([Matrix]) throws -> [Matrix]) {
        if isGP {
            let fit = try gpModel.fit(data, regions: regions)
            return (fit.iterations, fit.converged, fit.logLikelihoods.last, fit.timescales, fit.transform)
        }
        let fit = try model_.fit(data)
        return (fit.iterations, fit.converged, fit.objective.last, nil, fit.transform)
    }
}

struct SRMFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fit", abstract: "Fit a shared response model and write it (neuropipe.srm HDF5 layout).")
    @OptionGroup var input: SubjectDataOptions
    @OptionGroup var options: SRMModelOptions
    @Option(help: "Model file to write (.h5).") var out: String
    @OptionGroup var json: JSONOption

    func run() throws {
        try runReportingErrors(json: json.json) {
            try OutputLocation.requireWritableFile(out)
            let data = try input.load()
            let started = Date()
            var iterations = 0, converged = false, objective: Double? = nil, timescales: [Double]? = nil, noise: [Double]? = nil
            if options.isGP {
                let fit = try options.gpModel.fit(data.matrices, regions: data.regions)
                try fit.write(to: out, ids: data.ids, model: options.model, noise: options.noiseStructure)
                (iterations, converged, objective, timescales) = (fit.iterations, fit.converged, fit.logLikelihoods.last, fit.timescales)
            } else {
                let fit = try options.model_.fit(data.matrices)
                try fit.write(to: out, ids: data.ids)
                (iterations, converged, objective, noise) = (fit.iterations, fit.converged, fit.objective.last, fit.noiseVariances)
            }
            let seconds = Date().timeIntervalSince(started)
            let summary = JSONValue.object([
                ("model", .string(options.model)), ("k", .int(options.k)), ("subjects", .int(data.ids.count)), ("trs", .int(data.matrices[0].cols)),
                ("iterations", .int(iterations)), ("converged", .bool(converged)), ("objective", .finite(objective)),
                ("noise_variances", noise.map { .array($0.map { .finite($0) }) } ?? .null),
                ("timescales", timescales.map { .array($0.map { .finite($0) }) } ?? .null), ("fit_seconds", .finite(seconds)), ("out", .string(out)),
            ])
            let scales = timescales.map { "; timescales (TRs) " + $0.map { String(format: "%.2f", $0) }.joined(separator: ", ") } ?? ""
            printResult(json: json.json, summary, "\(options.model) k=\(options.k): \(data.ids.count) subjects, \(iterations) iterations (\(converged ? "converged" : "not converged")), final objective \(String(format: "%.6g", objective ?? .nan))\(scales); wrote \(out)")
        }
    }
}

struct SRMTransformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transform", abstract: "Project subjects' data into a fitted model's shared space.")
    @Option(help: "Model file from `neuropipe srm fit`.") var model: String
    @OptionGroup var input: SubjectDataOptions
    @Option(help: "Output HDF5: /subjects/<id>/shared [k × TRs].") var out: String
    @OptionGroup var json: JSONOption

    func run() throws {
        try runReportingErrors(json: json.json) {
            try OutputLocation.requireWritableFile(out)
            let isGP = try HDF5File(path: model).attributes(of: "/").contains { $0.0 == "model" && ($0.1 == .string("sgpfa") || $0.1 == .string("gpfa")) }
            let data = try input.load()
            let shared: [Matrix], ids: [String]
            if isGP {
                let (fit, fitted) = try SharedGPFA.Fitted.read(model)
                ids = fitted
                guard data.ids == ids else {
                    throw InputError(file: input.data, field: "subjects", message: "are \(data.ids.joined(separator: ", ")); the model was fitted on \(ids.joined(separator: ", "))")
                }
                shared = try fit.transform(data.matrices)
            } else {
                let (fit, fitted) = try FittedSharedResponse.read(model)
                ids = fitted
                guard data.ids == ids else {
                    throw InputError(file: input.data, field: "subjects", message: "are \(data.ids.joined(separator: ", ")); the model was fitted on \(ids.joined(separator: ", "))")
                }
                shared = try fit.transform(data.matrices)
            }
            let writer = try HDF5Writer(path: out)
            try writer.setAttribute("model", .string(model))
            try writer.createGroup("/subjects")
            for (id, s) in zip(ids, shared) {
                try writer.createGroup("/subjects/\(id)")
                try writer.writeDoubles("/subjects/\(id)/shared", s.storage, shape: [s.rows, s.cols])
            }
            try writer.commit()
            printResult(json: json.json, .object([("subjects", .int(ids.count)), ("out", .string(out))]), "wrote \(out) (\(ids.count) subjects)")
        }
    }
}

struct SRMTSMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsm", abstract: "Time-segment matching: fit on the first half of the TRs, match segments of the second half (leave one subject out).",
        discussion: "BrainIAK's tutorial classifier: segments of --window TRs of the held-out subject's shared response are matched to the sum of the other subjects' by correlation, overlapping segments excluded.")
    @OptionGroup var input: SubjectDataOptions
    @OptionGroup var options: SRMModelOptions
    @Option(help: "Segment length (TRs).") var window: Int = 10
    @Option(help: "loso: fit on every subject's first half, match each subject against the others; heldout: also leave the matched subject out of the fit (its loadings come from its own first half).") var `protocol`: String = "loso"
    @OptionGroup var json: JSONOption

    func run() throws {
        guard self.protocol == "loso" || self.protocol == "heldout" else { throw ValidationError("--protocol must be loso or heldout") }
        try runReportingErrors(json: json.json) {
            let data = try input.load()
            let t = data.matrices[0].cols
            let train = data.samples(0..<(t / 2)), test = data.samples((t / 2)..<t)
            let fit = try options.fitAndProject(train.matrices, regions: data.regions)
            let shared = try fit.project(test.matrices)
            var accuracy = try TimeSegmentMatching.accuracy(shared, window: window)
            if self.protocol == "heldout" {
                // Refit without each subject, add it from its first half, match its second half against the others'.
                accuracy = try data.ids.indices.map { s in
                    let others = data.ids.indices.filter { $0 != s }
                    let order = others.map { test.matrices[$0] } + [test.matrices[s]]
                    let projected: [Matrix]
                    if options.isGP {
                        projected = try options.gpModel.fit(others.map { train.matrices[$0] }, regions: data.regions.map { r in others.map { r[$0] } })
                            .addingSubject(train.matrices[s]).transform(order)
                    } else {
                        projected = try options.model_.fit(others.map { train.matrices[$0] }).addingSubject(train.matrices[s]).transform(order)
                    }
                    return try TimeSegmentMatching.accuracy(projected, window: window).last!
                }
            }
            let mean = accuracy.reduce(0, +) / Double(accuracy.count)
            let isc = TimeSegmentMatching.interSubjectCorrelation(shared)
            let result = JSONValue.object([
                ("model", .string(options.model)), ("k", .int(options.k)), ("window", .int(window)), ("protocol", .string(self.protocol)), ("accuracy", .finite(mean)),
                ("chance", .finite(1 / Double(t - t / 2 - window))),
                ("per_subject", .object(zip(data.ids, accuracy).map { ($0, JSONValue.finite($1)) })), ("isc", .finite(isc)),
                ("iterations", .int(fit.iterations)), ("converged", .bool(fit.converged)),
                ("timescales", fit.timescales.map { .array($0.map { .finite($0) }) } ?? .null),
            ])
            printResult(json: json.json, result, "\(options.model) k=\(options.k) window \(window): accuracy \(String(format: "%.3f", mean)) (chance \(String(format: "%.3f", 1 / Double(t - t / 2 - window)))), ISC \(String(format: "%.3f", isc))")
        }
    }
}

struct SRMSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulate", abstract: "Write synthetic multi-subject data with GP latents (for tests and benchmarks).")
    @Option(help: "Subjects.") var subjects: Int = 10
    @Option(help: "Voxels per subject.") var voxels: Int = 2000
    @Option(help: "TRs.") var trs: Int = 300
    @Option(help: "Comma-separated latent timescales in TRs (one per latent).") var timescales: String = "1,2,3,4,6,8,10,12,16,20"
    @Option(help: "Ratio of a voxel's signal variance to its noise variance (on average).") var snr: Double = 1
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Output HDF5 (/subjects/sub-XX/data, plus /latents).") var out: String

    func run() throws {
        try runReportingErrors(json: false) {
            try OutputLocation.requireWritableFile(out)
            let taus = timescales.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !taus.isEmpty, taus.allSatisfy({ $0 > 0 }) else { throw InputError(file: "", field: "--timescales", message: "give positive numbers, e.g. 2,5,10") }
            let (latents, data, _) = try SyntheticSharedResponse(subjects: subjects, voxels: voxels, samples: trs, timescales: taus, signalToNoise: snr, seed: seed).generate()
            let ids = (1...subjects).map { String(format: "sub-%02d", $0) }
            // Ten contiguous blocks of voxels as "regions", so separable subject × region noise can be tried.
            let regions = data.map { x in (0..<x.rows).map { $0 * 10 / x.rows } }
            try SubjectData(ids: ids, matrices: data, regions: regions).write(to: out, latents: latents)
            print("wrote \(out)")
        }
    }
}
