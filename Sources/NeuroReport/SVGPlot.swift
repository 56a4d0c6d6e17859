import Foundation

/// Small inline SVG charts for reports: line plots with shaded bands and bar charts, with axes, ticks and a legend.
public enum SVGPlot {
    /// One curve: y over x, optionally with a band (e.g. mean ± SD across participants) drawn shaded behind it.
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public var lower: [Double]?
        public var upper: [Double]?
        public init(name: String, x: [Double], y: [Double], lower: [Double]? = nil, upper: [Double]? = nil) {
            self.name = name
            self.x = x
            self.y = y
            self.lower = lower
            self.upper = upper
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    static let (width, height) = (640.0, 320.0)
    static let (left, right, top, bottom) = (64.0, 16.0, 16.0, 44.0)

    /// Line plot; `logY` plots log10 of positive values (non-positive points are skipped).
    public static func lines(_ series: [Series], xLabel: String, yLabel: String, logY: Bool = false) -> String {
        func transform(_ v: Double) -> Double? { logY ? (v > 0 ? log10(v) : nil) : (v.isFinite ? v : nil) }
        let xs = series.flatMap(\.x).filter(\.isFinite)
        let ys = series.flatMap { s in s.y + (s.lower ?? []) + (s.upper ?? []) }.compactMap(transform)
        guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else { return emptyFigure("no data") }
        let (xa, xb) = x1 > x0 ? (x0, x1) : (x0 - 1, x1 + 1)
        let pad = (y1 - y0) * 0.05
        let (ya, yb) = y1 > y0 ? (y0 - pad, y1 + pad) : (y0 - 1, y1 + 1)
        let px = { (x: Double) in left + (x - xa) / (xb - xa) * (width - left - right) }
        let py = { (y: Double) in top + (1 - (y - ya) / (yb - ya)) * (height - top - bottom) }
        var svg = open() + axes(xa: xa, xb: xb, ya: ya, yb: yb, px: px, py: py, xLabel: xLabel, yLabel: logY ? "log10 " + yLabel : yLabel)
        for (i, s) in series.enumerated() {
            let colour = palette[i % palette.count]
            if let lower = s.lower, let upper = s.upper {
                let top = zip(s.x, upper).compactMap { x, u in transform(u).map { "\(f(px(x))),\(f(py($0)))" } }
                let bottomEdge = zip(s.x, lower).reversed().compactMap { x, l in transform(l).map { "\(f(px(x))),\(f(py($0)))" } }
                svg += "<polygon points=\"\((top + bottomEdge).joined(separator: " "))\" fill=\"\(colour)\" fill-opacity=\"0.18\" stroke=\"none\"/>"
            }
            let points = zip(s.x, s.y).compactMap { x, y in transform(y).map { "\(f(px(x))),\(f(py($0)))" } }
            svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\"/>"
        }
        svg += legend(series.map(\.name))
        return svg + "</svg>"
    }

    /// Vertical bars with optional error bars (e.g. fold accuracies, or metrics with 95% intervals).
    public static func bars(_ labels: [String], _ values: [Double], errors: [(Double, Double)]? = nil, yLabel: String, yRange: (Double, Double)? = nil) -> String {
        let finite = (values + (errors?.flatMap { [$0.0, $0.1] } ?? [])).filter(\.isFinite)
        guard !labels.isEmpty, let lo = finite.min(), let hi = finite.max() else { return emptyFigure("no data") }
        let (ya, yb) = yRange ?? (min(0, lo), hi > min(0, lo) ? hi * 1.05 : 1)
        let slot = (width - left - right) / Double(labels.count)
        let py = { (y: Double) in top + (1 - (y - ya) / (yb - ya)) * (height - top - bottom) }
        var svg = open() + axes(xa: 0, xb: 1, ya: ya, yb: yb, px: { left + $0 * (width - left - right) }, py: py, xLabel: "", yLabel: yLabel, xTicks: false)
        for (i, v) in values.enumerated() where v.isFinite {
            let x = left + Double(i) * slot + slot * 0.15
            let y = py(max(ya, min(yb, v)))
            svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(slot * 0.7))\" height=\"\(f(max(0, py(ya) - y)))\" fill=\"\(palette[0])\" fill-opacity=\"0.8\"/>"
            if let e = errors?[i], e.0.isFinite, e.1.isFinite {
                let cx = x + slot * 0.35
                svg += "<line x1=\"\(f(cx))\" x2=\"\(f(cx))\" y1=\"\(f(py(e.0)))\" y2=\"\(f(py(e.1)))\" stroke=\"#333\" stroke-width=\"1.2\"/>"
            }
            svg += "<text x=\"\(f(x + slot * 0.35))\" y=\"\(f(height - bottom + 16))\" font-size=\"11\" text-anchor=\"middle\">\(HTMLReport.escape(labels[i]))</text>"
        }
        return svg + "</svg>"
    }

