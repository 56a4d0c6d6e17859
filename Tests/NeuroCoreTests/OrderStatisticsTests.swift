import Testing
@testable import NeuroCore

/// Quickselect against sorting, on random, sorted, constant and tied inputs of odd and even length.
struct OrderStatisticsTests {
    @Test func selectionAgreesWithSorting() {
        var state: UInt64 = 7
        func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 40) / 1e3 }
        let inputs: [[Double]] = [(0..<101).map { _ in next() }, (0..<100).map { _ in next() }, (0..<50).map(Double.init), (0..<51).map { -Double($0) },
                                  [Double](repeating: 3, count: 9), (0..<40).map { Double($0 % 4) }, [5], [2, 1]]
        for v in inputs {
            let s = v.sorted()
            for k in [0, v.count / 3, v.count / 2, v.count - 1] {
                var copy = v
                #expect(OrderStatistics.kthSmallest(&copy, k) == s[k], "k \(k) of \(v.count)")
            }
            let median = v.count % 2 == 1 ? s[v.count / 2] : (s[v.count / 2 - 1] + s[v.count / 2]) / 2
            #expect(OrderStatistics.median(v) == median)
        }
        #expect(OrderStatistics.median([]).isNaN)
    }
}
