import CFFTW
import NeuroCore

/// FFTW planning is not thread-safe: plans are created and destroyed only under `FFTPlanner.lock`; executing an
/// existing plan on new arrays (`fftw_execute_dft_r2c`) is thread-safe and runs freely.
public enum FFTPlanner {
    static let lock = Lock()

    /// Runs `body` (which creates or destroys FFTW plans, or touches wisdom) holding the global planner lock.
    public static func withPlannerLock<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock(body)
    }

    /// Loads FFTW wisdom from `path` (plans created afterwards reuse it); returns false when the file is unusable.
    @discardableResult
    public static func importWisdom(from path: String) -> Bool {
        withPlannerLock { fftw_import_wisdom_from_filename(path) != 0 }
    }

    /// Saves the wisdom accumulated so far to `path`.
    @discardableResult
    public static func exportWisdom(to path: String) -> Bool {
        withPlannerLock { fftw_export_wisdom_to_filename(path) != 0 }
    }
}

/// Owns two FFTW plans of one transform, created and destroyed under the planner lock (execution needs no lock):
/// one for 16-byte-aligned arrays, which may use FFTW's SIMD codelets (about twice as fast), and an
/// `FFTW_UNALIGNED` one for any other pointer. `plan(_:_:)` picks per call, so every caller buffer stays valid.
public class FFTWPlanHandle: @unchecked Sendable {
    let alignedPlan: fftw_plan
    let unalignedPlan: fftw_plan

    /// `make(flags)` plans the transform on FFTW-allocated (aligned) scratch arrays with the given planner flags.
    init(_ what: String, _ make: (_ flags: UInt32) -> fftw_plan?) throws {
        let plans = FFTPlanner.withPlannerLock { () -> (fftw_plan?, fftw_plan?) in
            (make(neuropipe_fftw_estimate()), make(neuropipe_fftw_estimate() | neuropipe_fftw_unaligned()))
        }
        guard let aligned = plans.0, let unaligned = plans.1 else {
            FFTPlanner.withPlannerLock { plans.0.map(fftw_destroy_plan); plans.1.map(fftw_destroy_plan) }
            throw RuntimeFailure(context: "FFTW", message: "could not plan \(what)")
        }
        alignedPlan = aligned
        unalignedPlan = unaligned
    }

    /// The plan valid for these arrays: the SIMD one when each has FFTW's alignment (as FFTW-allocated arrays and
    /// Swift array storage do), otherwise the unaligned one.
    @inline(__always)
    func plan(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>) -> fftw_plan {
        fftw_alignment_of(a) == 0 && fftw_alignment_of(b) == 0 ? alignedPlan : unalignedPlan
    }

    deinit {
        let (a, u) = (alignedPlan, unalignedPlan)
        FFTPlanner.withPlannerLock { fftw_destroy_plan(a); fftw_destroy_plan(u) }
    }
}

/// A batched real-to-complex transform: `howMany` contiguous real rows of length `n` → `howMany` rows of
/// `n/2 + 1` complex values. Plans are cached by (n, howMany) and shared by all threads.
public final class RealFFTPlan: FFTWPlanHandle, @unchecked Sendable {
    public let n: Int
    public let howMany: Int

    private static let cache = PlanCache<[Int], RealFFTPlan>()

    /// The cached plan for `howMany` transforms of length `n` (created on first use).
    public static func shared(n: Int, howMany: Int = 1) throws -> RealFFTPlan {
        try cache.plan(for: [n, howMany]) { try RealFFTPlan(n: n, howMany: howMany) }
    }

    public init(n: Int, howMany: Int = 1) throws {
        guard n > 0, howMany > 0 else { throw RuntimeFailure(context: "RealFFTPlan", message: "length and batch must be positive, got \(n) × \(howMany)") }
        self.n = n
        self.howMany = howMany
        try super.init("\(howMany) × real length \(n)") { flags in
            let input = fftw_alloc_real(n * howMany)
            let output = fftw_alloc_complex((n / 2 + 1) * howMany)
            defer { fftw_free(input); fftw_free(output) }
            var size = Int32(n)
            return fftw_plan_many_dft_r2c(1, &size, Int32(howMany), input, nil, 1, Int32(n), output, nil, 1, Int32(n / 2 + 1),
                                          flags)
        }
    }

    /// Transforms `input` (`[howMany × n]`) into `output` (`[howMany × (n/2+1)]` interleaved re, im).
    public func execute(_ input: UnsafeMutablePointer<Double>, _ output: UnsafeMutablePointer<Double>) {
        output.withMemoryRebound(to: fftw_complex.self, capacity: (n / 2 + 1) * howMany) { out in
            fftw_execute_dft_r2c(plan(input, output), input, out)
        }
    }

