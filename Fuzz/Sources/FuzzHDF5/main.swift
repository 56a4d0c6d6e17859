import FuzzShared
import NeuroIO

// The HDF5 paths NeuroPipe uses: listing every object (neuropipe info), reading numeric and string datasets, and
// loading the continuous-recording (and EEGLAB) and epochs layouts.
runFuzzer { bytes in
    let path = Scratch.file(bytes, name: "input.h5")
    guard let file = try? HDF5File(path: path) else { return }
    for object in (try? file.objects()) ?? [] where object.kind == .dataset {
        _ = try? file.readDoubles(object.path)
        _ = try? file.readStrings(object.path)
    }
    _ = try? RecordingLoader.load(path: path)
    _ = try? EpochsFile.read(path: path)
}
