import Foundation
import NeuroCore

/// Writes NIfTI-1 or NIfTI-2 images (.nii or .nii.gz by the path's extension) that nibabel reads identically:
/// sform = the affine, qform from the affine's nearest rotation (nibabel's algorithm), pixdim from its column
/// norms, TR and units, optional scaling for integer types. Atomic: temporary file, then rename.
public enum NIfTIWriter {
    public struct Options: Sendable {
        public var version = 1
        public var datatype: NIfTIDatatype = .float32
        /// Stored as raw = round((value − inter) / slope) for integer types; nil: no scaling (slope 1, inter 0).
        public var scaling: (slope: Double, inter: Double)? = nil
        /// NIFTI_XFORM_*: 1 scanner, 2 aligned, 3 Talairach, 4 MNI.
        public var sformCode = 2
        public var qformCode = 2
        /// Spatial unit code (2 = mm) and time unit code (8 = s).
        public var spaceUnit = 2
        public var timeUnit = 8
        /// Seconds between volumes for 4-D images.
        public var tr: Double? = nil
        public var intentCode = 0
        public var description = "NeuroPipe \(NeuroPipeVersion.current)"
        public init() {}
    }

    /// Writes `values` (x fastest, then y, z, t; `shape.reduce(1, *)` values) with a 4×4 `affine`.
    public static func write(_ values: [Double], shape: [Int], affine: [[Double]], to path: String, options: Options = Options()) throws {
        guard (1...7).contains(shape.count), shape.allSatisfy({ $0 >= 1 }), values.count == shape.reduce(1, *) else {
            throw InputError(file: path, field: "dim", message: "shape \(shape) does not describe \(values.count) values")
        }
        guard affine.count == 4, affine.allSatisfy({ $0.count == 4 }), affine.joined().allSatisfy(\.isFinite) else {
            throw InputError(file: path, field: "affine", message: "expected a finite 4×4 matrix")
        }
        let header = try headerBytes(shape: shape, affine: affine, options: options, path: path)
        let gz = path.hasSuffix(".gz")
        try AtomicFile.write(to: path) { sink in
            let compressor = gz ? try GzipCompressor() : nil
            func put(_ bytes: [UInt8]) throws {
                if let compressor {
                    try bytes.withUnsafeBytes { try compressor.compress($0) { try sink.write($0) } }
                } else {
                    try sink.write(bytes)
                }
            }
            try put(header)
            // Voxel data in blocks of ~4 MiB.
            let dt = options.datatype
            let block = max(1, (4 << 20) / dt.byteSize)
            var start = 0
            while start < values.count {
                let end = min(values.count, start + block)
                try put(try encode(values[start..<end], datatype: dt, scaling: options.scaling, path: path))
                start = end
            }
            if let compressor { try compressor.finish { try sink.write($0) } }
        }
    }

