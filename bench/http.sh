#!/usr/bin/env bash
# HTTP benchmark (not a test). One run, on loopback: `oddzy run` (simulated source, races
# updating in the background) serving a race card and the day's schedule from its view cache,
# Debian's nginx serving the same bytes from files, and a Node.js `http` server serving them
# from memory. The plain points send no Accept-Encoding; the `-browser` points send a
# browser's (BENCH_AE, Chrome's by default): oddzy answers brotli from its precompressed
# variant, nginx gzip_static and Node.js the same gzip bytes oddzy holds (no brotli module in
# Debian's nginx). Each server is pinned to one core (taskset), wrk to another; keep-alive
# connections at 64, 1000 and 10000. Prints requests/s, p50 and p99 latency, the server's CPU
# time per request (user + system of all its threads, from /proc: the figure that holds on a
# shared machine, where requests a second follow the neighbours), and the ratios oddzy/nginx and
# oddzy/node against issue 16's targets; a markdown copy goes to build/bench/. For each oddzy
# round it also prints the view rebuilds (and a second) and the mean event-to-view latency
# (oddzy_view_event_latency_seconds: from an event reaching the view cache to the first version
# of a view that shows it), patched in memory and rebuilt through the racing service apart, and
# at the end that latency's p50 and p99 over all of oddzy's rounds.
#
# The -pipelined points (race card at BENCH_PIPELINE_CONNS, "64 1000" by default; "" skips them)
# send the plain request BENCH_PIPELINE_DEPTH (8) at a time on each connection
# (bench/pipeline.lua): wrk spends less per request, so the round measures the server, not the
# one-core client (which is full in every plain oddzy round; see the "wrk cpu" note).
#
#   bench/http.sh                      (make bench runs it too; about 6 minutes)
#   BENCH_DURATION=5 BENCH_ROUNDS=2 BENCH_CONNS="64 1000 10000" BENCH_SPEED=10 bench/http.sh
#
# The first minute is measured twice: oddzy alone in its group at once after start, against nginx
# serving that card later in its own group; then on a shared core, an nginx in oddzy's group
# taking turns with it in BENCH_FIRST_SLICE-second slices while the first sweep lands, on the
# race card and then on the day's schedule.
#
# Each point is measured BENCH_ROUNDS times, the servers taking turns (oddzy, nginx, node,
# oddzy, ...), and the round with the most requests a second is reported with its latencies:
# on a shared machine a neighbour's burst then hurts one round, not the comparison.
#
# While one server is measured the others do not run on its core: oddzy is stopped (SIGSTOP)
# during the nginx and Node.js runs and resumed after, so its background work (scraper, racing
# service, view rebuilds) only competes with its own requests.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODDZY=${ODDZY:-$ROOT/build/oddzy}
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNS:-64 1000 10000}
SCHEDULE_CONNS=${BENCH_SCHEDULE_CONNS-64}
BROWSER_CONNS=${BENCH_BROWSER_CONNS-64}
PIPELINE_CONNS=${BENCH_PIPELINE_CONNS-64 1000}
PIPELINE_DEPTH=${BENCH_PIPELINE_DEPTH:-8}
AE=${BENCH_AE:-gzip, deflate, br, zstd}
SPEED=${BENCH_SPEED:-10} # simulated time 10x real: more race updates than live racing
# The scraper's requests a second to the simulated source (oddzy run --rate): "" leaves oddzy
# run's own default (50), as a user runs it. Before 2026-12-04 the script passed 200, which
# shortens the first sweep to about 6 s and makes the first minute four times as busy.
RATE=${BENCH_RATE-}
# Where the simulated world starts (oddzy run --clock-start): the tests' Wednesday 16:00 in
# Sydney by default, so every run measures the same world (how many races are near the jump,
# and so how busy the scraper and the views are, changes with the hour: the same build's
# plain schedule cost 16.5 and 44 us a request an hour apart on real time). "" runs on real time.
CLOCK_START=${BENCH_CLOCK_START-2026-06-10T06:00:00Z}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
# Percent of one core the measured server may use (a cgroup CPU quota; 0: the whole core). With
# the whole core, wrk on its one core is full before either server is, and both measure the
# client; at 33 (the default) the client has three times the server's CPU, enough for the 60-150 KB
# schedule, and the server sets the rate.
QUOTA=${BENCH_SERVER_QUOTA:-33}

