#!/usr/bin/env bash
# oddzy run on a loopback port: endpoint content, errors, 304, gzip, health and metrics; the
# HTTP hardening (JSON for what the engine refuses, CL+TE, security headers, /metrics peers).
source "$(dirname "$0")/lib.bash"
P=$(free_port)
"$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/run.db" --speed 30 --seed 5 --web "" --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/readyz" 20 || { cat "$TMP/run.log"; fail "not ready"; }
U="http://127.0.0.1:$P"
for _ in $(seq 1 50); do
  RID=$(curl -fsS "$U/api/racing/next?limit=1" | "$PY" -c 'import json,sys; r=json.load(sys.stdin)["races"]; print(r[0]["race_id"] if r else "")')
  [ -n "$RID" ] && break; sleep 0.2
done
[ -n "$RID" ] || fail "no next race"
[ "$(code "$U/api/racing/racecard?race_id=$RID")" = 200 ] || fail "racecard"
"$PY" - "$TMP/body" "$RID" <<'PY' || fail "racecard content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["race"]["race_id"] == int(sys.argv[2])
assert int(sys.argv[2]) in d["meeting"]["race_ids"]
for k in ("meeting_id", "scheduled_start", "status", "results", "last_update"):
    assert k in d["race"], k
for r in d["runners"]:
    for k in ("selection_id", "barrier", "jockey", "weight", "is_scratched", "prices"):
        assert k in r, k
PY
[ "$(code "$U/api/races/$RID")" = 200 ] || fail "/api/races/{id}"
[ "$(code "$U/api/races/$RID/flucs")" = 200 ] || fail "flucs"
[ "$(code "$U/api/racing/schedule")" = 200 ] || fail "schedule"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); g=d["groups"]; assert g and g[0]["meetings"][0]["has_races"]' "$TMP/body" || fail "schedule content"
# the day's schedule (tens of KB): the same bytes as its gzip variant decoded
same=
# the same version (ETag) of both: the world moves on between requests (at --speed 30 the
# schedule is rebuilt up to 20 times a second), so both go on one connection, back to back, and
# a pair that straddles a rebuild is tried again
for _ in $(seq 1 30); do
  curl -fsS -D "$TMP/hp" -o "$TMP/plain" "$U/api/racing/schedule" \
    --next -fsS --compressed -H 'Accept-Encoding: gzip' -D "$TMP/hg" -o "$TMP/gz" "$U/api/racing/schedule"
  [ "$(grep -i '^etag:' "$TMP/hp")" = "$(grep -i '^etag:' "$TMP/hg")" ] || continue
  cmp -s "$TMP/plain" "$TMP/gz" || fail "schedule: plain and gzip bodies of one version differ"
  same=1; break
