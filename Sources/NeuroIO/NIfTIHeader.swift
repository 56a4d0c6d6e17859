import NeuroCore

/// NIfTI voxel datatypes NeuroPipe reads and writes (codes from nifti1.h), with numpy-style names.
public enum NIfTIDatatype: Int, Sendable, CaseIterable {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, float64 = 64
    case int8 = 256, uint16 = 512, uint32 = 768, int64 = 1024, uint64 = 1280

    public var byteSize: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    public var name: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .int16: return "int16"
        case .uint16: return "uint16"
        case .int32: return "int32"
        case .uint32: return "uint32"
        case .int64: return "int64"
        case .uint64: return "uint64"
        case .float32: return "float32"
        case .float64: return "float64"
        }
    }

    /// Names of codes NeuroPipe recognises but does not read (complex, RGB, 128-bit float).
    static let unsupported: [Int: String] = [32: "complex64", 128: "RGB24", 1536: "float128", 1792: "complex128",
                                             2048: "complex256", 2304: "RGBA32"]
}

/// A decoded NIfTI-1 or NIfTI-2 header (both byte orders), validated before any data is allocated.
public struct NIfTIHeader: Sendable {
    public var version: Int            // 1 or 2
    public var littleEndian: Bool
    public var isSingleFile: Bool      // magic n+1/n+2 (.nii) vs ni1/ni2 (.hdr + .img)
    /// dim[0] and dim[1…dim[0]]: number of dimensions and their sizes.
    public var dims: [Int]
    public var pixdim: [Double]        // all 8 entries
    public var datatypeCode: Int
    public var datatype: NIfTIDatatype?
    public var bitpix: Int
    public var voxOffset: Int
    public var sclSlope: Double
    public var sclInter: Double
    public var xyztUnits: Int
    public var intentCode: Int
    public var qformCode: Int
    public var sformCode: Int
    public var quatern: (b: Double, c: Double, d: Double)
    public var qoffset: (x: Double, y: Double, z: Double)
    public var srow: [[Double]]        // 3 rows of 4
    public var descrip: String
    public var headerSize: Int         // 348 or 540

    /// Number of voxels per volume (product of the first three dimensions, missing ones = 1).
    public var voxelsPerVolume: Int { (1...3).reduce(1) { $0 * (dims.count > $1 ? dims[$1] : 1) } }
    /// Volumes: product of dimensions 4…7 (1 for 3-D images).
    public var volumeCount: Int { dims.count > 4 ? dims[4...].reduce(1, *) : 1 }
    public var shape: [Int] { Array(dims.dropFirst()) }

