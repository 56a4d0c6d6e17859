import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Malformed files are rejected with an InputError naming the file and the header field; never a crash.
struct EDFMalformedTests {
    typealias S = SyntheticEDF

    static func valid() -> S {
        var f = S()
        var s = S.Signal()
        s.samplesPerRecord = "4"
        s.digital = [[1, 2, 3, 4]]
        f.signals = [s]
        return f
    }

    nonisolated(unsafe) static let cases: [(String, (inout S) -> Void, String)] = [
        ("bad version", { $0.version = "1" }, "version"),
        ("header byte count", { $0.headerBytes = "1024" }, "number of bytes in header record"),
        ("non-numeric signal count", { $0.signalCount = "ab" }, "number of signals"),
        ("zero signals", { $0.signalCount = "0" }, "number of signals"),
        ("signal count beyond the file", { $0.signalCount = "9999"; $0.headerBytes = String(256 * 10000) }, "number of signals"),
        ("negative record count", { $0.records = "-5" }, "number of data records"),
        ("non-numeric record count", { $0.records = "12x" }, "number of data records"),
        ("records beyond the file", { $0.records = "1000"; $0.signals[0].digital = [] }, "number of data records"),
        ("negative duration", { $0.recordDuration = "-1" }, "duration of a data record"),
        ("zero duration with data", { $0.recordDuration = "0" }, "duration of a data record"),
        ("non-numeric duration", { $0.recordDuration = "one" }, "duration of a data record"),
        ("duration written as nan", { $0.recordDuration = "nan" }, "duration of a data record"),
        ("digital min equals max", { $0.signals[0].digitalMin = "5"; $0.signals[0].digitalMax = "5" }, "digital minimum"),
        ("digital min above max", { $0.signals[0].digitalMin = "100"; $0.signals[0].digitalMax = "-100" }, "digital minimum"),
        ("non-numeric digital max", { $0.signals[0].digitalMax = "lots" }, "digital maximum"),
        ("non-numeric physical min", { $0.signals[0].physicalMin = "abc" }, "physical minimum"),
        ("infinite physical max", { $0.signals[0].physicalMax = "inf" }, "physical maximum"),
        ("negative samples per record", { $0.signals[0].samplesPerRecord = "-4" }, "number of samples in each data record"),
        ("huge samples per record", { $0.signals[0].samplesPerRecord = "99999999" }, "number of samples in each data record"),
        ("samples per record overflow", { $0.signals[0].samplesPerRecord = "999999999999999999" }, "number of samples in each data record"),
    ]

    @Test(arguments: cases.indices)
    func rejected(index: Int) throws {
        let (name, mutate, field) = Self.cases[index]
        var f = Self.valid()
        mutate(&f)
        let path = try f.write()
        do {
            _ = try EDFReader(path: path).read()
            Issue.record("\(name): accepted")
        } catch let e as InputError {
            #expect(e.file == path)
            #expect(e.field.contains(field), "\(name): field \"\(e.field)\", expected \"\(field)\"")
            #expect(!e.message.isEmpty)
        }
    }

    @Test func tooShortMissingAndNonRegularFiles() throws {
        let short = try TempDir.shared.write(Array("0       ".utf8), name: "short.edf")
        #expect(throws: InputError(file: short, field: "header", message: "file has 8 bytes; an EDF/BDF header needs at least 256")) {
            try EDFReader(path: short)
        }
        #expect { try EDFReader(path: "/nonexistent/x.edf") } throws: { ($0 as? InputError)?.field == "file" }
        #expect { try EDFReader(path: TempDir.shared.path) } throws: { ($0 as? InputError)?.message == "not a regular file" }
    }

    @Test func validBaselineIsAccepted() throws {
        let r = try EDFReader(path: try Self.valid().write())
        #expect(r.recordCount == 1)
        #expect(r.channels.count == 1)
    }
}
