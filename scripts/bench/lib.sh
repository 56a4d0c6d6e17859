# Shared helpers for scripts/bench/*: median wall time and peak RSS over repeated runs, and the comparison table.
# Usage: source it, set BENCH_OUT, BENCH_REPEATS and WARM_FILE, call `measure NAME cmd...` for each tool
# (collecting its output lines), then `print_table "$results" BASELINE_MB`.

BENCH_REPEATS=${BENCH_REPEATS:-3}

ensure_time_tools() {
  command -v /usr/bin/time >/dev/null && command -v bc >/dev/null || apt-get install -y -qq time bc >/dev/null
}

# measure NAME cmd...: prints "NAME median_wall_s peak_rss_MB"; stdout of the last run in $BENCH_OUT/NAME.out.
measure() {
  local name=$1; shift
  local walls=() rss_max=0 rss
  for _ in $(seq "$BENCH_REPEATS"); do
    [ -n "${WARM_FILE:-}" ] && cat "$WARM_FILE" > /dev/null   # same warm page cache for every tool
    if ! /usr/bin/time -v "$@" > "$BENCH_OUT/$name.out" 2> "$BENCH_OUT/$name.time"; then
      echo "bench: $name failed; see $BENCH_OUT/$name.time" >&2
      tail -5 "$BENCH_OUT/$name.time" >&2
      return 1
    fi
    walls+=("$(grep "Elapsed (wall clock)" "$BENCH_OUT/$name.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')")
    rss=$(grep "Maximum resident set size" "$BENCH_OUT/$name.time" | awk '{print $NF}')
    (( rss > rss_max )) && rss_max=$rss
  done
  printf "%s %s %s\n" "$name" "$(printf "%s\n" "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$((rss_max / 1000))"
}

# print_table RESULTS RESULT_MB: one row per tool with wall time, peak RSS, RSS / result size, and time vs the first row.
print_table() {
  local results=$1 result_mb=$2 first
  first=$(echo "$results" | head -1 | awk '{print $2}')
  printf "%-22s %10s %14s %14s %14s\n" tool "wall (s)" "peak RSS (MB)" "RSS/result" "time vs first"
  echo "$results" | while read -r name wall rss; do
    printf "%-22s %10.2f %14d %14.2f %13.1fx\n" "$name" "$wall" "$rss" "$(echo "$rss / $result_mb" | bc -l)" "$(echo "$wall / $first" | bc -l)"
  done
}