    /// Parses the first `headerSize` bytes of a NIfTI file. `bytes` must hold at least 348 bytes (540 for v2).
    public init(bytes: [UInt8], path: String) throws {
        func fail(_ field: String, _ message: String) -> InputError { InputError(file: path, field: field, message: message) }
        guard bytes.count >= 348 else { throw fail("sizeof_hdr", "file has \(bytes.count) header bytes; a NIfTI header needs 348 (NIfTI-1) or 540 (NIfTI-2)") }
        let le = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        let be = le.byteSwapped
        switch (le, be) {
        case (348, _): version = 1; littleEndian = true
        case (_, 348): version = 1; littleEndian = false
        case (540, _): version = 2; littleEndian = true
        case (_, 540): version = 2; littleEndian = false
        default: throw fail("sizeof_hdr", "got \(le) (little-endian) / \(be) (big-endian); expected 348 (NIfTI-1) or 540 (NIfTI-2)")
        }
        headerSize = version == 1 ? 348 : 540
        guard bytes.count >= headerSize else { throw fail("sizeof_hdr", "file has \(bytes.count) bytes; the NIfTI-2 header needs 540") }
        let r = FieldReader(bytes: bytes, littleEndian: littleEndian)

        let magic = version == 1 ? Array(bytes[344..<348]) : Array(bytes[4..<12])
        let n1single: [UInt8] = [0x6E, 0x2B, 0x31, 0], n1pair: [UInt8] = [0x6E, 0x69, 0x31, 0]
        let n2single: [UInt8] = [0x6E, 0x2B, 0x32, 0, 0x0D, 0x0A, 0x1A, 0x0A], n2pair: [UInt8] = [0x6E, 0x69, 0x32, 0, 0x0D, 0x0A, 0x1A, 0x0A]
        if version == 1 {
            guard magic == n1single || magic == n1pair else {
                throw fail("magic", "got \(magic.map { String($0, radix: 16) }); expected \"n+1\\0\" (single file) or \"ni1\\0\" (.hdr/.img pair)")
            }
            isSingleFile = magic == n1single
        } else {
            guard magic == n2single || magic == n2pair else {
                throw fail("magic", "got \(magic.map { String($0, radix: 16) }); expected \"n+2\\0\\r\\n\\x1a\\n\" or \"ni2\\0\\r\\n\\x1a\\n\"")
            }
            isSingleFile = magic == n2single
        }

        var dim = [Int]()
        var pix = [Double]()
        if version == 1 {
            dim = (0..<8).map { Int(r.int16(40 + 2 * $0)) }
            pix = (0..<8).map { Double(r.float32(76 + 4 * $0)) }
            datatypeCode = Int(r.int16(70)); bitpix = Int(r.int16(72))
            let vo = Double(r.float32(108))
            guard vo.isFinite, vo >= 0, vo < 1e15 else { throw fail("vox_offset", "got \(vo); expected a non-negative byte offset") }
            voxOffset = Int(vo)
            sclSlope = Double(r.float32(112)); sclInter = Double(r.float32(116))
            xyztUnits = Int(bytes[123]); intentCode = Int(r.int16(68))
            qformCode = Int(r.int16(252)); sformCode = Int(r.int16(254))
            quatern = (Double(r.float32(256)), Double(r.float32(260)), Double(r.float32(264)))
            qoffset = (Double(r.float32(268)), Double(r.float32(272)), Double(r.float32(276)))
            srow = (0..<3).map { row in (0..<4).map { Double(r.float32(280 + 16 * row + 4 * $0)) } }
            descrip = r.text(148, 80)
        } else {
            dim = try (0..<8).map { i in
                let v = r.int64(16 + 8 * i)
                guard v >= Int64(Int32.min) && v <= Int64(Int32.max) * 1024 else { throw fail("dim[\(i)]", "got \(v); expected a plausible size") }
                return Int(v)
            }
            pix = (0..<8).map { r.float64(104 + 8 * $0) }
            datatypeCode = Int(r.int16(12)); bitpix = Int(r.int16(14))
            let vo = r.int64(168)
            guard vo >= 0, vo < 1 << 50 else { throw fail("vox_offset", "got \(vo); expected a non-negative byte offset") }
            voxOffset = Int(vo)
            sclSlope = r.float64(176); sclInter = r.float64(184)
            xyztUnits = Int(r.int32(500)); intentCode = Int(r.int32(504))
            qformCode = Int(r.int32(344)); sformCode = Int(r.int32(348))
            quatern = (r.float64(352), r.float64(360), r.float64(368))
            qoffset = (r.float64(376), r.float64(384), r.float64(392))
            srow = (0..<3).map { row in (0..<4).map { r.float64(400 + 32 * row + 8 * $0) } }
            descrip = r.text(240, 80)
        }
        guard (1...7).contains(dim[0]) else { throw fail("dim[0]", "got \(dim[0]); expected 1 to 7 dimensions") }
        for i in 1...dim[0] where dim[i] <= 0 {
            throw fail("dim[\(i)]", "got \(dim[i]); every used dimension must be ≥ 1")
        }
        dims = Array(dim[0...dim[0]])
        pixdim = pix
        // Element count and byte size must fit in memory arithmetic (overflow = malformed).
        var total = 1
        for d in dims.dropFirst() {
            let (p, o) = total.multipliedReportingOverflow(by: d)
            guard !o, p < 1 << 48 else { throw fail("dim", "dimensions \(dims.dropFirst()) give more voxels than any file can hold") }
            total = p
        }
        datatype = NIfTIDatatype(rawValue: datatypeCode)
        if datatype == nil {
            if let name = NIfTIDatatype.unsupported[datatypeCode] {
                throw fail("datatype", "unsupported datatype \(name) (code \(datatypeCode)); expected an integer or float type")
            }
            throw fail("datatype", "unknown datatype code \(datatypeCode)")
        }
        let (bytesTotal, o) = total.multipliedReportingOverflow(by: datatype!.byteSize)
        guard !o, bytesTotal < 1 << 50 else { throw fail("dim", "image size overflows") }
    }

    /// Bytes of voxel data: voxels × volumes × bytes per voxel.
    public var dataBytes: Int { voxelsPerVolume * volumeCount * (datatype?.byteSize ?? 1) }

