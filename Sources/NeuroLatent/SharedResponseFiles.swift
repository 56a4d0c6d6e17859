import Foundation
import NeuroCore
import NeuroIO

/// Multi-subject data for shared response models: `[voxels_i × TRs]` per subject, from an HDF5 file with
/// `/subjects/<id>/data`, or from one 4-D NIfTI per subject restricted to a mask.
public struct SubjectData: Sendable {
    public var ids: [String]
    public var matrices: [Matrix]
    /// A region (parcel) label per voxel of each subject, when known (for separable subject × region noise).
    public var regions: [[Int]]?

    public init(ids: [String], matrices: [Matrix], regions: [[Int]]? = nil) {
        self.ids = ids
        self.matrices = matrices
        self.regions = regions
    }

    /// `/subjects/<id>/data` of `path`, subjects in name order.
    public static func read(hdf5 path: String) throws -> SubjectData {
        let file = try HDF5File(path: path)
        let ids = try file.objects().compactMap { o -> String? in
            let parts = o.path.split(separator: "/")
            return o.kind == .dataset && parts.count == 3 && parts[0] == "subjects" && parts[2] == "data" ? String(parts[1]) : nil
        }.sorted()
        guard !ids.isEmpty else {
            throw InputError(file: path, field: "/subjects", message: "no /subjects/<id>/data datasets; expected one [voxels × TRs] matrix per subject")
        }
        let matrices = try ids.map { id -> Matrix in
            let (shape, values) = try file.readDoubles("/subjects/\(id)/data")
            guard shape.count == 2 else {
                throw InputError(file: path, field: "/subjects/\(id)/data", message: "has shape \(shape); expected [voxels × TRs]")
            }
            return Matrix(rows: shape[0], cols: shape[1], storage: values)
        }
        var regions: [[Int]]? = nil
        if ids.allSatisfy({ file.exists("/subjects/\($0)/regions") }) {
            regions = try zip(ids, matrices).map { id, x in
                let labels = try file.readDoubles("/subjects/\(id)/regions").values.map { Int($0) }
                guard labels.count == x.rows else {
                    throw InputError(file: path, field: "/subjects/\(id)/regions", message: "has \(labels.count) labels; expected one per voxel (\(x.rows))")
                }
                return labels
            }
        }
        return SubjectData(ids: ids, matrices: matrices, regions: regions)
    }

    /// One 4-D image per subject, the voxels inside `mask`; ids as `RecordingLoader.subject(of:)` gives them; `atlas` (a 3-D
    /// label image on the same grid) gives each voxel its region.
    public static func read(nifti paths: [String], mask: String, atlas: String? = nil) throws -> SubjectData {
        var matrices = [Matrix](), ids = [String](), regions = [[Int]]()
        for path in paths {
            let reader = try NIfTIReader(path: path)
            let voxels = try NIfTIReader(path: mask).maskVoxels(matching: reader.header.shape)
            matrices.append(try reader.voxelTimeMatrix(voxels: voxels))
            if let atlas {
                let labels = try NIfTIReader(path: atlas)
                guard Array(labels.header.shape.prefix(3)) == Array(reader.header.shape.prefix(3)) else {
                    throw InputError(file: atlas, field: "dim", message: "has shape \(labels.header.shape); expected the images' grid \(Array(reader.header.shape.prefix(3)))")
                }
                let volume = try labels.readVolume(0)
                regions.append(voxels.map { Int(volume[$0]) })
            }
            ids.append(RecordingLoader.subject(of: path))
        }
        return SubjectData(ids: ids, matrices: matrices, regions: atlas == nil ? nil : regions)
    }

    /// Each voxel's time series z-scored (ddof 1; constant voxels set to 0), as the BrainIAK tutorials do first.
    public func zscored() -> SubjectData {
        SubjectData(ids: ids, matrices: matrices.map { x in
            var out = x
            for v in 0..<x.rows {
                let row = x.row(v)
                let mean = row.reduce(0, +) / Double(x.cols)
                let sd = (row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, x.cols - 1))).squareRoot()
                for t in 0..<x.cols { out[v, t] = sd > 0 ? (x[v, t] - mean) / sd : 0 }
            }
            return out
        }, regions: regions)
    }

    /// TRs `range` of every subject.
    public func samples(_ range: Range<Int>) -> SubjectData {
        SubjectData(ids: ids, matrices: matrices.map { x in
            Matrix(rows: x.rows, cols: range.count, storage: (0..<x.rows).flatMap { v in x.storage[(v * x.cols + range.lowerBound)..<(v * x.cols + range.upperBound)] })
        }, regions: regions)
    }

    /// Writes `/subjects/<id>/data` (the same layout `read(hdf5:)` takes), e.g. for synthetic data, with the true
    /// `/latents` `[k × TRs]` when known.
    public func write(to path: String, latents: Matrix? = nil) throws {
        let writer = try HDF5Writer(path: path)
        if let latents { try writer.writeDoubles("/latents", latents.storage, shape: [latents.rows, latents.cols]) }
        try writer.createGroup("/subjects")
        for (m, (id, x)) in zip(ids, matrices).enumerated() {
            try writer.createGroup("/subjects/\(id)")
            try writer.writeDoubles("/subjects/\(id)/data", x.storage, shape: [x.rows, x.cols])
            if let regions { try writer.writeInt64("/subjects/\(id)/regions", regions[m].map { Int64($0) }, shape: [x.rows]) }
        }
        try writer.commit()
    }
}

