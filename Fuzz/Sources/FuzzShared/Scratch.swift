import Foundation

/// Writes the fuzzer's bytes to one scratch file per process (in /dev/shm when present) and returns its path.
public enum Scratch {
    static let directory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let d = base + "/neuropipe-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    public static func file(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
        let path = directory + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
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
public func runFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    fuzzBody = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        fuzzBody(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}
