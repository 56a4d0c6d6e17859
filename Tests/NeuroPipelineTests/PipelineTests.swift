import Foundation
import Testing
import NeuroCore
import NeuroIO
@testable import NeuroPipeline

enum PipelineFixtures {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// A 3-recording BIDS dataset from EEGMMIDB fixtures (sub-03 is a byte copy of sub-01, in a session folder).
    static func bids() throws -> String {
        let root = try tempDirectory() + "/bids"
        for (sub, rel, src) in [("sub-01", "sub-01/eeg/sub-01_task-mi_eeg.edf", "S001R04.edf"), ("sub-02", "sub-02/eeg/sub-02_task-mi_eeg.edf", "S001R06.edf"),
                                ("sub-03", "sub-03/ses-1/eeg/sub-03_ses-1_task-mi_eeg.edf", "S001R04.edf")] {
            _ = sub
            try FileManager.default.createDirectory(atPath: root + "/" + (rel as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: fixtures + "/edf/" + src, toPath: root + "/" + rel)
        }
        return root
    }

    static let spec = """
    name: test
    stages:
      - id: filtered
        uses: filter
        with: {l_freq: 8, h_freq: 35, channels: "C3*,C4*,Cz*"}
        from: {recording: input}
      - id: bands
        uses: bandpower
        from: {recording: filtered.recording}
      - id: table
        uses: concat-tables
        from: {tables: bands.table}
    """

    /// `spec` plus participants.tsv columns joined onto the group table.
    static let joinedSpec = spec + """

      - id: joined
        uses: join-participants
        from: {table: table.table, participants: participants}
    """

    /// Filter then 0–2 s epochs around T1/T2 on three sensorimotor channels; tests append a classify stage.
    static let epochsSpec = """
    name: epochs
    stages:
      - id: filtered
        uses: filter
        with: {l_freq: 8, h_freq: 35, channels: "C3*,C4*,Cz*"}
        from: {recording: input}
      - id: epochs
        uses: epochs
        with: {events: "T1,T2", tmin: 0, tmax: 2}
        from: {recording: filtered.recording}
    """

    static func runner(_ specText: String, bids: String, out: String, cache: String? = nil) throws -> PipelineRunner {
        let s = try PipelineSpec.parse(specText, path: "test.yaml")
        let units = try DatasetDiscovery.bids(root: bids, datatype: s.datatype, suffix: s.suffix, extensions: s.extensions, participants: nil)
        let r = try PipelineRunner(spec: s, units: units, output: out, cacheDirectory: cache)
        r.log = { _ in }
        return r
    }

    static func statuses(_ records: [StageRecord]) -> [String: Int] { Dictionary(records.map { ($0.status.rawValue, 1) }, uniquingKeysWith: +) }
}

struct PipelineSpecTests {
    @Test func examplePipelinesAreValid() throws {
        for f in try FileManager.default.contentsOfDirectory(atPath: PipelineFixtures.repo + "/pipelines") where f.hasSuffix(".yaml") {
            _ = try PipelineSpec.load(path: PipelineFixtures.repo + "/pipelines/" + f)
        }
    }

    @Test func embeddedSchemaEqualsTheDocumentedOne() throws {
        #expect(try String(contentsOfFile: PipelineFixtures.repo + "/data-schemas/pipeline.schema.json", encoding: .utf8) == pipelineSchemaText)
    }

