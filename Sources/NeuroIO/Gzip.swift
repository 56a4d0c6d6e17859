import CZlib
import NeuroCore

/// Streaming gzip compression: feed bytes, receive compressed bytes; `finish()` flushes the trailer.
public final class GzipCompressor {
    private var stream = z_stream()
    private var out = [UInt8](repeating: 0, count: 1 << 18)

    public init(level: Int = 6) throws {
        guard neuropipe_deflate_init2(&stream, Int32(level), 15 + 16) == Z_OK else {
            throw RuntimeFailure(context: "gzip", message: "zlib deflateInit2 failed")
        }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input`, passing each produced block to `emit`.
    public func compress(_ input: UnsafeRawBufferPointer, emit: ([UInt8]) throws -> Void) throws {
        try run(input, flush: Z_NO_FLUSH, emit: emit)
    }

    public func finish(emit: ([UInt8]) throws -> Void) throws {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, emit: emit)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, emit: ([UInt8]) throws -> Void) throws {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = UInt32(input.count)
        repeat {
            let produced: Int = out.withUnsafeMutableBufferPointer { ob in
                stream.next_out = ob.baseAddress
                stream.avail_out = UInt32(ob.count)
                let status = deflate(&stream, flush)
                precondition(status != Z_STREAM_ERROR, "zlib stream state corrupted")
                return ob.count - Int(stream.avail_out)
            }
            if produced > 0 { try emit(Array(out[0..<produced])) }
        } while stream.avail_out == 0 || (flush == Z_FINISH && stream.avail_in > 0)
    }
}
