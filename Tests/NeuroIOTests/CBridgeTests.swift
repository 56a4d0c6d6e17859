import Foundation
import Testing
import CHDF5
import CZlib

/// The C bridges' shims: HDF5's macro constants and zlib's macro initialisers work from Swift.
struct CBridgeTests {
    @Test func hdf5ShimConstantsWriteAndReadADataset() throws {
        _ = neuropipe_H5_silence_errors()
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        #expect(H5get_libversion(&major, &minor, &release) >= 0)
        #expect(major == 1 && minor >= 10)
        let path = TempDir.shared.uniquePath("bridge.h5")
        let file = H5Fcreate(path, neuropipe_H5F_ACC_TRUNC(), neuropipe_H5P_DEFAULT(), neuropipe_H5P_DEFAULT())
        #expect(file >= 0)
        var dims: [hsize_t] = [2, 3]
        let space = H5Screate_simple(2, &dims, nil)
        let dset = H5Dcreate2(file, "x", neuropipe_H5T_NATIVE_DOUBLE(), space, neuropipe_H5P_DEFAULT(), neuropipe_H5P_DEFAULT(), neuropipe_H5P_DEFAULT())
        let values: [Double] = [1, 2, 3, 4, 5, 6.5]
        #expect(H5Dwrite(dset, neuropipe_H5T_NATIVE_DOUBLE(), neuropipe_H5S_ALL(), neuropipe_H5S_ALL(), neuropipe_H5P_DEFAULT(), values) >= 0)
        H5Dclose(dset); H5Sclose(space); H5Fclose(file)

        let f2 = H5Fopen(path, neuropipe_H5F_ACC_RDONLY(), neuropipe_H5P_DEFAULT())
        let d2 = H5Dopen2(f2, "x", neuropipe_H5P_DEFAULT())
        var back = [Double](repeating: 0, count: 6)
        #expect(H5Dread(d2, neuropipe_H5T_NATIVE_DOUBLE(), neuropipe_H5S_ALL(), neuropipe_H5S_ALL(), neuropipe_H5P_DEFAULT(), &back) >= 0)
        H5Dclose(d2); H5Fclose(f2)
        #expect(back == values)
        // With errors silenced, opening a missing object fails quietly with a negative id.
        let f3 = H5Fopen(path, neuropipe_H5F_ACC_RDONLY(), neuropipe_H5P_DEFAULT())
        #expect(H5Dopen2(f3, "missing", neuropipe_H5P_DEFAULT()) < 0)
        H5Fclose(f3)
    }

    @Test func zlibShimGzipRoundTrip() throws {
        let input = Array((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) })
        var deflated = [UInt8](repeating: 0, count: 20_000)
        var s = z_stream()
        #expect(neuropipe_deflate_init2(&s, 6, 15 + 16) == Z_OK)  // gzip wrapper
        var inp = input
        let written: Int = inp.withUnsafeMutableBufferPointer { ib in
            deflated.withUnsafeMutableBufferPointer { ob in
                s.next_in = ib.baseAddress; s.avail_in = UInt32(ib.count)
                s.next_out = ob.baseAddress; s.avail_out = UInt32(ob.count)
                #expect(deflate(&s, Z_FINISH) == Z_STREAM_END)
                return ob.count - Int(s.avail_out)
            }
        }
        deflateEnd(&s)
        #expect(deflated[0] == 0x1F && deflated[1] == 0x8B)
        var out = [UInt8](repeating: 0, count: input.count)
        var z = z_stream()
        #expect(neuropipe_inflate_init2(&z, 15 + 32) == Z_OK)  // auto-detect gzip/zlib
        deflated.withUnsafeMutableBufferPointer { ib in
            out.withUnsafeMutableBufferPointer { ob in
                z.next_in = ib.baseAddress; z.avail_in = UInt32(written)
                z.next_out = ob.baseAddress; z.avail_out = UInt32(ob.count)
                #expect(inflate(&z, Z_FINISH) == Z_STREAM_END)
            }
        }
        inflateEnd(&z)
        #expect(out == input)
    }
}
