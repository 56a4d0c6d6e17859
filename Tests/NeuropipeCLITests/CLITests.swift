import Foundation
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

/// The CLI's JSON matches the documented layouts in data-schemas/ (required keys, no undocumented keys).
struct SchemaConformanceTests {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data-schemas")

    static func schema(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: schemas.appendingPathComponent(name))) as! [String: Any]
    }

    /// Checks `value` against the subset of JSON Schema used in data-schemas: type, required, properties,
    /// additionalProperties=false, items, enum.
    static func check(_ value: Any, _ schema: [String: Any], path: String = "$") -> [String] {
        var problems = [String]()
        if let e = schema["enum"] as? [String], !(e.contains(value as? String ?? "\u{0}")) { problems.append("\(path): not in enum") }
        if let obj = value as? [String: Any] {
            for r in schema["required"] as? [String] ?? [] where obj[r] == nil { problems.append("\(path): missing \(r)") }
            let props = schema["properties"] as? [String: [String: Any]] ?? [:]
            for (k, v) in obj {
                if let s = props[k] { problems += check(v, s, path: path + "." + k) } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): undocumented key \(k)")
                }
            }
        } else if let arr = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, v) in arr.enumerated() { problems += check(v, items, path: "\(path)[\(i)]") }
        }
        return problems
    }

    @Test(arguments: ["edf/mtd_EDF_subsecond_starttime.edf", "edf/mtd_NihonKohden_MB0400FU_edfplusD.EDF", "edf/wfdb_test_edfann.edf",
                      "edf/mnepy_test_bdf_stim_channel.bdf"])
    func infoMatchesSchema(file: String) throws {
        let r = try CLITests.run(["info", CLITests.fixtures + "/" + file, "--json", "--stats"])
        #expect(r.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        #expect(Self.check(obj, try Self.schema("info-edf.schema.json")) == [])
    }

    @Test func errorMatchesSchema() throws {
        let r = try CLITests.run(["info", "/nonexistent.edf", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        #expect(Self.check(obj, try Self.schema("error.schema.json")) == [])
        #expect(Self.check(["error": ["file": "x"]], try Self.schema("error.schema.json")) != [], "the checker itself can fail")
    }
}
