#!/usr/bin/env bash
# oddzy replay: the recorded Betfair greyhound WIN and PLACE markets (Sheffield, 19 Apr 2022)
# through the racing service into SQLite: one meeting and race with its six runners by trap,
# FINAL with trap 2 first and trap 6 second, exchange price history and books; the same from a .bz2;
# paced replay takes its time; a scratching and a garbage line in a file built from the
# recording; a missing file is an error.
source "$(dirname "$0")/lib.bash"
FIX=${ODDZY_FIXTURES:-$ROOT/tests/fixtures}/betfair
WIN=$FIX/historic-1.197931750-greyhound-win
PLACE=$FIX/historic-1.197931751-greyhound-place
RACE="betfair:31389771:1650392760"

check_race() { # db label
  local db=$1
  [ "$(sql "$db" "select count(*) from meetings")" = 1 ] || fail "$2: expected one meeting"
  [ "$(sql "$db" "select name||'|'||country||'|'||race_type||'|'||date from meetings")" = "Sheffield|GB|2|2022-04-19" ] \
    || fail "$2: meeting is $(sql "$db" "select * from meetings")"
  [ "$(sql "$db" "select count(*) from races")" = 1 ] || fail "$2: expected one race (WIN and PLACE are one race)"
  local r
  r=$(sql "$db" "select number||'|'||name||'|'||distance||'|'||scheduled_start||'|'||status from races where source_key='$RACE'")
  [ "$r" = "1|OR 280m|280|1650392760|3" ] || fail "$2: race is '$r' (want FINAL, OR 280m at 18:26 UTC)"
  local res
  res=$(sql "$db" "select results from races where source_key='$RACE'")
  [ "$res" = '[{"position":1,"number":2,"margin":""},{"position":2,"number":6,"margin":""}]' ] \
    || fail "$2: results $res"
  local runners
  runners=$(sql "$db" "select group_concat(number||'='||barrier||'='||name, ',') from (select * from selections order by number)")
  [ "$runners" = "1=1=Paradise Mission,2=2=Sandwood Jet,3=3=Kirabilly Kathy,4=4=Gurtnacrehyblake,5=5=Castlehill Jil,6=6=Coolavanny Galiv" ] \
    || fail "$2: runners $runners"
  # exchange price history: back (4) and lay (5) of the WIN market under "betfair", within the
  # recorded publish times, moving (more than one distinct price per runner)
  local n moving span
  n=$(sql "$db" "select count(*) from prices where provider='betfair' and market in (4,5)")
  [ "$n" -gt 100 ] || fail "$2: only $n betfair price points"
  [ "$(sql "$db" "select count(*) from prices where provider='betfair_place'")" -gt 100 ] || fail "$2: no place prices"
  moving=$(sql "$db" "select count(*) from (select selection_id from prices where provider='betfair' and market=4 group by selection_id having count(distinct odds) > 1)")
  [ "$moving" = 6 ] || fail "$2: prices of only $moving runners move"
  span=$(sql "$db" "select min(ts)>=1650392673 and max(ts)<=1650392996 and min(odds)>=101 from prices")
  [ "$span" = 1 ] || fail "$2: price times or odds out of the recording"
  # exchange books: one per runner and market, settled: no offers left, the volume traded,
  # the last traded price and (WIN market) the starting price; the winner's SP 25.00
  [ "$(sql "$db" "select count(*) from exchange_books")" = 12 ] \
    || fail "$2: exchange books $(sql "$db" "select count(*) from exchange_books")"
  [ "$(sql "$db" "select count(*) from exchange_books where traded_volume > 0 and last_traded >= 101 and back1_odds = 0 and lay1_odds = 0")" = 12 ] \
    || fail "$2: settled books $(sql "$db" "select * from exchange_books")"
  [ "$(sql "$db" "select b.starting_price from exchange_books b join selections s on s.id = b.selection_id where s.number = 2 and b.provider = 'betfair'")" = 2500 ] \
    || fail "$2: winner's starting price"
  echo "$2: race FINAL (2 then 6), 6 runners, $n betfair price points, 12 exchange books"
}

# 1. both plain files as fast as the racing service takes them
start=$(date +%s%N)
"$ODDZY" replay --speed max --db "$TMP/a.db" --tz Europe/London --log-format text "$WIN" "$PLACE" \
  >"$TMP/a.log" 2>&1 || { cat "$TMP/a.log"; fail "replay exited $?"; }
