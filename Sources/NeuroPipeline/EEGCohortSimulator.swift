import Foundation
import NeuroCore
import NeuroDSP
import NeuroIO
import NeuroLearn

/// A synthetic resting-state EEG cohort written as a BIDS dataset, for demos and tests of MCI pipelines. Every file
/// says it is synthetic. Per participant, 19 channels of the 10-20 system (new names), each a mix of
///   - 1/f^χ background (χ ≈ 1.6 ± 0.2 per participant) with a shared volume-conducted part,
///   - posterior alpha: a narrow band around the individual alpha frequency (IAF),
///   - frontal theta around 6 Hz,
/// with effects of the size reported for MCI: IAF 0.5 Hz lower, theta 40% stronger, alpha 20% weaker; an age effect
/// (IAF −0.03 Hz per year; the MCI group is older on average, so age confounds IAF); and between-participant spread
/// large enough that the groups overlap; eye blinks about every 8 s. An optional second site records at 200 Hz instead of 256 Hz with more
/// noise and 50 Hz line interference.
public struct EEGCohortSimulator: Sendable {
    public static let channels = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8", "O1", "O2"]

    public var participants: Int
    public var seconds: Double
    public var sites: Int
    public var seed: UInt64

    public init(participants: Int, seconds: Double = 60, sites: Int = 1, seed: UInt64 = 0) {
        self.participants = participants
        self.seconds = seconds
        self.sites = sites
        self.seed = seed
    }

    /// One participant's generating values (also written to participants.tsv, except the hidden ones).
    public struct Participant: Sendable {
        public var id: String
        public var group: String
        public var age: Double
        public var sex: String
        public var site: Int
        public var alphaFrequency: Double
        public var aperiodicExponent: Double
        /// Root-mean-square alpha and theta amplitudes (µV) at their strongest channels.
        public var alphaGain: Double
        public var thetaGain: Double
    }

    /// Writes the dataset under `root` (created; must not already hold a dataset) and returns the participants.
    @discardableResult
    public func write(to root: String) throws -> [Participant] {
        guard participants >= 2 else { throw InputError(file: root, field: "--subjects", message: "a cohort needs at least 2 participants, got \(participants)") }
        guard seconds >= 4 else { throw InputError(file: root, field: "--duration", message: "recordings need at least 4 s, got \(seconds)") }
        guard (1...2).contains(sites) else { throw InputError(file: root, field: "--sites", message: "1 or 2 sites, got \(sites)") }
        let fm = FileManager.default
        guard !fm.fileExists(atPath: root + "/participants.tsv") else {
            throw InputError(file: root, field: "--out", message: "already holds a dataset (participants.tsv); choose an empty folder")
        }
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        var rng = SplitMix(seed: seed)
        var people = [Participant]()
        for i in 0..<participants {
            let mci = i % 2 == 1
            let age = (mci ? 72 : 68) + 6 * rng.gaussian()
            let iaf = 10.0 - 0.03 * (age - 65) - (mci ? 0.5 : 0) + 0.9 * rng.gaussian()
            people.append(Participant(id: String(format: "sub-%03d", i + 1), group: mci ? "MCI" : "control", age: (age * 10).rounded() / 10,
                                      sex: rng.uniform() < 0.5 ? "F" : "M", site: sites == 2 && i % 4 >= 2 ? 2 : 1,
                                      alphaFrequency: iaf, aperiodicExponent: 1.6 + 0.25 * rng.gaussian(),
                                      alphaGain: 15 * (mci ? 0.9 : 1) * exp(0.6 * max(-2, min(1.2, rng.gaussian()))), thetaGain: 6 * (mci ? 1.2 : 1) * exp(0.6 * max(-2, min(1.2, rng.gaussian())))))
        }
        for (index, p) in people.enumerated() {
            let rate = p.site == 2 ? 200.0 : 256.0
            // One independent stream per participant, so a participant's signal does not depend on how many others
            // there are. (Seeding with seed ^ k·γ made participants of equal parity shifted copies of one another,
            // which planted group-specific phase structure that imaginary coherency found perfectly.)
            var participantRNG = SplitMix(seed: seed, stream: UInt64(index + 1))
            let signal = try simulate(p, rate: rate, rng: &participantRNG)
            let folder = root + "/\(p.id)/eeg"
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let stem = folder + "/\(p.id)_task-rest_eeg"
            let infos = EEGCohortSimulator.channels.map {
                ChannelInfo(label: $0, unit: "uV", sampleRate: rate, physicalMin: -1000, physicalMax: 1000, digitalMin: -32768, digitalMax: 32767)
            }
            let recording = Recording(signal: MultichannelSignal(channels: infos, samples: signal.storage, counts: [Int](repeating: signal.cols, count: signal.rows)),
                                      start: LocalDateTime(year: 2024, month: 1, day: 1, hour: 9), patient: "X X X X", recordingID: "Startdate 01-JAN-2024 X NeuroPipe_synthetic X")
            _ = try EDFWriter.write(recording, to: stem + ".edf", kind: .edf)
            try TableWriter.writeJSON(.object([("TaskName", .string("rest")), ("SamplingFrequency", .number(rate)), ("PowerLineFrequency", .int(50)),
                                               ("EEGReference", .string("average")), ("RecordingDuration", .number(seconds)),
                                               ("EEGChannelCount", .int(19)), ("SoftwareFilters", .string("n/a")),
                                               ("Manufacturer", .string("NeuroPipe simulator (synthetic data)"))]), to: stem + ".json")
        }
        try TableWriter.writeTSV(header: ["participant_id", "age", "sex", "group", "site"],
                                 rows: people.map { [$0.id, "\($0.age)", $0.sex, $0.group, "site\($0.site)"] }, to: root + "/participants.tsv")
        try TableWriter.writeJSON(.object([
            ("age", .object([("Description", .string("age at recording")), ("Units", .string("years"))])),
            ("sex", .object([("Description", .string("F or M"))])),
            ("group", .object([("Description", .string("MCI or control (synthetic labels)"))])),
            ("site", .object([("Description", .string("recording site; site2 records at 200 Hz with more noise and 50 Hz interference"))])),
        ]), to: root + "/participants.json")
        try TableWriter.writeJSON(.object([("Name", .string("NeuroPipe simulated resting EEG cohort (SYNTHETIC DATA)")), ("BIDSVersion", .string("1.8.0")),
                                           ("DatasetType", .string("raw")),
                                           ("GeneratedBy", .array([.object([("Name", .string("neuropipe simulate eeg-cohort")), ("Version", .string(NeuroPipeVersion.current))])])),
                                           ("License", .string("CC0"))]), to: root + "/dataset_description.json")
        try "Synthetic data written by `neuropipe simulate eeg-cohort --subjects \(participants) --seed \(seed)`: not recordings of people.\n"
            .write(toFile: root + "/README", atomically: true, encoding: .utf8)
        return people
    }

