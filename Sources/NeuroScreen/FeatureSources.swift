import Foundation
import NeuroCore
import NeuroIO

/// Features to screen, read in blocks of whole features so memory stays bounded however many there are.
public protocol FeatureSource: AnyObject {
    /// What the features were read from (a path), for messages and the sidecar.
    var origin: String { get }
    var sampleCount: Int { get }
    var featureCount: Int { get }
    /// One identifier per sample (participant_id), when the source has them.
    var sampleIDs: [String]? { get }
    func featureName(_ j: Int) -> String
    /// Features `range`, feature-major: `[range.count × samples]`.
    func readBlock(_ range: Range<Int>) throws -> [Double]
}

/// Features held in memory as `[samples × features]` (e.g. a table built by a pipeline stage).
public final class MatrixFeatureSource: FeatureSource {
    public let origin: String
    public let matrix: Matrix
    public let names: [String]
    public let sampleIDs: [String]?

    public init(_ matrix: Matrix, names: [String]? = nil, sampleIDs: [String]? = nil, origin: String = "memory") {
        self.matrix = matrix
        self.names = names ?? (0..<matrix.cols).map { "feature_\($0)" }
        self.sampleIDs = sampleIDs
        self.origin = origin
    }

    public var sampleCount: Int { matrix.rows }
    public var featureCount: Int { matrix.cols }
    public func featureName(_ j: Int) -> String { names[j] }

    public func readBlock(_ range: Range<Int>) throws -> [Double] {
        let n = matrix.rows, p = matrix.cols
        var out = [Double](repeating: 0, count: range.count * n)
        for i in 0..<n {
            for (b, j) in range.enumerated() { out[b * n + i] = matrix.storage[i * p + j] }
        }
        return out
    }
}

/// `/X` `[samples × features]` of an HDF5 file (the `neuropipe.features` layout, or any file with such a dataset),
/// read in column blocks; names from the root attribute or dataset `feature_names`, ids from `/sample_ids`.
public final class HDF5FeatureSource: FeatureSource {
    public let origin: String
    let file: HDF5File
    let dataset: String
    public let sampleCount: Int
    public let featureCount: Int
    public let sampleIDs: [String]?
    let names: [String]?

    public init(path: String, dataset: String = "/X") throws {
        origin = path
        file = try HDF5File(path: path)
        self.dataset = dataset
        guard file.exists(dataset) else {
            throw InputError(file: path, field: dataset, message: "no such dataset; expected the feature matrix \(dataset) [samples × features]")
        }
        let shape = try file.shape(of: dataset)
        guard shape.count == 2 else {
            throw InputError(file: path, field: dataset, message: "has shape \(shape); expected [samples × features]")
        }
        (sampleCount, featureCount) = (shape[0], shape[1])
        sampleIDs = file.exists("/sample_ids") ? try file.readStrings("/sample_ids") : nil
        if let ids = sampleIDs, ids.count != sampleCount {
            throw InputError(file: path, field: "/sample_ids", message: "has \(ids.count) entries; expected one per row of \(dataset) (\(sampleCount))")
        }
        var found: [String]? = nil
        if file.exists("/feature_names") {
            found = try file.readStrings("/feature_names")
        } else if let attribute = try file.attributes(of: "/").first(where: { $0.0 == "feature_names" })?.1, case .array(let items) = attribute {
            found = items.map { $0.stringValue ?? "\($0.serialized())" }
        }
        if let found, found.count != featureCount {
            throw InputError(file: path, field: "feature_names", message: "has \(found.count) names; expected one per column of \(dataset) (\(featureCount))")
        }
        names = found
    }

    public func featureName(_ j: Int) -> String { names?[j] ?? "feature_\(j)" }

    public func readBlock(_ range: Range<Int>) throws -> [Double] {
        let rowMajor = try file.readDoubleColumns(dataset, columns: range)
        return transposeToFeatureMajor(rowMajor, samples: sampleCount, features: range.count)
    }
}

