#!/usr/bin/env bash
# The multi-service stack (scripts/stack.sh) on loopback, in a temp dir on free ports, at
# --speed 30: PostgreSQL, nats-server, the simulated feed, two racing services, two scrapers
# (active-standby), the price updater, two API nodes behind nginx, Prometheus. Checks:
#  (a) a socket.io-client connected through nginx receives updatePrice events, and the race
#      card of such a race read directly from the *other* API node shows that price;
#  (b) both racing services answer requests (their get_race counters rise);
#  (c) SIGKILL of the active scraper: the standby takes over within 15 s, races keep being
#      updated, no duplicated rows (source keys, race numbers, price points) and none lost
#      (every meeting and race of the source's window is stored);
#  (d) nats-server restarted, then PostgreSQL: every service reconnects, new prices reach the
#      client and the race cards of both API nodes again.
# First, docker-compose.yml: its shape (every role, on PostgreSQL and NATS), and
# `docker compose config` where a Docker Compose client exists (skipped, and said so, if not).
# The stack is always torn down (scripts/stack.sh down), on failure too.
source "$(dirname "$0")/lib.bash"
export ODDZY
NODE=$(command -v node || true)
[ -n "$NODE" ] || fail "node not installed (scripts/setup.sh)"
[ -d "$ROOT/tests/e2e/node_modules/socket.io-client" ] || fail "tests/e2e/node_modules missing (scripts/setup.sh runs npm ci)"

