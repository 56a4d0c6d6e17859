import ArgumentParser
import Foundation
import NeuroCore
import NeuroIO

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert between EDF/BDF, NIfTI and NeuroPipe's HDF5 layouts.",
        discussion: """
            EDF/BDF → .edf/.bdf writes EDF+/BDF+; EDF/BDF → .h5 writes the continuous-signal layout.
            NIfTI → .h5 writes a [voxels × timepoints] matrix with affine, voxel indices and TR (--mask keeps only
            the mask's non-zero voxels). A voxels-layout .h5 → .nii/.nii.gz writes the image (maps).
            Outputs are written to a temporary file and renamed into place: an interrupted run leaves nothing partial.
            Layouts: data-schemas/hdf5-continuous.schema.json, data-schemas/hdf5-voxels.schema.json.
            """)

    @Argument(help: "Input: EDF/BDF recording, NIfTI image, or HDF5 file in the voxels layout.")
    var input: String

    @Argument(help: "Output: .edf, .bdf, .h5/.hdf5, .nii or .nii.gz.")
    var output: String

    @Option(help: "3-D mask image (NIfTI → HDF5 only): keep voxels where the mask is non-zero.")
    var mask: String?

    @Option(help: "NIfTI output data type: float32 (default), float64, int16, …")
    var datatype: String = "float32"

    @OptionGroup var json: JSONOption

    func run() throws {
        do {
            let lower = output.lowercased()
            let kind = try FileKind.detect(path: input)
            var warnings = [String]()
            var written = ""
            if mask != nil && !(kind == .nifti && (lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5"))) {
                throw ValidationError("--mask applies only to NIfTI → HDF5 conversion")
            }
            switch (kind, lower) {
            case (.edf, _), (.bdf, _):
                let reader = try EDFReader(path: input)
                warnings = reader.warnings
                if lower.hasSuffix(".edf") || lower.hasSuffix(".bdf") {
                    written = try EDFWriter.write(try reader.readRecording(), to: output, kind: lower.hasSuffix(".bdf") ? .bdf : .edf,
                                                  recordDuration: reader.header.recordDuration).rawValue
                } else if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") {
                    try HDF5Layout.writeContinuous(try reader.readRecording(), source: (input as NSString).lastPathComponent, to: output)
                    written = "HDF5 (neuropipe.continuous)"
                } else {
                    throw InputError(file: output, field: "extension", message: "expected .edf, .bdf or .h5 for a recording")
                }
            case (.nifti, _) where lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5"):
                let image = try NIfTIReader(path: input)
                warnings = image.warnings
                var voxels: [Int]? = nil
                if let mask { voxels = try NIfTIReader(path: mask).maskVoxels(matching: image.header.shape) }
                let data = try image.voxelTimeMatrix(voxels: voxels)
                try HDF5Layout.writeVoxels(data, voxelIndices: voxels ?? Array(0..<image.voxelsPerVolume), shape: image.header.shape,
                                           affine: image.affine, tr: image.trSeconds, xyztUnits: image.header.xyztUnits,
                                           source: (input as NSString).lastPathComponent, mask: mask, to: output)
                written = "HDF5 (neuropipe.voxels)"
            case (.hdf5, _) where lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz"):
                guard let dt = NIfTIDatatype.allCases.first(where: { $0.name == datatype }) else {
                    throw ValidationError("--datatype \(datatype) is not one of \(NIfTIDatatype.allCases.map(\.name).joined(separator: ", "))")
                }
                let file: HDF5File
                do { file = try HDF5File(path: input) } catch let e as HDF5Error { throw e.inputError }
                let image = try HDF5Layout.readVoxelsAsImage(file)
                var options = NIfTIWriter.Options()
                options.datatype = dt
                options.tr = image.tr
                try NIfTIWriter.write(image.values, shape: image.shape, affine: image.affine, to: output, options: options)
                written = "NIfTI-1"
            default:
                throw InputError(file: output, field: "extension",
                                 message: "cannot convert \(kind.rawValue) to this output; see `neuropipe convert --help` for the supported pairs")
            }
            if json.json {
                print(JSONValue.object([("input", .string(input)), ("output", .string(output)), ("format", .string(written)),
                                        ("warnings", .array(warnings.map { .string($0) }))]).serialized())
            } else {
                print("wrote \(output) (\(written))")
                for w in warnings { print("warning: \(w)") }
            }
        } catch let e as HDF5Error {
            exitWithError(e.inputError, json: json.json)
        } catch let e as ValidationError {
            throw e
        } catch {
            exitWithError(error, json: json.json)
        }
    }
}
