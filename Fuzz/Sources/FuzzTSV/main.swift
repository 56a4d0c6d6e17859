import FuzzShared
import NeuroIO
import NeuroScreen

// participants.tsv and feature tables: the TSV reader, outcome columns and the participant-table widening.
runFuzzer { bytes in
    let path = Scratch.file(bytes, name: "participants.tsv")
    guard let table = try? TSVTable(path: path) else { return }
    if let source = try? MatrixFeatureSource.participantTable(table), let outcome = try? OutcomeTable(spec: path) {
        _ = try? outcome.align(to: source, kind: nil)
    }
}
