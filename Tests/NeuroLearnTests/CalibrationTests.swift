import Foundation
import Testing
import NeuroCore
@testable import NeuroLearn

/// Platt scaling and isotonic calibration against scikit-learn 1.9 (scripts/golden/calibration).
struct CalibrationTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/calibration/calibration.json").path

    static func cases() throws -> [JSONValue] {
        try JSONValue.parse(String(contentsOfFile: fixture, encoding: .utf8)).member("cases")?.arrayValue ?? []
    }

    static func doubles(_ v: JSONValue?) -> [Double] { v?.arrayValue?.compactMap(\.doubleValue) ?? [] }

    /// scikit-learn stops L-BFGS at gradient 1e-6, so its (a, b) is within about 1e-5 of the exact optimum we reach
    /// by Newton's method; probabilities then agree within 1e-5.
    @Test func plattMatchesScikitLearn() throws {
        let cases = try Self.cases()
        #expect(cases.count == 4)
        for c in cases {
            let scores = Self.doubles(c.member("scores")), truth = Self.doubles(c.member("truth")).map { $0 == 1 }
            let fitted = try ProbabilityCalibration.platt.fit(scores: scores, truth: truth)
            guard case .sigmoid(let a, let b) = fitted else { Issue.record("not a sigmoid"); continue }
            let name = c.member("name")?.stringValue ?? ""
            #expect(abs(a - c.member("platt_a")!.doubleValue!) < 1e-4 * max(1, abs(a)), "\(name) a")
            #expect(abs(b - c.member("platt_b")!.doubleValue!) < 1e-4 * max(1, abs(b)), "\(name) b")
            for (q, want) in zip(Self.doubles(c.member("query")), Self.doubles(c.member("platt_probability"))) {
                #expect(abs(fitted.probability(q) - want) < 1e-5, "\(name) at \(q)")
            }
        }
    }

    /// Isotonic regression is exact (pool-adjacent-violators, ties merged, linear interpolation, clipped).
    @Test func isotonicMatchesScikitLearn() throws {
        for c in try Self.cases() {
            let scores = Self.doubles(c.member("scores")), truth = Self.doubles(c.member("truth")).map { $0 == 1 }
            let fitted = try ProbabilityCalibration.isotonic.fit(scores: scores, truth: truth)
            for (q, want) in zip(Self.doubles(c.member("query")), Self.doubles(c.member("isotonic_probability"))) {
                #expect(abs(fitted.probability(q) - want) < 1e-12, "\(c.member("name")?.stringValue ?? "") at \(q)")
            }
        }
    }

    @Test func rejectsMismatchedInput() {
        #expect(throws: InputError.self) { try ProbabilityCalibration.platt.fit(scores: [0.1, 0.2], truth: [true]) }
    }
}

/// Scores anti-correlated with the truth: scikit-learn's Platt fit would invert them; ours becomes flat.
struct MonotoneCalibrationTests {
    @Test func plattNeverReversesTheRanking() throws {
        let scores = (0..<40).map { Double($0) / 10 }, truth = (0..<40).map { $0 < 25 }
        let raw = PlattScaling.fit(scores: scores, truth: truth)
        #expect(raw.a > 0, "the unconstrained optimum is decreasing here")
        let fitted = try ProbabilityCalibration.platt.fit(scores: scores, truth: truth)
        #expect(fitted.probability(0) == fitted.probability(4))
        let rate = (25.0 * 26 / 27 + 15.0 / 17) / 40
        #expect(abs(fitted.probability(1) - rate) < 1e-12)
    }
}