    /// `[19 × samples]` µV for one participant.
    func simulate(_ p: Participant, rate: Double, rng: inout SplitMix) throws -> Matrix {
        let n = Int((seconds * rate).rounded()) / 2 * 2
        let common = try shapedNoise(n, rate: rate, rng: &rng) { f in f > 0.5 ? pow(f, -p.aperiodicExponent / 2) : 0 }
        let alpha = try shapedNoise(n, rate: rate, rng: &rng) { f in exp(-0.5 * pow((f - p.alphaFrequency) / 0.6, 2)) }
        let theta = try shapedNoise(n, rate: rate, rng: &rng) { f in exp(-0.5 * pow((f - 6) / 1.0, 2)) }
        let (alphaGain, thetaGain) = (p.alphaGain, p.thetaGain)
        var out = Matrix(rows: 19, cols: n)
        for (c, name) in EEGCohortSimulator.channels.enumerated() {
            let own = try shapedNoise(n, rate: rate, rng: &rng) { f in f > 0.5 ? pow(f, -p.aperiodicExponent / 2) : 0 }
            // Each participant's topography differs too (electrode placement, anatomy): per-channel gains vary by ±35%.
            // (Alpha and theta gains are capped at +1.2 SD so no simulated participant has rhythms beyond ~200 µV peak-to-peak.)
            let posterior = (name.hasPrefix("O") ? 1.0 : name.hasPrefix("P") ? 0.8 : name.hasPrefix("T") || name.hasPrefix("C") ? 0.4 : 0.15) * exp(0.3 * max(-2, min(1.5, rng.gaussian())))
            let frontal = (name == "Fz" ? 1.0 : name.hasPrefix("F") ? 0.8 : name.hasPrefix("C") ? 0.5 : 0.3) * exp(0.3 * max(-2, min(1.5, rng.gaussian())))
            let background = 12 * exp(0.3 * rng.gaussian())
            for t in 0..<n {
                var v = background * (0.7 * own[t] + 0.5 * common[t]) + alphaGain * posterior * alpha[t] + thetaGain * frontal * theta[t]
                if p.site == 2 { v += 3 * rng.gaussian() + 4 * sin(2 * Double.pi * 50 * Double(t) / rate + Double(c)) }
                out[c, t] = v
            }
        }
        // Eye blinks: about one every 8 s, 0.3 s long, ~300 µV at Fp1/Fp2 falling off towards the back, so that
        // amplitude-based epoch rejection has something to catch.
        let gains = EEGCohortSimulator.channels.map { $0.hasPrefix("Fp") ? 1.0 : $0.hasPrefix("F") ? 0.35 : 0.08 }
        let width = 0.06 * rate
        var t0 = rate * (1 + 8 * rng.uniform())
        while t0 < Double(n) - 3 * width {
            let amplitude = 300 * exp(0.2 * rng.gaussian())
            for t in max(0, Int(t0 - 4 * width))..<min(n, Int(t0 + 4 * width)) {
                let bump = amplitude * exp(-0.5 * pow((Double(t) - t0) / width, 2))
                for c in 0..<19 { out[c, t] += gains[c] * bump }
            }
            t0 += rate * (2 + 12 * rng.uniform())
        }
        for k in 0..<out.storage.count { out.storage[k] = max(-999, min(999, out.storage[k])) }
        return out
    }

    /// Unit-RMS Gaussian noise of length n with amplitude spectrum `shape(f)` (frequency-domain shaping, FFTW).
    func shapedNoise(_ n: Int, rate: Double, rng: inout SplitMix, _ shape: (Double) -> Double) throws -> [Double] {
        let forward = try RealFFTPlan.shared(n: n), inverse = try InverseRealFFTPlan.shared(n: n)
        var x = (0..<n).map { _ in rng.gaussian() }
        var spectrum = [Double](repeating: 0, count: 2 * (n / 2 + 1))
        x.withUnsafeMutableBufferPointer { xb in spectrum.withUnsafeMutableBufferPointer { forward.execute(xb.baseAddress!, $0.baseAddress!) } }
        for k in 0...(n / 2) {
            let g = shape(Double(k) * rate / Double(n))
            spectrum[2 * k] *= g
            spectrum[2 * k + 1] *= g
        }
        spectrum.withUnsafeMutableBufferPointer { sb in x.withUnsafeMutableBufferPointer { inverse.execute(sb.baseAddress!, $0.baseAddress!) } }
        let rms = (x.reduce(0) { $0 + $1 * $1 } / Double(n)).squareRoot()
        return rms > 0 ? x.map { $0 / rms } : x
    }
}
