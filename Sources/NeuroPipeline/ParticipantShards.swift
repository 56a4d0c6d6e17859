import Foundation
import NeuroCore

/// Slices of the participant level for schedulers: every recording of a participant stays in one slice, and
/// participants are numbered in sorted order so every process (array task, shard) agrees on the numbering.
public enum ParticipantShards {
    /// Participants in the order tasks are numbered.
    public static func participants(_ units: [RecordingUnit]) -> [String] { Array(Set(units.map(\.participant))).sorted() }

    /// Shard `index` (1-based) of `count`: participants at sorted positions p with p mod count = index − 1.
    public static func shard(_ units: [RecordingUnit], index: Int, of count: Int) throws -> [RecordingUnit] {
        guard count >= 1, (1...count).contains(index) else {
            throw InputError(file: "", field: "--shard", message: "expected i/N with 1 ≤ i ≤ N, got \(index)/\(count)")
        }
        let mine = Set(participants(units).enumerated().filter { $0.offset % count == index - 1 }.map(\.element))
        return units.filter { mine.contains($0.participant) }
    }

    /// The recordings of participant number `index` (0-based, sorted), as a Slurm array task selects them.
    public static func participant(_ units: [RecordingUnit], index: Int) throws -> [RecordingUnit] {
        let all = participants(units)
        guard all.indices.contains(index) else {
            throw InputError(file: "", field: "--participant-index", message: "is \(index); the dataset has \(all.count) participant(s), numbered 0…\(all.count - 1)")
        }
        return units.filter { $0.participant == all[index] }
    }
}
