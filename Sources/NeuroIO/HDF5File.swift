import CHDF5
import Foundation
import NeuroCore

/// One clear error from libhdf5's error stack, with the file and the object path (libhdf5's own stderr
/// printing is silenced; its messages end up here).
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let object: String
    public let message: String
    public var description: String { "\(file): \(object): \(message)" }
    public var inputError: InputError { InputError(file: file, field: object, message: message) }
}

/// libhdf5 is not thread-safe in Debian's serial build: every call into it goes through this lock.
enum HDF5Library {
    static let lock = Lock()
    static let initialized: Bool = {
        // No cleanup at process exit: after a write failed (a full disk), H5Fclose cannot flush and leaves the file
        // open, and libhdf5's exit-time close of it then crashed (SIGSEGV after NeuroPipe had reported the error and
        // removed the temporary). Every file NeuroPipe keeps is closed explicitly before exit.
        _ = H5dont_atexit()
        _ = neuropipe_H5_silence_errors()
        return true
    }()

    static func call<T>(_ body: () throws -> T) rethrows -> T {
        _ = initialized
        return try lock.withLock(body)
    }

    /// Innermost-first messages of the current error stack, then the stack is cleared.
    static func errorStack() -> String {
        final class Box { var messages: [String] = [] }
        let box = Box()
        let unmanaged = Unmanaged.passUnretained(box).toOpaque()
        H5Ewalk2(neuropipe_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, err, data in
            let b = Unmanaged<Box>.fromOpaque(data!).takeUnretainedValue()
            if let d = err?.pointee.desc { b.messages.append(String(cString: d)) }
            return 0
        }, unmanaged)
        H5Eclear2(neuropipe_H5E_DEFAULT())
        guard !box.messages.isEmpty else { return "libhdf5 call failed" }
        // A system error (e.g. a full disk) is buried in the innermost message as "error message = '…'": put it first.
        for m in box.messages {
            if let r = m.range(of: "error message = '"), let end = m[r.upperBound...].firstIndex(of: "'") {
                return String(m[r.upperBound..<end]) + " (libhdf5: " + box.messages.joined(separator: "; ") + ")"
            }
        }
        return box.messages.joined(separator: "; ")
    }
}

/// Walks an HDF5 file's structure in a forked child before NeuroPipe opens it (the C walk is in CHDF5's shim):
/// libhdf5 1.10 crashes on some corrupt files, with uninitialised memory on its error paths, and could loop on
/// others. Any error libhdf5 reports during the walk, a crash or a hang there makes the file an input error, so the
/// parent never runs those error paths itself. A file that passed is remembered by device, inode, size and
/// modification time (a few milliseconds per new file).
public enum HDF5StructureCheck {
    /// Seconds the walk may take (environment `NEUROPIPE_HDF5_TIMEOUT`, default 60; 0 turns the walk off): a
    /// metadata walk of an intact file takes milliseconds, so only a corrupt file or a stalled filesystem reaches it.
    public static let defaultTimeout: Double = ProcessInfo.processInfo.environment["NEUROPIPE_HDF5_TIMEOUT"].flatMap(Double.init) ?? 60
    private static let lock = Lock()
    nonisolated(unsafe) private static var passed = Set<String>()  // guarded by `lock`
    nonisolated(unsafe) private static var trustedFolders = [String]()  // guarded by `lock`

    /// Files below `folder` are NeuroPipe's own outputs (a pipeline cache's entries, committed by atomic rename and
    /// checked by content hash with `neuropipe cache verify`) and are not walked: the walk is for inputs from
    /// elsewhere, and per stage it cost about an eighth of a pipeline's time.
    public static func trust(folder: String) {
        let real = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path + "/"
        lock.withLock { if !trustedFolders.contains(real) { trustedFolders.append(real) } }
    }

