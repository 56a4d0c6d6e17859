import Foundation
import NeuroCore
import Testing

/// Scale-out: `--shard i/N` slices run as separate processes plus `--level group`, and `--executor slurm` on a
/// throw-away single-node Slurm cluster (scripts/slurm-local-cluster), both against a local run of the same spec.
struct ScaleOutTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let spec = repo + "/pipelines/mci-fmri.yaml"

    static func temp() throws -> String {
        let d = NSTemporaryDirectory() + "neuropipe-scale-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// A 10-participant synthetic fMRI cohort and the local run's output folder.
    static func cohortAndLocalRun(_ dir: String) throws -> (dataset: String, local: String) {
        let dataset = dir + "/cohort", local = dir + "/local"
        #expect(try CLITests.run(["simulate", "fmri-cohort", "--out", dataset, "--subjects", "10", "--volumes", "40", "--seed", "2"]).status == 0)
        let r = try CLITests.run(["run", spec, "--bids", dataset, "--out", local, "--jobs", "2"])
        #expect(r.status == 0, "\(r.stderr.suffix(400))")
        return (dataset, local)
    }

    /// Group outputs and participant file trees are identical to the local run's.
    static func expectSameOutputs(_ a: String, _ b: String) throws {
        let fm = FileManager.default
        let group = try fm.contentsOfDirectory(atPath: a + "/group").sorted()
        let other = try fm.contentsOfDirectory(atPath: b + "/group").sorted()
        #expect(group.count == 6 && other == group)
        for f in group {
            let same = try Data(contentsOf: URL(fileURLWithPath: a + "/group/" + f)) == Data(contentsOf: URL(fileURLWithPath: b + "/group/" + f))
            #expect(same, "group/\(f) differs from the local run")
        }
        func tree(_ root: String) -> [String] { (fm.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasPrefix("sub-") }.sorted() }
        #expect(tree(a) == tree(b) && !tree(a).isEmpty)
    }

    @Test func shardsAsSeparateProcessesThenTheGroupLevel() throws {
        let dir = try Self.temp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, local) = try Self.cohortAndLocalRun(dir)
        let out = dir + "/sharded"
        // The group level before any shard ran fails clearly, naming a recording.
        let early = try CLITests.run(["run", Self.spec, "--bids", dataset, "--out", out, "--level", "group"])
        #expect(early.status != 0 && early.stdout.contains("no cached output") && early.stdout.contains("sub-001"))
        // Three shards at once, as three independent processes sharing the output folder and cache.
        let processes = (1...3).map { i -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLITests.binary)
            p.arguments = ["run", Self.spec, "--bids", dataset, "--out", out, "--shard", "\(i)/3", "--jobs", "1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        for p in processes { try p.run() }
        for p in processes { p.waitUntilExit(); #expect(p.terminationStatus == 0) }
        #expect(!FileManager.default.fileExists(atPath: out + "/group"), "shards run the participant level only")
        let group = try CLITests.run(["run", Self.spec, "--bids", dataset, "--out", out, "--level", "group"])
        #expect(group.status == 0, "\(group.stdout.suffix(400))")
        try Self.expectSameOutputs(local, out)
        #expect(try CLITests.run(["run", Self.spec, "--bids", dataset, "--out", out, "--shard", "4/3"]).status != 0, "a shard outside 1…N is an error")
    }

    /// Slurm can run here when it is installed or can be installed (root and apt-get).
    static let slurmPossible: Bool = {
        let fm = FileManager.default
        return fm.isExecutableFile(atPath: "/usr/sbin/slurmctld") || (getuid() == 0 && fm.isExecutableFile(atPath: "/usr/bin/apt-get"))
    }()

    static func shell(_ args: [String], env: [String: String] = [:]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        // Output through a file, not a pipe: daemons the command starts must not hold our read open.
        let file = NSTemporaryDirectory() + "neuropipe-shell-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        FileManager.default.createFile(atPath: file, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        return (p.terminationStatus, (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
    }

    @Test(.enabled(if: slurmPossible, "Slurm is not installed and cannot be installed here (needs root and apt-get)"))
    func slurmJobArrayMatchesALocalRunAndRetriesAFailedTask() throws {
        let dir = try Self.temp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cluster = dir + "/cluster"
        let (status, started) = try Self.shell([Self.repo + "/scripts/slurm-local-cluster", "start", cluster])
        defer { _ = try? Self.shell([Self.repo + "/scripts/slurm-local-cluster", "stop", cluster]) }
        try #require(status == 0, "cluster did not start: \(started.suffix(600))")
        let env = ["SLURM_CONF": cluster + "/slurm.conf"]
        func neuropipe(_ args: [String]) throws -> (Int32, String) { try Self.shell([CLITests.binary] + args, env: env) }
        let (dataset, local) = try Self.cohortAndLocalRun(dir)

        let (dry, script) = try neuropipe(["run", Self.spec, "--bids", dataset, "--out", dir + "/slurm", "--executor", "slurm", "--max-parallel", "2", "--dry-run"])
        #expect(dry == 0 && script.contains("#SBATCH --array=0-9%2") && script.contains("--participant-index \"$SLURM_ARRAY_TASK_ID\""))

        let (ok, log) = try neuropipe(["run", Self.spec, "--bids", dataset, "--out", dir + "/slurm", "--executor", "slurm"])
        #expect(ok == 0, "\(log.suffix(600))")
        try Self.expectSameOutputs(local, dir + "/slurm")

        // A broken recording fails its array task; the failure names the participant and its log; the group job
        // is not run. After the file is fixed, --retry-failed resubmits that task alone, then the group level.
        let bold = dataset + "/sub-004/func/sub-004_task-rest_bold.nii.gz"
        let good = try Data(contentsOf: URL(fileURLWithPath: bold))
        try good.prefix(200).write(to: URL(fileURLWithPath: bold))
        let failedOut = dir + "/failing"
        let (bad, report) = try neuropipe(["run", Self.spec, "--bids", dataset, "--out", failedOut, "--executor", "slurm"])
        #expect(bad != 0 && report.contains("task 3 sub-004") && report.contains(failedOut + "/slurm/logs/participant-3.log"), "\(report.suffix(600))")
        #expect(!FileManager.default.fileExists(atPath: failedOut + "/group/recurrence_model_results.json"))
        try good.write(to: URL(fileURLWithPath: bold))
        let (retried, retryLog) = try neuropipe(["run", Self.spec, "--bids", dataset, "--out", failedOut, "--executor", "slurm", "--retry-failed"])
        #expect(retried == 0, "\(retryLog.suffix(600))")
        #expect(retryLog.contains("(1 participant task(s))"))
        let submission = try JSONValue.parse(String(contentsOfFile: failedOut + "/slurm/submission.json", encoding: .utf8))
        #expect(submission.member("submitted") == .array([.int(3)]))
        try Self.expectSameOutputs(local, failedOut)

        // Ctrl-C while the jobs wait (held back 60 s by an extra sbatch option) cancels them with scancel.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLITests.binary)
        p.arguments = ["run", Self.spec, "--bids", dataset, "--out", dir + "/cancelled", "--executor", "slurm", "--sbatch-arg=--begin=now+60"]
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var queued = false
        for _ in 0..<100 where !queued {
            Thread.sleep(forTimeInterval: 0.2)
            queued = !(try Self.shell(["/usr/bin/squeue", "-h"], env: env).1.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
        #expect(queued, "the jobs were queued")
        p.interrupt()
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        var empty = false
        for _ in 0..<50 where !empty {
            empty = try Self.shell(["/usr/bin/squeue", "-h"], env: env).1.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            if !empty { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(empty, "scancel removed the queued jobs")
    }
}
