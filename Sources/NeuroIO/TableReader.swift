import Foundation
import NeuroCore

/// A tab-separated table (BIDS style: one header row, `n/a` for missing values).
public struct TSVTable: Sendable {
    public let path: String
    public let header: [String]
    /// `[rows][columns]`, every row as long as the header.
    public let rows: [[String]]

    /// Reads `path`; a row whose cell count differs from the header's is an error naming its line.
    public init(path: String) throws {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int {
            // Parsed cells take about 8 bytes of memory per byte of text (String storage and row arrays).
            try MemoryBudget.require(size, bytesPerValue: 8, file: path, field: "file", what: "parsing this \(size >> 20) MB table")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, field: "file", message: "cannot be read (missing or not a file)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: path, field: "encoding", message: "is not UTF-8 text; expected a tab-separated table")
        }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let first = lines.first else {
            throw InputError(file: path, field: "header", message: "the table is empty; expected a header row")
        }
        self.path = path
        header = first.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var rows = [[String]]()
        rows.reserveCapacity(lines.count - 1)
        for (i, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else {
                throw InputError(file: path, field: "line \(i + 2)", message: "has \(cells.count) cells; expected \(header.count) (one per header column)")
            }
            rows.append(cells)
        }
        self.rows = rows
    }

    /// The index of column `name`, or an error listing the columns there are.
    public func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw InputError(file: path, field: name, message: "no such column; the columns are \(header.joined(separator: ", "))")
        }
        return i
    }

    /// `true` for the missing-value spellings BIDS tables use.
    public static func isMissing(_ cell: String) -> Bool { cell.isEmpty || cell == "n/a" || cell == "NA" || cell == "NaN" || cell == "nan" }
}
