import NeuroCore

/// The file formats NeuroPipe reads, recognised by content (magic bytes), not by name.
public enum FileKind: String, Sendable {
    case edf, bdf

    /// Sniffs the first bytes of `path`; throws an InputError naming what was found when it is no known format.
    public static func detect(path: String) throws -> FileKind {
        let file = try ReadOnlyFile(path: path)
        let head = try file.read(at: 0, count: min(8, file.size), field: "magic")
        if head.count == 8 && head[0] == 0xFF && Array(head[1...7]) == Array("BIOSEMI".utf8) { return .bdf }
        if head.count == 8 && head[0] == UInt8(ascii: "0") && head[1...].allSatisfy({ $0 == 0x20 }) { return .edf }
        throw InputError(file: path, field: "magic",
                         message: "not a recognised format; expected EDF (\"0       \") or BDF (0xFF \"BIOSEMI\")")
    }
}
