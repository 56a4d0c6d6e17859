// swift-tools-version:6.0
// libFuzzer harnesses for NeuroPipe's parsers (issue R1), kept out of the main package so its normal builds never
// see them. Build and run one with scripts/fuzz TARGET [SECONDS]; each reads the fuzzer's bytes as a file of its
// format through the same entry point `neuropipe` uses. Thrown errors are expected; traps, sanitizer reports,
// hangs and out-of-memory are findings.
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder, so the main package's identity is the checkout's folder name.
let main = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "NeuroPipeFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzShared", dependencies: [.product(name: "NeuroCore", package: main)], path: "Sources/FuzzShared"),
        .executableTarget(name: "FuzzEDF", dependencies: ["FuzzShared", .product(name: "NeuroIO", package: main)]),
        .executableTarget(name: "FuzzNIfTI", dependencies: ["FuzzShared", .product(name: "NeuroIO", package: main)]),
        .executableTarget(name: "FuzzHDF5", dependencies: ["FuzzShared", .product(name: "NeuroIO", package: main)]),
        .executableTarget(name: "FuzzPipelineYAML", dependencies: ["FuzzShared", .product(name: "NeuroPipeline", package: main)]),
        .executableTarget(name: "FuzzTSV", dependencies: ["FuzzShared", .product(name: "NeuroIO", package: main), .product(name: "NeuroScreen", package: main)]),
    ]
)