    @Test(arguments: [
        ("stages:\n  - id: a\n    uses: nosuch\n    from: {recording: input}\n", "line 3", "unknown stage type"),
        ("stages:\n  - id: a\n    uses: psd\n    with: {npersegg: 4}\n    from: {recording: input}\n", "line 4", "has no parameter \"npersegg\""),
        ("stages:\n  - id: a\n    uses: psd\n", "line 2", "input \"recording\" is not connected"),
        ("stages:\n  - id: a\n    uses: psd\n    from: {recording: b.spectra}\n", "line 4", "is not input, participants or <earlier stage id>"),
        ("stages:\n  - id: a\n    uses: filter\n    from: {recording: input}\n  - id: b\n    uses: psd\n    from: {recording: a.nope}\n", "line 7", "has no output \"nope\""),
        ("stages:\n  - id: a\n    uses: psd\n    from: {recording: input}\n  - id: a\n    uses: psd\n    from: {recording: input}\n", "line 5", "duplicate stage id"),
        ("stages:\n  - id: a\n    uses: psd\n    colour: red\n    from: {recording: input}\n", "line 2", "undocumented key \"colour\""),
        ("stages: [\n", "YAML", "line 2, column 1"),
        // Mistyped values are refused where they are written, not read later as "not given".
        ("stages:\n  - id: a\n    uses: filter\n    with: {l_freq: eight}\n    from: {recording: input}\n", "line 4", "expected a number (Hz); got \"eight\""),
        ("stages:\n  - id: a\n    uses: psd\n    with: {nperseg: 2.5}\n    from: {recording: input}\n", "line 4", "expected an integer (samples); got 2.5"),
        ("stages:\n  - id: a\n    uses: bandpower\n    with: {relative: 1}\n    from: {recording: input}\n", "line 4", "expected true or false; got 1"),
        ("stages:\n  - id: a\n    uses: filter\n    with: {channels: 3}\n    from: {recording: input}\n", "line 4", "expected text; got 3"),
    ])
    func errorsPointAtTheYAML(text: String, position: String, message: String) {
        #expect { try PipelineSpec.parse(text, path: "p.yaml") } throws: { e in
            guard let e = e as? InputError else { return false }
            return e.file == "p.yaml" && e.field.contains(position) && e.message.contains(message)
        }
    }
}

