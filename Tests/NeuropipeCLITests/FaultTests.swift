import Foundation
import NeuroCore
import Testing

/// Real faults (issue R1): a full disk, read-only and missing output folders, signals in the middle of a run,
/// inputs that must stay untouched, and names that try to leave the output folder. Full disks and read-only mounts
/// are real tmpfs mounts inside a private mount namespace (`unshare`), so nothing leaks into the machine.
struct FaultTests {
    static let binary = CLITests.binary
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func temporaryFolder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("np-faults-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `unshare` arguments that give a private mount namespace here (root: --mount; otherwise a user namespace
    /// mapping us to root), or nil when the machine allows neither.
    static let namespace: [String]? = {
        for args in [["--mount"], ["--user", "--map-root-user", "--mount"]] {
            if let r = try? run("/usr/bin/unshare", args + ["sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"]), r.status == 0 { return args }
        }
        return nil
    }()

    static func run(_ executable: String, _ args: [String]) throws -> CLITests.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        (p.standardOutput, p.standardError) = (out, err)
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLITests.Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs `script` (sh) in a private mount namespace; `$NP` is the neuropipe binary.
    static func inNamespace(_ script: String) throws -> CLITests.Result {
        try run("/usr/bin/unshare", namespace! + ["sh", "-c", "NP='\(binary)'; " + script])
    }

    /// A synthetic EEG cohort (BIDS) of `subjects` participants.
    static func cohort(_ dir: String, subjects: Int, duration: Double) throws -> String {
        let r = try CLITests.run(["simulate", "eeg-cohort", "--out", dir + "/ds", "--subjects", "\(subjects)", "--duration", "\(duration)"])
        #expect(r.status == 0, "\(r.stderr)")
        return dir + "/ds"
    }

    /// Hidden temporaries (`.name.tmp-pid-n`) and unfinished cache builds under `root`.
    static func leftovers(_ root: String) -> [String] {
        let all = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return all.filter { ($0 as NSString).lastPathComponent.contains(".tmp-") || $0.contains(".neuropipe-cache/tmp/") }
    }

    @Test func missingOutputFolderFailsBeforeAnyWork() throws {
        let dir = try Self.temporaryFolder()
        let edf = CLITests.fixtures + "/edf/S001R01_repaired60s.edf"
        let missing = try CLITests.run(["psd", edf, "--out", dir + "/no/such/folder/psd.h5"])
        #expect(missing.status == 1 && missing.stderr.contains("--out: the folder \(dir)/no/such/folder does not exist"), "\(missing.stderr)")
        let notFolder = try CLITests.run(["bandpower", edf, "--out", edf + "/bands.tsv"])
        #expect(notFolder.status == 1 && notFolder.stderr.contains("is not a folder"), "\(notFolder.stderr)")
    }

    @Test(.enabled(if: FaultTests.namespace != nil, "needs a private mount namespace (unshare) for a read-only tmpfs"))
    func readOnlyOutputFolderFailsBeforeAnyWork() throws {
        let dir = try Self.temporaryFolder()
        let edf = CLITests.fixtures + "/edf/S001R01_repaired60s.edf"
        // A read-only mount: the message comes from the check before the PSD is computed, and a pipeline run stops
        // before it creates a cache.
        let ro = try Self.inNamespace("""
            mkdir -p '\(dir)/ro' && mount -t tmpfs -o ro,size=1m tmpfs '\(dir)/ro' || exit 99
            "$NP" psd '\(edf)' --out '\(dir)/ro/psd.h5'; echo "psd=$?"
            "$NP" run '\(Self.repo)/pipelines/mci-eeg.yaml' --input '\(CLITests.fixtures)/edf' --out '\(dir)/ro/out'; echo "run=$?"
            """)
        #expect(ro.stdout.contains("psd=1") && ro.stderr.contains("psd.h5: --out: the folder \(dir)/ro is not writable (Read-only file system)"), "\(ro.stdout) \(ro.stderr)")
        #expect(ro.stdout.contains("run=1") && ro.stderr.contains("\(dir)/ro/out: --out:"), "\(ro.stderr)")
    }

    @Test(.enabled(if: FaultTests.namespace != nil, "needs a private mount namespace (unshare) for a small tmpfs"))
    func fullDiskGivesAClearErrorAndLeavesNoPartialEntry() throws {
        let dir = try Self.temporaryFolder()
        let bids = try Self.cohort(dir, subjects: 4, duration: 20)
        let edf = CLITests.fixtures + "/edf/S001R01_repaired60s.edf"
        // 400 kB: a few participant stages fit, then a signal output or cache entry meets ENOSPC. 48 kB: the
        // 64-channel PSD file (66 kB) cannot be written.
        let r = try Self.inNamespace("""
            mkdir -p '\(dir)/full' && mount -t tmpfs -o size=400k tmpfs '\(dir)/full' || exit 99
            "$NP" run '\(Self.repo)/pipelines/mci-eeg.yaml' --bids '\(bids)' --out '\(dir)/full/out' --jobs 1; echo "run=$?"
            "$NP" cache verify --cache '\(dir)/full/out/.neuropipe-cache'; echo "verify=$?"
            find '\(dir)/full' -name '.*.tmp-*' | sed 's/^/STRAY: /'
            ls -A '\(dir)/full/out/.neuropipe-cache/tmp' 2>/dev/null | sed 's/^/UNFINISHED: /'
            mkdir -p '\(dir)/small' && mount -t tmpfs -o size=48k tmpfs '\(dir)/small' || exit 99
            "$NP" psd '\(edf)' --out '\(dir)/small/psd.h5'; echo "psd=$?"
            ls -A '\(dir)/small' | sed 's/^/REMAINING: /'
            """)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("run=1") && r.stdout.contains("verify=0"), "\(r.stdout) \(r.stderr)")
        #expect((r.stdout + r.stderr).contains("No space left on device"), "\(r.stdout) \(r.stderr)")
        #expect(!r.stdout.contains("STRAY: ") && !r.stdout.contains("UNFINISHED: "), "\(r.stdout)")
        #expect(r.stdout.contains("psd=1") && !r.stdout.contains("REMAINING: "), "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("psd.h5"), "the error names the output: \(r.stderr)")
    }

