import Foundation
import NeuroCore

/// Resting-state artifact rejection: bad channels (flat, or far noisier than the others) are flagged, the recording
/// is cut into fixed-length epochs within its segments, and epochs whose peak-to-peak amplitude on any good channel
/// exceeds a threshold (MNE's `reject`, e.g. 150 µV for EEG) are dropped. Bad channels are flagged, not
/// interpolated, and do not count towards rejection (as MNE ignores `info["bads"]`).
public enum ArtifactRejection {
    public struct Settings: Sendable {
        /// Epoch length (s).
        public var epochLength = 2.0
        /// Peak-to-peak threshold (signal units, µV for EEG); nil = no amplitude rejection.
        public var peakToPeak: Double? = 150
        /// A channel whose standard deviation is below this (signal units) is flat.
        public var flat: Double = 0.5
        /// A channel whose standard deviation exceeds this many times the median channel's is noisy.
        public var noisyRatio: Double = 5
        public init() {}
    }

    public struct Result: Sendable {
        /// Sample ranges of the kept epochs, adjacent epochs merged, in data order.
        public var keptSpans: [Range<Int>]
        public var epochs: Int
        public var rejected: Int
        /// Onset (s from the start of the data) and reason of each rejected epoch.
        public var rejections: [(onset: Double, reason: String)]
        /// (channel, reason) of each bad channel.
        public var badChannels: [(String, String)]
        public var keptSamples: Int { keptSpans.reduce(0) { $0 + $1.count } }
    }

    /// `x` `[channels × samples]` at `fs` Hz, concatenated over `segments` (none = one contiguous span).
    public static func run(_ x: Matrix, sampleRate fs: Double, channelNames: [String], segments: [Segment] = [], settings: Settings) throws -> Result {
        guard settings.epochLength > 0, settings.peakToPeak.map({ $0 > 0 }) ?? true else {
            throw InputError(file: "", field: "with", message: "epoch length and peak-to-peak threshold must be positive")
        }
        var sd = [Double](repeating: 0, count: x.rows)
        for c in 0..<x.rows {
            let row = x.row(c)
            let m = row.reduce(0, +) / Double(max(1, row.count))
            sd[c] = (row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, row.count))).squareRoot()
        }
        let median = sd.isEmpty ? 0 : OrderStatistics.median(sd)
        var bad = [(String, String)](), good = [Int]()
        for c in 0..<x.rows {
            if sd[c] < settings.flat { bad.append((channelNames[c], "flat: SD \(format(sd[c])) < \(format(settings.flat))")) }
            else if median > 0 && sd[c] > settings.noisyRatio * median { bad.append((channelNames[c], "noisy: SD \(format(sd[c])) > \(format(settings.noisyRatio)) × median \(format(median))")) }
            else { good.append(c) }
        }
        let n = Int((settings.epochLength * fs).rounded())
        guard n >= 2 else { throw InputError(file: "", field: "with.length", message: "\(settings.epochLength) s at \(fs) Hz is shorter than 2 samples") }
        let spans: [Range<Int>] = segments.count > 1
            ? segments.map { Int(($0.dataOffset * fs).rounded())..<min(x.cols, Int((($0.dataOffset + $0.duration) * fs).rounded())) }
            : [0..<x.cols]
        var kept = [Range<Int>](), rejections = [(onset: Double, reason: String)](), epochs = 0
        for span in spans {
            var s = span.lowerBound
            while s + n <= span.upperBound {
                epochs += 1
                var reason: String? = nil
                if let limit = settings.peakToPeak {
                    for c in good {
                        var lo = Double.infinity, hi = -Double.infinity
                        let base = c * x.cols
                        for t in s..<(s + n) { lo = min(lo, x.storage[base + t]); hi = max(hi, x.storage[base + t]) }
                        if hi - lo > limit { reason = "peak-to-peak \(format(hi - lo)) > \(format(limit)) on \(channelNames[c])"; break }
                    }
                }
                if let reason { rejections.append((Double(s) / fs, reason)) }
                else if let last = kept.last, last.upperBound == s { kept[kept.count - 1] = last.lowerBound..<(s + n) }
                else { kept.append(s..<(s + n)) }
                s += n
            }
        }
        return Result(keptSpans: kept, epochs: epochs, rejected: rejections.count, rejections: rejections, badChannels: bad)
    }

    static func format(_ v: Double) -> String { String(format: "%.3g", v) }
}
