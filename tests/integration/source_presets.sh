#!/usr/bin/env bash
# Sources as providers: the identification headers reach the source (From, X-Partner,
# X-Partner-ID), a bookmaker brand's prices are stored under its own provider, and bad
# source flags are refused with a clear error (exit 2) before anything starts; `oddzy run
# --sources` puts a file's sources beside its simulated world.
source "$(dirname "$0")/lib.bash"

# ---- headers: a source that records what it was sent ----
CP=$(free_port)
"$PY" - "$CP" "$TMP/headers" >"$TMP/capture.log" 2>&1 <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(out, "a") as f:
            f.write(self.path + "\n" + "".join(f"{k}: {v}\n" for k, v in self.headers.items()) + "\n")
        self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
PIDS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$CP/" && break; sleep 0.1; done
"$ODDZY" scraper --source "http://127.0.0.1:$CP" --format entain --db "$TMP/h.db" --rate 20 \
  --from ops@example.com --partner "Oddzy Tests" --partner-id oddzy-1 --log-level warn >"$TMP/h.log" 2>&1 &
SP=$!; PIDS+=($SP)
for _ in $(seq 1 100); do grep -q "^/affiliates" "$TMP/headers" 2>/dev/null && break; sleep 0.1; done
kill $SP 2>/dev/null || true
grep -q "^/affiliates/v1/racing/meetings" "$TMP/headers" || { cat "$TMP/h.log"; fail "the scraper asked nothing"; }
grep -q "^From: ops@example.com$" "$TMP/headers" || fail "no From header"
grep -q "^X-Partner: Oddzy Tests$" "$TMP/headers" || fail "no X-Partner header"
grep -q "^X-Partner-ID: oddzy-1$" "$TMP/headers" || fail "no X-Partner-ID header"
echo "ok   identification headers sent"

# ---- a source's secret: sent with every request in its header, never logged ----
: >"$TMP/headers"
printf 'file-s3cr3t-0451\n' >"$TMP/token"
cat >"$TMP/secret.yaml" <<YAML
sources:
  - name: keyed
    format: entain
    url: http://127.0.0.1:$CP/k
    secret_env: ODDZY_TEST_KEY
    secret_header: X-Api-Key
  - name: bearer
    format: entain
    url: http://127.0.0.1:$CP/b
    secret_file: $TMP/token
YAML
ODDZY_TEST_KEY=env-s3cr3t-0450 "$ODDZY" scraper --sources "$TMP/secret.yaml" --db "$TMP/k.db" \
  --log-level debug >"$TMP/k.log" 2>&1 &
SP=$!; PIDS+=($SP)
for _ in $(seq 1 100); do
  [ "$(grep -c '^/[kb]/affiliates' "$TMP/headers" 2>/dev/null)" -ge 4 ] && break; sleep 0.1
done
kill $SP 2>/dev/null || true; wait $SP 2>/dev/null || true
"$PY" - "$TMP/headers" <<'PY' || fail "the secrets were not sent on every request"
import sys
reqs = [b.split("\n") for b in open(sys.argv[1]).read().split("\n\n") if b.strip()]
keyed = [r for r in reqs if r[0].startswith("/k/")]
bearer = [r for r in reqs if r[0].startswith("/b/")]
assert len(keyed) >= 2 and len(bearer) >= 2, (len(keyed), len(bearer))
assert all("X-Api-Key: env-s3cr3t-0450" in r and not any(h.startswith("Authorization") for h in r) for r in keyed)
assert all("Authorization: Bearer file-s3cr3t-0451" in r and not any(h.startswith("X-Api-Key") for h in r) for r in bearer)
PY
grep -q "schedule scrape failed" "$TMP/k.log" || { cat "$TMP/k.log"; fail "no failed requests logged"; }
! grep -q "s3cr3t" "$TMP/k.log" || fail "a secret reached the log"
ODDZY_TEST_KEY=env-s3cr3t-0450 "$ODDZY" scraper --help 2>&1 | grep -q "s3cr3t" && fail "a secret in --help"
set +e; "$ODDZY" scraper --sources "$TMP/secret.yaml" --db "$TMP/k2.db" >/dev/null 2>"$TMP/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "ODDZY_TEST_KEY is not set" "$TMP/err" || { cat "$TMP/err"; fail "a source without its secret: exit $rc"; }
echo "ok   secrets sent (X-Api-Key, Authorization: Bearer), not logged"

