import Foundation
import NeuroCore

/// Epochs read from the HDF5 epochs layout (data-schemas/hdf5-epochs.schema.json).
public struct EpochsFile: Sendable {
    /// One `[channels × samples]` matrix per trial.
    public var trials: [Matrix]
    public var labels: [String]
    public var groups: [String]?
    public var sampleRate: Double
    public var channelNames: [String]

    public static func read(path: String) throws -> EpochsFile {
        let f: HDF5File
        do { f = try HDF5File(path: path) } catch let e as HDF5Error { throw e.inputError }
        do {
            guard f.exists("/X"), f.exists("/y") else {
                throw InputError(file: path, field: "/X", message: "missing /X or /y; expected the epochs layout (data-schemas/hdf5-epochs.schema.json)")
            }
            let (shape, x) = try f.readDoubles("/X")
            guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
                throw InputError(file: path, field: "/X", message: "shape \(shape); expected [trials × channels × samples]")
            }
            let info = try f.objects().first { $0.path == "/y" }!
            let labels: [String] = info.dtype == "str" || info.dtype?.hasPrefix("S") == true
                ? try f.readStrings("/y") : try f.readDoubles("/y").values.map { $0 == $0.rounded() ? String(Int($0)) : String($0) }
            guard labels.count == shape[0] else { throw InputError(file: path, field: "/y", message: "\(labels.count) labels for \(shape[0]) trials") }
            var groups: [String]? = nil
            if f.exists("/groups") {
                groups = try f.readStrings("/groups")
                guard groups!.count == shape[0] else { throw InputError(file: path, field: "/groups", message: "\(groups!.count) groups for \(shape[0]) trials") }
            }
            let attrs = Dictionary(try f.attributes(of: "/").map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
            guard case .number(let fs)? = attrs["sfreq"] ?? attrs["sfreq"].flatMap({ if case .int(let i) = $0 { return .number(Double(i)) } else { return nil } }) else {
                throw InputError(file: path, field: "/@sfreq", message: "missing; expected the sampling rate (Hz)")
            }
            var names = [String]()
            if case .array(let a)? = attrs["ch_names"] { names = a.compactMap { if case .string(let s) = $0 { return s } else { return nil } } }
            let per = shape[1] * shape[2]
            let trials = (0..<shape[0]).map { Matrix(rows: shape[1], cols: shape[2], storage: Array(x[($0 * per)..<(($0 + 1) * per)])) }
            return EpochsFile(trials: trials, labels: labels, groups: groups, sampleRate: fs, channelNames: names)
        } catch let e as HDF5Error { throw e.inputError }
    }
}

extension HDF5Layout {
    /// Covariance-set layout: `/covariances` `[trials × n × n]`, `/y`, optional `/mean` `[n × n]` and
    /// `/tangent_vectors` `[trials × n(n+1)/2]`; root attributes estimator, order, lag.
    public static func writeCovariances(_ covs: [Matrix], labels: [String], mean: Matrix?, tangent: Matrix?,
                                        attributes: [(String, JSONValue)], to path: String) throws {
        let w = try HDF5Writer(path: path)
        try w.setAttribute("layout", .string("neuropipe.covariances"))
        try w.setAttribute("layout_version", .int(1))
        try w.setAttribute("neuropipe_version", .string(NeuroPipeVersion.current))
        for (k, v) in attributes where v != .null { try w.setAttribute(k, v) }
        let n = covs.first?.rows ?? 0
        try w.writeDoubles("/covariances", covs.flatMap(\.storage), shape: [covs.count, n, n], storage: .compressed)
        try w.writeStrings("/y", labels)
        if let mean { try w.writeDoubles("/mean", mean.storage, shape: [n, n]) }
        if let tangent { try w.writeDoubles("/tangent_vectors", tangent.storage, shape: [tangent.rows, tangent.cols]) }
        try w.commit()
    }
}

extension HDF5Layout {
    /// Feature-table layout (`neuropipe.features`): `/X` `[samples × features]` float64 (NaN = missing),
    /// `/feature_names`, `/sample_ids`, and each participants.tsv column as `/covariates/<name>` (float64 when every
    /// present value is a number, NaN for missing; else strings). The root attribute `feature_names` is written too
    /// when it fits an HDF5 attribute comfortably (under 32 kB).
    public static func writeFeatures(_ x: Matrix, featureNames: [String], sampleIDs: [String], covariates: [(String, [String])],
                                     source: String, to path: String) throws {
        let w = try HDF5Writer(path: path)
        try w.setAttribute("layout", .string("neuropipe.features"))
        try w.setAttribute("layout_version", .int(1))
        try w.setAttribute("neuropipe_version", .string(NeuroPipeVersion.current))
        try w.setAttribute("source", .string(source))
        if featureNames.reduce(0, { $0 + $1.utf8.count + 16 }) < 32_000 {
            try w.setAttribute("feature_names", .array(featureNames.map { .string($0) }))
        }
        try w.writeDoubles("/X", x.storage, shape: [x.rows, x.cols])
        try w.writeStrings("/feature_names", featureNames)
        try w.writeStrings("/sample_ids", sampleIDs)
        if !covariates.isEmpty { try w.createGroup("/covariates") }
        for (name, cells) in covariates {
            let present = cells.filter { !TSVTable.isMissing($0) }
            if !present.isEmpty, present.allSatisfy({ Double($0) != nil }) {
                try w.writeDoubles("/covariates/" + name, cells.map { TSVTable.isMissing($0) ? .nan : Double($0)! }, shape: [cells.count])
            } else {
                try w.writeStrings("/covariates/" + name, cells)
            }
        }
        try w.commit()
    }
}
