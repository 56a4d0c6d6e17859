import CLinear
import CSVM
import Foundation
import NeuroCore

/// L2-regularised logistic regression through liblinear (scikit-learn's `LogisticRegression(solver='liblinear')`):
/// primal L2R_LR, intercept as a bias feature of value 1 (regularised, as liblinear does), tolerance 1e-4.
public struct LogisticRegression: VectorClassifier {
    public var c: Double = 1
    public var balancedClassWeights = false
    public var tolerance = 1e-4
    public init(c: Double = 1, balancedClassWeights: Bool = false, tolerance: Double = 1e-4) {
        self.c = c; self.balancedClassWeights = balancedClassWeights; self.tolerance = tolerance
    }

    public func fit(_ x: Matrix, _ y: [String]) throws -> FittedLogisticRegression {
        let classes = try ClassifierInput.validate(x, y)
        neuropipe_linear_silence()
        let n = x.cols
        var nodes = [feature_node]()
        nodes.reserveCapacity(x.rows * (n + 2))
        for r in 0..<x.rows {
            for j in 0..<n { nodes.append(feature_node(index: Int32(j + 1), value: x[r, j])) }
            nodes.append(feature_node(index: Int32(n + 1), value: 1))
            nodes.append(feature_node(index: -1, value: 0))
        }
        var labels = y.map { Double(classes.firstIndex(of: $0)!) }
        var weightLabels = classes.indices.map { Int32($0) }
        let weightsByClass = ClassifierInput.balancedWeights(y, classes: classes)
        var weights = classes.map { balancedClassWeights ? weightsByClass[$0]! : 1 }
        let model: UnsafeMutablePointer<model>? = nodes.withUnsafeMutableBufferPointer { nb in
            var rows = (0..<x.rows).map { Optional(nb.baseAddress! + $0 * (n + 2)) }
            return rows.withUnsafeMutableBufferPointer { rb in
                labels.withUnsafeMutableBufferPointer { lb in
                    weightLabels.withUnsafeMutableBufferPointer { wl in
                        weights.withUnsafeMutableBufferPointer { w in
                            var prob = problem(l: Int32(x.rows), n: Int32(n + 1), y: lb.baseAddress, x: rb.baseAddress, bias: 1)
                            var param = parameter(solver_type: Int32(L2R_LR), eps: tolerance, C: c, nr_weight: Int32(classes.count),
                                                  weight_label: wl.baseAddress, weight: w.baseAddress, p: 0.1, init_sol: nil)
                            if check_parameter(&prob, &param) != nil { return nil }
                            return train(&prob, &param)
                        }
                    }
                }
            }
        }
        guard let model else { throw RuntimeFailure(context: "liblinear", message: "training failed") }
        defer { var m: UnsafeMutablePointer<CLinear.model>? = model; free_and_destroy_model(&m) }
        // Copy the decision function out: w[feature][class column] in liblinear's label order.
        let nrClass = Int(get_nr_class(model))
        var modelLabels = [Int32](repeating: 0, count: nrClass)
        get_labels(model, &modelLabels)
        let columns = nrClass == 2 ? 1 : nrClass
        var w = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: columns)
        for k in 0..<columns {
            for j in 0..<n { w[k][j] = get_decfun_coef(model, Int32(j + 1), Int32(k)) }
            w[k][n] = get_decfun_bias(model, Int32(k))  // get_decfun_coef returns 0 for the bias index
        }
        return FittedLogisticRegression(classes: classes, modelLabels: modelLabels.map { classes[Int($0)] }, weights: w)
    }
}

public struct FittedLogisticRegression: FittedVectorClassifier {
    public let classes: [String]
    /// liblinear's class order (first appearance), to which `weights` refer.
    let modelLabels: [String]
    /// One weight row per decision function (one for binary), last entry the intercept.
    public let weights: [[Double]]

