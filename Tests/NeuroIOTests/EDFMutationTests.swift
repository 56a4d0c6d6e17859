import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Truncations and bit flips of valid files at many offsets: the reader either throws an InputError or
/// returns data consistent with its own header — it never crashes, hangs, or reads past the end.
struct EDFMutationTests {
    static let sources = ["mtd_EDF_subsecond_starttime.edf", "pyedflib_test_generator_datarec_generator_2.bdf",
                          "mtd_NihonKohden_MB0400FU_edfplusD.EDF", "mtd_EDF_SC4001EC-Hypnogram.edf"]

    /// Reads everything a user could ask for; checks internal consistency of whatever was accepted.
    static func exercise(_ path: String) {
        do {
            let r = try EDFReader(path: path)
            let sig = try r.read()
            for i in 0..<r.channels.count { precondition(sig.counts[i] == r.sampleCount(channel: i)) }
            _ = try r.infoJSON(stats: true).serialized()
            if r.duration > 0 { _ = try r.read(from: r.duration / 3, to: r.duration / 2) }
            _ = try r.statusWords()
        } catch is InputError {
        } catch {
            Issue.record("\(path): unexpected error type \(error)")
        }
    }

    @Test(arguments: sources)
    func truncations(file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("edf/\(file)"))))
        let header = 256 * (Int(String(decoding: bytes[252..<256], as: UTF8.self).trimmingCharacters(in: .whitespaces))! + 1)
        var cuts = Set([0, 1, 7, 8, 100, 255, 256, 257, header - 1, header, header + 1, bytes.count - 1])
        for k in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 150)) { cuts.insert(k) }
        let dir = TempDir.shared.uniquePath("cut")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for cut in cuts.sorted() where cut < bytes.count {
            let p = dir + "/cut\(cut).edf"
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: p))
            Self.exercise(p)
        }
    }

    @Test(arguments: sources)
    func bitFlips(file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("edf/\(file)"))))
        var rng = SplitMix64(seed: 0xED_F0_0D)
        let dir = TempDir.shared.uniquePath("flip")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let headerEnd = min(bytes.count, 256 * 45)
        // NEUROPIPE_MUTATIONS raises the count for longer local runs (default 400 per file in the suite).
        let trials = Int(ProcessInfo.processInfo.environment["NEUROPIPE_MUTATIONS"] ?? "") ?? 400
        for trial in 0..<trials {
            var m = bytes
            // Mostly in the header and first records, where structure lives; some anywhere.
            let span = trial % 4 == 0 ? bytes.count : headerEnd
            for _ in 0..<(1 + trial % 3) {
                let at = Int(rng.next() % UInt64(span))
                m[at] ^= UInt8(1 << (rng.next() % 8))
            }
            if trial % 5 == 0 {  // replace a header digit field byte with a structural character
                let at = 184 + Int(rng.next() % 72)
                m[at] = [UInt8(ascii: "-"), UInt8(ascii: "9"), 0x00, UInt8(ascii: "e"), UInt8(ascii: ".")][Int(rng.next() % 5)]
            }
            let p = dir + "/flip\(trial).edf"
            try Data(m).write(to: URL(fileURLWithPath: p))
            Self.exercise(p)
        }
    }
}

/// Small deterministic generator for reproducible mutations.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
