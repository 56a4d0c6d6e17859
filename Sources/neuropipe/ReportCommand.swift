import ArgumentParser
import Foundation
import NeuroCore
import NeuroIO
import NeuroReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a self-contained HTML report (inline SVG, no network) of a pipeline run's derivatives.",
        discussion: "Reads the run log, classification results, spectra and group tables that `neuropipe run --out DIR` wrote; --participants adds the dataset's participants.tsv.")

    @Argument(help: "The derivatives folder written by `neuropipe run --out`.") var derivatives: String
    @Option(help: "The dataset's participants.tsv.") var participants: String?
    @Option(help: "HTML file to write (default DERIVATIVES/report.html).") var out: String?
    @OptionGroup var json: JSONOption

    func run() throws {
        try runReportingErrors(json: json.json) {
            let path = out ?? derivatives + "/report.html"
            try OutputLocation.requireWritableFile(path)
            let report = try RunReport.build(derivatives: derivatives, participants: participants)
            try AtomicFile.write(to: path) { try $0.write(Array(report.html(version: NeuroPipeVersion.current).utf8)) }
            printResult(json: json.json, .object([("report", .string(path))]), "wrote \(path)")
        }
    }
}
