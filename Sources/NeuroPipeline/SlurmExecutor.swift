import Foundation
import NeuroCore
import NeuroIO

/// Runs a pipeline on Slurm as it is: the participant level as one job array (task k = participant k in sorted
/// order, `neuropipe run … --participant-index k`), the group level as a job depending on it (afterok). Only
/// sbatch, squeue and scancel are used (no sacct): each task writes its exit status to `<out>/slurm/status/` on the
/// shared filesystem, which is also the data plane (the cache and the outputs).
public final class SlurmExecutor {
    public struct Options: Sendable {
        public var partition: String?
        public var time: String?
        public var memPerTask: String?
        public var cpusPerTask = 1
        public var maxParallel: Int?
        public var sbatchArgs: [String] = []
        /// Seconds between squeue polls.
        public var pollSeconds = 2.0
        public init() {}
    }

    /// A failed array task: its participant, exit status (nil when the task left none: killed, or never ran) and log.
    public struct TaskFailure: Sendable, Equatable {
        public var index: Int
        public var participant: String
        public var status: Int?
        public var log: String
    }

    public let executable: String
    /// The `neuropipe run` arguments every task repeats (spec, input, out, cache, filters), absolute paths.
    public let runArguments: [String]
    public let participants: [String]
    public let output: String
    public let options: Options
    public var log: (String) -> Void = { print($0) }

    public init(executable: String, runArguments: [String], participants: [String], output: String, options: Options) {
        self.executable = executable
        self.runArguments = runArguments
        self.participants = participants
        self.output = URL(fileURLWithPath: output).standardizedFileURL.path
        self.options = options
    }

