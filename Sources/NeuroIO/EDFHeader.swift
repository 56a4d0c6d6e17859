import NeuroCore

/// The six flavours NeuroPipe distinguishes; the raw value is what `neuropipe info` prints.
public enum EDFFormat: String, Sendable {
    case edf = "EDF", edfPlusC = "EDF+C", edfPlusD = "EDF+D"
    case bdf = "BDF", bdfPlusC = "BDF+C", bdfPlusD = "BDF+D"

    public var isBDF: Bool { self == .bdf || self == .bdfPlusC || self == .bdfPlusD }
    public var isPlus: Bool { self != .edf && self != .bdf }
    public var isDiscontinuous: Bool { self == .edfPlusD || self == .bdfPlusD }
    /// Bytes per sample: 2 (EDF, little-endian int16) or 3 (BDF, little-endian 24-bit two's complement).
    public var bytesPerSample: Int { isBDF ? 3 : 2 }
}

/// One signal's 256-byte header block, decoded and validated.
public struct EDFSignalHeader: Equatable, Sendable {
    public var label: String
    public var transducer: String
    public var unit: String
    public var physicalMin: Double
    public var physicalMax: Double
    public var digitalMin: Int
    public var digitalMax: Int
    public var prefilter: String
    public var samplesPerRecord: Int
    public var reserved: String

    /// EDF+/BDF+ annotation signals carry TALs, not samples.
    public var isAnnotation: Bool { label == "EDF Annotations" || label == "BDF Annotations" }
}

