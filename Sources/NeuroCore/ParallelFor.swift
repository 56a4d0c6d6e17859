import Dispatch

/// Runs `body(0..<iterations)` across all cores and returns when every call has finished.
/// Callers guarantee the calls touch disjoint memory (e.g. each writes its own output rows).
public func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    guard iterations > 1 else {
        if iterations == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
    }
}

/// `body` over `indices` on all cores, results in order; the first error thrown is rethrown.
public func parallelMap<T>(_ indices: Range<Int>, _ body: (Int) throws -> T) throws -> [T] {
    let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: indices.count)
    slots.initialize(repeating: nil)
    defer {
        slots.baseAddress?.deinitialize(count: slots.count)  // release the results' storage, not just the slots
        slots.deallocate()
    }
    let results = UncheckedSendableBox(slots)
    let failure = ErrorSlot()
    parallelFor(indices.count) { k in
        do { results.value[k] = try body(indices.lowerBound + k) } catch { failure.set(error) }
    }
    if let e = failure.error { throw e }
    return slots.map { $0! }
}

/// Carries a value across a concurrency boundary whose safety the caller has established by construction.
public struct UncheckedSendableBox<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

extension Matrix {
    /// A new `[rows × outputColumns]` matrix whose row r is written by `body(r, inputRow, outputRow)`; rows run in
    /// parallel (each call writes only its own output row).
    public func mapRowsInParallel(outputColumns: Int,
                                  _ body: (Int, UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void) -> Matrix {
        var out = Matrix(rows: rows, cols: outputColumns)
        let (n, m) = (cols, outputColumns)
        out.storage.withUnsafeMutableBufferPointer { ob in
            let dst = UncheckedSendableBox(ob.baseAddress)
            storage.withUnsafeBufferPointer { ib in
                let src = UncheckedSendableBox(ib.baseAddress)
                parallelFor(rows) { r in
                    body(r, UnsafeBufferPointer(start: src.value.map { $0 + r * n }, count: n),
                         UnsafeMutableBufferPointer(start: dst.value.map { $0 + r * m }, count: m))
                }
            }
        }
        return out
    }
}

/// The result of `work`, started at once on a background thread; `value()` waits for it. Double buffering: the next
/// block of input is read while the current one is computed on, so reading does not leave cores idle.
public final class BackgroundResult<T>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?

    public init(_ work: @escaping () throws -> T) {
        let box = UncheckedSendableBox(work)
        DispatchQueue.global().async { [self] in
            result = Result { try box.value() }
            finished.signal()
        }
    }

    /// Waits for `work` (any number of calls; each returns its value or rethrows its error).
    public func value() throws -> T {
        finished.wait()
        defer { finished.signal() }
        return try result!.get()
    }
}
