import Foundation
import Testing
import NeuroCore
@testable import NeuroLearn

/// Partial correlation against nilearn 0.14.1's ConnectivityMeasure (scripts/golden/fmri), within 1e-10.
struct ConnectomeTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/fmri/fmri.json").path

    @Test func partialCorrelationMatchesNilearn() throws {
        let golden = try JSONValue.parse(String(contentsOfFile: Self.fixture, encoding: .utf8))
        let cases = golden.member("partial_correlation")?.arrayValue ?? []
        #expect(cases.count == 2)
        for c in cases {
            let rows = c.member("x")!.arrayValue!.map { $0.arrayValue!.compactMap(\.doubleValue) }
            let x = Matrix(rows: rows.count, cols: rows[0].count, storage: rows.flatMap { $0 })
            let want = c.member("partial_correlation")!.arrayValue!.flatMap { $0.arrayValue!.compactMap(\.doubleValue) }
            let got = try Connectome.partialCorrelation(x)
            let worst = zip(got.storage, want).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-10, "\(x.rows) regions: largest difference \(worst)")
        }
        #expect(throws: InputError.self) { try Connectome.partialCorrelation(Matrix(rows: 1, cols: 10)) }
    }
}
