import Foundation
import NeuroCore
import NeuroIO
import NeuroLearn

/// A SYNTHETIC resting-state fMRI BIDS dataset for demos and tests: per participant a 4-D image of 12×10×8 voxels
/// (4 mm) with 8 regions of 3×6×4-voxel blocks (`atlas.nii.gz` at the dataset root, labels 1–8), region signals
/// from two AR(1) networks (regions 1–4 "default mode", 5–8 "salience"), voxel noise. MCI participants have weaker
/// within-default-mode coupling (0.45 instead of 0.7 of the shared signal) and less persistent dynamics (AR
/// coefficient 0.75 instead of 0.85); the groups overlap through per-participant variability. Not data of people.
public struct FMRICohortSimulator: Sendable {
    public var participants: Int
    public var volumes: Int
    public var seed: UInt64
    public static let grid = [12, 10, 8]
    public static let tr = 2.0

    public init(participants: Int, volumes: Int = 150, seed: UInt64 = 0) {
        self.participants = participants
        self.volumes = volumes
        self.seed = seed
    }

    /// Region label (1–8) of each voxel (x fastest), 0 outside the regions: two layers of four 3×6×4 blocks.
    public static func atlas() -> [Double] {
        var labels = [Double](repeating: 0, count: grid.reduce(1, *))
        for z in 0..<grid[2] { for y in 0..<grid[1] { for x in 0..<grid[0] {
            let region = (x / 3) + 4 * (z / 4) + 1
            if y >= 2 && y < 8 { labels[x + grid[0] * (y + grid[1] * z)] = Double(region) }
        } } }
        return labels
    }

    @discardableResult
    public func write(to root: String) throws -> [(id: String, group: String)] {
        guard participants >= 2 else { throw InputError(file: root, field: "--subjects", message: "need at least 2 participants, got \(participants)") }
        guard volumes >= 20 else { throw InputError(file: root, field: "--volumes", message: "need at least 20 volumes, got \(volumes)") }
        let fm = FileManager.default
        guard !fm.fileExists(atPath: root + "/participants.tsv") else {
            throw InputError(file: root, field: "--out", message: "already holds a dataset (participants.tsv); choose an empty folder")
        }
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        let affine: [[Double]] = [[4, 0, 0, -24], [0, 4, 0, -20], [0, 0, 4, -16], [0, 0, 0, 1]]
        var atlasOptions = NIfTIWriter.Options()
        atlasOptions.datatype = .int16
        try NIfTIWriter.write(Self.atlas(), shape: Self.grid, affine: affine, to: root + "/atlas.nii.gz", options: atlasOptions)
        let labels = Self.atlas()
        var rng = SplitMix(seed: seed)
        var rows = [[String]](), people = [(id: String, group: String)]()
        for i in 0..<participants {
            let mci = i % 2 == 1
            let id = String(format: "sub-%03d", i + 1)
            let age = (mci ? 73 : 69) + 6 * rng.gaussian()
            let sex = rng.uniform() < 0.5 ? "F" : "M"
            rows.append([id, String(format: "%.1f", age), sex, mci ? "MCI" : "control"])
            people.append((id, mci ? "MCI" : "control"))
            var prng = SplitMix(seed: seed, stream: UInt64(i + 1))
            let coupling = max(0.1, (mci ? 0.45 : 0.7) + 0.12 * prng.gaussian())
            let persistence = min(0.95, max(0.3, (mci ? 0.75 : 0.85) + 0.05 * prng.gaussian()))
            func ar1(_ phi: Double) -> [Double] {
                var v = [Double](repeating: 0, count: volumes), previous = prng.gaussian()
                for t in 0..<volumes { previous = phi * previous + (1 - phi * phi).squareRoot() * prng.gaussian(); v[t] = previous }
                return v
            }
            let networks = [ar1(persistence), ar1(0.85)]
            let regions = (0..<8).map { r -> [Double] in
                let own = ar1(persistence)
                let share = r < 4 ? coupling : 0.6
                return (0..<volumes).map { share * networks[r < 4 ? 0 : 1][$0] + (1 - share * share).squareRoot() * own[$0] }
            }
            let voxels = labels.count
            var data = [Double](repeating: 0, count: voxels * volumes)
            for t in 0..<volumes {
                for v in 0..<voxels {
                    let label = Int(labels[v])
                    data[t * voxels + v] = 1000 + (label > 0 ? 8 * regions[label - 1][t] : 0) + 6 * prng.gaussian()
                }
            }
            let folder = root + "/\(id)/func"
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var options = NIfTIWriter.Options()
            options.tr = Self.tr
            try NIfTIWriter.write(data, shape: Self.grid + [volumes], affine: affine, to: folder + "/\(id)_task-rest_bold.nii.gz", options: options)
            try TableWriter.writeJSON(.object([("TaskName", .string("rest")), ("RepetitionTime", .number(Self.tr)),
                                               ("Manufacturer", .string("NeuroPipe simulator (synthetic data)"))]), to: folder + "/\(id)_task-rest_bold.json")
        }
        try TableWriter.writeTSV(header: ["participant_id", "age", "sex", "group"], rows: rows, to: root + "/participants.tsv")
        try TableWriter.writeJSON(.object([("Name", .string("SYNTHETIC resting-state fMRI cohort (MCI vs control), not data of people")), ("BIDSVersion", .string("1.9.0")),
                                           ("DatasetType", .string("raw")), ("License", .string("CC0")),
                                           ("GeneratedBy", .array([.object([("Name", .string("neuropipe simulate fmri-cohort")), ("Version", .string(NeuroPipeVersion.current))])]))]),
                                  to: root + "/dataset_description.json")
        try "Synthetic data written by `neuropipe simulate fmri-cohort --subjects \(participants) --seed \(seed)`: not recordings of people. atlas.nii.gz labels the 8 simulated regions.\n"
            .write(toFile: root + "/README", atomically: true, encoding: .utf8)
        return people
    }
}
