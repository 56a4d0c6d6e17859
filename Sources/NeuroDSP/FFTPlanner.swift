import CFFTW
import NeuroCore

/// FFTW's planner is not thread-safe; every plan creation and destruction goes through this one lock,
/// while `fftw_execute_dft_r2c` on an existing plan runs freely from any thread (new-array execute).
public enum FFTPlanner {
    static let lock = Lock()

    /// Runs `body` (which creates or destroys FFTW plans) while holding the global planner lock.
    public static func withPlannerLock<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock(body)
    }
}

/// A planned one-dimensional real-to-complex transform of length `n` (n/2 + 1 complex outputs), reusable from
/// any number of threads because execution uses the new-array interface on caller-owned aligned buffers.
public final class RealFFTPlan: @unchecked Sendable {
    public let n: Int
    private let plan: fftw_plan

    public init(n: Int) throws {
        guard n > 0 else { throw RuntimeFailure(context: "RealFFTPlan", message: "length must be positive, got \(n)") }
        self.n = n
        let planned: fftw_plan? = FFTPlanner.withPlannerLock {
            let input = fftw_alloc_real(n)
            let output = fftw_alloc_complex(n / 2 + 1)
            defer { fftw_free(input); fftw_free(output) }
            return fftw_plan_dft_r2c_1d(Int32(n), input, output, neuropipe_fftw_estimate())
        }
        guard let planned else { throw RuntimeFailure(context: "RealFFTPlan", message: "FFTW could not plan length \(n)") }
        plan = planned
    }

    deinit {
        let p = plan
        FFTPlanner.withPlannerLock { fftw_destroy_plan(p) }
    }

    /// The one-sided spectrum of `x` (`[n]` real samples): `[n/2 + 1]` complex values as (re, im) pairs.
    public func forward(_ x: [Double]) -> [(re: Double, im: Double)] {
        precondition(x.count == n, "input has \(x.count) samples, plan expects \(n)")
        let input = fftw_alloc_real(n)!
        let output = fftw_alloc_complex(n / 2 + 1)!
        defer { fftw_free(input); fftw_free(output) }
        for i in 0..<n { input[i] = x[i] }
        fftw_execute_dft_r2c(plan, input, output)
        return (0..<(n / 2 + 1)).map { k in
            let c = output[k]
            return (re: c.0, im: c.1)
        }
    }
}
