import CXXHash
import Foundation
import NeuroCore
import NeuroIO

/// A 128-bit content hash (xxHash3-128), written as 32 lowercase hex digits. Not cryptographic: it identifies
/// content for caching, it does not authenticate it.
public struct ContentHash: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let high: UInt64
    public let low: UInt64

    public var description: String {
        func hex(_ v: UInt64) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 16 - s.count) + s }
        return hex(high) + hex(low)
    }

    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    public init?(hex: String) {
        guard hex.count == 32, let h = UInt64(hex.prefix(16), radix: 16), let l = UInt64(hex.suffix(16), radix: 16) else { return nil }
        self.init(high: h, low: l)
    }

    public static func < (a: ContentHash, b: ContentHash) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// Hash of bytes in memory.
    public static func of(_ bytes: [UInt8]) -> ContentHash {
        let h = bytes.withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
        return ContentHash(high: h.high64, low: h.low64)
    }

    public static func of(_ text: String) -> ContentHash { of(Array(text.utf8)) }

    /// Hash of a file's content, streamed in 4 MiB reads (the file is opened read-only).
    public static func ofFile(_ path: String) throws -> ContentHash {
        let file = try ReadOnlyFile(path: path)
        guard let state = XXH3_createState() else { throw RuntimeFailure(context: path, message: "xxhash state allocation failed") }
        defer { XXH3_freeState(state) }
        XXH3_128bits_reset(state)
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < file.size {
            let n = min(chunk, file.size - offset)
            let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            try file.read(at: offset, into: part, field: "content")
            XXH3_128bits_update(state, part.baseAddress, n)
            offset += n
        }
        let h = XXH3_128bits_digest(state)
        return ContentHash(high: h.high64, low: h.low64)
    }
}

/// File identity used to skip re-hashing: an unchanged (device, inode, size, modification time) means unchanged
/// content for caching purposes (touching a file changes mtime and costs one re-hash, never a wrong hit).
public struct FileIdentity: Hashable, Codable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    public let mtimeNanoseconds: Int64

    public init(path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw InputError(file: path, field: "file", message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }
}

/// Content hashes memoised by absolute path and `FileIdentity`, persisted as a tab-separated file so unchanged
/// multi-GB inputs are not re-read on the next run. Safe across threads; the file is rewritten atomically.
public final class HashMemo: @unchecked Sendable {
    let path: String?
    private let lock = Lock()
    private var entries: [String: (FileIdentity, ContentHash)] = [:]

    /// `path`: where the memo lives (nil: in memory only).
    public init(path: String?) {
        self.path = path
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 6, let dev = UInt64(f[1]), let ino = UInt64(f[2]), let size = Int64(f[3]), let mt = Int64(f[4]),
                  let hash = ContentHash(hex: String(f[5])) else { continue }
            entries[String(f[0])] = (FileIdentity(device: dev, inode: ino, size: size, mtimeNanoseconds: mt), hash)
        }
    }

    /// The file's content hash, re-read only when its identity changed since it was last hashed.
    public func hash(of file: String) throws -> ContentHash {
        let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
        let id = try FileIdentity(path: absolute)
        if let (known, h) = lock.withLock({ entries[absolute] }), known == id { return h }
        let h = try ContentHash.ofFile(absolute)
        lock.withLock { entries[absolute] = (id, h) }
        return h
    }

    /// Records that `file` (as it is now) has content hash `hash`, e.g. right after writing a copy of known content.
    public func remember(_ file: String, hash: ContentHash) throws {
        let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
        let id = try FileIdentity(path: absolute)
        lock.withLock { entries[absolute] = (id, hash) }
    }

    /// The memoised hash of `file` if its identity is unchanged, without reading it.
    public func knownHash(of file: String) -> ContentHash? {
        let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
        guard let id = try? FileIdentity(path: absolute), let (known, h) = lock.withLock({ entries[absolute] }), known == id else { return nil }
        return h
    }

    /// Writes the memo (atomically) when it has a path.
    public func save() throws {
        guard let path else { return }
        let text = lock.withLock {
            entries.sorted { $0.key < $1.key }.map { k, v in
                "\(k)\t\(v.0.device)\t\(v.0.inode)\t\(v.0.size)\t\(v.0.mtimeNanoseconds)\t\(v.1)"
            }.joined(separator: "\n") + "\n"
        }
        try AtomicFile.write(to: path) { try $0.write(Array(text.utf8)) }
    }
}

extension FileIdentity {
    init(device: UInt64, inode: UInt64, size: Int64, mtimeNanoseconds: Int64) {
        self.device = device; self.inode = inode; self.size = size; self.mtimeNanoseconds = mtimeNanoseconds
    }
}
