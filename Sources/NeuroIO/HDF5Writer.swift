import CHDF5
import Foundation
import NeuroCore

/// Writes an HDF5 file h5py, MATLAB and MNE can open. Everything goes to a temporary file beside `path`;
/// `commit()` closes and renames it into place, so a killed or failed run leaves no partial output.
public final class HDF5Writer {
    public let path: String
    private let tmpPath: String
    private var id: hid_t
    private var committed = false

    /// Dataset storage options: chunking with gzip (and shuffle) compression, or contiguous.
    public struct Storage: Sendable {
        public var gzipLevel: Int?
        public var chunkRows: Int?
        public init(gzipLevel: Int? = nil, chunkRows: Int? = nil) {
            self.gzipLevel = gzipLevel
            self.chunkRows = chunkRows
        }
        public static let contiguous = Storage()
        public static let compressed = Storage(gzipLevel: 4)
    }

    public init(path: String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        tmpPath = AtomicFile.temporarySibling(of: path)
        let tmp = tmpPath
        InFlightTemporaries.add(tmp)
        id = HDF5Library.call { H5Fcreate(tmp, neuropipe_H5F_ACC_EXCL(), neuropipe_H5P_DEFAULT(), neuropipe_H5P_DEFAULT()) }
        guard id >= 0 else {
            InFlightTemporaries.remove(tmp)
            throw InputError(file: path, field: "output", message: "cannot create an HDF5 file in \(dir.isEmpty ? "." : dir) (\(HDF5Library.call { HDF5Library.errorStack() }))")
        }
    }

    deinit {
        if !committed {
            let i = id
            if i >= 0 { _ = HDF5Library.call { H5Fclose(i) } }
            unlink(tmpPath)
            InFlightTemporaries.remove(tmpPath)
        }
    }

    func fail(_ object: String) -> HDF5Error {
        HDF5Error(file: path, object: object, message: HDF5Library.errorStack())
    }

