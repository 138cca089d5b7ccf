#!/usr/bin/env bash
# oddzy run on a loopback port: endpoint content, errors, 304, gzip, health and metrics.
source "$(dirname "$0")/lib.bash"
P=$(free_port)
"$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/run.db" --speed 30 --seed 5 --web "" --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/readyz" 20 || { cat "$TMP/run.log"; fail "not ready"; }
U="http://127.0.0.1:$P"
code() { curl -s -o "$TMP/body" -w '%{http_code}' "$@"; }
for _ in $(seq 1 50); do
  RID=$(curl -fsS "$U/api/racing/next?limit=1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["races"]; print(r[0]["race_id"] if r else "")')
  [ -n "$RID" ] && break; sleep 0.2
done
[ -n "$RID" ] || fail "no next race"
[ "$(code "$U/api/racing/racecard?race_id=$RID")" = 200 ] || fail "racecard"
python3 - "$TMP/body" "$RID" <<'PY' || fail "racecard content"
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
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); g=d["groups"]; assert g and g[0]["meetings"][0]["has_races"]' "$TMP/body" || fail "schedule content"
[ "$(code "$U/api/racing/schedule?type=greyhound")" = 200 ] || fail "schedule by type"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(g["race_type"]=="greyhound" for g in d["groups"])' "$TMP/body" || fail "type filter"
MID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["groups"][0]["meetings"][0]["meeting_id"])' "$TMP/body")
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
ET=$(curl -s -D - -o /dev/null "$U/api/racing/racecard?race_id=$RID" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
[ -n "$ET" ] || fail "no ETag"
[ "$(code -H "If-None-Match: $ET" "$U/api/racing/racecard?race_id=$RID")" = 304 ] || fail "no 304"
curl -s -D "$TMP/h" -o "$TMP/gz" -H 'Accept-Encoding: gzip' "$U/api/racing/schedule"
grep -qi '^content-encoding: gzip' "$TMP/h" || fail "no gzip"
gzip -t "$TMP/gz" || fail "bad gzip body"
# correlation id comes back
curl -s -D "$TMP/h" -o /dev/null -H 'X-Correlation-Id: test-corr-1' "$U/api/racing/schedule"
grep -qi '^x-correlation-id: test-corr-1' "$TMP/h" || fail "correlation id not returned"
# health, metrics
[ "$(code "$U/healthz")" = 200 ] || fail healthz
[ "$(code "$U/metrics")" = 200 ] || fail metrics
grep -q '^oddzy_http_requests_total{' "$TMP/body" || fail "no request metrics"
grep -q '^oddzy_scrapes_total{' "$TMP/body" || fail "no scrape metrics"
if command -v promtool >/dev/null; then promtool check metrics < "$TMP/body" || fail "promtool"; fi
[ "$(code "$U/api/scraper/status")" = 200 ] || fail "scraper status"
[ "$(code "$U/api/scraper/queue")" = 200 ] || fail "scraper queue"
[ "$(code "$U/api/scraper/history")" = 200 ] || fail "scraper history"
python3 -c 'import json,sys; h=json.load(open(sys.argv[1])); assert h and h[0]["outcome"]' "$TMP/body" || fail "history content"
echo ok