    /// nibabel's scaling rule: applied when slope is finite and non-zero; then the intercept must be finite.
    public func scaling(path: String) throws -> (slope: Double, inter: Double)? {
        guard sclSlope != 0, sclSlope.isFinite else { return nil }
        guard sclInter.isFinite else {
            throw InputError(file: path, field: "scl_inter", message: "got \(sclInter) with a valid scl_slope \(sclSlope); expected a finite intercept")
        }
        return (sclSlope, sclInter)
    }

    /// Seconds per unit of pixdim[4] from xyzt_units (nil when the time unit is unknown or not a time).
    public var secondsPerTimeUnit: Double? {
        switch xyztUnits & 0x38 {
        case 8: return 1
        case 16: return 1e-3
        case 24: return 1e-6
        default: return nil
        }
    }

    /// The qform affine from the quaternion, pixdim and qfac, as nibabel computes it (qfac other than ±1 taken as 1).
    public var qformAffine: [[Double]] {
        let (b, c, d) = quatern
        var w2 = 1.0 - (b * b + c * c + d * d)
        // nibabel: |w²| below 3·eps counts as 0, with float32 eps for NIfTI-1 and float64 eps for NIfTI-2.
        let threshold = 3 * (version == 1 ? Double(Float.ulpOfOne) : Double.ulpOfOne)
        if abs(w2) < threshold { w2 = 0 }
        let a = w2 > 0 ? w2.squareRoot() : 0
        let nq = a * a + b * b + c * c + d * d
        var rot: [[Double]]
        if nq < Double.ulpOfOne {
            rot = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        } else {
            let s = 2.0 / nq
            let X = b * s, Y = c * s, Z = d * s
            let wX = a * X, wY = a * Y, wZ = a * Z
            let xX = b * X, xY = b * Y, xZ = b * Z
            let yY = c * Y, yZ = c * Z, zZ = d * Z
            rot = [[1 - (yY + zZ), xY - wZ, xZ + wY], [xY + wZ, 1 - (xX + zZ), yZ - wX], [xZ - wY, yZ + wX, 1 - (xX + yY)]]
        }
        let qfac = pixdim[0] == -1 ? -1.0 : 1.0
        let vox = [pixdim[1], pixdim[2], pixdim[3] * qfac]
        var m = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for i in 0..<3 { for j in 0..<3 { m[i][j] = rot[i][j] * vox[j] } }
        m[0][3] = qoffset.x; m[1][3] = qoffset.y; m[2][3] = qoffset.z
        m[3] = [0, 0, 0, 1]
        return m
    }

    public var sformAffine: [[Double]] { srow + [[0, 0, 0, 1]] }

    /// nibabel's fallback: voxel sizes on the diagonal (x flipped), origin at the centre of the image.
    public var baseAffine: [[Double]] {
        var zooms = (1...3).map { dims.count > $0 ? pixdim[$0] : 1.0 }
        let shape = (1...3).map { Double(dims.count > $0 ? dims[$0] : 1) }
        zooms[0] *= -1
        var m = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for i in 0..<3 {
            m[i][i] = zooms[i]
            m[i][3] = -(shape[i] - 1) / 2 * zooms[i]
        }
        m[3] = [0, 0, 0, 1]
        return m
    }

    /// The image's affine as nibabel chooses it: sform if sform_code ≠ 0, else qform if qform_code ≠ 0, else base.
    public var bestAffine: [[Double]] {
        if sformCode != 0 { return sformAffine }
        if qformCode != 0 { return qformAffine }
        return baseAffine
    }
}

/// Reads little- or big-endian fields at byte offsets.
struct FieldReader {
    let bytes: [UInt8]
    let littleEndian: Bool

    func raw<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size {
            let b = T(bytes[offset + (littleEndian ? i : MemoryLayout<T>.size - 1 - i)])
            v |= b << (8 * i)
        }
        return v
    }

    func int16(_ o: Int) -> Int16 { Int16(bitPattern: raw(o, UInt16.self)) }
    func int32(_ o: Int) -> Int32 { Int32(bitPattern: raw(o, UInt32.self)) }
    func int64(_ o: Int) -> Int64 { Int64(bitPattern: raw(o, UInt64.self)) }
    func float32(_ o: Int) -> Float { Float(bitPattern: raw(o, UInt32.self)) }
    func float64(_ o: Int) -> Double { Double(bitPattern: raw(o, UInt64.self)) }

    func text(_ o: Int, _ n: Int) -> String {
        let slice = bytes[o..<(o + n)]
        let end = slice.firstIndex(of: 0) ?? slice.endIndex
        var s = ""
        for b in slice[slice.startIndex..<end] { s.unicodeScalars.append(Unicode.Scalar(b)) }
        return s
    }
}
