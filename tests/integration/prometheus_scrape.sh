#!/usr/bin/env bash
# A real Prometheus (Debian's /usr/bin/prometheus) on loopback, configured from
# deploy/prometheus/prometheus.yml with the targets moved to this test's ports and a 1 s scrape
# interval, scrapes `oddzy run`; a scraped value is read back through the HTTP API
# (/api/v1/query) and the alert rules of deploy/prometheus/alerts.yml are loaded and evaluated
# (/api/v1/rules).
source "$(dirname "$0")/lib.bash"
PROM=$(command -v prometheus || true)
[ -n "$PROM" ] || fail "prometheus not installed (scripts/setup.sh installs it)"
P=$(free_port); PP=$(free_port); DOWN=$(free_port)
while [ "$PP" = "$P" ] || [ "$DOWN" = "$P" ] || [ "$DOWN" = "$PP" ]; do PP=$(free_port); DOWN=$(free_port); done

"$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/run.db" --speed 30 --seed 9 --web "" --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/readyz" 20 || { cat "$TMP/run.log"; fail "oddzy run not ready"; }

# The shipped config, with: 1 s intervals; the api job on `oddzy run`; the prometheus job on
# this Prometheus; the other roles (not running here) on a port where nothing listens.
mkdir -p "$TMP/prom"
cp "$ROOT/deploy/prometheus/alerts.yml" "$TMP/prom/alerts.yml"
"$PY" - "$ROOT/deploy/prometheus/prometheus.yml" "$TMP/prom/prometheus.yml" "$P" "$PP" "$DOWN" <<'PY'
import re, sys
src, dst, api, prom, down = sys.argv[1:]
text = open(src).read()
for key, val in (("scrape_interval", "1s"), ("scrape_timeout", "1s"), ("evaluation_interval", "1s")):
    text, n = re.subn(r"(?m)^(\s+%s:)\s*\S+" % key, r"\g<1> %s" % val, text, count=1)
    assert n == 1, key
out, job, jobs = [], None, set()
for line in text.splitlines():
    m = re.match(r"\s*-\s*job_name:\s*(\S+)", line)
    if m:
        job = m.group(1); jobs.add(job)
    m = re.match(r"(\s*-?\s*targets:\s*)\[.*\]\s*$", line)
    if m:
        port = api if job == "oddzy-api" else prom if job == "prometheus" else down
        line = '%s["127.0.0.1:%s"]' % (m.group(1), port)
    out.append(line)
assert {"oddzy-api", "prometheus"} <= jobs, jobs
assert "rule_files" in text and "alerts.yml" in text, "rule_files must load alerts.yml"
open(dst, "w").write("\n".join(out) + "\n")
PY
grep -q "127.0.0.1:$P\"" "$TMP/prom/prometheus.yml" || fail "api target not rewritten"
if grep -qE '127\.0\.0\.1:(80[0-9][0-9]|9[01][0-9][0-9])"' "$TMP/prom/prometheus.yml"; then
  fail "a shipped port is left in the generated config"
fi
promtool check config "$TMP/prom/prometheus.yml" >/dev/null || { promtool check config "$TMP/prom/prometheus.yml"; fail "generated config"; }

"$PROM" --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/prom/tsdb" \
  --web.listen-address="127.0.0.1:$PP" --log.level=warn >"$TMP/prom.log" 2>&1 &
PIDS+=($!)
U="http://127.0.0.1:$PP"
wait_http "$U/-/ready" 30 || { cat "$TMP/prom.log"; fail "prometheus not ready"; }

# Traffic for the request counters, then read values back through the query API.
for _ in $(seq 1 5); do curl -s -o /dev/null "http://127.0.0.1:$P/api/racing/schedule"; done
# query EXPR: the value of the first result of an instant query ("" if none)
query() {
  curl -s --get "$U/api/v1/query" --data-urlencode "query=$1" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
r = d["data"]["result"] if d.get("status") == "success" else []
print(r[0]["value"][1] if r else "")'
}
got=""
for _ in $(seq 1 60); do
  got=$(query 'sum(oddzy_races_updated_total{job="oddzy-api",role="api"})')
  [ -n "$got" ] && "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "$got" && break
  got=""; sleep 0.5