# ---- a bookmaker brand of the simulated world, under its own provider ----
FP=$(free_port)
"$ODDZY" feed --port "$FP" --seed 7 --speed 60 --log-level warn >"$TMP/feed.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$FP/healthz"
DB="$TMP/b.db"
"$ODDZY" scraper --source "http://127.0.0.1:$FP/b/neds" --provider neds --format entain --db "$DB" \
  --rate 100 --speed 60 --schedule-interval 120 --log-level warn >"$TMP/b.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do
  n=$(sql "$DB" "select count(*) from prices where provider='neds'" 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 100 ] && break; sleep 0.2
done
[ "${n:-0}" -gt 100 ] || { cat "$TMP/b.log"; fail "no prices stored under provider neds (got ${n:-0})"; }
other=$(sql "$DB" "select count(*) from prices where provider='entain'")
[ "$other" = 0 ] || fail "$other prices still under the format's name"
echo "ok   $n prices stored under provider neds"

# ---- several sources from a file, in one scraper process, each under its own provider ----
cat >"$TMP/sources.yaml" <<YAML
sources:
  - name: ladbrokes            # a preset, pointed at the simulated brand
    url: http://127.0.0.1:$FP/b/ladbrokes
    from: ops@example.com
    partner: Oddzy Tests
    rate: 100
  - name: mybook               # not a preset: its format and URL given
    format: entain
    url: http://127.0.0.1:$FP/b/tab-nz
    rate: 100
    timeout_ms: 5000
YAML
MDB="$TMP/m.db"
"$ODDZY" scraper --sources "$TMP/sources.yaml" --db "$MDB" --speed 60 --schedule-interval 120 \
  --log-level warn >"$TMP/m.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do
  both=$(sql "$MDB" "select count(distinct provider) from prices where provider in ('ladbrokes','mybook')" 2>/dev/null || echo 0)
  [ "${both:-0}" = 2 ] && break; sleep 0.2
done
[ "${both:-0}" = 2 ] || { cat "$TMP/m.log"; fail "--sources: not both providers' prices (got ${both:-0})"; }
races=$(sql "$MDB" "select count(*) from races")
shared=$(sql "$MDB" "select count(distinct s.race_id) from prices a join prices b on a.selection_id=b.selection_id
  join selections s on s.id=a.selection_id where a.provider='ladbrokes' and b.provider='mybook'")
[ "${shared:-0}" -gt 0 ] || fail "--sources: the two brands' prices are on no common race"
[ "$(sql "$MDB" "select count(*) from (select source_key from races group by source_key having count(*)>1)")" = 0 ] \
  || fail "--sources: a race stored twice"
echo "ok   --sources: two sources in one process, $shared of $races races priced by both"
printf 'sources:\n  - name: x\n    format: entain\n    url: ftp://nope\n' >"$TMP/bad.yaml"
set +e; "$ODDZY" scraper --sources "$TMP/bad.yaml" --db "$TMP/bad.db" >/dev/null 2>"$TMP/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "line " "$TMP/err" || { cat "$TMP/err"; fail "bad --sources file: exit $rc"; }
set +e; "$ODDZY" scraper --sources "$TMP/sources.yaml" --source neds --db "$TMP/bad.db" >/dev/null 2>"$TMP/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "either-or" "$TMP/err" || fail "--source with --sources: exit $rc"
[ ! -e "$TMP/bad.db" ] || fail "a refused --sources created the database"
echo "ok   bad --sources refused"

# ---- oddzy run --bookmakers: the world's brands beside its own source, on the race card ----
RP=$(free_port)
"$ODDZY" run --port "$RP" --host 127.0.0.1 --db "$TMP/run.db" --speed 30 --web "" \
  --bookmakers neds,tab-nz --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$RP/readyz" 30 || { cat "$TMP/run.log"; fail "oddzy run not ready"; }
# the providers on the race cards of the next races of the API on port $1
card_providers() {
  curl -fsS "http://127.0.0.1:$1/api/racing/next?limit=5" | "$PY" -c '
import json, sys, urllib.request
port = sys.argv[1]
seen = set()
for r in json.load(sys.stdin)["races"]:
    url = "http://127.0.0.1:%s/api/racing/racecard?race_id=%d" % (port, r["race_id"])
    card = json.load(urllib.request.urlopen(url))
    seen |= {p["provider"] for p in card["comparison"]["providers"]}
print(" ".join(sorted(seen)))' "$1" 2>/dev/null || true
}
providers=""
for _ in $(seq 1 150); do
  providers=$(card_providers "$RP")
  case " $providers " in *" neds "*" tab-nz "*) break ;; esac
  sleep 0.2
