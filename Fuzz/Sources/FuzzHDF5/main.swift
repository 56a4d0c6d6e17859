import FuzzShared
import NeuroIO

// The HDF5 paths NeuroPipe uses: listing every object (neuropipe info), reading numeric and string datasets, and
// loading the continuous-recording (and EEGLAB) and epochs layouts.
// Every libhdf5 id must be closed after each input (a leaked id keeps the file open with its stale state).
runFuzzer { bytes in
    let path = Scratch.file(bytes, name: "input.h5")
    do {
        guard let file = try? HDF5File(path: path) else { return }
        for object in (try? file.objects()) ?? [] where object.kind == .dataset {
            _ = try? file.readDoubles(object.path)
            _ = try? file.readStrings(object.path)
        }
    }
    _ = try? RecordingLoader.load(path: path)
    _ = try? EpochsFile.read(path: path)
    let open = HDF5File.openObjectCount()
    if open != 0 { fatalError("libhdf5 ids leaked: \(open) objects still open after one input") }
}