/// The fixed header of an EDF/BDF file (256 bytes plus 256 per signal), validated so that nothing later can
/// read past the end of the file or allocate memory in proportion to a lying field.
public struct EDFHeader: Sendable {
    public var format: EDFFormat
    public var patient: String
    public var recordingID: String
    /// Start from the header's date and time fields (whole seconds; EDF+ sub-seconds come from the first TAL).
    public var headerStart: LocalDateTime?
    public var headerBytes: Int
    public var reserved: String
    /// Value of the "number of data records" field (−1 = unknown).
    public var declaredRecords: Int
    public var recordDuration: Double
    public var signals: [EDFSignalHeader]
    /// Byte offset of each signal inside a data record.
    public var signalOffsets: [Int]
    /// Bytes in one data record.
    public var recordBytes: Int
    public var warnings: [String]

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// Parses and validates the header of `file`.
    public init(file: ReadOnlyFile) throws {
        let path = file.path
        var warnings = [String]()
        func fail(_ field: String, _ message: String) -> InputError {
            InputError(file: path, field: field, message: message)
        }
        guard file.size >= 256 else {
            throw fail("header", "file has \(file.size) bytes; an EDF/BDF header needs at least 256")
        }
        let fixed = try file.read(at: 0, count: 256, field: "header")
        func text(_ buf: [UInt8], _ start: Int, _ len: Int) -> String {
            // Header bytes are ASCII by the spec; real files carry latin-1, which maps byte → scalar one to one.
            var s = ""
            s.unicodeScalars.reserveCapacity(len)
            for i in start..<(start + len) { s.unicodeScalars.append(Unicode.Scalar(buf[i])) }
            return s
        }
        func trimmed(_ s: String) -> String { s.trimmingSpaces }

        // Version: "0" (EDF) or 0xFF "BIOSEMI" (BDF).
        let isBDF: Bool
        if fixed[0] == 0xFF && text(fixed, 1, 7) == "BIOSEMI" {
            isBDF = true
        } else if trimmed(text(fixed, 0, 8)) == "0" {
            isBDF = false
        } else {
            let shown = (0..<8).map { fixed[$0] < 0x20 || fixed[$0] > 0x7E ? "\\x" + String(fixed[$0], radix: 16) : String(UnicodeScalar(fixed[$0])) }.joined()
            throw fail("version", "got \"\(shown)\"; expected \"0\" (EDF) or 0xFF \"BIOSEMI\" (BDF)")
        }
        patient = trimmed(text(fixed, 8, 80))
        recordingID = trimmed(text(fixed, 88, 80))
        let dateField = text(fixed, 168, 8)
        let timeField = text(fixed, 176, 8)
        let headerBytes = try EDFHeader.integer(text(fixed, 184, 8), field: "number of bytes in header record", path: path)
        reserved = trimmed(text(fixed, 192, 44))
        let declaredRecords = try EDFHeader.integer(text(fixed, 236, 8), field: "number of data records", path: path)
        let recordDuration = try EDFHeader.real(text(fixed, 244, 8), field: "duration of a data record", path: path, warnings: &warnings)
        let ns = try EDFHeader.integer(text(fixed, 252, 4), field: "number of signals", path: path)

        guard ns >= 1 else { throw fail("number of signals", "got \(ns); expected at least 1") }
        guard ns <= (file.size - 256) / 256 else {
            throw fail("number of signals", "got \(ns), whose headers need \(256 * (ns + 1)) bytes, but the file has \(file.size)")
        }
        guard headerBytes == 256 * (ns + 1) else {
            throw fail("number of bytes in header record", "got \(headerBytes); expected 256 × (1 + \(ns) signals) = \(256 * (ns + 1))")
        }
        guard declaredRecords >= -1 else {
            throw fail("number of data records", "got \(declaredRecords); expected a count ≥ 0, or −1 for unknown")
        }
        guard recordDuration >= 0 else {
            throw fail("duration of a data record", "got \(recordDuration) s; expected a duration ≥ 0")
        }

        // Flavour from the reserved field.
        let format: EDFFormat
        if reserved.hasPrefix("EDF+C") || reserved.hasPrefix("BDF+C") {
            format = isBDF ? .bdfPlusC : .edfPlusC
        } else if reserved.hasPrefix("EDF+D") || reserved.hasPrefix("BDF+D") {
            format = isBDF ? .bdfPlusD : .edfPlusD
        } else {
            format = isBDF ? .bdf : .edf
        }

        // Signal headers: each field is stored for all signals before the next field starts.
        let sh = try file.read(at: 256, count: 256 * ns, field: "signal headers")
        var fieldStart = 0
        func column(_ width: Int) -> [String] {
            defer { fieldStart += width * ns }
            return (0..<ns).map { text(sh, fieldStart + $0 * width, width) }
        }
        let labels = column(16), transducers = column(80), units = column(8)
        let pmins = column(8), pmaxs = column(8), dmins = column(8), dmaxs = column(8)
        let prefilters = column(80), sprs = column(8), reserveds = column(32)

        let (digitalFloor, digitalCeiling) = isBDF ? (-8_388_608, 8_388_607) : (-32_768, 32_767)
        var signals = [EDFSignalHeader]()
        var offsets = [Int]()
        var recordBytes = 0
        for i in 0..<ns {
            let label = trimmed(labels[i])
            let name = "signal \(i + 1) (\(label))"
            let spr = try EDFHeader.integer(sprs[i], field: "\(name) number of samples in each data record", path: path)
            guard spr >= 0 else {
                throw fail("\(name) number of samples in each data record", "got \(spr); expected ≥ 0")
            }
            let dmin = try EDFHeader.integer(dmins[i], field: "\(name) digital minimum", path: path)
            let dmax = try EDFHeader.integer(dmaxs[i], field: "\(name) digital maximum", path: path)
            let pmin = try EDFHeader.real(pmins[i], field: "\(name) physical minimum", path: path, warnings: &warnings)
            let pmax = try EDFHeader.real(pmaxs[i], field: "\(name) physical maximum", path: path, warnings: &warnings)
            let signal = EDFSignalHeader(
                label: label, transducer: trimmed(transducers[i]), unit: trimmed(units[i]),
                physicalMin: pmin, physicalMax: pmax, digitalMin: dmin, digitalMax: dmax,
                prefilter: trimmed(prefilters[i]), samplesPerRecord: spr, reserved: trimmed(reserveds[i]))
            if !signal.isAnnotation {
                guard dmin < dmax else {
                    throw fail("\(name) digital minimum", "digital minimum \(dmin) must be less than digital maximum \(dmax)")
                }
                if dmin < digitalFloor || dmax > digitalCeiling {
                    warnings.append("\(name): digital range \(dmin)…\(dmax) exceeds the \(isBDF ? "24" : "16")-bit sample range")
                }
                if pmin == pmax {
                    warnings.append("\(name): physical minimum equals physical maximum (\(pmin)); every sample reads as \(pmin)")
                }
            }
            offsets.append(recordBytes)
            let (bytes, o1) = spr.multipliedReportingOverflow(by: isBDF ? 3 : 2)
            let (sum, o2) = recordBytes.addingReportingOverflow(bytes)
            guard !o1, !o2, sum <= file.size else {
                throw fail("\(name) number of samples in each data record",
                           "got \(spr); one data record would be larger than the whole file (\(file.size) bytes)")
            }
            recordBytes = sum
            signals.append(signal)
        }
        let hasData = signals.contains { !$0.isAnnotation && $0.samplesPerRecord > 0 }
        if hasData && recordDuration == 0 {
            throw fail("duration of a data record", "is 0 s but the file has data signals; expected a positive duration")
        }
        if format.isPlus && !signals.contains(where: \.isAnnotation) {
            warnings.append("\(format.rawValue) file has no \"\(isBDF ? "BDF" : "EDF") Annotations\" signal")
        }

        self.format = format
        self.headerBytes = headerBytes
        self.declaredRecords = declaredRecords
        self.recordDuration = recordDuration
        self.signals = signals
        self.signalOffsets = offsets
        self.recordBytes = recordBytes
        self.headerStart = EDFHeader.startTime(date: dateField, time: timeField, recordingID: recordingID,
                                               isPlus: format.isPlus, warnings: &warnings)
        self.warnings = warnings
    }