max_ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q "replay finished lines=332 bad_lines=0" "$TMP/a.log" || { cat "$TMP/a.log"; fail "not all lines played"; }
check_race "$TMP/a.db" "plain, max ($max_ms ms)"

# 2. the WIN file bzip2-compressed as downloaded, catalogue names only (no names in the
#    definitions until the last line): the race day follows --tz
mkdir -p "$TMP/bz"
"$PY" -c 'import bz2,sys; open(sys.argv[2],"wb").write(bz2.compress(open(sys.argv[1],"rb").read()))' "$WIN" "$TMP/bz/1.197931750.bz2"
cp "$PLACE" "$TMP/bz/1.197931751"
"$ODDZY" replay --speed max --db "$TMP/b.db" --tz Europe/London --log-format text "$TMP/bz/1.197931750.bz2" "$TMP/bz/1.197931751" \
  >"$TMP/b.log" 2>&1 || { cat "$TMP/b.log"; fail "bz2 replay exited $?"; }
check_race "$TMP/b.db" "bz2"
[ "$(sql "$TMP/a.db" "select count(*) from prices")" = "$(sql "$TMP/b.db" "select count(*) from prices")" ] \
  || fail "bz2 and plain give different price histories"

# 3. paced: the first 20 lines of the WIN market at 40x take their recorded time / 40; names
#    come from the catalogue beside the file (the definitions have none yet)
head -n 20 "$WIN" >"$TMP/bz/head-win"
cp "$FIX/catalogue-1.197931750.json" "$TMP/bz/"
first=$(head -n1 "$WIN" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read())["pt"])')
last=$(sed -n 20p "$WIN" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read())["pt"])')
want_ms=$(( (last - first) / 40 ))
start=$(date +%s%N)
"$ODDZY" replay --speed 40 --db "$TMP/c.db" --tz Australia/Sydney --log-format text "$TMP/bz/head-win" \
  >"$TMP/c.log" 2>&1 || { cat "$TMP/c.log"; fail "paced replay exited $?"; }
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "paced: $((last - first)) ms recorded at 40x took $took_ms ms (at least $want_ms)"
[ "$took_ms" -ge "$want_ms" ] || fail "speed 40 played too fast"
[ "$(sql "$TMP/c.db" "select date from meetings")" = "2022-04-20" ] || fail "race day not in --tz"
[ "$(sql "$TMP/c.db" "select name from selections where number=4")" = "Gurtnacrehyblake" ] \
  || fail "catalogue names not used: $(sql "$TMP/c.db" "select name from selections")"
[ "$(sql "$TMP/c.db" "select status from races")" = 0 ] || fail "race should still be OPEN"
# open: the WIN market's books three levels deep a side with sizes, best first
deep=$(sql "$TMP/c.db" "select count(*) from exchange_books where provider='betfair' and back3_odds >= 101 and back1_odds > back2_odds and back2_odds > back3_odds and lay3_odds > lay2_odds and lay2_odds > lay1_odds and lay1_odds >= 101 and back1_size > 0 and back3_size > 0 and lay1_size > 0 and lay3_size > 0")
[ "$deep" = 6 ] || fail "open books three deep: $deep of 6 ($(sql "$TMP/c.db" "select * from exchange_books"))"
[ "$(sql "$TMP/c.db" "select count(*) from exchange_books b join prices p on p.selection_id = b.selection_id and p.provider = b.provider and p.market = 4 where p.ts = (select max(ts) from prices q where q.selection_id = p.selection_id and q.market = 4 and q.provider = p.provider) and p.odds <> b.back1_odds")" = 0 ] \
  || fail "the latest exchange back price is not the book's best back"

# 4. a scratching and a garbage line, in a file built from the recording: trap 5 REMOVED with
#    a 15.5 % reduction factor from the first suspension on
"$PY" - "$WIN" "$TMP/scratch" <<'EOF'
import json, sys
out = []
removed = False
for i, line in enumerate(open(sys.argv[1])):
    m = json.loads(line)
    for mc in m.get("mc", []):
        md = mc.get("marketDefinition")
        if md and md["status"] != "OPEN":
            removed = True
        if md and removed:
            r = md["runners"][4]
            r["status"], r["adjustmentFactor"] = "REMOVED", 15.5
            r.pop("bsp", None)
    out.append(json.dumps(m, separators=(",", ":")))
    if i == 10:
        out.append('{"op":"mcm","pt":1650392700000,"mc":[{"id":"1.197931750","rc":[{"id":1,"atb":[[-3,5]]}]}]}')