/// `[samples × width]` row-major → `[width × samples]`.
func transposeToFeatureMajor(_ values: [Double], samples n: Int, features w: Int) -> [Double] {
    var out = [Double](repeating: 0, count: values.count)
    values.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for i in 0..<n {
                let row = i * w
                for b in 0..<w { dst[b * n + i] = src[row + b] }
            }
        }
    }
    return out
}

/// A TSV with one row per sample and one column per feature (`participant_id`, if present, identifies samples);
/// `n/a` cells are missing values. Loaded whole: text tables are not a format for millions of features.
public final class TSVFeatureSource: FeatureSource {
    public let origin: String
    let inner: MatrixFeatureSource

    public init(path: String) throws {
        origin = path
        let table = try TSVTable(path: path)
        let idColumn = table.header.firstIndex { $0 == "participant_id" || $0 == "sample_id" }
        let featureColumns = table.header.indices.filter { $0 != idColumn }
        guard !featureColumns.isEmpty, !table.rows.isEmpty else {
            throw InputError(file: path, field: "columns", message: "needs at least one feature column and one row")
        }
        var storage = [Double]()
        storage.reserveCapacity(table.rows.count * featureColumns.count)
        for (r, row) in table.rows.enumerated() {
            for c in featureColumns {
                let cell = row[c]
                if TSVTable.isMissing(cell) {
                    storage.append(.nan)
                } else if let v = Double(cell) {
                    storage.append(v)
                } else {
                    throw InputError(file: path, field: "line \(r + 2), column \(table.header[c])", message: "'\(cell)' is not a number (use n/a for a missing value)")
                }
            }
        }
        inner = MatrixFeatureSource(Matrix(rows: table.rows.count, cols: featureColumns.count, storage: storage),
                                    names: featureColumns.map { table.header[$0] }, sampleIDs: idColumn.map { c in table.rows.map { $0[c] } }, origin: path)
    }

    public var sampleCount: Int { inner.sampleCount }
    public var featureCount: Int { inner.featureCount }
    public var sampleIDs: [String]? { inner.sampleIDs }
    public func featureName(_ j: Int) -> String { inner.featureName(j) }
    public func readBlock(_ range: Range<Int>) throws -> [Double] { try inner.readBlock(range) }
}

/// One 3-D NIfTI image per sample (participant), the voxels inside a mask as features. The images are read once,
/// one at a time, into a temporary `[samples × voxels]` Float64 file that is then streamed in column blocks, so
/// memory holds one image and one block, never all images.
public final class NIfTIFeatureSource: FeatureSource {
    public let origin: String
    public let sampleIDs: [String]?
    public let sampleCount: Int
    public let featureCount: Int
    /// Linear indices (x fastest) of the mask's voxels, and the image shape and affine for writing score maps.
    public let voxels: [Int]
    public let shape: [Int]
    public let affine: [[Double]]
    let store: FileHandle
    let storePath: String

