import Foundation
import Testing
import NeuroCore
@testable import NeuroDSP

/// RQA against pyunicorn 1.0.0's RecurrencePlot (scripts/golden/fmri): series of multiples of 1/16 so pyunicorn's
/// float32 distances are exact; the measures agree to rounding.
struct RecurrenceTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/fmri/fmri.json").path

    @Test func measuresMatchPyunicorn() throws {
        let golden = try JSONValue.parse(String(contentsOfFile: Self.fixture, encoding: .utf8))
        let cases = golden.member("rqa")?.arrayValue ?? []
        #expect(cases.count == 4)
        for c in cases {
            var s = RecurrenceQuantification.Settings()
            s.dimension = Int(c.member("dim")!.doubleValue!)
            s.delay = Int(c.member("tau")!.doubleValue!)
            s.threshold = c.member("threshold")!.doubleValue!
            s.thresholdIsAbsolute = true
            s.metric = RecurrenceQuantification.Metric(rawValue: c.member("metric")!.stringValue!)!
            let m = try RecurrenceQuantification.measures(c.member("series")!.arrayValue!.compactMap(\.doubleValue), settings: s)
            for (name, got) in [("rr", m.recurrenceRate), ("det", m.determinism), ("l", m.averageDiagonal), ("lam", m.laminarity), ("tt", m.trappingTime)] {
                let want = c.member(name)!.doubleValue!
                // 1e-9: pyunicorn's 1e-8 in each denominator enters at about 1e-11 relative.
                #expect(abs(got - want) <= 1e-9 * max(1, abs(want)), "\(name) m=\(s.dimension) τ=\(s.delay): \(got) vs \(want)")
            }
        }
    }

    /// A constant series recurs everywhere: RR = LAM = 1, DET = 189/190 (of the 190 points below the diagonal only
    /// the corner one is a line shorter than 2); too short a series for the embedding is an error.
    @Test func edgeCases() throws {
        var s = RecurrenceQuantification.Settings()
        s.thresholdIsAbsolute = true
        let m = try RecurrenceQuantification.measures([Double](repeating: 3, count: 20), settings: s)
        #expect(m.recurrenceRate == 1 && abs(m.determinism - 189.0 / 190) < 1e-9 && abs(m.laminarity - 1) < 1e-9, "\(m)")
        s.dimension = 5; s.delay = 5
        #expect(throws: InputError.self) { try RecurrenceQuantification.measures([1, 2, 3, 4, 5], settings: s) }
    }
}
