import CZlib
import NeuroCore

/// A forward-only stream of bytes from a file, raw or gzip-compressed. Memory stays bounded: gzip is inflated
/// through a fixed-size input buffer, so no compressed copy of the file is held beside the decoded data.
public protocol ByteSource: AnyObject {
    /// Fills `buffer` completely or throws (naming `field`) when the stream ends first.
    func read(into buffer: UnsafeMutableRawBufferPointer, field: String) throws
    /// Skips `count` bytes forward.
    func skip(_ count: Int, field: String) throws
    /// Bytes consumed so far (of the decoded stream).
    var position: Int { get }
}

/// Opens `path` as a byte source, inflating when the file starts with the gzip magic 1F 8B.
public func openByteSource(path: String) throws -> ByteSource {
    let file = try ReadOnlyFile(path: path)
    let magic = try file.read(at: 0, count: min(2, file.size), field: "file")
    if magic == [0x1F, 0x8B] { return try GzipByteSource(file: file) }
    return RawByteSource(file: file)
}

final class RawByteSource: ByteSource {
    let file: ReadOnlyFile
    private(set) var position = 0
    init(file: ReadOnlyFile) { self.file = file }

    func read(into buffer: UnsafeMutableRawBufferPointer, field: String) throws {
        guard buffer.count <= file.size - position else {
            throw InputError(file: file.path, field: field,
                             message: "needs \(buffer.count) bytes at offset \(position) but the file has \(file.size) bytes")
        }
        try file.read(at: position, into: buffer, field: field)
        position += buffer.count
    }

    func skip(_ count: Int, field: String) throws {
        guard count >= 0, count <= file.size - position else {
            throw InputError(file: file.path, field: field, message: "offset \(position + count) is beyond the end of the file (\(file.size) bytes)")
        }
        position += count
    }
}

final class GzipByteSource: ByteSource {
    let file: ReadOnlyFile
    private var stream = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var fileOffset = 0
    private var finished = false
    private(set) var position = 0
    static let chunk = 1 << 20

    init(file: ReadOnlyFile) throws {
        self.file = file
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: GzipByteSource.chunk, alignment: 16)
        // 15 + 32: zlib or gzip header, detected automatically.
        guard neuropipe_inflate_init2(&stream, 15 + 32) == Z_OK else {
            input.deallocate()
            throw RuntimeFailure(context: file.path, message: "zlib inflateInit2 failed")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, field: String) throws {
        guard buffer.count > 0 else { return }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = 0
        var remaining = buffer.count
        var out = buffer.baseAddress!
        while remaining > 0 {
            let step = min(remaining, Int(UInt32.max / 2))
            stream.next_out = out.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = UInt32(step)
            while stream.avail_out > 0 {
                if finished {
                    throw InputError(file: file.path, field: field,
                                     message: "compressed data ends after \(position + step - Int(stream.avail_out)) decoded bytes; needed \(position + buffer.count)")
                }
                if stream.avail_in == 0 {
                    let n = min(GzipByteSource.chunk, file.size - fileOffset)
                    if n == 0 {
                        throw InputError(file: file.path, field: field,
                                         message: "gzip stream is truncated after \(position + step - Int(stream.avail_out)) decoded bytes; needed \(position + buffer.count)")
                    }
                    try file.read(at: fileOffset, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<n]), field: field)
                    fileOffset += n
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = UInt32(n)
                }
                let status = inflate(&stream, Z_NO_FLUSH)
                if status == Z_STREAM_END {
                    // Concatenated gzip members (as `cat a.gz b.gz`) continue the stream.
                    if stream.avail_in > 0 || fileOffset < file.size {
                        inflateReset(&stream)
                    } else {
                        finished = true
                    }
                } else if status != Z_OK && status != Z_BUF_ERROR {
                    let msg = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw InputError(file: file.path, field: field, message: "gzip data is corrupt: \(msg)")
                }
            }
            out += step
            remaining -= step
            position += step
        }
    }

    func skip(_ count: Int, field: String) throws {
        guard count > 0 else { return }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, 1 << 16), alignment: 16)
        defer { scratch.deallocate() }
        var left = count
        while left > 0 {
            let n = min(left, scratch.count)
            try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<n]), field: field)
            left -= n
        }
    }
}
