/// One Time-stamped Annotations List entry of an EDF+/BDF+ annotation signal:
/// `±onset[\x15duration]\x14text\x14…\x14\0`. Onset and duration in seconds.
struct TAL: Equatable {
    /// Onset in nanoseconds, parsed exactly from the decimal text (so differences of onsets are exact).
    var onsetNanoseconds: Int
    var duration: Double?
    var texts: [String]
    var onset: Double { Double(onsetNanoseconds) / 1e9 }
}

enum TALParser {
    /// Parses the TALs in one annotation signal's bytes of one data record. Padding NULs end the list.
    /// Malformed entries are skipped and described in `problems`; parsing never reads outside `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, problems: inout [String]) -> [TAL] {
        var tals = [TAL]()
        var i = 0
        let n = bytes.count
        while i < n {
            if bytes[i] == 0 { i += 1; continue }  // padding between or after TALs
            // A TAL runs to the first "\x14\0".
            var end = i
            while end + 1 < n && !(bytes[end] == 0x14 && bytes[end + 1] == 0) { end += 1 }
            guard end + 1 < n else {
                problems.append("unterminated TAL at byte \(i)")
                return tals
            }
            let tal = UnsafeRawBufferPointer(rebasing: bytes[i..<end])  // without the final \x14
            i = end + 2
            // Header: onset [\x15 duration], up to the first \x14.
            guard let firstSep = tal.firstIndex(of: 0x14) else {
                problems.append("TAL without annotation separator")
                continue
            }
            let timing = tal[0..<firstSep]
            let durSep = timing.firstIndex(of: 0x15)
            let onsetBytes = timing[timing.startIndex..<(durSep ?? timing.endIndex)]
            guard let first = onsetBytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-"),
                  let onset = nanoseconds(onsetBytes) else {
                problems.append("TAL onset \"\(ascii(onsetBytes))\" is not ±seconds")
                continue
            }
            var duration: Double?
            if let durSep {
                let d = timing[(durSep + 1)...]
                guard let v = number(d), v.isFinite, v >= 0 else {
                    problems.append("TAL duration \"\(ascii(d))\" is not a non-negative number")
                    continue
                }
                duration = v
            }
            // Texts between separators; a TAL may hold several (and the time-keeping TAL holds an empty one).
            var texts = [String]()
            var start = firstSep + 1
            for j in (firstSep + 1)...tal.count {
                if j == tal.count || tal[j] == 0x14 {
                    texts.append(decodeText(UnsafeRawBufferPointer(rebasing: tal[start..<j]), problems: &problems))
                    start = j + 1
                }
            }
            tals.append(TAL(onsetNanoseconds: onset, duration: duration, texts: texts))
        }
        return tals
    }

    private static func number(_ s: Slice<UnsafeRawBufferPointer>) -> Double? {
        guard !s.isEmpty, s.count < 40,
              s.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") })
        else { return nil }
        return Double(ascii(s))
    }

    /// "±SSS[.fff…]" as integer nanoseconds (digits beyond 1 ns rounded); nil when malformed or beyond 10⁹ s.
    private static func nanoseconds(_ s: Slice<UnsafeRawBufferPointer>) -> Int? {
        var it = s.makeIterator()
        guard let signByte = it.next() else { return nil }
        let negative = signByte == UInt8(ascii: "-")
        var whole = 0, frac = 0, fracDigits = 0, seenDot = false, digits = 0, roundUp = false
        while let b = it.next() {
            if b == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
                continue
            }
            guard b >= 0x30 && b <= 0x39 else { return nil }
            let v = Int(b - 0x30)
            digits += 1
            if seenDot {
                if fracDigits < 9 { frac = frac * 10 + v; fracDigits += 1 } else if fracDigits == 9 { roundUp = v >= 5; fracDigits += 1 }
            } else {
                guard whole < 1_000_000_000 else { return nil }  // > 31 years: malformed, and keeps ns arithmetic exact
                whole = whole * 10 + v
            }
        }
        guard digits > 0 else { return nil }
        while fracDigits < 9 { frac *= 10; fracDigits += 1 }
        let ns = whole * 1_000_000_000 + frac + (roundUp ? 1 : 0)
        return negative ? -ns : ns
    }

    private static func ascii(_ s: Slice<UnsafeRawBufferPointer>) -> String {
        String(s.prefix(40).map { Character(UnicodeScalar($0 < 0x20 || $0 > 0x7E ? UInt8(ascii: "?") : $0)) })
    }

    /// Annotation texts are UTF-8 by the EDF+ spec; invalid UTF-8 falls back to latin-1 with a note.
    private static func decodeText(_ b: UnsafeRawBufferPointer, problems: inout [String]) -> String {
        if let s = String(validating: b, as: UTF8.self) { return s }
        problems.append("annotation text is not valid UTF-8; decoded as latin-1")
        var s = ""
        for byte in b { s.unicodeScalars.append(UnicodeScalar(byte)) }
        return s
    }
}