    /// Throws if a path, argument or option holds a control character: the scripts quote every argument for the
    /// shell, but a newline in a `#SBATCH` line (the log path is inside the output folder) would start a new command.
    public func validate() throws {
        let named: [(String, String)] = [("executable", executable), ("--out", output)] + runArguments.map { ("argument", $0) }
            + [options.partition, options.time, options.memPerTask].compactMap { $0 }.map { ("option", $0) } + options.sbatchArgs.map { ("--sbatch-arg", $0) }
        for (field, value) in named where value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw InputError(file: value.debugDescription, field: field, message: "contains a control character (newline, tab, …), which a Slurm batch script cannot hold safely")
        }
    }

    var slurmDirectory: String { output + "/slurm" }
    var statusDirectory: String { slurmDirectory + "/status" }
    public func taskLog(_ index: Int) -> String { slurmDirectory + "/logs/participant-\(index).log" }
    public var groupLog: String { slurmDirectory + "/logs/group.log" }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    func header(name: String, logPath: String) -> [String] {
        var lines = ["#!/bin/bash", "#SBATCH --job-name=\(name)", "#SBATCH --output=\(logPath)", "#SBATCH --cpus-per-task=\(options.cpusPerTask)"]
        if let p = options.partition { lines.append("#SBATCH --partition=\(p)") }
        if let t = options.time { lines.append("#SBATCH --time=\(t)") }
        if let m = options.memPerTask { lines.append("#SBATCH --mem=\(m)") }
        for a in options.sbatchArgs { lines.append("#SBATCH \(a)") }
        return lines
    }

    /// The array script for task `indices` (nil = every participant).
    public func arrayScript(indices: [Int]? = nil) -> String {
        let list = indices.map { $0.map(String.init).joined(separator: ",") } ?? "0-\(participants.count - 1)"
        var lines = header(name: "neuropipe-participants", logPath: slurmDirectory + "/logs/participant-%a.log")
        lines.append("#SBATCH --array=\(list)\(options.maxParallel.map { "%\($0)" } ?? "")")
        lines.append("# One task per participant (sorted order); each writes its exit status for `neuropipe run` to collect.")
        lines.append(([executable, "run"] + runArguments).map(Self.quote).joined(separator: " ")
                     + " --level participant --participant-index \"$SLURM_ARRAY_TASK_ID\" --jobs \(options.cpusPerTask)")
        lines.append("status=$?")
        lines.append("mkdir -p \(Self.quote(statusDirectory)) && echo \"$status\" > \(Self.quote(statusDirectory))/task-$SLURM_ARRAY_TASK_ID.tmp && mv \(Self.quote(statusDirectory))/task-$SLURM_ARRAY_TASK_ID.tmp \(Self.quote(statusDirectory))/task-$SLURM_ARRAY_TASK_ID")
        lines.append("exit $status")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The group-level script (submitted with --dependency=afterok:<array job>).
    public func groupScript() -> String {
        var lines = header(name: "neuropipe-group", logPath: groupLog)
        lines.append(([executable, "run"] + runArguments).map(Self.quote).joined(separator: " ") + " --level group --jobs \(options.cpusPerTask)")
        lines.append("status=$?")
        lines.append("mkdir -p \(Self.quote(statusDirectory)) && echo \"$status\" > \(Self.quote(statusDirectory))/group.tmp && mv \(Self.quote(statusDirectory))/group.tmp \(Self.quote(statusDirectory))/group")
        lines.append("exit $status")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Runs a command, returning (status, stdout, stderr).
    @discardableResult
    static func shell(_ arguments: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch {
            throw InputError(file: arguments[0], field: "executor", message: "cannot run \(arguments[0]) (\(error.localizedDescription)); is Slurm installed here?")
        }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func sbatch(_ script: String, name: String, dependency: String? = nil) throws -> String {
        let path = slurmDirectory + "/\(name).sbatch"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let (status, out, err) = try Self.shell(["sbatch", "--parsable"] + (dependency.map { ["--dependency=afterok:\($0)"] } ?? []) + [path])
        guard status == 0, let id = out.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }), !id.isEmpty else {
            throw InputError(file: path, field: "sbatch", message: "submission failed (status \(status)): \(err.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return id
    }

    /// Submits the array (task `indices`, nil = all) and the dependent group job, waits for both, and returns the
    /// failed tasks (empty on success). Throws when the group job fails. `cancelled` is polled; when it turns true
    /// both jobs are cancelled with scancel.
    public func run(indices: [Int]? = nil, cancelled: @escaping () -> Bool = { false }) throws -> [TaskFailure] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: slurmDirectory + "/logs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: statusDirectory, withIntermediateDirectories: true)
        let tasks = indices ?? Array(participants.indices)
        for k in tasks { try? fm.removeItem(atPath: statusDirectory + "/task-\(k)") }
        try? fm.removeItem(atPath: statusDirectory + "/group")
        try TableWriter.writeJSON(.object([("participants", .array(participants.map { .string($0) })), ("submitted", .array(tasks.map { .int($0) }))]),
                                  to: slurmDirectory + "/submission.json")
        let array = try sbatch(arrayScript(indices: indices), name: "participants")
        let group = try sbatch(groupScript(), name: "group", dependency: array)
        log("submitted job array \(array) (\(tasks.count) participant task(s)) and group job \(group) (after the array succeeds)")
        var lastLine = ""
        while true {
            if cancelled() {
                try Self.shell(["scancel", array, group])
                throw InputError(file: slurmDirectory, field: "executor", message: "cancelled: scancel \(array) \(group)")
            }
            let (status, out, _) = try Self.shell(["squeue", "-h", "-j", "\(array),\(group)", "-o", "%i|%T|%r"])
            let rows = status == 0 ? out.split(separator: "\n").map { $0.split(separator: "|").map(String.init) } : []
            let arrayRows = rows.filter { $0.first?.hasPrefix(array + "_") == true || $0.first == array }
            let groupRow = rows.first { $0.first == group }
            let done = tasks.filter { fm.fileExists(atPath: statusDirectory + "/task-\($0)") }.count
            let running = arrayRows.filter { $0.count > 1 && $0[1] == "RUNNING" }.count
            let line = "participants: \(done)/\(tasks.count) done, \(running) running; group: \(groupRow.map { $0.count > 1 ? $0[1].lowercased() : "?" } ?? (fm.fileExists(atPath: statusDirectory + "/group") ? "done" : "not queued"))"
            if line != lastLine { log(line); lastLine = line }
            if arrayRows.isEmpty {
                let failures = collectFailures(tasks)
                if !failures.isEmpty {
                    // The group job can never start (afterok); remove it rather than leave it pending forever.
                    try Self.shell(["scancel", group])
                    return failures
                }
                if groupRow == nil {
                    guard let text = try? String(contentsOfFile: statusDirectory + "/group", encoding: .utf8), let code = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                        throw InputError(file: groupLog, field: "group job", message: "job \(group) ended without a status (killed or time limit?); see its log")
                    }
                    guard code == 0 else { throw InputError(file: groupLog, field: "group job", message: "job \(group) failed with status \(code); see its log") }
                    return []
                }
            }
            Thread.sleep(forTimeInterval: options.pollSeconds)
        }
    }

    /// Tasks whose status file is missing or non-zero.
    public func collectFailures(_ tasks: [Int]) -> [TaskFailure] {
        tasks.compactMap { k in
            let text = try? String(contentsOfFile: statusDirectory + "/task-\(k)", encoding: .utf8)
            let code = text.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return code == 0 ? nil : TaskFailure(index: k, participant: participants[k], status: code, log: taskLog(k))
        }
    }

    /// The tasks of the last submission that failed, for `--retry-failed`.
    public func previouslyFailed() throws -> [Int] {
        let path = slurmDirectory + "/submission.json"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw InputError(file: path, field: "--retry-failed", message: "no earlier Slurm submission in \(output)")
        }
        let record = try JSONValue.parse(text)
        let recorded = (record.member("participants")?.arrayValue ?? []).compactMap(\.stringValue)
        guard recorded == participants else {
            throw InputError(file: path, field: "participants", message: "the dataset's participants changed since that submission; run without --retry-failed")
        }
        return collectFailures(Array(participants.indices))
            .map(\.index)
    }
}
