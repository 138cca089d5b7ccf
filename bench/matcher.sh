#!/usr/bin/env bash
# Odds matcher benchmark (not a test). One run, in one process, about 30 s:
# 100 open races of 12 runners, 10 bookmakers and the exchange (win back and lay, place lay),
# BENCH_RATE (1,000) price changes a second for BENCH_SECONDS (10), each a bookmaker's win
# price or the exchange's lay of a random runner (bench/matcher/bench_matcher.c):
#   incremental  the matcher as built (racing/matcher.c): a change recomputes its runner's rows
#                and its race's best prices and percentages and publishes them
#                (odds.matcher, race.<id>.odds) in the call that applies it;
#   naive        the same state takes the change, and a loop recomputes every row of every race
#                and publishes them all, round after round, while changes come.
# Prints, for each: the CPU spent keeping the matcher current (% of one core) and the latency
# from a change to a subscriber of the in-process bus receiving a row that includes it (p50,
# p99, max; one sample per change), then the ratios naive / incremental. The leg from the bus to
# a browser is the live push's (bench/live.sh). A markdown copy goes to build/bench/matcher.md.
#
#   bench/matcher.sh                            (make bench runs it too)
#   BENCH_RATE=2000 BENCH_SECONDS=5 bench/matcher.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RATE=${BENCH_RATE:-1000}
SECONDS_=${BENCH_SECONDS:-10}
OUT=${BENCH_OUT:-$ROOT/build/bench/matcher.md}
BIN=$ROOT/build/bench/matcher/bench_matcher
make -C "$ROOT" -s "build/bench/matcher/bench_matcher" >/dev/null
mkdir -p "$(dirname "$OUT")"
inc=$("$BIN" --mode incremental --rate "$RATE" --seconds "$SECONDS_")
naive=$("$BIN" --mode naive --rate "$RATE" --seconds "$SECONDS_")
python3 - "$inc" "$naive" "$OUT" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
inc, naive = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out, cores, load = sys.argv[3], sys.argv[4], sys.argv[5]
def ratio(a, b):
    return f"{a / b:.0f}x" if b > 0 else "-"
lines = [
    f"100 races x 12 runners x 10 bookmakers + exchange, {inc['rate']} changes/s for {inc['seconds']} s "
    f"({inc['changes']} changes); {cores} cores, load average {load} at the end",
    "",
    "| way | CPU (% of a core) | CPU s | p50 ms | p99 ms | max ms | deliveries |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
]
for r in (inc, naive):
    lines.append(f"| {r['mode']} | {r['cpu_pct']:.2f} | {r['cpu_s']:.3f} | {r['p50_ms']:.3f} | "
                 f"{r['p99_ms']:.3f} | {r['max_ms']:.3f} | {r['deliveries']} |")
lines += ["",
          f"naive / incremental: CPU {ratio(naive['cpu_s'], inc['cpu_s'])}, "
          f"p50 {ratio(naive['p50_ms'], inc['p50_ms'])}, p99 {ratio(naive['p99_ms'], inc['p99_ms'])}",
          f"one GET /api/oddsmatcher's work (12,000 rows computed, the best 100 written), which holds "
          f"the matcher's lock: {inc['query_ms']:.1f} ms",
          f"targets (issue 17): incremental CPU <= 5 % of a core: "
          f"{'met' if inc['cpu_pct'] <= 5 else 'NOT met'}; p99 <= 100 ms: "
          f"{'met' if inc['p99_ms'] <= 100 else 'NOT met'}"]
text = "\n".join(lines)
print(text)
open(out, "w").write(text + "\n")
PY
