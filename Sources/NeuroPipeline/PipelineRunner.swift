import Foundation
import NeuroCore
import NeuroDSP
import NeuroIO

/// One recording the participant-level stages run on.
public struct RecordingUnit: Sendable {
    /// BIDS participant label with the prefix, e.g. "sub-01".
    public let participant: String
    /// The file name without extension (e.g. sub-01_task-rest_eeg), naming the unit's outputs.
    public let stem: String
    public let path: String
    /// Output folder relative to the derivatives root (sub-01[/ses-1]/eeg).
    public let relativeFolder: String
}

/// Finds recordings: a BIDS dataset (`sub-<label>/[ses-<label>/]<datatype>/*_<suffix>.<ext>`) or a plain folder.
public enum DatasetDiscovery {
    static func validLabel(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }

    public static func bids(root: String, datatype: String, suffix: String, extensions: [String], participants: [String]?) throws -> [RecordingUnit] {
        let fm = FileManager.default
        guard let subs = try? fm.contentsOfDirectory(atPath: root) else { throw InputError(file: root, field: "bids", message: "not a readable folder") }
        var units = [RecordingUnit]()
        for sub in subs.sorted() where sub.hasPrefix("sub-") {
            let label = sub.dropFirst(4)
            guard validLabel(label) else { continue }  // labels that could escape the output folder are never used
            if let participants, !participants.contains(String(label)), !participants.contains(sub) { continue }
            var folders = [("\(sub)/\(datatype)", "\(sub)/\(datatype)")]
            for ses in ((try? fm.contentsOfDirectory(atPath: root + "/" + sub)) ?? []).sorted() where ses.hasPrefix("ses-") && validLabel(ses.dropFirst(4)) {
                folders.append(("\(sub)/\(ses)/\(datatype)", "\(sub)/\(ses)/\(datatype)"))
            }
            for (folder, rel) in folders {
                for f in ((try? fm.contentsOfDirectory(atPath: root + "/" + folder)) ?? []).sorted() {
                    guard let ext = extensions.first(where: { f.lowercased().hasSuffix($0) }) else { continue }
                    let stem = String(f.dropLast(ext.count))
                    guard stem.hasSuffix("_" + suffix), stem.hasPrefix(sub + "_"), stem.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else { continue }
                    units.append(RecordingUnit(participant: sub, stem: stem, path: root + "/" + folder + "/" + f, relativeFolder: rel))
                }
            }
        }
        return units
    }

    /// Every recording with an accepted extension directly in `folder`; participant from the file's name/path.
    public static func folder(_ folder: String, extensions: [String]) throws -> [RecordingUnit] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder) else { throw InputError(file: folder, field: "input", message: "not a readable folder") }
        return try list(files.sorted().map { folder + "/" + $0 }, extensions: extensions)
    }

    /// Explicit recordings (the spec's `inputs.files`, which may hold `*`/`?` patterns in the file name); each
    /// plain path must exist.
    public static func list(_ patterns: [String], extensions: [String]) throws -> [RecordingUnit] {
        var paths = [String]()
        for p in patterns {
            let name = (p as NSString).lastPathComponent
            if name.contains("*") || name.contains("?") {
                let dir = (p as NSString).deletingLastPathComponent
                let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().filter { ChannelOps.wildcard(name, matches: $0) }
                guard !files.isEmpty else { throw InputError(file: p, field: "inputs.files", message: "the pattern matches no file") }
                paths += files.map { dir + "/" + $0 }
            } else {
                paths.append(p)
            }
        }
        return try paths.compactMap { path in
            guard FileManager.default.fileExists(atPath: path) else { throw InputError(file: path, field: "inputs.files", message: "no such recording") }
            let folder = (path as NSString).deletingLastPathComponent, f = (path as NSString).lastPathComponent
            guard let ext = extensions.first(where: { f.lowercased().hasSuffix($0) }) else { return nil }
            let stem = String(f.dropLast(ext.count))
            guard stem.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else { return nil }
            var who = RecordingLoader.subject(of: folder + "/" + f)
            if !who.hasPrefix("sub-") { who = "sub-" + who.filter { $0.isLetter || $0.isNumber } }
            return RecordingUnit(participant: who, stem: stem, path: folder + "/" + f, relativeFolder: who)
        }
    }

    /// `participants.tsv` of a BIDS dataset: participant_id → column → value (n/a kept as text).
    public static func participantsTable(root: String) throws -> (columns: [String], rows: [String: [String: String]])? {
        let path = root + "/participants.tsv"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        guard let header = lines.first?.split(separator: "\t", omittingEmptySubsequences: false).map(String.init),
              let idCol = header.firstIndex(of: "participant_id") else {
            throw InputError(file: path, field: "header", message: "expected a participant_id column")
        }
        var rows = [String: [String: String]]()
        for (i, l) in lines.dropFirst().enumerated() {
            let cells = l.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == header.count else { throw InputError(file: path, field: "line \(i + 2)", message: "\(cells.count) cells; expected \(header.count)") }
            rows[cells[idCol]] = Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
        return (header, rows)
    }
}

