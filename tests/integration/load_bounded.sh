#!/usr/bin/env bash
# 1,000 connections at /readyz and /api/scraper/status against `oddzy run`: the process keeps
# a bounded number of threads (no thread per request), /readyz never answers a false 503, the
# bus drops nothing, and /api/racing/next keeps answering meanwhile. A functional check on a
# shared machine, not a benchmark: latencies are printed, only a generous bound is asserted.
source "$(dirname "$0")/lib.bash"
command -v wrk >/dev/null || fail "wrk is not installed (scripts/setup.sh)"
P=$(free_port)
# --slow-ms: the simulated source's delayed answers go through its bounded delay queue too
"$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/run.db" --speed 30 --seed 5 --web "" \
  --slow-ms 200 --log-level warn >"$TMP/run.log" 2>&1 &
PID=$!
PIDS+=($PID)
U="http://127.0.0.1:$P"
wait_http "$U/readyz" 20 || { cat "$TMP/run.log"; fail "not ready"; }
for _ in $(seq 1 100); do
  n=$(curl -fsS "$U/api/racing/next?limit=5" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["races"]))' 2>/dev/null || echo 0)
  [ "$n" -gt 0 ] && break; sleep 0.2
done
[ "$n" -gt 0 ] || fail "no next races"
curl -fsS -o /dev/null "$U/api/scraper/status" || fail "scraper status before the load"
threads() { awk '/^Threads:/ {print $2}' "/proc/$PID/status"; }
BASE=$(threads)
echo "threads at rest: $BASE"

# wrk reports every status it saw (summed over its threads) as "status CODE COUNT" lines
cat >"$TMP/codes.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {} end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("status %d %d\n", k, v)) end
end
LUA

# samples the thread count while a load runs; prints the highest
sample_threads() { # seconds
  local max=0 t end=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    t=$(threads); [ "$t" -gt "$max" ] && max=$t; sleep 0.1
  done
  echo "$max"
}

# /api/racing/next once every 50 ms while the load runs; prints p50 and p99 in ms
probe_next() { # seconds
  "$PY" - "$U/api/racing/next?limit=5" "$1" <<'PY'
import sys, time, urllib.request
url, secs = sys.argv[1], float(sys.argv[2])
lat, bad, end = [], 0, time.time() + secs
while time.time() < end:
    t = time.time()
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            r.read()
            bad += r.status != 200
    except Exception:
        bad += 1
    lat.append((time.time() - t) * 1000)
    time.sleep(0.05)
lat.sort()
print(f"{lat[len(lat) // 2]:.1f} {lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.1f} {len(lat)} {bad}")
PY
}

load() { # path label
  local path=$1 label=$2
  sample_threads 6 >"$TMP/threads.$label" &
  local st=$!
  probe_next 5 >"$TMP/next.$label" &
  local pr=$!
  wrk -t2 -c1000 -d4s --timeout 10s -s "$TMP/codes.lua" "$U$path" >"$TMP/wrk.$label" 2>&1 ||
    { cat "$TMP/wrk.$label"; fail "wrk on $path"; }
  wait "$st" "$pr"
  local max; max=$(cat "$TMP/threads.$label")
  read -r p50 p99 probes bad <"$TMP/next.$label"
  echo "$path: $(grep -E '^ *Requests/sec' "$TMP/wrk.$label" | tr -s ' ') ; statuses: $(grep '^status' "$TMP/wrk.$label" | cut -d' ' -f2- | tr '\n' ' ')"
  echo "  threads max $max (at rest $BASE); /api/racing/next meanwhile: p50 ${p50} ms, p99 ${p99} ms over $probes probes, $bad failed"
  # a thread per request would show hundreds here
  [ "$max" -le $(( BASE + 8 )) ] || fail "$path: $max threads under load (at rest $BASE)"
  [ "$bad" -eq 0 ] || fail "$path: /api/racing/next failed $bad times under load"
  awk -v p="$p99" 'BEGIN { exit !(p < 1000) }' || fail "$path: /api/racing/next p99 ${p99} ms"
  grep -q '^status 200 ' "$TMP/wrk.$label" || fail "$path: no 200 under load"
}

load /readyz readyz
# readiness comes from state already known: no 503 at all (not_ready or busy)
if grep '^status' "$TMP/wrk.readyz" | grep -qv '^status 200 '; then
  cat "$TMP/wrk.readyz"; fail "/readyz answered other than 200 under load"
fi
load /api/scraper/status scraper
# one round trip serves every waiting request: all answered, nothing refused
if grep '^status' "$TMP/wrk.scraper" | grep -qv '^status 200 '; then
  cat "$TMP/wrk.scraper"; fail "/api/scraper/status answered other than 200 under load"
fi

curl -fsS "$U/metrics" >"$TMP/metrics"
dropped=$(awk '/^oddzy_bus_messages_dropped_total/ {print $2}' "$TMP/metrics")
echo "bus: dropped ${dropped:-?}, coalesced $(awk '/^oddzy_bus_messages_coalesced_total/ {print $2}' "$TMP/metrics"), rejected $(awk '/^oddzy_bus_requests_rejected_total/ {print $2}' "$TMP/metrics")"
[ "${dropped:-x}" = 0 ] || fail "bus dropped ${dropped:-?} messages"
grep -q '^oddzy_http_busy_total{route="/api/scraper/\*"} ' "$TMP/metrics" || fail "busy counter not exported"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/readyz")" = 200 ] || fail "not ready after the load"
echo "PASS load_bounded"
