import NeuroCore

extension NIfTIReader {
    /// The `neuropipe info --json` object for a NIfTI image (layout in data-schemas/info-nifti.schema.json).
    public func infoJSON(stats: Bool) throws -> JSONValue {
        func matrix(_ m: [[Double]]) -> JSONValue { .array(m.map { .array($0.map { .finite($0) }) }) }
        let h = header
        var members: [(String, JSONValue)] = [
            ("format", .string("NIfTI-\(h.version)")),
            ("shape", .array(h.shape.map { .int($0) })),
            ("datatype", .string(h.datatype?.name ?? "unknown")),
            ("byte_order", .string(h.littleEndian ? "little" : "big")),
            ("affine", matrix(affine)),
            ("qform_code", .int(h.qformCode)),
            ("sform_code", .int(h.sformCode)),
            ("qform", matrix(h.qformAffine)),
            ("sform", matrix(h.sformAffine)),
            ("pixdim", .array(h.pixdim.map { .finite($0) })),
            ("xyzt_units", .int(h.xyztUnits)),
            ("tr_s", .finite(trSeconds)),
            ("scl_slope", .finite(h.sclSlope)),
            ("scl_inter", .finite(h.sclInter)),
            ("intent_code", .int(h.intentCode)),
            ("warnings", .array(warnings.map { .string($0) })),
        ]
        if stats {
            let s = try statistics()
            members.append(("stats", .object([("sum", .finite(s.sum)), ("min", .finite(s.min)), ("max", .finite(s.max)),
                                              ("mean", .finite(s.mean)), ("n_nan", .int(s.nanCount))])))
        }
        return .object(members)
    }
}

extension HDF5File {
    /// The `neuropipe info --json` object for an HDF5 file (data-schemas/info-hdf5.schema.json): every group and
    /// dataset depth-first in name order; with `stats`, sum/min/max/mean of each readable numeric dataset
    /// (streamed in row blocks), or `stats_error` when a dataset cannot be read (e.g. an unavailable filter).
    public func infoJSON(stats: Bool) throws -> JSONValue {
        let objs = try objects()
        var items = [JSONValue]()
        for o in objs {
            var m: [(String, JSONValue)] = [("path", .string(o.path)), ("kind", .string(o.kind.rawValue))]
            if o.kind == .dataset {
                m.append(("shape", .array((o.shape ?? []).map { .int($0) })))
                m.append(("dtype", .string(o.dtype ?? "unknown")))
                m.append(("chunks", o.chunks.map { .array($0.map { .int($0) }) } ?? .null))
                m.append(("compression", o.compression.map { .string($0) } ?? .null))
            }
            m.append(("attributes", .object(o.attributes)))
            if stats, o.kind == .dataset, let dt = o.dtype, dt.hasPrefix("int") || dt.hasPrefix("uint") || dt.hasPrefix("float") {
                do {
                    let s = try numericStatistics(o.path, shape: o.shape ?? [])
                    m.append(("stats", .object([("sum", .finite(s.sum)), ("min", .finite(s.min)), ("max", .finite(s.max)), ("mean", .finite(s.mean))])))
                } catch let e as HDF5Error {
                    m.append(("stats_error", .string(e.message)))
                }
            }
            items.append(.object(m))
        }
        return .object([("format", .string("HDF5")), ("objects", .array(items))])
    }

    /// Sum, min, max, mean (NaN excluded) of a numeric dataset, read in blocks of rows.
    public func numericStatistics(_ object: String, shape: [Int]) throws -> (sum: Double, min: Double, max: Double, mean: Double) {
        var sum = 0.0, lo = Double.infinity, hi = -Double.infinity, n = 0
        func add(_ values: [Double]) {
            for x in values where !x.isNaN {
                sum += x; n += 1
                if x < lo { lo = x }
                if x > hi { hi = x }
            }
        }
        if shape.isEmpty || shape[0] == 0 {
            add(try readDoubles(object).values)
        } else {
            let rowSize = max(1, shape.dropFirst().reduce(1, *))
            let step = max(1, (8 << 20) / rowSize)
            var r = 0
            while r < shape[0] {
                add(try readDoubles(object, rows: r..<min(shape[0], r + step)).values)
                r += step
            }
        }
        return (sum, n > 0 ? lo : .nan, n > 0 ? hi : .nan, n > 0 ? sum / Double(n) : .nan)
    }
}