/// One stage execution in a run log.
public struct StageRecord: Sendable {
    public enum Status: String, Sendable { case ran, cached, failed, skipped, planned }
    public var stage: String
    public var participant: String?
    public var status: Status
    public var seconds: Double
    public var cacheKey: String?
    public var error: String?

    var json: JSONValue {
        .object([("stage", .string(stage)), ("participant", participant.map { .string($0) } ?? .null), ("status", .string(status.rawValue)),
                 ("seconds", .number(seconds)), ("cache_key", cacheKey.map { .string($0) } ?? .null), ("error", error.map { .string($0) } ?? .null)])
    }
}

/// The levels of a pipeline a run executes (`neuropipe run --level`).
public enum RunLevel: String, Sendable, CaseIterable { case all, participant, group }

/// Runs a pipeline over recordings: participant-level stages per recording (`jobs` at once), then group stages;
/// every stage through the content-addressed cache; outputs copied into a BIDS-derivatives folder.
public final class PipelineRunner: @unchecked Sendable {
    public let spec: PipelineSpec
    public let registry: StageRegistry
    public let units: [RecordingUnit]
    public let outputRoot: String
    public let cache: CacheStore
    public var jobs = 2
    /// Polled between stages: once true (the CLI sets it on SIGINT/SIGTERM), stages in flight finish, their
    /// entries and outputs complete, and every stage not started is recorded as skipped ("interrupted").
    public var interrupted: @Sendable () -> Bool = { false }
    public var failFast = false
    public var dryRun = false
    /// Which levels run: both, the participant level only (a shard or array task), or the group level only over
    /// participant outputs already in the cache (failing clearly for any recording whose outputs are missing).
    public var level = RunLevel.all
    public var log: (String) -> Void = { print($0) }
    /// The source dataset recorded in dataset_description.json.
    public var sourceDataset: String?
    /// A progress bar on stderr instead of one log line per stage (set when stderr is a terminal).
    public var progress = false
    /// participants.tsv of the dataset: offered to group stages as the input source `participants`.
    public var participants: (columns: [String], rows: [String: [String: String]])?

