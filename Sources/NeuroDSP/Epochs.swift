import Foundation
import NeuroCore

/// Epoched data `[trials × channels × samples]` with labels and the reasons any candidate epoch was dropped.
public struct Epochs: Sendable {
    public var data: [Double]
    public var trials: Int
    public var channels: Int
    public var samples: Int
    public var labels: [String]
    /// Subject or session of each trial (for group-wise cross-validation).
    public var groups: [String]
    public var sampleRate: Double
    public var channelNames: [String]
    /// Time of the first sample relative to the event, seconds.
    public var tmin: Double
    /// Onset (s from the recording start) of each kept epoch's event.
    public var onsets: [Double]
    /// Candidates not kept: (event onset s, label, reason).
    public var dropped: [(onset: Double, label: String, reason: String)]

    /// `data` is `[trials × channels × samples]`, row-major.
    public init(data: [Double], trials: Int, channels: Int, samples: Int, labels: [String], groups: [String],
                sampleRate: Double, channelNames: [String], tmin: Double, onsets: [Double],
                dropped: [(onset: Double, label: String, reason: String)] = []) {
        self.data = data; self.trials = trials; self.channels = channels; self.samples = samples
        self.labels = labels; self.groups = groups; self.sampleRate = sampleRate
        self.channelNames = channelNames; self.tmin = tmin; self.onsets = onsets; self.dropped = dropped
    }

    public func trial(_ t: Int) -> Matrix {
        Matrix(rows: channels, cols: samples, storage: Array(data[(t * channels * samples)..<((t + 1) * channels * samples)]))
    }

    /// Concatenates epochs of the same channels, rate and length (e.g. from several runs or subjects).
    public static func concatenate(_ parts: [Epochs]) throws -> Epochs {
        guard var out = parts.first else { throw InputError(file: "", field: "epochs", message: "no epochs to combine") }
        for p in parts.dropFirst() {
            guard p.channelNames == out.channelNames, p.sampleRate == out.sampleRate, p.samples == out.samples, p.tmin == out.tmin else {
                throw InputError(file: "", field: "epochs", message: "runs differ in channels, rate, tmin or epoch length; they cannot be stacked")
            }
            out.data += p.data
            out.trials += p.trials
            out.labels += p.labels
            out.groups += p.groups
            out.onsets += p.onsets
            out.dropped += p.dropped
        }
        return out
    }
}

public enum Epoching {
    /// Baseline correction: subtract each channel's mean over [a, b] seconds (nil = epoch start / end).
    public struct Baseline: Equatable, Sendable {
        public var start: Double?
        public var end: Double?
        public init(start: Double?, end: Double?) { self.start = start; self.end = end }
    }

    /// Event-locked epochs as MNE cuts them: sample of the event = round(onset · sfreq); samples
    /// round(tmin · sfreq) … round(tmax · sfreq) around it (both ends included). Epochs that leave the data or
    /// cross a gap between `segments` are dropped with a reason; so are epochs whose peak-to-peak amplitude
    /// exceeds `rejectPeakToPeak` (signal units) in any channel, after baseline correction.
    public static func eventLocked(_ x: Matrix, sampleRate fs: Double, channelNames: [String], events: [(onset: Double, label: String)],
                                   tmin: Double, tmax: Double, baseline: Baseline? = nil, rejectPeakToPeak: Double? = nil,
                                   segments: [Segment] = [], group: String = "") throws -> Epochs {
        guard tmax > tmin else { throw InputError(file: "", field: "tmax", message: "tmax (\(tmax)) must be greater than tmin (\(tmin))") }
        let first = Int((tmin * fs).rounded()), last = Int((tmax * fs).rounded())
        let n = last - first + 1
        var windows = [(start: Int, onset: Double, label: String)]()
        var dropped = [(onset: Double, label: String, reason: String)]()
        for e in events {
            let start = Int((e.onset * fs).rounded()) + first
            windows.append((start, e.onset, e.label))
        }
        return try cut(x, fs: fs, channelNames: channelNames, windows: windows, length: n, tmin: Double(first) / fs, baseline: baseline,
                       reject: rejectPeakToPeak, segments: segments, group: group, dropped: &dropped)
    }

