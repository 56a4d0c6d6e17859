import NeuroCore

/// Reads EDF, EDF+ (C and D), BDF and BDF+ files: header, annotations and segments on open (annotation bytes
/// only), samples on demand for any channel subset and time window, in one streamed pass with bounded buffers.
///
/// Conventions (as MNE): `start` is the header start plus the first record's time-keeping TAL offset
/// (sub-second start); annotation and segment onsets are seconds from `start`. EDF+D gaps are not glued
/// silently: `segments` lists each contiguous run of records and where its data begins.
public final class EDFReader: @unchecked Sendable {
    public let path: String
    public let header: EDFHeader
    /// Complete data records that will be read (after −1 inference and truncation).
    public let recordCount: Int
    /// Indices into `header.signals` of the data (non-annotation) signals, in file order.
    public let dataSignals: [Int]
    /// Data channels, in file order; annotation signals are not channels.
    public let channels: [ChannelInfo]
    public let annotations: [Annotation]
    public let segments: [Segment]
    /// Start of the first sample, sub-second precision; nil when the header date is unusable.
    public let start: LocalDateTime?
    /// Start of each data record in seconds from `start` (from time-keeping TALs for EDF+, else k × duration).
    public let recordOnsets: [Double]
    public let warnings: [String]
    private let file: ReadOnlyFile

    public var format: EDFFormat { header.format }
    /// Seconds of data: records × record duration (gaps of EDF+D not included).
    public var duration: Double { Double(recordCount) * header.recordDuration }

    public init(path: String) throws {
        let file = try ReadOnlyFile(path: path)
        let header = try EDFHeader(file: file)
        var warnings = header.warnings
        self.path = path
        self.file = file
        self.header = header

        // How many complete records the file really holds.
        let dataBytes = file.size - header.headerBytes
        let available = header.recordBytes > 0 ? dataBytes / header.recordBytes : 0
        var count: Int
        if header.declaredRecords == -1 {
            guard header.recordBytes > 0 else {
                throw InputError(file: path, field: "number of data records", message: "is −1 and records have 0 bytes; cannot infer the count")
            }
            count = available
            warnings.append("number of data records is -1 (unknown); inferred \(count) from the file size")
        } else {
            count = header.declaredRecords
            if count > available {
                if available == 0 {
                    throw InputError(file: path, field: "number of data records",
                                     message: "header declares \(count) records of \(header.recordBytes) bytes but the file holds \(max(dataBytes, 0)) data bytes, not even one record")
                }
                warnings.append("file is truncated: header declares \(count) data records, the file holds \(available) complete records; the incomplete rest is dropped")
                count = available
            }
        }
        if header.recordBytes > 0 {
            let trailing = dataBytes - count * header.recordBytes
            if trailing > 0 && header.declaredRecords != -1 && count == header.declaredRecords {
                warnings.append("\(trailing) bytes after the last declared data record are ignored")
            }
        }
        recordCount = count

        dataSignals = header.signals.indices.filter { !header.signals[$0].isAnnotation }
        channels = dataSignals.map { i in
            let s = header.signals[i]
            return ChannelInfo(label: s.label, unit: s.unit,
                               sampleRate: s.samplesPerRecord == 0 ? 0 : Double(s.samplesPerRecord) / header.recordDuration,
                               physicalMin: s.physicalMin, physicalMax: s.physicalMax,
                               digitalMin: s.digitalMin, digitalMax: s.digitalMax,
                               prefilter: s.prefilter, transducer: s.transducer)
        }
        let labels = channels.map(\.label)
        if Set(labels).count != labels.count {
            let dups = Set(labels.filter { l in labels.filter { $0 == l }.count > 1 }).sorted()
            warnings.append("duplicate channel labels \(dups); addressable as \(uniqueChannelLabels(labels).filter { l in dups.contains { l.hasPrefix($0 + "-") } })")
        }

        // Annotations and record times from the TALs.
        let annotationSignals = header.signals.indices.filter { header.signals[$0].isAnnotation }
        var tals = [(record: Int, tal: TAL)]()
        var keeping = [Int?](repeating: nil, count: count)  // time-keeping onsets, ns
        var problems = [String]()
        if header.format.isPlus && !annotationSignals.isEmpty {
            for r in 0..<count {
                for (k, s) in annotationSignals.enumerated() {
                    let n = header.signals[s].samplesPerRecord * header.format.bytesPerSample
                    guard n > 0 else { continue }
                    let bytes = try file.read(at: header.headerBytes + r * header.recordBytes + header.signalOffsets[s], count: n,
                                              field: "record \(r + 1) annotations")
                    var local = [String]()
                    var parsed = bytes.withUnsafeBytes { TALParser.parse($0, problems: &local) }
                    problems += local.map { "record \(r + 1): \($0)" }
                    if k == 0, let first = parsed.first, first.texts.first == "" {
                        // Time-keeping TAL: the record's start relative to the header start second.
                        keeping[r] = first.onsetNanoseconds
                        parsed[0].texts.removeFirst()
                    }
                    for tal in parsed { tals.append((r, tal)) }
                }
            }
        }
        if problems.count > 0 {
            warnings.append("\(problems.count) malformed annotation entries skipped; first: \(problems[0])")
        }
        let offset0ns = keeping.first.flatMap { $0 } ?? 0
        if header.format.isPlus && !annotationSignals.isEmpty && count > 0 && keeping[0] == nil {
            warnings.append("first data record has no time-keeping TAL; record start offset taken as 0")
        }
        start = header.headerStart.map { LocalDateTime(nanosecondsSinceEpoch: $0.nanosecondsSinceEpoch + offset0ns) }
        if offset0ns < 0 || offset0ns >= 1_000_000_000 {
            warnings.append("first record's time-keeping TAL is \(Double(offset0ns) / 1e9) s; EDF+ expects a fraction of a second in [0, 1)")
        }

        var annotations = [Annotation]()
        for (_, tal) in tals {
            for text in tal.texts where !text.isEmpty {
                annotations.append(Annotation(onset: Double(tal.onsetNanoseconds - offset0ns) / 1e9, duration: tal.duration, text: text))
            }
        }
        self.annotations = annotations

        // Record onsets and contiguous segments.
        let d = header.recordDuration
        var onsets = [Double]()
        onsets.reserveCapacity(count)
        var missingKeeping = 0
        for r in 0..<count {
            if header.format.isPlus, !annotationSignals.isEmpty, let t = keeping[r] {
                onsets.append(Double(t - offset0ns) / 1e9)
            } else {
                if header.format.isPlus && !annotationSignals.isEmpty { missingKeeping += 1 }
                onsets.append(r == 0 ? 0 : onsets[r - 1] + d)
            }
        }
        if missingKeeping > 0 {
            warnings.append("\(missingKeeping) data records lack a time-keeping TAL; each assumed to follow the previous one")
        }
        var segments = [Segment]()
        let tolerance = 1e-6 + 1e-9 * d
        for r in 0..<count {
            if let last = segments.last, abs(onsets[r] - (last.onset + last.duration)) <= tolerance {
                segments[segments.count - 1].duration += d
            } else {
                if r > 0 && onsets[r] < onsets[r - 1] + d - tolerance {
                    warnings.append("record \(r + 1) starts at \(onsets[r]) s, before the previous record ends; treated as a new segment")
                }
                segments.append(Segment(onset: onsets[r], duration: d, dataOffset: Double(r) * d))
            }
        }
        if segments.count > 1 && !header.format.isDiscontinuous {
            warnings.append("\(header.format.rawValue) file has \(segments.count) discontinuous segments; its records are not contiguous in time")
        }
        recordOnsets = onsets
        self.segments = segments
        self.warnings = warnings
    }