    public static func verify(_ path: String, timeout: Double) throws {
        guard timeout > 0 else { return }  // NEUROPIPE_HDF5_TIMEOUT=0: no walk (trusted inputs only)
        let folders = lock.withLock { trustedFolders }
        if !folders.isEmpty {
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            if folders.contains(where: { real.hasPrefix($0) }) { return }
        }
        var st = stat()
        guard stat(path, &st) == 0 else { return }  // the open that follows reports it
        let key = "\(st.st_dev):\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        if lock.withLock({ passed.contains(key) }) { return }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }  // no descriptors to spare: open in-process as before
        defer { close(fds[0]) }
        let pathBytes = Int(NEUROPIPE_PROBE_PATH)
        guard let shared = mmap(nil, pathBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), shared != MAP_FAILED else { return }
        defer { munmap(shared, pathBytes) }
        let walking = shared.bindMemory(to: CChar.self, capacity: pathBytes)
        let pid = HDF5Library.call { neuropipe_hdf5_probe_fork(path, 1 << 30, fds[1], walking) }  // metadata and datasets under 16 MB: 1 GiB is ample, whatever --max-memory says
        close(fds[1])
        guard pid > 0 else { return }
        let outcome = neuropipe_hdf5_probe_wait(pid, Int(timeout * 1000))
        switch outcome {
        case 0:
            lock.withLock { _ = passed.insert(key) }
        case -1:
            throw InputError(file: path, field: "file", message: "libhdf5 did not finish reading the file's structure within \(timeout) s (a corrupt file, or a stalled filesystem); NEUROPIPE_HDF5_TIMEOUT sets the limit")
        case Int32(NEUROPIPE_PROBE_CORRUPT):
            _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(fds[0], &buffer, buffer.count)
            let text = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
            let parts = text.split(separator: "\t", maxSplits: 1).map(String.init)
            throw InputError(file: path, field: parts.count == 2 ? parts[0] : "file",
                             message: "corrupt HDF5 file: " + (parts.count == 2 ? parts[1] : "libhdf5 reported an error reading its structure"))
        case -2:
            return  // waiting failed (someone else reaped the child): open in-process as before
        default:
            // A signal, or any other exit (a sanitizer's report exits with 1): the walk did not finish normally.
            walking[pathBytes - 1] = 0
            let object = String(cString: walking)
            let how = outcome >= 1000 ? "crashed (signal \(outcome - 1000))" : "failed (exit status \(outcome))"
            throw InputError(file: path, field: object.isEmpty ? "file" : object,
                             message: "corrupt HDF5 file: libhdf5 \(how) reading it in a separate process; NeuroPipe did not open it")
        }
    }
}

extension HDF5File {
    /// Files, groups, datasets, types and attributes libhdf5 holds open in this process. Zero once every
    /// HDF5File is released: a leaked id keeps its file open, and libhdf5 would hand a later open of the same file
    /// the stale shared state (tests and the fuzzer check it).
    public static func openObjectCount() -> Int {
        HDF5Library.call { Int(H5Fget_obj_count(hid_t(0x1F), 0x1F)) }  // H5F_OBJ_ALL (a macro Swift cannot import)
    }
}

/// An object in an HDF5 file as `neuropipe info` lists it.
public struct HDF5ObjectInfo: Sendable {
    public enum Kind: String, Sendable { case group, dataset }
    public var path: String
    public var kind: Kind
    public var shape: [Int]?
    public var dtype: String?
    public var chunks: [Int]?
    /// h5py's `compression`: "gzip", "lzf", "szip", … or nil.
    public var compression: String?
    public var filters: [String]
    public var attributes: [(String, JSONValue)]
}

/// A read-only HDF5 file. Every libhdf5 call is serialised (the serial library is not thread-safe).
public final class HDF5File: @unchecked Sendable {
    public let path: String
    let id: hid_t

    /// Opens `path` read-only after `HDF5StructureCheck` has walked it in a child process (at most
    /// `structureTimeout` seconds), so a file that crashes or hangs libhdf5 is an error, not a crash.
    public convenience init(path: String, structureTimeout: Double = HDF5StructureCheck.defaultTimeout) throws {
        try self.init(path: path, structureTimeout: structureTimeout, checkStructure: true)
    }

