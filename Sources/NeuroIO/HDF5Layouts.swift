import Foundation
import NeuroCore

/// NeuroPipe's HDF5 layouts (data-schemas/hdf5-*.schema.json). Each file says which one it is in the root
/// attributes `layout` and `layout_version`.
public enum HDF5Layout {
    /// Continuous signals from EDF/BDF: `/data` float64 `[channels × samples]` when every channel has the same
    /// rate (attribute `sfreq`), else one `/channels/NNNN` float64 `[samples]` per channel (attribute `sfreq` each);
    /// root attributes `ch_names`, `units`, `sfreqs`, `start`, `source`; `/annotations/{onset,duration,text}`
    /// (duration NaN when absent) and `/segments/{onset,duration}` in seconds from `start`.
    public static func writeContinuous(_ rec: Recording, source: String, to path: String) throws {
        let w = try HDF5Writer(path: path)
        let sig = rec.signal
        try w.setAttribute("layout", .string("neuropipe.continuous"))
        try w.setAttribute("layout_version", .int(1))
        try w.setAttribute("source", .string(source))
        try w.setAttribute("neuropipe_version", .string(NeuroPipeVersion.current))
        if let s = rec.start { try w.setAttribute("start", .string(s.iso8601)) }
        try w.setAttribute("ch_names", .array(sig.channels.map { .string($0.label) }))
        try w.setAttribute("units", .array(sig.channels.map { .string($0.unit) }))
        try w.setAttribute("sfreqs", .array(sig.channels.map { .number($0.sampleRate) }))
        if let m = sig.matrix, Set(sig.channels.map(\.sampleRate)).count <= 1, !sig.channels.isEmpty {
            // Uncompressed: float64 EEG deflates only to ~87% of its size, while inflating on every read cost
            // pipelines about 40% of their participant-level time.
            try w.writeDoubles("/data", m.storage, shape: [m.rows, m.cols], storage: .contiguous)
            try w.setAttribute("sfreq", .number(sig.channels[0].sampleRate), on: "/data")
            try w.setAttribute("ch_names", .array(sig.channels.map { .string($0.label) }), on: "/data")
        } else {
            for i in 0..<sig.channelCount {
                let name = "/channels/" + String(format: "%04d", i)
                try w.writeDoubles(name, Array(sig.channel(i)), shape: [sig.counts[i]], storage: .contiguous)
                try w.setAttribute("sfreq", .number(sig.channels[i].sampleRate), on: name)
                try w.setAttribute("label", .string(sig.channels[i].label), on: name)
                try w.setAttribute("unit", .string(sig.channels[i].unit), on: name)
            }
        }
        try w.writeDoubles("/annotations/onset", rec.annotations.map(\.onset), shape: [rec.annotations.count])
        try w.writeDoubles("/annotations/duration", rec.annotations.map { $0.duration ?? .nan }, shape: [rec.annotations.count])
        try w.writeStrings("/annotations/text", rec.annotations.map(\.text))
        try w.writeDoubles("/segments/onset", rec.segments.map(\.onset), shape: [rec.segments.count])
        try w.writeDoubles("/segments/duration", rec.segments.map(\.duration), shape: [rec.segments.count])
        try w.commit()
    }

    /// Voxel × time data from NIfTI: `/data` float64 `[voxels × timepoints]` (`[voxels × 1]` for 3-D images),
    /// `/voxel_indices` int64 `[voxels]` (flat index into the image grid, x fastest), `/affine` float64 `[4 × 4]`;
    /// root attributes `shape` (the image's dimensions), `tr_s` (4-D), `xyzt_units`, `source`, `mask` (path or "").
    public static func writeVoxels(_ data: Matrix, voxelIndices: [Int], shape: [Int], affine: [[Double]], tr: Double?,
                                   xyztUnits: Int, source: String, mask: String?, to path: String) throws {
        let w = try HDF5Writer(path: path)
        try w.setAttribute("layout", .string("neuropipe.voxels"))
        try w.setAttribute("layout_version", .int(1))
        try w.setAttribute("source", .string(source))
        try w.setAttribute("neuropipe_version", .string(NeuroPipeVersion.current))
        try w.setAttribute("mask", .string(mask ?? ""))
        try w.setAttribute("shape", .array(shape.map { .int($0) }))
        try w.setAttribute("xyzt_units", .int(xyztUnits))
        if let tr { try w.setAttribute("tr_s", .number(tr)) }
        try w.writeDoubles("/data", data.storage, shape: [data.rows, data.cols], storage: .compressed)
        try w.writeInt64("/voxel_indices", voxelIndices.map(Int64.init), shape: [voxelIndices.count])
        try w.writeDoubles("/affine", affine.flatMap { $0 }, shape: [4, 4])
        try w.commit()
    }

    /// Reads a voxels-layout file (or any file with `/data` `[voxels]` or `[voxels × T]`, `/voxel_indices`,
    /// `/affine` and a `shape` attribute) back into a full image grid for NIfTI output; voxels not listed are 0.
    public static func readVoxelsAsImage(_ file: HDF5File) throws -> (values: [Double], shape: [Int], affine: [[Double]], tr: Double?) {
        for needed in ["/data", "/voxel_indices", "/affine"] where !file.exists(needed) {
            throw InputError(file: file.path, field: needed, message: "missing; expected the neuropipe.voxels layout (data-schemas/hdf5-voxels.schema.json)")
        }
        let attrs = try file.attributes(of: "/")
        guard case .array(let s)? = attrs.first(where: { $0.0 == "shape" })?.1 else {
            throw InputError(file: file.path, field: "/@shape", message: "missing; expected the image dimensions as an integer array")
        }
        let shape3: [Int] = s.prefix(3).map { if case .int(let i) = $0 { return i } else { return 0 } }
        guard shape3.count >= 1, shape3.allSatisfy({ $0 >= 1 }) else {
            throw InputError(file: file.path, field: "/@shape", message: "got \(s); expected positive integers")
        }
        let (dshape, data) = try file.readDoubles("/data")
        let indices = try file.readDoubles("/voxel_indices").values.map { Int($0) }
        let (ashape, a) = try file.readDoubles("/affine")
        guard ashape == [4, 4] else { throw InputError(file: file.path, field: "/affine", message: "shape \(ashape); expected [4, 4]") }
        let rows = dshape.first ?? 0
        let t = dshape.count > 1 ? dshape[1] : 1
        guard rows == indices.count else {
            throw InputError(file: file.path, field: "/voxel_indices", message: "\(indices.count) indices for \(rows) rows of /data")
        }
        let v = shape3.reduce(1, *)
        for i in indices where i < 0 || i >= v {
            throw InputError(file: file.path, field: "/voxel_indices", message: "index \(i) is outside the \(shape3) grid")
        }
        var values = [Double](repeating: 0, count: v * t)
        for (r, voxel) in indices.enumerated() {
            for k in 0..<t { values[k * v + voxel] = data[r * t + k] }
        }
        let tr: Double? = attrs.first(where: { $0.0 == "tr_s" }).flatMap { if case .number(let d) = $0.1 { return d } else { return nil } }
        let shape = t > 1 ? shape3 + [t] : shape3
        return (values, shape, (0..<4).map { i in (0..<4).map { a[i * 4 + $0] } }, tr)
    }
}
