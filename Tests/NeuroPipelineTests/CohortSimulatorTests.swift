import Foundation
import Testing
import NeuroCore
import NeuroDSP
import NeuroIO
@testable import NeuroPipeline

/// `neuropipe simulate eeg-cohort`: a readable BIDS dataset whose spectra carry the intended group effects.
@Suite struct CohortSimulatorTests {
    @Test func cohortIsBIDSAndCarriesTheAlphaAndThetaEffects() throws {
        let root = try tempDirectory() + "/cohort"
        let people = try EEGCohortSimulator(participants: 20, seconds: 24, sites: 2, seed: 3).write(to: root)
        let units = try DatasetDiscovery.bids(root: root, datatype: "eeg", suffix: "eeg", extensions: [".edf"], participants: nil)
        #expect(units.count == 20)
        let table = try TSVTable(path: root + "/participants.tsv")
        #expect(table.header == ["participant_id", "age", "sex", "group", "site"] && table.rows.count == 20)
        #expect(try String(contentsOfFile: root + "/dataset_description.json", encoding: .utf8).contains("SYNTHETIC"))
        var measured = [Double](), thetaAlpha = [String: [Double]]()
        for p in people {
            let reader = try EDFReader(path: root + "/\(p.id)/eeg/\(p.id)_task-rest_eeg.edf")
            let signal = try reader.read()
            #expect(signal.channels.map(\.label) == EEGCohortSimulator.channels)
            let rate = signal.channels[0].sampleRate
            #expect(rate == (p.site == 2 ? 200 : 256))
            let n = signal.counts[0]
            let x = Matrix(rows: 19, cols: n, storage: signal.samples)
            var settings = WelchSettings()
            settings.nperseg = Int(4 * rate)
            let (f, psd) = try WelchPSD.compute(x, sampleRate: rate, settings: settings)
            let o1 = EEGCohortSimulator.channels.firstIndex(of: "O1")!, fz = EEGCohortSimulator.channels.firstIndex(of: "Fz")!
            measured.append(SpectralFeatures.alphaPeak(psd.row(o1), freqs: f).peak)
            let band = { (c: Int, lo: Double, hi: Double) in f.indices.filter { f[$0] >= lo && f[$0] < hi }.reduce(0) { $0 + psd[c, $1] } }
            thetaAlpha[p.group, default: []].append(band(fz, 4, 8) / band(o1, 8, 13))
        }
        // The measured alpha peak follows the generating one (0.25 Hz resolution).
        let truth = people.map(\.alphaFrequency)
        let r = zip(measured, truth).map { abs($0 - $1) }.max()!
        #expect(r < 0.6, "largest IAF error \(r) Hz")
        let mean = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
        let iaf = Dictionary(grouping: zip(people, measured), by: { $0.0.group }).mapValues { mean($0.map(\.1)) }
        #expect(iaf["control"]! - iaf["MCI"]! > 0.2, "\(iaf)")
        #expect(mean(thetaAlpha["MCI"]!) > mean(thetaAlpha["control"]!), "\(thetaAlpha)")
        #expect(throws: InputError.self) { try EEGCohortSimulator(participants: 2, seconds: 24, seed: 3).write(to: root) }
    }
}
