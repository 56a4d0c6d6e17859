import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Generated NIfTI files for each reader rule (byte orders, scaling, pairs, gzip, extensions, NIfTI-2, datatypes)
/// and the malformed headers that must be rejected with the field named.
struct NIfTIEdgeCaseTests {
    /// A NIfTI-1 header (348 bytes) with the given fields, little- or big-endian.
    static func header1(dims: [Int], datatype: Int = 4, bitpix: Int = 16, voxOffset: Double = 352, slope: Float = 0, inter: Float = 0,
                        magic: String = "n+1", littleEndian: Bool = true, sizeofHdr: Int32 = 348, pixdim: [Float] = [1, 2, 2, 2, 1.5, 1, 1, 1],
                        sformCode: Int16 = 0, qformCode: Int16 = 0, units: UInt8 = 10) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 348)
        func put<T: FixedWidthInteger>(_ v: T, _ o: Int) {
            let x = littleEndian ? v.littleEndian : v.bigEndian
            withUnsafeBytes(of: x) { for (i, b) in $0.enumerated() { h[o + i] = b } }
        }
        put(sizeofHdr, 0)
        for (i, d) in ([dims.count] + dims + [Int](repeating: 1, count: 7 - dims.count)).enumerated() { put(Int16(truncatingIfNeeded: d), 40 + 2 * i) }
        put(Int16(datatype), 70); put(Int16(bitpix), 72)
        for (i, p) in pixdim.enumerated() { put(p.bitPattern, 76 + 4 * i) }
        put(Float(voxOffset).bitPattern, 108); put(slope.bitPattern, 112); put(inter.bitPattern, 116)
        h[123] = units
        put(qformCode, 252); put(sformCode, 254)
        for (i, b) in magic.utf8.enumerated() { h[344 + i] = b }
        return h
    }

    static func int16Data(_ values: [Int16], littleEndian: Bool = true) -> [UInt8] {
        values.flatMap { v -> [UInt8] in withUnsafeBytes(of: littleEndian ? v.littleEndian : v.bigEndian) { Array($0) } }
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let c = try GzipCompressor()
        var out = [UInt8]()
        try bytes.withUnsafeBytes { try c.compress($0) { out += $0 } }
        try c.finish { out += $0 }
        return out
    }

    static let values: [Int16] = [0, 1, -2, 300, -32768, 32767, 7, 8, 9, 10, 11, 12]  // 2×3×2 volume

    @Test(arguments: [true, false])
    func byteOrdersAndScalingAppliedOnce(littleEndian: Bool) throws {
        let bytes = Self.header1(dims: [2, 3, 2], slope: 2, inter: 10, littleEndian: littleEndian) + [0, 0, 0, 0]
            + Self.int16Data(Self.values, littleEndian: littleEndian)
        let r = try NIfTIReader(path: try TempDir.shared.write(bytes, name: "s.nii"))
        #expect(r.header.littleEndian == littleEndian)
        #expect(try r.readVolume(0) == Self.values.map { Double($0) * 2 + 10 })
        // voxel × time of a 3-D image is [voxels × 1], with the same (single) scaling.
        #expect(try r.voxelTimeMatrix().storage == Self.values.map { Double($0) * 2 + 10 })
    }

    @Test(arguments: [Float(0), Float.nan, Float.infinity])
    func slopeZeroOrNonFiniteMeansNoScaling(slope: Float) throws {
        let bytes = Self.header1(dims: [2, 3, 2], slope: slope, inter: 99) + [0, 0, 0, 0] + Self.int16Data(Self.values)
        let r = try NIfTIReader(path: try TempDir.shared.write(bytes, name: "s.nii"))
        #expect(r.scaling == nil)
        #expect(try r.readVolume(0) == Self.values.map(Double.init))
    }

    @Test func validSlopeWithInfiniteInterceptIsRejected() throws {
        let bytes = Self.header1(dims: [2, 3, 2], slope: 1, inter: .infinity) + [0, 0, 0, 0] + Self.int16Data(Self.values)
        #expect { try NIfTIReader(path: try TempDir.shared.write(bytes, name: "s.nii")) } throws: { ($0 as? InputError)?.field == "scl_inter" }
    }

    @Test func extensionsAreSkippedByVoxOffset() throws {
        var ext: [UInt8] = [1, 0, 0, 0]                 // extender: extensions follow
        ext += [32, 0, 0, 0, 6, 0, 0, 0] + [UInt8](repeating: 0x41, count: 24)  // one 32-byte extension (ecode 6)
        let bytes = Self.header1(dims: [2, 3, 2], voxOffset: 384) + ext + Self.int16Data(Self.values)
        #expect(try NIfTIReader(path: try TempDir.shared.write(bytes, name: "e.nii")).readVolume(0) == Self.values.map(Double.init))
    }

    @Test(arguments: [false, true])
    func hdrImgPairsPlainAndGzipped(gz: Bool) throws {
        let dir = TempDir.shared.uniquePath("pair")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let hdr = Self.header1(dims: [2, 3, 2], voxOffset: 0, magic: "ni1")
        let img = Self.int16Data(Self.values)
        try Data(gz ? try Self.gzip(hdr) : hdr).write(to: URL(fileURLWithPath: dir + (gz ? "/p.hdr.gz" : "/p.hdr")))
        try Data(gz ? try Self.gzip(img) : img).write(to: URL(fileURLWithPath: dir + (gz ? "/p.img.gz" : "/p.img")))
        let r = try NIfTIReader(path: dir + (gz ? "/p.hdr.gz" : "/p.hdr"))
        #expect(!r.header.isSingleFile)
        #expect(try r.readVolume(0) == Self.values.map(Double.init))
        try FileManager.default.removeItem(atPath: dir + (gz ? "/p.img.gz" : "/p.img"))
        #expect { try NIfTIReader(path: dir + (gz ? "/p.hdr.gz" : "/p.hdr")) } throws: {
            ($0 as? InputError)?.field == "file" && ($0 as? InputError)?.message.contains("missing") == true
        }
    }

    @Test func gzipStreamsAcrossConcatenatedMembersAndReportsTruncation() throws {
        let full = Self.header1(dims: [2, 3, 2, 2]) + [0, 0, 0, 0] + Self.int16Data(Self.values + Self.values.reversed())
        // Two gzip members back to back (as `cat a.gz b.gz`) decode as one stream.
        let two = try Self.gzip(Array(full[0..<200])) + Self.gzip(Array(full[200...]))
        let r = try NIfTIReader(path: try TempDir.shared.write(two, name: "two.nii.gz"))
        #expect(try r.readVolume(1) == Self.values.reversed().map(Double.init))
        var cut = try Self.gzip(full)
        cut.removeLast(20)
        let t = try NIfTIReader(path: try TempDir.shared.write(cut, name: "cut.nii.gz"))
        #expect { try t.voxelTimeMatrix() } throws: { $0 is InputError }
    }

    @Test(arguments: NIfTIDatatype.allCases)
    func everyDatatypeWritesAndReadsBack(datatype: NIfTIDatatype) throws {
        let values: [Double] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map { datatype.name.hasPrefix("u") ? $0 * 3 : $0 * 3 - 15 }
        var o = NIfTIWriter.Options()
        o.datatype = datatype
        for version in [1, 2] {
            o.version = version
            let p = TempDir.shared.uniquePath("d.nii.gz")
            try NIfTIWriter.write(values, shape: [2, 3, 2], affine: [[2, 0, 0, -10], [0, 3, 0, 5], [0, 0, 4, 1], [0, 0, 0, 1]], to: p, options: o)
            let r = try NIfTIReader(path: p)
            #expect(r.header.version == version && r.header.datatype == datatype)
            #expect(try r.readVolume(0) == values)
            #expect(r.affine == [[2, 0, 0, -10], [0, 3, 0, 5], [0, 0, 4, 1], [0, 0, 0, 1]])
        }
    }

    @Test func writerScalingAndRotatedAffineQform() throws {
        var o = NIfTIWriter.Options()
        o.datatype = .int16
        o.scaling = (0.5, 100)
        o.tr = 2.5
        let c = cos(0.3), s = sin(0.3)
        let affine: [[Double]] = [[2 * c, -3 * s, 0, 10], [2 * s, 3 * c, 0, -20], [0, 0, -4, 30], [0, 0, 0, 1]]  // det < 0: qfac −1
        let values = (0..<24).map { 100 + Double($0) * 0.5 }
        let p = TempDir.shared.uniquePath("scaled.nii")
        try NIfTIWriter.write(values, shape: [2, 3, 2, 2], affine: affine, to: p, options: o)
        let r = try NIfTIReader(path: p)
        #expect(r.scaling! == (0.5, 100))
        var all = [Double]()
        try r.forEachVolumeBlock { _, _, v in all += v }
        #expect(all == values)
        #expect(r.trSeconds == 2.5 && r.header.pixdim[0] == -1)
        for i in 0..<3 { for j in 0..<4 { #expect(abs(r.header.qformAffine[i][j] - affine[i][j]) < 1e-5, "qform[\(i)][\(j)]") } }
    }

    @Test func degenerateSformIsReportedAndBaseAffineFollowsNibabel() throws {
        var bytes = Self.header1(dims: [4, 5, 7], datatype: 2, bitpix: 8, sformCode: 1) + [0, 0, 0, 0] + [UInt8](repeating: 1, count: 140)
        let r = try NIfTIReader(path: try TempDir.shared.write(bytes, name: "deg.nii"))
        #expect(r.warnings.contains { $0.contains("degenerate") })
        bytes = Self.header1(dims: [4, 5, 7], datatype: 2, bitpix: 8, pixdim: [1, 1, 3, 2, 0, 0, 0, 0]) + [0, 0, 0, 0] + [UInt8](repeating: 1, count: 140)
        let base = try NIfTIReader(path: try TempDir.shared.write(bytes, name: "base.nii")).affine
        #expect(base == [[-1, 0, 0, 1.5], [0, 3, 0, -6], [0, 0, 2, -6], [0, 0, 0, 1]])
    }

    static let malformed: [(String, [UInt8], String)] = [
        ("sizeof_hdr", Self.header1(dims: [2, 3, 2], sizeofHdr: 349) + [0, 0, 0, 0] + Self.int16Data(Self.values), "sizeof_hdr"),
        ("magic", Self.header1(dims: [2, 3, 2], magic: "abc") + [0, 0, 0, 0] + Self.int16Data(Self.values), "magic"),
        ("dim[0] = 0", Self.header1(dims: []) + [0, 0, 0, 0], "dim[0]"),
        ("negative dim", Self.header1(dims: [2, -3, 2]) + [0, 0, 0, 0], "dim[2]"),
        ("zero dim", Self.header1(dims: [2, 0, 2]) + [0, 0, 0, 0], "dim[2]"),
        ("dims beyond the file", Self.header1(dims: [200, 300, 200]) + [0, 0, 0, 0] + Self.int16Data(Self.values), "dim"),
        ("unsupported complex", Self.header1(dims: [2, 3, 2], datatype: 32, bitpix: 64) + [0, 0, 0, 0], "datatype"),
        ("unknown datatype", Self.header1(dims: [2, 3, 2], datatype: 3) + [0, 0, 0, 0], "datatype"),
        ("vox_offset inside the header", Self.header1(dims: [2, 3, 2], voxOffset: 100) + [0, 0, 0, 0] + Self.int16Data(Self.values), "vox_offset"),
        ("negative vox_offset", Self.header1(dims: [2, 3, 2], voxOffset: -5) + [0, 0, 0, 0] + Self.int16Data(Self.values), "vox_offset"),
        ("short file", [UInt8](Self.header1(dims: [2, 3, 2]).prefix(200)), "sizeof_hdr"),
    ]

    @Test(arguments: malformed.indices)
    func malformedHeadersAreRejected(index: Int) throws {
        let (name, bytes, field) = Self.malformed[index]
        let path = try TempDir.shared.write(bytes, name: "bad.nii")
        do {
            _ = try NIfTIReader(path: path).voxelTimeMatrix()
            Issue.record("\(name): accepted")
        } catch let e as InputError {
            #expect(e.field.hasPrefix(field), "\(name): field \(e.field), expected \(field)")
        }
    }

    @Test func hugeDeclaredGzipIsRejectedBeforeAllocation() throws {
        // 30000³ voxels in a tiny .nii.gz: refused from the header alone (no 200 TB allocation, no long inflate).
        let bytes = try Self.gzip(Self.header1(dims: [30000, 30000, 30000]) + [0, 0, 0, 0] + Self.int16Data(Self.values))
        #expect { try NIfTIReader(path: try TempDir.shared.write(bytes, name: "huge.nii.gz")) } throws: { ($0 as? InputError)?.field == "dim" }
    }
}

/// Truncations and bit flips of NIfTI and HDF5 files never crash the reader.
struct NIfTIHDF5MutationTests {
    static func exerciseNIfTI(_ path: String) {
        do {
            let r = try NIfTIReader(path: path)
            _ = try r.infoJSON(stats: true).serialized()
            _ = try r.voxelTimeMatrix()
        } catch is InputError {
        } catch {
            Issue.record("\(path): unexpected error type \(error)")
        }
    }

    @Test(arguments: ["nibabel_functional.nii", "nibabel_example_nifti2.nii.gz", "nibabel_anatomical.nii"])
    func niftiMutations(file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("nifti/\(file)"))))
        let ext = file.hasSuffix(".gz") ? ".nii.gz" : ".nii"
        let dir = TempDir.shared.uniquePath("m")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 0x4E11)
        for cut in Set(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 60)).map { $0 } + [0, 4, 347, 348, 351, 352, 353]) where cut < bytes.count {
            let p = dir + "/cut\(cut)" + ext
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: p))
            Self.exerciseNIfTI(p)
        }
        for trial in 0..<300 {
            var m = bytes
            let span = trial % 3 == 0 ? bytes.count : min(bytes.count, 360)
            for _ in 0..<(1 + trial % 3) { m[Int(rng.next() % UInt64(span))] ^= UInt8(1 << (rng.next() % 8)) }
            let p = dir + "/flip\(trial)" + ext
            try Data(m).write(to: URL(fileURLWithPath: p))
            Self.exerciseNIfTI(p)
        }
    }

    /// libhdf5 itself is the risk here (h5py #1183/#2569): truncations are covered; bit flips are limited to the
    /// data region and a few header bytes, where libhdf5 reports errors instead of crashing.
    @Test(arguments: ["golden/nifti-hdf5-written/functional.h5", "hdf5-edge/types_and_attributes.h5"])
    func hdf5Truncations(file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path(file))))
        let dir = TempDir.shared.uniquePath("h")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            let p = dir + "/cut\(cut).h5"
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: p))
            do {
                let f = try HDF5File(path: p)
                _ = try f.infoJSON(stats: true)
            } catch is InputError {
            } catch is HDF5Error {
            }
        }
    }
}
