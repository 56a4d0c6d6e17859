import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

struct HDF5WriterTests {
    @Test func datasetsAndEveryAttributeKindRoundTrip() throws {
        let path = TempDir.shared.uniquePath("w.h5")
        let w = try HDF5Writer(path: path)
        let x = (0..<60).map { Double($0) * 0.5 - 3 }
        try w.writeDoubles("/g1/g2/x", x, shape: [3, 4, 5], storage: .compressed)
        try w.writeInt64("/labels", [1, -2, 3], shape: [3])
        try w.writeStrings("/names", ["a", "βγ", ""])
        try w.setAttribute("s", .string("héllo"))
        try w.setAttribute("i", .int(-7), on: "/labels")
        try w.setAttribute("d", .number(2.5), on: "/g1")
        try w.setAttribute("b", .bool(true))
        try w.setAttribute("names", .array([.string("C3"), .string("C4")]), on: "/g1/g2/x")
        try w.setAttribute("ints", .array([.int(1), .int(2)]))
        try w.setAttribute("reals", .array([.number(0.25), .int(3)]))
        #expect(throws: RuntimeFailure.self) { try w.setAttribute("bad", .null) }
        #expect(!FileManager.default.fileExists(atPath: path), "nothing at the final path before commit")
        try w.commit()

        let f = try HDF5File(path: path)
        let (shape, back) = try f.readDoubles("/g1/g2/x")
        #expect(shape == [3, 4, 5] && back == x)
        #expect(try f.readDoubles("/g1/g2/x", rows: 1..<2).values == Array(x[20..<40]))
        #expect(try f.readDoubles("/labels").values == [1, -2, 3])
        #expect(try f.readStrings("/names") == ["a", "βγ", ""])
        let root = Dictionary(uniqueKeysWithValues: try f.attributes(of: "/").map { ($0.0, $0.1) })
        #expect(root["s"] == .string("héllo") && root["b"] == .int(1))
        #expect(root["ints"] == .array([.int(1), .int(2)]) && root["reals"] == .array([.number(0.25), .number(3)]))
        #expect(try f.attributes(of: "/labels").first?.1 == .int(-7))
        #expect(try f.attributes(of: "/g1/g2/x").first?.1 == .array([.string("C3"), .string("C4")]))
        let info = try f.objects()
        #expect(info.map(\.path) == ["/", "/g1", "/g1/g2", "/g1/g2/x", "/labels", "/names"])
        let xi = info.first { $0.path == "/g1/g2/x" }!
        #expect(xi.compression == "gzip" && xi.filters == ["shuffle", "gzip"] && xi.chunks != nil && xi.dtype == "float64")
    }

    @Test func abandonedWriterLeavesNothing() throws {
        let path = TempDir.shared.uniquePath("abandoned.h5")
        do {
            let w = try HDF5Writer(path: path)
            try w.writeDoubles("/x", [1, 2], shape: [2])
        }
        let dir = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func errorsNameFileAndObject() throws {
        #expect { try HDF5File(path: Fixtures.path("edf/S001R04.edf")) } throws: {
            ($0 as? InputError)?.message.contains("not a readable HDF5 file") == true
        }
        let f = try HDF5File(path: Fixtures.path("hdf5-edge/types_and_attributes.h5"))
        #expect { try f.readDoubles("/strings/vlen") } throws: { ($0 as? HDF5Error)?.message.contains("not numeric") == true }
        #expect { try f.readStrings("/a/typed_i2") } throws: { ($0 as? HDF5Error)?.object == "/a/typed_i2" }
        #expect(try f.readDoubles("/a/b/c/ok_after_lzf").values == [0, 1, 2, 3, 4])
        #expect(!f.exists("/nope/deeper") && f.exists("/a/b/c"))
        let outside = TempDir.shared.uniquePath("x") + "/missing-dir/out.h5"
        #expect(throws: InputError.self) { try HDF5Writer(path: outside) }
    }
}