    public init(spec: PipelineSpec, units: [RecordingUnit], output: String, cacheDirectory: String?, registry: StageRegistry = .standard) throws {
        self.spec = spec
        self.registry = registry
        self.units = units
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            throw InputError(file: output, field: "--out", message: "cannot create the output folder: \(error.localizedDescription)")
        }
        try OutputLocation.requireWritableFolder(output)
        outputRoot = URL(fileURLWithPath: output).resolvingSymlinksInPath().path
        cache = try CacheStore(root: cacheDirectory ?? outputRoot + "/.neuropipe-cache")
        // Entries are this cache's own committed outputs: no structure walk in a child before reading them.
        HDF5StructureCheck.trust(folder: cache.root + "/entries")
    }

    /// Copies a cache output to `relative` inside the output root, refusing anything that would land outside it.
    /// A destination already holding that content (known from the hash memo: a stat, no read) is left alone.
    func publish(_ source: String, to relative: String, hash: ContentHash? = nil) throws {
        guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
            throw InputError(file: relative, field: "output path", message: "would be written outside the output folder")
        }
        let dest = outputRoot + "/" + relative
        let parent = (dest as NSString).deletingLastPathComponent
        func inside(_ p: String) -> Bool {
            let real = URL(fileURLWithPath: p).resolvingSymlinksInPath().path
            return real == outputRoot || real.hasPrefix(outputRoot + "/")
        }
        // Check the deepest existing ancestor before creating anything, so no folder is made through a link.
        var existing = parent
        while !FileManager.default.fileExists(atPath: existing) { existing = (existing as NSString).deletingLastPathComponent }
        guard inside(existing) else {
            throw InputError(file: dest, field: "output path", message: "a symbolic link would place it outside the output folder")
        }
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        guard inside(parent) else {
            throw InputError(file: dest, field: "output path", message: "a symbolic link would place it outside the output folder")
        }
        if let hash, cache.memo.knownHash(of: dest) == hash { return }
        try AtomicFile.write(to: dest) { sink in
            let data = try Data(contentsOf: URL(fileURLWithPath: source))
            try sink.write([UInt8](data))
        }
        if let hash { try cache.memo.remember(dest, hash: hash) }
    }

    /// File parameters (e.g. an atlas): each path is resolved against the spec's folder, then the dataset root, and
    /// its content hash joins the cache key (an edited file must not be served from a stale entry). Returns the
    /// parameters the stage runs with (resolved absolute paths); the key keeps the text as written.
    func resolveFileParameters(_ type: StageType, _ params: [String: JSONValue], stage: PipelineSpec.Stage,
                               hashes: inout [(String, ContentHash)]) throws -> [String: JSONValue] {
        var resolved = params
        for p in type.parameters where p.kind == .file {
            guard let text = params[p.name]?.stringValue else { continue }
            let candidates = text.hasPrefix("/") ? [text]
                : [((spec.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(text)] + (sourceDataset.map { [($0 as NSString).appendingPathComponent(text)] } ?? [])
            guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
                throw InputError(file: spec.path, field: "stage \(stage.id) with.\(p.name)", message: "no readable file \(text) (tried \(candidates.joined(separator: ", ")))")
            }
            hashes.append(("file:" + p.name, try cache.memo.hash(of: path)))
            resolved[p.name] = .string(URL(fileURLWithPath: path).standardizedFileURL.path)
        }
        return resolved
    }

    /// Runs (or finds in the cache) one group-level stage over every recording, or over one participant's
    /// (`scope`). In a dry run nothing is built: the entry is the cache hit, if any, and `built` = would run.
    func runGroupStage(_ stage: PipelineSpec.Stage, type: StageType, scope: String?, outputsByUnit: [Int: [String: (path: String, hash: ContentHash)]],
                       groupProduced: [String: [(path: String, participant: String?)]]) throws -> (CacheEntry?, Bool, ContentHash) {
        var inputs = [String: [String]](), who = [String: [String]](), hashes = [(String, ContentHash)]()
        let scoped = units.indices.filter { scope == nil || units[$0].participant == scope }
        for (name, source) in stage.from {
            if source == "participants" {
                guard let table = participants else {
                    throw InputError(file: spec.path, field: "stage \(stage.id) from.\(name)", message: "the dataset has no participants.tsv")
                }
                let path = cache.root + "/tmp/participants-\(getpid())-\(stage.id)-\(scope ?? "all").tsv"
                let ids = Array(Set(scoped.map { units[$0].participant })).sorted()
                try TableWriter.writeTSV(header: table.columns, rows: ids.compactMap { id in table.rows[id].map { r in table.columns.map { r[$0] ?? "n/a" } } }, to: path)
                inputs[name] = [path]; who[name] = ["group"]; hashes.append((name, try ContentHash.ofFile(path)))
                continue
            }
            if let produced = groupProduced[source] {
                let mine = produced.filter { scope == nil || $0.participant == nil || $0.participant == scope }
                inputs[name] = mine.map(\.path); who[name] = mine.map { $0.participant ?? "group" }
                // Who produced each file is part of the key: stages such as concat-tables label rows with it.
                for (k, f) in mine.enumerated() { hashes.append(("\(name)#\(f.participant ?? "group")#\(k)", try cache.memo.hash(of: f.path))) }
                continue
            }
            var files = [String](), parts = [String]()
            for i in scoped {
                guard let f = outputsByUnit[i]?[source] else { throw InputError(file: spec.path, field: "stage \(stage.id) from.\(name)", message: "\(source) has no output for \(units[i].stem)") }
                files.append(f.path); parts.append(units[i].participant)
                hashes.append(("\(name)#\(units[i].stem)", f.hash))
            }
            inputs[name] = files; who[name] = parts
        }
        let params = registry.resolvedParameters(type, stage.parameters)
        let runParams = try resolveFileParameters(type, params, stage: stage, hashes: &hashes)
        if let scope, type.usesParticipant { hashes.append(("participant", ContentHash.of(scope))) }
        let key = CacheStore.key(stage: type.name, version: type.version, parameters: .object(params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), inputs: hashes)
        if dryRun { let hit = cache.lookup(key); return (hit, hit == nil, key) }
        let (entry, built) = try cache.entry(for: key, record: [("stage", .string(type.name)), ("stage_version", .string(type.version)), ("stage_id", .string(stage.id))]
                                             + (scope.map { [("participant", JSONValue.string($0))] } ?? []) + [
                                                                ("parameters", .object(params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))]) { dir in
            try type.run(StageContext(inputs: inputs, parameters: runParams, outputDirectory: dir, participant: scope, inputParticipants: who))
        }
        return (entry, built, key)
    }

    /// A stage's error for the log: a parameter problem (an InputError naming no file) points at the spec and stage.
    func describe(_ error: Error, stage: String) -> String {
        if let e = error as? InputError, e.file.isEmpty { return "\(InputError(file: spec.path, field: "stage \(stage) \(e.field)", message: e.message))" }
        return "\(error)"
    }

    /// Hash of an input file: from the cache manifest when it is a cache output, else the memo.
    func hash(of path: String, manifests: [String: ContentHash]) throws -> ContentHash {
        if let h = manifests[path] { return h }
        return try cache.memo.hash(of: path)
    }

    func recordedHashes(_ e: CacheEntry) -> [String: ContentHash] {
        var out = [String: ContentHash]()
        for o in e.manifest.member("outputs")?.arrayValue ?? [] {
            if case .string(let f)? = o.member("file"), case .string(let h)? = o.member("hash"), let c = ContentHash(hex: h) { out[e.outputsDirectory + "/" + f] = c }
        }
        return out
    }

    /// Runs (or, with `dryRun`, plans) the pipeline; returns the records, also written to logs/run-<time>.json.
    public func run() throws -> [StageRecord] {
        // A run killed while publishing leaves a hidden temporary beside the output it was replacing.
        for p in AtomicFile.removeAbandonedTemporaries(under: outputRoot, skipping: [".neuropipe-cache"]) { log("removed a killed run's leftover \(p)") }
        let participantStages = spec.stages.filter { (registry.types[$0.uses]!.level == .participant && $0.level != .group) || $0.level == .participant }
        let groupStages = spec.stages.filter { s in !participantStages.contains { $0.id == s.id } }
        let lock = Lock()
        var records = [StageRecord]()
        var outputsByUnit = [Int: [String: (path: String, hash: ContentHash)]]()  // "<stage>.<output>" → file
        var failed = Set<Int>()
        let stopped = UncheckedSendableBox(Lock())
        nonisolated(unsafe) var stop = false
        var seen = Set<String>()
        let participantIDs = units.map(\.participant).filter { seen.insert($0).inserted }  // in unit order
        let total = participantStages.count * units.count + (level == .participant ? 0 : groupStages.reduce(0) { $0 + ($1.perParticipant ? participantIDs.count : 1) })
        let started = Date()
        func add(_ r: StageRecord) {
            let done: Int = lock.withLock { records.append(r); return records.count }
            if progress {
                // One updating line on a terminal: done/total, counts, elapsed and a naive ETA.
                let counts = lock.withLock { Dictionary(records.map { ($0.status.rawValue, 1) }, uniquingKeysWith: +) }
                let elapsed = Date().timeIntervalSince(started)
                let eta = done > 0 ? elapsed / Double(done) * Double(max(0, total - done)) : 0
                let bar = String(repeating: "#", count: 30 * done / max(1, total)).padding(toLength: 30, withPad: ".", startingAt: 0)
                FileHandle.standardError.write("\r[\(bar)] \(done)/\(total)  ran \(counts["ran"] ?? 0)  cached \(counts["cached"] ?? 0)  failed \(counts["failed"] ?? 0)  ETA \(Int(eta)) s   ".data(using: .utf8)!)
                if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
            } else {
                log("\(r.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(r.stage)\(r.participant.map { " [\($0)]" } ?? "")\(r.error.map { ": \($0)" } ?? "")")
            }
        }

        // Participant level, `jobs` recordings at a time. BLAS runs single-threaded here: the parallelism is over
        // recordings, and OpenBLAS threads spinning on small per-epoch matrices cost more than they compute.
        let queue = UncheckedSendableBox(Lock())
        nonisolated(unsafe) var next = 0
        let blasThreads = BLASThreads.current
        BLASThreads.set(1)
        parallelFor(max(1, min(jobs, units.count))) { _ in
            while true {
                let i: Int? = queue.value.withLock { defer { next += 1 }; return next < self.units.count && !stopped.value.withLock({ stop }) ? next : nil }
                guard let i else { return }
                let unit = self.units[i]
                var produced = [String: (path: String, hash: ContentHash)]()
                var manifests = [String: ContentHash]()
                var unitFailed = false
                for stage in participantStages {
                    // Once interrupted, every stage not started (this recording's rest, and all of later ones) says so.
                    if self.interrupted() {
                        add(StageRecord(stage: stage.id, participant: unit.stem, status: .skipped, seconds: 0, error: "interrupted"))
                        unitFailed = true
                        continue
                    }
                    if unitFailed { add(StageRecord(stage: stage.id, participant: unit.stem, status: .skipped, seconds: 0, error: "an earlier stage failed")); continue }
                    let type = self.registry.types[stage.uses]!
                    let t0 = Date()
                    do {
                        var inputs = [String: [String]]()
                        var hashes = [(String, ContentHash)]()
                        var unresolved = false
                        for (name, source) in stage.from {
                            let path = source == "input" ? unit.path : produced[source]?.path
                            guard let path else { unresolved = true; break }
                            inputs[name] = [path]
                            hashes.append((name, try self.hash(of: path, manifests: manifests)))
                            // Outputs record their source file's name, so it is part of the key: byte-identical
                            // recordings under two names must not share an entry that names only one of them.
                            if source == "input" { hashes.append((name + "#name", ContentHash.of((path as NSString).lastPathComponent))) }
                        }
                        if unresolved { add(StageRecord(stage: stage.id, participant: unit.stem, status: .planned, seconds: 0, error: "waits for upstream outputs")); continue }
                        let params = self.registry.resolvedParameters(type, stage.parameters)
                        let runParams = try self.resolveFileParameters(type, params, stage: stage, hashes: &hashes)
                        if type.usesParticipant { hashes.append(("participant", ContentHash.of(unit.participant))) }
                        let key = CacheStore.key(stage: type.name, version: type.version, parameters: .object(params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), inputs: hashes)
                        if self.dryRun || self.level == .group {
                            if let hit = self.cache.lookup(key) {
                                manifests.merge(self.recordedHashes(hit)) { a, _ in a }
                                for o in type.outputs { produced["\(stage.id).\(o.name)"] = (hit.outputsDirectory + "/" + o.file, manifests[hit.outputsDirectory + "/" + o.file] ?? key) }
                                add(StageRecord(stage: stage.id, participant: unit.stem, status: .cached, seconds: 0, cacheKey: key.description))
                            } else if self.level == .group {
                                // The group level alone builds nothing at participant level: every shard must have run.
                                add(StageRecord(stage: stage.id, participant: unit.stem, status: .failed, seconds: 0, cacheKey: key.description,
                                                error: "no cached output: the participant level has not run for \(unit.stem) with this spec and cache (run its shard or array task first)"))
                                unitFailed = true
                            } else {
                                add(StageRecord(stage: stage.id, participant: unit.stem, status: .planned, seconds: 0, cacheKey: key.description))
                            }
                            continue
                        }
                        let (entry, built) = try self.cache.entry(for: key, record: [
                            ("stage", .string(type.name)), ("stage_version", .string(type.version)), ("stage_id", .string(stage.id)),
                            ("participant", .string(unit.participant)), ("parameters", .object(params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })),
                            ("inputs", .array(hashes.map { .array([.string($0.0), .string($0.1.description)]) })),
                        ]) { dir in
                            try type.run(StageContext(inputs: inputs, parameters: runParams, outputDirectory: dir, participant: unit.participant, inputParticipants: [:]))
                        }
                        manifests.merge(self.recordedHashes(entry)) { a, _ in a }
                        for o in type.outputs {
                            let p = entry.outputsDirectory + "/" + o.file
                            produced["\(stage.id).\(o.name)"] = (p, manifests[p]!)
                            let ext = (o.file as NSString).pathExtension
                            try self.publish(p, to: "\(unit.relativeFolder)/\(unit.stem)_desc-\(stage.id)_\(o.name).\(ext)", hash: manifests[p])
                        }
                        add(StageRecord(stage: stage.id, participant: unit.stem, status: built ? .ran : .cached, seconds: Date().timeIntervalSince(t0), cacheKey: key.description))
                    } catch {
                        unitFailed = true
                        add(StageRecord(stage: stage.id, participant: unit.stem, status: .failed, seconds: Date().timeIntervalSince(t0), error: self.describe(error, stage: stage.id)))
                        if self.failFast { stopped.value.withLock { stop = true } }
                    }
                }
                lock.withLock {
                    outputsByUnit[i] = produced
                    if unitFailed { failed.insert(i) }
                }
            }
        }

        BLASThreads.set(blasThreads)

        // Group level: all recordings' outputs, in unit order; `per: participant` stages once per participant.
        var groupProduced = [String: [(path: String, participant: String?)]]()
        var waiting = Set(lock.withLock { records.filter { $0.status == .planned }.map(\.stage) })  // would run (dry run)
        for stage in groupStages where level != .participant {
            let type = registry.types[stage.uses]!
            if !failed.isEmpty || stop || interrupted() {
                add(StageRecord(stage: stage.id, participant: nil, status: .skipped, seconds: 0,
                                error: interrupted() ? "interrupted" : failed.isEmpty ? "stopped" : "\(failed.count) recording(s) failed"))
                continue
            }
            // In a dry run, a stage fed by one that would run cannot be keyed yet.
            if stage.from.contains(where: { waiting.contains(String($0.1.prefix { $0 != "." })) }) {
                waiting.insert(stage.id)
                add(StageRecord(stage: stage.id, participant: nil, status: .planned, seconds: 0, error: "waits for upstream outputs"))
                continue
            }
            let scopes: [String?] = stage.perParticipant ? participantIDs : [nil]
            for scope in scopes {
                if interrupted() {
                    add(StageRecord(stage: stage.id, participant: scope, status: .skipped, seconds: 0, error: "interrupted"))
                    continue
                }
                let t0 = Date()
                do {
                    let (entry, built, key) = try runGroupStage(stage, type: type, scope: scope, outputsByUnit: outputsByUnit, groupProduced: groupProduced)
                    guard let entry, !dryRun || !built else {
                        waiting.insert(stage.id)
                        add(StageRecord(stage: stage.id, participant: scope, status: .planned, seconds: 0, cacheKey: key.description))
                        continue
                    }
                    let groupHashes = recordedHashes(entry)
                    for o in type.outputs {
                        let p = entry.outputsDirectory + "/" + o.file, ext = (o.file as NSString).pathExtension
                        groupProduced["\(stage.id).\(o.name)", default: []].append((p, scope))
                        if dryRun { continue }
                        try publish(p, to: scope.map { "\($0)/\($0)_desc-\(stage.id)_\(o.name).\(ext)" } ?? "group/\(stage.id)_\(o.name).\(ext)", hash: groupHashes[p])
                    }
                    add(StageRecord(stage: stage.id, participant: scope, status: built ? .ran : .cached, seconds: Date().timeIntervalSince(t0), cacheKey: key.description))
                } catch {
                    add(StageRecord(stage: stage.id, participant: scope, status: .failed, seconds: Date().timeIntervalSince(t0), error: describe(error, stage: stage.id)))
                }
            }
        }
        try? cache.memo.save()
        if !dryRun {
            try publishDescription()
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            // Every stage with its parameters, defaults filled in: what a report lists as "every parameter used".
            let stages: [JSONValue] = spec.stages.map { stage in
                let type = registry.types[stage.uses]!
                let params = registry.resolvedParameters(type, stage.parameters).sorted { $0.key < $1.key }
                return .object([("id", .string(stage.id)), ("uses", .string(stage.uses)), ("version", .string(type.version)),
                                ("parameters", .object(params.map { ($0.key, $0.value) })),
                                ("units", .object(type.parameters.filter { !$0.unit.isEmpty }.map { ($0.name, .string($0.unit)) }))])
            }
            let logJSON = JSONValue.object([("pipeline", .string(spec.name)), ("spec", .string(spec.path)), ("neuropipe_version", .string(NeuroPipeVersion.current)),
                                            ("stages", .array(stages)), ("records", .array(records.map(\.json)))])
            try FileManager.default.createDirectory(atPath: outputRoot + "/logs", withIntermediateDirectories: true)
            try TableWriter.writeJSON(logJSON, to: outputRoot + "/logs/run-\(stamp)-\(getpid()).json")
        }
        return records
    }

    func publishDescription() throws {
        var d: [(String, JSONValue)] = [("Name", .string("NeuroPipe: \(spec.name)")), ("BIDSVersion", .string("1.9.0")), ("DatasetType", .string("derivative")),
                                        ("GeneratedBy", .array([.object([("Name", .string("NeuroPipe")), ("Version", .string(NeuroPipeVersion.current))])]))]
        if let src = sourceDataset { d.append(("SourceDatasets", .array([.object([("URL", .string("file://" + URL(fileURLWithPath: src).standardizedFileURL.path))])]))) }
        try TableWriter.writeJSON(.object(d), to: outputRoot + "/dataset_description.json")
    }
}
