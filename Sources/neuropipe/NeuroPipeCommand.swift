import ArgumentParser
import Foundation
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
        // libhdf5 1.10 flock()s files it opens, which fails on many NFS mounts (h5py #1101-style "unable to lock
        // file"); NeuroPipe never writes a file another process has open (atomic renames), so locking adds nothing.
        setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0)
        main(nil)
    }
}
