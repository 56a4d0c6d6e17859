import Foundation
import NeuroCore
@testable import NeuroDSP

/// Golden fixtures under Tests/Fixtures/golden/dsp (scripts/golden/dsp): inputs as raw float64, outputs as JSON.
enum DSPGolden {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/dsp").path

    static func cases(prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }
            .map { String($0.dropLast(5)) }.sorted()
    }

    static func load(_ name: String) throws -> JSONValue {
        try JSONValue.parse(String(contentsOfFile: root + "/\(name).json", encoding: .utf8))
    }

    /// The input `[channels × samples]` and its sampling rate.
    static func input(_ name: String) throws -> (Matrix, Double) {
        let meta = try load("inputs/\(name)")
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/inputs/\(name).f64"))
        let values = data.withUnsafeBytes { raw in (0..<(data.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
        return (Matrix(rows: meta["channels"]!.int!, cols: meta["samples"]!.int!, storage: values), meta["sfreq"]!.double!)
    }

    static func welchSettings(_ s: JSONValue?) -> WelchSettings {
        var w = WelchSettings()
        guard let s else { return w }
        if let v = s["window"]?.string { w.window = WindowFunction(name: v)! }
        if let v = s["nperseg"]?.int { w.nperseg = v }
        if let v = s["noverlap"]?.int { w.noverlap = v }
        if let v = s["nfft"]?.int { w.nfft = v }
        if let v = s["detrend"]?.string { w.detrend = WelchSettings.Detrend(rawValue: v)! }
        if let v = s["scaling"]?.string { w.scaling = WelchSettings.Scaling(rawValue: v)! }
        if let v = s["average"]?.string { w.average = WelchSettings.Average(rawValue: v)! }
        return w
    }

    /// Largest violation of |a − b| ≤ rel·|b| + absFloor·max|b| (0 when all within), for reporting.
    static func worst(_ a: [Double], _ b: [Double], rel: Double = 1e-8, absFloor: Double = 1e-10) -> Double {
        precondition(a.count == b.count, "lengths \(a.count) vs \(b.count)")
        let scale = b.map(abs).max() ?? 0
        return zip(a, b).map { max(0, abs($0 - $1) - (rel * abs($1) + absFloor * scale)) }.max() ?? 0
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let m) = self { return m.first { $0.0 == key }?.1 }
        return nil
    }
    var int: Int? { if case .int(let i) = self { return i }; return nil }
    var double: Double? {
        switch self { case .int(let i): return Double(i); case .number(let d): return d; default: return nil }
    }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    var doubles: [Double] { array?.compactMap(\.double) ?? [] }
    var matrix: [[Double]] { array?.map(\.doubles) ?? [] }
}
