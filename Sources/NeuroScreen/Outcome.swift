import Foundation
import NeuroCore
import NeuroLearn

/// What the features are screened against: a continuous score, or class labels (binary or categorical).
public enum OutcomeKind: String, Sendable, CaseIterable {
    case continuous, binary, categorical
}

/// One outcome value per sample, `[samples]`. Discrete outcomes are stored as class indices 0…K−1 (`classLabels`
/// in sorted order), so a binary 0/1 outcome keeps its values.
public struct Outcome: Sendable, Equatable {
    public let values: [Double]
    public let kind: OutcomeKind
    public let classLabels: [String]

    public var count: Int { values.count }
    public var isDiscrete: Bool { kind != .continuous }
    public var classCount: Int { classLabels.count }

    /// A continuous outcome; every value must be finite.
    public init(continuous values: [Double]) {
        self.values = values
        kind = .continuous
        classLabels = []
    }

    /// A discrete outcome from labels (numeric labels sort numerically, others as text); `binary` when 2 classes.
    public init(labels: [String], kind requested: OutcomeKind? = nil) throws {
        var distinct = Array(Set(labels))
        if distinct.allSatisfy({ Double($0) != nil }) {
            distinct.sort { Double($0)! < Double($1)! }
        } else {
            distinct.sort()
        }
        guard distinct.count >= 2 else {
            throw InputError(file: "outcome", field: "values", message: "needs at least 2 classes, found \(distinct.count) (\(distinct.joined(separator: ", ")))")
        }
        let kind: OutcomeKind = requested ?? (distinct.count == 2 ? .binary : .categorical)
        if kind == .binary, distinct.count != 2 {
            throw InputError(file: "outcome", field: "values", message: "a binary outcome needs exactly 2 classes, found \(distinct.count): \(distinct.prefix(10).joined(separator: ", "))")
        }
        let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Double($0)) })
        values = labels.map { index[$0]! }
        self.kind = kind
        classLabels = distinct
    }

    init(values: [Double], kind: OutcomeKind, classLabels: [String]) {
        self.values = values
        self.kind = kind
        self.classLabels = classLabels
    }

    /// The outcome of samples `rows` (e.g. a training fold), in that order.
    public func subset(_ rows: [Int]) -> Outcome {
        Outcome(values: rows.map { values[$0] }, kind: kind, classLabels: classLabels)
    }

    /// The same values in a seeded random order (one permutation of a permutation test).
    public func permuted(seed: UInt64) -> Outcome {
        var shuffled = values
        var rng = SplitMix(seed: seed)
        rng.shuffle(&shuffled)
        return Outcome(values: shuffled, kind: kind, classLabels: classLabels)
    }

    /// Class index per sample (discrete outcomes only).
    var classIndices: [Int] { values.map { Int($0) } }
}
