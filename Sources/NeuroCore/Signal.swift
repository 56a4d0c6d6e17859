/// Metadata of one signal channel as EDF/BDF and the HDF5 layouts describe it.
public struct ChannelInfo: Equatable, Sendable {
    public var label: String
    /// Physical unit, e.g. "uV".
    public var unit: String
    /// Samples per second (Hz); may be non-integer.
    public var sampleRate: Double
    public var physicalMin: Double
    public var physicalMax: Double
    public var digitalMin: Int
    public var digitalMax: Int
    public var prefilter: String
    public var transducer: String

    public init(label: String, unit: String, sampleRate: Double, physicalMin: Double, physicalMax: Double,
                digitalMin: Int, digitalMax: Int, prefilter: String = "", transducer: String = "") {
        self.label = label
        self.unit = unit
        self.sampleRate = sampleRate
        self.physicalMin = physicalMin
        self.physicalMax = physicalMax
        self.digitalMin = digitalMin
        self.digitalMax = digitalMax
        self.prefilter = prefilter
        self.transducer = transducer
    }
}

/// An event or interval in a recording. `onset` in seconds from the recording's first sample;
/// `duration` in seconds, nil when the file gives none.
public struct Annotation: Equatable, Sendable {
    public var onset: Double
    public var duration: Double?
    public var text: String
    public init(onset: Double, duration: Double?, text: String) {
        self.onset = onset
        self.duration = duration
        self.text = text
    }
}

/// A stretch of contiguous samples; onset in seconds from the first sample, duration in seconds.
/// Continuous recordings have exactly one; EDF+D files with gaps have one per contiguous run of records.
public struct Segment: Equatable, Sendable {
    public var onset: Double
    public var duration: Double
    /// Seconds of data that precede this segment in the concatenated samples
    /// (its first sample index in a channel is `dataOffset × sampleRate`).
    public var dataOffset: Double
    public init(onset: Double, duration: Double, dataOffset: Double) {
        self.onset = onset
        self.duration = duration
        self.dataOffset = dataOffset
    }
}

/// Multichannel samples where channels may have different rates. Storage is one contiguous Float64 buffer,
/// channel after channel: channel i is `samples[offsets[i] ..< offsets[i] + counts[i]]`.
public struct MultichannelSignal: Equatable, Sendable {
    public var channels: [ChannelInfo]
    public var samples: [Double]
    public var offsets: [Int]
    public var counts: [Int]

    public init(channels: [ChannelInfo], samples: [Double], counts: [Int]) {
        precondition(channels.count == counts.count, "one sample count per channel")
        var offsets = [Int]()
        offsets.reserveCapacity(counts.count)
        var running = 0
        for c in counts {
            offsets.append(running)
            running += c
        }
        precondition(running == samples.count, "sample counts sum to \(running), buffer has \(samples.count)")
        self.channels = channels
        self.samples = samples
        self.offsets = offsets
        self.counts = counts
    }

    /// Equal-rate channels as one `[channels × samples]` signal.
    public init(channels: [ChannelInfo], matrix: Matrix) {
        precondition(channels.count == matrix.rows, "one channel per matrix row")
        self.init(channels: channels, samples: matrix.storage, counts: [Int](repeating: matrix.cols, count: matrix.rows))
    }

    public var channelCount: Int { channels.count }

    /// Physical samples of channel `index`, `[samples]`.
    public func channel(_ index: Int) -> ArraySlice<Double> {
        samples[offsets[index]..<(offsets[index] + counts[index])]
    }

    /// `[channels × samples]` when every channel has the same number of samples, else nil.
    public var matrix: Matrix? {
        guard let n = counts.first, counts.allSatisfy({ $0 == n }) else {
            return counts.isEmpty ? Matrix(rows: 0, cols: 0) : nil
        }
        return Matrix(rows: counts.count, cols: n, storage: samples)
    }

    /// Indices of channels whose label equals `label` (labels may repeat, e.g. in Persyst exports).
    public func indices(ofLabel label: String) -> [Int] {
        channels.indices.filter { channels[$0].label == label }
    }

    /// Labels made unique the way MNE does it: every repeated label gets "-0", "-1", ... in file order.
    public var uniqueLabels: [String] { uniqueChannelLabels(channels.map(\.label)) }
}

/// Makes labels unique by suffixing each member of a repeated group with "-k" (k = 0, 1, ... in order), as MNE does.
public func uniqueChannelLabels(_ labels: [String]) -> [String] {
    var counts = [String: Int]()
    for l in labels { counts[l, default: 0] += 1 }
    var seen = [String: Int]()
    return labels.map { l in
        guard counts[l]! > 1 else { return l }
        let k = seen[l, default: 0]
        seen[l] = k + 1
        return "\(l)-\(k)"
    }
}

/// A recording: samples, when it started, who and what it is, its annotations and contiguous segments.
public struct Recording: Equatable, Sendable {
    public var signal: MultichannelSignal
    /// Local start time of the first sample, with sub-second precision; nil when the file's date is unusable.
    public var start: LocalDateTime?
    public var patient: String
    public var recordingID: String
    public var annotations: [Annotation]
    public var segments: [Segment]

    public init(signal: MultichannelSignal, start: LocalDateTime?, patient: String = "", recordingID: String = "",
                annotations: [Annotation] = [], segments: [Segment] = []) {
        self.signal = signal
        self.start = start
        self.patient = patient
        self.recordingID = recordingID
        self.annotations = annotations
        self.segments = segments
    }
}
