import Foundation
import NeuroCore
import Testing

/// The signal-processing verbs end to end through the CLI, outputs checked against their layouts.
struct DSPCLITests {
    static let edf = CLITests.fixtures + "/edf"

    static func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("np-dsp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func helpOnEveryDSPVerb() throws {
        for verb in ["psd", "bandpower", "filter", "epochs"] {
            let h = try CLITests.run([verb, "--help"])
            #expect(h.status == 0 && h.stdout.contains("USAGE"), "\(verb) --help")
        }
    }

    @Test func psdWritesTheSpectraLayoutWithItsSettings() throws {
        let d = try Self.tempDir()
        let r = try CLITests.run(["psd", Self.edf + "/S001R01_repaired60s.edf", "--out", d + "/p.h5", "--nperseg", "320", "--fmax", "45",
                                  "--channels", "O1*,Fz*", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let info = try SchemaConformanceTests.info(d + "/p.h5")
        #expect(try SchemaConformanceTests.validator("hdf5-spectra.schema.json").validate(info) == [])
        let s = info.serialized()
        #expect(s.contains("\"nperseg\":320") && s.contains("\"window\":\"hann\"") && s.contains("\"shape\":[2,91]"))
        let mt = try CLITests.run(["psd", Self.edf + "/S001R01_repaired60s.edf", "--out", d + "/mt.h5", "--method", "multitaper", "--fmax", "40",
                                   "--channels", "O1*", "--json"])
        #expect(mt.status == 0, "\(mt.stderr)")
        let mtInfo = try SchemaConformanceTests.info(d + "/mt.h5")
        #expect(try SchemaConformanceTests.validator("hdf5-spectra.schema.json").validate(mtInfo) == [])
        #expect(mtInfo.serialized().contains("\"method\":\"multitaper\""))
        let bad = try CLITests.run(["psd", Self.edf + "/S001R01_repaired60s.edf", "--out", d + "/q.h5", "--channels", "Nope", "--json"])
        #expect(bad.status != 0 && bad.stdout.contains("\"field\":\"channels\""))
    }

    @Test func epochsAroundAnnotationsMatchTheLayoutAndLabels() throws {
        let d = try Self.tempDir()
        let r = try CLITests.run(["epochs", Self.edf + "/S001R04.edf", Self.edf + "/S001R06.edf", "--events", "T1,T2", "--tmin", "0", "--tmax", "4",
                                  "--out", d + "/e.h5", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONValue.parse(r.stdout).serialized()
        #expect(summary.contains("\"trials\":30"), "15 T1/T2 events in each run")
        let info = try SchemaConformanceTests.info(d + "/e.h5")
        #expect(try SchemaConformanceTests.validator("hdf5-epochs.schema.json").validate(info) == [])
        #expect(info.serialized().contains("\"shape\":[30,64,641]"))
        let none = try CLITests.run(["epochs", Self.edf + "/S001R04.edf", "--events", "T9", "--tmin", "0", "--tmax", "1", "--out", d + "/n.h5"])
        #expect(none.status != 0 && none.stderr.contains("no epochs were kept"))
        let both = try CLITests.run(["epochs", Self.edf + "/S001R04.edf", "--events", "T1", "--length", "2", "--out", d + "/n.h5"])
        #expect(both.status != 0)
    }

    @Test func bandpowerTableAndSidecar() throws {
        let d = try Self.tempDir()
        let r = try CLITests.run(["bandpower", Self.edf + "/S001R01_repaired60s.edf", "--out", d + "/b.tsv", "--channels", "O1*", "--epoch-length", "10",
                                  "--bands", "theta=4-8,alpha=8-13"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: d + "/b.tsv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "channel\tepoch\tonset_s\ttheta\talpha\ttheta_alpha" && lines.count == 7)
        let sidecar = try JSONValue.parse(String(contentsOfFile: d + "/b.json", encoding: .utf8)).serialized()
        #expect(sidecar.contains("integration_rule") && sidecar.contains("relative_normalisation_range_hz"))
    }

    @Test func filterToEDFAndHDF5() throws {
        let d = try Self.tempDir()
        for (out, extra) in [("f.edf", ["--l-freq", "1", "--h-freq", "40", "--notch", "20"]), ("f.h5", ["--l-freq", "8", "--method", "iir"])] {
            let r = try CLITests.run(["filter", Self.edf + "/mnepy_test_uneven_samp.edf", "--out", d + "/" + out, "--channels", "3Hz*"] + extra)
            #expect(r.status == 0, "\(out): \(r.stderr)")
        }
        let i = try CLITests.run(["info", d + "/f.edf", "--json"])
        #expect(i.status == 0 && i.stdout.contains("\"format\":\"EDF+C\""))
        // Mixed sampling rates cannot be filtered as one matrix: a clear error, not a wrong number.
        let mixed = try CLITests.run(["filter", Self.edf + "/mnepy_test_uneven_samp.edf", "--out", d + "/m.h5", "--l-freq", "1"])
        #expect(mixed.status != 0 && mixed.stderr.contains("different sampling rates"))
    }
}

struct DSPCLIEventsTests {
    @Test func epochsFromABIDSEventsTableWithReference() throws {
        let d = try DSPCLITests.tempDir()
        let tsv = "onset\tduration\ttrial_type\n4.2\t4.1\tleft\n12.5\t4.1\tright\n124.0\t4.1\tleft\n"
        try tsv.write(toFile: d + "/sub-07_events.tsv", atomically: true, encoding: .utf8)
        let r = try CLITests.run(["epochs", DSPCLITests.edf + "/S001R04.edf", "--events", "left,right", "--events-file", d + "/sub-07_events.tsv",
                                  "--tmin", "-0.5", "--tmax", "1", "--reference", "average", "--out", d + "/e.h5", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try JSONValue.parse(r.stdout).serialized()
        #expect(s.contains("\"trials\":2") && s.contains("\"dropped\":1") && s.contains("\"left\":1") && s.contains("\"right\":1"))
        try "onset\tlabel\n1\tx\n".write(toFile: d + "/bad.tsv", atomically: true, encoding: .utf8)
        let bad = try CLITests.run(["epochs", DSPCLITests.edf + "/S001R04.edf", "--events", "x", "--events-file", d + "/bad.tsv",
                                    "--tmin", "0", "--tmax", "1", "--out", d + "/b.h5", "--json"])
        #expect(bad.status != 0 && bad.stdout.contains("trial_type"))
    }
}

struct RiemannCLITests {
    /// Epochs of EEGMMIDB S001R04 (8 sensorimotor channels, 8–35 Hz) made through the CLI itself.
    static func epochs(_ d: String) throws -> String {
        let f = try CLITests.run(["filter", DSPCLITests.edf + "/S001R04.edf", "--out", d + "/f.h5", "--l-freq", "8", "--h-freq", "35",
                                  "--channels", "C3*,Cz*,C4*,Fc3*,Fc4*,Cp3*,Cp4*,Fcz*"])
        #expect(f.status == 0, "\(f.stderr)")
        let e = try CLITests.run(["epochs", d + "/f.h5", "--events", "T1,T2", "--tmin", "0", "--tmax", "4", "--out", d + "/e.h5"])
        #expect(e.status == 0, "\(e.stderr)")
        return d + "/e.h5"
    }

    @Test func covarianceWritesItsLayoutWithMeanAndTangentVectors() throws {
        let d = try DSPCLITests.tempDir()
        let ep = try Self.epochs(d)
        let r = try CLITests.run(["covariance", "--epochs", ep, "--out", d + "/c.h5", "--order", "2", "--lag", "3", "--mean", "--tangent", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let info = try SchemaConformanceTests.info(d + "/c.h5")
        #expect(try SchemaConformanceTests.validator("hdf5-covariances.schema.json").validate(info) == [])
        let s = info.serialized()
        #expect(s.contains("\"shape\":[15,16,16]") && s.contains("\"shape\":[15,136]") && s.contains("\"mean_converged\":1"))
    }

    @Test func classifyReportsFoldsAndMeans() throws {
        let d = try DSPCLITests.tempDir()
        let ep = try Self.epochs(d)
        let r = try CLITests.run(["classify", "--epochs", ep, "--pipeline", "acm-ts-lr", "--order", "2", "--lag", "2", "--cv", "stratified:3",
                                  "--out", d + "/r.json", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let v = try JSONValue.parse(r.stdout)
        let s = v.serialized()
        for key in ["\"pipeline\":\"acm-ts-lr\"", "\"folds\":[", "\"test_indices\"", "\"balanced_accuracy\"", "\"auc\"", "\"order\":2", "\"lag\":2"] {
            #expect(s.contains(key), "missing \(key)")
        }
        #expect(try String(contentsOfFile: d + "/r.json", encoding: .utf8).contains("acm-ts-lr"))
        let bad = try CLITests.run(["classify", "--epochs", ep, "--pipeline", "acm-mdm", "--order", "300", "--lag", "3", "--json"])
        #expect(bad.status != 0 && bad.stdout.contains("order/lag"))
        let noGroups = try CLITests.run(["classify", "--epochs", ep, "--pipeline", "mdm", "--cv", "group", "--json"])
        #expect(noGroups.status != 0 && noGroups.stdout.contains("groups"))
    }
}

struct CrossRunCLITests {
    @Test func groupByFileGivesOneGroupPerRun() throws {
        let d = try DSPCLITests.tempDir()
        let r = try CLITests.run(["epochs", DSPCLITests.edf + "/S001R04.edf", DSPCLITests.edf + "/S001R06.edf", "--events", "T1,T2", "--tmin", "0",
                                  "--tmax", "2", "--channels", "C3*,C4*,Cz*", "--group-by", "file", "--out", d + "/e.h5"])
        #expect(r.status == 0, "\(r.stderr)")
        let c = try CLITests.run(["classify", "--epochs", d + "/e.h5", "--pipeline", "mdm", "--cv", "group", "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let folds = try JSONValue.parse(c.stdout).serialized()
        #expect(folds.components(separatedBy: "\"test_indices\"").count == 3, "two runs → two folds")
    }
}

/// `neuropipe run`'s output: a redrawn progress bar on a terminal, plain lines otherwise.
struct RunProgressTests {
    @Test func progressBarOnATerminalPlainLinesOtherwise() throws {
        let script = "/usr/bin/script"  // util-linux: runs a command under a pseudo-terminal
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux script(1) is needed to give the run a terminal")
        let d = try DSPCLITests.tempDir()
        try FileManager.default.createDirectory(atPath: d + "/bids/sub-01/eeg", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: DSPCLITests.edf + "/S001R04.edf", toPath: d + "/bids/sub-01/eeg/sub-01_task-mi_eeg.edf")
        try "name: p\nstages:\n  - id: bands\n    uses: bandpower\n    with: {channels: \"C3*\"}\n    from: {recording: input}\n"
            .write(toFile: d + "/p.yaml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = ["-qec", "'\(CLITests.binary)' run '\(d)/p.yaml' --bids '\(d)/bids' --out '\(d)/tty'", "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains("\r[") && text.contains("] 1/1  ran 1  cached 0  failed 0"), "redrawn bar: \(text.debugDescription)")
        let plain = try CLITests.run(["run", d + "/p.yaml", "--bids", d + "/bids", "--out", d + "/plain"])
        #expect(plain.status == 0 && !(plain.stdout + plain.stderr).contains("\r"))
        #expect((plain.stdout + plain.stderr).contains("ran     bands [sub-01_task-mi_eeg]"))
    }
}

/// Inputs named in the spec itself (resolved against the spec's folder), overridden by --bids/--input.
struct SpecInputsTests {
    @Test func specNamesItsDatasetAndFlagsOverrideIt() throws {
        let d = try DSPCLITests.tempDir()
        for (sub, src) in [("01", "S001R04.edf"), ("02", "S001R06.edf")] {
            try FileManager.default.createDirectory(atPath: d + "/study/bids/sub-\(sub)/eeg", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: DSPCLITests.edf + "/" + src, toPath: d + "/study/bids/sub-\(sub)/eeg/sub-\(sub)_task-mi_eeg.edf")
        }
        try FileManager.default.createDirectory(atPath: d + "/flat", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: DSPCLITests.edf + "/S001R04.edf", toPath: d + "/flat/sub-07_eeg.edf")
        try FileManager.default.copyItem(atPath: DSPCLITests.edf + "/S001R06.edf", toPath: d + "/flat/sub-08_eeg.edf")
        let stages = "stages:\n  - id: bands\n    uses: bandpower\n    with: {channels: \"C3*\"}\n    from: {recording: input}\n"
        try ("inputs: {bids: bids}\n" + stages).write(toFile: d + "/study/p.yaml", atomically: true, encoding: .utf8)
        let r = try CLITests.run(["run", d + "/study/p.yaml", "--out", d + "/o1", "--json"])
        #expect(try r.status == 0 && JSONValue.parse(r.stdout).member("recordings")?.doubleValue == 2, "\(r.stdout) \(r.stderr)")
        // --input overrides the spec's dataset; --participant-label filters a plain folder too.
        let f = try CLITests.run(["run", d + "/study/p.yaml", "--input", d + "/flat", "--participant-label", "08", "--out", d + "/o2", "--json"])
        #expect(try f.status == 0 && JSONValue.parse(f.stdout).member("recordings")?.doubleValue == 1, "\(f.stdout) \(f.stderr)")
        #expect(FileManager.default.fileExists(atPath: d + "/o2/sub-08"))
        // Two kinds of input in one spec is an error naming the field.
        try ("inputs: {bids: bids, files: [x.edf]}\n" + stages).write(toFile: d + "/study/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try CLITests.run(["validate", d + "/study/bad.yaml", "--json"])
        #expect(bad.status != 0 && bad.stdout.contains("inputs") && bad.stdout.contains("not bids and files"), "\(bad.stdout)")
    }
}

/// A broken recording fails only its own participant; the run exits non-zero naming it; --fail-fast stops early.
struct RunFailureTests {
    @Test func oneBadRecordingDoesNotStopTheOthersUnlessFailFast() throws {
        let d = try DSPCLITests.tempDir()
        for sub in ["01", "02", "03"] {
            try FileManager.default.createDirectory(atPath: d + "/bids/sub-\(sub)/eeg", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: DSPCLITests.edf + "/S001R04.edf", toPath: d + "/bids/sub-\(sub)/eeg/sub-\(sub)_task-mi_eeg.edf")
        }
        // sub-02: header cut short.
        let bad = d + "/bids/sub-02/eeg/sub-02_task-mi_eeg.edf"
        try Data(try Data(contentsOf: URL(fileURLWithPath: bad)).prefix(300)).write(to: URL(fileURLWithPath: bad))
        try "stages:\n  - id: bands\n    uses: bandpower\n    with: {channels: \"C3*\"}\n    from: {recording: input}\n  - id: table\n    uses: concat-tables\n    from: {tables: bands.table}\n"
            .write(toFile: d + "/p.yaml", atomically: true, encoding: .utf8)
        let r = try CLITests.run(["run", d + "/p.yaml", "--bids", d + "/bids", "--out", d + "/o", "--jobs", "1", "--json"])
        #expect(r.status != 0)
        let v = try JSONValue.parse(r.stdout)
        let failed = v.member("failed")?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(failed.contains { $0.hasPrefix("bands sub-02_task-mi_eeg: ") && $0.contains("sub-02_task-mi_eeg.edf") }, "\(failed)")
        #expect(failed.contains { $0.hasPrefix("table group: ") && $0.contains("1 recording(s) failed") }, "\(failed)")
        for ok in ["01", "03"] { #expect(FileManager.default.fileExists(atPath: d + "/o/sub-\(ok)/eeg/sub-\(ok)_task-mi_eeg_desc-bands_table.tsv")) }
        // --fail-fast with one job: nothing after sub-02 starts.
        let ff = try CLITests.run(["run", d + "/p.yaml", "--bids", d + "/bids", "--out", d + "/ff", "--jobs", "1", "--fail-fast", "--json"])
        #expect(ff.status != 0)
        #expect(!FileManager.default.fileExists(atPath: d + "/ff/sub-03"), "sub-03 never ran")
        // --participant-label on a BIDS dataset: only the named participant.
        let one = try CLITests.run(["run", d + "/p.yaml", "--bids", d + "/bids", "--out", d + "/one", "--participant-label", "03", "--json"])
        #expect(try one.status == 0 && JSONValue.parse(one.stdout).member("recordings")?.doubleValue == 1, "\(one.stdout)")
    }
}
