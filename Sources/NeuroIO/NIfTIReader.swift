import Foundation
import NeuroCore

/// Reads NIfTI-1/NIfTI-2 images (.nii, .nii.gz, .hdr/.img pairs, gzipped or not) as Float64 with the header's
/// scaling applied once, here and nowhere else. Volumes are streamed in bounded blocks; a 4-D image becomes a
/// `[voxels × timepoints]` matrix without materialising more than that one result.
public final class NIfTIReader: @unchecked Sendable {
    /// The path given (header file for pairs).
    public let path: String
    /// Where the voxel data lives (.nii itself, or the .img of a pair).
    public let dataPath: String
    public let header: NIfTIHeader
    public let warnings: [String]
    /// (slope, intercept) when nibabel would scale, else nil.
    public let scaling: (slope: Double, inter: Double)?
    /// Byte offset of the voxel data in `dataPath`.
    public let dataOffset: Int

    /// The affine nibabel reports (`img.affine`): sform, else qform, else the base affine.
    public var affine: [[Double]] { header.bestAffine }
    /// Repetition time in seconds for images with a 4th dimension, from pixdim[4] and the time unit.
    public var trSeconds: Double? {
        guard header.dims[0] >= 4 else { return nil }
        return header.pixdim[4] * (header.secondsPerTimeUnit ?? 1)
    }
    public var voxelsPerVolume: Int { header.voxelsPerVolume }
    public var volumeCount: Int { header.volumeCount }

    public init(path: String) throws {
        self.path = path
        var warnings = [String]()
        let source = try openByteSource(path: path)
        var head = [UInt8](repeating: 0, count: 348)
        try head.withUnsafeMutableBytes { try source.read(into: $0, field: "sizeof_hdr") }
        let first = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
        if first == 540 || first.byteSwapped == 540 {
            var rest = [UInt8](repeating: 0, count: 192)
            try rest.withUnsafeMutableBytes { try source.read(into: $0, field: "sizeof_hdr") }
            head += rest
        }
        var header = try NIfTIHeader(bytes: head, path: path)
        // nibabel's load-time fixes, reported: qfac other than ±1 becomes 1; negative voxel sizes become positive.
        if header.pixdim[0] != 1 && header.pixdim[0] != -1 {
            warnings.append("pixdim[0] (qfac) is \(header.pixdim[0]); taken as 1")
            header.pixdim[0] = 1
        }
        for i in 1...max(1, header.dims[0]) where header.pixdim[i] < 0 {
            warnings.append("pixdim[\(i)] is negative (\(header.pixdim[i])); its absolute value is used")
            header.pixdim[i] = -header.pixdim[i]
        }
        self.header = header
        scaling = try header.scaling(path: path)

        if let dt = header.datatype, header.bitpix != dt.byteSize * 8 {
            warnings.append("bitpix \(header.bitpix) disagrees with datatype \(dt.name) (\(dt.byteSize * 8) bits); datatype used")
        }
        if header.sformCode > 0 {
            let m = header.srow.map { Array($0.prefix(3)) }
            let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
            if det == 0 || !det.isFinite {
                warnings.append("sform_code is \(header.sformCode) but the sform is degenerate (its 3×3 part is singular); the affine is unusable")
            }
        }
        if header.dims[0] >= 4 && header.secondsPerTimeUnit == nil {
            warnings.append("xyzt_units gives no time unit; pixdim[4] taken as seconds")
        }

        // Where the data is.
        if header.isSingleFile {
            dataPath = path
            let minimum = header.headerSize + 4
            if header.voxOffset == 0 {
                dataOffset = minimum
            } else if header.voxOffset < minimum {
                throw InputError(file: path, field: "vox_offset", message: "got \(header.voxOffset); a single-file NIfTI-\(header.version) needs at least \(minimum)")
            } else {
                dataOffset = header.voxOffset
            }
        } else {
            dataPath = try NIfTIReader.imagePath(forHeader: path)
            dataOffset = header.voxOffset
        }
        // Sizes checked before anything is allocated.
        let dataFile = try ReadOnlyFile(path: dataPath)
        let magic = try dataFile.read(at: 0, count: min(2, dataFile.size), field: "file")
        let needed = dataOffset + header.dataBytes
        if magic == [0x1F, 0x8B] {
            // zlib cannot expand data more than ~1032:1; a header claiming more is lying.
            if header.dataBytes / 1032 > dataFile.size {
                throw InputError(file: dataPath, field: "dim", message: "dimensions \(header.shape) declare \(header.dataBytes) bytes of voxel data, more than \(dataFile.size) compressed bytes can hold")
            }
        } else if needed > dataFile.size {
            throw InputError(file: dataPath, field: "dim", message: "dimensions \(header.shape) × \(header.datatype!.byteSize) bytes at offset \(dataOffset) need \(needed) bytes but the file has \(dataFile.size)")
        }
        self.warnings = warnings
    }

