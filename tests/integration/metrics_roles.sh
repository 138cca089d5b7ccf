#!/usr/bin/env bash
# Every role's /metrics passes `promtool check metrics` and shows what that role measures:
# oddzy feed, oddzy scraper and oddzy racing through their --metrics-addr listener (and
# oddzy prices when it is built), oddzy api on its own port. Also: /healthz on the listener,
# a bad --metrics-addr is a usage error (exit 2) and a port in use a runtime one (exit 1).
source "$(dirname "$0")/lib.bash"
command -v promtool >/dev/null || fail "promtool not installed (scripts/setup.sh installs prometheus)"
CLOCK=(--speed 60 --clock-anchor "$ANCHOR")

# check_metrics ROLE URL METRIC...: 200, the exposition content type, promtool clean, and each
# METRIC (a regex anchored at the start of a sample line) present.
check_metrics() {
  local role=$1 url=$2; shift 2
  local out="$TMP/$role.metrics" code
  code=$(curl -s -D "$TMP/$role.head" -o "$out" -w '%{http_code}' "$url")
  [ "$code" = 200 ] || fail "$role: GET $url answered $code"
  grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/$role.head" || fail "$role: content type"
  promtool check metrics <"$out" || fail "$role: promtool check metrics"
  for m in oddzy_process_start_time_seconds oddzy_process_uptime_seconds \
           oddzy_process_resident_memory_bytes oddzy_process_open_fds 'oddzy_build_info\{version="' "$@"; do
    grep -qE "^$m" "$out" || { grep -v '^#' "$out" | head -40; fail "$role: no $m"; }
  done
  echo "ok   $role: $(grep -vc '^#' "$out") samples, promtool clean"
}
# value FILE SERIES: the value of one sample line (series written as in the exposition)
value() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }

# ---- usage errors ----
set +e
"$ODDZY" racing --db "$TMP/x.db" --metrics-addr nonsense >/dev/null 2>"$TMP/err"; rc=$?
set -e
[ $rc = 2 ] || fail "bad --metrics-addr: exit $rc, want 2"
grep -q 'bad metrics address' "$TMP/err" || fail "bad --metrics-addr: unclear error: $(cat "$TMP/err")"
set +e
ODDZY_METRICS_ADDR=127.0.0.1:99999 "$ODDZY" scraper --db "$TMP/x.db" >/dev/null 2>"$TMP/err"; rc=$?
set -e
[ $rc = 2 ] || fail "ODDZY_METRICS_ADDR with port 99999: exit $rc, want 2"

