import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

struct CSVRecordingTests {
    @Test func readsChannelsEventsAndNominalRate() throws {
        var text = "timestamps,TP9,AF7,Marker0\n"
        for i in 0..<1000 { text += "\(100 + Double(i) / 256.02),\(Double(i) * 0.5),\(-Double(i)),\(i == 300 ? 2 : (i == 700 ? 1 : 0))\n" }
        let path = try TempDir.shared.write(Array(text.utf8), name: "rec.csv")
        #expect(try FileKind.detect(path: path) == .csv)
        let (rec, warnings) = try CSVRecording.read(path: path)
        #expect(rec.signal.channels.map(\.label) == ["TP9", "AF7"] && rec.signal.channels[0].sampleRate == 256)
        #expect(Array(rec.signal.channel(1).prefix(3)) == [0, -1, -2])
        #expect(rec.annotations == [Annotation(onset: 300.0 / 256, duration: nil, text: "2"), Annotation(onset: 700.0 / 256, duration: nil, text: "1")])
        #expect(warnings.first?.contains("rounded") == true)
    }

    @Test func malformedCSVNamesLineAndColumn() throws {
        let path = try TempDir.shared.write(Array("timestamps,Cz\n0,1\n0.1,abc\n".utf8), name: "bad.csv")
        #expect { try CSVRecording.read(path: path) } throws: { ($0 as? InputError)?.field == "line 3 Cz" }
        let ragged = try TempDir.shared.write(Array("timestamps,Cz\n0,1\n0.1\n".utf8), name: "ragged.csv")
        #expect { try CSVRecording.read(path: ragged) } throws: { ($0 as? InputError)?.field == "line 3" }
    }

    @Test func subjectFromBIDSOrSubjectFolders() {
        #expect(RecordingLoader.subject(of: "/d/sub-07/eeg/sub-07_task-rest_eeg.edf") == "sub-07")
        #expect(RecordingLoader.subject(of: "/d/P300/subject3/session1/data.csv") == "sub-3")
        #expect(RecordingLoader.subject(of: "/d/S001R04.edf") == "S001R04")
    }
}
