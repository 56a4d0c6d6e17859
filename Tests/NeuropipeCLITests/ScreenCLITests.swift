import Foundation
import NeuroCore
import Testing

/// `neuropipe screen`: files written, sidecar schema, and errors that name the file and field.
struct ScreenCLITests {
    /// A TSV feature table (participant_id + 30 features, the first tracking the score) and a participants.tsv.
    static func dataset() throws -> String {
        let dir = NSTemporaryDirectory() + "neuropipe-screen-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var features = "participant_id\t" + (0..<30).map { "f\($0)" }.joined(separator: "\t") + "\n"
        var participants = "participant_id\tscore\tgroup\tage\tsex\n"
        var state: UInt64 = 12345
        func noise() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        for i in 0..<60 {
            let score = noise() * 4
            let values = [score + 0.3 * noise()] + (1..<30).map { _ in noise() }
            features += "sub-\(i)\t" + values.map { "\($0)" }.joined(separator: "\t") + "\n"
            participants += "sub-\(i)\t\(score)\t\(score > 0 ? "MCI" : "CN")\t\(60 + i % 20)\t\(i % 2 == 0 ? "F" : "M")\n"
        }
        try features.write(toFile: dir + "/X.tsv", atomically: true, encoding: .utf8)
        try participants.write(toFile: dir + "/participants.tsv", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func screenWritesRankingAndSidecar() throws {
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLITests.run(["screen", "--features", dir + "/X.tsv", "--outcome", dir + "/participants.tsv:group", "--method", "fftkde",
                                  "--permutations", "9", "--covariates", "age,sex", "--top", "5", "--out", dir + "/ranking.tsv", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONValue.parse(r.stdout)
        #expect(summary.member("features")?.doubleValue == 30 && summary.member("samples")?.doubleValue == 60)
        let lines = try String(contentsOfFile: dir + "/ranking.tsv", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6 && lines[0] == "feature\tscore\trank\tp_value" && lines[1].hasPrefix("f0\t"))
        let sidecar = try JSONValue.parse(String(contentsOfFile: dir + "/ranking.json", encoding: .utf8))
        let validator = try SchemaConformanceTests.validator("screen-sidecar.schema.json")
        #expect(validator.validate(sidecar) == [])
        #expect(!validator.validate(.object([("method", .string("x"))])).isEmpty, "the schema can fail")
        #expect(sidecar.member("covariates") == .array([.string("age"), .string("sex=M")]))
        #expect(sidecar.member("outcome")?.member("classes") == .array([.string("CN"), .string("MCI")]))
    }

    @Test func screenHelpAndErrors() throws {
        let help = try CLITests.run(["screen", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--method") && help.stdout.contains("--permutations"))
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missingColumn = try CLITests.run(["screen", "--features", dir + "/X.tsv", "--outcome", dir + "/participants.tsv:diagnosis",
                                              "--method", "binning", "--out", dir + "/r.tsv"])
        #expect(missingColumn.status != 0)
        #expect(missingColumn.stderr.contains("participants.tsv: diagnosis: no such column"), "\(missingColumn.stderr)")
        let badMethod = try CLITests.run(["screen", "--features", dir + "/X.tsv", "--outcome", dir + "/participants.tsv:score", "--method", "mine", "--out", dir + "/r.tsv"])
        #expect(badMethod.status != 0 && badMethod.stderr.contains("--method must be one of"))
        let pearsonCategorical = try CLITests.run(["screen", "--features", dir + "/X.tsv", "--outcome", dir + "/participants.tsv:age",
                                                   "--outcome-type", "categorical", "--method", "pearson", "--out", dir + "/r.tsv", "--json"])
        #expect(pearsonCategorical.status != 0 && pearsonCategorical.stdout.contains("\"error\""))
        let noDirectory = try CLITests.run(["screen", "--features", dir + "/X.tsv", "--outcome", dir + "/participants.tsv:score", "--method", "pearson",
                                            "--out", dir + "/missing/r.tsv"])
        #expect(noDirectory.status != 0 && noDirectory.stderr.contains("missing does not exist"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.tsv"), "a failed screen writes nothing")
    }
}

/// `neuropipe srm`: simulate → fit → transform → tsm, and the model file against data-schemas/hdf5-srm.schema.json.
struct SRMCLITests {
    @Test func simulateFitTransformAndMatch() throws {
        let dir = NSTemporaryDirectory() + "neuropipe-srm-cli-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sim = try CLITests.run(["srm", "simulate", "--subjects", "4", "--voxels", "60", "--trs", "120", "--timescales", "2,6", "--out", dir + "/d.h5"])
        #expect(sim.status == 0, "\(sim.stderr)")
        let fit = try CLITests.run(["srm", "fit", "--data", dir + "/d.h5", "--k", "2", "--out", dir + "/m.h5", "--json"])
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(try JSONValue.parse(fit.stdout).member("subjects") == .int(4))
        #expect(try SchemaConformanceTests.validator("hdf5-srm.schema.json").validate(SchemaConformanceTests.info(dir + "/m.h5")) == [])
        let transform = try CLITests.run(["srm", "transform", "--model", dir + "/m.h5", "--data", dir + "/d.h5", "--out", dir + "/s.h5"])
        #expect(transform.status == 0, "\(transform.stderr)")
        let tsm = try CLITests.run(["srm", "tsm", "--data", dir + "/d.h5", "--k", "2", "--window", "5", "--json"])
        let result = try JSONValue.parse(tsm.stdout)
        #expect(tsm.status == 0 && (result.member("accuracy")?.doubleValue ?? 0) > 0.5, "\(tsm.stdout)")
        let gp = try CLITests.run(["srm", "fit", "--data", dir + "/d.h5", "--k", "2", "--model", "sgpfa", "--iter", "20", "--out", dir + "/g.h5", "--json"])
        #expect(gp.status == 0, "\(gp.stderr)")
        #expect(try JSONValue.parse(gp.stdout).member("timescales")?.arrayValue?.count == 2)
        #expect(try SchemaConformanceTests.validator("hdf5-srm.schema.json").validate(SchemaConformanceTests.info(dir + "/g.h5")) == [])
        let gpTransform = try CLITests.run(["srm", "transform", "--model", dir + "/g.h5", "--data", dir + "/d.h5", "--out", dir + "/gs.h5"])
        #expect(gpTransform.status == 0, "\(gpTransform.stderr)")
        let gpfa = try CLITests.run(["srm", "fit", "--data", dir + "/d.h5", "--k", "2", "--model", "gpfa", "--iter", "5", "--out", dir + "/x.h5"])
        #expect(gpfa.status == 0, "\(gpfa.stderr)")
        let separable = try CLITests.run(["srm", "tsm", "--data", dir + "/d.h5", "--k", "2", "--model", "sgpfa", "--noise", "separable", "--iter", "5", "--window", "5", "--json"])
        #expect(separable.status == 0, "\(separable.stderr)")
        let badNoise = try CLITests.run(["srm", "fit", "--data", dir + "/d.h5", "--k", "2", "--model", "sgpfa", "--noise", "region", "--out", dir + "/y.h5"])
        #expect(badNoise.status != 0 && badNoise.stderr.contains("--noise must be"))
        let missing = try CLITests.run(["srm", "fit", "--data", dir + "/nope.h5", "--k", "2", "--out", dir + "/x.h5"])
        #expect(missing.status != 0 && missing.stderr.contains("nope.h5"))
    }
}
