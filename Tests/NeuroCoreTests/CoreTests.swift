import Foundation
import Testing
@testable import NeuroCore

struct LocalDateTimeTests {
    @Test func roundTripsThroughEpochNanoseconds() {
        for t in [LocalDateTime(year: 1970, month: 1, day: 1), LocalDateTime(year: 2000, month: 2, day: 29, hour: 23, minute: 59, second: 59, nanosecond: 999_999_999),
                  LocalDateTime(year: 1985, month: 12, day: 31, hour: 1, minute: 2, second: 3, nanosecond: 1),
                  LocalDateTime(year: 2084, month: 7, day: 15), LocalDateTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, nanosecond: 5)] {
            #expect(LocalDateTime(nanosecondsSinceEpoch: t.nanosecondsSinceEpoch) == t)
        }
        // 2000-03-01 is 11017 days after the epoch.
        #expect(LocalDateTime(year: 2000, month: 3, day: 1).nanosecondsSinceEpoch == 11017 * 86_400 * 1_000_000_000)
    }

    @Test func addingCrossesDaysAndYears() {
        let t = LocalDateTime(year: 2019, month: 12, day: 31, hour: 23, minute: 59, second: 59, nanosecond: 600_000_000)
        #expect(t.adding(seconds: 0.5) == LocalDateTime(year: 2020, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanosecond: 100_000_000))
        #expect(t.adding(seconds: -86_400) == LocalDateTime(year: 2019, month: 12, day: 30, hour: 23, minute: 59, second: 59, nanosecond: 600_000_000))
    }

    @Test func isoFormatting() {
        #expect(LocalDateTime(year: 2020, month: 1, day: 24, hour: 4, minute: 5, second: 56, nanosecond: 394_531_200).iso8601 == "2020-01-24T04:05:56.3945312")
        #expect(LocalDateTime(year: 989, month: 4, day: 2).iso8601 == "0989-04-02T00:00:00.0")
    }

    @Test func validity() {
        #expect(!LocalDateTime(year: 2021, month: 2, day: 29).isValid)
        #expect(LocalDateTime(year: 2024, month: 2, day: 29).isValid)
        #expect(!LocalDateTime(year: 2024, month: 13, day: 1).isValid)
        #expect(!LocalDateTime(year: 2024, month: 1, day: 1, hour: 24).isValid)
    }
}

struct SymmetricEigenTests {
    @Test func decomposesAKnownMatrix() throws {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        let e = try SymmetricEigen(Matrix(rows: 2, cols: 2, storage: [2, 1, 1, 2]))
        #expect(abs(e.values[0] - 1) < 1e-14 && abs(e.values[1] - 3) < 1e-14)
        let back = e.apply { $0 }
        for (a, b) in zip(back.storage, [2.0, 1, 1, 2]) { #expect(abs(a - b) < 1e-14) }
    }

    @Test func matrixFunctionsAreConsistent() throws {
        // A random SPD matrix: sqrt(A)² = A, exp(log(A)) = A, A^(-1/2) A A^(-1/2) = I.
        var rng: UInt64 = 42
        func next() -> Double { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Double(rng >> 11) / Double(1 << 53) - 0.5 }
        let n = 6
        let b = Matrix(rows: n, cols: n, storage: (0..<(n * n)).map { _ in next() })
        var a = Matrix(rows: n, cols: n)
        for i in 0..<n { for j in 0..<n { a[i, j] = (0..<n).reduce(0) { $0 + b[i, $1] * b[j, $1] } + (i == j ? 0.5 : 0) } }
        let e = try SymmetricEigen(a)
        let s = e.apply { $0.squareRoot() }
        let expLog = try SymmetricEigen(e.apply { log($0) }).apply { exp($0) }
        let isqrt = e.apply { 1 / $0.squareRoot() }
        for i in 0..<n {
            for j in 0..<n {
                let s2 = (0..<n).reduce(0) { $0 + s[i, $1] * s[$1, j] }
                #expect(abs(s2 - a[i, j]) < 1e-12)
                #expect(abs(expLog[i, j] - a[i, j]) < 1e-12)
                var w = 0.0
                for k in 0..<n { for l in 0..<n { w += isqrt[i, k] * a[k, l] * isqrt[l, j] } }
                #expect(abs(w - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    @Test func rejectsNonSquare() {
        #expect(throws: RuntimeFailure.self) { try SymmetricEigen(Matrix(rows: 2, cols: 3)) }
    }
}

struct JSONValueTests {
    @Test func serialisesInOrderAndEscapes() {
        let v = JSONValue.object([("b", .int(1)), ("a", .array([.number(0.5), .number(3), .number(.nan), .null, .bool(true)])),
                                  ("s", .string("q\"\\\n\u{1}é"))])
        #expect(v.serialized() == "{\"b\":1,\"a\":[0.5,3.0,null,null,true],\"s\":\"q\\\"\\\\\\n\\u0001é\"}")
        let parsed = try? JSONSerialization.jsonObject(with: Data(v.serialized(pretty: true).utf8)) as? [String: Any]
        #expect(parsed?["s"] as? String == "q\"\\\n\u{1}é")
    }

    @Test func numbersRoundTrip() throws {
        for d in [0.1, 1e-300, 123456789.125, -2.5e20, Double.leastNonzeroMagnitude] {
            let s = JSONValue.number(d).serialized()
            let back = try JSONSerialization.jsonObject(with: Data("[\(s)]".utf8)) as! [Double]
            #expect(back[0] == d, "\(s)")
        }
    }
}

struct SignalTests {
    @Test func uniqueLabelsFollowMNE() {
        #expect(uniqueChannelLabels(["A", "B", "A", "C", "A"]) == ["A-0", "B", "A-1", "C", "A-2"])
    }

    @Test func multichannelLayout() {
        let c = ChannelInfo(label: "x", unit: "", sampleRate: 1, physicalMin: 0, physicalMax: 1, digitalMin: 0, digitalMax: 1)
        let s = MultichannelSignal(channels: [c, c], samples: [1, 2, 3, 4, 5], counts: [2, 3])
        #expect(Array(s.channel(1)) == [3, 4, 5])
        #expect(s.matrix == nil)
        let m = MultichannelSignal(channels: [c, c], matrix: Matrix(rows: 2, cols: 2, storage: [1, 2, 3, 4]))
        #expect(m.matrix?.transposed.storage == [1, 3, 2, 4])
    }
}