    @Test func inputsAreNotModifiedByARun() throws {
        let dir = try Self.temporaryFolder()
        let bids = try Self.cohort(dir, subjects: 10, duration: 20)
        let spec = dir + "/mci-eeg.yaml"
        try FileManager.default.copyItem(atPath: Self.repo + "/pipelines/mci-eeg.yaml", toPath: spec)
        func snapshot() throws -> [String: (Data, Date)] {
            var out = [String: (Data, Date)]()
            for f in try FileManager.default.subpathsOfDirectory(atPath: dir) where !f.hasPrefix("out") {
                let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/" + f)
                guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
                out[f] = (try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f)), attributes[.modificationDate] as! Date)
            }
            return out
        }
        let before = try snapshot()
        #expect(before.count > 20)
        let r = try CLITests.run(["run", spec, "--bids", bids, "--out", dir + "/out"])
        #expect(r.status == 0, "\(r.stderr)")
        let after = try snapshot()
        #expect(Set(after.keys) == Set(before.keys), "no file appears in or vanishes from the dataset")
        for (f, (data, date)) in before {
            #expect(after[f]?.0 == data && after[f]?.1 == date, "\(f) unchanged")
        }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalFinishesStagesInFlightThenExitsWithASummary(signal: Int32) throws {
        let dir = try Self.temporaryFolder()
        let bids = try Self.cohort(dir, subjects: 12, duration: 60)
        let out = dir + "/out"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["run", Self.repo + "/pipelines/mci-eeg.yaml", "--bids", bids, "--out", out, "--jobs", "2"]
        let err = Pipe()
        (p.standardOutput, p.standardError) = (FileHandle.nullDevice, err)
        try p.run()
        // Signal once the first cache entry is committed (the run is well under way, far from done).
        let entries = out + "/.neuropipe-cache/entries"
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline && ((try? FileManager.default.contentsOfDirectory(atPath: entries))?.isEmpty ?? true) { usleep(5_000) }
        kill(p.processIdentifier, signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + signal, "\(stderr)")
        #expect(stderr.contains("interrupted by \(name)") && stderr.contains("did not start"), "\(stderr)")
        // The run log records what did not start; every entry in the cache is complete; nothing half-written.
        let logs = try FileManager.default.contentsOfDirectory(atPath: out + "/logs")
        let log = try String(contentsOfFile: out + "/logs/" + logs[0], encoding: .utf8)
        #expect(log.contains("\"interrupted\""))
        let verify = try CLITests.run(["cache", "verify", "--cache", out + "/.neuropipe-cache"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(Self.leftovers(out).isEmpty, "\(Self.leftovers(out))")
        // Running again continues: what finished comes from the cache.
        let again = try CLITests.run(["run", Self.repo + "/pipelines/mci-eeg.yaml", "--bids", bids, "--out", out, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        let counts = summary?["counts"] as? [String: Int] ?? [:]
        #expect((counts["cached"] ?? 0) >= 1 && (counts["ran"] ?? 0) >= 1, "\(again.stdout)")
    }

    /// Any other verb stops at once on a signal and deletes the temporary it was writing: here `simulate`, killed
    /// while it writes one EDF after another; every file left is complete.
    @Test func signalStopsOtherVerbsWithoutPartialFiles() throws {
        let dir = try Self.temporaryFolder()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["simulate", "eeg-cohort", "--out", dir + "/ds", "--subjects", "400", "--duration", "300"]
        let err = Pipe()
        (p.standardOutput, p.standardError) = (FileHandle.nullDevice, err)
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        func written() -> [String] { (try? FileManager.default.subpathsOfDirectory(atPath: dir + "/ds"))?.filter { $0.hasSuffix("_eeg.edf") } ?? [] }
        while p.isRunning && Date() < deadline && written().count < 2 { usleep(2_000) }
        kill(p.processIdentifier, SIGINT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130 && stderr.contains("SIGINT received: stopped at once"), "\(p.terminationStatus) \(stderr)")
        #expect(Self.leftovers(dir).isEmpty, "\(Self.leftovers(dir))")
        for f in written() {
            let info = try CLITests.run(["info", dir + "/ds/" + f, "--json"])
            #expect(info.status == 0 && !info.stdout.contains("truncated"), "\(f) is complete")
        }
    }

    @Test func namesCannotLeadOutsideTheOutputFolderOrRunCommands() throws {
        let dir = try Self.temporaryFolder()
        let bids = try Self.cohort(dir, subjects: 10, duration: 20)
        let outside = dir + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        // A stage id with a path, a stage type that is a shell command, a YAML tag that some loaders execute.
        let escapes = [
            ("id: ../../outside", "stage ids may contain only letters, digits, - and _"),
            ("id: /tmp/x", "stage ids may contain only letters, digits, - and _"),
        ]
        for (line, message) in escapes {
            let spec = dir + "/escape.yaml"
            try "name: escape\ninputs: {datatype: eeg, suffix: eeg, extensions: [.edf]}\nstages:\n  - \(line)\n    uses: psd\n    from: {signal: input}\n"
                .write(toFile: spec, atomically: true, encoding: .utf8)
            let r = try CLITests.run(["run", spec, "--bids", bids, "--out", dir + "/out"])
            #expect(r.status != 0 && r.stderr.contains(message), "\(line): \(r.stderr)")
        }
        let marker = dir + "/executed"
        let shell = dir + "/shell.yaml"
        try """
            name: shell
            inputs: {datatype: eeg, suffix: eeg, extensions: [.edf]}
            stages:
              - id: p
                uses: "sh -c 'touch \(marker)'"
                from: {signal: input}
              - id: q
                uses: psd
                from: {signal: input}
                with: {nperseg: !!python/object/apply:os.system ["touch \(marker)"]}
            """.write(toFile: shell, atomically: true, encoding: .utf8)
        let r = try CLITests.run(["run", shell, "--bids", bids, "--out", dir + "/out"])
        #expect(r.status != 0 && r.stderr.contains("unknown stage type"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "nothing was executed")
        // A newline in a path would start a new command in a Slurm batch script (#SBATCH lines are not quoted).
        let slurm = try CLITests.run(["run", Self.repo + "/pipelines/mci-eeg.yaml", "--bids", bids, "--out", dir + "/out\ntouch " + marker,
                                      "--executor", "slurm", "--dry-run"])
        #expect(slurm.status != 0 && slurm.stderr.contains("contains a control character"), "\(slurm.stderr)")
        // Participant labels are names, not paths; a participant folder that is a symlink to elsewhere is read
        // through, but its outputs land in the output folder under the participant's name.
        let label = try CLITests.run(["run", Self.repo + "/pipelines/mci-eeg.yaml", "--bids", bids, "--out", dir + "/out", "--participant-label", "../../outside"])
        #expect(label.status != 0 && label.stderr.contains("no eeg recordings"), "\(label.stderr)")
        let moved = dir + "/elsewhere-sub-001"
        try FileManager.default.moveItem(atPath: bids + "/sub-001", toPath: moved)
        try FileManager.default.createSymbolicLink(atPath: bids + "/sub-001", withDestinationPath: moved)
        let linked = try CLITests.run(["run", Self.repo + "/pipelines/mci-eeg.yaml", "--bids", bids, "--out", dir + "/out", "--json"])
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/out/sub-001/eeg"))
        let movedFiles = try FileManager.default.subpathsOfDirectory(atPath: moved)
        #expect(!movedFiles.contains { $0.contains("desc-") }, "no output written into the linked participant folder")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }

    @Test func memoryBudgetRefusesLargeDeclarationsInEveryReader() throws {
        let edf = CLITests.fixtures + "/edf/S001R01_repaired60s.edf"
        let nifti = CLITests.fixtures + "/nifti/nibabel_example4d.nii.gz"
        let dir = try Self.temporaryFolder()
        let cases: [([String], String)] = [
            (["psd", edf, "--out", dir + "/p.h5", "--max-memory", "1M"], "S001R01_repaired60s.edf: data records: decoding 64 channels"),
            (["convert", nifti, dir + "/n.h5", "--max-memory=100K"], "nibabel_example4d.nii.gz: dim:"),
            (["covariance", "--epochs", Self.repo + "/data-schemas/examples/epochs.h5", "--out", dir + "/c.h5", "--max-memory", "1K"], "epochs.h5: /X: declares shape [4, 3, 32]"),
        ]
        for (args, message) in cases {
            let refused = try CLITests.run(args)
            #expect(refused.status == 1 && refused.stderr.contains(message) && refused.stderr.contains("--max-memory"), "\(args): \(refused.stderr)")
            let accepted = try CLITests.run(args.filter { !$0.hasPrefix("--max-memory") && !["1M", "1K"].contains($0) })
            #expect(accepted.status == 0, "\(args) without a budget: \(accepted.stderr)")
        }
        let tsv = dir + "/participants.tsv"
        try ("participant_id\tscore\n" + (1...2000).map { "sub-\($0)\t\($0)" }.joined(separator: "\n") + "\n").write(toFile: tsv, atomically: true, encoding: .utf8)
        let table = try CLITests.run(["screen", "--features", tsv, "--outcome", tsv + ":score", "--method", "pearson", "--out", dir + "/r.tsv", "--max-memory", "64K"])
        #expect(table.status == 1 && table.stderr.contains("participants.tsv: file: parsing this"), "\(table.stderr)")
        let bad = try CLITests.run(["info", edf, "--max-memory", "lots"])
        #expect(bad.status == 64 && bad.stderr.contains("--max-memory: expected a size such as 512M or 8G, got 'lots'"))
    }
}
