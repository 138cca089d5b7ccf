#!/usr/bin/env bash
# Capacity measurements behind docs/scaling.md (a benchmark, not a test; about 3 minutes).
# Starts the multi-service stack (scripts/stack.sh) in a temp dir on free ports and measures:
#   1. what the stack carries at --speed BENCH_SPEED (30: a busy race day squeezed): NATS
#      messages in and out a second (/varz), PostgreSQL write transactions a second and their
#      mean latency (racing services' oddzy_store_op_seconds), races updated, prices published;
#   2. HTTP: requests a second one API node serves for a race card (wrk, keep-alive), directly
#      and through nginx;
#   3. live: BENCH_CLIENTS WebSocket clients (/ws) on one API node subscribed to one race:
#      memory per connection, then BENCH_EVENT_RATE events a second for that race published on
#      NATS: messages delivered a second, publish-to-receipt latency, the node's CPU;
#   4. NATS alone: one publisher to one subscriber, 200-byte messages;
#   5. PostgreSQL writes at saturation: prices.<race> messages of 16 points (as the price
#      updater sends) at BENCH_PRICE_RATE a second for 10 s: price points stored a second.
# Prints a markdown report, also written to build/bench/scale-<time>.md.
#
#   bench/scale.sh
#   BENCH_CLIENTS=2000 BENCH_EVENT_RATE=20 BENCH_DURATION=5 bench/scale.sh
#   BENCH_PARTS="3" bench/scale.sh          (only some of the measurements)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ODDZY=${ODDZY:-$ROOT/build/oddzy}
SPEED=${BENCH_SPEED:-30}
DUR=${BENCH_DURATION:-8}
CLIENTS=${BENCH_CLIENTS:-4000}
EVENT_RATE=${BENCH_EVENT_RATE:-10}
PRICE_RATE=${BENCH_PRICE_RATE:-25}
CONNS=${BENCH_CONNS:-64}
PARTS=" ${BENCH_PARTS:-1 2 3 4 5} "
part() { [[ $PARTS == *" $1 "* ]]; }

die() { echo "bench/scale.sh: $*" >&2; exit 1; }
for c in wrk node curl python3 psql; do command -v "$c" >/dev/null || die "$c is not installed (scripts/setup.sh)"; done
[ -x "$ODDZY" ] || die "$ODDZY not built (make)"
[ -d "$ROOT/tests/e2e/node_modules/ws" ] || die "tests/e2e/node_modules missing (scripts/setup.sh)"
ulimit -n 65536 2>/dev/null || true