    /// `paths` one image per sample; `mask` a 3-D image of the same grid (non-zero = screened);
    /// `scratchDirectory` receives the temporary matrix (removed when this source is released).
    public init(paths: [String], mask: String, scratchDirectory: String) throws {
        guard !paths.isEmpty else { throw InputError(file: mask, field: "images", message: "no images to screen") }
        origin = paths.count == 1 ? paths[0] : "\(paths.count) images (\(paths[0]) …)"
        let first = try NIfTIReader(path: paths[0])
        shape = Array(first.header.shape.prefix(3))
        affine = first.affine
        voxels = try NIfTIReader(path: mask).maskVoxels(matching: shape)
        guard !voxels.isEmpty else { throw InputError(file: mask, field: "data", message: "the mask has no non-zero voxel") }
        sampleCount = paths.count
        featureCount = voxels.count
        sampleIDs = paths.map(RecordingLoader.subject(of:))
        storePath = scratchDirectory + "/.neuropipe-screen-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).f64"
        guard FileManager.default.createFile(atPath: storePath, contents: nil), let handle = FileHandle(forUpdatingAtPath: storePath) else {
            throw RuntimeFailure(context: scratchDirectory, message: "cannot create the temporary feature matrix \(storePath)")
        }
        store = handle
        do {
            for path in paths {
                let reader = try NIfTIReader(path: path)
                guard Array(reader.header.shape.prefix(3)) == shape else {
                    throw InputError(file: path, field: "dim", message: "has shape \(reader.header.shape); expected \(shape) like \(paths[0])")
                }
                guard reader.volumeCount == 1 else {
                    throw InputError(file: path, field: "dim", message: "has \(reader.volumeCount) volumes; expected one 3-D image per participant")
                }
                let volume = try reader.readVolume(0)
                let row = voxels.map { volume[$0] }
                try handle.write(contentsOf: row.withUnsafeBytes { Data($0) })
            }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: storePath)
            throw error
        }
    }

    deinit {
        try? store.close()
        try? FileManager.default.removeItem(atPath: storePath)
    }

    public func featureName(_ j: Int) -> String {
        let v = voxels[j], nx = shape[0], ny = shape[1]
        return "voxel_\(v % nx)_\((v / nx) % ny)_\(v / (nx * ny))"
    }

    public func readBlock(_ range: Range<Int>) throws -> [Double] {
        let n = sampleCount, w = range.count, p = featureCount
        var rowMajor = [Double](repeating: 0, count: n * w)
        let fd = store.fileDescriptor
        try rowMajor.withUnsafeMutableBytes { raw in
            for i in 0..<n {
                let offset = off_t((i * p + range.lowerBound) * 8)
                let want = w * 8
                var done = 0
                while done < want {
                    let got = pread(fd, raw.baseAddress! + i * want + done, want - done, offset + off_t(done))
                    guard got > 0 else { throw RuntimeFailure(context: storePath, message: "short read of the temporary feature matrix") }
                    done += got
                }
            }
        }
        return transposeToFeatureMajor(rowMajor, samples: n, features: w)
    }
}

extension MatrixFeatureSource {
    /// One row per participant from a group table keyed by `participant_id`. A long table (several rows per
    /// participant told apart by text columns such as `channel` or `band`) is widened: feature
    /// `<numeric column>[<key values joined by _>]`, e.g. `alpha[Cz]`; a key repeated within a participant is an error.
    /// Missing cells and absent keys are NaN (scored on the complete samples).
    public static func participantTable(_ table: TSVTable) throws -> MatrixFeatureSource {
        let idColumn = try table.column("participant_id")
        let others = table.header.indices.filter { $0 != idColumn }
        let keyColumns = others.filter { c in table.rows.contains { !TSVTable.isMissing($0[c]) && Double($0[c]) == nil } }
        let valueColumns = others.filter { !keyColumns.contains($0) }
        guard !valueColumns.isEmpty else {
            throw InputError(file: table.path, field: "columns", message: "has no numeric column to screen")
        }
        var participants = [String](), rowOf = [String: Int]()
        var featureIndex = [String: Int](), names = [String]()
        var cells = [(row: Int, feature: Int, value: Double)]()
        for row in table.rows {
            let id = row[idColumn]
            if rowOf[id] == nil { rowOf[id] = participants.count; participants.append(id) }
            let key = keyColumns.map { row[$0] }.joined(separator: "_")
            for c in valueColumns {
                let name = keyColumns.isEmpty ? table.header[c] : "\(table.header[c])[\(key)]"
                let j: Int
                if let known = featureIndex[name] { j = known } else { j = names.count; featureIndex[name] = j; names.append(name) }
                let cell = row[c]
                let value = TSVTable.isMissing(cell) ? Double.nan : Double(cell)!
                cells.append((rowOf[id]!, j, value))
            }
        }
        var storage = [Double](repeating: .nan, count: participants.count * names.count)
        var seen = [Bool](repeating: false, count: storage.count)
        for (r, j, v) in cells {
            let at = r * names.count + j
            if seen[at] {
                throw InputError(file: table.path, field: "participant_id", message: "\(participants[r]) has two rows for \(names[j]); a row per participant (or per participant and key) is expected")
            }
            seen[at] = true
            storage[at] = v
        }
        return MatrixFeatureSource(Matrix(rows: participants.count, cols: names.count, storage: storage), names: names, sampleIDs: participants, origin: table.path)
    }
}