done
case " $providers " in *" neds "*" tab-nz "*) ;; *) fail "race cards show providers '$providers', want neds and tab-nz" ;; esac
echo "ok   oddzy run --bookmakers: race cards compare $providers"
set +e; "$ODDZY" run --db "$TMP/y.db" --bookmakers sportsbet >/dev/null 2>"$TMP/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "unknown bookmaker 'sportsbet'" "$TMP/err" || fail "--bookmakers sportsbet: exit $rc"

# ---- oddzy run --sources: the file's sources (an oddzy feed's brands) beside its own world ----
# (the same seed, speed and clock as the feed above: one world, so the races are the same)
SP2=$(free_port)
"$ODDZY" run --port "$SP2" --host 127.0.0.1 --db "$TMP/runs.db" --seed 7 --speed 60 --web "" \
  --exchange off --schedule-interval 120 --sources "$TMP/sources.yaml" --log-level warn \
  >"$TMP/runs.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SP2/readyz" 30 || { cat "$TMP/runs.log"; fail "oddzy run --sources not ready"; }
shows() { case " $providers " in *" $1 "*) ;; *) return 1 ;; esac; }
providers=""
for _ in $(seq 1 150); do
  providers=$(card_providers "$SP2")
  shows ladbrokes && shows mybook && break
  sleep 0.2
done
shows ladbrokes && shows mybook ||
  { cat "$TMP/runs.log"; fail "run --sources: race cards show providers '$providers', want ladbrokes and mybook"; }
echo "ok   oddzy run --sources: race cards compare $providers"
set +e; "$ODDZY" run --db "$TMP/z.db" --sources "$TMP/bad.yaml" >/dev/null 2>"$TMP/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "line " "$TMP/err" || { cat "$TMP/err"; fail "run with a bad --sources file: exit $rc"; }
[ ! -e "$TMP/z.db" ] || fail "a refused run --sources created the database"

# ---- bad flags: a clear error, exit 2 ----
bad() { # expected-words args...
  local want=$1; shift
  set +e; "$ODDZY" scraper --db "$TMP/x.db" "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
  [ $rc = 2 ] || fail "scraper $*: exit $rc, want 2"
  grep -q -- "$want" "$TMP/err" || { cat "$TMP/err"; fail "scraper $*: error does not say '$want'"; }
}
bad "e-mail" --source tab-nz --from not-an-address
bad "http://" --source sportsbet
bad "a-z" --source http://127.0.0.1:1 --provider "Bad Name"
bad "control" --source tab-nz --partner "$(printf 'a\rX-Evil: 1')"
[ ! -e "$TMP/x.db" ] || fail "a refused start created the database"
echo "ok   bad source flags refused"
echo ok