done
[ -n "$same" ] || fail "schedule: no two requests saw the same version"
[ "$(code "$U/api/racing/schedule?type=greyhound")" = 200 ] || fail "schedule by type"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(g["race_type"]=="greyhound" for g in d["groups"])' "$TMP/body" || fail "type filter"
MID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["groups"][0]["meetings"][0]["meeting_id"])' "$TMP/body")
[ "$(code "$U/api/meetings/$MID")" = 200 ] || fail "meeting"
# errors
[ "$(code "$U/api/racing/schedule?date=2026-02-30")" = 400 ] || fail "bad date not 400"
grep -q '"error":"bad_request"' "$TMP/body" || fail "error body"
[ "$(code "$U/api/racing/racecard?race_id=abc")" = 400 ] || fail "bad id not 400"
[ "$(code "$U/api/racing/racecard?race_id=99999999")" = 404 ] || fail "unknown race not 404"
[ "$(code "$U/api/racing/schedule?type=camel")" = 400 ] || fail "bad type"
[ "$(code -X POST "$U/api/racing/schedule")" = 405 ] || fail "POST not 405"
[ "$(code "$U/api/nothing")" = 404 ] || fail "unknown api path"
[ "$(code "$U/api/racing/schedule?date=$(head -c 6000 /dev/zero | tr '\0' 'x')")" = 414 ] || fail "long uri not 414"
[ "$(code -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' 'y')" "$U/healthz")" = 431 ] || fail "big header not 431"
# conditional GET and gzip
# (the card moves with its prices: a 200 with another ETag means it changed in between, so
# ask again; an unchanged card must answer 304)
got304=
for _ in 1 2 3 4 5; do
  ET=$(curl -s -D - -o /dev/null "$U/api/racing/racecard?race_id=$RID" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
  [ -n "$ET" ] || fail "no ETag"
  [ "$(code -H "If-None-Match: $ET" "$U/api/racing/racecard?race_id=$RID")" = 304 ] && { got304=1; break; }
done
[ -n "$got304" ] || fail "no 304 in five tries"
curl -s -D "$TMP/h" -o "$TMP/gz" -H 'Accept-Encoding: gzip' "$U/api/racing/schedule"
grep -qi '^content-encoding: gzip' "$TMP/h" || fail "no gzip"
gzip -t "$TMP/gz" || fail "bad gzip body"
# brotli for a browser's Accept-Encoding (that it decodes to the very plain bytes is
# tests/http/test_http.c's test_variants; here the view changes under us at --speed 30)
curl -s -D "$TMP/hb" -o "$TMP/br" -H 'Accept-Encoding: gzip, deflate, br, zstd' "$U/api/racing/schedule"
grep -qi '^content-encoding: br' "$TMP/hb" || fail "no brotli for a browser's Accept-Encoding"
grep -qi '^vary: accept-encoding' "$TMP/hb" || fail "no Vary on the brotli answer"
curl -s --compressed -o "$TMP/unbr" -H 'Accept-Encoding: br' "$U/api/racing/schedule"
"$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["groups"]' "$TMP/unbr" || fail "brotli body does not decode to the schedule"
[ "$(stat -c %s "$TMP/br")" -lt "$(stat -c %s "$TMP/unbr")" ] || fail "brotli body not smaller"
curl -s -D "$TMP/hp" -o /dev/null -H 'Accept-Encoding: br;q=0, identity' "$U/api/racing/schedule"
grep -qi '^content-encoding' "$TMP/hp" && fail "br refused and identity asked, a coding sent"
# correlation id comes back
curl -s -D "$TMP/h" -o /dev/null -H 'X-Correlation-Id: test-corr-1' "$U/api/racing/schedule"
grep -qi '^x-correlation-id: test-corr-1' "$TMP/h" || fail "correlation id not returned"
# health, metrics
[ "$(code "$U/healthz")" = 200 ] || fail healthz
[ "$(code "$U/metrics")" = 200 ] || fail metrics
grep -q '^oddzy_http_requests_total{' "$TMP/body" || fail "no request metrics"
grep -q '^oddzy_scrapes_total{' "$TMP/body" || fail "no scrape metrics"
if command -v promtool >/dev/null; then promtool check metrics < "$TMP/body" || fail "promtool"; fi
# HTTP hardening: what the engine refuses is answered in JSON, CL+TE is refused, nosniff
"$PY" - "$P" <<'PY' || fail "engine rejections"
import json, socket, sys, threading
port = int(sys.argv[1])
def send(data):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(10)
    got = []
    def rd():
        b = b""
        try:
            while True:
                x = s.recv(65536)
                if not x: break
                b += x
        except OSError: pass
        got.append(b)
    t = threading.Thread(target=rd); t.start()
    try: s.sendall(data)
    except OSError: pass  # answered and closed before we finished: the answer still counts
    t.join(); s.close()
    return got[0]
def check(name, data, status=400, word="bad_request"):
    raw = send(data)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 %d " % status), (name, lines[0])
    h = {k.lower(): v for k, _, v in (l.partition(": ") for l in lines[1:])}
    assert h.get("content-type") == "application/json", (name, h)
    assert h.get("x-content-type-options") == "nosniff", (name, h)
    assert h.get("connection") == "close", (name, h)
    j = json.loads(body)
    assert j["error"] == word and j["message"], (name, j)
    assert raw.count(b"HTTP/1.") == 1, (name, "a second response", raw)
check("1 MB URL", b"GET /api/racing/schedule?d=" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
check("500 headers", b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(500)) + b"\r\n")
check("NUL in a header", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n")
check("HTTP/0.9", b"GET /healthz\r\n\r\n")
check("bad request line", b"GET  /healthz  HTTP/1.1 x\r\n\r\n")
smuggled = b"GET /api/racing/next HTTP/1.1\r\nHost: x\r\n\r\n"
check("CL+TE", b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (5 + len(smuggled)) + smuggled)
check("TE+CL", b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + smuggled)
check("CL twice", b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(smuggled) + smuggled)
PY
curl -s -D "$TMP/h" -o "$TMP/body" "$U/api/racing/schedule?date=bad"
grep -qi '^x-content-type-options: nosniff' "$TMP/h" || fail "no nosniff on a JSON error"
curl -s -D "$TMP/h" -o /dev/null "$U/metrics"
grep -qi '^x-content-type-options: nosniff' "$TMP/h" || fail "no nosniff on /metrics"
grep -qi '^content-security-policy' "$TMP/h" && fail "CSP on a non-HTML response"
[ "$(code "$U/api/scraper/status")" = 200 ] || fail "scraper status"
[ "$(code "$U/api/scraper/queue")" = 200 ] || fail "scraper queue"
[ "$(code "$U/api/scraper/history")" = 200 ] || fail "scraper history"
"$PY" -c 'import json,sys; h=json.load(open(sys.argv[1])); assert h and h[0]["outcome"]' "$TMP/body" || fail "history content"
# /metrics on the API port: loopback peers only unless opened; the HTML gets its policy.
# Needs an address of this host that is not loopback to be the peer.
IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -n1 || true)
if [ -z "$IP" ]; then
  echo "SKIP: no non-loopback IPv4 address on this host for the /metrics peer check"
else
  mkdir -p "$TMP/www"; echo '<!doctype html><title>t</title>' >"$TMP/www/index.html"
  P2=$(free_port); P3=$(free_port); P4=$(free_port)
  "$ODDZY" api --host "$IP" --port "$P2" --db "$TMP/api2.db" --web "$TMP/www" --metrics-addr "$IP:$P4" --log-level warn >"$TMP/api2.log" 2>&1 &
  PIDS+=($!)
  ODDZY_METRICS_PUBLIC=1 "$ODDZY" api --host "$IP" --port "$P3" --db "$TMP/api3.db" --web "" --log-level warn >"$TMP/api3.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://$IP:$P2/healthz" 20 || { cat "$TMP/api2.log"; fail "api on $IP"; }
  wait_http "http://$IP:$P3/healthz" 20 || { cat "$TMP/api3.log"; fail "api on $IP (public metrics)"; }
  [ "$(code "http://$IP:$P2/metrics")" = 403 ] || fail "/metrics from $IP not 403"
  "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["error"]=="forbidden" and j["message"]' "$TMP/body" || fail "403 body"
  [ "$(code "http://$IP:$P4/metrics")" = 200 ] || fail "/metrics on the api's --metrics-addr listener not 200"
  grep -q '^oddzy_http_requests_total{' "$TMP/body" || fail "metrics listener content"
  [ "$(code "http://$IP:$P3/metrics")" = 200 ] || fail "/metrics with ODDZY_METRICS_PUBLIC=1 not 200"
  grep -q '^oddzy_http_requests_total{' "$TMP/body" || fail "public metrics content"
  [ "$(code "http://$IP:$P2/healthz")" = 200 ] || fail "other routes from $IP"
  for path in / /races/12; do
    curl -s -D "$TMP/h" -o /dev/null "http://$IP:$P2$path"
    tr -d '\r' <"$TMP/h" >"$TMP/h2"
    grep -qi '^content-type: text/html' "$TMP/h2" || fail "$path: not HTML"
    grep -qi '^x-content-type-options: nosniff$' "$TMP/h2" || fail "$path: nosniff"
    grep -qi "^content-security-policy: default-src 'self'; .*frame-ancestors 'none'$" "$TMP/h2" || fail "$path: CSP"
    grep -qi '^x-frame-options: DENY$' "$TMP/h2" || fail "$path: X-Frame-Options"
    grep -qi '^referrer-policy: strict-origin-when-cross-origin$' "$TMP/h2" || fail "$path: Referrer-Policy"
  done
fi
echo ok