    /// The one-sided spectrum of one row `x` (`[n]`, requires howMany == 1): `[n/2 + 1]` (re, im) pairs.
    public func forward(_ x: [Double]) -> [(re: Double, im: Double)] {
        precondition(x.count == n && howMany == 1, "input has \(x.count) samples, plan expects \(n)")
        var input = x
        var out = [Double](repeating: 0, count: 2 * (n / 2 + 1))
        input.withUnsafeMutableBufferPointer { i in out.withUnsafeMutableBufferPointer { o in execute(i.baseAddress!, o.baseAddress!) } }
        return (0..<(n / 2 + 1)).map { (out[2 * $0], out[2 * $0 + 1]) }
    }
}

/// A complex-to-real inverse transform of length `n` (unnormalised, as FFTW: irfft × n), cached like RealFFTPlan.
public final class InverseRealFFTPlan: FFTWPlanHandle, @unchecked Sendable {
    public let n: Int
    private static let cache = PlanCache<Int, InverseRealFFTPlan>()

    /// The cached inverse plan of length `n` (created on first use).
    public static func shared(n: Int) throws -> InverseRealFFTPlan {
        try cache.plan(for: n) { try InverseRealFFTPlan(n: n) }
    }

    public init(n: Int) throws {
        guard n > 0 else { throw RuntimeFailure(context: "InverseRealFFTPlan", message: "length must be positive, got \(n)") }
        self.n = n
        try super.init("inverse real length \(n)") { flags in
            let input = fftw_alloc_complex(n / 2 + 1)
            let output = fftw_alloc_real(n)
            defer { fftw_free(input); fftw_free(output) }
            return fftw_plan_dft_c2r_1d(Int32(n), input, output, flags)
        }
    }

    /// `input` is `[n/2 + 1]` interleaved complex (it is overwritten, as FFTW's c2r does); `output` `[n]` real.
    public func execute(_ input: UnsafeMutablePointer<Double>, _ output: UnsafeMutablePointer<Double>) {
        input.withMemoryRebound(to: fftw_complex.self, capacity: n / 2 + 1) { i in fftw_execute_dft_c2r(plan(input, output), i, output) }
    }
}

/// Plans by key, created once and shared by every thread (creation outside the cache lock; FFTW's own planning
/// is serialised by `FFTPlanner`).
final class PlanCache<Key: Hashable, Plan>: @unchecked Sendable {
    private let lock = Lock()
    private var plans = [Key: Plan]()

    func plan(for key: Key, make: () throws -> Plan) rethrows -> Plan {
        if let p = lock.withLock({ plans[key] }) { return p }
        let p = try make()
        return lock.withLock {
            if let existing = plans[key] { return existing }
            plans[key] = p
            return p
        }
    }
}

/// A batched complex transform: `howMany` contiguous rows of `n` complex values (interleaved re, im), forward
/// (e^−iωt) or backward (unnormalised, as FFTW). Cached by (n, howMany, direction) like the real plans.
public final class ComplexFFTPlan: FFTWPlanHandle, @unchecked Sendable {
    public enum Direction: Int, Sendable { case forward = -1, backward = 1 }
    public let n: Int
    public let howMany: Int
    public let direction: Direction
    private static let cache = PlanCache<[Int], ComplexFFTPlan>()

    public static func shared(n: Int, howMany: Int = 1, direction: Direction = .forward) throws -> ComplexFFTPlan {
        try cache.plan(for: [n, howMany, direction.rawValue]) { try ComplexFFTPlan(n: n, howMany: howMany, direction: direction) }
    }

    public init(n: Int, howMany: Int = 1, direction: Direction = .forward) throws {
        guard n > 0, howMany > 0 else { throw RuntimeFailure(context: "ComplexFFTPlan", message: "length and batch must be positive, got \(n) × \(howMany)") }
        self.n = n
        self.howMany = howMany
        self.direction = direction
        try super.init("\(howMany) × complex length \(n)") { flags in
            let input = fftw_alloc_complex(n * howMany), output = fftw_alloc_complex(n * howMany)
            defer { fftw_free(input); fftw_free(output) }
            var size = Int32(n)
            return fftw_plan_many_dft(1, &size, Int32(howMany), input, nil, 1, Int32(n), output, nil, 1, Int32(n),
                                      Int32(direction.rawValue), flags)
        }
    }

    /// Transforms `input` into `output`, both `[howMany × n]` interleaved complex (may be the same buffer).
    public func execute(_ input: UnsafeMutablePointer<Double>, _ output: UnsafeMutablePointer<Double>) {
        input.withMemoryRebound(to: fftw_complex.self, capacity: n * howMany) { i in
            output.withMemoryRebound(to: fftw_complex.self, capacity: n * howMany) { o in fftw_execute_dft(plan(input, output), i, o) }
        }
    }
}

