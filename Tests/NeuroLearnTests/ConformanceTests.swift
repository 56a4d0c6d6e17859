import Foundation
import Testing
import NeuroCore
@testable import NeuroLearn

/// One contract for every vector classifier: fit/predict, probabilities that sum to 1, two and three classes,
/// separable data learned, wrong shapes rejected. A new classifier joins `all` and inherits the tests.
struct VectorClassifierConformanceTests {
    enum Kind: String, CaseIterable, Sendable { case logistic, svmRBF, svmLinear, shrinkageLDA }

    static func fitPredict(_ kind: Kind, _ x: Matrix, _ y: [String], _ test: Matrix) throws -> (classes: [String], labels: [String], proba: [[Double]]) {
        func run<C: VectorClassifier>(_ c: C) throws -> ([String], [String], [[Double]]) {
            let f = try c.fit(x, y)
            return (f.classes, try f.predict(test), try f.predictProbability(test))
        }
        switch kind {
        case .logistic: return try run(LogisticRegression())
        case .svmRBF: return try run(SupportVectorClassifier())
        case .svmLinear: return try run(SupportVectorClassifier(kernel: .linear))
        case .shrinkageLDA: return try run(ShrinkageLDA())
        }
    }

    /// Gaussian blobs: class k centred at 3·e_k in `d` dimensions.
    static func blobs(classes: Int, perClass: Int, d: Int = 4, seed: UInt64 = 1) -> (Matrix, [String]) {
        var rng = SplitMix(seed: seed)
        var rows = [Double](), y = [String]()
        for k in 0..<classes {
            for _ in 0..<perClass {
                for j in 0..<d {
                    let g = (-2 * log(rng.uniform() + 1e-300)).squareRoot() * cos(2 * .pi * rng.uniform())
                    rows.append(g + (j == k ? 3 : 0))
                }
                y.append("c\(k)")
            }
        }
        return (Matrix(rows: y.count, cols: d, storage: rows), y)
    }

    @Test(arguments: Kind.allCases, [2, 3])
    func contract(kind: Kind, classes: Int) throws {
        let (x, y) = Self.blobs(classes: classes, perClass: 40)
        let (xt, yt) = Self.blobs(classes: classes, perClass: 20, seed: 2)
        let (cls, labels, proba) = try Self.fitPredict(kind, x, y, xt)
        #expect(cls == (0..<classes).map { "c\($0)" })
        #expect(labels.count == xt.rows && proba.count == xt.rows)
        #expect(proba.allSatisfy { $0.count == classes && abs($0.reduce(0, +) - 1) < 1e-9 && $0.allSatisfy { $0 >= 0 } })
        #expect(Metrics.accuracy(yt, labels) > 0.85, "\(kind) learns separable blobs: \(Metrics.accuracy(yt, labels))")
        #expect(Metrics.rocAUC(truth: yt, probabilities: proba, classes: cls) > 0.9)
    }

    @Test(arguments: Kind.allCases)
    func rejectsBadInput(kind: Kind) throws {
        let (x, y) = Self.blobs(classes: 2, perClass: 10)
        #expect(throws: InputError.self) { try Self.fitPredict(kind, x, Array(y.dropLast()), x) }
        #expect(throws: InputError.self) { try Self.fitPredict(kind, x, [String](repeating: "a", count: y.count), x) }
        #expect(throws: InputError.self) { try Self.fitPredict(kind, x, y, Matrix(rows: 2, cols: 3)) }
        var bad = x
        bad[0, 0] = .nan
        #expect(throws: InputError.self) { try Self.fitPredict(kind, bad, y, x) }
    }

    @Test func balancedClassWeightsFollowSklearn() {
        let w = ClassifierInput.balancedWeights(["a", "a", "a", "b"], classes: ["a", "b"])
        #expect(w["a"] == 4.0 / 6.0 && w["b"] == 2.0)
    }

    @Test func shuffledStratifiedFoldsAreStratifiedAndSeeded() throws {
        let labels = (0..<30).map { $0 % 3 == 0 ? "x" : "y" }
        let a = try CrossValidation.stratifiedKFold(labels: labels, k: 5, shuffle: 7)
        let b = try CrossValidation.stratifiedKFold(labels: labels, k: 5, shuffle: 7)
        #expect(a == b)
        #expect(a != (try CrossValidation.stratifiedKFold(labels: labels, k: 5)))
        #expect(a.allSatisfy { f in f.test.filter { labels[$0] == "x" }.count == 2 })
        #expect(Set(a.flatMap(\.test)).count == 30)
        let logo = try CrossValidation.leaveOneGroupOut(groups: ["s2", "s1", "s2", "s3"])
        #expect(logo.map(\.test) == [[1], [0, 2], [3]])
    }
}
