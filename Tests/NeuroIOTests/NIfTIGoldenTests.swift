import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// NeuroPipe's NIfTI reader against nibabel 5.4.2 (golden JSON from scripts/golden/nifti_hdf5).
struct NIfTIGoldenTests {
    static let files = Fixtures.list("nifti")

    static func close(_ a: Double?, _ b: Double?, rel: Double = 1e-12, abs absTol: Double = 1e-9) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (x?, y?): return x == y || Swift.abs(x - y) <= absTol + rel * Swift.max(Swift.abs(x), Swift.abs(y))
        default: return false
        }
    }

    static func matrixClose(_ a: [[Double]], _ b: Any?, abs: Double = 1e-9) -> Bool {
        guard let b = b as? [[Double]], a.count == b.count else { return false }
        return zip(a, b).allSatisfy { r in zip(r.0, r.1).allSatisfy { close($0, $1, abs: abs) } }
    }

    @Test("header fields, affines, scaled data match nibabel", arguments: files)
    func matchesNibabel(file: String) throws {
        let g = try Fixtures.json("golden/nifti/\(file).json")
        try #require(g["error"] == nil)
        let path = Fixtures.path("nifti/\(file)")
        if g["data_error"] != nil {
            // nibabel ships these headers without their .img: NeuroPipe refuses the image, naming the file.
            #expect { try NIfTIReader(path: path) } throws: { ($0 as? InputError)?.field == "file" }
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes += [UInt8](repeating: 0, count: max(0, 540 - bytes.count))
            let h = try NIfTIHeader(bytes: bytes, path: path)
            #expect(h.shape == g["shape"] as! [Int])
            #expect(h.datatype?.name == g["datatype"] as? String)
            #expect(Self.matrixClose(h.bestAffine, g["affine"]))
            return
        }
        let r = try NIfTIReader(path: path)
        let h = r.header
        #expect(h.version == g["version"] as! Int)
        #expect(h.shape == g["shape"] as! [Int])
        #expect(h.datatype?.name == g["datatype"] as? String)
        #expect((h.littleEndian ? "little" : "big") == g["byte_order"] as! String)
        #expect(h.qformCode == g["qform_code"] as! Int && h.sformCode == g["sform_code"] as! Int)
        // nibabel builds the qform in long double; float64 agrees to ~1e-15 of the values.
        #expect(Self.matrixClose(r.affine, g["affine"]), "\(file) affine")
        #expect(Self.matrixClose(h.qformAffine, g["qform"]), "\(file) qform")
        #expect(Self.matrixClose(h.sformAffine, g["sform"]), "\(file) sform")
        let pix: [Double?] = (g["pixdim"] as! [Any]).map { $0 as? Double }
        #expect(zip(h.pixdim, pix).allSatisfy { Self.close($0.isFinite ? $0 : nil, $1) })
        #expect(h.xyztUnits == g["xyzt_units"] as! Int)
        #expect(h.intentCode == g["intent_code"] as! Int)
        // Scaling as nibabel applies it (its data proxy's slope/inter: 1 and 0 when the header has none).
        let scaling = g["scaling"] as! [Double]
        #expect((r.scaling?.slope ?? 1) == scaling[0] && (r.scaling?.inter ?? 0) == scaling[1], "\(file) scaling")
        if h.dims[0] >= 4 {
            let zooms = g["zooms"] as! [Double]
            let unit = (g["time_unit"] as? String) ?? ""
            let factors: [String: Double] = ["msec": 1e-3, "usec": 1e-6]
            let tr: Double = zooms[3] * (factors[unit] ?? 1)
            #expect(Self.close(r.trSeconds, tr), "\(file) TR")
        }
        let s = try r.statistics()
        let gs = g["stats"] as! [String: Double]
        #expect(Self.close(s.sum, gs["sum"], rel: 1e-12), "\(file) sum \(s.sum) vs \(gs["sum"]!)")
        #expect(s.min == gs["min"] && s.max == gs["max"])
        #expect(Self.close(s.mean, gs["mean"]))
        #expect(Double(s.nanCount) == gs["n_nan"])
        // Individual voxels (NIfTI order) are bit-identical: same decode and scaling arithmetic.
        let samples = g["samples"] as! [String: Double]
        var flat = [Double]()
        try r.forEachVolumeBlock { _, _, v in flat.append(contentsOf: v) }
        for (k, v) in samples { #expect(flat[Int(k)!] == v, "\(file) voxel \(k)") }
    }

    @Test("voxel × time matrix and single volumes are slices of the image")
    func voxelTimeLayout() throws {
        let r = try NIfTIReader(path: Fixtures.path("nifti/nibabel_functional.nii"))
        var flat = [Double]()
        try r.forEachVolumeBlock { _, _, v in flat.append(contentsOf: v) }
        let v = r.voxelsPerVolume, t = r.volumeCount
        let m = try r.voxelTimeMatrix()
        #expect(m.rows == v && m.cols == t)
        for (voxel, time) in [(0, 0), (17, 3), (v - 1, t - 1), (500, 19)] { #expect(m[voxel, time] == flat[time * v + voxel]) }
        #expect(try r.readVolume(7) == Array(flat[(7 * v)..<(8 * v)]))
        let sub = try r.voxelTimeMatrix(voxels: [5, 3, 1000, 3])  // any order, repeats allowed
        for (row, voxel) in [5, 3, 1000, 3].enumerated() { #expect(Array(sub.row(row)) == (0..<t).map { flat[$0 * v + voxel] }) }
        // A mask: the Haxby brain mask selects the same rows as indexing by hand.
        let bold = try NIfTIReader(path: Fixtures.path("nifti/run001_bold_25mm.nii.gz"))
        let mask = try NIfTIReader(path: Fixtures.path("nifti/mask_brain.nii.gz")).maskVoxels(matching: bold.header.shape)
        let masked = try bold.voxelTimeMatrix(voxels: mask)
        let full = try bold.voxelTimeMatrix()
        #expect(masked.rows == mask.count && mask.count > 0 && mask.count < bold.voxelsPerVolume)
        for (row, voxel) in mask.enumerated().prefix(50) { #expect(masked.row(row) == full.row(voxel)) }
    }
}

/// NeuroPipe's HDF5 reader against h5py 3.16.0 on EEGLAB v7.3, FieldTrip, SNIRF and NWB files.
struct HDF5GoldenTests {
    // (test_raw.fdt is the EEGLAB set's raw float32 companion, not HDF5.)
    static let files = Fixtures.list("hdf5").filter { !$0.hasSuffix(".fdt") }.map { "hdf5/" + $0 } + Fixtures.list("hdf5-edge").map { "hdf5-edge/" + $0 }

    static func same(_ a: JSONValue, _ b: Any) -> Bool {
        switch (a, b) {
        case (.string(let s), let t as String): return s == t
        case (.int(let i), let n as NSNumber): return Double(i) == n.doubleValue
        case (.number(let d), let n as NSNumber): return NIfTIGoldenTests.close(d, n.doubleValue)
        case (.null, is NSNull): return true
        case (.array(let xs), let ys as [Any]): return xs.count == ys.count && zip(xs, ys).allSatisfy { same($0, $1) }
        default: return false
        }
    }

    @Test("objects, dtypes, chunks, compression, attributes and data match h5py", arguments: files)
    func matchesH5py(file: String) throws {
        let g = try Fixtures.json("golden/\(file).json")
        try #require(g["error"] == nil)
        let f = try HDF5File(path: Fixtures.path(file))
        let mine = try f.objects()
        let theirs = g["objects"] as! [[String: Any]]
        #expect(mine.map(\.path) == theirs.map { $0["path"] as! String }, "\(file): same objects in the same order")
        for (o, t) in zip(mine, theirs) where o.path == t["path"] as! String {
            #expect(o.kind.rawValue == t["kind"] as! String)
            for (name, value) in o.attributes {
                guard let ref = (t["attributes"] as! [String: Any])[name], !(ref is NSNull) else { continue }
                #expect(Self.same(value, ref), "\(file) \(o.path)@\(name): \(value.serialized()) vs \(ref)")
            }
            #expect(Set(o.attributes.map(\.0)) == Set((t["attributes"] as! [String: Any]).keys))
            guard o.kind == .dataset else { continue }
            #expect(o.shape == t["shape"] as? [Int], "\(file) \(o.path) shape")
            #expect(o.dtype == t["dtype"] as? String, "\(file) \(o.path) dtype")
            #expect(o.chunks == t["chunks"] as? [Int])
            #expect(o.compression == t["compression"] as? String)
            if o.compression == "lzf" {
                // h5py bundles LZF; libhdf5 does not: that one dataset is refused by name, the rest stays readable.
                #expect { try f.numericStatistics(o.path, shape: o.shape ?? []) } throws: {
                    ($0 as? HDF5Error)?.message.contains("unsupported filter lzf") == true && ($0 as? HDF5Error)?.object == o.path
                }
                continue
            }
            if let s = t["stats"] as? [String: Double] {
                let st = try f.numericStatistics(o.path, shape: o.shape ?? [])
                #expect(NIfTIGoldenTests.close(st.sum, s["sum"], rel: 1e-10) && st.min == s["min"] && st.max == s["max"], "\(file) \(o.path) stats")
            }
            if let strings = t["strings"] as? [String] {
                #expect(Array(try f.readStrings(o.path).prefix(50)) == strings)
            }
        }
    }

    @Test func hyperslabRowsAreSlicesOfTheWhole() throws {
        let f = try HDF5File(path: Fixtures.path("hdf5/mtd_NIRx_aurora_2022-05-23_004.snirf"))
        let (shape, all) = try f.readDoubles("/nirs/data1/dataTimeSeries")
        let (s2, part) = try f.readDoubles("/nirs/data1/dataTimeSeries", rows: 10..<25)
        #expect(s2 == [15] + shape.dropFirst())
        let row = shape.dropFirst().reduce(1, *)
        #expect(part == Array(all[(10 * row)..<(25 * row)]))
        #expect { try f.readDoubles("/nirs/data1/dataTimeSeries", rows: 0..<(shape[0] + 1)) } throws: { $0 is HDF5Error }
        #expect { try f.readDoubles("/nope") } throws: { ($0 as? HDF5Error)?.object == "/nope" }
    }
}
