#!/usr/bin/env bash
# The simulated world's Betfair exchange (oddzy feed --exchange-port) read by the real stream
# client (oddzy betfair --plain) into SQLite, on the pinned clock at 60x: races with betfair
# back and lay prices, races run to FINAL with winners. The same world with the connection cut
# mid-message every few messages (--exchange-drop-after) resumes from its clk and ends with the
# same rows. Then oddzy run: its own exchange and client put betfair prices on a race card.
source "$(dirname "$0")/lib.bash"
SPEED=60
export ODDZY_BETFAIR_APP_KEY=sim-key ODDZY_BETFAIR_SESSION=sim-session
wait_log() { local d=$(( SECONDS + 60 )); until grep -q "simulated source ready" "$1"; do [ $SECONDS -lt $d ] || fail "$1: not ready"; sleep 0.2; done; }
start_pair() { # name drop_after
  local xp; xp=$(free_port)
  "$ODDZY" feed --port 0 --exchange-port "$xp" --exchange-drop-after "$2" --speed $SPEED \
    --exchange-tick-ms 500 >"$TMP/feed-$1.log" 2>&1 &
  PIDS+=($!)
  wait_log "$TMP/feed-$1.log"
  "$ODDZY" betfair --plain --stream "127.0.0.1:$xp" --db "$TMP/$1.db" --tz Australia/Sydney \
    >"$TMP/betfair-$1.log" 2>&1 &
  PIDS+=($!)
}
start_pair plain 0
start_pair drops 16

# run until races that start in the first 35 simulated minutes have run; the rows compared are
# those of races starting from the 10th minute (markets listed long enough for both clients to
# have had them, whatever the load on the machine)
until_s=$(( CLOCK_START_S + 2700 ))
while [ "$(sim_now $SPEED)" -lt "$until_s" ]; do sleep 0.5; done
W="scheduled_start between $((CLOCK_START_S + 600)) and $((CLOCK_START_S + 2100))"
settled() { sql "$TMP/$1.db" "select count(*) from races where status=3 and $W"; }
q_races="select r.source_key, r.number, r.name, r.distance, r.scheduled_start, r.status, r.results
  from races r where r.status=3 and r.$W order by 1"
q_sels="select s.source_key, s.number, s.name, s.barrier, s.scratched, s.deduction from selections s
  join races r on r.id=s.race_id where r.status=3 and r.$W order by 1"
deadline=$(( SECONDS + 120 ))
while [ $SECONDS -lt $deadline ]; do
  [ "$(settled plain)" -ge 3 ] && [ "$(sql "$TMP/plain.db" "$q_races")" = "$(sql "$TMP/drops.db" "$q_races")" ] && break
  sleep 1
done

for db in plain drops; do
  n=$(sql "$TMP/$db.db" "select count(*) from races")
  [ "$n" -gt 100 ] || { tail -5 "$TMP/betfair-$db.log"; fail "$db: only $n races"; }
  b=$(sql "$TMP/$db.db" "select count(*) from prices where provider='betfair' and market=4")
  l=$(sql "$TMP/$db.db" "select count(*) from prices where provider='betfair' and market=5")
  [ "$b" -gt 500 ] && [ "$l" -gt 500 ] || fail "$db: betfair back $b, lay $l price points"
  [ "$(sql "$TMP/$db.db" "select count(*) from prices where provider='betfair_place'")" -gt 500 ] \
    || fail "$db: no place market prices"
  f=$(settled "$db")
  [ "$f" -ge 3 ] || fail "$db: only $f races FINAL"
  [ "$(sql "$TMP/$db.db" "select count(*) from races where status=3 and results='[]'")" = 0 ] \
    || fail "$db: a FINAL race without a winner"
  grep -q '"level":"error"' "$TMP/betfair-$db.log" && { grep '"level":"error"' "$TMP/betfair-$db.log" | head -3; fail "$db: errors logged"; }
  echo "$db: $n races, $b back and $l lay points, $f settled"
done
# names as Betfair writes them: venues (some sponsored), "R1 1200m Mdn", "1. Name"
sql "$TMP/plain.db" "select name from races" | grep -Eq '^R[0-9]+ [0-9]+m ' || fail "market names"
[ "$(sql "$TMP/plain.db" "select count(*) from selections where name like '_. %'")" = 0 ] \
  || fail "runner names still carry their number"

# the faulty exchange cut connections, and the client resumed from its clk
cuts=$(grep -c "closed by the exchange" "$TMP/feed-drops.log" || true)
resumed=$(grep -c "resumed from its clk" "$TMP/feed-drops.log" || true)
[ "$cuts" -ge 2 ] && [ "$resumed" -ge 2 ] || fail "drops: $cuts cuts, $resumed resumes"
grep -q "resumed from its clk" "$TMP/feed-plain.log" && fail "plain: reconnected"
# the same final rows: settled races, their results and runners (times of receipt aside)
diff <(sql "$TMP/plain.db" "$q_races") <(sql "$TMP/drops.db" "$q_races") >"$TMP/diff" \
  || { head "$TMP/diff"; fail "settled races differ with drops"; }
diff <(sql "$TMP/plain.db" "$q_sels") <(sql "$TMP/drops.db" "$q_sels") >"$TMP/diff" \
  || { head "$TMP/diff"; fail "runners differ with drops"; }
echo "drops: $cuts connections cut mid-message, $resumed resumed from clk, same $(settled drops) settled races and runners"

# a client without a session token is refused with NO_SESSION
xp=$(free_port)
"$ODDZY" feed --port 0 --exchange-port "$xp" >"$TMP/feed-c.log" 2>&1 &
PIDS+=($!)
wait_log "$TMP/feed-c.log"
"$PY" - "$xp" <<'PY' || fail "authentication without a session accepted"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
assert b'"op":"connection"' in f.readline()
s.sendall(b'{"op":"authentication","id":1,"appKey":"k"}\r\n')
l = f.readline()
assert b"NO_SESSION" in l and b'"connectionClosed":true' in l, l
assert f.readline() == b""
PY

# oddzy run: the built-in world's exchange and client; a race card shows betfair prices
P=$(free_port)
"$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/run.db" --web "" --speed $SPEED \
  --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/healthz" 60
RID=
deadline=$(( SECONDS + 120 ))
while [ $SECONDS -lt $deadline ]; do
  RID=$(sql "$TMP/run.db" "select r.id from races r join selections s on s.race_id=r.id
    join prices p on p.selection_id=s.id where p.provider='betfair' and r.status=0 limit 1" 2>/dev/null || true)
  [ -n "$RID" ] && break; sleep 1
done
[ -n "$RID" ] || { tail -5 "$TMP/run.log"; fail "run: no betfair prices stored"; }
curl -fsS "http://127.0.0.1:$P/api/racing/racecard?race_id=$RID" >"$TMP/card.json" || fail "racecard"
"$PY" - "$TMP/card.json" <<'PY' || fail "run: racecard without betfair prices"
import json, sys
d = json.load(open(sys.argv[1]))
text = json.dumps(d.get("data", d))
assert "betfair" in text, text[:400]
PY
if "$ODDZY" run --exchange maybe >/dev/null 2>&1; then fail "--exchange maybe accepted"; fi
echo "run: race $RID on the API race card with betfair prices"
echo "PASS"