done
[ -n "$got" ] || { cat "$TMP/prom.log"; curl -s "$U/api/v1/targets" | head -c 2000; fail "no oddzy_races_updated_total > 0 scraped"; }
echo "ok   scraped oddzy_races_updated_total = $got"
req=$(query 'sum(oddzy_http_requests_total{job="oddzy-api",route="/api/racing/schedule",status="200"})')
[ -n "$req" ] && "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 5 else 1)' "$req" || fail "oddzy_http_requests_total for the schedule: '$req'"
echo "ok   scraped oddzy_http_requests_total{route=\"/api/racing/schedule\"} = $req"
[ "$(query 'up{job="oddzy-api"}')" = 1 ] || fail "the api target is not up"
# query_soon EXPR: query's answer once it has one (up to 20 s): a series needs its first
# scrape, a rate two in its window
query_soon() {
  local v=""
  for _ in $(seq 1 40); do
    v=$(query "$1")
    [ -n "$v" ] && break
    sleep 0.5
  done
  echo "$v"
}
down=$(query_soon 'up{job="oddzy-racing"}')
[ "$down" = 0 ] || fail "a target with nothing listening should be down (up = '$down')"
h=$(query_soon 'histogram_quantile(0.99, sum by (le) (rate(oddzy_store_op_seconds_bucket{job="oddzy-api"}[10s])))')
[ -n "$h" ] || fail "no store latency histogram scraped"
echo "ok   store op p99 over 10 s: $h s"

# The alert rules are loaded and evaluate without errors.
for _ in $(seq 1 40); do
  curl -s "$U/api/v1/rules" >"$TMP/rules.json"
  "$PY" - "$TMP/rules.json" <<'PY' && break
import json, sys
d = json.load(open(sys.argv[1]))
rules = [r for g in d["data"]["groups"] for r in g["rules"]]
names = {r["name"] for r in rules if r["type"] == "alerting"}
want = {"OddzyTargetDown", "OddzySourceDown", "OddzyScrapeFailuresRising", "OddzySourceGarbage",
        "OddzyNoRacesUpdated", "OddzyApiErrorRatio", "OddzyStoreErrors", "OddzyBusDropping"}
missing = want - names
bad = [(r["name"], r.get("health"), r.get("lastError")) for r in rules if r.get("health") != "ok"]
if missing or bad:
    print("missing:", sorted(missing), "not ok yet:", bad)
    sys.exit(1)
print("ok   %d alert rules loaded from alerts.yml, all evaluated ok" % len(names))
PY
  sleep 0.5
done
"$PY" - "$TMP/rules.json" <<'PY' || fail "alert rules not loaded or not healthy"
import json, sys
d = json.load(open(sys.argv[1]))
rules = [r for g in d["data"]["groups"] for r in g["rules"]]
sys.exit(0 if all(r.get("health") == "ok" for r in rules) and len(rules) >= 8 else 1)
PY
# The racing target is down; its alert is pending (it fires only after 2 minutes). The rules
# are evaluated every second, and the evaluation that first sees the down target's `up` may
# come after the one that loaded them: asked for up to 15 s.
pending=
for _ in $(seq 1 30); do
  curl -s "$U/api/v1/rules?type=alert" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for g in d["data"]["groups"]:
    for r in g["rules"]:
        if r["name"] == "OddzyTargetDown":
            states = {a["labels"].get("job"): a["state"] for a in r.get("alerts", [])}
            sys.exit(0 if states.get("oddzy-racing") in ("pending", "firing") and "oddzy-api" not in states else 1)
sys.exit(1)' && { pending=1; break; }
  sleep 0.5
done
[ -n "$pending" ] || fail "OddzyTargetDown is not pending for the down target"
echo "ok   OddzyTargetDown pending for the target that is down, not for the api"
echo ok
