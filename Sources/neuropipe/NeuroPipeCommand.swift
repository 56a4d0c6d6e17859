import ArgumentParser
import Foundation
import NeuroCore

@main
struct NeuroPipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neuropipe",
        abstract: "Batch-process EEG and fMRI data: inspect and convert EDF/BDF, NIfTI and HDF5; spectra, filters, epochs.",
        discussion: """
            Every verb also takes --max-memory SIZE (e.g. 512M, 8G; or the environment variable NEUROPIPE_MAX_MEMORY): \
            the most one allocation for a file's declared contents may take. A header declaring more is refused before \
            anything is allocated. Default: half the physical memory.
            """,
        version: NeuroPipeVersion.current,
        subcommands: [InfoCommand.self, ConvertCommand.self, PSDCommand.self, BandpowerCommand.self, FilterCommand.self, EpochsCommand.self, CovarianceCommand.self, ClassifyCommand.self, ScreenCommand.self, SRMCommand.self, ReportCommand.self, SimulateCommand.self,
                      RunCommand.self, ValidateCommand.self, StagesCommand.self, CacheCommand.self])

    static func main() {
        configureAllocatorForLargeBuffers()
        // libhdf5 1.10 flock()s files it opens, which fails on many NFS mounts (h5py #1101-style "unable to lock
        // file"); NeuroPipe never writes a file another process has open (atomic renames), so locking adds nothing.
        setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0)
        var arguments = Array(CommandLine.arguments.dropFirst())
        let endOfOptions = arguments.firstIndex(of: "--") ?? arguments.count
        var limit = ProcessInfo.processInfo.environment["NEUROPIPE_MAX_MEMORY"].map { ("NEUROPIPE_MAX_MEMORY", $0) }
        if let i = arguments[..<endOfOptions].firstIndex(where: { $0 == "--max-memory" || $0.hasPrefix("--max-memory=") }) {
            if arguments[i] == "--max-memory" {
                guard i + 1 < endOfOptions else { usageError("--max-memory needs a size such as 512M or 8G") }
                limit = ("--max-memory", arguments[i + 1])
                arguments.removeSubrange(i...(i + 1))
            } else {
                limit = ("--max-memory", String(arguments[i].dropFirst("--max-memory=".count)))
                arguments.remove(at: i)
            }
        }
        if let (source, text) = limit {
            guard let bytes = MemoryBudget.parse(text) else { usageError("\(source): expected a size such as 512M or 8G, got '\(text)'") }
            MemoryBudget.set(bytes: bytes)
            // Slurm tasks and other child processes NeuroPipe starts inherit the budget.
            setenv("NEUROPIPE_MAX_MEMORY", text, 1)
        }
        InterruptionSignals.shared.install()
        main(arguments)
    }

    private static func usageError(_ message: String) -> Never {
        FileHandle.standardError.write(Data("neuropipe: error: \(message)\n".utf8))
        Foundation.exit(64)
    }
}
