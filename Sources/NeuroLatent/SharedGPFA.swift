import Foundation
import NeuroCore
import NeuroIO

/// S-GPFA: one set of latent trajectories X `[k × T]` with GP priors shared by all subjects, subject-specific
/// loadings W_m `[voxels_m × k]` and offsets, and diagonal noise per voxel or per subject:
/// y_m = W_m x + d_m + ε_m. It is GPFA on the subjects' voxels stacked, so the E-step's cost grows with k·T only and
/// the M-step's linearly with voxels and subjects.
public struct SharedGPFA: Sendable {
    public enum Noise: String, Sendable, CaseIterable { case perVoxel = "voxel", perSubject = "subject", separable = "separable" }

    public var latents: Int
    public var maxIterations: Int
    public var tolerance: Double
    public var noise: Noise
    public var initialTimescale: Double

    public init(latents: Int, maxIterations: Int = 100, tolerance: Double = 1e-6, noise: Noise = .perSubject, initialTimescale: Double = 5) {
        self.latents = latents
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.noise = noise
        self.initialTimescale = initialTimescale
    }

    public struct Fitted: Sendable {
        public var parameters: GPFAParameters
        /// Row range of each subject within the stacked voxels.
        public var subjectRows: [Range<Int>]
        /// Posterior mean of the shared latents on the training data, orthonormalised `[k × T]`.
        public var shared: Matrix
        /// D·Vᵀ of the stacked loadings' SVD: maps posterior latents to the orthonormalised basis.
        public var orthonormaliser: Matrix
        public var logLikelihoods: [Double]
        public var iterations: Int
        public var converged: Bool
        public var timescales: [Double] { parameters.timescales }

        /// GP posterior mean of the shared latents from one subject's data `[voxels_m × T']` alone (a new run of a
        /// fitted subject), in the orthonormalised basis `[k × T']`.
        public func project(subject m: Int, _ y: Matrix) throws -> Matrix {
            let rows = subjectRows[m]
            guard y.rows == rows.count else {
                throw InputError(file: "data", field: "subject \(m + 1)", message: "has \(y.rows) voxels; the model has \(rows.count)")
            }
            let p = parameters
            var c = Matrix(rows: rows.count, cols: p.loadings.cols)
            for (r, v) in rows.enumerated() { for i in 0..<c.cols { c[r, i] = p.loadings[v, i] } }
            let sub = GPFAParameters(loadings: c, offsets: Array(p.offsets[rows]), noiseVariances: Array(p.noiseVariances[rows]), gamma: p.gamma, gpNoise: p.gpNoise)
            return Matrix.product(orthonormaliser, try GPFA.posterior(y, sub).mean)
        }
    }

    /// Fits the shared model to one `[voxels_m × T]` matrix per subject; `regions` (a label per voxel, per subject)
    /// are needed for separable subject × region noise.
    public func fit(_ subjects: [Matrix], regions: [[Int]]? = nil) throws -> Fitted {
        guard subjects.count >= 2 else { throw InputError(file: "data", field: "subjects", message: "S-GPFA needs at least 2 subjects") }
        let t = subjects[0].cols
        guard subjects.allSatisfy({ $0.cols == t }) else { throw InputError(file: "data", field: "TRs", message: "every subject needs the same number of TRs") }
        var rows = [Range<Int>](), start = 0
        for s in subjects { rows.append(start..<(start + s.rows)); start += s.rows }
        let stacked = Matrix(rows: start, cols: t, storage: subjects.flatMap(\.storage))
        var model = GPFA(latents: latents, maxIterations: maxIterations, tolerance: tolerance, initialTimescale: initialTimescale)
        switch noise {
        case .perVoxel: model.noise = .perDimension
        case .perSubject: model.noise = .groups(rows)
        case .separable:
            guard let regions, regions.count == subjects.count, zip(regions, subjects).allSatisfy({ $0.count == $1.rows }) else {
                throw InputError(file: "data", field: "regions", message: "separable noise needs a region label for every voxel of every subject (/subjects/<id>/regions, or --atlas)")
            }
            let labels = Array(Set(regions.flatMap { $0 })).sorted()
            let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
            model.noise = .separable(subject: rows.enumerated().flatMap { m, r in [Int](repeating: m, count: r.count) },
                                     region: regions.flatMap { $0.map { index[$0]! } })
        }
        let fit = try model.fit(stacked)
        let (orthoLatents, _) = try GPFA.orthonormalised(fit)
        let transform = try GPFA.orthonormaliser(fit.parameters.loadings)
        return Fitted(parameters: fit.parameters, subjectRows: rows, shared: orthoLatents, orthonormaliser: transform,
                      logLikelihoods: fit.logLikelihoods, iterations: fit.iterations, converged: fit.converged)
    }
}

