import NeuroCore

extension EDFReader {
    /// The `neuropipe info --json` object for this file (layout in data-schemas/info-edf.schema.json).
    /// With `stats`, every channel gets `sum`, `sum_sq`, `min`, `max`, `first`, `last` of its physical values.
    public func infoJSON(stats: Bool) throws -> JSONValue {
        let channelStats = stats ? try channelStatistics() : nil
        let chans: [JSONValue] = channels.indices.map { i in
            let c = channels[i]
            var members: [(String, JSONValue)] = [
                ("label", .string(c.label)), ("unit", .string(c.unit)), ("sfreq", .finite(c.sampleRate)),
                ("n_samples", .int(sampleCount(channel: i))),
                ("physical_min", .finite(c.physicalMin)), ("physical_max", .finite(c.physicalMax)),
                ("digital_min", .int(c.digitalMin)), ("digital_max", .int(c.digitalMax)),
                ("prefilter", .string(c.prefilter)), ("transducer", .string(c.transducer)),
            ]
            if let s = channelStats?[i] {
                members.append(("stats", .object([
                    ("sum", .finite(s.sum)), ("sum_sq", .finite(s.sumOfSquares)),
                    ("min", s.count > 0 ? .finite(s.min) : .null), ("max", s.count > 0 ? .finite(s.max) : .null),
                    ("first", .finite(s.first)), ("last", .finite(s.last)),
                ])))
            }
            return .object(members)
        }
        return .object([
            ("format", .string(format.rawValue)),
            ("start", start.map { .string($0.iso8601) } ?? .null),
            ("n_records", .int(recordCount)),
            ("record_duration_s", .finite(header.recordDuration)),
            ("duration_s", .finite(duration)),
            ("patient", .string(header.patient)),
            ("recording", .string(header.recordingID)),
            ("channels", .array(chans)),
            ("annotations", .array(annotations.map {
                .object([("onset", .finite($0.onset)), ("duration", .finite($0.duration)), ("text", .string($0.text))])
            })),
            ("segments", .array(segments.map { .object([("onset", .finite($0.onset)), ("duration", .finite($0.duration))]) })),
            ("warnings", .array(warnings.map { .string($0) })),
        ])
    }
}
