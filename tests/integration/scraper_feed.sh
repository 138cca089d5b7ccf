#!/usr/bin/env bash
# oddzy feed --speed 60 and oddzy scraper against it: races go from OPEN through CLOSED and
# INTERIM to FINAL in the store, with results, and nothing is duplicated.
source "$(dirname "$0")/lib.bash"
FP=$(free_port)
"$ODDZY" feed --port "$FP" --seed 7 --speed 60 --clock-anchor "$ANCHOR" --log-level warn >"$TMP/feed.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$FP/healthz"
DB="$TMP/s.db"
"$ODDZY" scraper --source "http://127.0.0.1:$FP" --format entain --db "$DB" --rate 50 \
  --speed 60 --clock-anchor "$ANCHOR" --schedule-interval 120 --log-level warn >"$TMP/scraper.log" 2>&1 &
PIDS+=($!)
# wait for the schedule to land
for _ in $(seq 1 100); do
  n=$(sql "$DB" "select count(*) from races" 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 50 ] && break; sleep 0.2
done
[ "${n:-0}" -gt 50 ] || { cat "$TMP/scraper.log"; fail "no races stored (got ${n:-0})"; }
meetings=$(sql "$DB" "select count(*) from meetings")
types=$(sql "$DB" "select count(distinct race_type) from meetings")
echo "stored: $n races, $meetings meetings, $types race types"
[ "$types" -eq 3 ] || fail "expected all three race types"
sim_now=$(sim_now 60)
# races open now and starting within 10 simulated minutes: watch them (on the pinned clock the
# next starts are at 06:01, 06:08 and 06:10; the schedule may land before 06:03)
watch=$(sql "$DB" "select id from races where status=0 and scheduled_start between $sim_now and $((sim_now+600)) limit 5" | tr '\n' ' ')
[ -n "$watch" ] || fail "no race about to start"
echo "watching races: $watch"
declare -A seen
for _ in $(seq 1 150); do
  for id in $watch; do
    st=$(sql "$DB" "select status from races where id=$id")
    seen[$id]="${seen[$id]:-} $st"
  done
  done_all=1
  for id in $watch; do
    st=$(sql "$DB" "select status from races where id=$id")
    res=$(sql "$DB" "select results from races where id=$id")
    { [ "$st" = 3 ] && [ "$res" != "[]" ]; } || [ "$st" = 4 ] || done_all=0
  done
  [ $done_all = 1 ] && break
  sleep 0.2
done
finals=0; mids=0
for id in $watch; do
  st=$(sql "$DB" "select status from races where id=$id")
  res=$(sql "$DB" "select results from races where id=$id")
  echo "race $id statuses seen:$(echo "${seen[$id]}" | tr ' ' '\n' | uniq | tr '\n' ' ') results=$res"
  if [ "$st" = 3 ]; then
    finals=$((finals+1))
    [ "$res" != "[]" ] || fail "race $id FINAL without results"
  fi
  echo "${seen[$id]}" | grep -qE '(^| )(1|2)( |$)' && mids=$((mids+1))
done
[ $finals -ge 1 ] || fail "no watched race reached FINAL"
[ $mids -ge 1 ] || fail "no race was seen CLOSED or INTERIM on its way"
dups=$(sql "$DB" "select count(*) - count(distinct source_key) from races")
[ "$dups" = 0 ] || fail "duplicated races"
sel_dups=$(sql "$DB" "select count(*) from (select race_id, number from selections group by race_id, number having count(*) > 1)")
[ "$sel_dups" = 0 ] || fail "duplicated runners"
grep -q '"level":"error"' "$TMP/scraper.log" && { cat "$TMP/scraper.log"; fail "errors logged"; }
echo "ok"
