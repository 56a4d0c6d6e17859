import Foundation
import Testing
import NeuroCore
@testable import NeuroIO

/// Region means against nilearn 0.14.1's NiftiLabelsMasker on the same image and atlas (scripts/golden/fmri).
struct RegionTimeSeriesTests {
    @Test func regionMeansMatchNilearn() throws {
        let golden = try Fixtures.json("golden/fmri/fmri.json")
        let (labels, series, tr) = try RegionTimeSeries.extract(image: Fixtures.path("golden/fmri/image.nii.gz"), atlas: Fixtures.path("golden/fmri/atlas.nii.gz"))
        #expect(labels == golden["labels"] as! [Int])
        #expect(tr == 2)
        let want = (golden["region_means"] as! [[Double]]).flatMap { $0 }
        #expect(series.storage.count == want.count)
        let worst = zip(series.storage, want).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        // nilearn averages float32 voxels in float32 here; 1e-6 relative covers its rounding.
        #expect(worst < 1e-6, "largest relative difference \(worst)")
        // An atlas on another grid is refused.
        #expect { try RegionTimeSeries.extract(image: Fixtures.path("golden/fmri/image.nii.gz"), atlas: Fixtures.path("nifti/mask_brain.nii.gz")) } throws: {
            ($0 as? InputError)?.field == "dim"
        }
    }
}