die() { echo "bench/http.sh: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (scripts/setup.sh installs it)"
for c in wrk nginx node taskset curl python3; do command -v "$c" >/dev/null || die "$c is not installed (scripts/setup.sh installs it)"; done
[ -x "$ODDZY" ] || die "$ODDZY not built (make)"
[ "$(nproc)" -ge 2 ] || die "needs 2 cores: one for the server, one for wrk"

TMP=$(mktemp -d /tmp/oddzy-bench.XXXXXX)
PIDS=()
ODDZY_PID=
cleanup() {
  [ -n "$ODDZY_PID" ] && kill -CONT "$ODDZY_PID" 2>/dev/null || true
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
  for d in "${CGS[@]+"${CGS[@]}"}"; do rmdir "$d" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url [log to show on failure]
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  [ -n "${2:-}" ] && tail -n 20 "$2" >&2
  die "timeout waiting for $1"
}

# 10000 connections need that many descriptors in the server and in wrk
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
RUN_CONNS=()
for c in $CONNS; do
  if [ "$NOFILE" != unlimited ] && [ $((c + 200)) -gt "$NOFILE" ]; then
    echo "skip $c connections: open-file limit is $NOFILE"
  else RUN_CONNS+=("$c"); fi
done

# A cgroup per server, so that the world oddzy keeps going is charged to oddzy alone: cgroup v2's
# cpu.max where the cpu controller is enabled, else v1's cfs quota. A 10 ms period keeps the
# throttling pauses short.
CGS=()
cap_dir() { # server -> its group's directory ("" when uncapped)
  [ "$QUOTA" != 0 ] || return 0
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo "/sys/fs/cgroup/oddzy-bench-$$-$1"
  else echo "/sys/fs/cgroup/cpu/oddzy-bench-$$-$1"; fi
}
cap_init() {
  [ "$QUOTA" != 0 ] || return 0
  local q=$((QUOTA * 100)) s d
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
  fi
  for s in oddzy nginx node; do
    d=$(cap_dir "$s")
    mkdir "$d" 2>/dev/null || die "cannot make cgroup $d (needs root and a cgroup cpu controller); BENCH_SERVER_QUOTA=0 runs uncapped"
    CGS+=("$d")
    if [ -f "$d/cpu.max" ]; then echo "$q 10000" >"$d/cpu.max"
    else echo 10000 >"$d/cpu.cfs_period_us" && echo "$q" >"$d/cpu.cfs_quota_us"; fi || die "cannot set a CPU quota in $d"
  done
}
# `capped SERVER cmd... &`: runs cmd in the server's group from its first instruction (nginx's
# worker is born in it), as the same process ($! is the server's pid)
capped() {
  local d; d=$(cap_dir "$1"); shift
  if [ -n "$d" ]; then exec sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$d" "$@"; else exec "$@"; fi
}
cap_init

CPU_MODEL=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "# oddzy HTTP benchmark, $START"
echo "# $(nproc) cores ($CPU_MODEL), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$QUOTA" != 0 ]; then
  echo "# each server capped at $QUOTA% of cpu $SERVER_CPU (cgroup quota $((QUOTA * 100)) us every 10 ms): wrk has more CPU than the server it measures"
else
  echo "# servers uncapped (BENCH_SERVER_QUOTA=0): a full wrk core limits both servers alike"
fi
echo "# simulated world from ${CLOCK_START:-real time} at ${SPEED}x (BENCH_CLOCK_START), seed 7, scraper --rate ${RATE:-50 (the default)} (BENCH_RATE)"
echo "# server on cpu $SERVER_CPU, wrk on cpu $CLIENT_CPU, keep-alive; plain points without Accept-Encoding, -browser points with '$AE'; best of $ROUNDS rounds of ${DURATION}s per point"

# `nginx_conf DIR PORT HTTP-DIRECTIVES LOCATIONS`: an nginx serving files on PORT, one worker,
# its files under DIR (DIR/nginx.conf)
nginx_conf() {
  mkdir -p "$1"
  cat >"$1/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 20000; }
http {
    types { application/json json; }
    default_type application/json;
    access_log off;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 60s;
    keepalive_requests 100000000;$3
    server {
        listen 127.0.0.1:$2 backlog=4096;$4
    }
}
EOF
}

