/// Order statistics shared by the numeric modules.
public enum OrderStatistics {
    /// The k-th smallest value (k from 0) of `values` by quickselect (Hoare partition, median-of-three pivot):
    /// O(n) on average instead of a full O(n log n) sort. NaNs are not expected.
    public static func kthSmallest(_ values: inout [Double], _ k: Int) -> Double {
        precondition(k >= 0 && k < values.count, "k out of range")
        var lo = 0, hi = values.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            // Median of three as the pivot guards against sorted input.
            if values[mid] < values[lo] { values.swapAt(mid, lo) }
            if values[hi] < values[lo] { values.swapAt(hi, lo) }
            if values[hi] < values[mid] { values.swapAt(hi, mid) }
            let pivot = values[mid]
            var i = lo, j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return values[k] }
        }
        return values[k]
    }

    /// Median (mean of the two middle values for an even count); NaN when empty.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        var v = values
        let n = v.count
        let upper = kthSmallest(&v, n / 2)
        guard n % 2 == 0 else { return upper }
        // After selecting index n/2, everything before it is ≤ it: the lower middle is their maximum.
        return (v[0..<(n / 2)].max()! + upper) / 2
    }
}
