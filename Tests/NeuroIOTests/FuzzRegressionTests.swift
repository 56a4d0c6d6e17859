import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Inputs fuzzing found (scripts/fuzz), kept so the fixes stay fixed. Every one must be refused with an input error
/// naming the file, never a crash.
struct FuzzRegressionTests {
    /// The structure check's refusal of `fixture`: an InputError naming the file and containing `expected`.
    private func refusal(_ fixture: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let path = Fixtures.path("fuzz/" + fixture)
        #expect(sourceLocation: sourceLocation) { _ = try HDF5File(path: path) } throws: { e in
            guard let e = e as? InputError else { return false }
            return e.file == path && "\(e)".contains("corrupt HDF5 file") && "\(e)".contains(expected)
        }
    }

    /// FuzzHDF5: `/sample_ids` variable-length strings whose first element declares 3.6 GB; libhdf5 would malloc that
    /// inside H5Dread. The structure check refuses the file (its child has a capped address space), and in-process
    /// the declared length is checked against the file size before libhdf5 sees it.
    @Test func corruptVariableLengthStringIsRefusedBeforeAllocating() throws {
        refusal("hdf5-vlen-string-oom.h5", "/sample_ids")
        let file = try HDF5File(path: Fixtures.path("fuzz/hdf5-vlen-string-oom.h5"), structureTimeout: 60, checkStructure: false)
        #expect { try file.readStrings("/sample_ids") } throws: { e in
            guard let e = e as? HDF5Error else { return false }
            return e.message.contains("declares") && e.message.contains("bytes in a file of")
        }
        #expect(try file.readDoubles("/X").shape == [5, 3], "the rest of the file still reads")
    }

    /// FuzzHDF5: a dataset whose dataspace dimensions multiply past Int.max trapped on overflow in readDoubles; the
    /// count is now checked (overflow and a memory budget) before allocating. The same file also has a corrupt
    /// object header, which the structure check reports.
    @Test func datasetShapeBeyondMemoryIsRefused() throws {
        refusal("hdf5-shape-overflow.h5", "bad object header version number")
        let file = try HDF5File(path: Fixtures.path("fuzz/hdf5-shape-overflow.h5"), structureTimeout: 60, checkStructure: false)
        var refused = 0
        for object in try file.objects() where object.kind == .dataset {
            do { _ = try file.readDoubles(object.path) } catch let e as HDF5Error { if e.message.contains("more values than fit in memory") { refused += 1 } }
        }
        #expect(refused >= 1)
        #expect(MemoryBudget.count([Int.max, 2], bytesPerValue: 8) == nil && MemoryBudget.count([3, 4], bytesPerValue: 8) == 12)
    }

    /// FuzzHDF5: a corrupt attribute dataspace made libhdf5 1.10.8 free uninitialised attribute-table entries
    /// (SEGV in H5A__close, depending on what the heap held before). The child's walk gets libhdf5's error and the
    /// file is refused, so NeuroPipe itself never runs that error path.
    @Test func corruptAttributeTableIsRefused() {
        // The child inherits the heap too, so it gets libhdf5's error or crashes in its place; either way a refusal.
        let path = Fixtures.path("fuzz/hdf5-attribute-table-segv.h5")
        #expect { _ = try HDF5File(path: path) } throws: { e in
            "\(e)".contains(path) && ("\(e)".contains("cannot open attribute") || "\(e)".contains("crashed (signal 11)"))
        }
    }

    /// FuzzHDF5: a corrupt global heap made libhdf5 1.10.8 memcpy a negative size in H5HG_read while reading a
    /// variable-length string attribute. In the child (poisoned allocations) libhdf5 reports the corrupt group
    /// first or crashes; either way the file is refused naming the group.
    @Test func corruptGlobalHeapIsRefused() {
        refusal("hdf5-global-heap-segv.h5", "/a/b/c")
    }

    /// FuzzHDF5: a variable-length string attribute whose global-heap object size libhdf5 took from uninitialised
    /// memory (a 2.6 GB overlapping memcpy in H5HG_read, in NeuroPipe's own process). The child allocates from a
    /// poisoned heap (M_PERTURB, libhdf5's free lists emptied), so the bad read happens there.
    @Test func globalHeapObjectSizeFromUninitialisedMemoryIsRefused() {
        let path = Fixtures.path("fuzz/hdf5-global-heap-overlap.h5")
        #expect { _ = try HDF5File(path: path) } throws: { e in
            "\(e)".contains(path) && "\(e)".contains("corrupt HDF5 file")
        }
    }

    /// FuzzHDF5: a corrupt global heap behind a variable-length string attribute makes libhdf5 1.10.8 loop in
    /// H5HG_read (h5py's libhdf5 1.14 reads the file): the walk times out and the file is refused.
    @Test func globalHeapThatHangsLibhdf5TimesOut() {
        let path = Fixtures.path("fuzz/hdf5-global-heap-hang.h5")
        #expect { _ = try HDF5File(path: path, structureTimeout: 1) } throws: { e in
            "\(e)".contains(path) && "\(e)".contains("did not finish reading the file's structure within 1.0 s")
        }
    }

    /// FuzzHDF5: `/a/typed_f8` declares 3.3 GB per float; libhdf5 sized its conversion buffer by it (3 GB RSS for
    /// 24 values). Numbers must be 1–16 bytes, and chunk shapes are checked against the memory budget.
    @Test func hugeElementSizeIsRefusedBeforeLibhdf5Allocates() throws {
        let file = try HDF5File(path: Fixtures.path("fuzz/hdf5-huge-element.h5"))
        #expect { try file.readDoubles("/a/typed_f8") } throws: { e in
            (e as? HDF5Error)?.message == "declares numbers of 3305111560 bytes each (corrupt); expected 1 to 16"
        }
        #expect(try file.readDoubles("/a/typed_f4").shape == [4, 6], "the rest of the file still reads")
    }

    /// Files below a trusted folder (a pipeline cache's entries) are opened without the walk: the hanging file
    /// opens there (only reading its attributes would hang), and is refused anywhere else.
    @Test func trustedFoldersSkipTheWalk() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("np-trusted-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/entries", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for folder in ["entries", "."] { try FileManager.default.copyItem(atPath: Fixtures.path("fuzz/hdf5-global-heap-hang.h5"), toPath: dir + "/\(folder)/f.h5") }
        HDF5StructureCheck.trust(folder: dir + "/entries")
        #expect(throws: Never.self) { _ = try HDF5File(path: dir + "/entries/f.h5", structureTimeout: 1) }
        #expect(throws: InputError.self) { _ = try HDF5File(path: dir + "/f.h5", structureTimeout: 1) }
    }

    /// A file libhdf5 cannot finish reading (here a FIFO no one writes to, as a stalled filesystem would behave) is
    /// an error after the timeout, not a hang.
    @Test func structureCheckTimesOut() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("np-fifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("stalled.h5").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let start = Date()
        #expect { _ = try HDF5File(path: fifo, structureTimeout: 0.5) } throws: { e in
            "\(e)".contains("did not finish reading the file's structure within 0.5 s") && "\(e)".contains(fifo)
        }
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// Intact files pass the check: every HDF5 file among the fixtures (MATLAB v7.3 files included) but the fuzz ones.
    @Test func intactFilesPassTheStructureCheck() throws {
        let root = Fixtures.path("")
        let files = (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? [])
            .filter { f in [".h5", ".set", ".mat"].contains { f.hasSuffix($0) } && !f.hasPrefix("fuzz/") }
            .filter { f in
                let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: root + "/" + f)).readData(ofLength: 10)) ?? Data()
                return head.starts(with: [0x89, 0x48, 0x44, 0x46]) || head == Data("MATLAB 7.3".utf8)
            }
        #expect(files.count >= 9)
        for f in files {
            #expect(throws: Never.self, "\(f)") { _ = try HDF5File(path: root + "/" + f) }
        }
    }
}
