import ArgumentParser
import Foundation
import NeuroCore
import NeuroIO

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a file: EDF/BDF recordings, NIfTI images or HDF5 files.",
        discussion: "With --json, prints one object whose layout is in data-schemas/info-{edf,nifti,hdf5}.schema.json.")

    @Argument(help: "An EDF/EDF+/BDF/BDF+ recording, a NIfTI-1/2 image (.nii, .nii.gz, .hdr) or an HDF5 file.")
    var file: String

    @Flag(name: .long, help: "Add per-channel statistics of physical values (sum, sum_sq, min, max, first, last).")
    var stats = false

    @OptionGroup var output: JSONOption

    func run() throws {
        do {
            switch try FileKind.detect(path: file) {
            case .edf, .bdf:
                let reader = try EDFReader(path: file)
                let info = try reader.infoJSON(stats: stats)
                print(output.json ? info.serialized() : EDFSummary.text(reader: reader, info: info))
            case .csv:
                let (rec, warnings) = try CSVRecording.read(path: file)
                let info = JSONValue.object([("format", .string("CSV")), ("channels", .array(rec.signal.channels.map { .string($0.label) })),
                                             ("sfreq", .finite(rec.signal.channels.first?.sampleRate)), ("n_samples", .int(rec.signal.counts.first ?? 0)),
                                             ("annotations", .int(rec.annotations.count)), ("warnings", .array(warnings.map { .string($0) }))])
                print(output.json ? info.serialized() : info.serialized(pretty: true))
            case .nifti:
                let info = try NIfTIReader(path: file).infoJSON(stats: stats)
                print(output.json ? info.serialized() : info.serialized(pretty: true))
            case .hdf5:
                let info: JSONValue
                do { info = try HDF5File(path: file).infoJSON(stats: stats) } catch let e as HDF5Error { throw e.inputError }
                print(output.json ? info.serialized() : HDF5Summary.text(info))
            }
        } catch {
            exitWithError(error, json: output.json)
        }
    }
}

/// The human-readable `info` table.
enum EDFSummary {
    static func text(reader: EDFReader, info: JSONValue) -> String {
        var lines = [String]()
        lines.append("File        \(reader.path)")
        lines.append("Format      \(reader.format.rawValue)")
        lines.append("Start       \(reader.start?.iso8601 ?? "unknown")")
        lines.append("Duration    \(reader.duration) s (\(reader.recordCount) records × \(reader.header.recordDuration) s)")
        lines.append("Patient     \(reader.header.patient)")
        lines.append("Recording   \(reader.header.recordingID)")
        lines.append("Segments    \(reader.segments.count)")
        lines.append("Annotations \(reader.annotations.count)")
        lines.append("")
        let header = ["#", "label", "unit", "sfreq", "samples", "physical range", "digital range"]
        var rows = [header]
        for (i, c) in reader.channels.enumerated() {
            rows.append([String(i), c.label, c.unit, formatNumber(c.sampleRate), String(reader.sampleCount(channel: i)),
                         "\(formatNumber(c.physicalMin))…\(formatNumber(c.physicalMax))", "\(c.digitalMin)…\(c.digitalMax)"])
        }
        let widths = header.indices.map { col in rows.map { $0[col].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        if !reader.annotations.isEmpty {
            lines.append("")
            for a in reader.annotations.prefix(20) {
                lines.append("  \(formatNumber(a.onset)) s  \(a.duration.map { formatNumber($0) + " s" } ?? "-")  \(a.text)")
            }
            if reader.annotations.count > 20 { lines.append("  … \(reader.annotations.count - 20) more (use --json)") }
        }
        for w in reader.warnings { lines.append("warning: \(w)") }
        return lines.joined(separator: "\n")
    }

    static func formatNumber(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e12 ? String(Int(v)) : String(v)
    }
}

/// The human-readable HDF5 listing: one line per object.
enum HDF5Summary {
    static func text(_ info: JSONValue) -> String {
        guard case .object(let top) = info, case .array(let objects)? = top.first(where: { $0.0 == "objects" })?.1 else { return info.serialized(pretty: true) }
        return objects.map { o -> String in
            guard case .object(let m) = o else { return "" }
            func get(_ k: String) -> JSONValue? { m.first { $0.0 == k }?.1 }
            var line = ""
            if case .string(let p)? = get("path") { line = p }
            if case .string(let d)? = get("dtype"), let shape = get("shape") { line += "  \(d) \(shape.serialized())" }
            if case .string(let c)? = get("compression") { line += "  \(c)" }
            if case .object(let attrs)? = get("attributes"), !attrs.isEmpty { line += "  @" + attrs.map(\.0).joined(separator: ",") }
            return line
        }.joined(separator: "\n")
    }
}
