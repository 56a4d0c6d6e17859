import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Files NeuroPipe writes (NIfTI → HDF5, EDF → HDF5, HDF5 → NIfTI): byte-identical to the committed outputs
/// that h5py and nibabel read in scripts/golden/nifti_hdf5, and what those readers saw equals the source.
struct ConversionGoldenTests {
    /// Lines "SOURCE OUTPUT [mask=FIXTURE] [nifti-version=N]", as scripts/golden/nifti_hdf5 runs them.
    static let conversions: [(src: String, out: String, mask: String?, version: Int)] = {
        let text = try! String(contentsOfFile: Fixtures.path("golden/nifti-hdf5-written.txt"), encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let p = line.split(separator: " ").map(String.init)
            let opts = Dictionary(p.dropFirst(2).map { kv -> (String, String) in
                let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts[1])
            }, uniquingKeysWith: { a, _ in a })
            return (p[0], p[1], opts["mask"], Int(opts["nifti-version"] ?? "1")!)
        }
    }()

    static func sourcePath(_ src: String) -> String {
        src.hasPrefix("Tests/Fixtures/") ? Fixtures.path(String(src.dropFirst("Tests/Fixtures/".count))) : Fixtures.path(src)
    }

    @Test("conversions are byte-identical to the files the references read", arguments: conversions.map(\.out))
    func byteIdentical(out: String) throws {
        let c = Self.conversions.first { $0.out == out }!
        let path = TempDir.shared.uniquePath(out)
        _ = try Conversion.convert(input: Self.sourcePath(c.src), output: path, mask: c.mask.map { Fixtures.path($0) }, niftiVersion: c.version)
        let mine = try Data(contentsOf: URL(fileURLWithPath: path))
        let golden = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("golden/nifti-hdf5-written/\(out)")))
        // A Bool, not `mine == golden` inside #expect: on failure Swift Testing would diff the two byte arrays,
        // which is quadratic and hangs the suite on files of 100 kB.
        let identical = mine == golden
        #expect(identical, "\(out) (\(mine.count) bytes) differs from the committed output (\(golden.count) bytes); rerun scripts/golden/nifti_hdf5 if intended")
    }

    static func object(_ g: [String: Any], _ path: String) -> [String: Any]? {
        (g["objects"] as! [[String: Any]]).first { $0["path"] as? String == path }
    }

    @Test("h5py reads NIfTI → HDF5 outputs as nibabel reads the source", arguments: ["functional.h5", "anatomical.h5", "haxby_run001_brain.h5"])
    func voxelsLayout(out: String) throws {
        let c = Self.conversions.first { $0.out == out }!
        let src = try Fixtures.json("golden/nifti/\((c.src as NSString).lastPathComponent).json")
        let g = try Fixtures.json("golden/nifti-hdf5-written-read/\(out).json")
        let root = Self.object(g, "/")!["attributes"] as! [String: Any]
        #expect(root["layout"] as? String == "neuropipe.voxels")
        #expect(root["shape"] as? [Int] == src["shape"] as? [Int])
        let image = try NIfTIReader(path: Fixtures.path(c.src))
        if let tr = image.trSeconds { #expect(root["tr_s"] as? Double == tr) }
        let affine = Self.object(g, "/affine")!
        #expect(affine["shape"] as? [Int] == [4, 4] && affine["dtype"] as? String == "float64")
        let data = Self.object(g, "/data")!
        let stats = data["stats"] as! [String: Double]
        if c.mask == nil {
            // Every voxel: h5py's sums of /data are nibabel's sums of the image, to the last bit.
            let s = src["stats"] as! [String: Double]
            #expect(data["shape"] as? [Int] == [image.voxelsPerVolume, image.volumeCount])
            #expect(stats["min"] == s["min"] && stats["max"] == s["max"])
            #expect(abs(stats["sum"]! - s["sum"]!) <= 1e-12 * abs(s["sum"]!))
        } else {
            let voxels = try NIfTIReader(path: Fixtures.path(c.mask!)).maskVoxels(matching: image.header.shape)
            let m = try image.voxelTimeMatrix(voxels: voxels)
            #expect(data["shape"] as? [Int] == [voxels.count, image.volumeCount])
            #expect(stats["min"] == m.storage.min() && stats["max"] == m.storage.max())
            let idx = Self.object(g, "/voxel_indices")!["stats"] as! [String: Double]
            #expect(idx["sum"] == Double(voxels.reduce(0, +)))
        }
        #expect(data["compression"] as? String == "gzip")
    }

    @Test("h5py reads EDF → HDF5 outputs as edfio reads the source", arguments: ["uneven_samp.h5", "S001R04.h5"])
    func continuousLayout(out: String) throws {
        let c = Self.conversions.first { $0.out == out }!
        let src = try Fixtures.json("golden/edf/\((c.src as NSString).lastPathComponent).json")["edfio"] as! [String: Any]
        let g = try Fixtures.json("golden/nifti-hdf5-written-read/\(out).json")
        let root = Self.object(g, "/")!["attributes"] as! [String: Any]
        let channels = src["channels"] as! [[String: Any]]
        #expect(root["layout"] as? String == "neuropipe.continuous")
        #expect(root["ch_names"] as? [String] == channels.map { $0["label"] as! String })
        let rates = Set(channels.map { $0["sfreq"] as! Double })
        for (i, ch) in channels.enumerated() {
            let s = ch["stats"] as! [String: Double]
            let mine: [String: Double]
            if rates.count == 1 {
                // One /data matrix: compare the whole-matrix sum at the end instead.
                continue
            } else {
                mine = Self.object(g, "/channels/" + String(format: "%04d", i))!["stats"] as! [String: Double]
            }
            #expect(mine["min"] == s["min"] && mine["max"] == s["max"])
            #expect(abs(mine["sum"]! - s["sum"]!) <= 1e-9 * max(1, abs(s["sum"]!)))
        }
        if rates.count == 1 {
            let d = Self.object(g, "/data")!
            #expect(d["shape"] as? [Int] == [channels.count, channels[0]["n_samples"] as! Int])
            let total = channels.map { ($0["stats"] as! [String: Double])["sum"]! }.reduce(0, +)
            #expect(abs((d["stats"] as! [String: Double])["sum"]! - total) <= 1e-9 * max(1, abs(total)))
        }
        let texts = Self.object(g, "/annotations/text")?["strings"] as? [String] ?? []
        #expect(texts.sorted() == (src["annotations"] as! [[String: Any]]).map { $0["text"] as! String }.sorted())
    }

    @Test("nibabel reads HDF5 → NIfTI outputs as the original image",
          arguments: ["functional_roundtrip.nii.gz", "anatomical_roundtrip.nii", "functional_roundtrip_nifti2.nii.gz"])
    func niftiRoundTrip(out: String) throws {
        let original = out.hasPrefix("functional") ? "nibabel_functional.nii" : "nibabel_anatomical.nii"
        let src = try Fixtures.json("golden/nifti/\(original).json")
        let g = try Fixtures.json("golden/nifti-hdf5-written-read/\(out).json")
        #expect(g["shape"] as? [Int] == src["shape"] as? [Int])
        #expect(g["version"] as? Int == (out.contains("nifti2") ? 2 : 1))
        #expect(g["datatype"] as? String == "float32")
        #expect(NIfTIGoldenTests.matrixClose(src["affine"] as! [[Double]], g["affine"], abs: 1e-6))
        #expect(NIfTIGoldenTests.matrixClose(src["affine"] as! [[Double]], g["qform"], abs: 1e-5), "qform rebuilt from the affine")
        #expect((g["zooms"] as! [Double]) == (src["zooms"] as! [Double]))
        let a = src["stats"] as! [String: Double], b = g["stats"] as! [String: Double]
        // Stored as float32: each voxel within float32 rounding (relative 2⁻²⁴).
        #expect(abs(a["max"]! - b["max"]!) <= abs(a["max"]!) * 6e-8 && abs(a["min"]! - b["min"]!) <= abs(a["min"]!) * 6e-8)
        #expect(abs(a["sum"]! - b["sum"]!) <= abs(a["sum"]!) * 6e-8)
    }
}
