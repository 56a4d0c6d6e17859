import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Inputs fuzzing found (scripts/fuzz), kept so the fixes stay fixed.
struct FuzzRegressionTests {
    /// FuzzHDF5: `/sample_ids` variable-length strings whose first element declares 3.6 GB; libhdf5 would malloc that
    /// inside H5Dread. The declared length is now checked against the file size first.
    @Test func corruptVariableLengthStringIsRefusedBeforeAllocating() throws {
        let path = Fixtures.path("fuzz/hdf5-vlen-string-oom.h5")
        let file = try HDF5File(path: path)
        #expect { try file.readStrings("/sample_ids") } throws: { e in
            guard let e = e as? HDF5Error else { return false }
            return e.message.contains("declares") && e.message.contains("bytes in a file of")
        }
        #expect(try file.readDoubles("/X").shape == [5, 3], "the rest of the file still reads")
    }

    /// FuzzHDF5: a dataset whose dataspace dimensions multiply past Int.max trapped on overflow in readDoubles; the
    /// count is now checked (overflow and a memory budget) before allocating.
    @Test func datasetShapeBeyondMemoryIsRefused() throws {
        let file = try HDF5File(path: Fixtures.path("fuzz/hdf5-shape-overflow.h5"))
        var refused = 0
        for object in try file.objects() where object.kind == .dataset {
            do { _ = try file.readDoubles(object.path) } catch let e as HDF5Error { if e.message.contains("more values than fit in memory") { refused += 1 } }
        }
        #expect(refused >= 1)
        #expect(MemoryBudget.count([Int.max, 2], bytesPerValue: 8) == nil && MemoryBudget.count([3, 4], bytesPerValue: 8) == 12)
    }
}
