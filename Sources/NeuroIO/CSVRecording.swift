import Foundation
import NeuroCore

/// Recordings stored as CSV the way consumer-EEG tools (e.g. eeg-notebooks' Muse recordings) write them: a header
/// row; a `timestamps` column (seconds); `Marker…` columns whose non-zero values are events; every other column a
/// channel in µV. The sampling rate is (samples − 1) / (last − first timestamp), rounded to a whole number of Hz
/// (the device's nominal rate), and reported in the warnings.
public enum CSVRecording {
    public static func looksLikeCSV(_ head: [UInt8]) -> Bool {
        String(decoding: head.prefix(11), as: UTF8.self).lowercased().hasPrefix("timestamps,")
    }

    public static func read(path: String) throws -> (recording: Recording, warnings: [String]) {
        let file = try ReadOnlyFile(path: path)
        guard file.size <= 1 << 30 else { throw InputError(file: path, field: "file", message: "CSV larger than 1 GiB") }
        guard let text = String(validating: try file.read(at: 0, count: file.size, field: "file"), as: UTF8.self) else {
            throw InputError(file: path, field: "file", message: "not UTF-8 text")
        }
        var lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        guard !lines.isEmpty else { throw InputError(file: path, field: "header", message: "empty file") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard header.first?.lowercased() == "timestamps" else {
            throw InputError(file: path, field: "header", message: "first column is \"\(header.first ?? "")\"; expected timestamps")
        }
        let markerCols = header.indices.filter { header[$0].lowercased().hasPrefix("marker") }
        let channelCols = header.indices.filter { $0 != 0 && !markerCols.contains($0) }
        guard !channelCols.isEmpty, lines.count >= 2 else { throw InputError(file: path, field: "header", message: "no channel columns or fewer than 2 rows") }
        var times = [Double](), data = [[Double]](repeating: [], count: channelCols.count)
        var annotations = [(Double, String)]()
        for (i, line) in lines.enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw InputError(file: path, field: "line \(i + 2)", message: "\(cells.count) cells; expected \(header.count)")
            }
            func number(_ c: Int) throws -> Double {
                guard let v = Double(cells[c].trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw InputError(file: path, field: "line \(i + 2) \(header[c])", message: "got \"\(cells[c])\"; expected a number")
                }
                return v
            }
            times.append(try number(0))
            for (k, c) in channelCols.enumerated() { data[k].append(try number(c)) }
            for c in markerCols {
                let m = try number(c)
                if m != 0 { annotations.append((times.last!, m == m.rounded() ? String(Int(m)) : String(m))) }
            }
        }
        let duration = times.last! - times.first!
        guard duration > 0 else { throw InputError(file: path, field: "timestamps", message: "timestamps do not increase") }
        let measured = Double(times.count - 1) / duration
        let fs = measured.rounded()
        let warnings = ["sampling rate \(fs) Hz: the timestamps give \(measured) Hz, rounded to the device's nominal rate"]
        let channels = channelCols.map { ChannelInfo(label: header[$0], unit: "uV", sampleRate: fs, physicalMin: 0, physicalMax: 0, digitalMin: 0, digitalMax: 0) }
        let signal = MultichannelSignal(channels: channels, samples: data.flatMap { $0 }, counts: data.map(\.count))
        // Event onsets in samples of the nominal clock: the sample index of the marker row.
        let index = Dictionary(times.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let events = annotations.map { Annotation(onset: Double(index[$0.0]!) / fs, duration: nil, text: $0.1) }
        return (Recording(signal: signal, start: nil, annotations: events,
                          segments: [Segment(onset: 0, duration: Double(times.count) / fs, dataOffset: 0)]), warnings)
    }
}
