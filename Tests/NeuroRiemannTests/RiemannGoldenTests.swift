import Foundation
import Testing
import NeuroCore
import NeuroLearn
@testable import NeuroRiemann

/// Golden fixtures from scripts/golden/riemann (pyRiemann 0.12, scikit-learn 1.9.0, MOABB 1.7.2).
enum RiemannGolden {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/riemann").path

    static func load(_ name: String) throws -> JSONValue { try JSONValue.parse(String(contentsOfFile: root + "/\(name).json", encoding: .utf8)) }

    /// The 45 imagery epochs `[trials][channels × samples]` (µV) and their labels.
    static let epochs: (x: [Matrix], y: [String]) = {
        let meta = try! load("epochs_mi")
        let shape = meta["shape"]!.array!.map { $0.int! }
        let data = try! Data(contentsOf: URL(fileURLWithPath: root + "/epochs_mi.f64"))
        let v = data.withUnsafeBytes { r in (0..<(data.count / 8)).map { Double(bitPattern: UInt64(littleEndian: r.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
        let per = shape[1] * shape[2]
        let x = (0..<shape[0]).map { Matrix(rows: shape[1], cols: shape[2], storage: Array(v[($0 * per)..<(($0 + 1) * per)])) }
        return (x, meta["labels"]!.array!.map { $0.string! })
    }()

    static func matrix(_ v: JSONValue) -> Matrix {
        let rows = v.array!.map { $0.array!.map { $0.double! } }
        return Matrix(rows: rows.count, cols: rows[0].count, storage: rows.flatMap { $0 })
    }

    /// max |a − b| relative to max |b|.
    static func relError(_ a: Matrix, _ b: Matrix) -> Double {
        let scale = b.storage.map(abs).max() ?? 1
        return zip(a.storage, b.storage).map { abs($0 - $1) }.max()! / scale
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? { if case .object(let m) = self { return m.first { $0.0 == key }?.1 }; return nil }
    var int: Int? { if case .int(let i) = self { return i }; return nil }
    var double: Double? { switch self { case .int(let i): return Double(i); case .number(let d): return d; default: return nil } }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
}

struct RiemannGoldenTests {
    let x = RiemannGolden.epochs.x
    let y = RiemannGolden.epochs.y

    @Test func covarianceEstimatorsAndShrinkageMatchPyRiemannAndSklearn() throws {
        let g = try RiemannGolden.load("covariances")
        for name in ["scm", "cov", "lwf", "oas"] {
            let ref = g["estimators"]![name]!.array!
            for t in 0..<6 {
                let c = try CovarianceEstimator(name: name).estimate(x[t]).covariance
                #expect(RiemannGolden.relError(c, RiemannGolden.matrix(ref[t])) < 1e-10, "\(name) trial \(t)")
            }
        }
        for t in 0..<6 {
            #expect(abs(try CovarianceEstimator.lwf.estimate(x[t]).shrinkage - g["lwf_shrinkage"]!.array![t].double!) < 1e-10)
            #expect(abs(try CovarianceEstimator.oas.estimate(x[t]).shrinkage - g["oas_shrinkage"]!.array![t].double!) < 1e-10)
            let s = try CovarianceEstimator.shrinkage(0.1).estimate(x[t]).covariance
            #expect(RiemannGolden.relError(s, RiemannGolden.matrix(g["shrinkage_0_1"]!.array![t])) < 1e-10)
        }
    }

    @Test(arguments: ["acm_1_1", "acm_3_2", "acm_5_1"])
    func augmentedCovarianceMatchesMOABB(name: String) throws {
        let g = try RiemannGolden.load(name)
        let (order, lag) = (g["order"]!.int!, g["lag"]!.int!)
        let embedded = try AugmentedCovariance.embed(x[0], order: order, lag: lag)
        #expect([1, embedded.rows, embedded.cols] == g["augmented_shape"]!.array!.map { $0.int! }.enumerated().map { $0.offset == 0 ? 1 : $0.element })
        #expect(embedded.storage == RiemannGolden.matrix(g["first_augmented"]!).storage, "embedding is a copy: bit-identical")
        for t in 0..<4 {
            let c = try CovarianceEstimator.cov.estimate(try AugmentedCovariance.embed(x[t], order: order, lag: lag)).covariance
            #expect(RiemannGolden.relError(c, RiemannGolden.matrix(g["covariances"]!.array![t])) < 1e-10, "\(name) trial \(t)")
        }
        #expect(throws: InputError.self) { try AugmentedCovariance.embed(x[0], order: 400, lag: 2) }
    }

    @Test func distancesAndMeansMatchPyRiemann() throws {
        let g = try RiemannGolden.load("geometry")
        let covs = try CovarianceEstimator.lwf.estimateAll(x)
        for i in 0..<10 {
            #expect(abs(try SPD.distanceRiemann(covs[i], covs[i + 1]) - g["distance_riemann"]!.array![i].double!) < 1e-9)
            #expect(abs(try SPD.distanceLogEuclid(covs[i], covs[i + 1]) - g["distance_logeuclid"]!.array![i].double!) < 1e-9)
        }
        let (m, converged) = try SPD.meanRiemann(Array(covs[0..<20]))
        #expect(converged)
        #expect(RiemannGolden.relError(m, RiemannGolden.matrix(g["mean_riemann"]!)) < 1e-8)
        #expect(RiemannGolden.relError(try SPD.meanLogEuclid(Array(covs[0..<20])), RiemannGolden.matrix(g["mean_logeuclid"]!)) < 1e-10)
        let (mw, _) = try SPD.meanRiemann(Array(covs[0..<10]), weights: (1...10).map(Double.init))
        #expect(RiemannGolden.relError(mw, RiemannGolden.matrix(g["mean_riemann_weighted"]!)) < 1e-8)
    }

    @Test func tangentSpaceMatchesPyRiemann() throws {
        let g = try RiemannGolden.load("tangent_space")
        let covs = try CovarianceEstimator.lwf.estimateAll(x)
        let ts = try TangentSpace().fit(Array(covs[0..<30]))
        #expect(RiemannGolden.relError(ts.reference, RiemannGolden.matrix(g["reference"]!)) < 1e-8)
        let v = try ts.transform(Array(covs[30...]))
        #expect(RiemannGolden.relError(v, RiemannGolden.matrix(g["vectors"]!)) < 1e-8)
        let back = try ts.inverseTransform(Matrix(rows: 3, cols: v.cols, storage: Array(v.storage[0..<(3 * v.cols)])))
        for k in 0..<3 { #expect(RiemannGolden.relError(back[k], covs[30 + k]) < 1e-9, "inverse transform round-trips") }
    }

    @Test func foldsAndClassifiersMatchSklearnAndPyRiemannFoldByFold() throws {
        let g = try RiemannGolden.load("classification")
        let covs = try CovarianceEstimator.lwf.estimateAll(x)
        let folds = try CrossValidation.stratifiedKFold(labels: y, k: 5)
        #expect(folds.map(\.test) == g["folds_test"]!.array!.map { $0.array!.map { $0.int! } }, "identical fold assignment")
        var mdmCorrect = 0, mdmRefCorrect = 0, lrAgree = 0, lrRefCorrect = 0, lrCorrect = 0, ldaAgree = 0, total = 0
        for (f, fold) in folds.enumerated() {
            let train = fold.train.map { covs[$0] }, test = fold.test.map { covs[$0] }
            let ytrain = fold.train.map { y[$0] }, ytest = fold.test.map { y[$0] }
            let mdm = try MDM().fit(train, ytrain)
            let pred = try mdm.predict(test)
            let refPred = g["mdm_predictions"]!.array![f].array!.map { $0.string! }
            #expect(pred == refPred, "MDM predictions fold \(f)")
            let proba = try mdm.predictProbability(test)
            for (p, r) in zip(proba, g["mdm_probabilities"]!.array![f].array!) {
                #expect(zip(p, r.array!.map { $0.double! }).allSatisfy { abs($0 - $1) < 1e-8 }, "MDM probabilities fold \(f)")
            }
            let lr = try TangentSpaceClassifier(LogisticRegression(tolerance: 1e-10)).fit(train, ytrain)
            let lrPred = try lr.predict(test)
            for (p, r) in zip(try lr.predictProbability(test), g["tslr_probabilities"]!.array![f].array!) {
                #expect(zip(p, r.array!.map { $0.double! }).allSatisfy { abs($0 - $1) < 1e-6 }, "TS+LR probabilities fold \(f)")
            }
            let refLR = g["tslr_predictions"]!.array![f].array!.map { $0.string! }
            lrAgree += zip(lrPred, refLR).filter { $0 == $1 }.count
            lrCorrect += zip(lrPred, ytest).filter { $0 == $1 }.count
            lrRefCorrect += zip(refLR, ytest).filter { $0 == $1 }.count
            // TS+SVM (RBF): libsvm 3.24 (Debian) vs scikit-learn's bundled libsvm, both stopping at 1e-3.
            let ts = try TangentSpace().fit(train)
            let svm = try SupportVectorClassifier().fit(try ts.transform(train), ytrain)
            let dec = try svm.decisionFunction(try ts.transform(test))!
            let refDec = g["tssvm_decision"]!.array![f].array!.map { $0.double! }
            #expect(try svm.predict(try ts.transform(test)) == g["tssvm_predictions"]!.array![f].array!.map { $0.string! }, "TS+SVM predictions fold \(f)")
            #expect(zip(dec, refDec).allSatisfy { abs($0 - $1) < 1e-2 }, "TS+SVM decision values fold \(f): \(dec) vs \(refDec)")
            let lda = try TangentSpaceClassifier(ShrinkageLDA()).fit(train, ytrain)
            ldaAgree += zip(try lda.predict(test), g["tslda_predictions"]!.array![f].array!.map { $0.string! }).filter { $0 == $1 }.count
            mdmCorrect += zip(pred, ytest).filter { $0 == $1 }.count
            mdmRefCorrect += zip(refPred, ytest).filter { $0 == $1 }.count
            total += test.count
        }
        #expect(mdmCorrect == mdmRefCorrect)
        // liblinear 2.3 (Debian) and scikit-learn's bundled liblinear use different solvers; at tolerance 1e-10 both
        // reach the same optimum, so every prediction (hence the accuracy) is identical.
        #expect(lrAgree == total && lrCorrect == lrRefCorrect, "TS+LR: \(lrAgree)/\(total) predictions agree, accuracy \(lrCorrect) vs \(lrRefCorrect)")
        #expect(ldaAgree == total, "TS+LDA: \(ldaAgree)/\(total) predictions agree")
    }
}

struct LearnGoldenTests {
    @Test func stratifiedKFoldIsIdenticalToSklearn() throws {
        let g = try RiemannGolden.load("stratified_kfold")
        for c in g["cases"]!.array! {
            let labels = c["labels"]!.array!.map { $0.string! }
            let folds = try CrossValidation.stratifiedKFold(labels: labels, k: c["k"]!.int!)
            #expect(folds.map(\.test) == c["test_folds"]!.array!.map { $0.array!.map { $0.int! } }, "\(labels) k=\(c["k"]!.int!)")
        }
    }

    @Test func metricsMatchSklearn() throws {
        let g = try RiemannGolden.load("metrics")
        let t = g["truth"]!.array!.map { $0.string! }, p = g["predicted"]!.array!.map { $0.string! }
        #expect(abs(Metrics.balancedAccuracy(t, p) - g["balanced_accuracy"]!.double!) < 1e-12)
        #expect(abs(Metrics.cohenKappa(t, p) - g["kappa"]!.double!) < 1e-12)
        #expect(abs(Metrics.rocAUC(positive: t.map { $0 == "b" }, scores: g["scores"]!.array!.map { $0.double! }) - g["auc_binary"]!.double!) < 1e-12)
        let t3 = g["truth3"]!.array!.map { $0.string! }, p3 = g["proba3"]!.array!.map { $0.array!.map { $0.double! } }
        #expect(abs(Metrics.rocAUC(truth: t3, probabilities: p3, classes: ["a", "b", "c"]) - g["auc_ovr_macro"]!.double!) < 1e-12)
    }
}

/// The same contract for every covariance classifier (MDM, TS+LR, TS+SVM, TS+LDA).
struct CovarianceClassifierConformanceTests {
    static let all: [(String, any CovarianceClassifier)] = [("mdm", MDM()), ("ts-lr", TangentSpaceClassifier(LogisticRegression())),
                                                            ("ts-svm", TangentSpaceClassifier(SupportVectorClassifier())),
                                                            ("ts-lda", TangentSpaceClassifier(ShrinkageLDA()))]

    /// SPD matrices around class-specific means diag(1, 1, 1) scaled on axis k.
    static func data(classes: Int, perClass: Int, seed: UInt64) -> ([Matrix], [String]) {
        var rng = SplitMix(seed: seed)
        var covs = [Matrix](), y = [String]()
        for k in 0..<classes {
            for _ in 0..<perClass {
                var a = Matrix(rows: 3, cols: 3)
                for i in 0..<3 { for j in 0..<3 { a[i, j] = rng.uniform() - 0.5 } }
                var c = Matrix.product(a, a, transposeB: true)
                for i in 0..<3 { c[i, i] += i == k ? 3 : 0.5 }
                covs.append(c)
                y.append("k\(k)")
            }
        }
        return (covs, y)
    }

    @Test(arguments: [0, 1, 2, 3], [2, 3])
    func contract(index: Int, classes: Int) throws {
        let (name, clf) = Self.all[index]
        let (covs, y) = Self.data(classes: classes, perClass: 25, seed: 3)
        let (test, yt) = Self.data(classes: classes, perClass: 15, seed: 4)
        let fitted = try clf.fit(covs, y)
        #expect(fitted.classes == (0..<classes).map { "k\($0)" })
        let p = try fitted.predictProbability(test)
        #expect(p.allSatisfy { $0.count == classes && abs($0.reduce(0, +) - 1) < 1e-9 }, "\(name)")
        #expect(Metrics.accuracy(yt, try fitted.predict(test)) > 0.8, "\(name) learns separable classes")
        #expect(throws: InputError.self) { try clf.fit(covs, Array(y.dropLast())) }
        #expect(throws: InputError.self) { try clf.fit(covs + [Matrix.identity(4)], y + ["k0"]) }
    }

    @Test func nonSPDCovariancesAreReportedWithAFix() throws {
        // Average reference makes channels linearly dependent: SCM loses rank, shrinkage fixes it.
        let x = RiemannGolden.epochs.x[0]
        var avg = x
        for t in 0..<x.cols { let m = (0..<x.rows).reduce(0.0) { $0 + x[$1, t] } / Double(x.rows); for r in 0..<x.rows { avg[r, t] -= m } }
        #expect { try CovarianceEstimator.scm.estimateAll([avg]) } throws: { ($0 as? InputError)?.message.contains("use --estimator lwf or oas") == true }
        #expect(try CovarianceEstimator.lwf.estimateAll([avg]).count == 1)
    }
}

