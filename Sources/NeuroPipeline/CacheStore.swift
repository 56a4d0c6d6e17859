import Foundation
import NeuroCore
import NeuroIO

extension JSONValue {
    /// Objects with keys sorted (recursively): the form hashed into cache keys, so key order in a spec is irrelevant.
    public var canonical: JSONValue {
        switch self {
        case .object(let m): return .object(m.sorted { $0.0 < $1.0 }.map { ($0.0, $0.1.canonical) })
        case .array(let a): return .array(a.map(\.canonical))
        default: return self
        }
    }
}

/// One committed cache entry: a directory `entries/<key>/` holding `manifest.json` and `outputs/`.
public struct CacheEntry: Sendable {
    public let key: ContentHash
    public let directory: String
    public let manifest: JSONValue
    public var outputsDirectory: String { directory + "/outputs" }
}

/// A content-addressed store of stage outputs, shareable between runs, processes and users.
/// An entry is committed by renaming a finished temporary directory (whose manifest was written and synced first)
/// into `entries/`, so a reader sees a complete entry or none; a killed build leaves only a `tmp/` directory that is
/// never read and that `gc` removes. Builders of one key serialise on an O_EXCL lock file recording pid, host and
/// time; a lock whose owner is dead (same host) or older than `staleLockSeconds` (other hosts) is broken.
public final class CacheStore: @unchecked Sendable {
    public let root: String
    public let memo: HashMemo
    public var staleLockSeconds: Double = 6 * 3600
    public var lockWaitSeconds: Double = 24 * 3600
    static let host: String = ProcessInfo.processInfo.hostName