/// The unnormalised type-II DCT of length `n` (FFTW REDFT10: y_k = 2 Σ x_j cos(π k (j + ½) / n)), which is
/// `scipy.fftpack.dct(x)`'s default. Cached by length.
public final class DCTIIPlan: FFTWPlanHandle, @unchecked Sendable {
    public let n: Int
    private static let cache = PlanCache<Int, DCTIIPlan>()

    public static func shared(n: Int) throws -> DCTIIPlan { try cache.plan(for: n) { try DCTIIPlan(n: n) } }

    public init(n: Int) throws {
        guard n > 0 else { throw RuntimeFailure(context: "DCTIIPlan", message: "length must be positive, got \(n)") }
        self.n = n
        try super.init("DCT-II length \(n)") { flags in
            let input = fftw_alloc_real(n)
            let output = fftw_alloc_real(n)
            defer { fftw_free(input); fftw_free(output) }
            return fftw_plan_r2r_1d(Int32(n), input, output, FFTW_REDFT10, flags)
        }
    }

    /// The transform of `x` (`[n]`).
    public func transform(_ x: [Double]) -> [Double] {
        var input = x
        var output = [Double](repeating: 0, count: n)
        input.withUnsafeMutableBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in fftw_execute_r2r(plan(i.baseAddress!, o.baseAddress!), i.baseAddress!, o.baseAddress!) }
        }
        return output
    }
}

/// The spectrum of a real kernel that is even on both axes of a periodic `[n0 × n1]` grid (both lengths even),
/// from its first quadrant: `[m0 × m1]` real values (m = n/2 + 1), the rest following by symmetry. Such a spectrum
/// is real, so two rows (then two columns) share one SIMD complex FFT as its real and imaginary parts; this is
/// about three times faster than FFTW's REDFT00 (a 2-D DCT-I), which has no SIMD codelets. Holds scratch: one per
/// thread.
public final class EvenKernelSpectrum {
    public let n0: Int
    public let n1: Int
    private let rowPlan: ComplexFFTPlan
    private let columnPlan: ComplexFFTPlan
    private let rowPairs: Int
    private let columnPairs: Int
    private var rows: [Double]
    private var rowSpectra: [Double]
    private var columns: [Double]
    private var columnSpectra: [Double]

    /// For kernels whose quadrant has at most `quadrantRows` non-zero rows.
    public init(n0: Int, n1: Int, quadrantRows: Int) throws {
        guard n0 >= 2, n1 >= 2, n0 % 2 == 0, n1 % 2 == 0, quadrantRows >= 1, quadrantRows <= n0 / 2 + 1 else {
            throw RuntimeFailure(context: "EvenKernelSpectrum", message: "needs even lengths ≥ 2 and 1…n0/2+1 quadrant rows, got \(n0) × \(n1), \(quadrantRows) rows")
        }
        (self.n0, self.n1) = (n0, n1)
        rowPairs = (quadrantRows + 1) / 2
        columnPairs = (n1 / 2 + 2) / 2
        rowPlan = try ComplexFFTPlan.shared(n: n1, howMany: rowPairs)
        columnPlan = try ComplexFFTPlan.shared(n: n0, howMany: columnPairs)
        rows = [Double](repeating: 0, count: 2 * n1 * rowPairs)
        rowSpectra = rows
        columns = [Double](repeating: 0, count: 2 * n0 * columnPairs)
        columnSpectra = columns
    }

    /// `quadrant` is row-major `[quadrantRows × quadrantColumns]`: the kernel at offsets (i, j), i, j ≥ 0
    /// (quadrantColumns ≤ n1/2 + 1); `spectrum` receives `[m0 × m1]`.
    public func compute(quadrant: UnsafePointer<Double>, quadrantRows: Int, quadrantColumns: Int, spectrum: UnsafeMutablePointer<Double>) {
        precondition(quadrantRows <= 2 * rowPairs && quadrantColumns <= n1 / 2 + 1, "kernel quadrant \(quadrantRows) × \(quadrantColumns) exceeds the planned grid")
        let m0 = n0 / 2 + 1, m1 = n1 / 2 + 1
        rows.withUnsafeMutableBufferPointer { r in
            rowSpectra.withUnsafeMutableBufferPointer { rs in
                let r = r.baseAddress!, rs = rs.baseAddress!
                // Rows 2p (real part) and 2p + 1 (imaginary part), each extended evenly around 0 over n1 points.
                r.update(repeating: 0, count: 2 * n1 * rowPairs)
                for i in 0..<quadrantRows {
                    let base = (i / 2) * 2 * n1 + (i % 2), row = quadrant + i * quadrantColumns
                    r[base] = row[0]
                    for j in 1..<quadrantColumns {
                        r[base + 2 * j] = row[j]
                        r[base + 2 * (n1 - j)] = row[j]
                    }
                }
                rowPlan.execute(r, rs)
                columns.withUnsafeMutableBufferPointer { c in
                    columnSpectra.withUnsafeMutableBufferPointer { cs in
                        let c = c.baseAddress!, cs = cs.baseAddress!
                        // Columns l (real) and l + 1 (imaginary) of the row spectra, extended evenly over n0 points.
                        c.update(repeating: 0, count: 2 * n0 * columnPairs)
                        for i in 0..<quadrantRows {
                            let source = rs + (i / 2) * 2 * n1 + (i % 2)
                            for l in 0..<m1 {
                                let v = source[2 * l], base = (l / 2) * 2 * n0 + (l % 2)
                                c[base + 2 * i] = v
                                if i > 0 { c[base + 2 * (n0 - i)] = v }
                            }
                        }
                        columnPlan.execute(c, cs)
                        for k in 0..<m0 {
                            for l in 0..<m1 { spectrum[k * m1 + l] = cs[(l / 2) * 2 * n0 + 2 * k + (l % 2)] }
                        }
                    }
                }
            }
        }
    }
}