    /// Number of samples channel `channel` (index into `channels`) has in the readable records.
    public func sampleCount(channel: Int) -> Int {
        header.signals[dataSignals[channel]].samplesPerRecord * recordCount
    }

    /// Physical samples of the chosen channels (default all) in the data-time window `[from, to)` seconds
    /// (default the whole file). Each channel gets the samples whose times `k / sampleRate` fall in the window.
    public func read(channels selection: [Int]? = nil, from: Double = 0, to: Double? = nil) throws -> MultichannelSignal {
        let chosen = selection ?? Array(channels.indices)
        for c in chosen where c < 0 || c >= channels.count {
            throw InputError(file: path, field: "channel", message: "index \(c) is outside 0..<\(channels.count)")
        }
        let requestedEnd = to ?? duration
        guard from >= 0, from <= requestedEnd, from.isFinite, !requestedEnd.isNaN else {
            throw InputError(file: path, field: "time window", message: "[\(from), \(requestedEnd)) s is not a window inside 0…\(duration) s")
        }
        let end = min(requestedEnd, duration)
        let begin = min(from, duration)
        var ranges = [Range<Int>]()
        for c in chosen {
            let n = sampleCount(channel: c)
            let rate = channels[c].sampleRate
            let lo = min(n, max(0, Int((begin * rate - 1e-9).rounded(.up))))
            let hi = to == nil ? n : min(n, max(lo, Int((end * rate - 1e-9).rounded(.up))))
            ranges.append(lo..<hi)
        }
        let counts = ranges.map(\.count)
        let total = counts.reduce(0, +)
        try MemoryBudget.require(total, bytesPerValue: 8, file: path, field: "data records",
                                 what: "decoding \(chosen.count) channels (\(total) samples) to Float64", hint: "read fewer channels or a shorter window")
        // Every element is written by decode, so the buffer is not zero-filled first (one pass over memory).
        var failure: Error?
        let samples = [Double](unsafeUninitializedCapacity: total) { out, initialized in
            if let base = out.baseAddress { adviseHugePages(base, byteCount: total * 8) }
            var dst = [UnsafeMutablePointer<Double>]()
            var running = 0
            for n in counts {
                dst.append(out.baseAddress! + running)
                running += n
            }
            do {
                try decode(signals: chosen.map { dataSignals[$0] }, ranges: ranges, into: dst)
                initialized = total
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return MultichannelSignal(channels: chosen.map { channels[$0] }, samples: samples, counts: counts)
    }

    /// The recording: all channels and samples, start, identification, annotations and segments.
    public func readRecording() throws -> Recording {
        Recording(signal: try read(), start: start, patient: header.patient, recordingID: header.recordingID,
                  annotations: annotations, segments: segments)
    }

    /// Raw digital values of a data channel, `[samples]` (EDF: int16 range, BDF: signed 24-bit).
    public func readDigital(channel: Int) throws -> [Int32] {
        guard channel >= 0 && channel < channels.count else {
            throw InputError(file: path, field: "channel", message: "index \(channel) is outside 0..<\(channels.count)")
        }
        let s = dataSignals[channel]
        let spr = header.signals[s].samplesPerRecord
        try MemoryBudget.require(spr * recordCount, bytesPerValue: 4, file: path, field: "data records", what: "the digital values of one channel")
        var out = [Int32](repeating: 0, count: spr * recordCount)
        let header = self.header
        try out.withUnsafeMutableBufferPointer { outBuf in
          try forEachRecordChunk(records: 0..<recordCount) { firstRecord, buffer in
            for r in 0..<(buffer.count / header.recordBytes) {
                let base = buffer.baseAddress! + r * header.recordBytes + header.signalOffsets[s]
                for j in 0..<spr {
                    outBuf[(firstRecord + r) * spr + j] = EDFReader.digital(base, j, bdf: header.format.isBDF)
                }
            }
          }
        }
        return out
    }

    /// The BioSemi `Status` channel as unsigned 24-bit words (trigger bits 0–15, status bits 16–23),
    /// or nil when the file has no channel labelled "Status".
    public func statusWords() throws -> [UInt32]? {
        guard let c = channels.firstIndex(where: { $0.label == "Status" }) else { return nil }
        return try readDigital(channel: c).map { UInt32(bitPattern: $0) & 0xFF_FFFF }
    }

    /// Per-channel running statistics of physical values, computed in streamed chunks (bounded memory).
    public func channelStatistics() throws -> [ChannelStatistics] {
        var stats = [ChannelStatistics](repeating: ChannelStatistics(), count: channels.count)
        // Decoding channel by channel keeps summation order sequential in time, per channel.
        let chunkRecords = max(1, (16 << 20) / max(1, header.recordBytes))
        var first = 0
        while first < recordCount {
            let last = min(recordCount, first + chunkRecords)
            var ranges = [Range<Int>]()
            for c in channels.indices {
                let spr = header.signals[dataSignals[c]].samplesPerRecord
                ranges.append((first * spr)..<(last * spr))
            }
            let part = try read(channelRanges: ranges)
            for c in channels.indices { stats[c].add(part[c]) }
            first = last
        }
        return stats
    }

    /// Samples by explicit per-channel sample ranges; internal helper for chunked statistics.
    private func read(channelRanges ranges: [Range<Int>]) throws -> [[Double]] {
        let buffers = ranges.map { UnsafeMutablePointer<Double>.allocate(capacity: max(1, $0.count)) }
        defer { buffers.forEach { $0.deallocate() } }
        try decode(signals: dataSignals, ranges: ranges, into: buffers)
        return zip(buffers, ranges).map { Array(UnsafeBufferPointer(start: $0, count: $1.count)) }
    }

    @inline(__always)
    static func digital(_ base: UnsafeRawPointer, _ j: Int, bdf: Bool) -> Int32 {
        if bdf {
            let p = base + 3 * j
            let u = UInt32(p.load(fromByteOffset: 0, as: UInt8.self))
                | UInt32(p.load(fromByteOffset: 1, as: UInt8.self)) << 8
                | UInt32(p.load(fromByteOffset: 2, as: UInt8.self)) << 16
            return Int32(bitPattern: u << 8) >> 8
        } else {
            return Int32(Int16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * j, as: Int16.self)))
        }
    }

