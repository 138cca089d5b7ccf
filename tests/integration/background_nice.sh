#!/usr/bin/env bash
# --background-nice: in `oddzy run` the threads that ingest, simulate the world and rebuild
# views run 10 nicer than the event loop answering requests (the default), so a full CPU
# serves requests first; 0 leaves every thread alike; a value out of range is refused.
source "$(dirname "$0")/lib.bash"
unset ODDZY_BACKGROUND_NICE # lib.bash sets 0 for the other tests: here the default

# each thread of $1: "tid name nice" (its comm, and field 19 of /proc/PID/task/TID/stat, after
# the command name in parentheses)
thread_nices() {
  for t in /proc/"$1"/task/*; do
    echo "${t##*/} $(cat "$t/comm" 2>/dev/null) $(awk '{sub(/^.*\) /, ""); print $17}' "$t/stat" 2>/dev/null)"
  done
}

start() { # extra args...; sets PID and U
  local p; p=$(free_port)
  "$ODDZY" run --port "$p" --db "$TMP/n$p.db" --web "" --speed 30 --log-level warn "$@" \
    >"$TMP/out$p.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
  U="http://127.0.0.1:$p"
  wait_http "$U/readyz" 30 || fail "not ready"
  # until the scraper has stored races: its threads and the racing service's have run
  for _ in $(seq 1 100); do
    curl -fsS "$U/api/racing/next?limit=1" | grep -q '"race_id"' && break
    sleep 0.2
  done
  curl -fsS "$U/api/racing/schedule" >/dev/null # a view built by a view worker
  sleep 1
}

start
thread_nices "$PID" >"$TMP/default.txt"
main=$(awk -v p="$PID" '$1 == p {print $3}' "$TMP/default.txt")
[ "$main" = 0 ] || fail "the API's event loop (the main thread) runs at nice $main, not 0"
# the world's HTTP server, the scraper and its sender, the price updater, the view workers and
# the racing service's subscriptions, each named: nice 10
for name in odz-world odz-scraper odz-sender odz-prices odz-views odz-racing; do
  n=$(awk -v w="$name" '$2 == w' "$TMP/default.txt" | wc -l)
  bad=$(awk -v w="$name" '$2 == w && $3 != 10' "$TMP/default.txt" | wc -l)
  [ "$n" -ge 1 ] && [ "$bad" = 0 ] || { cat "$TMP/default.txt"; fail "$name: $n threads, $bad not at nice 10"; }
done
# every other thread (the main loop, bus deliveries, pools, the metrics listener) at 0
others=$(awk '$2 !~ /^odz-(world|scraper|sender|prices|views|racing|exchange|betfair|replay|standby)$/ && $3 != 0' "$TMP/default.txt" | wc -l)
[ "$others" = 0 ] || { cat "$TMP/default.txt"; fail "$others other threads niced"; }
kill "$PID"; wait "$PID" 2>/dev/null || true

start --background-nice 0
n=$(thread_nices "$PID" | awk '$3 != 0' | wc -l)
[ "$n" = 0 ] || fail "--background-nice 0: $n threads niced"
kill "$PID"; wait "$PID" 2>/dev/null || true

rc=0
"$ODDZY" run --background-nice 25 --db "$TMP/x.db" >"$TMP/bad.log" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--background-nice 25 exited $rc, not 2"
grep -q "background-nice" "$TMP/bad.log" || fail "no word about --background-nice: $(cat "$TMP/bad.log")"
echo ok