/// Batched complex transforms along the columns of a row-major `[n × columns]` complex array (interleaved re, im),
/// in place: `columns` transforms of length `n` with stride `columns`. With `RealFFTPlan` over only the non-zero
/// rows this makes a 2-D real FFT that skips zero-padded rows.
public final class ColumnFFTPlan: FFTWPlanHandle, @unchecked Sendable {
    public let n: Int
    public let columns: Int
    public let direction: ComplexFFTPlan.Direction
    private static let cache = PlanCache<[Int], ColumnFFTPlan>()

    public static func shared(n: Int, columns: Int, direction: ComplexFFTPlan.Direction) throws -> ColumnFFTPlan {
        try cache.plan(for: [n, columns, direction.rawValue]) { try ColumnFFTPlan(n: n, columns: columns, direction: direction) }
    }

    public init(n: Int, columns: Int, direction: ComplexFFTPlan.Direction) throws {
        guard n > 0, columns > 0 else { throw RuntimeFailure(context: "ColumnFFTPlan", message: "shape must be positive, got \(n) × \(columns)") }
        (self.n, self.columns, self.direction) = (n, columns, direction)
        try super.init("\(columns) column transforms of length \(n)") { flags in
            let buffer = fftw_alloc_complex(n * columns)
            defer { fftw_free(buffer) }
            var size = Int32(n)
            return fftw_plan_many_dft(1, &size, Int32(columns), buffer, nil, Int32(columns), 1, buffer, nil, Int32(columns), 1,
                                      Int32(direction.rawValue), flags)
        }
    }

    /// Transforms `data` (`[n × columns]` interleaved complex) in place.
    public func execute(_ data: UnsafeMutablePointer<Double>) {
        data.withMemoryRebound(to: fftw_complex.self, capacity: n * columns) { fftw_execute_dft(plan(data, data), $0, $0) }
    }
}

/// `howMany` complex-to-real inverse transforms of length `n`: input rows of `n/2 + 1` complex values (overwritten),
/// output contiguous real rows of length `n` (unnormalised, as FFTW).
public final class InverseRealFFTBatchPlan: FFTWPlanHandle, @unchecked Sendable {
    public let n: Int
    public let howMany: Int
    private static let cache = PlanCache<[Int], InverseRealFFTBatchPlan>()

    public static func shared(n: Int, howMany: Int) throws -> InverseRealFFTBatchPlan {
        try cache.plan(for: [n, howMany]) { try InverseRealFFTBatchPlan(n: n, howMany: howMany) }
    }

    public init(n: Int, howMany: Int) throws {
        guard n > 0, howMany > 0 else { throw RuntimeFailure(context: "InverseRealFFTBatchPlan", message: "length and batch must be positive, got \(n) × \(howMany)") }
        (self.n, self.howMany) = (n, howMany)
        try super.init("\(howMany) × inverse real length \(n)") { flags in
            let input = fftw_alloc_complex((n / 2 + 1) * howMany)
            let output = fftw_alloc_real(n * howMany)
            defer { fftw_free(input); fftw_free(output) }
            var size = Int32(n)
            return fftw_plan_many_dft_c2r(1, &size, Int32(howMany), input, nil, 1, Int32(n / 2 + 1), output, nil, 1, Int32(n),
                                          flags)
        }
    }

    public func execute(_ input: UnsafeMutablePointer<Double>, _ output: UnsafeMutablePointer<Double>) {
        input.withMemoryRebound(to: fftw_complex.self, capacity: (n / 2 + 1) * howMany) { fftw_execute_dft_c2r(plan(input, output), $0, output) }
    }
}