extension FittedSharedResponse {
    /// The `neuropipe.srm` layout (data-schemas/hdf5-srm.schema.json): /shared [k × T], /loglik [iterations] (the
    /// objective per iteration), /subjects/<id>/W [voxels × k] and /subjects/<id>/mu [voxels]; /sigma_s [k × k] and
    /// root attribute noise_variances for the probabilistic model.
    public func write(to path: String, ids: [String]) throws {
        let writer = try HDF5Writer(path: path)
        try writer.setAttribute("layout", .string("neuropipe.srm"))
        try writer.setAttribute("layout_version", .int(1))
        try writer.setAttribute("neuropipe_version", .string(NeuroPipeVersion.current))
        try writer.setAttribute("model", .string(kind.rawValue))
        try writer.setAttribute("k", .int(shared.rows))
        try writer.setAttribute("iterations", .int(iterations))
        try writer.setAttribute("converged", .bool(converged))
        if let noiseVariances { try writer.setAttribute("noise_variances", .array(noiseVariances.map { .number($0) })) }
        try writer.writeDoubles("/shared", shared.storage, shape: [shared.rows, shared.cols])
        try writer.writeDoubles("/loglik", objective, shape: [objective.count])
        if let sharedCovariance { try writer.writeDoubles("/sigma_s", sharedCovariance.storage, shape: [sharedCovariance.rows, sharedCovariance.cols]) }
        try writer.createGroup("/subjects")
        for (i, id) in ids.enumerated() {
            try writer.createGroup("/subjects/\(id)")
            try writer.writeDoubles("/subjects/\(id)/W", loadings[i].storage, shape: [loadings[i].rows, loadings[i].cols])
            try writer.writeDoubles("/subjects/\(id)/mu", means[i], shape: [means[i].count])
        }
        try writer.commit()
    }

    /// Reads a model written by `write(to:ids:)`; returns it with the subject ids in file order.
    public static func read(_ path: String) throws -> (model: FittedSharedResponse, ids: [String]) {
        let file = try HDF5File(path: path)
        let attributes = try file.attributes(of: "/")
        func attribute(_ name: String) -> JSONValue? { attributes.first { $0.0 == name }?.1 }
        guard attribute("layout") == .string("neuropipe.srm"), let kindName = attribute("model")?.stringValue,
              let kind = SharedResponseKind(rawValue: kindName) else {
            throw InputError(file: path, field: "layout", message: "is not a neuropipe.srm model file (neuropipe srm fit writes one)")
        }
        let ids = try file.objects().compactMap { o -> String? in
            let parts = o.path.split(separator: "/")
            return o.kind == .dataset && parts.count == 3 && parts[0] == "subjects" && parts[2] == "W" ? String(parts[1]) : nil
        }.sorted()
        func matrix(_ name: String) throws -> Matrix {
            let (shape, values) = try file.readDoubles(name)
            return Matrix(rows: shape[0], cols: shape.count > 1 ? shape[1] : 1, storage: values)
        }
        let loadings = try ids.map { try matrix("/subjects/\($0)/W") }
        let means = try ids.map { try file.readDoubles("/subjects/\($0)/mu").values }
        let noise: [Double]? = attribute("noise_variances").flatMap { v in v.arrayValue?.compactMap(\.doubleValue) }
        let model = FittedSharedResponse(kind: kind, loadings: loadings, means: means, shared: try matrix("/shared"),
                                         sharedCovariance: file.exists("/sigma_s") ? try matrix("/sigma_s") : nil, noiseVariances: noise,
                                         objective: try file.readDoubles("/loglik").values, iterations: attribute("iterations")?.doubleValue.map { Int($0) } ?? 0,
                                         converged: attribute("converged") == .bool(true) || attribute("converged") == .int(1))
        return (model, ids)
    }
}