    /// Flushes, closes and moves the file into place.
    public func commit() throws {
        let i = id
        let status = HDF5Library.call { H5Fclose(i) }
        id = -1
        guard status >= 0 else { throw fail("/") }
        guard rename(tmpPath, path) == 0 else {
            throw RuntimeFailure(context: path, message: "cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
        InFlightTemporaries.remove(tmpPath)
        committed = true
    }

    private func linkCreationList() -> hid_t {
        let lcpl = H5Pcreate(neuropipe_H5P_LINK_CREATE())
        H5Pset_create_intermediate_group(lcpl, 1)
        return lcpl
    }

    /// Creates group `object` and any missing parents.
    public func createGroup(_ object: String) throws {
        try HDF5Library.call {
            let lcpl = linkCreationList()
            defer { H5Pclose(lcpl) }
            let gcpl = H5Pcreate(neuropipe_H5P_GROUP_CREATE())
            defer { H5Pclose(gcpl) }
            H5Pset_obj_track_times(gcpl, false)
            let g = H5Gcreate2(id, object, lcpl, gcpl, neuropipe_H5P_DEFAULT())
            guard g >= 0 else { throw fail(object) }
            H5Gclose(g)
        }
    }

    private func create(_ object: String, shape: [Int], type: hid_t, storage: Storage) throws -> hid_t {
        let dims = shape.map { hsize_t($0) }
        let space = dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
        defer { H5Sclose(space) }
        let dcpl = H5Pcreate(neuropipe_H5P_DATASET_CREATE())
        defer { H5Pclose(dcpl) }
        // No modification times in object headers: the same content gives the same bytes (cache-friendly).
        H5Pset_obj_track_times(dcpl, false)
        if storage.gzipLevel != nil || storage.chunkRows != nil, !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) {
            var chunk = dims
            // Chunks of whole trailing dimensions, ~1 MiB, unless the caller chose the rows.
            let rowBytes = max(1, shape.dropFirst().reduce(1, *) * H5Tget_size(type))
            chunk[0] = hsize_t(max(1, min(shape[0], storage.chunkRows ?? max(1, (1 << 20) / rowBytes))))
            H5Pset_chunk(dcpl, Int32(chunk.count), chunk)
            if let level = storage.gzipLevel {
                H5Pset_shuffle(dcpl)
                H5Pset_deflate(dcpl, UInt32(level))
            }
        }
        let lcpl = linkCreationList()
        defer { H5Pclose(lcpl) }
        let did = H5Dcreate2(id, object, type, space, lcpl, dcpl, neuropipe_H5P_DEFAULT())
        guard did >= 0 else { throw fail(object) }
        return did
    }

    /// A float64 dataset of `shape` (row-major `values`).
    public func writeDoubles(_ object: String, _ values: [Double], shape: [Int], storage: Storage = .contiguous) throws {
        try writeNumeric(object, values, shape: shape, type: neuropipe_H5T_NATIVE_DOUBLE(), storage: storage)
    }

    /// An int64 dataset of `shape`.
    public func writeInt64(_ object: String, _ values: [Int64], shape: [Int], storage: Storage = .contiguous) throws {
        try writeNumeric(object, values, shape: shape, type: neuropipe_H5T_NATIVE_INT64(), storage: storage)
    }

    private func writeNumeric<T: BitwiseCopyable>(_ object: String, _ values: [T], shape: [Int], type: hid_t, storage: Storage) throws {
        precondition(values.count == shape.reduce(1, *), "values do not fill shape \(shape)")
        try HDF5Library.call {
            let did = try create(object, shape: shape, type: type, storage: storage)
            defer { H5Dclose(did) }
            let status = values.withUnsafeBytes { buf in
                buf.isEmpty ? 0 : H5Dwrite(did, type, neuropipe_H5S_ALL(), neuropipe_H5S_ALL(), neuropipe_H5P_DEFAULT(), buf.baseAddress)
            }
            guard status >= 0 else { throw fail(object) }
        }
    }

    /// A 1-D dataset of variable-length UTF-8 strings (h5py reads them as `str` with `.asstr()`).
    public func writeStrings(_ object: String, _ values: [String]) throws {
        try HDF5Library.call {
            let type = HDF5Writer.utf8StringType()
            defer { H5Tclose(type) }
            let did = try create(object, shape: [values.count], type: type, storage: .contiguous)
            defer { H5Dclose(did) }
            try HDF5Writer.withCStrings(values) { ptrs in
                guard values.isEmpty || H5Dwrite(did, type, neuropipe_H5S_ALL(), neuropipe_H5S_ALL(), neuropipe_H5P_DEFAULT(), ptrs) >= 0
                else { throw fail(object) }
            }
        }
    }

    static func utf8StringType() -> hid_t {
        let t = H5Tcopy(neuropipe_H5T_C_S1())
        H5Tset_size(t, neuropipe_H5T_VARIABLE())
        H5Tset_cset(t, H5T_CSET_UTF8)
        return t
    }

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        let ptrs = strings.map { strdup($0) }
        defer { ptrs.forEach { free($0) } }
        return try ptrs.withUnsafeBytes { try body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) }
    }

    /// Sets attribute `name` on `object`: strings and string arrays as variable-length UTF-8, `.int` (arrays) as
    /// int64, `.number` (arrays) as float64, `.bool` as uint8.
    public func setAttribute(_ name: String, _ value: JSONValue, on object: String = "/") throws {
        try HDF5Library.call {
            let oid = H5Oopen(id, object, neuropipe_H5P_DEFAULT())
            guard oid >= 0 else { throw fail(object) }
            defer { H5Oclose(oid) }
            func scalarOrArray(_ n: Int?) -> hid_t {
                guard let n else { return H5Screate(H5S_SCALAR) }
                var d = [hsize_t(n)]
                return H5Screate_simple(1, &d, nil)
            }
            func write(type: hid_t, count: Int?, _ data: UnsafeRawPointer) throws {
                let space = scalarOrArray(count)
                defer { H5Sclose(space) }
                let aid = H5Acreate2(oid, name, type, space, neuropipe_H5P_DEFAULT(), neuropipe_H5P_DEFAULT())
                guard aid >= 0 else { throw fail(object + "@" + name) }
                defer { H5Aclose(aid) }
                guard H5Awrite(aid, type, data) >= 0 else { throw fail(object + "@" + name) }
            }
            switch value {
            case .string(let s):
                let t = HDF5Writer.utf8StringType(); defer { H5Tclose(t) }
                try HDF5Writer.withCStrings([s]) { try write(type: t, count: nil, $0) }
            case .int(let i):
                var v = Int64(i); try write(type: neuropipe_H5T_NATIVE_INT64(), count: nil, &v)
            case .number(let d):
                var v = d; try write(type: neuropipe_H5T_NATIVE_DOUBLE(), count: nil, &v)
            case .bool(let b):
                var v: UInt8 = b ? 1 : 0; try write(type: neuropipe_H5T_NATIVE_UINT8(), count: nil, &v)
            case .array(let items):
                if items.allSatisfy({ if case .string = $0 { return true } else { return false } }), !items.isEmpty {
                    let strings = items.map { if case .string(let s) = $0 { return s } else { return "" } }
                    let t = HDF5Writer.utf8StringType(); defer { H5Tclose(t) }
                    try HDF5Writer.withCStrings(strings) { try write(type: t, count: strings.count, $0) }
                } else if items.allSatisfy({ if case .int = $0 { return true } else { return false } }) {
                    let v = items.map { if case .int(let i) = $0 { return Int64(i) } else { return 0 } }
                    try v.withUnsafeBytes { try write(type: neuropipe_H5T_NATIVE_INT64(), count: v.count, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!) }
                } else {
                    let v: [Double] = try items.map {
                        switch $0 {
                        case .number(let d): return d
                        case .int(let i): return Double(i)
                        default: throw RuntimeFailure(context: path, message: "attribute \(name): arrays must hold only strings or only numbers")
                        }
                    }
                    try v.withUnsafeBytes { try write(type: neuropipe_H5T_NATIVE_DOUBLE(), count: v.count, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!) }
                }
            case .null, .object:
                throw RuntimeFailure(context: path, message: "attribute \(name): null and objects have no HDF5 attribute form; store JSON text as a string")
            }
        }
    }
}
