import Foundation
import NeuroCore
import NeuroIO

/// An outcome column read from a table (`participants.tsv:COLUMN`, or a `y.tsv` with one value column), with the
/// participant ids when the table has them, plus covariate columns from the same table.
public struct OutcomeTable {
    public let path: String
    public let column: String
    public let ids: [String]?
    /// Raw cells of the outcome column (missing spelled `n/a`).
    public let cells: [String]
    let table: TSVTable

    /// `spec` is `PATH:COLUMN`, or `PATH` when the table has exactly one column besides participant_id.
    public init(spec: String) throws {
        var path = spec, column: String? = nil
        if let colon = spec.lastIndex(of: ":"), !FileManager.default.fileExists(atPath: spec) {
            path = String(spec[..<colon])
            column = String(spec[spec.index(after: colon)...])
        }
        let table = try TSVTable(path: path)
        let idColumn = table.header.firstIndex { $0 == "participant_id" || $0 == "sample_id" }
        let chosen: Int
        if let column {
            chosen = try table.column(column)
        } else {
            let others = table.header.indices.filter { $0 != idColumn }
            guard others.count == 1 else {
                throw InputError(file: path, field: "columns", message: "has \(others.count) value columns (\(others.map { table.header[$0] }.joined(separator: ", "))); name one as \(path):COLUMN")
            }
            chosen = others[0]
        }
        self.path = path
        self.column = table.header[chosen]
        ids = idColumn.map { c in table.rows.map { $0[c] } }
        cells = table.rows.map { $0[chosen] }
        self.table = table
    }

    /// The outcome of the source's samples and the indices of the samples that have one. Samples are matched by id
    /// when both sides have ids (every feature sample must appear in the table), else by position (equal counts).
    public func align(to source: FeatureSource, kind: OutcomeKind?) throws -> (outcome: Outcome, rows: [Int]) {
        let matched = try matchedRows(source)
        var rows = [Int](), cellsUsed = [String]()
        for (sample, row) in matched.enumerated() where !TSVTable.isMissing(cells[row]) {
            rows.append(sample)
            cellsUsed.append(cells[row])
        }
        guard rows.count >= 3 else {
            throw InputError(file: path, field: column, message: "only \(rows.count) samples have a value; screening needs at least 3")
        }
        let numeric = cellsUsed.compactMap(Double.init)
        let isNumeric = numeric.count == cellsUsed.count
        let distinct = Set(cellsUsed).count
        if kind == nil, !isNumeric, distinct > max(20, cellsUsed.count / 2) {
            // Mostly distinct text is a broken number column, not hundreds of classes.
            let bad = cellsUsed.first { Double($0) == nil }!
            throw InputError(file: path, field: column, message: "'\(bad)' is not a number and \(distinct) of \(cellsUsed.count) values differ; expected numbers (or class labels, then say --outcome-type categorical)")
        }
        let resolved = kind ?? (!isNumeric ? (distinct == 2 ? .binary : .categorical) : (distinct == 2 ? .binary : .continuous))
        if resolved == .continuous {
            guard isNumeric else {
                let bad = cellsUsed.first { Double($0) == nil }!
                throw InputError(file: path, field: column, message: "'\(bad)' is not a number; a continuous outcome needs numbers (or choose --outcome-type binary|categorical)")
            }
            guard numeric.allSatisfy(\.isFinite) else {
                throw InputError(file: path, field: column, message: "contains a non-finite value; expected finite numbers")
            }
            return (Outcome(continuous: numeric), rows)
        }
        return (try Outcome(labels: cellsUsed, kind: resolved), rows)
    }

    /// Covariate columns for the source's samples `[samples × columns]`: numeric columns as they are, text columns
    /// (e.g. sex) dummy-coded with the first level (sorted) as reference. Missing values become NaN.
    public func covariates(_ names: [String], for source: FeatureSource) throws -> (matrix: Matrix, columns: [String]) {
        let matched = try matchedRows(source)
        var columns = [[Double]](), labels = [String]()
        for name in names {
            let c = try table.column(name)
            let values = matched.map { table.rows[$0][c] }
            let present = values.filter { !TSVTable.isMissing($0) }
            if present.allSatisfy({ Double($0) != nil }) {
                columns.append(values.map { TSVTable.isMissing($0) ? .nan : Double($0)! })
                labels.append(name)
            } else {
                let levels = Array(Set(present)).sorted()
                guard levels.count >= 2 else {
                    throw InputError(file: path, field: name, message: "has a single level (\(levels.first ?? "none")); a covariate must vary")
                }
                for level in levels.dropFirst() {
                    columns.append(values.map { TSVTable.isMissing($0) ? .nan : ($0 == level ? 1 : 0) })
                    labels.append("\(name)=\(level)")
                }
            }
        }
        let n = source.sampleCount
        var storage = [Double](repeating: 0, count: n * columns.count)
        for (j, col) in columns.enumerated() { for i in 0..<n { storage[i * columns.count + j] = col[i] } }
        return (Matrix(rows: n, cols: columns.count, storage: storage), labels)
    }

    /// For each source sample, its row in the table.
    func matchedRows(_ source: FeatureSource) throws -> [Int] {
        if let ids, let sourceIDs = source.sampleIDs {
            let index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            let absent = sourceIDs.filter { index[$0] == nil }
            guard absent.isEmpty else {
                throw InputError(file: path, field: "participant_id", message: "has no row for \(absent.count) sample(s) of \(source.origin): \(absent.prefix(5).joined(separator: ", "))")
            }
            return sourceIDs.map { index[$0]! }
        }
        guard cells.count == source.sampleCount else {
            throw InputError(file: path, field: column, message: "has \(cells.count) rows but \(source.origin) has \(source.sampleCount) samples and no ids to match them by")
        }
        return Array(0..<cells.count)
    }
}
