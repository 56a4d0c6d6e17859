import NeuroCore

/// The file formats NeuroPipe reads, recognised by content (magic bytes), not by name.
public enum FileKind: String, Sendable {
    case edf, bdf, nifti, hdf5, csv

    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Sniffs the first bytes of `path`; throws an InputError naming what was found when it is no known format.
    public static func detect(path: String) throws -> FileKind {
        let file = try ReadOnlyFile(path: path)
        let head = try file.read(at: 0, count: min(8, file.size), field: "magic")
        if head.count == 8 && head[0] == 0xFF && Array(head[1...7]) == Array("BIOSEMI".utf8) { return .bdf }
        if head.count == 8 && head[0] == UInt8(ascii: "0") && head[1...].allSatisfy({ $0 == 0x20 }) { return .edf }
        if CSVRecording.looksLikeCSV(try file.read(at: 0, count: min(16, file.size), field: "magic")) { return .csv }
        // HDF5: signature at 0, 512, 1024, 2048, … (a user block, as in MATLAB v7.3 files, shifts it).
        var offset = 0
        while offset + 8 <= file.size && offset <= 1 << 20 {
            if try file.read(at: offset, count: 8, field: "magic") == hdf5Signature { return .hdf5 }
            offset = offset == 0 ? 512 : offset * 2
        }
        // NIfTI: sizeof_hdr 348 or 540 in either byte order, possibly inside gzip.
        var first = head
        if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B {
            let source = try openByteSource(path: path)
            var b = [UInt8](repeating: 0, count: 4)
            if (try? b.withUnsafeMutableBytes { try source.read(into: $0, field: "magic") }) != nil { first = b }
        }
        if first.count >= 4 {
            let le = UInt32(first[0]) | UInt32(first[1]) << 8 | UInt32(first[2]) << 16 | UInt32(first[3]) << 24
            if [348, 540].contains(le) || [348, 540].contains(le.byteSwapped) { return .nifti }
        }
        if try file.read(at: 0, count: min(10, file.size), field: "magic") == Array("MATLAB 5.0".utf8) {
            throw InputError(file: path, field: "magic", message: "is a MATLAB v5 MAT-file (e.g. an EEGLAB .set saved in the default format); only MATLAB v7.3 (HDF5) sets are read: re-save in EEGLAB with pop_saveset(EEG, 'filename', F, 'version', '7.3') or convert to EDF")
        }
        throw InputError(file: path, field: "magic",
                         message: "not a recognised format; expected EDF, BDF, NIfTI-1/2 (.nii, .nii.gz, .hdr), HDF5 (incl. EEGLAB v7.3 .set) or a timestamps CSV")
    }
}