    /// The .img(.gz) beside a .hdr(.gz).
    static func imagePath(forHeader path: String) throws -> String {
        var base = path
        for ext in [".hdr.gz", ".hdr", ".HDR", ".img.gz", ".img"] where base.hasSuffix(ext) {
            base = String(base.dropLast(ext.count))
            break
        }
        for candidate in [base + ".img", base + ".img.gz", base + ".IMG"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw InputError(file: path, field: "file", message: "header of a .hdr/.img pair, but \(base).img(.gz) is missing")
    }

    /// Calls `body(firstVolume, count, raw)` for consecutive blocks of whole volumes in `volumes`, where `raw`
    /// holds `count` volumes of stored voxels (file byte order, unscaled). Blocks are ≤ ~`blockBytes`.
    func forEachRawVolumeBlock(volumes: Range<Int>, blockBytes: Int, _ body: (Int, Int, UnsafeRawBufferPointer) throws -> Void) throws {
        guard volumes.lowerBound >= 0, volumes.upperBound <= volumeCount else {
            throw InputError(file: path, field: "volume", message: "volumes \(volumes) are outside 0..<\(volumeCount)")
        }
        let v = voxelsPerVolume
        guard let dt = header.datatype, !volumes.isEmpty, v > 0 else { return }
        let volumeBytes = v * dt.byteSize
        try MemoryBudget.require(volumeBytes, bytesPerValue: 1, file: path, field: "dim", what: "one stored volume of \(v) voxels")
        let perBlock = max(1, blockBytes / volumeBytes)
        let source = try openByteSource(path: dataPath)
        try source.skip(dataOffset + volumes.lowerBound * volumeBytes, field: "vox_offset")
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: min(perBlock, volumes.count) * volumeBytes, alignment: 16)
        defer { raw.deallocate() }
        var t = volumes.lowerBound
        while t < volumes.upperBound {
            let n = min(perBlock, volumes.upperBound - t)
            let bytes = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(n * volumeBytes)])
            try source.read(into: bytes, field: "voxel data (volume \(t))")
            try body(t, n, UnsafeRawBufferPointer(bytes))
            t += n
        }
    }

    /// Calls `body(firstVolume, count, values)` for consecutive blocks of whole volumes in `volumes`, where
    /// `values` is `[count × voxelsPerVolume]` scaled Float64 (x fastest within a volume). Blocks are ≤ ~32 MiB.
    public func forEachVolumeBlock(volumes: Range<Int>? = nil, _ body: (Int, Int, UnsafeBufferPointer<Double>) throws -> Void) throws {
        let v = voxelsPerVolume
        guard let dt = header.datatype else { return }
        let perBlock = max(1, (32 << 20) / max(1, v * 8))
        let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: min(perBlock, volumeCount) * v)
        defer { values.deallocate() }
        try forEachRawVolumeBlock(volumes: volumes ?? 0..<volumeCount, blockBytes: perBlock * v * dt.byteSize) { t, n, raw in
            NIfTIReader.decode(raw, datatype: dt, swap: !header.littleEndian, scaling: scaling, into: values.baseAddress!)
            try body(t, n, UnsafeBufferPointer(rebasing: values[0..<(n * v)]))
        }
    }

    /// Converts raw voxels to Float64, byte-swapping big-endian data and applying (slope, inter) when given.
    static func decode(_ raw: UnsafeRawBufferPointer, datatype: NIfTIDatatype, swap: Bool,
                       scaling: (slope: Double, inter: Double)?, into out: UnsafeMutablePointer<Double>) {
        let n = raw.count / datatype.byteSize
        let p = raw.baseAddress!
        @inline(__always) func run<T: FixedWidthInteger>(_: T.Type, _ f: (T) -> Double) {
            if swap { for i in 0..<n { out[i] = f(T(bigEndian: p.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))) } }
            else { for i in 0..<n { out[i] = f(T(littleEndian: p.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))) } }
        }
        switch datatype {
        case .uint8: run(UInt8.self) { Double($0) }
        case .int8: run(Int8.self) { Double($0) }
        case .int16: run(Int16.self) { Double($0) }
        case .uint16: run(UInt16.self) { Double($0) }
        case .int32: run(Int32.self) { Double($0) }
        case .uint32: run(UInt32.self) { Double($0) }
        case .int64: run(Int64.self) { Double($0) }
        case .uint64: run(UInt64.self) { Double($0) }
        case .float32: run(UInt32.self) { Double(Float(bitPattern: $0)) }
        case .float64: run(UInt64.self) { Double(bitPattern: $0) }
        }
        if let (slope, inter) = scaling {
            for i in 0..<n { out[i] = out[i] * slope + inter }
        }
    }

    /// One volume (`t`), `[voxels]` with x fastest.
    public func readVolume(_ t: Int) throws -> [Double] {
        try MemoryBudget.require(voxelsPerVolume, bytesPerValue: 8, file: path, field: "dim", what: "one volume of \(voxelsPerVolume) voxels as Float64")
        var out = [Double]()
        out.reserveCapacity(voxelsPerVolume)
        try forEachVolumeBlock(volumes: t..<(t + 1)) { _, _, values in out.append(contentsOf: values) }
        return out
    }

    /// `[voxels × timepoints]` for the chosen voxel indices (default every voxel, x fastest), one copy only.
    /// Raw blocks of volumes are transposed tile by tile: each tile of nearby voxels is decoded (and scaled, by
    /// `decode`) into a small cache-resident buffer, then written to its rows; tiles run in parallel.
    public func voxelTimeMatrix(voxels selection: [Int]? = nil) throws -> Matrix {
        let v = voxelsPerVolume, nt = volumeCount
        let chosen = selection ?? Array(0..<v)
        for (k, i) in chosen.enumerated() where i < 0 || i >= v {
            throw InputError(file: path, field: "voxel", message: "index \(i) at position \(k) is outside 0..<\(v)")
        }
        let rows = chosen.count
        guard let dt = header.datatype, rows > 0, nt > 0 else { return Matrix(rows: rows, cols: nt) }
        try MemoryBudget.require(rows.multipliedReportingOverflow(by: nt).overflow ? Int.max : rows * nt, bytesPerValue: 8, file: path, field: "dim",
                                 what: "a [\(rows) voxels × \(nt) volumes] Float64 matrix", hint: "a mask reads fewer voxels")
        // Rows in voxel order (any requested order and repeats are allowed); tiles of ≤ 256 of them spanning
        // ≤ 4096 consecutive voxels of the volume.
        let isSorted = zip(chosen, chosen.dropFirst()).allSatisfy { $0 < $1 }
        let order = isSorted ? Array(0..<rows) : chosen.indices.sorted { chosen[$0] < chosen[$1] }
        let sorted = order.map { chosen[$0] }
        var tiles = [Range<Int>]()
        var r0 = 0
        while r0 < rows {
            var r1 = r0 + 1
            while r1 < rows && r1 - r0 < 256 && sorted[r1] - sorted[r0] < 4096 { r1 += 1 }
            tiles.append(r0..<r1)
            r0 = r1
        }
        let volumesPerBlock = max(1, min(64, (48 << 20) / max(1, v * dt.byteSize)))
        let swap = !header.littleEndian, scaling = self.scaling, size = dt.byteSize
        var failure: Error?
        let storage = [Double](unsafeUninitializedCapacity: rows * nt) { out, initialized in
            if let base = out.baseAddress { adviseHugePages(base, byteCount: rows * nt * 8) }
            let dst = UncheckedSendableBox(out.baseAddress!)
            do {
                try forEachRawVolumeBlock(volumes: 0..<nt, blockBytes: volumesPerBlock * v * size) { t0, n, raw in
                    let src = UncheckedSendableBox(raw)
                    let workers = min(tiles.count, 16)
                    parallelFor(workers) { w in
                        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 4096 * n)
                        defer { scratch.deallocate() }
                        for tile in tiles[(tiles.count * w / workers)..<(tiles.count * (w + 1) / workers)] {
                            let first = sorted[tile.lowerBound], span = sorted[tile.upperBound - 1] - first + 1
                            for b in 0..<n {
                                let bytes = UnsafeRawBufferPointer(rebasing: src.value[((b * v + first) * size)..<((b * v + first + span) * size)])
                                NIfTIReader.decode(bytes, datatype: dt, swap: swap, scaling: scaling, into: scratch + b * span)
                            }
                            for k in tile {
                                let local = sorted[k] - first
                                let row = dst.value + order[k] * nt + t0
                                for b in 0..<n { row[b] = scratch[b * span + local] }
                            }
                        }
                    }
                }
                initialized = rows * nt
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return Matrix(rows: rows, cols: nt, storage: storage)
    }

    /// Indices (x fastest) of the voxels of this 3-D mask image that are non-zero; its first three dimensions
    /// must equal `shape`.
    public func maskVoxels(matching shape: [Int]) throws -> [Int] {
        let mine = Array(header.shape.prefix(3))
        guard mine == Array(shape.prefix(3)), volumeCount == 1 else {
            throw InputError(file: path, field: "dim", message: "mask has shape \(header.shape); expected a 3-D image of shape \(Array(shape.prefix(3)))")
        }
        var out = [Int]()
        try forEachVolumeBlock { _, _, values in
            for (i, x) in values.enumerated() where x != 0 && !x.isNaN { out.append(i) }
        }
        return out
    }

    /// Sum, min, max, mean of the scaled data, NaN excluded and counted (float64, streamed).
    public func statistics() throws -> (sum: Double, min: Double, max: Double, mean: Double, count: Int, nanCount: Int) {
        var sum = 0.0, lo = Double.infinity, hi = -Double.infinity, count = 0, nans = 0
        try forEachVolumeBlock { _, _, values in
            for x in values {
                if x.isNaN { nans += 1; continue }
                sum += x
                if x < lo { lo = x }
                if x > hi { hi = x }
                count += 1
            }
        }
        return (sum, count > 0 ? lo : .nan, count > 0 ? hi : .nan, count > 0 ? sum / Double(count) : .nan, count, nans)
    }
}
