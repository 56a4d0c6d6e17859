import ArgumentParser
import Foundation
import NeuroCore
import NeuroIO

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a recording to another format (EDF/BDF → EDF+C/D or BDF+C/D).",
        discussion: "The output format follows OUT's extension: .edf writes EDF+, .bdf writes BDF+. The output is written to a temporary file and renamed into place, so an interrupted run leaves no partial file.")

    @Argument(help: "Input recording (EDF, EDF+, BDF, BDF+).")
    var input: String

    @Argument(help: "Output file: .edf or .bdf.")
    var output: String

    @OptionGroup var json: JSONOption

    func run() throws {
        do {
            let ext = (output as NSString).pathExtension.lowercased()
            let kind: EDFWriter.Kind
            switch ext {
            case "edf": kind = .edf
            case "bdf": kind = .bdf
            default:
                throw InputError(file: output, field: "extension", message: "got \".\(ext)\"; expected .edf or .bdf")
            }
            guard (try? FileKind.detect(path: input)) != nil else { _ = try FileKind.detect(path: input); return }
            let reader = try EDFReader(path: input)
            let recording = try reader.readRecording()
            let written = try EDFWriter.write(recording, to: output, kind: kind, recordDuration: reader.header.recordDuration)
            if json.json {
                print(JSONValue.object([("input", .string(input)), ("output", .string(output)), ("format", .string(written.rawValue)),
                                        ("warnings", .array(reader.warnings.map { .string($0) }))]).serialized())
            } else {
                print("wrote \(output) (\(written.rawValue))")
            }
        } catch {
            exitWithError(error, json: json.json)
        }
    }
}
