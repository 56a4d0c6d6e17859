import Foundation
import NeuroCore

/// Writes the fuzzer's bytes to one scratch file per process (in /dev/shm when present) and returns its path.
public enum Scratch {
    static let directory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let d = base + "/neuropipe-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    nonisolated(unsafe) static var counter = 0
    nonisolated(unsafe) static var previous: String?

    /// A new file for every input (the previous one is removed): readers that remember files they checked by
    /// inode, size and modification time (the HDF5 structure check) must see each input as a new file.
    public static func file(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
        if let previous { unlink(previous) }
        counter += 1
        let path = directory + "/\(counter)-" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        previous = path
        return path
    }
}

/// libFuzzer's driver (from libclang_rt.fuzzer_no_main, linked by scripts/fuzz), so the harness keeps an ordinary
/// Swift entry point.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

nonisolated(unsafe) var fuzzBody: (UnsafeRawBufferPointer) -> Void = { _ in }

/// Runs libFuzzer with the process's arguments, calling `body` with each input.
/// The memory budget is 1 GiB (as `--max-memory 1G`), below libFuzzer's 2 GB RSS limit: a declaration the
/// budget refuses is an error, anything that still exhausts memory is a finding.
public func runFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    MemoryBudget.set(bytes: 1 << 30)
    fuzzBody = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        fuzzBody(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}
