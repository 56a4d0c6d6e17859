import Foundation

/// Values sorted ascending, with an index of equal-width buckets over their range, so that "how many values lie
/// within r of c" costs a few branch-free comparisons instead of two binary searches. Sorting is a bucket sort
/// (insertion sort within buckets, a full sort when a bucket is crowded, as for heavy-tailed data), O(n) for the
/// usual shapes.
struct BucketedSortedValues {
    /// −∞, the n values ascending, then `window` × +∞: sentinels that let a count read past either end.
    private var storage = [Double]()
    private var bucketStart = [Int32]()
    private var fill = [Int32]()
    private var bucketOf = [Int32]()
    private var lower = 0.0, inverseWidth = 1.0, buckets = 1
    private(set) var count = 0
    /// Values a count examines at each boundary before falling back to stepping.
    static let window = 4

    init() {}

    init(_ values: UnsafeBufferPointer<Double>) { build(values) }

    /// Sorts `values` (non-empty) and indexes them by 2n equal-width buckets over [min, max].
    mutating func build(_ values: UnsafeBufferPointer<Double>) {
        let n = values.count
        count = n
        var lo = values[0], hi = values[0]
        for v in values { lo = min(lo, v); hi = max(hi, v) }
        lower = lo
        buckets = max(1, 2 * n)
        inverseWidth = hi > lo ? Double(buckets) / (hi - lo) : 1
        bucketStart.removeAll(keepingCapacity: true)
        bucketStart.append(contentsOf: repeatElement(0, count: buckets + 1))
        bucketOf.removeAll(keepingCapacity: true)
        for v in values {
            let b = bucket(v)
            bucketOf.append(Int32(b))
            bucketStart[b + 1] += 1
        }
        for b in 0..<buckets { bucketStart[b + 1] += bucketStart[b] }
        fill.removeAll(keepingCapacity: true)
        fill.append(contentsOf: bucketStart.prefix(buckets))
        storage.removeAll(keepingCapacity: true)
        storage.append(-.infinity)
        storage.append(contentsOf: repeatElement(0, count: n))
        storage.append(contentsOf: repeatElement(.infinity, count: Self.window))
        storage.withUnsafeMutableBufferPointer { padded in
            let out = padded.baseAddress! + 1
            for (i, v) in values.enumerated() {
                let b = Int(bucketOf[i])
                out[Int(fill[b])] = v
                fill[b] += 1
            }
            for b in 0..<buckets {
                let start = Int(bucketStart[b]), stop = Int(bucketStart[b + 1])
                if stop - start > 32 {
                    var crowded = UnsafeMutableBufferPointer(start: out + start, count: stop - start)
                    crowded.sort()
                } else if stop - start > 1 {
                    for i in (start + 1)..<stop {
                        let v = out[i]
                        var j = i
                        while j > start, out[j - 1] > v { out[j] = out[j - 1]; j -= 1 }
                        out[j] = v
                    }
                }
            }
        }
    }

    @inline(__always)
    private func bucket(_ v: Double) -> Int { Self.bucket(v, lower: lower, inverseWidth: inverseWidth, buckets: buckets) }

    /// The bucket of `v` among `buckets` of width 1/inverseWidth from `lower`, clamped to the first and last (NaN
    /// to the first): the one place the bucketing is written, used when building and when counting.
    @inline(__always)
    static func bucket(_ v: Double, lower: Double, inverseWidth: Double, buckets: Int) -> Int {
        let t = (v - lower) * inverseWidth
        return !(t >= 0) ? 0 : (t >= Double(buckets - 1) ? buckets - 1 : Int(t))
    }

    /// The n values ascending.
    func withSorted<R>(_ body: (UnsafeBufferPointer<Double>) -> R) -> R {
        storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(start: $0.baseAddress! + 1, count: count)) }
    }

    /// Runs `body` with a view over raw pointers (no per-query access checks on the arrays).
    func withView<R>(_ body: (View) -> R) -> R {
        storage.withUnsafeBufferPointer { v in
            bucketStart.withUnsafeBufferPointer { starts in
                body(View(values: v.baseAddress! + 1, count: count, starts: starts.baseAddress!, lower: lower, inverseWidth: inverseWidth,
                          buckets: buckets))
            }
        }
    }

    struct View {
        /// The sorted values; values[−1] = −∞ and values[count ..< count + window] = +∞.
        let values: UnsafePointer<Double>
        let count: Int
        let starts: UnsafePointer<Int32>
        let lower: Double, inverseWidth: Double, buckets: Int

        @inline(__always)
        private func bucket(_ v: Double) -> Int {
            BucketedSortedValues.bucket(v, lower: lower, inverseWidth: inverseWidth, buckets: buckets)
        }

        /// Number of values with |v − centre| ≤ radius, each side tested as that difference (centre − v ≤ radius,
        /// v − centre ≤ radius), so rounding matches a KD-tree's distance test. Each boundary is found from its
        /// bucket's start by summing the test over a window of values (no data-dependent branch); when the bucket
        /// start is not just before the boundary, by stepping. Either way the count is exact.
        @inline(__always)
        func count(centre: Double, radius: Double) -> Int {
            let v = values, w = BucketedSortedValues.window
            // first: the first index whose value passes centre − v ≤ radius (false, then true along the values).
            var first = Int(starts[bucket(centre - radius)])
            if !(centre - v[first - 1] <= radius) && centre - v[first + w - 1] <= radius {
                var failing = 0
                for t in 0..<w { failing += centre - v[first + t] <= radius ? 0 : 1 }
                first += failing
            } else {
                while first > 0, centre - v[first - 1] <= radius { first -= 1 }
                while first < count, !(centre - v[first] <= radius) { first += 1 }
            }
            // end: the first index whose value fails v − centre ≤ radius (true, then false).
            var end = Int(starts[bucket(centre + radius)])
            if v[end - 1] - centre <= radius && !(v[end + w - 1] - centre <= radius) {
                var passing = 0
                for t in 0..<w { passing += v[end + t] - centre <= radius ? 1 : 0 }
                end += passing
            } else {
                while end > 0, !(v[end - 1] - centre <= radius) { end -= 1 }
                while end < count, v[end] - centre <= radius { end += 1 }
            }
            return max(0, end - first)
        }
    }
}