    static func encode(_ values: ArraySlice<Double>, datatype: NIfTIDatatype, scaling: (slope: Double, inter: Double)?, path: String) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(values.count * datatype.byteSize)
        func integer<T: FixedWidthInteger>(_: T.Type) throws {
            for v in values {
                var x = v
                if let (slope, inter) = scaling { x = (v - inter) / slope }
                guard x.isFinite else { throw InputError(file: path, field: "datatype", message: "value \(v) cannot be stored as \(datatype.name)") }
                let r = x.rounded()
                let clamped = Swift.min(Double(T.max), Swift.max(Double(T.min), r))
                let t = clamped >= Double(T.max) ? T.max : T(clamped)
                withUnsafeBytes(of: t.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        switch datatype {
        case .float32: for v in values { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .float64: for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .uint8: try integer(UInt8.self)
        case .int8: try integer(Int8.self)
        case .int16: try integer(Int16.self)
        case .uint16: try integer(UInt16.self)
        case .int32: try integer(Int32.self)
        case .uint32: try integer(UInt32.self)
        case .int64: try integer(Int64.self)
        case .uint64: try integer(UInt64.self)
        }
        return out
    }

    /// The header (plus the 4 extension bytes of a single file), little-endian.
    static func headerBytes(shape: [Int], affine: [[Double]], options o: Options, path: String) throws -> [UInt8] {
        // qform parameters from the affine, as nibabel's set_qform.
        let m = (0..<3).map { i in (0..<3).map { affine[i][$0] } }
        let zooms = (0..<3).map { j in (0..<3).reduce(0.0) { $0 + m[$1][j] * m[$1][j] }.squareRoot() }
        guard zooms.allSatisfy({ $0 > 0 }) else {
            throw InputError(file: path, field: "affine", message: "the affine's 3×3 part has a zero column; voxel sizes must be positive")
        }
        var r = (0..<3).map { i in (0..<3).map { m[i][$0] / zooms[$0] } }
        let det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
            + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0])
        var qfac = 1.0
        if det < 0 {
            qfac = -1
            for i in 0..<3 { r[i][2] *= -1 }
        }
        let q = try quaternion(fromRotation: try nearestOrthonormal3x3(r))

        let v1 = o.version == 1
        var h = [UInt8](repeating: 0, count: v1 ? 352 : 544)
        func put<T: FixedWidthInteger>(_ v: T, _ off: Int) { withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { h[off + i] = b } } }
        func f32(_ v: Double, _ off: Int) { put(Float(v).bitPattern, off) }
        func f64(_ v: Double, _ off: Int) { put(v.bitPattern, off) }
        func text(_ s: String, _ off: Int, _ n: Int) { for (i, b) in s.utf8.prefix(n - 1).enumerated() { h[off + i] = b } }
        var dim = [shape.count] + shape
        dim += [Int](repeating: 1, count: 8 - dim.count)
        var pix = [qfac, zooms[0], zooms[1], zooms[2], o.tr ?? 1, 1, 1, 1]
        if shape.count < 4 { pix[4] = 0 }
        let (slope, inter) = o.scaling ?? (1, 0)
        let units = (o.spaceUnit & 7) | (o.timeUnit & 0x38)
        if v1 {
            put(Int32(348), 0)
            for i in 0..<8 {
                guard dim[i] <= Int(Int16.max) else { throw InputError(file: path, field: "dim[\(i)]", message: "\(dim[i]) exceeds NIfTI-1's 32767; write NIfTI-2") }
                put(Int16(dim[i]), 40 + 2 * i)
            }
            put(Int16(o.intentCode), 68)
            put(Int16(o.datatype.rawValue), 70); put(Int16(o.datatype.byteSize * 8), 72)
            for i in 0..<8 { f32(pix[i], 76 + 4 * i) }
            f32(352, 108); f32(slope, 112); f32(inter, 116)
            h[123] = UInt8(units)
            text(o.description, 148, 80)
            put(Int16(o.qformCode), 252); put(Int16(o.sformCode), 254)
            f32(q.x, 256); f32(q.y, 260); f32(q.z, 264)
            f32(affine[0][3], 268); f32(affine[1][3], 272); f32(affine[2][3], 276)
            for row in 0..<3 { for c in 0..<4 { f32(affine[row][c], 280 + 16 * row + 4 * c) } }
            h[344] = 0x6E; h[345] = 0x2B; h[346] = 0x31; h[347] = 0
        } else {
            put(Int32(540), 0)
            for (i, b) in [0x6E, 0x2B, 0x32, 0, 0x0D, 0x0A, 0x1A, 0x0A].enumerated() { h[4 + i] = UInt8(b) }
            put(Int16(o.datatype.rawValue), 12); put(Int16(o.datatype.byteSize * 8), 14)
            for i in 0..<8 { put(Int64(dim[i]), 16 + 8 * i) }
            for i in 0..<8 { f64(pix[i], 104 + 8 * i) }
            put(Int64(544), 168); f64(slope, 176); f64(inter, 184)
            text(o.description, 240, 80)
            put(Int32(o.qformCode), 344); put(Int32(o.sformCode), 348)
            f64(q.x, 352); f64(q.y, 360); f64(q.z, 368)
            f64(affine[0][3], 376); f64(affine[1][3], 384); f64(affine[2][3], 392)
            for row in 0..<3 { for c in 0..<4 { f64(affine[row][c], 400 + 32 * row + 8 * c) } }
            put(Int32(units), 500); put(Int32(o.intentCode), 504)
        }
        return h
    }
}