    public func predictProbability(_ x: Matrix) throws -> [[Double]] {
        guard x.cols + 1 == weights[0].count else { throw InputError(file: "", field: "X", message: "\(x.cols) features; the model was fitted on \(weights[0].count - 1)") }
        return (0..<x.rows).map { r in
            let dec = weights.map { w in zip(w.dropLast(), x.row(r)).reduce(w.last!) { $0 + $1.0 * $1.1 } }
            var byModel: [Double]
            if weights.count == 1 {
                let p = 1 / (1 + exp(-dec[0]))
                byModel = [p, 1 - p]
            } else {
                byModel = dec.map { 1 / (1 + exp(-$0)) }  // liblinear's one-vs-rest, normalised
                let s = byModel.reduce(0, +)
                byModel = byModel.map { $0 / s }
            }
            return classes.map { c in byModel[modelLabels.firstIndex(of: c)!] }
        }
    }

    public func predict(_ x: Matrix) throws -> [String] {
        try predictProbability(x).map { p in classes[p.indices.max { p[$0] < p[$1] }!] }
    }
}

/// C-support vector classification through libsvm (scikit-learn's `SVC`): RBF (gamma "scale" = 1/(features·var(X))
/// by default) or linear kernel; labels from the decision function, probabilities by libsvm's Platt scaling.
public struct SupportVectorClassifier: VectorClassifier {
    public enum Kernel: String, Sendable { case rbf, linear }
    public var kernel: Kernel = .rbf
    public var c: Double = 1
    /// nil = "scale".
    public var gamma: Double? = nil
    public var balancedClassWeights = false
    public init(kernel: Kernel = .rbf, c: Double = 1, gamma: Double? = nil, balancedClassWeights: Bool = false) {
        self.kernel = kernel; self.c = c; self.gamma = gamma; self.balancedClassWeights = balancedClassWeights
    }

    public func fit(_ x: Matrix, _ y: [String]) throws -> FittedSVC {
        let classes = try ClassifierInput.validate(x, y)
        neuropipe_svm_silence()
        let n = x.cols
        let mean = x.storage.reduce(0, +) / Double(x.storage.count)
        let variance = x.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.storage.count)
        let g = gamma ?? (variance > 0 ? 1 / (Double(n) * variance) : 1)
        let storage = SVMStorage(x: x)
        var labels = y.map { Double(classes.firstIndex(of: $0)!) }
        var weightLabels = classes.indices.map { Int32($0) }
        let byClass = ClassifierInput.balancedWeights(y, classes: classes)
        var weights = classes.map { balancedClassWeights ? byClass[$0]! : 1 }
        // libsvm's probability fit shuffles with rand(): seed it for reproducible probabilities.
        srand(0)
        let model: UnsafeMutablePointer<svm_model>? = labels.withUnsafeMutableBufferPointer { lb in
            weightLabels.withUnsafeMutableBufferPointer { wl in
                weights.withUnsafeMutableBufferPointer { w in
                    storage.rows.withUnsafeMutableBufferPointer { rb in
                        var prob = svm_problem(l: Int32(x.rows), y: lb.baseAddress, x: rb.baseAddress)
                        var param = svm_parameter(svm_type: Int32(C_SVC), kernel_type: Int32(kernel == .rbf ? RBF : LINEAR), degree: 3, gamma: g, coef0: 0,
                                                  cache_size: 200, eps: 1e-3, C: c, nr_weight: Int32(classes.count), weight_label: wl.baseAddress,
                                                  weight: w.baseAddress, nu: 0.5, p: 0.1, shrinking: 1, probability: 1)
                        if svm_check_parameter(&prob, &param) != nil { return nil }
                        // The model keeps pointers to its support vectors in `storage`; the fitted value owns both.
                        return svm_train(&prob, &param)
                    }
                }
            }
        }
        guard let model else { throw RuntimeFailure(context: "libsvm", message: "training failed") }
        return FittedSVC(classes: classes, features: n, handle: SVMModelHandle(model: model, storage: storage))
    }
}

