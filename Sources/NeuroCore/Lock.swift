#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain mutex for short critical sections shared across threads (e.g. FFTW planning, first-error capture).
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// The first error reported by concurrent workers (later ones are dropped).
public final class ErrorSlot: @unchecked Sendable {
    private let lock = Lock()
    private var stored: Error?
    public init() {}
    public var error: Error? { lock.withLock { stored } }
    public func set(_ e: Error) { lock.withLock { if stored == nil { stored = e } } }
}
