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

    @Option(name: .customLong("nifti-version"), help: "NIfTI output version: 1 (default) or 2.")
    var niftiVersion: Int = 1

    @OptionGroup var json: JSONOption

    func run() throws {
        guard let dt = NIfTIDatatype.allCases.first(where: { $0.name == datatype }) else {
            throw ValidationError("--datatype \(datatype) is not one of \(NIfTIDatatype.allCases.map(\.name).joined(separator: ", "))")
        }
        guard niftiVersion == 1 || niftiVersion == 2 else { throw ValidationError("--nifti-version must be 1 or 2") }
        do {
            try OutputLocation.requireWritableFile(output, field: "OUTPUT")
            let result = try Conversion.convert(input: input, output: output, mask: mask, niftiDatatype: dt, niftiVersion: niftiVersion)
            if json.json {
                print(JSONValue.object([("input", .string(input)), ("output", .string(output)), ("format", .string(result.format)),
                                        ("warnings", .array(result.warnings.map { .string($0) }))]).serialized())
            } else {
                print("wrote \(output) (\(result.format))")
                for w in result.warnings { print("warning: \(w)") }
            }
        } catch let e as HDF5Error {
            exitWithError(e.inputError, json: json.json)
        } catch {
            exitWithError(error, json: json.json)
        }
    }
}
