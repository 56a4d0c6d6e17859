import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a command will write, checked before any work: a typo or a read-only mount fails in milliseconds, not
/// after the computation (outputs are written as a temporary beside the final name, then renamed).
public enum OutputLocation {
    /// Throws unless the folder of output file `path` exists and accepts new files.
    public static func requireWritableFile(_ path: String, field: String = "--out") throws {
        let parent = (path as NSString).deletingLastPathComponent
        try requireWritableFolder(parent.isEmpty ? "." : parent, for: path, field: field)
    }

    /// Throws unless `folder` exists as a folder and accepts new files; `path` is what the error names.
    public static func requireWritableFolder(_ folder: String, for path: String? = nil, field: String = "--out") throws {
        var st = stat()
        guard stat(folder, &st) == 0 else {
            throw InputError(file: path ?? folder, field: field, message: "the folder \(folder) does not exist")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw InputError(file: path ?? folder, field: field, message: "\(folder) is not a folder")
        }
        guard access(folder, W_OK) == 0 else {
            throw InputError(file: path ?? folder, field: field, message: "the folder \(folder) is not writable (\(String(cString: strerror(errno))))")
        }
    }
}

/// Temporary files and folders being written (a writer's hidden sibling, a cache entry being built), so a signal
/// that stops NeuroPipe at once can remove them: outputs appear only by atomic rename, and nothing half-written stays.
public enum InFlightTemporaries {
    private static let lock = Lock()
    nonisolated(unsafe) private static var paths = Set<String>()  // guarded by `lock`

    public static func add(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    public static func remove(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Deletes every registered temporary (files and folders) and returns how many there were.
    @discardableResult
    public static func deleteAll() -> Int {
        let all = lock.withLock { defer { paths.removeAll() }; return paths }
        for p in all { try? FileManager.default.removeItem(atPath: p) }
        return all.count
    }
}
