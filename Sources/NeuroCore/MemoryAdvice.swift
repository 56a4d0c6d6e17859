import CLapacke
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
/// of allocating: half the physical memory. Declared sizes come from headers a corrupt or crafted file controls.
public enum MemoryBudget {
    public static let bytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? Int(pages) / 2 * Int(pageSize) : 1 << 32
    }()

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