# `view_snap FILE`: the view cache's series from one read of /metrics, as "NAME LABELS VALUE"
# lines: oddzy_view_rebuilds_total and oddzy_view_event_latency_seconds (count, sum, buckets)
view_snap() {
  curl -fsS "http://127.0.0.1:$P_ODDZY/metrics" |
    awk '/^oddzy_view_(rebuilds_total|event_latency_seconds_(count|sum|bucket))[{ ]/ {
      n = $1; l = ""; i = index(n, "{"); if (i) { l = substr(n, i); n = substr(n, 1, i - 1) }
      print n, (l == "" ? "-" : l), $NF }' >"$1"
}
# `view_note BEFORE AFTER SECONDS` (two view_snap files): the view rebuilds between them, a
# second, and the mean event-to-view latency of each kind (views patched from events in memory,
# views rebuilt through the racing service), with how many observations each mean has
view_note() {
  awk -v t="$3" '
    FNR == 1 { f++ }
    { v = (f == 1 ? -$3 : $3) }
    $1 == "oddzy_view_rebuilds_total" { n += v }
    $1 == "oddzy_view_event_latency_seconds_count" && $2 ~ /event_patch/ { pc += v }
    $1 == "oddzy_view_event_latency_seconds_sum" && $2 ~ /event_patch/ { ps += v }
    $1 == "oddzy_view_event_latency_seconds_count" && $2 ~ /service/ { sc += v }
    $1 == "oddzy_view_event_latency_seconds_sum" && $2 ~ /service/ { ss += v }
    END {
      printf "view rebuilds %d (%.0f/s), event to view: patched %s, via service %s", n, (t > 0 ? n / t : 0),
        (pc > 0 ? sprintf("%.1f ms (n=%d)", ps / pc * 1000, pc) : "-"),
        (sc > 0 ? sprintf("%.1f ms (n=%d)", ss / sc * 1000, sc) : "-") }' "$1" "$2"
}
# p50 and p99 of the event-to-view latency in oddzy's rounds (each one's FILE.vs0 and FILE.vs1
# from view_snap, before and after it), by kind: the histogram bucket each falls in ("<= 5
# ms"). Only the rounds count: while nginx and Node.js are measured oddzy is stopped, and a view
# whose event came before a stop would count the stop.
view_latency_quantiles() {
  local f g
  for f in "$TMP"/*.vs0; do
    [ -s "${f%.vs0}.vs1" ] || continue
    # "cause le count" of each bucket, before and after, side by side
    for g in "$f" "${f%.vs0}.vs1"; do
      awk '$1 == "oddzy_view_event_latency_seconds_bucket" {
        match($2, /cause="[^"]*"/); c = substr($2, RSTART + 7, RLENGTH - 8)
        match($2, /le="[^"]*"/); print c, substr($2, RSTART + 4, RLENGTH - 5), $3 }' "$g" >"$g.b"
    done
    paste -d' ' "$f.b" "${f%.vs0}.vs1.b"
  done | awk '
    { k = $1 " " $2; if (!(k in d)) { order[++n] = k }; d[k] += $6 - $3 }
    END {
      for (i = 1; i <= n; i++) { split(order[i], x, " "); c = x[1]
        if (!(c in nb)) corder[++nc] = c
        nb[c]++; bound[c, nb[c]] = x[2]; cum[c, nb[c]] = d[order[i]] }
      for (i = 1; i <= nc; i++) {
        c = corder[i]; tot = cum[c, nb[c]]; if (tot == 0) continue
        printf "%s%s: n=%d", (out++ ? "; " : ""), c, tot
        split("0.5 0.99", qs, " ")
        for (j = 1; j <= 2; j++)
          for (k = 1; k <= nb[c]; k++) if (cum[c, k] >= qs[j] * tot) {
            printf " p%d %s", qs[j] * 100, (bound[c, k] == "+Inf" ? "> " bound[c, k - 1] * 1000 " ms" : "<= " bound[c, k] * 1000 " ms")
            break
          }
      }
      if (!out) printf "none observed"
    }'
}

# ---- oddzy: simulated world, races updating in the background ----
P_ODDZY=$(free_port); P_NGINX=$(free_port); P_NODE=$(free_port); P_SHARED=$(free_port)
# The first minute on a shared core (BENCH_FIRST_MINUTE=0 skips it): an nginx in oddzy's own
# group, on its core, as issue 16 measured it ("oddzy run at real speed on the same core as
# nginx"): whatever the world and the first sweep take, they take from both servers alike.
SHARED_PID=
if [ "${BENCH_FIRST_MINUTE:-1}" = 1 ]; then
  mkdir -p "$TMP/www/shared"
  echo '{}' >"$TMP/www/shared/0.json"
  chmod 755 "$TMP" "$TMP/www" "$TMP/www/shared" && chmod 644 "$TMP/www/shared/0.json"
  # each nginx slice serves the view from a file of its own (/shared/VIEW-N.json), so nginx
  # keeps its open_file_cache here too, as at every other point, and never serves an earlier
  # slice's bytes
  nginx_conf "$TMP/shared" "$P_SHARED" "
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;" "
        location ^~ /shared/ { alias $TMP/www/shared/; add_header Cache-Control no-cache; }"
  capped oddzy taskset -c "$SERVER_CPU" nginx -p "$TMP/shared" -c "$TMP/shared/nginx.conf" -e "$TMP/shared/error.log" &
  SHARED_PID=$!
  PIDS+=("$SHARED_PID")
  wait_http "http://127.0.0.1:$P_SHARED/shared/0.json" "$TMP/shared/error.log"
fi
capped oddzy taskset -c "$SERVER_CPU" "$ODDZY" run --host 127.0.0.1 --port "$P_ODDZY" --threads 1 \
  --max-connections 20000 --db "$TMP/bench.db" --speed "$SPEED" --seed 7 ${RATE:+--rate "$RATE"} --web "" \
  ${CLOCK_START:+--clock-start "$CLOCK_START"} \
  --log-level warn >"$TMP/oddzy.log" 2>&1 &
ODDZY_PID=$!
PIDS+=("$ODDZY_PID")
wait_http "http://127.0.0.1:$P_ODDZY/readyz"
# `full_race [busy]`: an open race with a full field (at least 8 runners, fixed win prices: a
# card of several KB; the next race's card before the scraper has landed it is a 1 KB shell,
# which would flatter any server), the soonest to jump; with "busy", of those among the next 30,
# the one repriced last (its runners' newest price_ts), so the steady rounds measure a card whose
# prices move as the next race's do (the soonest can be a quiet one hours away, rendering 0-4
# times a round where another renders 20 times a second)
full_race() {
  python3 - "http://127.0.0.1:$P_ODDZY" "${1:-}" <<'PY' || true
import json, sys, urllib.request
base, busy = sys.argv[1], sys.argv[2] == "busy"
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=5))
best = None
for r in get("/api/racing/next?limit=30")["races"]:
    c = get("/api/racing/racecard?race_id=%d" % r["race_id"])
    if len(c["runners"]) >= 8 and any(x["prices"]["fixed_win"] for x in c["runners"]):
        if not busy:
            print(r["race_id"]); break
        ts = max([0] + [v for x in c["runners"] for v in (x.get("price_ts") or {}).values()
                        if isinstance(v, (int, float))])
        if best is None or ts > best[0]:
            best = (ts, r["race_id"])
if busy and best:
    print(best[1])
PY
}
# The first minute (BENCH_FIRST_MINUTE=0 skips it): one 5 s round at 64 connections of the card
# of the first race with a full field, as soon as there is one, while the scraper's first sweep
# lands the rest of the day; compared with nginx serving that card's bytes (as the round ended).
FIRST_NOTE=
if [ "${BENCH_FIRST_MINUTE:-1}" = 1 ]; then
  t_ready=$(date +%s%N)
  FRID=
  for _ in $(seq 1 100); do
    FRID=$(full_race)
    [ -n "$FRID" ] && break
    sleep 0.1
  done
  if [ -n "$FRID" ]; then
    t_start=$(( ($(date +%s%N) - t_ready) / 1000000 ))
    fb=$(curl -fsS "http://127.0.0.1:$P_ODDZY/api/racing/racecard?race_id=$FRID" | wc -c)
    view_snap "$TMP/first-minute.vs0"
    taskset -c "$CLIENT_CPU" wrk -t1 -c 64 -d 5s --timeout 10s --latency \
      "http://127.0.0.1:$P_ODDZY/api/racing/racecard?race_id=$FRID" >"$TMP/wrk-first.txt" 2>&1 || true
    view_snap "$TMP/first-minute.vs1"
    FIRST_RPS=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$TMP/wrk-first.txt")
    # the card as the round ended: nginx serves these very bytes for the comparison
    mkdir -p "$TMP/www"
    curl -fsS -o "$TMP/www/first.json" "http://127.0.0.1:$P_ODDZY/api/racing/racecard?race_id=$FRID"
    FIRST_NOTE="from ${t_start} ms after ready, a ${fb}-byte card ($(stat -c %s "$TMP/www/first.json") at the end), $(view_note "$TMP/first-minute.vs0" "$TMP/first-minute.vs1" 5) in the round"
    echo "# first minute: racecard 64 oddzy ${FIRST_RPS:-0} req/s ($FIRST_NOTE)"
    # the same card on the shared core: slices of BENCH_FIRST_SLICE s taking turns (oddzy,
    # nginx, nginx, oddzy, ...: each sees as much of the sweep's decline), nothing stopped;
    # nginx serves the card's bytes as they are when its slice starts
    slice=${BENCH_FIRST_SLICE:-2} # whole seconds (wrk)
    sweep() { curl -fsS "http://127.0.0.1:$P_ODDZY/api/scraper/status" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%d of %d race cards scraped, %d due" % (d["scrapes_ok"], d["queue_length"], d["due"]))' 2>/dev/null || echo "scraper status unknown"; }
    scraped() { curl -fsS "http://127.0.0.1:$P_ODDZY/api/scraper/status" | python3 -c 'import json, sys; print(json.load(sys.stdin)["scrapes_ok"])' 2>/dev/null || echo 0; }
    # shared_slices VIEW PATH: the slices on oddzy's PATH against nginx on its bytes; sets
    # SHARED_ODDZY and SHARED_NGINX (req/s over each one's slices) and SHARED_NOTE
    shared_slices() {
      local view=$1 path=$2 who k=0 s0 n t bad url from
      from=$(( ($(date +%s%N) - t_ready) / 1000000 ))
      local sweep0; sweep0=$(sweep)
      declare -A req=([oddzy]=0 [nginx]=0) sec=([oddzy]=0 [nginx]=0)
      declare -A swept=([oddzy]=0 [nginx]=0) # race cards the sweep landed in each one's slices
      for who in oddzy nginx nginx oddzy oddzy nginx nginx oddzy; do
        if [ "$who" = nginx ]; then
          k=$((k + 1))
          curl -fsS -o "$TMP/www/shared/$view-$k.json" "http://127.0.0.1:$P_ODDZY$path" &&
            chmod 644 "$TMP/www/shared/$view-$k.json"
          url="http://127.0.0.1:$P_SHARED/shared/$view-$k.json"
        else url="http://127.0.0.1:$P_ODDZY$path"; fi
        s0=$(scraped)
        taskset -c "$CLIENT_CPU" wrk -t1 -c 64 -d "${slice}s" --timeout 10s "$url" >"$TMP/wrk-shared.txt" 2>&1 || true
        swept[$who]=$((swept[$who] + $(scraped) - s0))
        n=$(awk '/requests in/{print $1}' "$TMP/wrk-shared.txt"); n=${n:-0}
        t=$(awk '/requests in/{sub(/,$/, "", $4); v=$4+0; if ($4 ~ /ms$/) v/=1000; else if ($4 ~ /m$/) v*=60; print v}' "$TMP/wrk-shared.txt"); t=${t:-0}
        bad=$(awk '/Non-2xx/{print $NF}' "$TMP/wrk-shared.txt")
        [ -z "$bad" ] || echo "# shared core, $view: $who answered $bad non-2xx"
        req[$who]=$((req[$who] + n))
        sec[$who]=$(awk -v a="${sec[$who]}" -v b="$t" 'BEGIN{print a + b}')
      done
      SHARED_ODDZY=$(awk -v n="${req[oddzy]}" -v t="${sec[oddzy]}" 'BEGIN{printf "%.0f", (t > 0 ? n / t : 0)}')
      SHARED_NGINX=$(awk -v n="${req[nginx]}" -v t="${sec[nginx]}" 'BEGIN{printf "%.0f", (t > 0 ? n / t : 0)}')
      SHARED_NOTE="$from-$(( ($(date +%s%N) - t_ready) / 1000000 )) ms after ready, slices of ${slice} s taking turns; sweep at the start: $sweep0, at the end: $(sweep); landed in oddzy's slices ${swept[oddzy]}, in nginx's ${swept[nginx]}"
      echo "# first minute, shared core: $view 64 oddzy $SHARED_ODDZY req/s, nginx $SHARED_NGINX req/s ($SHARED_NOTE)"
    }
    shared_slices racecard "/api/racing/racecard?race_id=$FRID"
    SHARED_CARD="$SHARED_ODDZY|$SHARED_NGINX|$SHARED_NOTE"
    # then the day's schedule (plain), while the sweep goes on
    shared_slices schedule "/api/racing/schedule"
    SHARED_SCHED="$SHARED_ODDZY|$SHARED_NGINX|$SHARED_NOTE"
  fi
fi
# measure the steady state: wait for the scraper's first sweep of the window (about 25 s at
# oddzy run's default --rate 50, 6 s at 200)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$P_ODDZY/api/scraper/status" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["queue_length"] and d["due"] == 0 and d["scrapes_ok"] >= d["queue_length"] else 1)' && break
  sleep 1
done
# an open race with a full field (runners and prices: a card of several KB), the one repriced
# last among the next 30
RID=
for _ in $(seq 1 150); do
  RID=$(full_race busy)
  [ -n "$RID" ] && break
  sleep 0.2
done
[ -n "$RID" ] || die "no open race with a full field in the simulated world"
CARD_PATH="/api/racing/racecard?race_id=$RID"
SCHED_PATH="/api/racing/schedule"
mkdir -p "$TMP/www" "$TMP/nginx"
# the plain bytes and oddzy's own gzip variant (raw: curl does not decode without --compressed)
for v in racecard:$CARD_PATH schedule:$SCHED_PATH; do
  curl -fsS -o "$TMP/www/${v%%:*}.json" "http://127.0.0.1:$P_ODDZY${v#*:}"
  curl -fsS -H 'Accept-Encoding: gzip' -o "$TMP/www/${v%%:*}.json.gz" "http://127.0.0.1:$P_ODDZY${v#*:}"
  curl -fsS -H 'Accept-Encoding: br' -o "$TMP/${v%%:*}.br" "http://127.0.0.1:$P_ODDZY${v#*:}"
done
chmod 755 "$TMP" "$TMP/www" && chmod 644 "$TMP/www/"*.json* # nginx workers run as www-data
for v in racecard schedule; do
  echo "# $v: $(stat -c %s "$TMP/www/$v.json") bytes, gzip $(stat -c %s "$TMP/www/$v.json.gz"), brotli $(stat -c %s "$TMP/$v.br")"
done
echo "# race card: $CARD_PATH"

# ---- nginx: the same bytes from files ----
nginx_conf "$TMP/nginx" "$P_NGINX" "
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;
    gzip_static on; # the .gz beside each file, to clients that accept gzip" "
        location = /api/racing/racecard { alias $TMP/www/racecard.json; add_header Cache-Control no-cache; }
        location = /api/racing/schedule { alias $TMP/www/schedule.json; add_header Cache-Control no-cache; }
        location = /first { alias $TMP/www/first.json; add_header Cache-Control no-cache; }"
capped nginx taskset -c "$SERVER_CPU" nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

# ---- Node.js http: the same bytes from memory ----
capped node taskset -c "$SERVER_CPU" node "$ROOT/bench/node_server.mjs" "$P_NODE" \
  "/api/racing/racecard=$TMP/www/racecard.json" "/api/racing/schedule=$TMP/www/schedule.json" \
  >"$TMP/node.log" 2>&1 &
NODE_PID=$!
PIDS+=("$NODE_PID")
wait_http "http://127.0.0.1:$P_NGINX$CARD_PATH" "$TMP/nginx/error.log"
wait_http "http://127.0.0.1:$P_NODE$CARD_PATH" "$TMP/node.log"
cmp -s <(curl -fsS "http://127.0.0.1:$P_NGINX$CARD_PATH") "$TMP/www/racecard.json" || die "nginx serves other bytes"
cmp -s <(curl -fsS "http://127.0.0.1:$P_NODE$CARD_PATH") "$TMP/www/racecard.json" || die "node serves other bytes"
coding() { curl -fsS -o /dev/null -D - -H "Accept-Encoding: $AE" "http://127.0.0.1:$1$SCHED_PATH" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}'; }
echo "# with Accept-Encoding '$AE': oddzy sends $(coding "$P_ODDZY"), nginx $(coding "$P_NGINX"), node $(coding "$P_NODE")"

# the server's CPU time (user + system, every thread; nginx: master and workers) in clock ticks:
# on a shared machine requests a second move with the neighbours, CPU per request much less
pids_of() { case $1 in oddzy) echo "$ODDZY_PID" ;; nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID") ;; node) echo "$NODE_PID" ;; esac; }
cpu_ticks() { local t=0 p; for p in $(pids_of "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
port_of() { case $1 in oddzy) echo "$P_ODDZY" ;; nginx) echo "$P_NGINX" ;; node) echo "$P_NODE" ;; esac; }

# ms from a wrk duration ("512.00us", "1.20ms", "2.01s")
to_ms() { awk -v v="$1" 'BEGIN{ n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /m$/) n*=60000; else if (v ~ /s$/) n*=1000; printf "%.2f", n }'; }

RESULTS=()
declare -A BEST   # "view c srv" -> "rps|p50|p99|note" of its best round
measure() { # view conns server path round
  local view=$1 c=$2 srv=$3 path=$4 out="$TMP/wrk-$1-$2-$3-$5.txt"
  local hdr=() pipe=(); case $view in *-browser) hdr=(-H "Accept-Encoding: $AE") ;; esac
  case $view in *-pipelined) pipe=(-s "$ROOT/bench/pipeline.lua") ;; esac
  if [ "$srv" = oddzy ]; then view_snap "$out.vs0"; else kill -STOP "$ODDZY_PID"; fi
  local t0 t1; t0=$(cpu_ticks "$srv")
  # (wrk's own CPU too: when its one core is full, it, not the server, sets the rate)
  /usr/bin/time -o "$out.time" -f '%e %U %S' taskset -c "$CLIENT_CPU" wrk -t1 -c "$c" \
    -d "${DURATION}s" --timeout 10s --latency "${hdr[@]}" "${pipe[@]}" \
    "http://127.0.0.1:$(port_of "$srv")$path" ${pipe:+-- "$PIPELINE_DEPTH"} >"$out" 2>&1 || true
  t1=$(cpu_ticks "$srv")
  if [ "$srv" = oddzy ]; then view_snap "$out.vs1"; else kill -CONT "$ODDZY_PID"; fi
  local rps p50 p99 errs non2xx note=""
  rps=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$out")
  p50=$(to_ms "$(awk '$1=="50%"{print $2}' "$out")")
  p99=$(to_ms "$(awk '$1=="99%"{print $2}' "$out")")
  errs=$(awk '/Socket errors/{gsub(/[^0-9 ]/, " "); n=0; for (i=1;i<=NF;i++) n+=$i; print n}' "$out")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$out")
  if [ -n "$errs" ] && [ "$errs" != 0 ]; then note="socket errors $errs"; fi
  if [ -n "$non2xx" ]; then note="$note non-2xx $non2xx"; fi
  local nreq; nreq=$(awk '/requests in/{print $1}' "$out")
  if [ -n "$nreq" ] && [ "$nreq" -gt 0 ]; then
    note="$note cpu $(awk -v t=$((t1 - t0)) -v h="$(getconf CLK_TCK)" -v n="$nreq" 'BEGIN{printf "%.1f", t / h * 1e6 / n}') us/req"
  fi
  if [ -s "$out.time" ]; then
    note="$note wrk cpu $(awk '{ if ($1 > 0) printf "%.0f%%", ($2 + $3) / $1 * 100 }' "$out.time")"
  fi
  if [ "$srv" = oddzy ]; then note="$note $(view_note "$out.vs0" "$out.vs1" "$DURATION")"; fi
  if [ -z "$rps" ]; then note="wrk failed: $(tail -n 1 "$out")"; rps=0; fi
  printf '  round %s: %-9s %6s  %-6s %9s req/s  p50 %8s ms  p99 %8s ms  %s\n' "$5" "$view" "$c" "$srv" "$rps" "$p50" "$p99" "$note"
  local prev=${BEST["$view $c $srv"]:-0|}
  if [ "$rps" -ge "${prev%%|*}" ]; then BEST["$view $c $srv"]="$rps|$p50|$p99|$note"; fi
  # let closed connections drain, and oddzy catch up after a stop (views whose events came
  # before it are built before its next round)
  if [ "$srv" = oddzy ]; then sleep 0.5; else sleep 1; fi
}
run_point() { # view conns path
  local srv r b
  for r in $(seq 1 "$ROUNDS"); do
    for srv in oddzy nginx node; do measure "$1" "$2" "$srv" "$3" "$r"; done
  done
  for srv in oddzy nginx node; do
    b=${BEST["$1 $2 $srv"]}
    RESULTS+=("$1|$2|$srv|$b")
  done
}

# warm up every server (and oddzy's cached views) briefly
for srv in oddzy nginx node; do
  if [ "$srv" != oddzy ]; then kill -STOP "$ODDZY_PID"; fi
  taskset -c "$CLIENT_CPU" wrk -t1 -c 64 -d 2s "http://127.0.0.1:$(port_of "$srv")$CARD_PATH" >/dev/null 2>&1 || true
  if [ "$srv" != oddzy ]; then kill -CONT "$ODDZY_PID"; fi
done
sleep 1 # oddzy catches up after the others' warm-ups

echo
for c in "${RUN_CONNS[@]}"; do run_point racecard "$c" "$CARD_PATH"; done
for c in $PIPELINE_CONNS; do run_point racecard-pipelined "$c" "$CARD_PATH"; done
for c in $SCHEDULE_CONNS; do run_point schedule "$c" "$SCHED_PATH"; done
if [ -n "${FIRST_RPS:-}" ] && [ -s "$TMP/www/first.json" ]; then
  # nginx on the first-minute card's own bytes (oddzy's round was taken at the start)
  chmod 644 "$TMP/www/first.json"
  for r in $(seq 1 "$ROUNDS"); do measure first-minute 64 nginx /first "$r"; done
fi
for c in $BROWSER_CONNS; do
  run_point racecard-browser "$c" "$CARD_PATH"
  run_point schedule-browser "$c" "$SCHED_PATH"
done
echo
echo "best round of each point:"
for r in "${RESULTS[@]}"; do
  IFS='|' read -r v c s q a b n <<<"$r"
  printf '%-9s %6s  %-6s %9s req/s  p50 %8s ms  p99 %8s ms  %s\n' "$v" "$c" "$s" "$q" "$a" "$b" "$n"
done

# ---- ratios and the markdown copy ----
mkdir -p "$ROOT/build/bench"
MD="$ROOT/build/bench/http-$(date -u +%Y%m%d-%H%M%S).md"
{
  echo "Run $START, $(nproc) cores ($CPU_MODEL), kernel $(uname -r), servers $([ "$QUOTA" != 0 ] && echo "capped at $QUOTA% of a core" || echo uncapped), best of $ROUNDS rounds of ${DURATION}s per point, simulated world from ${CLOCK_START:-real time} at ${SPEED}x, scraper --rate ${RATE:-50 (the default)}, load average before $LOAD0, after $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| view | connections | server | req/s | p50 ms | p99 ms | notes |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | --- |"
  for r in "${RESULTS[@]}"; do IFS='|' read -r v c s q a b n <<<"$r"; echo "| $v | $c | $s | $q | $a | $b | ${n# } |"; done
  echo
  echo "| view | connections | oddzy/nginx req/s (target) | oddzy/node req/s | p99 oddzy / nginx / node ms |"
  echo "| --- | ---: | ---: | ---: | --- |"
} >"$MD"
echo
# issue 16's targets: the race card at least 1.2x nginx at every connection count, the schedule
# at least 1.0x, plain and compressed (the -browser points); Node.js is shown, not targeted
target_of() { case $1 in racecard*) echo 1.2 ;; *) echo 1.0 ;; esac; }
echo "ratios (requests a second; targets: race card >= 1.2x nginx at every connection count, schedule >= 1.0x nginx, plain and compressed)"
ALL_CONNS=$(printf '%s\n' "${RUN_CONNS[@]}" $SCHEDULE_CONNS $BROWSER_CONNS $PIPELINE_CONNS | sort -nu)
for view in racecard racecard-pipelined schedule racecard-browser schedule-browser; do
  for c in $ALL_CONNS; do
    o=; g=; n=; po=; pg=; pn=
    for r in "${RESULTS[@]}"; do
      IFS='|' read -r v cc s q a b _ <<<"$r"
      [ "$v" = "$view" ] && [ "$cc" = "$c" ] || continue
      case $s in oddzy) o=$q; po=$b ;; nginx) g=$q; pg=$b ;; node) n=$q; pn=$b ;; esac
    done
    [ -n "$o" ] && [ -n "$g" ] && [ -n "$n" ] || continue
    ratios=$(awk -v o="$o" -v g="$g" -v n="$n" 'BEGIN{printf "%.2f %.2f", (g>0?o/g:0), (n>0?o/n:0)}')
    tgt=$(target_of "$view")
    met=$(awk -v r="${ratios% *}" -v t="$tgt" 'BEGIN{print (r >= t ? "met" : "MISSED")}')
    printf '%-16s %6s  oddzy/nginx %5s (target %s: %s)  oddzy/node %5s  (p99 ms: oddzy %s, nginx %s, node %s)\n' \
      "$view" "$c" "${ratios% *}" "$tgt" "$met" "${ratios#* }" "$po" "$pg" "$pn"
    echo "| $view | $c | ${ratios% *} (>= $tgt: $met) | ${ratios#* } | $po / $pg / $pn |" >>"$MD"
  done
done
if [ -n "${FIRST_RPS:-}" ]; then
  g=${BEST["first-minute 64 nginx"]:-0|}; g=${g%%|*}
  fr=$(awk -v o="$FIRST_RPS" -v g="$g" 'BEGIN{printf "%.2f", (g>0?o/g:0)}')
  met=$(awk -v r="$fr" 'BEGIN{print (r >= 1.2 ? "met" : "MISSED")}')
  printf 'racecard first minute  64  oddzy/nginx %5s (target 1.2: %s)  (%s req/s, %s; nginx: %s req/s, its best round on the same card)\n' \
    "$fr" "$met" "$FIRST_RPS" "$FIRST_NOTE" "$g"
  echo "| racecard, first minute | 64 | $fr (>= 1.2: $met) | - | $FIRST_NOTE |" >>"$MD"
fi
# shared_ratio VIEW TARGET "oddzy|nginx|note"
shared_ratio() {
  local o g note fr met
  IFS='|' read -r o g note <<<"$3"
  fr=$(awk -v o="$o" -v g="$g" 'BEGIN{printf "%.2f", (g>0?o/g:0)}')
  met=$(awk -v r="$fr" -v t="$2" 'BEGIN{print (r >= t ? "met" : "MISSED")}')
  printf '%s first minute, shared core  64  oddzy/nginx %5s (target %s: %s)  (oddzy %s req/s, nginx %s req/s in its group; %s)\n' \
    "$1" "$fr" "$2" "$met" "$o" "$g" "$note"
  echo "| $1, first minute, shared core | 64 | $fr (>= $2: $met) | - | oddzy $o, nginx $g req/s; $note |" >>"$MD"
}
[ -z "${SHARED_CARD:-}" ] || shared_ratio racecard 1.2 "$SHARED_CARD"
[ -z "${SHARED_SCHED:-}" ] || shared_ratio schedule 1.0 "$SHARED_SCHED"
# issue 16: no view rebuild caused by a price event. Price events patch a cached race card in
# memory (cause="event_patch"); only one the card's rows cannot take sends it to the racing
# service (counted in oddzy_view_patches_refused_total), so that count is the evidence.
refused=$(curl -fsS "http://127.0.0.1:$P_ODDZY/metrics" | awk '/^oddzy_view_patches_refused_total /{printf "%d", $2}')
by_cause=$(curl -fsS "http://127.0.0.1:$P_ODDZY/metrics" | awk -F'[{}" ]+' '/^oddzy_view_rebuilds_total\{/{printf "%s %d, ", $3, $NF}')
echo "# over the whole oddzy run: view rebuilds by cause ${by_cause%, }; price or book events sent to the racing service (patches refused): ${refused:-?} (target 0)"
lat=$(view_latency_quantiles)
echo "# event to view in oddzy's rounds (from an event reaching the view cache to the first version of a view showing it): $lat"
echo "| event to view latency, oddzy's rounds | | $lat | | |" >>"$MD"
echo "| price events that rebuilt a view through the service (patches refused), whole run | | ${refused:-?} (target 0) | | rebuilds by cause: ${by_cause%, } |" >>"$MD"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg); markdown: ${MD#$ROOT/}"