struct PipelineRunnerTests {
    @Test func reRunsOnlyWhatChanged() throws {
        let bids = try PipelineFixtures.bids()
        let out = try tempDirectory() + "/out"
        let first = try PipelineFixtures.runner(PipelineFixtures.spec, bids: bids, out: out).run()
        // sub-03 is a byte copy of sub-01 under another name; outputs record their source's name, so it gets its own
        // entries rather than sharing sub-01's.
        #expect(PipelineFixtures.statuses(first) == ["ran": 7])
        let h5 = { (stem: String, dir: String) throws -> String? in
            try HDF5File(path: out + "/\(dir)/\(stem)_desc-filtered_recording.h5").attributes(of: "/").first { $0.0 == "source" }?.1.stringValue
        }
        #expect(try h5("sub-03_ses-1_task-mi_eeg", "sub-03/ses-1/eeg") == "sub-03_ses-1_task-mi_eeg.edf")
        #expect(try h5("sub-01_task-mi_eeg", "sub-01/eeg") == "sub-01_task-mi_eeg.edf")
        let table = try String(contentsOfFile: out + "/group/table_table.tsv", encoding: .utf8)
        #expect(table.hasPrefix("participant_id\tchannel\t") && table.contains("sub-03\tC3..\t"))
        #expect(FileManager.default.fileExists(atPath: out + "/sub-03/ses-1/eeg/sub-03_ses-1_task-mi_eeg_desc-bands_table.tsv"))
        #expect(try String(contentsOfFile: out + "/dataset_description.json", encoding: .utf8).contains("\"DatasetType\": \"derivative\""))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/logs").count == 1)

        // Unchanged: nothing runs.
        #expect(PipelineFixtures.statuses(try PipelineFixtures.runner(PipelineFixtures.spec, bids: bids, out: out).run()) == ["cached": 7])
        // Touched (new mtime, same bytes): nothing runs.
        var t = [timespec(tv_sec: 2_000_000_000, tv_nsec: 0), timespec(tv_sec: 2_000_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, bids + "/sub-02/eeg/sub-02_task-mi_eeg.edf", &t, 0)
        #expect(PipelineFixtures.statuses(try PipelineFixtures.runner(PipelineFixtures.spec, bids: bids, out: out).run()) == ["cached": 7])
        // One parameter changed: that stage and its descendants run, the filter does not.
        let changed = PipelineFixtures.spec.replacingOccurrences(of: "uses: bandpower\n", with: "uses: bandpower\n    with: {relative: true}\n")
        let r3 = try PipelineFixtures.runner(changed, bids: bids, out: out).run()
        #expect(r3.filter { $0.stage == "filtered" }.allSatisfy { $0.status == .cached })
        #expect(r3.filter { $0.stage != "filtered" && $0.status == .ran }.count == 4, "bands for 3 recordings + the group table")
        // Content changed: its dependants run again.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: PipelineFixtures.fixtures + "/edf/S001R08.edf".replacingOccurrences(of: "R08", with: "R04")))
        var edited = [UInt8](bytes)
        edited[edited.count - 100] ^= 0x55  // one sample of the last record
        try Data(edited).write(to: URL(fileURLWithPath: bids + "/sub-02/eeg/sub-02_task-mi_eeg.edf"))
        let r4 = try PipelineFixtures.runner(PipelineFixtures.spec, bids: bids, out: out).run()
        #expect(r4.filter { $0.status == .ran }.map(\.stage).sorted() == ["bands", "filtered", "table"])
    }

    @Test func dryRunPlansWithoutWritingAndSeesTheCache() throws {
        let bids = try PipelineFixtures.bids()
        try "participant_id\tage\nsub-01\t70\nsub-02\t71\nsub-03\t72\n".write(toFile: bids + "/participants.tsv", atomically: true, encoding: .utf8)
        let text: String = PipelineFixtures.joinedSpec
        let out = try tempDirectory() + "/out"
        func run(_ spec: String, dry: Bool) throws -> [StageRecord] {
            let r = try PipelineFixtures.runner(spec, bids: bids, out: out)
            r.participants = try DatasetDiscovery.participantsTable(root: bids)
            r.dryRun = dry
            return try r.run()
        }
        let plan = try run(text, dry: true)
        #expect(PipelineFixtures.statuses(plan) == ["planned": 8], "\(plan.map { ($0.stage, $0.status, $0.error ?? "") })")
        #expect(!FileManager.default.fileExists(atPath: out + "/group") && !FileManager.default.fileExists(atPath: out + "/sub-01"))
        _ = try run(text, dry: false)
        #expect(PipelineFixtures.statuses(try run(text, dry: true)) == ["cached": 8])
        // A changed band-power parameter: the filter stays cached, everything after it would run.
        let changed = try run(text.replacingOccurrences(of: "uses: bandpower\n", with: "uses: bandpower\n    with: {relative: true}\n"), dry: true)
        #expect(changed.filter { $0.status == .cached }.map(\.stage) == ["filtered", "filtered", "filtered"])
        #expect(changed.filter { $0.status == .planned }.count == 5 && !changed.contains { $0.status == .failed }, "\(changed.map { ($0.stage, $0.status, $0.error ?? "") })")
    }

    @Test func outputsCannotEscapeThroughSymlinks() throws {
        let bids = try PipelineFixtures.bids()
        let out = try tempDirectory() + "/out"
        let elsewhere = try tempDirectory()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: out + "/sub-01", withDestinationPath: elsewhere)
        let records = try PipelineFixtures.runner(PipelineFixtures.spec, bids: bids, out: out).run()
        #expect(records.contains { $0.participant == "sub-01_task-mi_eeg" && $0.status == .failed && ($0.error ?? "").contains("outside the output folder") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
        #expect(throws: InputError.self) { try PipelineFixtures.runner(PipelineFixtures.spec, bids: bids, out: out).publish("/etc/hostname", to: "../x") }
    }
}

/// The CLI under concurrency and kills: two runs at once on one cache, and runs killed at random points.
struct PipelineRobustnessTests {
    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("neuropipe").path
    }()

    static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func tree(_ root: String) throws -> [String: Data] {
        var out = [String: Data]()
        for f in try FileManager.default.subpathsOfDirectory(atPath: root) where !f.hasPrefix(".neuropipe-cache") && !f.hasPrefix("logs") {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + f, isDirectory: &isDir), !isDir.boolValue { out[f] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + f)) }
        }
        return out
    }

    @Test func concurrentRunsOnOneCacheAndKilledRunsRecover() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { Issue.record("neuropipe binary not built at \(Self.binary)"); return }
        let bids = try PipelineFixtures.bids()
        let dir = try tempDirectory()
        let spec = dir + "/p.yaml"
        try PipelineFixtures.spec.write(toFile: spec, atomically: true, encoding: .utf8)
        // Reference: one uninterrupted run.
        let ref = try Self.start(["run", spec, "--bids", bids, "--out", dir + "/ref", "--jobs", "2"])
        ref.waitUntilExit()
        #expect(ref.terminationStatus == 0)
        // Two runs at once sharing one cache.
        let a = try Self.start(["run", spec, "--bids", bids, "--out", dir + "/a", "--cache", dir + "/shared", "--jobs", "2"])
        let b = try Self.start(["run", spec, "--bids", bids, "--out", dir + "/b", "--cache", dir + "/shared", "--jobs", "2"])
        a.waitUntilExit(); b.waitUntilExit()
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0)
        #expect(try Self.tree(dir + "/a") == Self.tree(dir + "/ref") && Self.tree(dir + "/b") == Self.tree(dir + "/ref"))
        // kill -9 at random points, then a complete run: identical outputs and a clean cache.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            let k = try Self.start(["run", spec, "--bids", bids, "--out", dir + "/k", "--cache", dir + "/kcache", "--jobs", "2"])
            usleep(UInt32.random(in: 20_000...700_000, using: &rng))
            kill(k.processIdentifier, SIGKILL)
            k.waitUntilExit()
        }
        let fin = try Self.start(["run", spec, "--bids", bids, "--out", dir + "/k", "--cache", dir + "/kcache", "--jobs", "2"])
        fin.waitUntilExit()
        #expect(fin.terminationStatus == 0)
        #expect(try Self.tree(dir + "/k") == Self.tree(dir + "/ref"))
        let v = try Self.start(["cache", "verify", "--cache", dir + "/kcache"])
        v.waitUntilExit()
        #expect(v.terminationStatus == 0, "no corrupt cache entry after kills")
    }
}