open(sys.argv[2], "w").write("\n".join(out) + "\n")
EOF
"$ODDZY" replay --speed max --db "$TMP/d.db" --log-format text "$TMP/scratch" >"$TMP/d.log" 2>&1 \
  || { cat "$TMP/d.log"; fail "scratch replay exited $?"; }
grep -q "replay line skipped" "$TMP/d.log" || fail "garbage line not reported"
grep -q "bad_lines=1" "$TMP/d.log" || fail "garbage line not counted"
s=$(sql "$TMP/d.db" "select scratched||'|'||deduction||'|'||(scratch_time between 1650392673 and 1650392996) from selections where number=5")
[ "$s" = "1|1550|1" ] || fail "scratching: $s"
[ "$(sql "$TMP/d.db" "select status from races")" = 3 ] || fail "race with a scratching not FINAL"
echo "scratching: trap 5 scratched with a 15.50 deduction; garbage line skipped"

# 5. a missing file: an error, nothing played
if "$ODDZY" replay --db "$TMP/e.db" "$TMP/nope" >"$TMP/e.log" 2>&1; then fail "missing file accepted"; fi
grep -q "nope" "$TMP/e.log" || fail "missing file not named"
if "$ODDZY" replay --speed fast --db "$TMP/e.db" "$WIN" >/dev/null 2>&1; then fail "bad --speed accepted"; fi
# 6. oddzy run --replay: the same race beside the simulated world, served by the API
P=$(free_port)
"$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/f.db" --web "" --tz Europe/London \
  --replay "$WIN,$PLACE" --replay-speed max --log-level warn >"$TMP/f.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/healthz" 60
for _ in $(seq 1 300); do
  st=$(sql "$TMP/f.db" "select status from races where source_key='$RACE'" 2>/dev/null || true)
  [ "$st" = 3 ] && break; sleep 0.2
done
[ "$st" = 3 ] || { cat "$TMP/f.log"; fail "run --replay: race not FINAL (status '${st:-none}')"; }
RID=$(sql "$TMP/f.db" "select id from races where source_key='$RACE'")
curl -fsS "http://127.0.0.1:$P/api/racing/racecard?race_id=$RID" >"$TMP/card.json" || fail "racecard"
"$PY" - "$TMP/card.json" <<'PY' || fail "run --replay: racecard content"
import json, sys
d = json.load(open(sys.argv[1]))
d = d.get("data", d)
text = json.dumps(d)
assert "Sandwood Jet" in text and "OR 280m" in text, text[:400]
assert "betfair" in text, "no betfair prices on the race card"
books = [r["exchange"] for r in d["runners"]]
assert all(set(b) == {"betfair", "betfair_place"} for b in books), books
assert all(b["betfair"]["traded_volume"] > 0 for b in books), books
PY
echo "run --replay: race $RID FINAL and on the API race card"
# the simulated world has no Sheffield: the market stays a race of its own, listed as unmatched
# with its reason, and the replay is a source with its lines and its unmatched market
curl -fsS "http://127.0.0.1:$P/api/sources/unmatched" >"$TMP/unmatched.json" || fail "unmatched"
curl -fsS "http://127.0.0.1:$P/api/sources" >"$TMP/sources.json" || fail "sources"
curl -fsS "http://127.0.0.1:$P/metrics" >"$TMP/metrics.txt" || fail "metrics"
"$PY" - "$TMP/unmatched.json" "$TMP/sources.json" "$RACE" <<'PY' || fail "run --replay: unmatched and sources"
import json, sys
u = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
hit = [m for m in u if m["market_key"] == sys.argv[3]]
assert len(hit) == 1, u
m = hit[0]
assert m["source"] == "replay" and m["venue"] == "Sheffield" and m["market_name"] == "OR 280m", m
assert m["result"] in ("none", "unsure") and "Sheffield" in m["reason"], m
r = [x for x in s if x["source"] == "replay"]
assert len(r) == 1 and r[0]["requests"] == 332 and r[0]["markets_unmatched"] == 1, s
assert r[0]["markets_matched"] == 0 and r[0]["kind"] == "replay", s
PY
grep -q '^oddzy_source_markets{source="replay",state="unmatched"} 1' "$TMP/metrics.txt" ||
  fail "metrics: no unmatched market of the replay"
grep -q '^oddzy_source_requests_total{source="replay"} 332' "$TMP/metrics.txt" ||
  fail "metrics: replayed lines not counted as requests of the replay"
echo "run --replay: the market listed on /api/sources/unmatched: $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["reason"])' "$TMP/unmatched.json")"
echo "PASS"