    /// `checkStructure: false` skips the child-process walk (tests of the in-process guards behind it).
    init(path: String, structureTimeout: Double, checkStructure: Bool) throws {
        self.path = path
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw InputError(file: path, field: "file", message: "cannot open: no such readable file")
        }
        if checkStructure { try HDF5StructureCheck.verify(path, timeout: structureTimeout) }
        let fid = HDF5Library.call { H5Fopen(path, neuropipe_H5F_ACC_RDONLY(), neuropipe_H5P_DEFAULT()) }
        guard fid >= 0 else {
            throw InputError(file: path, field: "file", message: "not a readable HDF5 file (\(HDF5Library.call { HDF5Library.errorStack() }))")
        }
        id = fid
    }

    deinit { _ = HDF5Library.call { H5Fclose(id) } }

    func fail(_ object: String, _ message: String? = nil) -> HDF5Error {
        HDF5Error(file: path, object: object, message: message ?? HDF5Library.errorStack())
    }

    /// Every group and dataset, depth first in name order (the root group first); an object reachable through
    /// several hard links is listed once, at its first path (as h5py's visititems).
    public func objects() throws -> [HDF5ObjectInfo] {
        try HDF5Library.call {
            var out = [HDF5ObjectInfo]()
            var visited = Set<UInt64>()
            try visit(group: "/", into: &out, visited: &visited, depth: 0)
            return out
        }
    }

    private func visit(group: String, into out: inout [HDF5ObjectInfo], visited: inout Set<UInt64>, depth: Int) throws {
        let gid = H5Gopen2(id, group, neuropipe_H5P_DEFAULT())
        guard gid >= 0 else { throw fail(group) }
        defer { H5Gclose(gid) }
        var info = H5O_info_t()
        if H5Oget_info2(gid, &info, UInt32(H5O_INFO_BASIC)) >= 0 { visited.insert(UInt64(info.addr)) }
        out.append(HDF5ObjectInfo(path: group, kind: .group, shape: nil, dtype: nil, chunks: nil, compression: nil, filters: [],
                                  attributes: try attributes(of: gid, object: group)))
        guard depth < 64 else { return }
        for name in try childNames(gid, object: group) {
            let child = group == "/" ? "/" + name : group + "/" + name
            let oid = H5Oopen(gid, name, neuropipe_H5P_DEFAULT())
            guard oid >= 0 else { _ = HDF5Library.errorStack(); continue }  // dangling soft/external link
            var oinfo = H5O_info_t()
            _ = H5Oget_info2(oid, &oinfo, UInt32(H5O_INFO_BASIC))
            let kind = H5Iget_type(oid)
            if kind == H5I_GROUP {
                H5Oclose(oid)
                if visited.contains(UInt64(oinfo.addr)) { continue }  // hard-link cycle
                try visit(group: child, into: &out, visited: &visited, depth: depth + 1)
            } else if kind == H5I_DATASET {
                defer { H5Oclose(oid) }
                // Like h5py's visititems: an object reachable by several hard links is listed once.
                if !visited.insert(UInt64(oinfo.addr)).inserted { continue }
                out.append(try datasetInfo(oid, path: child))
            } else {
                H5Oclose(oid)
            }
        }
    }

    private func childNames(_ gid: hid_t, object: String) throws -> [String] {
        final class Names { var list: [String] = [] }
        let names = Names()
        var idx: hsize_t = 0
        let status = H5Literate(gid, H5_INDEX_NAME, H5_ITER_INC, &idx, { _, name, _, data in
            Unmanaged<Names>.fromOpaque(data!).takeUnretainedValue().list.append(String(cString: name!))
            return 0
        }, Unmanaged.passUnretained(names).toOpaque())
        guard status >= 0 else { throw fail(object) }
        return names.list
    }

    private func datasetInfo(_ did: hid_t, path: String) throws -> HDF5ObjectInfo {
        let space = H5Dget_space(did)
        defer { H5Sclose(space) }
        let shape = HDF5File.dims(space)
        let type = H5Dget_type(did)
        defer { H5Tclose(type) }
        let plist = H5Dget_create_plist(did)
        defer { H5Pclose(plist) }
        var chunks: [Int]? = nil
        if H5Pget_layout(plist) == H5D_CHUNKED {
            var c = [hsize_t](repeating: 0, count: max(1, shape.count))
            let n = H5Pget_chunk(plist, Int32(c.count), &c)
            if n > 0 { chunks = c.prefix(Int(n)).map { Int($0) } }
        }
        var filters = [String]()
        var compression: String? = nil
        for i in 0..<max(0, H5Pget_nfilters(plist)) {
            var flags: UInt32 = 0, nelmts = 0, config: UInt32 = 0
            var cd = [UInt32](repeating: 0, count: 8)
            var name = [CChar](repeating: 0, count: 64)
            nelmts = cd.count
            let f = H5Pget_filter2(plist, UInt32(i), &flags, &nelmts, &cd, name.count, &name, &config)
            let label = HDF5File.filterName(f)
            filters.append(label)
            if ["gzip", "lzf", "szip"].contains(label) || label.hasPrefix("filter ") { compression = compression ?? label }
        }
        return HDF5ObjectInfo(path: path, kind: .dataset, shape: shape, dtype: HDF5File.dtypeName(type), chunks: chunks,
                              compression: compression, filters: filters, attributes: try attributes(of: did, object: path))
    }

    static func filterName(_ f: H5Z_filter_t) -> String {
        switch f {
        case 1: return "gzip"
        case 2: return "shuffle"
        case 3: return "fletcher32"
        case 4: return "szip"
        case 5: return "nbit"
        case 6: return "scaleoffset"
        case 32000: return "lzf"
        case 32001: return "blosc"
        case 32004: return "lz4"
        case 32015: return "zstd"
        default: return "filter \(f)"
        }
    }

    static func dims(_ space: hid_t) -> [Int] {
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank > 0 else { return [] }
        var d = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &d, nil)
        return d.map { Int($0) }
    }

    /// numpy-style names: int8…uint64, float16/32/64, S<n> (fixed string), str (variable string), and the class
    /// name for anything else (compound, reference, enum, array, opaque, vlen, bitfield, time).
    static func dtypeName(_ type: hid_t) -> String {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + String(size * 8)
        case H5T_FLOAT: return "float" + String(size * 8)
        case H5T_STRING: return H5Tis_variable_str(type) > 0 ? "str" : "S\(size)"
        case H5T_COMPOUND: return "compound"
        case H5T_REFERENCE: return "reference"
        case H5T_ENUM: return "enum"
        case H5T_ARRAY: return "array"
        case H5T_OPAQUE: return "opaque"
        case H5T_VLEN: return "vlen"
        case H5T_BITFIELD: return "bitfield"
        default: return "unknown"
        }
    }

    /// Attributes by name; numbers become numbers (arrays flattened), strings (fixed or variable) become strings.
    /// Types without a JSON meaning become `{"unsupported": "<class>"}`.
    private func attributes(of oid: hid_t, object: String) throws -> [(String, JSONValue)] {
        var info = H5O_info_t()
        guard H5Oget_info2(oid, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else { throw fail(object) }
        var out = [(String, JSONValue)]()
        for i in 0..<info.num_attrs {
            let aid = H5Aopen_by_idx(oid, ".", H5_INDEX_NAME, H5_ITER_INC, i, neuropipe_H5P_DEFAULT(), neuropipe_H5P_DEFAULT())
            guard aid >= 0 else { throw fail(object) }
            defer { H5Aclose(aid) }
            let len = H5Aget_name(aid, 0, nil)
            var nameBuf = [CChar](repeating: 0, count: Int(len) + 1)
            H5Aget_name(aid, nameBuf.count, &nameBuf)
            let name = String(decoding: nameBuf.prefix(Int(max(0, len))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            out.append((name, try readAttribute(aid, object: object + "@" + name)))
        }
        return out
    }

    private func readAttribute(_ aid: hid_t, object: String) throws -> JSONValue {
        let type = H5Aget_type(aid)
        defer { H5Tclose(type) }
        let space = H5Aget_space(aid)
        defer { H5Sclose(space) }
        let shape = HDF5File.dims(space)
        guard let count = MemoryBudget.count(shape, bytesPerValue: 8), count <= 1 << 24 else {
            return .object([("unsupported", .string("attribute of shape \(shape)"))])
        }
        let isScalar = shape.isEmpty
        func wrap(_ values: [JSONValue]) -> JSONValue { isScalar && values.count == 1 ? values[0] : .array(values) }
        switch H5Tget_class(type) {
        case H5T_INTEGER, H5T_ENUM:
            let unsigned = H5Tget_sign(type) == H5T_SGN_NONE && H5Tget_size(type) == 8
            if unsigned {
                var v = [UInt64](repeating: 0, count: count)
                guard H5Aread(aid, neuropipe_H5T_NATIVE_UINT64(), &v) >= 0 else { throw fail(object) }
                return wrap(v.map { $0 <= UInt64(Int.max) ? .int(Int($0)) : .number(Double($0)) })
            }
            var v = [Int64](repeating: 0, count: count)
            guard H5Aread(aid, neuropipe_H5T_NATIVE_INT64(), &v) >= 0 else { throw fail(object) }
            return wrap(v.map { .int(Int($0)) })
        case H5T_FLOAT:
            var v = [Double](repeating: 0, count: count)
            guard H5Aread(aid, neuropipe_H5T_NATIVE_DOUBLE(), &v) >= 0 else { throw fail(object) }
            return wrap(v.map { .finite($0) })
        case H5T_STRING:
            return wrap(try readStrings(type: type, count: count, object: object) { mem, buf in H5Aread(aid, mem, buf) }.map { .string($0) })
        default:
            return .object([("unsupported", .string(HDF5File.dtypeName(type)))])
        }
    }

    /// Reads `count` strings of `type` (fixed or variable length) through `read(memtype, buffer)`.
    private func readStrings(type: hid_t, count: Int, object: String, _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
        if H5Tis_variable_str(type) > 0 {
            let mem = H5Tcopy(neuropipe_H5T_C_S1())
            defer { H5Tclose(mem) }
            H5Tset_size(mem, neuropipe_H5T_VARIABLE())
            H5Tset_cset(mem, H5Tget_cset(type))
            var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard ptrs.withUnsafeMutableBytes({ read(mem, $0.baseAddress!) }) >= 0 else { throw fail(object) }
            defer { for p in ptrs { if let p { H5free_memory(p) } } }
            return ptrs.map { $0.map { String(cString: $0) } ?? "" }
        }
        let size = H5Tget_size(type)
        guard size > 0, size < 1 << 20 else { throw fail(object, "fixed-length string of \(size) bytes") }
        var buf = [UInt8](repeating: 0, count: size * count)
        guard buf.withUnsafeMutableBytes({ read(type, $0.baseAddress!) }) >= 0 else { throw fail(object) }
        let pad = H5Tget_strpad(type)
        return (0..<count).map { i in
            var bytes = Array(buf[(i * size)..<((i + 1) * size)])
            if let z = bytes.firstIndex(of: 0) { bytes = Array(bytes[..<z]) }
            if pad == H5T_STR_SPACEPAD { while bytes.last == 0x20 { bytes.removeLast() } }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Opens dataset `object`, checking that every filter it needs is available.
    /// Throws unless dataset `did` holds integers, floats or enums (what reads as Float64).
    private func requireNumeric(_ did: hid_t, _ object: String) throws {
        let type = H5Dget_type(did)
        let cls = H5Tget_class(type), size = H5Tget_size(type)
        H5Tclose(type)
        guard cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM else {
            throw HDF5Error(file: path, object: object, message: "dataset is not numeric; expected an integer or float dataset")
        }
        // libhdf5 sizes its conversion buffers by the element size (found by fuzzing: a "float" of 3.3 GB each).
        guard size >= 1 && size <= 16 else {
            throw HDF5Error(file: path, object: object, message: "declares numbers of \(size) bytes each (corrupt); expected 1 to 16")
        }
    }

    private func openDataset(_ object: String) throws -> hid_t {
        let did = H5Dopen2(id, object, neuropipe_H5P_DEFAULT())
        guard did >= 0 else { throw fail(object) }
        let plist = H5Dget_create_plist(did)
        defer { H5Pclose(plist) }
        for i in 0..<max(0, H5Pget_nfilters(plist)) {
            var flags: UInt32 = 0, nelmts = 0, config: UInt32 = 0
            let f = H5Pget_filter2(plist, UInt32(i), &flags, &nelmts, nil, 0, nil, &config)
            if H5Zfilter_avail(f) <= 0 {
                H5Dclose(did)
                throw HDF5Error(file: path, object: object, message: "unsupported filter \(HDF5File.filterName(f)) (not available in this libhdf5)")
            }
        }
        // libhdf5 allocates whole chunks to read (and inflate) them, and a chunk's declared shape may exceed the
        // dataset's (found by fuzzing: a 3 GB chunk of a 24-value dataset).
        if H5Pget_layout(plist) == H5D_CHUNKED {
            var dims = [hsize_t](repeating: 0, count: 32)
            let rank = Int(H5Pget_chunk(plist, Int32(dims.count), &dims))
            let type = H5Dget_type(did)
            let element = H5Tget_size(type)
            H5Tclose(type)
            if rank > 0, MemoryBudget.count(dims.prefix(rank).map { $0 > hsize_t(Int.max) ? -1 : Int($0) }, bytesPerValue: max(8, element)) == nil {
                H5Dclose(did)
                throw HDF5Error(file: path, object: object, message: "declares chunks of shape \(dims.prefix(rank).map { Int(clamping: $0) }), more than fit in memory (budget \(MemoryBudget.describe(MemoryBudget.bytes)), --max-memory)")
            }
        }
        return did
    }

    /// Shape of dataset `object`.
    public func shape(of object: String) throws -> [Int] {
        try HDF5Library.call {
            let did = H5Dopen2(id, object, neuropipe_H5P_DEFAULT())
            guard did >= 0 else { throw fail(object) }
            defer { H5Dclose(did) }
            let space = H5Dget_space(did)
            defer { H5Sclose(space) }
            return HDF5File.dims(space)
        }
    }

    /// A numeric dataset (any integer or float type) as Float64, row-major; optionally only rows
    /// `rows` of its first dimension (a hyperslab: nothing else is read).
    public func readDoubles(_ object: String, rows: Range<Int>? = nil) throws -> (shape: [Int], values: [Double]) {
        try readSelection(object) { shape in
            guard let rows else { return nil }
            guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
                throw HDF5Error(file: path, object: object, message: "rows \(rows) are outside the dataset's shape \(shape)")
            }
            var start = [Int](repeating: 0, count: shape.count), count = shape
            (start[0], count[0]) = (rows.lowerBound, rows.count)
            return (start, count)
        }
    }

    /// Columns `columns` of a 2-D numeric dataset `[rows × cols]` as Float64 `[rows × columns.count]`, row-major
    /// (a hyperslab: only those columns are read, so a wide feature matrix can be streamed in column blocks).
    public func readDoubleColumns(_ object: String, columns: Range<Int>) throws -> [Double] {
        try readSelection(object) { shape in
            guard shape.count == 2 else {
                throw HDF5Error(file: path, object: object, message: "has shape \(shape); expected a 2-D dataset [samples × features]")
            }
            guard columns.lowerBound >= 0, columns.upperBound <= shape[1] else {
                throw HDF5Error(file: path, object: object, message: "columns \(columns) are outside the dataset's shape \(shape)")
            }
            return ([0, columns.lowerBound], [shape[0], columns.count])
        }.values
    }

    /// Reads a numeric dataset as Float64: all of it, or the hyperslab (start, count) that `select` returns for
    /// the dataset's shape (nil = all).
    private func readSelection(_ object: String, _ select: ([Int]) throws -> (start: [Int], count: [Int])?) throws -> (shape: [Int], values: [Double]) {
        try HDF5Library.call {
            let did = try openDataset(object)
            defer { H5Dclose(did) }
            try requireNumeric(did, object)
            let space = H5Dget_space(did)
            defer { H5Sclose(space) }
            var shape = HDF5File.dims(space)
            var memspace = neuropipe_H5S_ALL(), filespace = neuropipe_H5S_ALL()
            let selection = try select(shape)
            if let (start, count) = selection {
                let (s, c) = (start.map { hsize_t($0) }, count.map { hsize_t($0) })
                H5Sselect_hyperslab(space, H5S_SELECT_SET, s, nil, c, nil)
                memspace = H5Screate_simple(Int32(c.count), c, nil)
                filespace = space
                shape = count
            }
            defer { if selection != nil { H5Sclose(memspace) } }
            guard let n = MemoryBudget.count(shape, bytesPerValue: 8) else {
                throw HDF5Error(file: path, object: object, message: "declares shape \(shape), more values than fit in memory (budget \(MemoryBudget.describe(MemoryBudget.bytes)), --max-memory)")
            }
            var values = [Double](repeating: 0, count: n)
            if n > 0 {
                guard H5Dread(did, neuropipe_H5T_NATIVE_DOUBLE(), memspace, filespace, neuropipe_H5P_DEFAULT(), &values) >= 0 else { throw fail(object) }
            }
            return (shape, values)
        }
    }

    /// Opens dataset `object`, requires its type class to be `expected` (else `notThat`), and calls `body(dataset,
    /// type, count)` once its value count has passed the memory budget (at least 8 bytes per value).
    private func withDataset<T>(_ object: String, of expected: H5T_class_t, notThat: String, values: String,
                                _ body: (hid_t, hid_t, Int) throws -> T) throws -> T {
        try HDF5Library.call {
            let did = try openDataset(object)
            defer { H5Dclose(did) }
            let type = H5Dget_type(did)
            defer { H5Tclose(type) }
            guard H5Tget_class(type) == expected else { throw HDF5Error(file: path, object: object, message: notThat) }
            let space = H5Dget_space(did)
            defer { H5Sclose(space) }
            guard let n = MemoryBudget.count(HDF5File.dims(space), bytesPerValue: max(8, H5Tget_size(type))) else {
                throw HDF5Error(file: path, object: object, message: "declares shape \(HDF5File.dims(space)), more \(values) than fit in memory")
            }
            return try body(did, type, n)
        }
    }

    /// A string dataset (fixed or variable length), flattened.
    public func readStrings(_ object: String) throws -> [String] {
        try withDataset(object, of: H5T_STRING, notThat: "dataset is not a string dataset", values: "strings") { did, type, n in
            if H5Tis_variable_str(type) > 0 { try checkVariableLengths(did, count: n, object: object) }
            return try readStrings(type: type, count: n, object: object) { mem, buf in
                H5Dread(did, mem, neuropipe_H5S_ALL(), neuropipe_H5S_ALL(), neuropipe_H5P_DEFAULT(), buf)
            }
        }
    }

    /// Variable-length strings declare their lengths in the dataset's raw elements (4-byte length, then the global
    /// heap id); libhdf5 allocates each declared length before reading, so a corrupted length of gigabytes is an
    /// allocation of gigabytes (found by fuzzing). For contiguous datasets in files without a user block the lengths
    /// are read directly and any longer than the file is refused first. (Chunked and compact layouts are not checked.)
    private func checkVariableLengths(_ did: hid_t, count: Int, object: String) throws {
        let fcpl = H5Fget_create_plist(id)
        defer { H5Pclose(fcpl) }
        var userBlock: hsize_t = 0
        H5Pget_userblock(fcpl, &userBlock)
        let offset = H5Dget_offset(did), storage = Int(H5Dget_storage_size(did))
        guard userBlock == 0, offset != haddr_t.max, count > 0, storage >= 4 * count, storage % count == 0 else { return }
        let element = storage / count
        guard let file = try? ReadOnlyFile(path: path), Int(offset) + storage <= file.size else { return }
        let raw = try file.read(at: Int(offset), count: storage, field: object)
        for i in 0..<count {
            let length = Int(raw[i * element]) | Int(raw[i * element + 1]) << 8 | Int(raw[i * element + 2]) << 16 | Int(raw[i * element + 3]) << 24
            guard length <= file.size else {
                throw HDF5Error(file: path, object: object, message: "variable-length string \(i) declares \(length) bytes in a file of \(file.size) bytes (corrupt)")
            }
        }
    }

    /// The paths of the objects an object-reference dataset points to, flattened in storage order (MATLAB v7.3
    /// writes cell arrays and struct-array fields this way, into `/#refs#`).
    public func referencedPaths(_ object: String) throws -> [String] {
        try withDataset(object, of: H5T_REFERENCE, notThat: "is not a dataset of object references", values: "references") { did, _, n in
            var refs = [hobj_ref_t](repeating: 0, count: n)
            if n > 0 {
                guard H5Dread(did, neuropipe_H5T_STD_REF_OBJ(), neuropipe_H5S_ALL(), neuropipe_H5S_ALL(), neuropipe_H5P_DEFAULT(), &refs) >= 0 else { throw fail(object) }
            }
            return try refs.map { ref in
                var r = ref
                var buffer = [CChar](repeating: 0, count: 1024)
                let length = neuropipe_reference_name(did, &r, &buffer, buffer.count)
                guard length > 0, length < buffer.count else { throw HDF5Error(file: path, object: object, message: "holds a reference that resolves to no object") }
                return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// Attributes of the group or dataset at `object`.
    public func attributes(of object: String) throws -> [(String, JSONValue)] {
        try HDF5Library.call {
            let oid = H5Oopen(id, object, neuropipe_H5P_DEFAULT())
            guard oid >= 0 else { throw fail(object) }
            defer { H5Oclose(oid) }
            return try attributes(of: oid, object: object)
        }
    }

    public func exists(_ object: String) -> Bool {
        HDF5Library.call {
            // Check each link along the path so a missing parent is not an error.
            var current = ""
            for part in object.split(separator: "/") {
                current += "/" + part
                if H5Lexists(id, current, neuropipe_H5P_DEFAULT()) <= 0 { _ = HDF5Library.errorStack(); return false }
            }
            return true
        }
    }
}
