#!/usr/bin/env bash
# Logs: JSON lines with ts, level, service, msg, correlation_id; no line per successful request
# at the default level; errors at every level; --log-level / ODDZY_LOG_LEVEL; --log-format text;
# a request's X-Correlation-Id travels to the view build and the racing service (their log
# lines carry it) and comes back in the response header.
source "$(dirname "$0")/lib.bash"

# every line JSON with the standard fields; prints the number of lines
check_json_lines() {
  "$PY" - "$1" <<'PY'
import json, sys
n = 0
for i, line in enumerate(open(sys.argv[1]), 1):
    if not line.strip():
        continue
    try:
        d = json.loads(line)
    except ValueError:
        sys.exit("line %d is not JSON: %r" % (i, line))
    for k in ("ts", "level", "service", "msg", "correlation_id"):
        if k not in d:
            sys.exit("line %d lacks %s: %r" % (i, k, line))
    if d["level"] not in ("debug", "info", "warn", "error"):
        sys.exit("line %d: level %r" % (i, d["level"]))
    n += 1
print(n)
PY
}

# ---- default level: JSON, start-up lines, nothing per successful request ----
P=$(free_port)
"$ODDZY" api --port "$P" --host 127.0.0.1 --db "$TMP/a.db" --web "" >"$TMP/api.log" 2>"$TMP/api.err" &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/readyz" || { cat "$TMP/api.log" "$TMP/api.err"; fail "api not ready"; }
for _ in $(seq 1 20); do
  curl -fsS -o /dev/null "http://127.0.0.1:$P/healthz"
  curl -fsS -o /dev/null "http://127.0.0.1:$P/api/racing/schedule"
done
# a 5xx: no scraper answers on this bus
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Correlation-Id: err-1' "http://127.0.0.1:$P/api/scraper/status")" = 503 ] || fail "scraper status without a scraper: want 503"
sleep 0.3
n=$(check_json_lines "$TMP/api.log") || fail "api log: $n"
grep -q '"service":"api"' "$TMP/api.log" || fail "service name"
grep -q '"msg":"api ready"' "$TMP/api.log" || fail "no start-up line"
if grep -q '"msg":"request"' "$TMP/api.log"; then fail "a log line per successful request at the default level"; fi
[ "$n" -le 6 ] || { cat "$TMP/api.log"; fail "$n lines after 40 successful requests"; }
grep '"level":"error"' "$TMP/api.log" | grep -q '"route":"/api/scraper/\*"' || { cat "$TMP/api.log"; fail "the 5xx is not logged as an error"; }
echo "ok   default level: $n JSON lines, none per successful request, the 5xx logged"

# ---- --log-level error (environment): only errors; --log-format text ----
P2=$(free_port)
ODDZY_LOG_LEVEL=error "$ODDZY" api --port "$P2" --host 127.0.0.1 --db "$TMP/b.db" --web "" >"$TMP/err.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P2/readyz" || fail "api (error level) not ready"
curl -s -o /dev/null "http://127.0.0.1:$P2/api/scraper/status"
sleep 0.3
check_json_lines "$TMP/err.log" >/dev/null || fail "error-level log"
if grep -v '"level":"error"' "$TMP/err.log" | grep -q .; then cat "$TMP/err.log"; fail "non-error lines at level error"; fi
grep -q '"level":"error"' "$TMP/err.log" || fail "errors must be logged at level error"
echo "ok   ODDZY_LOG_LEVEL=error: errors only"

set +e
timeout 3 "$ODDZY" racing --db "$TMP/t.db" --log-format text >"$TMP/text.log" 2>&1
set -e
head -1 "$TMP/text.log" | grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} INFO +racing +racing service ready' || { cat "$TMP/text.log"; fail "--log-format text"; }
grep -q '^{' "$TMP/text.log" && fail "JSON in text format"
set +e
"$ODDZY" racing --db "$TMP/t.db" --log-level loud >/dev/null 2>"$TMP/e"; rc=$?
set -e
[ $rc = 2 ] && grep -q 'log-level' "$TMP/e" || fail "bad --log-level: exit $rc"
echo "ok   --log-format text, bad --log-level refused"

# ---- correlation id through a view build ----
P3=$(free_port)
"$ODDZY" run --port "$P3" --host 127.0.0.1 --db "$TMP/run.db" --speed 30 --seed 4 --web "" --log-level debug >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P3/readyz" 20 || { cat "$TMP/run.log"; fail "run not ready"; }
for _ in $(seq 1 50); do
  RID=$(curl -fsS "http://127.0.0.1:$P3/api/racing/next?limit=1" | "$PY" -c 'import json,sys; r=json.load(sys.stdin)["races"]; print(r[0]["race_id"] if r else "")')
  [ -n "$RID" ] && break; sleep 0.2
done
[ -n "$RID" ] || fail "no race"
# flucs of that race have not been asked for: a miss, built on a worker for this request
curl -s -D "$TMP/h" -o /dev/null -H 'X-Correlation-Id: it-corr-42' "http://127.0.0.1:$P3/api/races/$RID/flucs"
grep -qi '^x-correlation-id: it-corr-42' "$TMP/h" || { cat "$TMP/h"; fail "correlation id not returned on a cache miss"; }
# an unknown race: the error answer carries it too
curl -s -D "$TMP/h" -o /dev/null -H 'X-Correlation-Id: it-corr-43' "http://127.0.0.1:$P3/api/racing/racecard?race_id=99999999"
grep -qi '^x-correlation-id: it-corr-43' "$TMP/h" || { cat "$TMP/h"; fail "correlation id not returned on a 404"; }
sleep 0.5
"$PY" - "$TMP/run.log" <<'PY' || fail "correlation id not in the build's log lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
mine = [d for d in lines if d.get("correlation_id") == "it-corr-42"]
ops = {d.get("op") for d in mine if d["msg"] == "racing request"}
if "list_selections" not in ops and "flucs" not in ops:
    sys.exit("racing requests of the build with the id: %r (all with it: %r)" % (ops, mine[:5]))
print("ok   correlation id it-corr-42 on %d log lines of the build (ops %s)" % (len(mine), sorted(o for o in ops if o)))
PY
# a generated id when the client sends none, or sends a bad one
curl -s -D "$TMP/h" -o /dev/null -H 'X-Correlation-Id: bad id"<x>' "http://127.0.0.1:$P3/api/racing/schedule"
grep -qiE '^x-correlation-id: [0-9a-f]{32}' "$TMP/h" || fail "malformed correlation id not replaced"
echo ok
