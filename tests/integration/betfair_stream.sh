#!/usr/bin/env bash
# oddzy betfair against a scripted Stream API exchange on loopback (plain TCP, python3):
# the handshake with the secrets from the environment and a file, the recorded greyhound WIN
# market streamed into SQLite (race FINAL, winner trap 2, prices), the secrets in no log line;
# missing secrets are refused.
source "$(dirname "$0")/lib.bash"
FIX=${ODDZY_FIXTURES:-$ROOT/tests/fixtures}/betfair
P=$(free_port)
"$PY" - "$P" "$FIX/historic-1.197931750-greyhound-win" "$TMP/requests" <<'PY' &
import json, socket, sys
port, path, reqs = int(sys.argv[1]), sys.argv[2], sys.argv[3]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1)
conn, _ = srv.accept(); f = conn.makefile("rb")
def send(o): conn.sendall((json.dumps(o) if not isinstance(o, str) else o).encode() + b"\r\n")
send({"op": "connection", "connectionId": "sim"})
seen = [f.readline().decode()]; send({"op": "status", "id": 0, "statusCode": "SUCCESS"})
seen.append(f.readline().decode()); send({"op": "status", "id": 1, "statusCode": "SUCCESS"})
open(reqs, "w").write("".join(seen))
for i, line in enumerate(open(path)):
    m = json.loads(line)
    if i == 0:
        m.update(ct="SUB_IMAGE", initialClk="I", heartbeatMs=5000)
    send(m)
    __import__("time").sleep(0.03)  # about 5 s for the market: several sends of its prices
while True:
    try:
        send({"op": "mcm", "id": 1, "ct": "HEARTBEAT", "clk": "H"}); __import__("time").sleep(1)
    except OSError:
        break
PY
PIDS+=($!)
sleep 0.5
printf 'app-key-123\n' >"$TMP/key"
ODDZY_BETFAIR_SESSION=sess-secret-456 "$ODDZY" betfair --stream "127.0.0.1:$P" --plain \
  --app-key-file "$TMP/key" --db "$TMP/b.db" --tz Europe/London --log-level debug >"$TMP/b.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do
  st=$(sql "$TMP/b.db" "select status from races" 2>/dev/null || true)
  [ "$st" = 3 ] && break; sleep 0.2
done
[ "$st" = 3 ] || { cat "$TMP/b.log"; fail "race not FINAL (status '${st:-none}')"; }
grep -q '"appKey":"app-key-123"' "$TMP/requests" || fail "app key not sent"
grep -q '"session":"sess-secret-456"' "$TMP/requests" || fail "session token not sent"
grep -q '"eventTypeIds":\["7","4339"\]' "$TMP/requests" || fail "subscription filter: $(cat "$TMP/requests")"
[ "$(sql "$TMP/b.db" "select results from races")" = '[{"position":1,"number":2,"margin":""}]' ] || fail "result"
[ "$(sql "$TMP/b.db" "select count(*) from prices where provider='betfair'")" -gt 10 ] || fail "no prices"
grep -q "sess-secret-456\|app-key-123" "$TMP/b.log" && fail "a secret in the log"
if "$ODDZY" betfair --plain --db "$TMP/c.db" >"$TMP/c.log" 2>&1; then fail "started without secrets"; fi
grep -q "ODDZY_BETFAIR_APP_KEY" "$TMP/c.log" || fail "missing secret not named"
echo "PASS: streamed race FINAL, secrets sent and never logged"