    /// Reads the records covering `ranges` in chunks of whole records (several chunks in parallel) and writes
    /// the physical values of signal `signals[k]`, samples `ranges[k]`, to `dst[k][0 ..< ranges[k].count]`.
    private func decode(signals: [Int], ranges: [Range<Int>], into dst: [UnsafeMutablePointer<Double>]) throws {
        guard !signals.isEmpty else { return }
        // Plain integers and doubles only inside the loops (signal headers hold Strings: no retain/release there).
        let sprs = signals.map { header.signals[$0].samplesPerRecord }
        let offsets = signals.map { header.signalOffsets[$0] }
        // Scaling exactly as the spec states it: phys = (dig − dmin)·(pmax − pmin)/(dmax − dmin) + pmin.
        let dmins = signals.map { Double(header.signals[$0].digitalMin) }
        let gains = signals.map { s -> Double in
            let h = header.signals[s]
            return (h.physicalMax - h.physicalMin) / Double(h.digitalMax - h.digitalMin)
        }
        let pmins = signals.map { header.signals[$0].physicalMin }
        let lows = ranges.map(\.lowerBound), highs = ranges.map(\.upperBound)
        var firstRecord = Int.max, lastRecord = -1
        for k in signals.indices where !ranges[k].isEmpty {
            firstRecord = min(firstRecord, lows[k] / sprs[k])
            lastRecord = max(lastRecord, (highs[k] - 1) / sprs[k])
        }
        guard lastRecord >= firstRecord else { return }
        let bdf = header.format.isBDF
        let recordBytes = header.recordBytes
        try forEachRecordChunk(records: firstRecord..<(lastRecord + 1)) { chunkFirst, buffer in
            let nrec = buffer.count / recordBytes
            for r in 0..<nrec {
                let record = chunkFirst + r
                let recordBase = buffer.baseAddress! + r * recordBytes
                for k in 0..<sprs.count {
                    let spr = sprs[k]
                    let recStart = record * spr
                    let lo = max(lows[k], recStart), hi = min(highs[k], recStart + spr)
                    guard lo < hi else { continue }
                    let base = recordBase + offsets[k]
                    let dmin = dmins[k], gain = gains[k], pmin = pmins[k]
                    let out = dst[k] + (lo - lows[k]) - (lo - recStart)
                    if bdf {
                        for j in (lo - recStart)..<(hi - recStart) {
                            out[j] = (Double(EDFReader.digital(base, j, bdf: true)) - dmin) * gain + pmin
                        }
                    } else {
                        for j in (lo - recStart)..<(hi - recStart) {
                            let d = Int16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * j, as: Int16.self))
                            out[j] = (Double(d) - dmin) * gain + pmin
                        }
                    }
                }
            }
        }
    }

    /// Calls `body(firstRecord, bytes)` for consecutive chunks of whole records (≈8 MiB each, at least one
    /// record), running chunks concurrently. Each chunk writes disjoint output, so no locking is needed.
    private func forEachRecordChunk(records: Range<Int>, _ body: (Int, UnsafeRawBufferPointer) -> Void) throws {
        guard !records.isEmpty, header.recordBytes > 0 else { return }
        let perChunk = max(1, (8 << 20) / header.recordBytes)
        let chunks = (records.count + perChunk - 1) / perChunk
        let errors = ErrorSlot()
        let work = { (c: Int) in
            let first = records.lowerBound + c * perChunk
            let n = min(perChunk, records.upperBound - first)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: n * self.header.recordBytes, alignment: 16)
            defer { buffer.deallocate() }
            do {
                try self.file.read(at: self.header.headerBytes + first * self.header.recordBytes, into: buffer,
                                   field: "data records \(first + 1)…\(first + n)")
                body(first, UnsafeRawBufferPointer(buffer))
            } catch {
                errors.set(error)
            }
        }
        parallelFor(chunks, work)
        if let e = errors.error { throw e }
    }
}

/// Sum, sum of squares, extremes and end points of one channel's physical values (float64), streamed.
public struct ChannelStatistics: Equatable, Sendable {
    public var count = 0
    public var sum = 0.0
    public var sumOfSquares = 0.0
    public var min = Double.infinity
    public var max = -Double.infinity
    public var first: Double?
    public var last: Double?

    public init() {}

    public mutating func add<C: Collection>(_ values: C) where C.Element == Double {
        for v in values {
            if first == nil { first = v }
            sum += v
            sumOfSquares += v * v
            if v < min { min = v }
            if v > max { max = v }
            last = v
        }
        count += values.count
    }
}
