#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened `O_RDONLY` and read with `pread` into caller-sized buffers, so memory stays bounded however large
/// the file is and a lying header can make a reader fail but never read past the end. Inputs are never modified.
/// Safe to read from several threads at once (pread has no shared file position).
public final class ReadOnlyFile: @unchecked Sendable {
    public let path: String
    public let size: Int
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputError(file: path, field: "file", message: "cannot open: \(String(cString: strerror(errno)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw InputError(file: path, field: "file", message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw InputError(file: path, field: "file", message: "not a regular file")
        }
        self.fd = fd
        self.size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// Fills `buffer` with the bytes at `offset`; throws (naming `field`) when that range is not inside the file.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer, field: String) throws {
        let count = buffer.count
        guard offset >= 0, offset <= size, count <= size - offset else {
            throw InputError(file: path, field: field,
                             message: "needs bytes \(offset)..<\(offset &+ count) but the file has \(size) bytes")
        }
        var done = 0
        while done < count {
            let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(file: path, field: field, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw InputError(file: path, field: field, message: "file shrank while reading (ended at byte \(offset + done))")
            }
            done += n
        }
    }

    /// The bytes `offset ..< offset + count` as an array.
    public func read(at offset: Int, count: Int, field: String) throws -> [UInt8] {
        guard count >= 0, count <= size else {
            throw InputError(file: path, field: field, message: "needs \(count) bytes but the file has \(size) bytes")
        }
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { try out.withUnsafeMutableBytes { try read(at: offset, into: $0, field: field) } }
        return out
    }
}
