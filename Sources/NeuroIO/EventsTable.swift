import Foundation
import NeuroCore

/// Events from a BIDS-style events table: tab-separated with a header; `onset` (s) required, label from
/// `trial_type` (else `value`), optional `duration`. `n/a` cells are missing values.
public enum EventsTable {
    public static func read(path: String) throws -> [Annotation] {
        let file = try ReadOnlyFile(path: path)
        guard file.size <= 256 << 20 else { throw InputError(file: path, field: "file", message: "events table larger than 256 MB") }
        guard let text = String(validating: try file.read(at: 0, count: file.size, field: "file"), as: UTF8.self) else {
            throw InputError(file: path, field: "file", message: "not UTF-8 text")
        }
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        guard !lines.isEmpty else { throw InputError(file: path, field: "header", message: "empty file; expected a header with onset and trial_type") }
        let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard let onsetCol = header.firstIndex(of: "onset") else {
            throw InputError(file: path, field: "header", message: "no onset column; columns are \(header)")
        }
        guard let labelCol = header.firstIndex(of: "trial_type") ?? header.firstIndex(of: "value") else {
            throw InputError(file: path, field: "header", message: "no trial_type or value column; columns are \(header)")
        }
        let durCol = header.firstIndex(of: "duration")
        return try lines.enumerated().map { (i, line) in
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else {
                throw InputError(file: path, field: "line \(i + 2)", message: "\(cells.count) cells; expected \(header.count)")
            }
            guard let onset = Double(cells[onsetCol]), onset.isFinite else {
                throw InputError(file: path, field: "line \(i + 2) onset", message: "got \"\(cells[onsetCol])\"; expected seconds")
            }
            let d = durCol.flatMap { Double(cells[$0]) }
            return Annotation(onset: onset, duration: d, text: cells[labelCol])
        }
    }
}
