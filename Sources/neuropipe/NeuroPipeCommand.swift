import ArgumentParser
import NeuroCore

@main
struct NeuroPipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neuropipe",
        abstract: "Batch-process EEG and fMRI data: read, convert and inspect EDF/BDF recordings.",
        version: NeuroPipeVersion.current,
        subcommands: [InfoCommand.self, ConvertCommand.self])
}
