import Foundation
import NeuroCore
import Testing

/// The `neuropipe` executable as scripts use it: exit codes, stdout JSON, stderr one-liners, --help on every verb.
struct CLITests {
    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" { dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
        return dir.appendingPathComponent("neuropipe").path
    }()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    struct Result { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func versionAndHelpOnEveryVerb() throws {
        let v = try Self.run(["--version"])
        #expect(v.status == 0 && v.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        for verb in [[], ["info"], ["convert"]] {
            let h = try Self.run(verb + ["--help"])
            #expect(h.status == 0, "\(verb) --help")
            #expect(h.stdout.contains("USAGE"), "\(verb) --help prints usage")
        }
    }

    @Test func infoJSONWithStats() throws {
        let r = try Self.run(["info", Self.fixtures + "/edf/mnepy_test_uneven_samp.edf", "--json", "--stats"])
        #expect(r.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(obj["format"] as? String == "EDF")
        #expect(obj["start"] as? String == "2000-07-13T12:05:48.0")
        let chans = obj["channels"] as! [[String: Any]]
        #expect(chans.map { $0["sfreq"] as! Double } == [100, 12.8])
        let stats = chans[0]["stats"] as! [String: Double]
        #expect(stats["max"]! > stats["min"]!)
        #expect((obj["segments"] as! [[String: Double]]) == [["onset": 0, "duration": 110]])
    }

    @Test func humanReadableSummary() throws {
        let r = try Self.run(["info", Self.fixtures + "/edf/mtd_EDF_subsecond_starttime.edf"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("EDF+C") && r.stdout.contains("2020-01-24T04:05:56.3945312") && r.stdout.contains("XLSpike"))
    }

    @Test func errorsAreOneLineAndJSON() throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("np-cli-\(getpid()).edf")
        try Data(("0       " + String(repeating: " ", count: 176) + "9999    " + String(repeating: " ", count: 64)).utf8).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        let r = try Self.run(["info", bad.path, "--json"])
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("neuropipe: error: \(bad.path): "))
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: [String: String]]
        #expect(obj["error"]?["file"] == bad.path)
        #expect(obj["error"]?["field"] == "number of bytes in header record" || obj["error"]?["field"] == "number of data records"
                || obj["error"]?["field"] == "number of signals" || obj["error"]?["field"] == "duration of a data record")
        let missing = try Self.run(["info", "/nonexistent.edf"])
        #expect(missing.status != 0 && missing.stdout.isEmpty && missing.stderr.contains("/nonexistent.edf"))
    }

    @Test func convertWritesBDFAndRefusesUnknownExtensions() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("np-cli-conv-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.bdf").path
        let r = try Self.run(["convert", Self.fixtures + "/edf/mtd_EDF_test_utf8_annotations.edf", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let info = try Self.run(["info", out, "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any]
        #expect(obj["format"] as? String == "BDF+C")
        #expect((obj["annotations"] as! [[String: Any]]).contains { $0["text"] as? String == "仰卧" })
        let bad = try Self.run(["convert", Self.fixtures + "/edf/mnepy_test.edf", dir.appendingPathComponent("x.txt").path])
        #expect(bad.status != 0 && bad.stderr.contains("expected .edf, .bdf or .h5"))
    }
}

/// The CLI's JSON matches the documented layouts in data-schemas/, checked with NeuroCore's validator.
struct SchemaConformanceTests {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data-schemas")

    static func validator(_ name: String) throws -> JSONSchemaValidator {
        JSONSchemaValidator(schema: try JSONValue.parse(String(contentsOf: schemas.appendingPathComponent(name), encoding: .utf8)))
    }

    static func info(_ path: String) throws -> JSONValue {  // --stats too, so every dataset is read
        let r = try CLITests.run(["info", path, "--json", "--stats"])
        #expect(r.status == 0, "info \(path): \(r.stderr)")
        return try JSONValue.parse(r.stdout)
    }

    @Test(arguments: ["edf/mtd_EDF_subsecond_starttime.edf", "edf/mtd_NihonKohden_MB0400FU_edfplusD.EDF", "edf/wfdb_test_edfann.edf",
                      "edf/mnepy_test_bdf_stim_channel.bdf"])
    func edfInfoMatchesSchema(file: String) throws {
        #expect(try Self.validator("info-edf.schema.json").validate(Self.info(CLITests.fixtures + "/" + file)) == [])
    }

    @Test(arguments: ["nifti/nibabel_functional.nii", "nifti/nibabel_example_nifti2.nii.gz", "nifti/nipype_ds003_sub-01_mc.nii.gz",
                      "nifti/nibabel_anatomical.nii"])
    func niftiInfoMatchesSchema(file: String) throws {
        #expect(try Self.validator("info-nifti.schema.json").validate(Self.info(CLITests.fixtures + "/" + file)) == [])
    }

    @Test(arguments: ["hdf5/test_raw_h5.set", "hdf5/mtd_NIRx_aurora_2022-05-23_004.snirf", "hdf5-edge/types_and_attributes.h5",
                      "hdf5/pynwb_2.2.0_subject_no_age__reference.nwb"])
    func hdf5InfoMatchesSchema(file: String) throws {
        let v = try Self.info(CLITests.fixtures + "/" + file)
        #expect(try Self.validator("info-hdf5.schema.json").validate(v) == [])
    }

    @Test(arguments: ["epochs", "spectra", "covariances", "srm", "features"])
    func layoutExamplesMatchTheirSchemas(layout: String) throws {
        let v = try Self.info(Self.schemas.appendingPathComponent("examples/\(layout).h5").path)
        #expect(try Self.validator("hdf5-\(layout).schema.json").validate(v) == [])
        // And the schemas discriminate: an example never satisfies another layout's schema.
        let other = layout == "epochs" ? "spectra" : "epochs"
        #expect(try !Self.validator("hdf5-\(other).schema.json").validate(v).isEmpty)
    }

    @Test(arguments: [("golden/nifti-hdf5-written/functional.h5", "voxels"), ("golden/nifti-hdf5-written/haxby_run001_brain.h5", "voxels"),
                      ("golden/nifti-hdf5-written/uneven_samp.h5", "continuous"), ("golden/nifti-hdf5-written/S001R04.h5", "continuous")])
    func convertOutputsMatchTheirLayouts(file: String, layout: String) throws {
        let v = try Self.info(CLITests.fixtures + "/" + file)
        #expect(try Self.validator("hdf5-\(layout).schema.json").validate(v) == [])
    }

    @Test func errorMatchesSchema() throws {
        let r = try CLITests.run(["info", "/nonexistent.edf", "--json"])
        let v = try Self.validator("error.schema.json")
        #expect(v.validate(try JSONValue.parse(r.stdout)) == [])
        #expect(!v.validate(.object([("error", .object([("file", .string("x"))]))])).isEmpty, "the validator itself can fail")
    }
}
