import FuzzShared
import NeuroIO

// NIfTI-1/2 header and data (gzip inflated as a stream when the bytes start with the gzip magic).
runFuzzer { bytes in
    let gz = bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    let path = Scratch.file(bytes, name: gz ? "input.nii.gz" : "input.nii")
    if let image = try? NIfTIReader(path: path) {
        _ = try? image.statistics()
        _ = try? image.voxelTimeMatrix(voxels: [0])
    }
}