    /// Start date/time from the header, with the 1985–2084 rule for two-digit years and the EDF+ `Startdate`
    /// subfield (four-digit year) taking precedence unless it is `X`.
    static func startTime(date: String, time: String, recordingID: String, isPlus: Bool,
                          warnings: inout [String]) -> LocalDateTime? {
        func parts(_ s: String) -> [Int]? {
            let p = s.split(separator: ".", omittingEmptySubsequences: false)
            guard p.count == 3 else { return nil }
            let nums = p.map { Int($0.trimmingSpaces) }
            guard nums.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
            return nums.map { $0! }
        }
        var dt: LocalDateTime?
        let d = parts(date)
        let t = parts(time)
        if let d, let t {
            let year = d[2] >= 85 ? 1900 + d[2] : 2000 + d[2]
            dt = LocalDateTime(year: year, month: d[1], day: d[0], hour: t[0], minute: t[1], second: t[2])
        } else if let t, date.trimmingSpaces.hasSuffix(".yy") || date.trimmingSpaces.hasSuffix(".YY") {
            // EDF+ after 2084: the header holds "dd.mm.yy"; only the Startdate subfield knows the year.
            if let d2 = parts(String(date.prefix(6)) + "00") {
                dt = LocalDateTime(year: 2085, month: d2[1], day: d2[0], hour: t[0], minute: t[1], second: t[2])
            }
        }
        if isPlus {
            let sub = recordingID.split(separator: " ")
            if sub.count >= 2, sub[0] == "Startdate", sub[1] != "X" {
                let dmy = sub[1].split(separator: "-")
                if dmy.count == 3, let day = Int(dmy[0]), let month = monthNames.firstIndex(of: dmy[1].uppercased()),
                   let year = Int(dmy[2]), dmy[2].count == 4, (1700...2200).contains(year) {
                    if var base = dt {
                        if base.day != day || base.month != month + 1 || base.year % 100 != year % 100 {
                            warnings.append("Startdate subfield \(sub[1]) disagrees with header start date \(date); using the subfield")
                        }
                        base.year = year
                        base.month = month + 1
                        base.day = day
                        dt = base
                    } else if let t {
                        dt = LocalDateTime(year: year, month: month + 1, day: day, hour: t[0], minute: t[1], second: t[2])
                    }
                } else {
                    warnings.append("recording field Startdate subfield \"\(sub[1])\" is not dd-MMM-yyyy; using the header date")
                }
            }
        }
        if let v = dt, !v.isValid {
            warnings.append("start date/time \(date) \(time) is not a valid date; start is unknown")
            return nil
        }
        if dt == nil { warnings.append("start date/time \"\(date)\" \"\(time)\" is unreadable; start is unknown") }
        return dt
    }

    static func integer(_ raw: String, field: String, path: String) throws -> Int {
        let s = raw.trimmingSpaces
        var digits = Substring(s)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(s.hasPrefix("+") ? String(s.dropFirst()) : s) else {
            throw InputError(file: path, field: field, message: "got \"\(s)\"; expected an integer")
        }
        return v
    }

    static func real(_ raw: String, field: String, path: String, warnings: inout [String]) throws -> Double {
        var s = raw.trimmingSpaces
        if s.contains(",") && !s.contains(".") {
            warnings.append("\(field) \"\(s)\" uses a decimal comma; read as a decimal point")
            s = String(s.map { $0 == "," ? "." : $0 })
        }
        let allowed = s.allSatisfy { "0123456789+-.eE".contains($0) }
        guard !s.isEmpty, allowed, let v = Double(s), v.isFinite else {
            throw InputError(file: path, field: field, message: "got \"\(s)\"; expected a decimal number")
        }
        return v
    }
}

extension StringProtocol {
    /// The string without leading/trailing spaces and NULs.
    var trimmingSpaces: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let f = scalars.first, f == " " || f == "\0" { scalars.removeFirst() }
        while let l = scalars.last, l == " " || l == "\0" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
