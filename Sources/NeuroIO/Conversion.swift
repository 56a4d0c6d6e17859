import Foundation
import NeuroCore

/// `neuropipe convert`: every supported input → output pair, chosen by the input's content and the output's
/// extension. Returns what was written and the input's warnings.
public enum Conversion {
    public struct Result: Sendable {
        public var format: String
        public var warnings: [String]
    }

    public static func convert(input: String, output: String, mask: String? = nil,
                               niftiDatatype: NIfTIDatatype = .float32, niftiVersion: Int = 1) throws -> Result {
        let lower = output.lowercased()
        let toHDF5 = lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5")
        let kind = try FileKind.detect(path: input)
        if mask != nil && !(kind == .nifti && toHDF5) {
            throw InputError(file: mask!, field: "--mask", message: "a mask applies only to NIfTI → HDF5 conversion")
        }
        switch kind {
        case .edf, .bdf:
            let reader = try EDFReader(path: input)
            if lower.hasSuffix(".edf") || lower.hasSuffix(".bdf") {
                let f = try EDFWriter.write(try reader.readRecording(), to: output, kind: lower.hasSuffix(".bdf") ? .bdf : .edf,
                                            recordDuration: reader.header.recordDuration)
                return Result(format: f.rawValue, warnings: reader.warnings)
            }
            guard toHDF5 else { throw InputError(file: output, field: "extension", message: "expected .edf, .bdf or .h5 for a recording") }
            try HDF5Layout.writeContinuous(try reader.readRecording(), source: (input as NSString).lastPathComponent, to: output)
            return Result(format: "HDF5 (neuropipe.continuous)", warnings: reader.warnings)
        case .csv:
            let (rec, warnings) = try CSVRecording.read(path: input)
            guard toHDF5 else { throw InputError(file: output, field: "extension", message: "expected .h5 for a CSV recording") }
            try HDF5Layout.writeContinuous(rec, source: (input as NSString).lastPathComponent, to: output)
            return Result(format: "HDF5 (neuropipe.continuous)", warnings: warnings)
        case .nifti:
            guard toHDF5 else { throw InputError(file: output, field: "extension", message: "expected .h5 for a NIfTI input") }
            let image = try NIfTIReader(path: input)
            var voxels: [Int]? = nil
            if let mask { voxels = try NIfTIReader(path: mask).maskVoxels(matching: image.header.shape) }
            let data = try image.voxelTimeMatrix(voxels: voxels)
            try HDF5Layout.writeVoxels(data, voxelIndices: voxels ?? Array(0..<image.voxelsPerVolume), shape: image.header.shape,
                                       affine: image.affine, tr: image.trSeconds, xyztUnits: image.header.xyztUnits,
                                       source: (input as NSString).lastPathComponent, mask: mask.map { ($0 as NSString).lastPathComponent }, to: output)
            return Result(format: "HDF5 (neuropipe.voxels)", warnings: image.warnings)
        case .hdf5:
            guard lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") else {
                throw InputError(file: output, field: "extension", message: "expected .nii or .nii.gz for an HDF5 (voxels layout) input")
            }
            let file: HDF5File
            do { file = try HDF5File(path: input) } catch let e as HDF5Error { throw e.inputError }
            let image = try HDF5Layout.readVoxelsAsImage(file)
            var options = NIfTIWriter.Options()
            options.datatype = niftiDatatype
            options.version = niftiVersion
            options.tr = image.tr
            try NIfTIWriter.write(image.values, shape: image.shape, affine: image.affine, to: output, options: options)
            return Result(format: "NIfTI-\(niftiVersion)", warnings: [])
        }
    }
}
