import FuzzShared
import NeuroIO

// EDF/BDF header, signal headers, records and TAL annotations, as `neuropipe info` and the pipelines read them.
runFuzzer { bytes in
    let path = Scratch.file(bytes, name: bytes.first == 0xFF ? "input.bdf" : "input.edf")
    if let reader = try? EDFReader(path: path) { _ = try? reader.readRecording() }
}
