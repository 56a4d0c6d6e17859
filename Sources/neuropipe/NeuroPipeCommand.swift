import ArgumentParser
import NeuroCore

@main
struct NeuroPipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neuropipe",
        abstract: "Batch-process EEG and fMRI data: inspect and convert EDF/BDF, NIfTI and HDF5; spectra, filters, epochs.",
        version: NeuroPipeVersion.current,
        subcommands: [InfoCommand.self, ConvertCommand.self, PSDCommand.self, BandpowerCommand.self, FilterCommand.self, EpochsCommand.self, CovarianceCommand.self, ClassifyCommand.self, ScreenCommand.self, SRMCommand.self, ReportCommand.self, SimulateCommand.self,
                      RunCommand.self, ValidateCommand.self, StagesCommand.self, CacheCommand.self])

    static func main() {
        configureAllocatorForLargeBuffers()
        main(nil)
    }
}
