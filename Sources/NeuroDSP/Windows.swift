import Foundation

/// Window functions as `scipy.signal.get_window` computes them. `periodic` (SciPy's default for spectral
/// analysis, `fftbins=True`) samples an (n+1)-point symmetric window and drops the last point.
public enum WindowFunction: Equatable, Sendable {
    case hann, hamming, boxcar
    case kaiser(beta: Double)

    /// Parses "hann", "hamming", "boxcar", "kaiser:BETA" (names as SciPy spells them; "hanning" accepted).
    public init?(name: String) {
        switch name.lowercased() {
        case "hann", "hanning": self = .hann
        case "hamming": self = .hamming
        case "boxcar", "rect", "rectangular", "ones": self = .boxcar
        default:
            if name.lowercased().hasPrefix("kaiser:"), let b = Double(name.dropFirst(7)) { self = .kaiser(beta: b) } else { return nil }
        }
    }

    public var name: String {
        switch self {
        case .hann: return "hann"
        case .hamming: return "hamming"
        case .boxcar: return "boxcar"
        case .kaiser(let b): return "kaiser:\(b)"
        }
    }

    /// `n` samples of the window.
    public func samples(_ n: Int, periodic: Bool = true) -> [Double] {
        guard n > 1 else { return n == 1 ? [1] : [] }
        let m = periodic ? n + 1 : n
        let denom = Double(m - 1)
        let w: [Double] = (0..<m).map { i in
            let x = Double(i)
            switch self {
            case .hann: return 0.5 - 0.5 * cos(2 * .pi * x / denom)
            case .hamming: return 0.54 - 0.46 * cos(2 * .pi * x / denom)
            case .boxcar: return 1
            case .kaiser(let beta):
                let r = 2 * x / denom - 1
                return besselI0(beta * (1 - r * r).squareRoot()) / besselI0(beta)
            }
        }
        return periodic ? Array(w.prefix(n)) : w
    }
}

/// Modified Bessel function of the first kind, order 0 (power series; converges for all real x used by Kaiser
/// windows, to full double precision).
public func besselI0(_ x: Double) -> Double {
    var sum = 1.0, term = 1.0
    let q = x * x / 4
    var k = 1.0
    while true {
        term *= q / (k * k)
        sum += term
        if term < sum * 1e-17 { break }
        k += 1
    }
    return sum
}