# ---- docker-compose.yml ----
"$NODE" -e '
const YAML = require(process.argv[1] + "/tests/e2e/node_modules/yaml");
const fs = require("fs");
const d = YAML.parse(fs.readFileSync(process.argv[1] + "/docker-compose.yml", "utf8"), { merge: true });
const s = d.services || {}, errs = [];
const need = ["postgres", "nats", "nginx", "feed", "racing-1", "racing-2", "scraper-1", "scraper-2", "prices", "api-1", "api-2"];
for (const n of need) if (!s[n]) errs.push("no service " + n);
for (const [n, v] of Object.entries(s)) {
  if (v.image !== "oddzy:latest") continue;
  const role = (v.command || [])[0], env = v.environment || {};
  if (n.replace(/-[0-9]+$/, "") !== role) errs.push(n + " runs " + role);
  if (!/^postgres:\/\//.test(env.ODDZY_DB || "")) errs.push(n + ": ODDZY_DB is not PostgreSQL");
  if (!/^nats:\/\//.test(env.ODDZY_BUS || "")) errs.push(n + ": ODDZY_BUS is not NATS");
}
if (!(s.nginx && s.nginx.build && s.nginx.build.target === "nginx")) errs.push("nginx is not built from the Dockerfile target nginx");
if (errs.length) { console.log(errs.join("\n")); process.exit(1); }
' "$ROOT" || fail "docker-compose.yml"
{ grep -q '^FROM debian:12' "$ROOT/Dockerfile" && grep -q '^FROM .* AS nginx' "$ROOT/Dockerfile"; } || fail "Dockerfile: Debian 12 base and an nginx target expected"
echo "ok   docker-compose.yml: every role on PostgreSQL and NATS, nginx from the Dockerfile"
if docker compose version >/dev/null 2>&1; then
  (cd "$ROOT" && docker compose -f docker-compose.yml config -q) || fail "docker compose config"
  echo "ok   docker compose config"
else
  echo "skip docker compose config: no Docker Compose client here ('docker compose version' fails); checked the file's shape only"
fi

# base port B with B..B+19 free (below the ephemeral range, where free_port draws from)
B=$("$PY" - <<'PY'
import random, socket
for _ in range(500):
    b = random.randrange(12000, 30000)
    ok = True
    for p in range(b, b + 20):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        finally:
            s.close()
        if not ok:
            break
    if ok:
        print(b)
        break
PY
)
[ -n "$B" ] || fail "no free range of 20 ports"
chmod 755 "$TMP" # the postgres user and nginx workers must reach their directories under it
export ODDZY_STACK_DIR=$TMP/stack ODDZY_STACK_PORT=$B ODDZY_STACK_SPEED=30 ODDZY_STACK_SEED=5 \
  ODDZY_STACK_SCRAPE_INTERVAL=60 ODDZY_STACK_STANDBY_RETRY_MS=2000
STACK=$ROOT/scripts/stack.sh
CLIENT_PID=
teardown() {
  local rc=$?
  [ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
  if [ $rc -ne 0 ] && [ -d "$ODDZY_STACK_DIR/log" ]; then
    for f in "$ODDZY_STACK_DIR"/log/*.log; do
      echo "---- $(basename "$f") (last lines)"; tail -n 8 "$f" | cut -c1-400
    done
  fi
  "$STACK" down >/dev/null 2>&1 || true
  cleanup
}
trap teardown EXIT
trap 'exit 143' TERM INT # run the EXIT trap when `timeout` stops us

t_start=$(date +%s)
elapsed() { echo $(($(date +%s) - t_start)); }
"$STACK" up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; fail "scripts/stack.sh up"; }
source "$ODDZY_STACK_DIR/stack.env"
echo "ok   stack up on ports $B..$((B + 16)) in $(elapsed) s"
NGX=http://127.0.0.1:$STACK_P_NGINX
API=("$STACK_P_API1" "$STACK_P_API2")
psql_q() { psql "$STACK_PG_URL" -XAtq -c "$1"; }

# metric PORT REGEX: sum of the values of the sample lines matching REGEX ("" if none)
metric() {
  curl -fsS -m 3 "http://127.0.0.1:$1/metrics" 2>/dev/null | grep -E "^($2)" | awk '{s += $NF; n++} END {if (n) printf "%.0f\n", s}' || true
}

# ---- a socket.io client through nginx, subscribed to every race, keeping our own prices ----
EV=$TMP/events.log
(cd "$ROOT/tests/e2e" && exec "$NODE" stack_client.mjs "$NGX" all oddzy >"$EV" 2>"$TMP/client.err") &
CLIENT_PID=$!
for _ in $(seq 1 300); do grep -q "^READY" "$EV" && break; sleep 0.1; done
grep -q '^READY' "$EV" || { cat "$EV" "$TMP/client.err"; fail "socket.io client not subscribed through nginx"; }

# ours EV SINCE_MS: the last updatePrice of our own market (provider oddzy, fixed_win) received
# after SINCE_MS for each (race, runner), as lines "race number price recv_ms", newest last
ours() {
  "$PY" - "$1" "$2" <<'PY'
import json, sys
last = {}
for line in open(sys.argv[1]):
    if not line.startswith("EVENT "):
        continue
    _, ms, js = line.rstrip("\n").split(" ", 2)
    if int(ms) < int(sys.argv[2]):
        continue
    e = json.loads(js)
    if e.get("provider") == "oddzy" and e.get("market") == "fixed_win":
        last[(e["race_id"], e["number"])] = (e["price"], int(ms))
for (race, num), (price, ms) in sorted(last.items(), key=lambda kv: kv[1][1]):
    print(race, num, price, ms)
PY
}

# card_shows PORT SINCE_MS: within 20 s, the race card read from the API node on PORT shows
# for some runner the price of the client's latest event for it (received after SINCE_MS);
# prints "race number price", or on failure what the cards showed instead
card_shows() {
  "$PY" - "$EV" "$1" "$2" <<'PY'
import json, sys, time, urllib.request
ev, port, since = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline, seen = time.time() + 20, []
while time.time() < deadline:
    last = {}
    for line in open(ev):
        if not line.startswith("EVENT "):
            continue
        _, ms, js = line.rstrip("\n").split(" ", 2)
        e = json.loads(js)
        if int(ms) >= since and e.get("provider") == "oddzy" and e.get("market") == "fixed_win":
            last[(e["race_id"], e["number"])] = (int(ms), e["price"])
    for (race, num), (ms, price) in sorted(last.items(), key=lambda kv: -kv[1][0])[:8]:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%s/api/races/%d" % (port, race), timeout=5) as r:
                card = json.load(r)
        except Exception as ex:
            seen.append("race %d: %s" % (race, ex))
            continue
        got = [r["prices"]["fixed_win"] for r in card["runners"] if r["number"] == num]
        if got and got[0] is not None and abs(got[0] - price) < 1e-9:
            print(race, num, price)
            sys.exit(0)
        seen.append("race %d runner %d: card %s, pushed %s" % (race, num, got, price))
    time.sleep(0.3)
print("; ".join(seen[-6:]) or "no event")
sys.exit(1)
PY
}

wait_ours() { # SINCE_MS SECONDS: an oddzy price event received after SINCE_MS
  for _ in $(seq 1 $(($2 * 5))); do [ -n "$(ours "$EV" "$1")" ] && return 0; sleep 0.2; done
  return 1
}

# ---- (a) price through nginx, race card from the other node ----
wait_ours 0 60 || { tail -n 5 "$EV"; fail "(a) no updatePrice from the price updater through nginx within 60 s"; }
echo "ok   (a) socket.io client through nginx receives updatePrice ($(grep -c '^EVENT' "$EV") events so far, $(elapsed) s)"
mine=""; other=""
for _ in $(seq 1 20); do
  for i in 0 1; do
    n=$(metric "${API[$i]}" 'oddzy_live_connections\{transport="socketio_(websocket|polling)"\}')
    if [ "${n:-0}" -gt 0 ]; then mine=${API[$i]}; other=${API[$((1 - i))]}; fi
  done
  [ -n "$mine" ] && break; sleep 0.25
done
[ -n "$mine" ] || fail "(a) neither API node reports the socket.io client"
shown=$(card_shows "$other" 0) || fail "(a) the race card on the other API node (:$other) never showed the client's latest price: $shown"
echo "ok   (a) client on API :$mine; race card from API :$other shows the pushed price (race, runner, price: $shown) [$(elapsed) s]"

# ---- (b) both racing services answer requests ----
g1=$(metric "$STACK_P_RACING1" 'oddzy_store_op_seconds_count\{op="get_race"\}')
g2=$(metric "$STACK_P_RACING2" 'oddzy_store_op_seconds_count\{op="get_race"\}')
ids=$(curl -fsS "$NGX/api/racing/schedule" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
ids = []
def walk(x):
    if isinstance(x, dict):
        if isinstance(x.get("race_id"), int): ids.append(x["race_id"])
        ids.extend(i for i in x.get("race_ids") or [] if isinstance(i, int))
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(d)
print(" ".join(str(i) for i in sorted(set(ids))[:12]))')
[ -n "$ids" ] || fail "(b) no race ids in the schedule"
# read_cards RACE_IDS: every race card from both API nodes, 8 at a time
read_cards() {
  for id in $1; do for p in "${API[@]}"; do echo "http://127.0.0.1:$p/api/races/$id"; done; done |
    xargs -P 8 -n 1 curl -sS -o /dev/null -m 10 || true
}
read_cards "$ids"
h1=$(metric "$STACK_P_RACING1" 'oddzy_store_op_seconds_count\{op="get_race"\}')
h2=$(metric "$STACK_P_RACING2" 'oddzy_store_op_seconds_count\{op="get_race"\}')
if [ "${h1:-0}" -le "${g1:-0}" ] || [ "${h2:-0}" -le "${g2:-0}" ]; then
  fail "(b) both racing services should answer get_race: racing1 ${g1:-0} -> ${h1:-0}, racing2 ${g2:-0} -> ${h2:-0}"
fi
echo "ok   (b) both racing services answer: get_race racing1 +$((h1 - g1)), racing2 +$((h2 - g2)) for $(echo "$ids" | wc -w) race cards x 2 nodes [$(elapsed) s]"

# ---- (c) kill -9 the active scraper ----
leader_ports() { # ports of scrapers reporting oddzy_scraper_leader 1
  for p in "$STACK_P_SCRAPER1" "$STACK_P_SCRAPER2"; do
    if [ "$(metric "$p" oddzy_scraper_leader)" = 1 ]; then echo "$p"; fi
  done
}
active=$(leader_ports)
[ "$(echo "$active" | wc -w)" = 1 ] || fail "(c) expected exactly one active scraper, got ports: '$active'"
if [ "$active" = "$STACK_P_SCRAPER1" ]; then victim=scraper1 standby=$STACK_P_SCRAPER2; else victim=scraper2 standby=$STACK_P_SCRAPER1; fi
[ "$(metric "$active" oddzy_races_updated_total)" -gt 0 ] || fail "(c) the active scraper has updated no race"
before_races=$(psql_q "SELECT count(*) FROM races")
kill -KILL "$("$STACK" pid "$victim")"
t0=$(date +%s%N)
took=""
for _ in $(seq 1 150); do
  if [ "$(metric "$standby" oddzy_scraper_leader)" = 1 ]; then took=$((($(date +%s%N) - t0) / 1000000)); break; fi
  sleep 0.1
done
[ -n "$took" ] || fail "(c) the standby (:$standby) did not take over within 15 s"
echo "ok   (c) $victim killed (SIGKILL); the standby took over in $took ms [$(elapsed) s]"
grep -q 'leadership taken' "$ODDZY_STACK_DIR/log/$([ "$victim" = scraper1 ] && echo scraper2 || echo scraper1).log" ||
  fail "(c) no 'leadership taken' log line on the standby"
u=""
for _ in $(seq 1 60); do
  u=$(metric "$standby" oddzy_races_updated_total)
  [ "${u:-0}" -gt 0 ] && break; sleep 0.5
done
[ "${u:-0}" -gt 0 ] || fail "(c) the new active scraper updated no race within 30 s"
echo "ok   (c) races keep updating after the handover (new active scraper: $u races updated) [$(elapsed) s]"
# nothing duplicated: source keys, race numbers in a meeting, runner numbers in a race, price points
dups=$(psql_q "SELECT (SELECT count(*) - count(DISTINCT source_key) FROM meetings)
  + (SELECT count(*) - count(DISTINCT source_key) FROM races)
  + (SELECT count(*) - count(DISTINCT source_key) FROM selections)
  + (SELECT count(*) FROM (SELECT 1 FROM races GROUP BY meeting_id, number HAVING count(*) > 1) x)
  + (SELECT count(*) FROM (SELECT 1 FROM selections GROUP BY race_id, number HAVING count(*) > 1) y)
  + (SELECT count(*) FROM (SELECT 1 FROM prices GROUP BY selection_id, provider, market, ts HAVING count(*) > 1) z)")
[ "$dups" = 0 ] || fail "(c) duplicated rows: $dups"
# nothing lost: every meeting and race the source lists for the scraper's window is stored
lost=""
for _ in $(seq 1 40); do
  win=$(curl -fsS -m 3 "$NGX/api/scraper/status" | "$PY" -c 'import json,sys; w=json.load(sys.stdin)["window"]; print(w["from"], w["to"])' 2>/dev/null) || { sleep 0.5; continue; }
  read -r from to <<<"$win"
  curl -fsS "http://127.0.0.1:$STACK_P_FEED/affiliates/v1/racing/meetings?date_from=$from&date_to=$to" >"$TMP/feed.json" || { sleep 0.5; continue; }
  psql_q "SELECT 'm ' || source_key FROM meetings UNION ALL SELECT 'r ' || source_key FROM races" >"$TMP/stored.txt"
  lost=$("$PY" - "$TMP/feed.json" "$TMP/stored.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["data"]["meetings"]
stored = set(l.strip() for l in open(sys.argv[2]))
want = set("m " + m["meeting"] for m in d) | set("r " + r["id"] for m in d for r in m["races"])
missing = want - stored
print(len(missing), len(want))
PY
)
  [ "${lost%% *}" = 0 ] && break
  sleep 0.5
done
[ "${lost%% *}" = 0 ] || fail "(c) rows lost: ${lost% *} of ${lost#* } meetings and races of the source are not stored"
after_races=$(psql_q "SELECT count(*) FROM races")
[ "$after_races" -ge "$before_races" ] || fail "(c) races went from $before_races to $after_races"
echo "ok   (c) no duplicated rows; none lost: all ${lost#* } meetings and races of the source's window stored ($after_races races) [$(elapsed) s]"

# ---- (d) restart nats-server, then PostgreSQL ----
warm=$(ours "$EV" 0 | tail -n 40 | awk '{print $1}' | sort -un | tr '\n' ' ')
read_cards "$warm"
echo "     (d) race cards of $(echo "$warm" | wc -w) races with prices read from both nodes [$(elapsed) s]"
for what in nats postgres; do
  "$STACK" restart "$what" >/dev/null || fail "(d) restart $what"
  since=$(date +%s%3N)
  wait_ours "$since" 45 || fail "(d) no new price reached the client within 45 s after restarting $what"
  echo "     (d) $what restarted; a new price reached the client [$(elapsed) s]"
  for p in "${API[@]}"; do
    wait_http "http://127.0.0.1:$p/readyz" 20 >/dev/null || fail "(d) API :$p not ready after restarting $what"
    shown=$(card_shows "$p" "$since") || fail "(d) race cards on API :$p do not show new prices after restarting $what: $shown"
  done
  echo "ok   (d) $what restarted: new prices reach the client and both nodes' race cards (e.g. $shown) [$(elapsed) s]"
done
# after the database restart: one active scraper again, and it updates races
active=""
# (a scraper losing its lock first finishes the store call in flight: up to 10 s)
for _ in $(seq 1 225); do active=$(leader_ports); [ "$(echo "$active" | wc -w)" = 1 ] && break; sleep 0.2; done
[ "$(echo "$active" | wc -w)" = 1 ] || fail "(d) no single active scraper after the database restart ('$active')"
u0=$(metric "$active" oddzy_races_updated_total); u1=$u0
for _ in $(seq 1 60); do u1=$(metric "$active" oddzy_races_updated_total); [ "${u1:-0}" -gt "${u0:-0}" ] && break; sleep 0.5; done
[ "${u1:-0}" -gt "${u0:-0}" ] || fail "(d) the active scraper stores no race updates after the database restart"
errs=$(grep -h '"level":"error"' "$ODDZY_STACK_DIR"/log/{racing,api}*.log | grep -vc '"route":"/readyz"' || true)
echo "ok   (d) one active scraper (:$active) storing updates again; $errs error lines during the drills [$(elapsed) s]"
grep -q '"msg":"bus reconnected"' "$ODDZY_STACK_DIR/log/api1.log" || fail "(d) api1 did not log a bus reconnect"
echo "stack: all checks passed in $(elapsed) s"