TMP=$(mktemp -d /tmp/oddzy-scale.XXXXXX)
chmod 755 "$TMP"
B=$(python3 - <<'PY'
import random, socket
for _ in range(500):
    b = random.randrange(12000, 30000)
    try:
        for p in range(b, b + 20):
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
    except OSError:
        continue
    print(b); break
PY
)
export ODDZY_STACK_DIR=$TMP/stack ODDZY_STACK_PORT=$B ODDZY_STACK_SPEED=$SPEED ODDZY_STACK_LOG_LEVEL=warn
PIDS=()
cleanup() {
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$ROOT/scripts/stack.sh" up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; die "stack did not start"; }
source "$ODDZY_STACK_DIR/stack.env"
NATSADDR=127.0.0.1:$STACK_P_NATS
OUT=$TMP/report.md
say() { echo "$*" | tee -a "$OUT"; }

# metric PORT REGEX: sum of matching samples
metric() { curl -fsS -m 3 "http://127.0.0.1:$1/metrics" | grep -E "^($2)" | awk '{s += $NF} END {printf "%.6f\n", s + 0}' || echo 0; }
racing_sum() { echo "$(metric "$STACK_P_RACING1" "$1") $(metric "$STACK_P_RACING2" "$1")" | awk '{printf "%.6f\n", $1 + $2}'; }
varz() { curl -fsS "http://127.0.0.1:$STACK_P_NATSMON/varz" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["in_msgs"], d["out_msgs"], d["in_bytes"], d["out_bytes"])'; }
rate() { python3 -c 'import sys; a, b, t = map(float, sys.argv[1:]); print("%.0f" % ((b - a) / t))' "$1" "$2" "$3"; }
leader_port() { for p in "$STACK_P_SCRAPER1" "$STACK_P_SCRAPER2"; do [ "$(metric "$p" oddzy_scraper_leader)" = 1.000000 ] && echo "$p"; done; true; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

say "# bench/scale.sh $(date -u '+%Y-%m-%d %H:%M UTC')"
say ""
say "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average before $load_before; stack at speed $SPEED."
say ""

sleep 20 # the scraper's first pass over every race card, markets opening
# ---- 1. steady state ----
if part 1; then
W=20
v0=$(varz); t0=$(date +%s.%N)
w0=$(racing_sum 'oddzy_store_op_seconds_count\{op="(upsert_batch|append_price)"\}')
ws0=$(racing_sum 'oddzy_store_op_seconds_sum\{op="(upsert_batch|append_price)"\}')
u0=$(racing_sum 'oddzy_store_op_seconds_count\{op="upsert_batch"\}')
us0=$(racing_sum 'oddzy_store_op_seconds_sum\{op="upsert_batch"\}')
a0=$(racing_sum 'oddzy_store_op_seconds_count\{op="append_price"\}')
as0=$(racing_sum 'oddzy_store_op_seconds_sum\{op="append_price"\}')
r0=$(racing_sum 'oddzy_store_op_seconds_count')
p0=$(metric "$STACK_P_PRICES" oddzy_price_changes_published_total)
L=$(leader_port); l0=$(metric "$L" oddzy_races_updated_total)
e0=$(metric "$STACK_P_API1" oddzy_live_events_total)
sleep $W
v1=$(varz); t1=$(date +%s.%N); T=$(python3 -c "print($t1 - $t0)")
w1=$(racing_sum 'oddzy_store_op_seconds_count\{op="(upsert_batch|append_price)"\}')
ws1=$(racing_sum 'oddzy_store_op_seconds_sum\{op="(upsert_batch|append_price)"\}')
u1=$(racing_sum 'oddzy_store_op_seconds_count\{op="upsert_batch"\}')
us1=$(racing_sum 'oddzy_store_op_seconds_sum\{op="upsert_batch"\}')
a1=$(racing_sum 'oddzy_store_op_seconds_count\{op="append_price"\}')
as1=$(racing_sum 'oddzy_store_op_seconds_sum\{op="append_price"\}')
r1=$(racing_sum 'oddzy_store_op_seconds_count')
p1=$(metric "$STACK_P_PRICES" oddzy_price_changes_published_total)
l1=$(metric "$L" oddzy_races_updated_total)
e1=$(metric "$STACK_P_API1" oddzy_live_events_total)
read -r vi0 vo0 bi0 bo0 <<<"$v0"; read -r vi1 vo1 bi1 bo1 <<<"$v1"
mean_ms() { python3 -c 'import sys; c0, c1, s0, s1 = map(float, sys.argv[1:]); print("%.1f" % (1000 * (s1 - s0) / (c1 - c0)) if c1 > c0 else "-")' "$@"; }
say "## 1. The stack at speed $SPEED over ${W} s"
say ""
say "| what | per second |"
say "| --- | ---: |"
say "| NATS messages in / out | $(rate "$vi0" "$vi1" "$T") / $(rate "$vo0" "$vo1" "$T") |"
say "| NATS bytes in / out | $(rate "$bi0" "$bi1" "$T") / $(rate "$bo0" "$bo1" "$T") |"
say "| racing requests and price messages handled (both services) | $(rate "$r0" "$r1" "$T") |"
say "| PostgreSQL write transactions (upsert_batch + append_price) | $(rate "$w0" "$w1" "$T"), mean $(mean_ms "$w0" "$w1" "$ws0" "$ws1") ms |"
say "| of which scrape batches (upsert_batch) | $(rate "$u0" "$u1" "$T"), mean $(mean_ms "$u0" "$u1" "$us0" "$us1") ms |"
say "| of which price points (append_price) | $(rate "$a0" "$a1" "$T"), mean $(mean_ms "$a0" "$a1" "$as0" "$as1") ms |"
say "| races updated by the active scraper | $(rate "$l0" "$l1" "$T") |"
say "| price points published by the updater | $(rate "$p0" "$p1" "$T") |"
say "| race events fanned out by one API node | $(rate "$e0" "$e1" "$T") |"
say ""
fi

# an open race with runners starting in 40 (simulated) minutes or more, so it stays open
# through the HTTP and PostgreSQL runs
read -r RACE SELS < <(curl -fsS "http://127.0.0.1:$STACK_P_API1/api/racing/next?limit=100" | python3 -c '
import json, sys, urllib.request
port = sys.argv[1]
d = json.load(sys.stdin)
for r in d["races"]:
    if r["scheduled_start"] - d["now"] < 2400:
        continue
    c = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/races/%d" % (port, r["race_id"])))
    sel = [str(x["selection_id"]) for x in c["runners"]]
    if len(sel) >= 8 and c["race"]["status"] == "OPEN":
        print(r["race_id"], ",".join(sel[:16])); break' "$STACK_P_API1")
[ -n "${RACE:-}" ] || die "no open race with runners"

# ---- 2. HTTP ----
if part 2; then
wrk_rps() { # url -> "req/s p50 p99" best of 2
  local best="0 - -" out rps
  for _ in 1 2; do
    out=$(wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$1" 2>&1)
    rps=$(echo "$out" | awk '/Requests\/sec/ {print int($2)}')
    if [ "${rps:-0}" -gt "${best%% *}" ]; then
      best="$rps $(echo "$out" | awk '$1 == "50%" {print $2}') $(echo "$out" | awk '$1 == "99%" {print $2}')"
    fi
  done
  echo "$best"
}
say "## 2. HTTP: race card $RACE, $CONNS keep-alive connections, wrk -t1, best of 2 x ${DUR} s"
say ""
say "| path | req/s | p50 | p99 |"
say "| --- | ---: | ---: | ---: |"
read -r a b c <<<"$(wrk_rps "http://127.0.0.1:$STACK_P_API1/api/races/$RACE")"
say "| one API node directly (1 event loop) | $a | $b | $c |"
read -r a b c <<<"$(wrk_rps "http://127.0.0.1:$STACK_P_NGINX/api/races/$RACE")"
say "| through nginx ($(grep -m1 worker_processes "$ODDZY_STACK_DIR/nginx/conf/nginx.conf" | tr -d ';' | awk '{print $2}') workers) to two API nodes | $a | $b | $c |"
say ""
fi

# ---- 3. live connections on one API node ----
if part 3; then
API_PID=$("$ROOT/scripts/stack.sh" pid api1)
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
LRACE=990000001 # a race nobody else publishes for: only the benchmark's events reach the clients
rss0=$(rss "$API_PID")
half=$((CLIENTS / 2))
: >"$TMP/c1.out"; : >"$TMP/c2.out"
node "$ROOT/bench/scale_clients.mjs" "$STACK_P_API1" "$LRACE" "$half" "$DUR" >"$TMP/c1.out" 2>&1 & PIDS+=($!)
node "$ROOT/bench/scale_clients.mjs" "$STACK_P_API1" "$LRACE" "$((CLIENTS - half))" "$DUR" >"$TMP/c2.out" 2>&1 & PIDS+=($!)
for _ in $(seq 1 600); do grep -q READY "$TMP/c1.out" && grep -q READY "$TMP/c2.out" && break; sleep 0.1; done
{ grep -q READY "$TMP/c1.out" && grep -q READY "$TMP/c2.out"; } || { cat "$TMP/c1.out" "$TMP/c2.out"; die "live clients did not connect"; }
sleep 2
rss1=$(rss "$API_PID")
conns=$(( $(awk '/READY/ {print $2}' "$TMP/c1.out") + $(awk '/READY/ {print $2}' "$TMP/c2.out") ))
c0=$(cpu_ticks "$API_PID"); t0=$(date +%s.%N)
python3 "$ROOT/bench/scale_pub.py" events "$NATSADDR" "$LRACE" "$EVENT_RATE" "$((DUR + 2))" >"$TMP/pub.out"
c1=$(cpu_ticks "$API_PID"); t1=$(date +%s.%N)
wait "${PIDS[@]}" 2>/dev/null || true
PIDS=()
res=$(python3 - "$TMP/c1.out" "$TMP/c2.out" <<'PY'
import json, sys
rs = [json.loads(l) for f in sys.argv[1:] for l in open(f) if l.startswith("{")]
if not rs:
    print("- - - - -"); sys.exit()
print(sum(r["received"] for r in rs), sum(r["per_second"] for r in rs),
      max(r["p50_ms"] or 0 for r in rs), max(r["p99_ms"] or 0 for r in rs), max(r["max_ms"] or 0 for r in rs))
PY
)
read -r recv persec p50 p99 mx <<<"$res"
cpu=$(python3 -c "import os,sys; print('%.0f' % (100 * ($c1 - $c0) / os.sysconf('SC_CLK_TCK') / ($t1 - $t0)))")
say "## 3. Live: $conns WebSocket clients on one API node, one race, $EVENT_RATE events a second"
say ""
say "| what | value |"
say "| --- | ---: |"
say "| memory per idle connection | $(( (rss1 - rss0) * 1024 / (conns > 0 ? conns : 1) )) bytes (RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MiB) |"
say "| messages delivered a second | $persec ($recv in ${DUR} s) |"
say "| publish to receipt p50 / p99 / max | $p50 / $p99 / $mx ms |"
say "| API node CPU while pushing | ${cpu} % of one core |"
say ""
fi

# ---- 4. NATS alone ----
if part 4; then
python3 "$ROOT/bench/scale_pub.py" sink "$NATSADDR" bench.blast 500000 200 >"$TMP/sink.out" & PIDS+=($!)
for _ in $(seq 1 50); do grep -q READY "$TMP/sink.out" && break; sleep 0.1; done
pub=$(python3 "$ROOT/bench/scale_pub.py" blast "$NATSADDR" bench.blast 500000 200)
wait "${PIDS[@]}" 2>/dev/null || true
PIDS=()
sink=$(grep '^{' "$TMP/sink.out" || echo '{}')
say "## 4. NATS alone: 500,000 messages of 200 bytes, one publisher, one subscriber"
say ""
say "- published $(echo "$pub" | python3 -c 'import json,sys; print(json.load(sys.stdin)["per_second"])') msg/s, delivered $(echo "$sink" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("per_second", "-"))') msg/s"
say ""
fi

# ---- 5. PostgreSQL writes at saturation ----
if part 5; then
a0=$(racing_sum 'oddzy_store_op_seconds_count\{op="append_price"\}')
as0=$(racing_sum 'oddzy_store_op_seconds_sum\{op="append_price"\}')
t0=$(date +%s.%N)
pub=$(python3 "$ROOT/bench/scale_pub.py" prices "$NATSADDR" "$RACE" "$PRICE_RATE" 10 "$SELS")
# what is queued is still being written: wait until the count stops moving (at most 60 s)
prev="" t_end=$t0
for _ in $(seq 1 120); do
  cur=$(racing_sum 'oddzy_store_op_seconds_count\{op="append_price"\}')
  [ "$cur" = "$prev" ] && break
  prev=$cur t_end=$(date +%s.%N); sleep 0.5
done
a1=$(racing_sum 'oddzy_store_op_seconds_count\{op="append_price"\}')
as1=$(racing_sum 'oddzy_store_op_seconds_sum\{op="append_price"\}')
busy=$(python3 -c "print('%.1f' % ($as1 - $as0))")
pts=$(echo "$pub" | python3 -c 'import json,sys; print(json.load(sys.stdin)["points"])')
say "## 5. PostgreSQL: price points offered at $(echo "$pub" | python3 -c 'import json,sys; print(json.load(sys.stdin)["points_per_second"])')/s for 10 s (prices.$RACE, $(echo "$SELS" | tr ',' '\n' | wc -l) points a message)"
say ""
say "- offered $pts points; stored (append_price calls) $(python3 -c "print('%.0f' % ($a1 - $a0))") in $(python3 -c "print('%.1f' % ($t_end - $t0))") s until the queue drained: $(python3 -c "print('%.0f' % (($a1 - $a0) / ($t_end - $t0)))") points/s; mean store call $(python3 -c "c=$a1-$a0; print('%.2f' % (1000 * ($as1 - $as0) / c) if c > 0 else '-')") ms (lock wait included), $busy s of store time over both racing services"
say "- bench points in the database: $(psql "$STACK_PG_URL" -XAtq -c "SELECT count(*) FROM prices WHERE provider = 'bench'")"
say ""
fi
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$ROOT/build/bench"
cp "$OUT" "$ROOT/build/bench/scale-$(date -u +%Y%m%d-%H%M%S).md"
