// swift-tools-version:6.0
// NeuroPipe: EEG/fMRI batch processing on Linux. Module layers point downward only:
// Core ← IO, DSP ← … ← CLI. C libraries come from Debian packages found with pkg-config.
import PackageDescription

let package = Package(
    name: "NeuroPipe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "neuropipe", targets: ["neuropipe"]),
        .library(name: "NeuroCore", targets: ["NeuroCore"]),
        .library(name: "NeuroIO", targets: ["NeuroIO"]),
        .library(name: "NeuroDSP", targets: ["NeuroDSP"]),
        .library(name: "NeuroLearn", targets: ["NeuroLearn"]),
        .library(name: "NeuroRiemann", targets: ["NeuroRiemann"]),
        .library(name: "NeuroScreen", targets: ["NeuroScreen"]),
        .library(name: "NeuroLatent", targets: ["NeuroLatent"]),
        .library(name: "NeuroReport", targets: ["NeuroReport"]),
        .library(name: "NeuroPipeline", targets: ["NeuroPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // System libraries (Debian: libfftw3-dev, liblapacke-dev + libopenblas-dev, libhdf5-dev, zlib1g-dev).
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CLapacke", pkgConfig: "openblas",
                       providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // liblinear and libsvm ship no pkg-config files; their headers are in the default include path.
        .systemLibrary(name: "CLinear", providers: [.apt(["liblinear-dev"])]),
        .systemLibrary(name: "CSVM", providers: [.apt(["libsvm-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        // glibc's vector maths library (libmvec, in libc6-dev): SIMD log for the MI grid integrals.
        .systemLibrary(name: "CVectorMath", providers: [.apt(["libc6-dev"])]),

        .target(name: "NeuroCore", dependencies: ["CLapacke"]),
        .target(name: "NeuroIO", dependencies: ["NeuroCore", "CHDF5", "CZlib"]),
        .target(name: "NeuroDSP", dependencies: ["NeuroCore", "CFFTW", "CLapacke"]),
        .target(name: "NeuroLearn", dependencies: ["NeuroCore", "CLinear", "CSVM", "CLapacke"]),
        .target(name: "NeuroRiemann", dependencies: ["NeuroCore", "NeuroLearn", "CLapacke"]),
        .target(name: "NeuroReport", dependencies: ["NeuroCore", "NeuroIO"]),
        .target(name: "NeuroLatent", dependencies: ["NeuroCore", "NeuroIO", "NeuroLearn", "CLapacke"]),
        .target(name: "NeuroScreen", dependencies: ["NeuroCore", "NeuroIO", "NeuroDSP", "NeuroLearn", "CLapacke", "CVectorMath"]),
        .target(name: "NeuroPipeline", dependencies: ["NeuroCore", "NeuroIO", "NeuroDSP", "NeuroLearn", "NeuroRiemann", "NeuroScreen", "CXXHash",
                                                      .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "neuropipe",
            dependencies: [
                "NeuroCore", "NeuroIO", "NeuroDSP", "NeuroLearn", "NeuroRiemann", "NeuroScreen", "NeuroLatent", "NeuroReport", "NeuroPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Benchmark driver for scripts/bench/edf (not a product).
        .executableTarget(name: "neuropipe-bench", dependencies: ["NeuroIO", "NeuroDSP", "NeuroLearn", "NeuroRiemann", "NeuroScreen", "NeuroLatent", "NeuroPipeline"], path: "scripts/bench/swift"),

        .testTarget(name: "NeuroCoreTests", dependencies: ["NeuroCore"]),
        .testTarget(name: "NeuroIOTests", dependencies: ["NeuroIO", "NeuroCore", "CHDF5", "CZlib"]),
        .testTarget(name: "NeuroDSPTests", dependencies: ["NeuroDSP", "NeuroCore"]),
        .testTarget(name: "NeuroLearnTests", dependencies: ["NeuroLearn", "NeuroCore"]),
        .testTarget(name: "NeuroRiemannTests", dependencies: ["NeuroRiemann", "NeuroLearn", "NeuroCore"]),
        .testTarget(name: "NeuroReportTests", dependencies: ["NeuroReport", "NeuroCore"]),
        .testTarget(name: "NeuroLatentTests", dependencies: ["NeuroLatent", "NeuroIO", "NeuroCore"]),
        .testTarget(name: "NeuroScreenTests", dependencies: ["NeuroScreen", "NeuroIO", "NeuroCore", "CVectorMath"]),
        .testTarget(name: "NeuroPipelineTests", dependencies: ["NeuroPipeline", "NeuroCore", "NeuroIO", "NeuroScreen", "neuropipe"]),
        .testTarget(name: "NeuropipeCLITests", dependencies: ["NeuroCore", "neuropipe"]),
    ],
    swiftLanguageModes: [.v6]
)