struct ExamplePipelineTests {
    static func validator(_ name: String) throws -> JSONSchemaValidator {
        JSONSchemaValidator(schema: try JSONValue.parse(String(contentsOfFile: PipelineFixtures.repo + "/data-schemas/" + name, encoding: .utf8)))
    }

    @Test(arguments: ["motor-imagery.yaml", "resting-bandpower.yaml", "within-subject-mi.yaml", "resting-spectral.yaml"])
    func examplePipelineRunsOnSmallData(file: String) throws {
        let bids = try PipelineFixtures.bids()
        let out = try tempDirectory() + "/out"
        let spec = try PipelineSpec.load(path: PipelineFixtures.repo + "/pipelines/" + file)
        let units = try DatasetDiscovery.bids(root: bids, datatype: spec.datatype, suffix: spec.suffix, extensions: spec.extensions, participants: nil)
        let runner = try PipelineRunner(spec: spec, units: units, output: out, cacheDirectory: nil)
        runner.log = { _ in }
        let records = try runner.run()
        #expect(!records.contains { $0.status == .failed || $0.status == .skipped }, "\(records.filter { $0.status == .failed }.map { $0.error ?? "" })")
        let logs = try FileManager.default.contentsOfDirectory(atPath: out + "/logs")
        let log = try JSONValue.parse(String(contentsOfFile: out + "/logs/" + logs[0], encoding: .utf8))
        #expect(try Self.validator("run-log.schema.json").validate(log) == [])
        let manifests = try FileManager.default.contentsOfDirectory(atPath: out + "/.neuropipe-cache/entries")
        for m in manifests {
            let v = try JSONValue.parse(String(contentsOfFile: out + "/.neuropipe-cache/entries/\(m)/manifest.json", encoding: .utf8))
            #expect(try Self.validator("cache-manifest.schema.json").validate(v) == [])
        }
    }

    @Test func screenStageRanksTheWidenedGroupTable() throws {
        let bids = try PipelineFixtures.bids()
        try "participant_id\tage\tgroup\nsub-01\t71\tMCI\nsub-02\t68\tcontrol\nsub-03\t75\tcontrol\n".write(toFile: bids + "/participants.tsv", atomically: true, encoding: .utf8)
        let text = PipelineFixtures.spec + """

          - id: screened
            uses: screen
            with: {outcome: age, method: pearson}
            from: {table: table.table, participants: participants}
        """
        let out = try tempDirectory() + "/out"
        let r = try PipelineFixtures.runner(text, bids: bids, out: out)
        r.participants = try DatasetDiscovery.participantsTable(root: bids)
        let records = try r.run()
        #expect(records.allSatisfy { $0.status != .failed }, "\(records.compactMap(\.error))")
        let ranking = try String(contentsOfFile: out + "/group/screened_ranking.tsv", encoding: .utf8).split(separator: "\n")
        #expect(ranking[0] == "feature\tscore\trank\tr\tgaussian_mi")
        // bandpower rows are per channel: 3 channels × 5 bands (+ ratios) widened to feature[channel].
        #expect(ranking.count - 1 >= 15 && ranking.dropFirst().allSatisfy { $0.contains("[C") })
        let settings = try JSONValue.parse(String(contentsOfFile: out + "/group/screened_settings.json", encoding: .utf8))
        #expect(try Self.validator("screen-sidecar.schema.json").validate(settings) == [])
        #expect(settings.member("samples") == .int(3))
        // A missing outcome column is a stage error naming the field.
        let bad = try PipelineFixtures.runner(text.replacingOccurrences(of: "outcome: age", with: "outcome: mmse"), bids: bids, out: try tempDirectory() + "/out2")
        bad.participants = try DatasetDiscovery.participantsTable(root: bids)
        let failed = try bad.run().filter { $0.status == .failed }
        #expect(failed.count == 1 && failed[0].error?.contains("mmse: no such column") == true, "\(failed.map(\.error))")
    }

