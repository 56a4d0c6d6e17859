import ArgumentParser
import Foundation
import NeuroCore
import NeuroPipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a pipeline over a BIDS dataset (or a folder of recordings), with cached stages.",
        discussion: "Participant-level stages run once per recording (up to --jobs at a time), group-level stages once with every recording's outputs. Unchanged stages come from the content-addressed cache. Outputs form a BIDS-derivatives dataset in --out; logs/run-<time>.json records every stage execution. Exit status is non-zero if anything failed.")

    @Argument(help: "Pipeline specification (YAML).") var spec: String
    @Option(help: "BIDS dataset root.") var bids: String?
    @Option(help: "A folder of recordings (not BIDS).") var input: String?
    @Option(help: "Output (derivatives) folder.") var out: String = "derivatives/neuropipe"
    @Option(help: "Cache folder (default: <out>/.neuropipe-cache); may be shared between runs and users.") var cache: String?
    @Option(help: "Recordings processed at once.") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("participant-label"), parsing: .upToNextOption, help: "Only these participants (labels without or with sub-).") var participants: [String] = []
    @Flag(name: .customLong("dry-run"), help: "Print the plan: what would run and what comes from the cache (with --executor slurm: the sbatch scripts).") var dryRun = false
    @Flag(name: .customLong("fail-fast"), help: "Stop at the first failure.") var failFast = false
    @Option(help: "Levels to run: all, participant (a slice of the work) or group (over participant outputs already in the cache).") var level: String = "all"
    @Option(help: "Run the i-th of N slices of the participant level (e.g. 2/8; participants in sorted order, round robin); implies --level participant.") var shard: String?
    @Option(name: .customLong("participant-index"), help: "Run participant number K (0-based, sorted order) at participant level, as a Slurm array task does.") var participantIndex: Int?
    @Option(help: "local, or slurm: the participant level as one job array, the group level as a dependent job; waits and reports.") var executor: String = "local"
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Slurm time limit per task (HH:MM:SS).") var time: String?
    @Option(name: .customLong("mem-per-task"), help: "Slurm memory per task (e.g. 4G).") var memPerTask: String?
    @Option(name: .customLong("cpus-per-task"), help: "Slurm CPUs per task (also the task's --jobs).") var cpusPerTask: Int = 1
    @Option(name: .customLong("max-parallel"), help: "At most N array tasks at once (--array=…%N).") var maxParallel: Int?
    @Option(name: .customLong("sbatch-arg"), help: "Extra sbatch option, repeatable (e.g. --sbatch-arg=--account=lab).") var sbatchArgs: [String] = []
    @Flag(name: .customLong("retry-failed"), help: "With --executor slurm: resubmit only the array tasks that failed last time, then the group level.") var retryFailed = false
    @OptionGroup var json: JSONOption

    func run() throws {
        guard (bids == nil) || (input == nil) else { throw ValidationError("give at most one of --bids DIR or --input DIR") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        try runReportingErrors(json: json.json) {
            let s = try PipelineSpec.load(path: spec)
            // Command-line inputs override the spec's inputs.
            let bidsRoot = bids ?? (input == nil ? s.bids : nil)
            let folder = input ?? (bids == nil ? s.folder : nil)
            let labels = participants.isEmpty ? nil : Set(participants.map { $0.hasPrefix("sub-") ? $0 : "sub-" + $0 })
            var units: [RecordingUnit]
            if let bidsRoot {
                units = try DatasetDiscovery.bids(root: bidsRoot, datatype: s.datatype, suffix: s.suffix, extensions: s.extensions, participants: participants.isEmpty ? nil : participants)
            } else if let folder {
                units = try DatasetDiscovery.folder(folder, extensions: s.extensions)
            } else {
                guard !s.files.isEmpty else { throw ValidationError("give --bids DIR or --input DIR, or name inputs.bids, inputs.folder or inputs.files in the spec") }
                units = try DatasetDiscovery.list(s.files, extensions: s.extensions)
            }
            if let labels, bidsRoot == nil { units = units.filter { labels.contains($0.participant) } }
            guard !units.isEmpty else {
                throw InputError(file: bidsRoot ?? folder ?? spec, field: "recordings", message: "no \(s.datatype) recordings (*_\(s.suffix)\(s.extensions.joined(separator: "|"))) found" + (labels == nil ? "" : " for the given --participant-label"))
            }
            if executor == "slurm" {
                try runOnSlurm(spec: s, units: units, bidsRoot: bidsRoot, folder: folder)
                return
            }
            guard executor == "local" else { throw ValidationError("--executor must be local or slurm") }
            guard var runLevel = RunLevel(rawValue: level) else { throw ValidationError("--level must be all, participant or group") }
            if let shard {
                let parts = shard.split(separator: "/").map { Int($0) }
                guard parts.count == 2, let i = parts[0], let n = parts[1] else { throw ValidationError("--shard must be i/N, e.g. 2/8") }
                units = try ParticipantShards.shard(units, index: i, of: n)
                runLevel = .participant
                guard !units.isEmpty else {
                    printResult(json: json.json, .object([("recordings", .int(0)), ("shard", .string(shard))]), "shard \(shard): no participants in this slice")
                    return
                }
            }
            if let participantIndex {
                units = try ParticipantShards.participant(units, index: participantIndex)
                runLevel = .participant
            }
            let runner = try PipelineRunner(spec: s, units: units, output: out, cacheDirectory: cache)
            runner.level = runLevel
            runner.jobs = jobs
            runner.failFast = failFast
            runner.dryRun = dryRun
            runner.sourceDataset = bidsRoot ?? folder
            runner.participants = try bidsRoot.flatMap { try DatasetDiscovery.participantsTable(root: $0) }
            runner.progress = isatty(2) != 0 && !json.json
            if json.json { runner.log = { _ in } }
            let interruption = InterruptionSignals.shared
            runner.interrupted = { interruption.received != nil }
            interruption.graceful = true
            let records = try runner.run()
            interruption.graceful = false
            let failed = records.filter { $0.status == .failed || $0.status == .skipped }
            let counts = Dictionary(records.map { ($0.status.rawValue, 1) }, uniquingKeysWith: +)
            printResult(json: json.json, .object([("recordings", .int(units.count)), ("counts", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                                                  ("failed", .array(failed.map { .string("\($0.stage) \($0.participant ?? "group"): \($0.error ?? "")") }))]),
                        "\(units.count) recording(s): " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                            + (failed.isEmpty ? "" : "\nfailed:\n" + failed.map { "  \($0.stage) \($0.participant ?? "group"): \($0.error ?? "")" }.joined(separator: "\n")))
            if let signo = interruption.received {
                let skipped = records.filter { $0.error == "interrupted" }.count
                FileHandle.standardError.write(Data(("neuropipe: interrupted by \(signo == SIGINT ? "SIGINT" : "SIGTERM"): the stages in flight finished, \(skipped) stage(s) did not start; "
                    + "outputs and cache entries written are complete. Run the same command again to continue (finished stages come from the cache).\n").utf8))
                Foundation.exit(128 + signo)
            }
            if !failed.isEmpty { Foundation.exit(1) }
        }
    }
}

/// SIGINT and SIGTERM, for every verb (installed by `NeuroPipe.main`). By default a signal stops NeuroPipe at once,
/// after deleting the temporaries in flight (a writer's hidden sibling, a cache entry being built): outputs appear
/// only by atomic rename, so nothing half-written stays. During a local pipeline run (`graceful`), the first signal
/// asks the runner to stop after the stages in flight (they finish, so their entries and outputs are complete); a
/// second one stops at once as above.
final class InterruptionSignals: @unchecked Sendable {
    static let shared = InterruptionSignals()
    private let lock = Lock()
    private var signo: Int32?
    private var isGraceful = false
    private var firstMessage = "finishing the stages in flight, then stopping"
    private var sources: [DispatchSourceSignal] = []

    func install() {
        for s in [SIGINT, SIGTERM] {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { [self] in handle(s) }
            source.resume()
            sources.append(source)
        }
    }

    private func handle(_ s: Int32) {
        let name = s == SIGINT ? "SIGINT" : "SIGTERM"
        let graceful: Bool = lock.withLock {
            defer { if signo == nil { signo = s } }
            return isGraceful && signo == nil
        }
        if graceful {
            FileHandle.standardError.write(Data("\nneuropipe: \(name) received: \(lock.withLock { firstMessage }) (send it again to stop at once)\n".utf8))
            return
        }
        let removed = InFlightTemporaries.deleteAll()
        FileHandle.standardError.write(Data("\nneuropipe: \(name) received: stopped at once; \(removed) unfinished temporary file(s) or cache build(s) removed, no partial output left\n".utf8))
        _exit(128 + s)
    }

    /// What the first signal does in graceful mode (printed after "SIGINT received: ").
    var firstSignalMessage: String {
        get { lock.withLock { firstMessage } }
        set { lock.withLock { firstMessage = newValue } }
    }

    /// While true, the first signal only sets `received` (a pipeline run polls it between stages).
    var graceful: Bool {
        get { lock.withLock { isGraceful } }
        set { lock.withLock { isGraceful = newValue } }
    }

    /// The first signal received, if any.
    var received: Int32? { lock.withLock { signo } }
}

extension RunCommand {
    /// Submits the participant level as a job array and the group level as a dependent job, waits, and reports
    /// failed tasks with their participant and log (exit status 1); `--dry-run` prints the scripts instead.
    func runOnSlurm(spec s: PipelineSpec, units: [RecordingUnit], bidsRoot: String?, folder: String?) throws {
        guard shard == nil, participantIndex == nil, level == "all" else {
            throw ValidationError("--executor slurm runs both levels itself; drop --shard, --participant-index and --level")
        }
        func absolute(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }
        let outPath = absolute(out)
        var arguments = [absolute(spec)]
        if let bidsRoot { arguments += ["--bids", absolute(bidsRoot)] } else if let folder { arguments += ["--input", absolute(folder)] }
        arguments += ["--out", outPath, "--cache", absolute(cache ?? out + "/.neuropipe-cache")]
        if !participants.isEmpty { arguments += ["--participant-label"] + participants }
        var options = SlurmExecutor.Options()
        (options.partition, options.time, options.memPerTask, options.cpusPerTask, options.maxParallel, options.sbatchArgs) =
            (partition, time, memPerTask, max(1, cpusPerTask), maxParallel, sbatchArgs)
        let executable = absolute(CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : (ProcessInfo.processInfo.environment["PATH"] ?? "")
            .split(separator: ":").map { "\($0)/\(CommandLine.arguments[0])" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? CommandLine.arguments[0])
        let slurm = SlurmExecutor(executable: executable, runArguments: arguments, participants: ParticipantShards.participants(units), output: outPath, options: options)
        try slurm.validate()
        if json.json { slurm.log = { _ in } }
        let indices = retryFailed ? try slurm.previouslyFailed() : nil
        if let indices, indices.isEmpty {
            printResult(json: json.json, .object([("retried", .int(0))]), "no failed participant tasks to retry")
            return
        }
        if dryRun {
            print("# \(outPath)/slurm/participants.sbatch\n" + slurm.arrayScript(indices: indices) + "\n# \(outPath)/slurm/group.sbatch (sbatch --dependency=afterok:<array job>)\n" + slurm.groupScript())
            return
        }
        try FileManager.default.createDirectory(atPath: outPath, withIntermediateDirectories: true)
        // Ctrl-C (or SIGTERM) cancels the submitted jobs (scancel) before exiting.
        let interruption = InterruptionSignals.shared
        interruption.graceful = true
        interruption.firstSignalMessage = "cancelling the submitted jobs (scancel)"
        let failures = try slurm.run(indices: indices, cancelled: { interruption.received != nil })
        interruption.graceful = false
        if failures.isEmpty {
            printResult(json: json.json, .object([("participants", .int(slurm.participants.count)), ("failed", .array([]))]),
                        "slurm: \(indices?.count ?? slurm.participants.count) participant task(s) and the group level succeeded; outputs in \(outPath)")
            return
        }
        printResult(json: json.json, .object([("failed", .array(failures.map { .object([("task", .int($0.index)), ("participant", .string($0.participant)),
                                                                                    ("status", $0.status.map { .int($0) } ?? .null), ("log", .string($0.log))]) }))]),
                    "slurm: \(failures.count) participant task(s) failed (group level not run):\n" + failures.map { "  task \($0.index) \($0.participant): " + ($0.status.map { "exit \($0)" } ?? "no status (killed?)") + ", log \($0.log)" }.joined(separator: "\n")
                        + "\nfix the cause, then rerun with --retry-failed")
        Foundation.exit(1)
    }
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Check a pipeline specification (schema, stage types, parameters, connections).")
    @Argument(help: "Pipeline specification (YAML).") var spec: String
    @OptionGroup var json: JSONOption
    func run() throws {
        try runReportingErrors(json: json.json) {
            let s = try PipelineSpec.load(path: spec)
            printResult(json: json.json, .object([("valid", .bool(true)), ("stages", .array(s.stages.map { .string($0.id) }))]),
                        "\(spec): valid (\(s.stages.count) stages: \(s.stages.map(\.id).joined(separator: " → ")))")
        }
    }
}

struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stages", abstract: "List stage types, or document one (stages show TYPE).")
    @Argument(help: "show TYPE") var words: [String] = []
    @OptionGroup var json: JSONOption
    func run() throws {
        let reg = StageRegistry.standard
        if words.count == 2 && words[0] == "show" {
            guard let t = reg.types[words[1]] else { throw ValidationError("unknown stage type \(words[1]); known: \(reg.types.keys.sorted().joined(separator: ", "))") }
            let obj = JSONValue.object([("name", .string(t.name)), ("version", .string(t.version)), ("level", .string(t.level.rawValue)), ("summary", .string(t.summary)),
                                        ("inputs", .array(t.inputs.map { .object([("name", .string($0.name)), ("help", .string($0.help))]) })),
                                        ("outputs", .array(t.outputs.map { .object([("name", .string($0.name)), ("file", .string($0.file)), ("help", .string($0.help))]) })),
                                        ("parameters", .array(t.parameters.map { .object([("name", .string($0.name)), ("default", $0.defaultValue), ("unit", .string($0.unit)), ("help", .string($0.help))]) }))])
            var text = "\(t.name) (version \(t.version), \(t.level.rawValue) level): \(t.summary)\ninputs:\n"
            text += t.inputs.map { "  \($0.name): \($0.help)" }.joined(separator: "\n") + "\noutputs:\n"
            text += t.outputs.map { "  \($0.name) (\($0.file)): \($0.help)" }.joined(separator: "\n") + "\nparameters:\n"
            text += t.parameters.map { "  \($0.name) = \($0.defaultValue.serialized())\($0.unit.isEmpty ? "" : " [\($0.unit)]"): \($0.help)" }.joined(separator: "\n")
            printResult(json: json.json, obj, text)
        } else if words.isEmpty {
            let list = reg.types.values.sorted { $0.name < $1.name }
            printResult(json: json.json, .array(list.map { .object([("name", .string($0.name)), ("level", .string($0.level.rawValue)), ("summary", .string($0.summary))]) }),
                        list.map { "\($0.name.padding(toLength: list.map(\.name.count).max()! + 1, withPad: " ", startingAt: 0)) \($0.level.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \($0.summary)" }.joined(separator: "\n"))
        } else {
            throw ValidationError("usage: neuropipe stages [show TYPE]")
        }
    }
}

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "List, verify or garbage-collect a cache (ls | verify | gc).")
    @Argument(help: "ls, verify or gc") var action: String
    @Option(help: "Cache folder.") var cache: String = "derivatives/neuropipe/.neuropipe-cache"
    @Option(name: .customLong("older-than"), help: "gc: remove entries older than this many days.") var olderThan: Double?
    @Option(name: .customLong("keep-last"), help: "gc: keep only the N newest entries.") var keepLast: Int?
    @OptionGroup var json: JSONOption
    func run() throws {
        try runReportingErrors(json: json.json) {
            guard FileManager.default.fileExists(atPath: cache + "/entries") else { throw InputError(file: cache, field: "--cache", message: "not a NeuroPipe cache folder") }
            let store = try CacheStore(root: cache)
            switch action {
            case "ls":
                let e = store.entries()
                printResult(json: json.json, .array(e.map { .object([("key", .string($0.key.description)), ("stage", $0.manifest.member("stage_id") ?? .null),
                                                                     ("participant", $0.manifest.member("participant") ?? .null)]) }),
                            e.map { "\($0.key)  \($0.manifest.member("stage_id")?.serialized() ?? "")  \($0.manifest.member("participant")?.serialized() ?? "group")" }.joined(separator: "\n"))
            case "verify":
                let problems = store.verify()
                printResult(json: json.json, .object([("entries", .int(store.entries().count)), ("problems", .array(problems.map { .string("\($0.0): \($0.1)") }))]),
                            problems.isEmpty ? "\(store.entries().count) entries verified" : problems.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))
                if !problems.isEmpty { Foundation.exit(1) }
            case "gc":
                let removed = store.gc(olderThan: olderThan.map { $0 * 86400 }, keepLast: keepLast)
                printResult(json: json.json, .object([("removed", .array(removed.map { .string($0) }))]), "removed \(removed.count) entries")
            default:
                throw ValidationError("action must be ls, verify or gc")
            }
        }
    }
}
