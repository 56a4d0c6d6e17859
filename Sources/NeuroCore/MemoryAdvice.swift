import CLapacke
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel to back a large, freshly allocated buffer with transparent huge pages (as numpy does for big
/// arrays): one fault per 2 MiB instead of per 4 KiB when it is first written. A hint; failures are ignored.
public func adviseHugePages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
    #if os(Linux)
    let huge = 2 << 20
    guard byteCount >= 4 * huge else { return }
    let start = (Int(bitPattern: pointer) + huge - 1) & ~(huge - 1)
    let end = (Int(bitPattern: pointer) + byteCount) & ~(huge - 1)
    guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(p, end - start, MADV_HUGEPAGE)
    #endif
}

/// Fixes glibc's mmap threshold at 4 MiB for the process. By default glibc raises the threshold each time a large
/// block is freed; signal-sized buffers then come from the heap arenas and are rarely returned, so a 100-participant
/// pipeline run grew to 1.1 GB resident instead of about 60 MB. Call once at start-up.
public func configureAllocatorForLargeBuffers() {
    #if os(Linux)
    _ = neuropipe_fix_mmap_threshold(4 << 20)
    #endif
}

/// How much memory one allocation for a file's declared contents may take before NeuroPipe refuses the file instead
/// of allocating: half the physical memory unless `--max-memory` set it. Declared sizes come from headers a
/// corrupt or crafted file controls.
public enum MemoryBudget {
    public static let physicalHalf: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? Int(pages) / 2 * Int(pageSize) : 1 << 32
    }()
    private static let lock = Lock()
    nonisolated(unsafe) private static var configured: Int?  // guarded by `lock`

    /// The budget in bytes.
    public static var bytes: Int { lock.withLock { configured ?? physicalHalf } }

    /// Sets the budget (the CLI's `--max-memory`); nil restores half the physical memory.
    public static func set(bytes: Int?) { lock.withLock { configured = bytes.map { max(1, $0) } } }

    /// Throws unless `count` values of `bytesPerValue` bytes fit the budget; the error names `file`, `field` and
    /// `what` would have been allocated, so a header declaring more than memory holds is refused before allocating.
    public static func require(_ count: Int, bytesPerValue: Int, file: String, field: String, what: String, hint: String? = nil) throws {
        let (bytes, overflow) = max(0, count).multipliedReportingOverflow(by: max(1, bytesPerValue))
        guard overflow || bytes > MemoryBudget.bytes else { return }
        let need = overflow ? "more than any machine has" : describe(bytes)
        throw InputError(file: file, field: field, message: "\(what) needs \(need), more than the memory budget of \(describe(MemoryBudget.bytes)) (--max-memory)" + (hint.map { "; " + $0 } ?? ""))
    }

    /// `bytes` as "512 B", "4.7 MB", "3.2 GB" (powers of 1024).
    public static func describe(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// Parses a size such as `512M`, `4G`, `1.5GB`, `2000000` (bytes; K/M/G/T are powers of 1024).
    public static func parse(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("B") { t.removeLast() }
        let units: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        var scale = 1.0
        if let last = t.last, let u = units[last] { scale = u; t.removeLast() }
        guard let v = Double(t), v.isFinite, v > 0, v * scale < Double(Int.max) else { return nil }
        return Int(v * scale)
    }

    /// The number of values of `shape`, or nil when the product overflows or `bytesPerValue` × it exceeds the budget.
    public static func count(_ shape: [Int], bytesPerValue: Int) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            n = p
        }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: max(1, bytesPerValue))
        return overflow || bytes > MemoryBudget.bytes ? nil : n
    }
}
