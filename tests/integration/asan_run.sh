#!/usr/bin/env bash
# The whole system under ASan+UBSan: build/asan/oddzy run (simulated world, scraper, price
# updater, exchange, racing service, API and live push in one process) serves its pages and
# live streams for a while, then stops on SIGTERM with exit 0, no sanitizer report and no leak
# at exit. The one leak suppressed (tests/lsan.supp) is libh2o 2.2.5's own: the chunks its
# event loop thread keeps for reuse in a thread-local list that the library has no call to
# empty.
source "$(dirname "$0")/lib.bash"
ASAN_ODDZY=${ASAN_ODDZY:-$ROOT/build/asan/oddzy}
[ -x "$ASAN_ODDZY" ] || fail "$ASAN_ODDZY not built (run: make build/asan/oddzy; make test does)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp:print_suppressions=0

P=$(free_port)
"$ASAN_ODDZY" run --port "$P" --db "$TMP/a.db" --web "" --speed 30 --log-level warn \
  >"$TMP/out.log" 2>"$TMP/err.log" &
PID=$!
PIDS+=("$PID")
wait_http "http://127.0.0.1:$P/readyz" 60 || { tail -n 30 "$TMP/err.log"; fail "not ready"; }
U="http://127.0.0.1:$P"

# live clients of every transport, connected while the world moves
timeout 12 curl -sN "$U/api/stream?race_id=all" >"$TMP/sse.out" 2>/dev/null &
SSE=$!
"$PY" - "$P" >"$TMP/ws.out" 2>&1 <<'EOF' &
import base64, os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
s.settimeout(1)
got, end = b"", time.time() + 10
while time.time() < end:
    try:
        b = s.recv(65536)
    except socket.timeout:
        continue
    if not b:
        break
    got += b
print("101" if b" 101 " in got.split(b"\r\n", 1)[0] else "no upgrade", len(got))
EOF
WS=$!

# until races are listed (the scraper's first sweep), then every kind of page
for _ in $(seq 1 100); do
  RID=$(curl -fsS "$U/api/racing/next?limit=1" | "$PY" -c 'import json,sys; r=json.load(sys.stdin)["races"]; print(r[0]["race_id"] if r else "")' 2>/dev/null || true)
  [ -n "$RID" ] && break
  sleep 0.2
done
[ -n "$RID" ] || fail "no race listed"
for path in "/api/racing/schedule" "/api/racing/racecard?race_id=$RID" \
  "/api/races/$RID/flucs" "/api/racing/next?limit=10" "/api/oddsmatcher?limit=20" \
  "/api/sources/unmatched" "/api/scraper/status" "/metrics"; do
  curl -fsS -o /dev/null "$U$path" || fail "GET $path failed"
  curl -fsS -o /dev/null -H 'Accept-Encoding: gzip, br' "$U$path" || fail "GET $path (compressed) failed"
done
# bad input answers with an error and changes nothing
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/racing/racecard?race_id=abc")
[ "$code" = 400 ] || fail "bad race_id answered $code"
curl -fsS -o /dev/null "$U/socket.io/?EIO=4&transport=polling" || fail "Engine.IO handshake failed"

wait "$WS" || true
wait "$SSE" 2>/dev/null || true
grep -q '^101 ' "$TMP/ws.out" || fail "/ws: $(cat "$TMP/ws.out")"
grep -q '^event: ' "$TMP/sse.out" || fail "/api/stream sent no event"

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP/err.log" || [ "$rc" -ne 0 ]; then
  grep -v '^{"ts' "$TMP/err.log" | head -n 60
  fail "oddzy run under ASan+UBSan ended with $rc or a sanitizer report"
fi
echo ok
