import Foundation
import NeuroCore

/// Channel kinds, inferred from labels the way EEG exports name them ("EEG Fz-Ref", "EOG left", "ECG", "Status").
public enum ChannelType: String, Sendable, CaseIterable {
    case eeg, eog, ecg, emg, stim, resp, misc

    public static func infer(label: String) -> ChannelType {
        let l = label.lowercased()
        let first = l.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" }).first.map(String.init) ?? l
        switch first {
        case "eeg": return .eeg
        case "eog", "heog", "veog": return .eog
        case "ecg", "ekg": return .ecg
        case "emg": return .emg
        case "status", "trigger", "sti", "stim", "event", "marker", "dig", "dc": return .stim
        case "resp", "respiration": return .resp
        default:
            if l.hasPrefix("eog") { return .eog }
            if l.hasPrefix("ecg") || l.hasPrefix("ekg") { return .ecg }
            if l.hasPrefix("emg") { return .emg }
            if l.contains("trigger") || l.contains("status") { return .stim }
            return .eeg  // plain electrode names (Fz, C3., O1-A2) are EEG
        }
    }
}

/// Picking channels by name or wildcard pattern, and re-referencing `[channels × samples]` signals.
public enum ChannelOps {
    /// Indices of channels matching any of `patterns` (exact names, or `*`/`?` wildcards), in signal order.
    /// Throws naming the pattern that matched nothing.
    public static func select(_ patterns: [String], from labels: [String]) throws -> [Int] {
        var chosen = Set<Int>()
        for p in patterns {
            let hits = labels.indices.filter { wildcard(p, matches: labels[$0]) || labels[$0].trimmingCharacters(in: [" ", "."]) == p }
            guard !hits.isEmpty else {
                throw InputError(file: "", field: "channels", message: "\"\(p)\" matches none of \(labels.prefix(12).joined(separator: ", "))\(labels.count > 12 ? ", …" : "")")
            }
            chosen.formUnion(hits)
        }
        return chosen.sorted()
    }

    /// True when `s` matches `pattern` with `*` (any run) and `?` (one character).
    public static func wildcard(_ pattern: String, matches s: String) -> Bool {
        let p = Array(pattern), t = Array(s)
        var dp = [[Bool]](repeating: [Bool](repeating: false, count: t.count + 1), count: p.count + 1)
        dp[0][0] = true
        for i in 1...max(1, p.count) where i <= p.count {
            if p[i - 1] == "*" { dp[i][0] = dp[i - 1][0] }
            if t.isEmpty { continue }
            for j in 1...t.count {
                switch p[i - 1] {
                case "*": dp[i][j] = dp[i - 1][j] || dp[i][j - 1]
                case "?": dp[i][j] = dp[i - 1][j - 1]
                default: dp[i][j] = dp[i - 1][j - 1] && p[i - 1] == t[j - 1]
                }
            }
        }
        return dp[p.count][t.count]
    }

    public enum Reference: Equatable, Sendable {
        /// Subtract the mean of the given channels (all EEG channels when empty) from every channel.
        case average([Int])
        /// Subtract one channel (e.g. Cz) or the mean of several (e.g. linked mastoids A1, A2).
        case channels([Int])
    }

    /// Re-references the rows `apply` of `x` (default all) against `reference`.
    public static func rereference(_ x: Matrix, _ reference: Reference, apply rows: [Int]? = nil) -> Matrix {
        let refRows: [Int]
        switch reference {
        case .average(let r): refRows = r.isEmpty ? Array(0..<x.rows) : r
        case .channels(let r): refRows = r
        }
        guard !refRows.isEmpty else { return x }
        var out = x
        let targets = rows ?? Array(0..<x.rows)
        for t in 0..<x.cols {
            var m = 0.0
            for r in refRows { m += x[r, t] }
            m /= Double(refRows.count)
            for r in targets { out[r, t] = x[r, t] - m }
        }
        return out
    }
}

extension ChannelOps {
    /// The 19 channels of the 10-20 system in their current (10-10) names.
    public static let standard1020 = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8", "O1", "O2"]
    /// Old 10-20 names and their current equivalents.
    public static let legacy1020Names = ["T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"]

    /// For each of the 19 10-20 channels, the index of the recording channel carrying it: labels match case-
    /// insensitively after removing an "EEG " prefix and a reference suffix ("-REF", "-LE", "-A1"…), and the old
    /// names T3/T4/T5/T6 count as T7/T8/P7/P8. Missing channels are an error listing them.
    public static func select1020(_ labels: [String]) throws -> [Int] {
        func canonical(_ label: String) -> String {
            var l = label.trimmingCharacters(in: .whitespaces)
            if l.uppercased().hasPrefix("EEG ") { l = String(l.dropFirst(4)) }
            if let dash = l.firstIndex(of: "-") { l = String(l[..<dash]) }
            let upper = l.uppercased()
            if let modern = legacy1020Names.first(where: { $0.key.uppercased() == upper })?.value { return modern.uppercased() }
            return upper
        }
        let canon = labels.map(canonical)
        var picked = [Int](), missing = [String]()
        for name in standard1020 {
            if let i = canon.firstIndex(of: name.uppercased()) { picked.append(i) } else { missing.append(name) }
        }
        guard missing.isEmpty else {
            throw InputError(file: "", field: "channels", message: "the 10-20 montage needs \(missing.joined(separator: ", ")), which the recording lacks (it has \(labels.prefix(30).joined(separator: ", ")))")
        }
        return picked
    }
}
