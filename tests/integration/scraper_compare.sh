#!/usr/bin/env bash
# Nothing lost behind a slow, failing source: two `oddzy feed` with the same seed on one pinned
# clock, one clean and one slow (--slow-ms), failing (--fail-rate 0.3) and sending garbage
# (--garbage-rate 0.2), one scraper each into its own SQLite file. For every race that started
# long enough before the end (30 simulated minutes), both databases must hold the same status,
# results, dividends, runners and scratchings. Not timed: the data is compared.
source "$(dirname "$0")/lib.bash"
SPEED=60
SEED=${ODDZY_TEST_SEED:-23}
RUN_S=60         # real seconds both pairs run before the cut-off is set
CLEAN_WAIT_S=120 # the clean side then gets at most this long to resolve every race before it
BAD_WAIT_S=120   # and the faulty side at most this long more to hold the same data
SLOW_MS=2000     # far slower than one request at a time can follow (checked below)
# (the flags every scraper accepts; the number in flight goes by environment so that an older
# scraper without the flag runs the same test)
export ODDZY_MAX_INFLIGHT=64

CP=$(free_port); BP=$(free_port)
start_feed() { # port log flags...
  local port=$1 log=$2; shift 2
  "$ODDZY" feed --port "$port" --seed "$SEED" --speed $SPEED --clock-anchor "$ANCHOR" \
    --log-level warn "$@" >"$log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/healthz"
}
start_scraper() { # port db log flags...
  local port=$1 db=$2 log=$3; shift 3
  "$ODDZY" scraper --source "http://127.0.0.1:$port" --format entain --db "$db" --rate 50 \
    --timeout-ms 10000 --speed $SPEED --clock-anchor "$ANCHOR" --schedule-interval 300 \
    --log-level warn "$@" >"$log" 2>&1 &
  PIDS+=($!)
}
start_feed "$CP" "$TMP/feed-clean.log"
start_feed "$BP" "$TMP/feed-bad.log" --fail-rate 0.3 --garbage-rate 0.2 --slow-ms $SLOW_MS
CLEAN="$TMP/clean.db" BAD="$TMP/bad.db"
start_scraper "$CP" "$CLEAN" "$TMP/scraper-clean.log"
BM=$(free_port)
start_scraper "$BP" "$BAD" "$TMP/scraper-bad.log" --metrics-addr "127.0.0.1:$BM"
sleep "$RUN_S"
for p in "${PIDS[@]}"; do kill -0 "$p" || fail "a feed or scraper died"; done
CUT=$(( $(sim_now $SPEED) - 1800 ))
echo "comparing races that started before $(date -u -d @$CUT +%FT%TZ) (30 simulated minutes ago)"

# Races and runners of those races as one line each, by source key. The two databases number
# their rows independently, so only source keys and data are compared.
RACES="select r.source_key, r.status, r.results, r.dividends from races r
       where r.scheduled_start < $CUT"
RUNNERS="select r.source_key, s.source_key, s.number, s.barrier, s.name, s.jockey, s.trainer,
         s.weight, s.claim, s.scratched, s.late_scratched, s.scratch_time, s.deduction,
         s.emergency, s.silks from selections s join races r on r.id = s.race_id
         where r.scheduled_start < $CUT"
dump() { # db query out
  sqlite3 -readonly "$1" "$2" | sort >"$3"
}
differences() {
  dump "$CLEAN" "$RACES" "$TMP/races.clean"; dump "$BAD" "$RACES" "$TMP/races.bad"
  dump "$CLEAN" "$RUNNERS" "$TMP/runners.clean"; dump "$BAD" "$RUNNERS" "$TMP/runners.bad"
  local a b
  a=$(comm -3 "$TMP/races.clean" "$TMP/races.bad" | wc -l)
  b=$(comm -3 "$TMP/runners.clean" "$TMP/runners.bad" | wc -l)
  echo $((a + b))
}
# The clean side is the reference: it must hold a real day's racing, every race resolved.
unresolved() {
  sql "$CLEAN" "select count(*) from races where scheduled_start < $CUT and not
                ((status = 3 and results != '[]' and dividends != '[]') or status = 4)"
}
deadline=$(( $(date +%s) + CLEAN_WAIT_S ))
until [ "$(unresolved)" = 0 ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 3; done
[ "$(unresolved)" = 0 ] || fail "the clean scraper left $(unresolved) races unresolved"
deadline=$(( $(date +%s) + BAD_WAIT_S ))
while :; do
  d=$(differences)
  [ "$d" = 0 ] || [ "$(date +%s)" -ge "$deadline" ] && break
  echo "$d rows differ"
  sleep 3
done
n=$(wc -l <"$TMP/races.clean")
runners=$(wc -l <"$TMP/runners.clean")
echo "clean: $n races, $runners runners"
[ "$n" -gt 300 ] || fail "too few races to compare ($n)"
# The faulty source must really be too slow for one request at a time: the clean scraper's
# race-card requests, one at a time at SLOW_MS each, would take longer than the whole run.
[ $((n * SLOW_MS / 1000)) -gt $((RUN_S + CLEAN_WAIT_S + BAD_WAIT_S)) ] || fail "the slow source is not slow enough to matter"
grep -q '"outcome":"garbage"' "$TMP/scraper-bad.log" || fail "no garbage answers seen"
grep -q '"outcome":"failed"' "$TMP/scraper-bad.log" || fail "no failed answers seen"

if [ "$d" != 0 ]; then
  bad_n=$(wc -l <"$TMP/races.bad")
  echo "faulty: $bad_n races, $(wc -l <"$TMP/runners.bad") runners"
  sql "$BAD" "select 'faulty: status ' || status || ': ' || count(*) || ' races, '
              || sum(results = '[]') || ' without results, ' || sum(dividends = '[]')
              || ' without dividends' from races where scheduled_start < $CUT group by status"
  echo "first differences (< clean, > faulty):"
  diff "$TMP/races.clean" "$TMP/races.bad" | grep '^[<>]' | cut -c1-160 | head -8 || true
  fail "$d rows differ between the clean and the faulty source's databases"
fi
echo "same data: $n races, $runners runners"
# what it took: requests in flight at once, retries within each race's budget
curl -fsS "http://127.0.0.1:$BM/metrics" >"$TMP/bad.metrics" || fail "faulty scraper: no metrics"
grep -E '^oddzy_(scrapes_total\{call="race"|scraper_)' "$TMP/bad.metrics"
retries=$(awk '$1 == "oddzy_scraper_retries_total" { print $2 }' "$TMP/bad.metrics")
[ "${retries:-0}" -gt 0 ] || fail "no retries counted"
grep -q '^oddzy_scraper_requests_in_flight ' "$TMP/bad.metrics" || fail "no in-flight gauge"
echo "ok"