    public init(root: String) throws {
        self.root = root
        for d in ["entries", "tmp", "locks"] {
            do { try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true) } catch {
                throw InputError(file: root, field: "cache", message: "cannot create the cache directory: \(error.localizedDescription)")
            }
        }
        guard access(root, W_OK) == 0 else { throw InputError(file: root, field: "cache", message: "the cache directory is not writable") }
        memo = HashMemo(path: root + "/hash-memo.tsv")
    }

    /// key = hash(stage type, stage version, canonical parameters, input names and content hashes).
    public static func key(stage: String, version: String, parameters: JSONValue, inputs: [(String, ContentHash)]) -> ContentHash {
        let doc = JSONValue.object([
            ("stage", .string(stage)), ("version", .string(version)), ("parameters", parameters.canonical),
            ("inputs", .array(inputs.sorted { $0.0 < $1.0 }.map { .array([.string($0.0), .string($0.1.description)]) })),
        ])
        return ContentHash.of(doc.serialized())
    }

    func entryDirectory(_ key: ContentHash) -> String { root + "/entries/" + key.description }

    /// The committed entry for `key`, after a cheap check (manifest complete; every output present with its size).
    public func lookup(_ key: ContentHash) -> CacheEntry? {
        let dir = entryDirectory(key)
        guard let text = try? String(contentsOfFile: dir + "/manifest.json", encoding: .utf8),
              let manifest = try? JSONValue.parse(text), manifest.member("complete") == .bool(true),
              manifest.member("key") == .string(key.description) else { return nil }
        for out in manifest.member("outputs")?.arrayValue ?? [] {
            guard case .string(let file)? = out.member("file"), case .int(let size)? = out.member("size") else { return nil }
            var st = stat()
            guard stat(dir + "/outputs/" + file, &st) == 0, Int(st.st_size) == size else { return nil }
        }
        return CacheEntry(key: key, directory: dir, manifest: manifest)
    }

    /// The entry for `key`: from the cache, or built by `body(outputsDirectory)` under the key's lock (the body
    /// writes its files there). `record` adds fields to the manifest (stage, inputs, parameters, versions).
    /// Returns the entry and whether it was built now.
    public func entry(for key: ContentHash, record: [(String, JSONValue)], build body: (String) throws -> Void) throws -> (CacheEntry, built: Bool) {
        if let hit = lookup(key) { return (hit, false) }
        let lock = try acquireLock(key)
        defer { release(lock) }
        if let hit = lookup(key) { return (hit, false) }  // built by another process while we waited
        let tmp = root + "/tmp/\(key)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: tmp + "/outputs", withIntermediateDirectories: true)
        InFlightTemporaries.add(tmp)
        defer { InFlightTemporaries.remove(tmp) }
        do {
            let started = Date()
            try body(tmp + "/outputs")
            let files = try FileManager.default.subpathsOfDirectory(atPath: tmp + "/outputs").sorted().filter {
                var isDir: ObjCBool = false
                return FileManager.default.fileExists(atPath: tmp + "/outputs/" + $0, isDirectory: &isDir) && !isDir.boolValue
            }
            let outputs: [JSONValue] = try files.map { f in
                let p = tmp + "/outputs/" + f
                return .object([("file", .string(f)), ("size", .int(Int(try FileIdentity(path: p).size))), ("hash", .string(try ContentHash.ofFile(p).description))])
            }
            let manifest = JSONValue.object([("key", .string(key.description))] + record + [
                ("neuropipe_version", .string(NeuroPipeVersion.current)), ("host", .string(Self.host)),
                ("started", .number(started.timeIntervalSince1970)), ("seconds", .number(Date().timeIntervalSince(started))),
                ("outputs", .array(outputs)), ("complete", .bool(true)),
            ])
            try AtomicFile.write(to: tmp + "/manifest.json") { try $0.write(Array((manifest.serialized(pretty: true) + "\n").utf8)) }
            if rename(tmp, entryDirectory(key)) != 0 {
                // Another builder committed the same key first (its entry is equivalent): keep theirs.
                try? FileManager.default.removeItem(atPath: tmp)
                guard let theirs = lookup(key) else {
                    throw RuntimeFailure(context: root, message: "cannot commit cache entry \(key): \(String(cString: strerror(errno)))")
                }
                return (theirs, false)
            }
            return (CacheEntry(key: key, directory: entryDirectory(key), manifest: manifest), true)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
    }

    // MARK: Locks

    struct LockFile { let path: String; let token: String }

    func acquireLock(_ key: ContentHash) throws -> LockFile {
        let path = root + "/locks/\(key).lock"
        let token = "{\"pid\":\(getpid()),\"host\":\"\(Self.host)\",\"created\":\(Date().timeIntervalSince1970),\"nonce\":\(UInt64.random(in: 0...UInt64.max))}"
        let deadline = Date().addingTimeInterval(lockWaitSeconds)
        while true {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            if fd >= 0 {
                _ = token.withCString { write(fd, $0, strlen($0)) }
                fsync(fd)
                close(fd)
                return LockFile(path: path, token: token)
            }
            guard errno == EEXIST else {
                throw RuntimeFailure(context: path, message: "cannot create lock file: \(String(cString: strerror(errno)))")
            }
            if isStale(path) {
                // Break it by renaming to a unique name first, so two breakers cannot both delete a fresh lock.
                let broken = path + ".broken-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                if rename(path, broken) == 0 { unlink(broken) }
                continue
            }
            guard Date() < deadline else { throw RuntimeFailure(context: path, message: "timed out waiting for another NeuroPipe process building this cache entry") }
            usleep(50_000)
        }
    }

    /// A lock is stale when its owner process is gone (same host) or it is older than `staleLockSeconds`; an
    /// unreadable lock older than a minute (a writer killed between create and write) is stale too.
    func isStale(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let age = Date().timeIntervalSince1970 - Double(st.st_mtim.tv_sec)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let v = try? JSONValue.parse(text),
              case .int(let pid)? = v.member("pid"), case .string(let host)? = v.member("host") else { return age > 60 }
        if host == Self.host { return kill(pid_t(pid), 0) != 0 && errno == ESRCH }
        return age > staleLockSeconds
    }

    func release(_ lock: LockFile) {
        // Only remove the lock if it is still ours (it could have been broken as stale and re-taken).
        if let text = try? String(contentsOfFile: lock.path, encoding: .utf8), text == lock.token { unlink(lock.path) }
    }

    // MARK: Maintenance

    /// Every committed entry (valid manifest), newest first.
    public func entries() -> [CacheEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/entries")) ?? []
        return names.compactMap { ContentHash(hex: $0).flatMap(lookup) }
            .sorted { ($0.manifest.member("started")?.doubleValue ?? 0) > ($1.manifest.member("started")?.doubleValue ?? 0) }
    }

    /// Full check: every entry directory has a complete manifest and outputs whose content hashes match it.
    /// Returns (entry name, problem) for each bad one.
    public func verify() -> [(String, String)] {
        var problems = [(String, String)]()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/entries")) ?? []
        for name in names.sorted() {
            let dir = root + "/entries/" + name
            guard let key = ContentHash(hex: name), let e = lookup(key) else { problems.append((name, "manifest missing, incomplete, or outputs missing")); continue }
            for out in e.manifest.member("outputs")?.arrayValue ?? [] {
                guard case .string(let file)? = out.member("file"), case .string(let hash)? = out.member("hash") else { continue }
                let actual = (try? ContentHash.ofFile(dir + "/outputs/" + file))?.description
                if actual != hash { problems.append((name, "output \(file) does not match its recorded hash")) }
            }
        }
        return problems
    }

    /// Removes entries older than `olderThan` seconds and/or beyond the `keepLast` newest, and abandoned temporary
    /// build directories (older than an hour). Returns the removed entry keys.
    @discardableResult
    public func gc(olderThan: Double? = nil, keepLast: Int? = nil) -> [String] {
        var removed = [String]()
        let now = Date().timeIntervalSince1970
        for (i, e) in entries().enumerated() {
            let started = e.manifest.member("started")?.doubleValue ?? 0
            if (olderThan.map { now - started > $0 } ?? false) || (keepLast.map { i >= $0 } ?? false) {
                if (try? FileManager.default.removeItem(atPath: e.directory)) != nil { removed.append(e.key.description) }
            }
        }
        for t in (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? [] {
            let p = root + "/tmp/" + t
            var st = stat()
            if stat(p, &st) == 0, now - Double(st.st_mtim.tv_sec) > 3600 { try? FileManager.default.removeItem(atPath: p) }
        }
        return removed
    }
}