# ---- feed ----
FP=$(free_port); FM=$(free_port)
"$ODDZY" feed --port "$FP" --seed 3 "${CLOCK[@]}" --metrics-addr "127.0.0.1:$FM" --log-level warn >"$TMP/feed.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$FM/healthz" || { cat "$TMP/feed.log"; fail "feed metrics listener"; }
[ "$(curl -s "http://127.0.0.1:$FM/healthz")" = '{"status":"ok"}' ] || fail "feed: /healthz body"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FM/nothing")" = 404 ] || fail "listener: other paths 404"

# port in use: the feed's metrics port
set +e
"$ODDZY" racing --db "$TMP/x.db" --metrics-addr "127.0.0.1:$FM" >/dev/null 2>"$TMP/err"; rc=$?
set -e
[ $rc = 1 ] || fail "metrics port in use: exit $rc, want 1"
grep -q 'in use' "$TMP/err" || fail "port in use: unclear error: $(cat "$TMP/err")"

# ---- scraper (hosting its racing service on --db with the in-process bus) ----
DB="$TMP/s.db"; SM=$(free_port)
ODDZY_METRICS_ADDR="127.0.0.1:$SM" "$ODDZY" scraper --source "http://127.0.0.1:$FP" --format entain --db "$DB" \
  --rate 50 "${CLOCK[@]}" --schedule-interval 120 --log-level warn >"$TMP/scraper.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SM/healthz" || { cat "$TMP/scraper.log"; fail "scraper metrics listener"; }
for _ in $(seq 1 150); do
  curl -s -o "$TMP/s.m" "http://127.0.0.1:$SM/metrics" || true
  n=$(value "$TMP/s.m" oddzy_races_updated_total); [ "${n:-0}" -gt 0 ] 2>/dev/null && break
  sleep 0.2
done
[ "${n:-0}" -gt 0 ] 2>/dev/null || { cat "$TMP/scraper.log"; fail "scraper: no races updated"; }
check_metrics scraper "http://127.0.0.1:$SM/metrics" \
  'oddzy_scrapes_total\{call="schedule",outcome="success"\}' 'oddzy_scrape_duration_seconds_bucket\{' \
  oddzy_races_updated_total oddzy_runners_scratched_total oddzy_scraper_queue_races oddzy_races_open \
  'oddzy_store_op_seconds_count\{op="upsert_batch"\}' 'oddzy_store_errors_total\{op="upsert_batch"\} 0' \
  'oddzy_bus_messages_published_total\{bus="inproc"\}' 'oddzy_bus_messages_delivered_total\{' \
  'oddzy_bus_messages_dropped_total\{'
pub=$(value "$TMP/scraper.metrics" 'oddzy_bus_messages_published_total{bus="inproc"}')
[ "${pub:-0}" -gt 0 ] || fail "scraper: bus published $pub"

# ---- feed again, now that it has served the scraper ----
check_metrics feed "http://127.0.0.1:$FM/metrics"
curl -fsS -o /dev/null "http://127.0.0.1:$FP/feed-metrics" || fail "feed: /feed-metrics on its own port"

# ---- api (its own racing service on the scraper's database) ----
AP=$(free_port)
"$ODDZY" api --port "$AP" --host 127.0.0.1 --db "$DB" --web "" --log-level warn >"$TMP/api.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$AP/readyz" || { cat "$TMP/api.log"; fail "api not ready"; }
for u in /api/racing/schedule /api/racing/schedule /api/racing/next /api/racing/racecard?race_id=1 \
         /api/racing/racecard?race_id=99999999 /nope; do
  curl -s -o /dev/null "http://127.0.0.1:$AP$u"
done
check_metrics api "http://127.0.0.1:$AP/metrics" \
  'oddzy_http_requests_total\{method="GET",route="/api/racing/schedule",status="200"\}' \
  'oddzy_http_request_duration_seconds_bucket\{' 'oddzy_view_cache_requests_total\{result="hit"\}' \
  'oddzy_view_cache_requests_total\{result="miss"\}' oddzy_view_rebuilds_total oddzy_view_cache_entries \
  'oddzy_store_op_seconds_count\{op="list_meetings"\}' 'oddzy_bus_messages_published_total\{'

# ---- racing on its own ----
RM=$(free_port)
"$ODDZY" racing --db "$TMP/r.db" --metrics-addr "127.0.0.1:$RM" --log-level warn >"$TMP/racing.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$RM/healthz" || { cat "$TMP/racing.log"; fail "racing metrics listener"; }
check_metrics racing "http://127.0.0.1:$RM/metrics" oddzy_races_open \
  'oddzy_store_op_seconds_count\{op="next_races"\}' 'oddzy_store_errors_total\{op="next_races"\} 0' \
  'oddzy_bus_messages_published_total\{bus="inproc"\} 0'

# ---- prices, once the role exists ----
if "$ODDZY" prices --help 2>/dev/null | grep -q -- '--metrics-addr'; then
  PM=$(free_port)
  "$ODDZY" prices --db "$DB" "${CLOCK[@]}" --metrics-addr "127.0.0.1:$PM" --log-level warn >"$TMP/prices.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$PM/healthz" || { cat "$TMP/prices.log"; fail "prices metrics listener"; }
  for _ in $(seq 1 100); do # the first price moves of the markets it opened
    curl -s "http://127.0.0.1:$PM/metrics" | grep -q '^oddzy_price_changes_published_total' && break
    sleep 0.2
  done
  check_metrics prices "http://127.0.0.1:$PM/metrics" 'oddzy_bus_messages_published_total\{' \
    oddzy_price_changes_published_total oddzy_price_markets
else
  echo "skip prices: the role has no --metrics-addr yet"
fi

# ---- every metric the dashboard and the alerts query is one some role exports ----
"$PY" - "$ROOT/deploy/grafana/oddzy-dashboard.json" "$ROOT/deploy/prometheus/alerts.yml" "$TMP"/*.metrics <<'PY' || fail "dashboard or alerts query metrics no role exports"
import glob, json, re, sys
dash, alerts, outputs = sys.argv[1], sys.argv[2], sys.argv[3:]
have = set()
for f in outputs:
    for line in open(f):
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            have.add(m.group(1))
            if m.group(2) == "histogram":
                have.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
exprs = [t["expr"] for p in json.load(open(dash))["panels"] for t in p.get("targets", [])]
used = {}
for where, text in [("dashboard", "\n".join(exprs)), ("alerts.yml", open(alerts).read())]:
    for name in re.findall(r"\boddzy_[a-z0-9_]+", text):
        used.setdefault(name, where)
skipped = [n for n in used if n.startswith("oddzy_price_") and not any(f.endswith("prices.metrics") for f in outputs)]
missing = sorted("%s (%s)" % (n, w) for n, w in used.items() if n not in have and n not in skipped)
if missing:
    sys.exit("queried but exported by no role: " + ", ".join(missing))
print("ok   %d metric names queried by the dashboard and alerts, all exported%s" % (
    len(used), " (prices role not run: %s unchecked)" % skipped if skipped else ""))
PY
echo ok