    @Test func participantsColumnsJoinAndExplicitFileLists() throws {
        let bids = try PipelineFixtures.bids()
        try "participant_id\tage\tgroup\nsub-01\t71\tMCI\nsub-02\t68\tcontrol\nsub-03\tn/a\tcontrol\n".write(toFile: bids + "/participants.tsv", atomically: true, encoding: .utf8)
        let text = PipelineFixtures.joinedSpec
        let out = try tempDirectory() + "/out"
        let r = try PipelineFixtures.runner(text, bids: bids, out: out)
        r.participants = try DatasetDiscovery.participantsTable(root: bids)
        _ = try r.run()
        let joined = try String(contentsOfFile: out + "/group/joined_table.tsv", encoding: .utf8).split(separator: "\n")
        #expect(joined[0].hasSuffix("\tage\tgroup") && joined.contains { $0.hasPrefix("sub-02\t") && $0.hasSuffix("\t68\tcontrol") })
        // inputs.files instead of a dataset folder.
        let listed = try PipelineSpec.parse("inputs:\n  files: [\(bids)/sub-02/eeg/sub-02_task-mi_eeg.edf]\n" + PipelineFixtures.spec.replacingOccurrences(of: "name: test\n", with: ""), path: "/tmp/x.yaml")
        let units = try DatasetDiscovery.list(listed.files, extensions: listed.extensions)
        #expect(units.map(\.participant) == ["sub-02"])
        #expect(throws: InputError.self) { try DatasetDiscovery.list(["/nonexistent/sub-09_eeg.edf"], extensions: [".edf"]) }
    }