/// svm_node rows of a matrix, owned for the lifetime of a libsvm model that points into them.
final class SVMStorage: @unchecked Sendable {
    var nodes: [svm_node]
    var rows: [UnsafeMutablePointer<svm_node>?]
    init(x: Matrix) {
        let n = x.cols
        var nodes = [svm_node]()
        nodes.reserveCapacity(x.rows * (n + 1))
        for r in 0..<x.rows {
            for j in 0..<n { nodes.append(svm_node(index: Int32(j + 1), value: x[r, j])) }
            nodes.append(svm_node(index: -1, value: 0))
        }
        self.nodes = nodes
        rows = []
        // Stable addresses: the array is never resized after this point.
        let base = self.nodes.withUnsafeMutableBufferPointer { $0.baseAddress! }
        rows = (0..<x.rows).map { base + $0 * (n + 1) }
    }
}

final class SVMModelHandle: @unchecked Sendable {
    var model: UnsafeMutablePointer<svm_model>?
    let storage: SVMStorage
    let lock = Lock()
    init(model: UnsafeMutablePointer<svm_model>, storage: SVMStorage) { self.model = model; self.storage = storage }
    deinit { svm_free_and_destroy_model(&model) }
}

public struct FittedSVC: FittedVectorClassifier {
    public let classes: [String]
    let features: Int
    let handle: SVMModelHandle

    /// Binary decision values oriented toward `classes[1]` (positive = classes[1]), as scikit-learn's
    /// `SVC.decision_function`; nil for more than two classes.
    public func decisionFunction(_ x: Matrix) throws -> [Double]? {
        guard classes.count == 2 else { return nil }
        guard x.cols == features else { throw InputError(file: "", field: "X", message: "\(x.cols) features; the model was fitted on \(features)") }
        return handle.lock.withLock {
            let model = handle.model!
            var modelLabels = [Int32](repeating: 0, count: 2)
            svm_get_labels(model, &modelLabels)
            let sign: Double = modelLabels[0] == 1 ? 1 : -1  // libsvm's value is positive toward its first label
            return (0..<x.rows).map { r in
                var row = (0..<x.cols).map { svm_node(index: Int32($0 + 1), value: x[r, $0]) } + [svm_node(index: -1, value: 0)]
                var dec = 0.0
                _ = svm_predict_values(model, &row, &dec)
                return sign * dec
            }
        }
    }

    public func rankingScores(_ x: Matrix) throws -> [[Double]] {
        if let d = try decisionFunction(x) { return d.map { [-$0, $0] } }
        return try predictProbability(x)
    }

    private func evaluate(_ x: Matrix) throws -> (labels: [String], probabilities: [[Double]]) {
        guard x.cols == features else { throw InputError(file: "", field: "X", message: "\(x.cols) features; the model was fitted on \(features)") }
        return handle.lock.withLock {
            let model = handle.model!
            let k = Int(svm_get_nr_class(model))
            var modelLabels = [Int32](repeating: 0, count: k)
            svm_get_labels(model, &modelLabels)
            var labels = [String](), probs = [[Double]]()
            for r in 0..<x.rows {
                var row = (0..<x.cols).map { svm_node(index: Int32($0 + 1), value: x[r, $0]) } + [svm_node(index: -1, value: 0)]
                let predicted = svm_predict(model, &row)
                var p = [Double](repeating: 0, count: k)
                _ = svm_predict_probability(model, &row, &p)
                labels.append(classes[Int(predicted)])
                probs.append(classes.indices.map { c in p[modelLabels.firstIndex(of: Int32(c))!] })
            }
            return (labels, probs)
        }
    }

    public func predict(_ x: Matrix) throws -> [String] { try evaluate(x).labels }
    public func predictProbability(_ x: Matrix) throws -> [[Double]] { try evaluate(x).probabilities }
}