    /// Box plots of several groups side by side for each category (e.g. a feature's values in controls and MCI):
    /// `values[category][group]`; box = quartiles, line = median, whiskers = the most extreme values within 1.5 IQR,
    /// points beyond them drawn as circles.
    public static func boxes(categories: [String], groups: [String], values: [[[Double]]], yLabel: String) -> String {
        let all = values.flatMap { $0.flatMap { $0 } }.filter(\.isFinite)
        guard !categories.isEmpty, let lo = all.min(), let hi = all.max() else { return emptyFigure("no data") }
        let pad = hi > lo ? (hi - lo) * 0.05 : 1
        let (ya, yb) = (lo - pad, hi + pad)
        let slot = (width - left - right) / Double(categories.count)
        let py = { (y: Double) in top + (1 - (y - ya) / (yb - ya)) * (height - top - bottom) }
        var svg = open() + axes(xa: 0, xb: 1, ya: ya, yb: yb, px: { left + $0 * (width - left - right) }, py: py, xLabel: "", yLabel: yLabel, xTicks: false)
        let boxWidth = slot * 0.7 / Double(max(1, groups.count))
        for (i, category) in categories.enumerated() {
            for (g, raw) in values[i].enumerated() {
                let v = raw.filter(\.isFinite).sorted()
                guard !v.isEmpty else { continue }
                func quantile(_ q: Double) -> Double {
                    let h = q * Double(v.count - 1), k = Int(h)
                    return k + 1 < v.count ? v[k] + (h - Double(k)) * (v[k + 1] - v[k]) : v[k]
                }
                let (q1, median, q3) = (quantile(0.25), quantile(0.5), quantile(0.75))
                let reach = 1.5 * (q3 - q1)
                let low = v.first { $0 >= q1 - reach } ?? q1, high = v.last { $0 <= q3 + reach } ?? q3
                let x = left + Double(i) * slot + slot * 0.15 + Double(g) * boxWidth, cx = x + boxWidth * 0.45
                let colour = palette[g % palette.count]
                svg += "<line x1=\"\(f(cx))\" x2=\"\(f(cx))\" y1=\"\(f(py(low)))\" y2=\"\(f(py(high)))\" stroke=\"\(colour)\" stroke-width=\"1.2\"/>"
                svg += "<rect x=\"\(f(x))\" y=\"\(f(py(q3)))\" width=\"\(f(boxWidth * 0.9))\" height=\"\(f(max(0.5, py(q1) - py(q3))))\" fill=\"\(colour)\" fill-opacity=\"0.25\" stroke=\"\(colour)\"/>"
                svg += "<line x1=\"\(f(x))\" x2=\"\(f(x + boxWidth * 0.9))\" y1=\"\(f(py(median)))\" y2=\"\(f(py(median)))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
                for o in v where o < low || o > high {
                    svg += "<circle cx=\"\(f(cx))\" cy=\"\(f(py(o)))\" r=\"2.2\" fill=\"none\" stroke=\"\(colour)\"/>"
                }
            }
            svg += "<text x=\"\(f(left + Double(i) * slot + slot * 0.5))\" y=\"\(f(height - bottom + 16))\" font-size=\"11\" text-anchor=\"middle\">\(HTMLReport.escape(category))</text>"
        }
        svg += legend(groups)
        return svg + "</svg>"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func open() -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" style=\"max-width:\(Int(width))px\" role=\"img\" font-family=\"sans-serif\">"
    }

    static func emptyFigure(_ text: String) -> String {
        open() + "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\" fill=\"#888\">\(HTMLReport.escape(text))</text></svg>"
    }

    /// Axes with about five "nice" ticks per axis.
    static func axes(xa: Double, xb: Double, ya: Double, yb: Double, px: (Double) -> Double, py: (Double) -> Double,
                     xLabel: String, yLabel: String, xTicks: Bool = true) -> String {
        var s = "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" fill=\"none\" stroke=\"#999\"/>"
        if xTicks {
            for t in ticks(xa, xb) {
                s += "<line x1=\"\(f(px(t)))\" x2=\"\(f(px(t)))\" y1=\"\(f(height - bottom))\" y2=\"\(f(height - bottom + 4))\" stroke=\"#999\"/>"
                s += "<text x=\"\(f(px(t)))\" y=\"\(f(height - bottom + 16))\" font-size=\"11\" text-anchor=\"middle\">\(label(t))</text>"
            }
        }
        for t in ticks(ya, yb) {
            s += "<line x1=\"\(f(left - 4))\" x2=\"\(f(width - right))\" y1=\"\(f(py(t)))\" y2=\"\(f(py(t)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" font-size=\"11\" text-anchor=\"end\">\(label(t))</text>"
        }
        s += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 6))\" font-size=\"12\" text-anchor=\"middle\">\(HTMLReport.escape(xLabel))</text>"
        s += "<text transform=\"translate(14,\(f((top + height - bottom) / 2))) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">\(HTMLReport.escape(yLabel))</text>"
        return s
    }

    static func legend(_ names: [String]) -> String {
        names.enumerated().map { i, name in
            let y = top + 14 + Double(i) * 16
            return "<rect x=\"\(f(width - right - 150))\" y=\"\(f(y - 9))\" width=\"10\" height=\"10\" fill=\"\(palette[i % palette.count])\"/>" +
                "<text x=\"\(f(width - right - 135))\" y=\"\(f(y))\" font-size=\"11\">\(HTMLReport.escape(name))</text>"
        }.joined()
    }

    /// Tick positions at 1, 2 or 5 × 10^n spacing covering [a, b].
    static func ticks(_ a: Double, _ b: Double) -> [Double] {
        guard b > a, a.isFinite, b.isFinite else { return [a] }
        let raw = (b - a) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var out = [Double]()
        var t = ceil(a / step) * step
        while t <= b + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1e4 || abs(v) < 1e-3 { return String(format: "%.1e", v) }
        return String(format: "%g", (v * 1000).rounded() / 1000)
    }
}