    @Test func fileListPatternsExpandOrFailLoudly() throws {
        let bids = try PipelineFixtures.bids()
        let units = try DatasetDiscovery.list([bids + "/sub-0?/eeg/*.edf".replacingOccurrences(of: "sub-0?", with: "sub-02"), bids + "/sub-01/eeg/sub-01_*_eeg.edf"], extensions: [".edf"])
        #expect(units.map(\.participant) == ["sub-02", "sub-01"])
        #expect { try DatasetDiscovery.list([bids + "/sub-01/eeg/*.bdf"], extensions: [".bdf"]) } throws: { e in
            (e as? InputError)?.message.contains("matches no file") == true
        }
    }

    @Test func dspRiemannAndConvertStagesRun() throws {
        let bids = try PipelineFixtures.bids()
        let out = try tempDirectory() + "/out"
        let text = """
        name: more-stages
        stages:
          - id: low
            uses: resample
            with: {sfreq: 80, channels: "C3*,C4*,Cz*"}
            from: {recording: input}
          - id: mt
            uses: psd
            with: {method: multitaper}
            from: {recording: low.recording}
          - id: features
            uses: spectral-features
            from: {recording: low.recording}
          - id: epochs
            uses: epochs
            with: {length: 2}
            from: {recording: low.recording}
          - id: conn
            uses: connectivity
            with: {bands: "alpha=8-13,beta=13-30"}
            from: {epochs: epochs.epochs}
          - id: covs
            uses: covariance
            with: {mean: true, tangent: true}
            from: {epochs: epochs.epochs}
          - id: h5
            uses: convert
            from: {input: input}
        """
        let records = try PipelineFixtures.runner(text, bids: bids, out: out).run()
        #expect(!records.contains { $0.status == .failed || $0.status == .skipped }, "\(records.compactMap(\.error))")
        let files = (FileManager.default.enumerator(atPath: out + "/sub-01")?.allObjects as? [String]) ?? []
        func output(_ suffix: String) throws -> String {
            let f = try #require(files.first { $0.hasSuffix(suffix) }, "no *\(suffix) in \(files)")
            return out + "/sub-01/" + f
        }
        let h5 = try HDF5File(path: try output("desc-mt_spectra.h5"))
        let freqs = try h5.readDoubles("/freqs").values
        #expect(freqs.last! <= 40 && freqs.last! > 39 && freqs.count > 1000, "multitaper keeps the full-length frequency grid; Welch would give 129 bins")
        let e = try EpochsFile.read(path: try output("desc-epochs_epochs.h5"))
        #expect(e.sampleRate == 80 && e.trials.first?.cols == 160 && e.trials.first?.rows == 3)
        let covs = try HDF5File(path: try output("desc-covs_covariances.h5"))
        #expect(try covs.readDoubles("/mean").shape == [3, 3] && covs.readDoubles("/tangent_vectors").shape == [e.trials.count, 6])
        let converted = try HDF5File(path: try output("desc-h5_data.h5"))
        #expect(try converted.attributes(of: "/").contains { $0.0 == "layout" && $0.1 == .string("neuropipe.continuous") })
        let feats = try String(contentsOfFile: try output("desc-features_table.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(feats.count == 4 && feats[0].hasPrefix("channel\tiaf_peak_hz"))
        let documented = try JSONValue.parse(String(contentsOfFile: PipelineFixtures.repo + "/data-schemas/tsv-tables.json", encoding: .utf8))
        func documentedColumns(_ table: String) -> [String] {
            guard case .object(let tables) = documented, case .object(let cols)? = tables.first(where: { $0.0 == table })?.1 else { return [] }
            return cols.map(\.0)
        }
        #expect(feats[0].split(separator: "\t").map(String.init) == documentedColumns("spectral_features.tsv"))
        let connText = try String(contentsOfFile: try output("desc-conn_table.tsv"), encoding: .utf8)
        #expect(connText.split(separator: "\n")[0].split(separator: "\t").map(String.init) == documentedColumns("connectivity.tsv"))
        let conn = connText.split(separator: "\n").dropFirst()
        #expect(conn.count == 3 * 2)
        for row in conn {
            let v = row.split(separator: "\t").suffix(4).map { Double($0)! }
            // coherence and PLI in [0, 1]; |imaginary coherency| ≤ |coherency|.
            #expect(v[0] >= 0 && v[0] <= 1 + 1e-12 && v[2] >= 0 && v[2] <= 1 && v[3] >= 0 && v[3] <= 1 && abs(v[1]) <= v[0] + 1e-12, "\(row)")
        }
    }

    @Test func leftoversOfKilledPublishersAreRemovedButLiveOnesKept() throws {
        let bids = try PipelineFixtures.bids()
        let out = try tempDirectory() + "/out"
        try FileManager.default.createDirectory(atPath: out + "/group", withIntermediateDirectories: true)
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = out + "/group/.table_table.tsv.tmp-\(gone.processIdentifier)-17", live = out + "/group/.x.tsv.tmp-\(getpid())-18"
        for f in [dead, live] { try Data("partial".utf8).write(to: URL(fileURLWithPath: f)) }
        _ = try PipelineFixtures.runner(PipelineFixtures.spec, bids: bids, out: out).run()
        #expect(!FileManager.default.fileExists(atPath: dead), "a dead writer's temporary is swept")
        #expect(FileManager.default.fileExists(atPath: live), "a live writer's temporary is left alone")
    }

    @Test func classifyStageTakesAutoOrderAndRejectsNonsense() throws {
        let bids = try PipelineFixtures.bids()
        func spec(_ order: String) -> String {
            PipelineFixtures.epochsSpec + """

              - id: classify
                uses: classify
                with: {pipeline: acm-mdm, order: \(order), cv: "stratified:3"}
                from: {epochs: epochs.epochs}
            """
        }
        let out = try tempDirectory() + "/out"
        let ok = try PipelineFixtures.runner(spec("auto"), bids: bids, out: out).run()
        #expect(!ok.contains { $0.status == .failed }, "\(ok.compactMap(\.error))")
        let results = try JSONValue.parse(String(contentsOfFile: out + "/group/classify_results.json", encoding: .utf8))
        #expect(results.member("folds")?.arrayValue?.count == 3)
        #expect(results.member("folds")?.arrayValue?.allSatisfy { ($0.member("order")?.doubleValue ?? 0) >= 1 } == true)
        let bad = try PipelineFixtures.runner(spec("sideways"), bids: bids, out: try tempDirectory() + "/out").run()
        #expect(bad.contains { $0.status == .failed && ($0.error ?? "").hasPrefix("test.yaml: stage classify with.order: ") }, "\(bad.compactMap(\.error))")
        // A filter given no edge would copy the recording: refused, naming the spec and stage.
        let noEdges = try PipelineFixtures.runner("stages:\n  - id: f\n    uses: filter\n    from: {recording: input}\n", bids: bids, out: try tempDirectory() + "/out").run()
        #expect(noEdges.allSatisfy { $0.status == .failed && ($0.error ?? "").hasPrefix("test.yaml: stage f with: give l_freq, h_freq, notch or reference") })
    }

    @Test func perParticipantGroupStagesRunOncePerParticipant() throws {
        let bids = try PipelineFixtures.bids()
        // sub-01 gets a second run, so "per participant" gathers two recordings for it.
        try FileManager.default.copyItem(atPath: PipelineFixtures.fixtures + "/edf/S001R06.edf", toPath: bids + "/sub-01/eeg/sub-01_task-mi_run-2_eeg.edf")
        let text = PipelineFixtures.epochsSpec + """

          - id: within
            uses: classify
            per: participant
            with: {pipeline: mdm, cv: "stratified:3"}
            from: {epochs: epochs.epochs}
        """
        let out = try tempDirectory() + "/out"
        let records = try PipelineFixtures.runner(text, bids: bids, out: out).run()
        let within = records.filter { $0.stage == "within" }
        #expect(within.compactMap(\.participant).sorted() == ["sub-01", "sub-02", "sub-03"] && within.allSatisfy { $0.status == .ran || $0.status == .cached },
                "\(within.map { ($0.participant ?? "-", $0.status, $0.error ?? "") })")
        let trials = { (sub: String) throws -> Double? in
            try JSONValue.parse(String(contentsOfFile: out + "/\(sub)/\(sub)_desc-within_results.json", encoding: .utf8)).member("n_trials")?.doubleValue
        }
        let single = try trials("sub-02"), double = try trials("sub-01")
        #expect(single == 15 && double == 30, "sub-01 pools its two runs' epochs")
        #expect(PipelineFixtures.statuses(try PipelineFixtures.runner(text, bids: bids, out: out).run()) == ["cached": 4 * 2 + 3])
        // A per-participant table stacks only that participant's recordings; a single-table stage refuses several.
        let tables = """
        name: per-participant-tables
        stages:
          - id: bands
            uses: bandpower
            with: {channels: "C3*"}
            from: {recording: input}
          - id: mine
            uses: concat-tables
            per: participant
            from: {tables: bands.table}
          - id: joined
            uses: join-participants
            from: {table: mine.table, participants: participants}
        """
        try "participant_id\tage\nsub-01\t70\nsub-02\t71\nsub-03\t72\n".write(toFile: bids + "/participants.tsv", atomically: true, encoding: .utf8)
        let out2 = try tempDirectory() + "/out"
        let r = try PipelineFixtures.runner(tables, bids: bids, out: out2)
        r.participants = try DatasetDiscovery.participantsTable(root: bids)
        let tableRecords = try r.run()
        let sub01 = try String(contentsOfFile: out2 + "/sub-01/sub-01_desc-mine_table.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(sub01.count == 2 && sub01.allSatisfy { $0.hasPrefix("sub-01\t") }, "two recordings of sub-01, one channel each")
        #expect(tableRecords.contains { $0.stage == "joined" && $0.status == .failed && ($0.error ?? "").contains("expected one group table; got 3") })
        // per: participant on a stage that already runs per recording is refused where it is written.
        #expect { try PipelineSpec.parse(text.replacingOccurrences(of: "uses: epochs\n", with: "uses: epochs\n    per: participant\n"), path: "w.yaml") } throws: { e in
            ((e as? InputError)?.field ?? "").contains("per")
        }
    }
}