extension SharedGPFA.Fitted {
    /// Every subject's data `[voxels_m × T']` projected alone into the shared space `[k × T']`.
    public func transform(_ data: [Matrix]) throws -> [Matrix] {
        guard data.count == subjectRows.count else {
            throw InputError(file: "data", field: "subjects", message: "has \(data.count) subjects; the model was fitted on \(subjectRows.count)")
        }
        return try data.enumerated().map { try project(subject: $0, $1) }
    }

    /// The `neuropipe.srm` layout with model "sgpfa" (or "gpfa") and its noise structure: /shared (orthonormalised training latents), /loglik,
    /// /orthonormaliser [k × k], /subjects/<id>/W (loadings), /mu (offsets), /noise (noise variances); root attributes
    /// timescales (TRs) and gp_noise.
    public func write(to path: String, ids: [String], model: String = "sgpfa", noise: SharedGPFA.Noise = .perSubject) throws {
        let writer = try HDF5Writer(path: path)
        try writer.setAttribute("layout", .string("neuropipe.srm"))
        try writer.setAttribute("layout_version", .int(1))
        try writer.setAttribute("neuropipe_version", .string(NeuroPipeVersion.current))
        try writer.setAttribute("model", .string(model))
        try writer.setAttribute("noise", .string(noise.rawValue))
        try writer.setAttribute("k", .int(shared.rows))
        try writer.setAttribute("iterations", .int(iterations))
        try writer.setAttribute("converged", .bool(converged))
        try writer.setAttribute("timescales", .array(timescales.map { .number($0) }))
        try writer.setAttribute("gp_noise", .array(parameters.gpNoise.map { .number($0) }))
        try writer.writeDoubles("/shared", shared.storage, shape: [shared.rows, shared.cols])
        try writer.writeDoubles("/loglik", logLikelihoods, shape: [logLikelihoods.count])
        try writer.writeDoubles("/orthonormaliser", orthonormaliser.storage, shape: [orthonormaliser.rows, orthonormaliser.cols])
        try writer.createGroup("/subjects")
        let k = parameters.loadings.cols
        for (m, id) in ids.enumerated() {
            let rows = subjectRows[m]
            try writer.createGroup("/subjects/\(id)")
            let w = rows.flatMap { v in (0..<k).map { parameters.loadings[v, $0] } }
            try writer.writeDoubles("/subjects/\(id)/W", w, shape: [rows.count, k])
            try writer.writeDoubles("/subjects/\(id)/mu", Array(parameters.offsets[rows]), shape: [rows.count])
            try writer.writeDoubles("/subjects/\(id)/noise", Array(parameters.noiseVariances[rows]), shape: [rows.count])
        }
        try writer.commit()
    }

