import Foundation
import NeuroCore

/// One train/test split of sample indices.
public struct Fold: Equatable, Sendable {
    public var train: [Int]
    public var test: [Int]
    public init(train: [Int], test: [Int]) { self.train = train; self.test = test }
}

/// Cross-validation splitters. Fold assignment of `stratifiedKFold(shuffle: nil)` is identical to
/// scikit-learn's `StratifiedKFold(n_splits, shuffle=False)`.
public enum CrossValidation {
    /// Stratified k-fold. Classes are numbered by first appearance; the sorted class sequence is dealt round-robin
    /// to folds to fix per-fold class counts; each class's samples then fill folds in order (blocks), as scikit-learn.
    /// With `shuffle` (a seed), each class's fold labels are permuted (a different generator from scikit-learn's).
    public static func stratifiedKFold(labels: [String], k: Int, shuffle seed: UInt64? = nil) throws -> [Fold] {
        guard k >= 2 else { throw InputError(file: "", field: "cv", message: "k must be at least 2, got \(k)") }
        var order = [String]()
        for l in labels where !order.contains(l) { order.append(l) }
        let code = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let y = labels.map { code[$0]! }
        var counts = [Int](repeating: 0, count: order.count)
        for c in y { counts[c] += 1 }
        guard counts.contains(where: { $0 >= k }) else {
            throw InputError(file: "", field: "cv", message: "k = \(k) is greater than the number of members in every class \(counts)")
        }
        let sortedY = y.sorted()
        var allocation = [[Int]](repeating: [Int](repeating: 0, count: order.count), count: k)
        for (i, c) in sortedY.enumerated() { allocation[i % k][c] += 1 }
        var testFold = [Int](repeating: 0, count: y.count)
        var rng = SplitMix(seed: seed ?? 0)
        for c in 0..<order.count {
            var folds = [Int]()
            for f in 0..<k { folds += [Int](repeating: f, count: allocation[f][c]) }
            if seed != nil { rng.shuffle(&folds) }
            var next = 0
            for i in y.indices where y[i] == c { testFold[i] = folds[next]; next += 1 }
        }
        return (0..<k).map { f in
            Fold(train: testFold.indices.filter { testFold[$0] != f }, test: testFold.indices.filter { testFold[$0] == f })
        }
    }

    /// One fold per group (subject, session or site), groups in sorted order, as scikit-learn's LeaveOneGroupOut.
    public static func leaveOneGroupOut(groups: [String]) throws -> [Fold] {
        let unique = Array(Set(groups)).sorted()
        guard unique.count >= 2 else { throw InputError(file: "", field: "groups", message: "leave-one-group-out needs at least 2 groups, got \(unique)") }
        return unique.map { g in Fold(train: groups.indices.filter { groups[$0] != g }, test: groups.indices.filter { groups[$0] == g }) }
    }
}

/// Deterministic 64-bit generator (SplitMix64) for seeded shuffles and initialisations.
public struct SplitMix: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    /// Stream number `stream` of `seed`, started at a hashed state. Seeding streams with `seed ^ k·γ` or `seed + k·γ`
    /// would make them copies of one another shifted by a few draws (each draw adds γ to the state).
    public init(seed: UInt64, stream: UInt64) {
        var mix = SplitMix(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03 &+ 0x8CB9_2BA7_2F3D_8DD7))
        state = mix.next()
    }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Standard normal deviate (Box–Muller on two uniforms; the first never 0).
    public mutating func gaussian() -> Double {
        let u1 = (Double(next() >> 11) + 1) / Double(1 << 53)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
    /// Two independent standard normal deviates from one Box–Muller step (cos and sin branches).
    public mutating func gaussianPair() -> (Double, Double) {
        let u1 = (Double(next() >> 11) + 1) / Double(1 << 53)
        let u2 = uniform()
        let radius = (-2 * log(u1)).squareRoot(), angle = 2 * Double.pi * u2
        return (radius * cos(angle), radius * sin(angle))
    }
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, Int(next() % UInt64(i + 1))) }
    }
}