    /// Consecutive epochs of `length` seconds starting every `length − overlap` seconds (MNE's
    /// make_fixed_length_epochs), labelled `label`, never crossing a gap between `segments`.
    public static func fixedLength(_ x: Matrix, sampleRate fs: Double, channelNames: [String], length: Double, overlap: Double = 0,
                                   label: String = "fixed", baseline: Baseline? = nil, rejectPeakToPeak: Double? = nil,
                                   segments: [Segment] = [], group: String = "") throws -> Epochs {
        let n = Int((length * fs).rounded())
        let step = Int(((length - overlap) * fs).rounded())
        guard n >= 1, step >= 1 else {
            throw InputError(file: "", field: "length", message: "epochs of \(length) s with \(overlap) s overlap at \(fs) Hz give no samples or no step")
        }
        // Within each contiguous segment (the whole signal when none are given).
        let spans: [Range<Int>] = segments.count > 1
            ? segments.map { Int(($0.dataOffset * fs).rounded())..<min(x.cols, Int((($0.dataOffset + $0.duration) * fs).rounded())) }
            : [0..<x.cols]
        var windows = [(start: Int, onset: Double, label: String)]()
        for span in spans {
            var s = span.lowerBound
            while s + n <= span.upperBound {
                windows.append((s, Double(s) / fs, label))
                s += step
            }
        }
        var dropped = [(onset: Double, label: String, reason: String)]()
        return try cut(x, fs: fs, channelNames: channelNames, windows: windows, length: n, tmin: 0, baseline: baseline,
                       reject: rejectPeakToPeak, segments: [], group: group, dropped: &dropped)
    }

    static func cut(_ x: Matrix, fs: Double, channelNames: [String], windows: [(start: Int, onset: Double, label: String)], length n: Int,
                    tmin: Double, baseline: Baseline?, reject: Double?, segments: [Segment], group: String,
                    dropped: inout [(onset: Double, label: String, reason: String)]) throws -> Epochs {
        var data = [Double]()
        var labels = [String](), onsets = [Double]()
        let spans = segments.map { Int(($0.dataOffset * fs).rounded())..<Int((($0.dataOffset + $0.duration) * fs).rounded()) }
        var b0 = 0, b1 = n
        if let b = baseline {
            b0 = b.start.map { max(0, Int((($0 - tmin) * fs).rounded())) } ?? 0
            b1 = b.end.map { min(n, Int((($0 - tmin) * fs).rounded()) + 1) } ?? n
            guard b1 > b0 else { throw InputError(file: "", field: "baseline", message: "the baseline interval holds no samples of the epoch") }
        }
        for w in windows {
            guard w.start >= 0, w.start + n <= x.cols else { dropped.append((w.onset, w.label, "outside the data")); continue }
            if spans.count > 1, !spans.contains(where: { $0.contains(w.start) && $0.contains(w.start + n - 1) }) {
                dropped.append((w.onset, w.label, "crosses a gap between recording segments")); continue
            }
            var epoch = [Double](repeating: 0, count: x.rows * n)
            var worst = 0.0, worstChannel = 0
            for c in 0..<x.rows {
                var row = Array(x.storage[(c * x.cols + w.start)..<(c * x.cols + w.start + n)])
                if baseline != nil {
                    let m = row[b0..<b1].reduce(0, +) / Double(b1 - b0)
                    for i in 0..<n { row[i] -= m }
                }
                let p2p = (row.max() ?? 0) - (row.min() ?? 0)
                if p2p > worst { worst = p2p; worstChannel = c }
                for i in 0..<n { epoch[c * n + i] = row[i] }
            }
            if let reject, worst > reject {
                dropped.append((w.onset, w.label, "peak-to-peak \(worst) > \(reject) in \(channelNames[worstChannel])")); continue
            }
            data += epoch
            labels.append(w.label)
            onsets.append(w.onset)
        }
        return Epochs(data: data, trials: labels.count, channels: x.rows, samples: n, labels: labels,
                      groups: [String](repeating: group, count: labels.count), sampleRate: fs, channelNames: channelNames,
                      tmin: tmin, onsets: onsets, dropped: dropped)
    }
}
