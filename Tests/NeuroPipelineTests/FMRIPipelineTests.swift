import Foundation
import Testing
import NeuroCore
import NeuroIO
@testable import NeuroPipeline

/// pipelines/mci-fmri.yaml end to end on a small synthetic fMRI cohort, and the atlas as a content-hashed file
/// parameter.
@Suite struct FMRIPipelineTests {
    func run(_ root: String, out: String) throws -> [StageRecord] {
        let spec = try PipelineSpec.load(path: PipelineFixtures.repo + "/pipelines/mci-fmri.yaml")
        let units = try DatasetDiscovery.bids(root: root, datatype: spec.datatype, suffix: spec.suffix, extensions: spec.extensions, participants: nil)
        let runner = try PipelineRunner(spec: spec, units: units, output: out, cacheDirectory: out + "/.cache")
        runner.log = { _ in }
        runner.sourceDataset = root
        runner.participants = try DatasetDiscovery.participantsTable(root: root)
        return try runner.run()
    }

    @Test func fmriPipelineRunsAndTheAtlasIsPartOfTheKey() throws {
        let root = try tempDirectory() + "/cohort"
        try FMRICohortSimulator(participants: 10, volumes: 60, seed: 4).write(to: root)
        let out = try tempDirectory() + "/out"
        let records = try run(root, out: out)
        #expect(!records.contains { $0.status == .failed }, "\(records.compactMap(\.error).prefix(3))")
        let results = try JSONValue.parse(String(contentsOfFile: out + "/group/recurrence_model_results.json", encoding: .utf8))
        #expect(results.member("participants") == .int(10))
        #expect(results.member("features") == .int(8 * 5), "8 regions × 5 RQA measures")
        let connectivity = try TSVTable(path: out + "/group/connectivity_table_table.tsv")
        #expect(connectivity.header == ["participant_id", "region_a", "region_b", "partial_correlation"] && connectivity.rows.count == 10 * 28)
        let rqa = try TSVTable(path: out + "/group/recurrence_table_table.tsv")
        #expect(rqa.header == ["participant_id", "region", "recurrence_rate", "determinism", "mean_diagonal_line", "laminarity", "trapping_time"])
        // Unchanged: every stage comes from the cache. An edited atlas (regions 7 and 8 merged) re-runs the
        // region stage and everything after it.
        #expect(try run(root, out: out).allSatisfy { $0.status == .cached })
        var atlas = FMRICohortSimulator.atlas()
        for k in atlas.indices where atlas[k] == 8 { atlas[k] = 7 }
        var options = NIfTIWriter.Options()
        options.datatype = .int16
        try NIfTIWriter.write(atlas, shape: FMRICohortSimulator.grid, affine: [[4, 0, 0, -24], [0, 4, 0, -20], [0, 0, 4, -16], [0, 0, 0, 1]], to: root + "/atlas.nii.gz", options: options)
        let again = try run(root, out: out)
        #expect(again.filter { $0.stage == "regions" }.allSatisfy { $0.status == .ran })
        #expect(try TSVTable(path: out + "/group/recurrence_table_table.tsv").rows.count == 10 * 7)
        // A missing atlas names the stage, the parameter and where it looked.
        try FileManager.default.removeItem(atPath: root + "/atlas.nii.gz")
        let failed = try run(root, out: out).filter { $0.status == .failed }
        #expect(!failed.isEmpty && failed.allSatisfy { ($0.error ?? "").contains("with.atlas") && ($0.error ?? "").contains("atlas.nii.gz") })
    }
}
