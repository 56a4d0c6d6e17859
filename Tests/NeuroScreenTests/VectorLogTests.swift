import CVectorMath
import Foundation
import Testing

/// The libmvec Σ x·log x used by the MI grid integrals: each SIMD path against scalar `log`, including the lanes
/// that must contribute 0 (zero, negative, NaN) and lengths that leave a scalar tail.
@Suite struct VectorLogTests {
    static func values(_ n: Int) -> [Double] {
        (0..<n).map { i in
            switch i % 11 {
            case 3: 0
            case 7: -1.5
            case 9: .nan
            default: Double.ulpOfOne * Double(i + 1) + pow(10, Double(i % 9) - 6) * Double(i % 5 + 1)
            }
        }
    }

    static func scalarSum(_ x: [Double]) -> Double { x.reduce(0) { $1 > 0 ? $0 + $1 * log($1) : $0 } }

    @Test(arguments: [0, 1, 2, 3, 5, 8, 301, 90_000])
    func simdPathsMatchScalarLog(count: Int) {
        let x = Self.values(count)
        let expected = Self.scalarSum(x)
        let scale = max(1, x.reduce(0) { $1 > 0 ? $0 + abs($1 * log($1)) : $0 })
        let paths: [(String, Double)] = x.withUnsafeBufferPointer { b in
            var results = [("dispatch", neuropipe_xlogx_sum(b.baseAddress, count))]
            #if arch(x86_64)
            results.append(("sse2", neuropipe_xlogx_sum_sse2(b.baseAddress, count)))
            if neuropipe_cpu_has_avx2() != 0 { results.append(("avx2", neuropipe_xlogx_sum_avx2(b.baseAddress, count))) }
            #endif
            return results
        }
        for (name, value) in paths {
            // libmvec's log is within 4 ulp; the sums add in different orders, whose rounding is bounded by
            // count · ε · Σ|x·log x| (the standard recursive-summation bound).
            #expect(abs(value - expected) <= Double(8 + count) * .ulpOfOne * scale, "\(name): \(value) vs scalar \(expected)")
        }
    }
}