    /// Reads an "sgpfa" model file; subject ids in file order.
    public static func read(_ path: String) throws -> (model: SharedGPFA.Fitted, ids: [String]) {
        let file = try HDF5File(path: path)
        let attributes = try file.attributes(of: "/")
        func attribute(_ name: String) -> JSONValue? { attributes.first { $0.0 == name }?.1 }
        guard attribute("model") == .string("sgpfa") || attribute("model") == .string("gpfa") else {
            throw InputError(file: path, field: "model", message: "is not an S-GPFA model (neuropipe srm fit --model sgpfa writes one)")
        }
        let ids = try file.objects().compactMap { o -> String? in
            let parts = o.path.split(separator: "/")
            return o.kind == .dataset && parts.count == 3 && parts[0] == "subjects" && parts[2] == "W" ? String(parts[1]) : nil
        }.sorted()
        var loadings = [Double](), offsets = [Double](), noise = [Double](), rows = [Range<Int>](), start = 0, k = 0
        for id in ids {
            let (shape, w) = try file.readDoubles("/subjects/\(id)/W")
            k = shape[1]
            loadings += w
            offsets += try file.readDoubles("/subjects/\(id)/mu").values
            noise += try file.readDoubles("/subjects/\(id)/noise").values
            rows.append(start..<(start + shape[0]))
            start += shape[0]
        }
        let timescales = attribute("timescales")?.arrayValue?.compactMap(\.doubleValue) ?? []
        let gpNoise = attribute("gp_noise")?.arrayValue?.compactMap(\.doubleValue) ?? []
        func matrix(_ name: String) throws -> Matrix {
            let (shape, values) = try file.readDoubles(name)
            return Matrix(rows: shape[0], cols: shape[1], storage: values)
        }
        let parameters = GPFAParameters(loadings: Matrix(rows: start, cols: k, storage: loadings), offsets: offsets, noiseVariances: noise,
                                        gamma: timescales.map { 1 / ($0 * $0) }, gpNoise: gpNoise)
        let model = SharedGPFA.Fitted(parameters: parameters, subjectRows: rows, shared: try matrix("/shared"), orthonormaliser: try matrix("/orthonormaliser"),
                                      logLikelihoods: try file.readDoubles("/loglik").values,
                                      iterations: attribute("iterations")?.doubleValue.map { Int($0) } ?? 0,
                                      converged: attribute("converged") == .bool(true) || attribute("converged") == .int(1))
        return (model, ids)
    }
}

extension SharedGPFA.Fitted {
    /// A subject the model was not fitted on: loadings, offsets and noise variances by least squares of its data over
    /// the fitted TRs `[voxels × T]` on the fitted latents' posterior mean (floored at 1% of each voxel's variance);
    /// returns a model with the subject appended last.
    public func addingSubject(_ training: Matrix) throws -> SharedGPFA.Fitted {
        let k = parameters.loadings.cols, t = shared.cols
        guard training.cols == t else {
            throw InputError(file: "data", field: "new subject", message: "has \(training.cols) TRs; the model was fitted on \(t)")
        }
        // Posterior latents in the model's own basis: x = (D Vᵀ)⁻¹ x_orth.
        let inverse = try LatentLinearAlgebra.generalInverse(orthonormaliser)
        let x = Matrix.product(inverse, shared)
        var design = Matrix(rows: k + 1, cols: t)  // [x; 1]
        for i in 0..<k { for s in 0..<t { design[i, s] = x[i, s] } }
        for s in 0..<t { design[k, s] = 1 }
        let (gramInverse, _) = try LatentLinearAlgebra.spdInverse(Matrix.product(design, design, transposeB: true))
        let coefficients = Matrix.product(Matrix.product(training, design, transposeB: true), gramInverse)  // [v × (k+1)]
        let fitted = Matrix.product(coefficients, design)
        var c = Matrix(rows: training.rows, cols: k)
        var d = [Double](repeating: 0, count: training.rows), r = d
        for v in 0..<training.rows {
            for i in 0..<k { c[v, i] = coefficients[v, i] }
            d[v] = coefficients[v, k]
            let row = training.row(v), mean = row.reduce(0, +) / Double(t)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(t - 1)
            var residual = 0.0
            for s in 0..<t { let e = training[v, s] - fitted[v, s]; residual += e * e }
            r[v] = max(residual / Double(t), 0.01 * variance, 1e-12)
        }
        let q = parameters.loadings.rows
        let loadings = Matrix(rows: q + training.rows, cols: k, storage: parameters.loadings.storage + c.storage)
        let p = GPFAParameters(loadings: loadings, offsets: parameters.offsets + d, noiseVariances: parameters.noiseVariances + r,
                               gamma: parameters.gamma, gpNoise: parameters.gpNoise)
        return SharedGPFA.Fitted(parameters: p, subjectRows: subjectRows + [q..<(q + training.rows)], shared: shared, orthonormaliser: orthonormaliser,
                                 logLikelihoods: logLikelihoods, iterations: iterations, converged: converged)
    }
}
