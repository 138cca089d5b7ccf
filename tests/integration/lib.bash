# Shared helpers of the integration tests: free ports, waiting, cleanup of started servers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ODDZY=${ODDZY:-$ROOT/build/oddzy}
TMP=$(mktemp -d /tmp/oddzy-it.XXXXXX)
PIDS=()
# The interpreter of the tests' own Python (standard library only): the system's, not a
# version-manager shim on PATH, which costs a third of a second a start and the tests start
# it hundreds of times (ports, checks, polls). Tests that need a third-party module (yaml,
# jsonschema, openapi_spec_validator) ask `python3` on PATH for it by name.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
# One pinned simulated clock for every oddzy process a test starts (flags win over these):
# the simulated world is at CLOCK_START (16:00 in Sydney on a Wednesday, when thoroughbred,
# harness and greyhound meetings are all racing) when the test starts, whatever the hour
# of the day the test runs at. ANCHOR is the real epoch ms at which it reads CLOCK_START.
CLOCK_START=${ODDZY_TEST_CLOCK_START:-2026-06-10T06:00:00Z}
CLOCK_START_S=$(date -u -d "$CLOCK_START" +%s)
ANCHOR=$(( $(date +%s%N) / 1000000 ))
export ODDZY_CLOCK_START=$CLOCK_START ODDZY_CLOCK_ANCHOR=$ANCHOR
# Background threads at the API's priority (--background-nice 0): the tests run two at a
# time beside other servers and a browser, and their timing must not hang on how the kernel
# shares a busy CPU between niced threads and everyone else's. background_nice.sh tests the
# default (10) itself.
export ODDZY_BACKGROUND_NICE=0
# Simulated epoch seconds now, at speed $1.
sim_now() { echo $(( CLOCK_START_S + ( $(date +%s%N) / 1000000 - ANCHOR ) * $1 / 1000 )); }
cleanup() {
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url [seconds]
  for _ in $(seq 1 $(( ${2:-20} * 10 ))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for $1"; return 1
}
fail() { echo "FAIL: $*"; exit 1; }
sql() { sqlite3 -readonly "$1" "$2"; }
# JSON endpoints under $U (the caller sets U, e.g. http://127.0.0.1:$P/api):
# code CURL-ARGS...: the status, the body in $TMP/body;
# expect PATH 'python expression over d' ...: a 200 whose JSON body d satisfies every expression
# (rows is d["rows"] when there is one);
# expect400 PATH TEXT: a 400 with the documented error body whose message contains TEXT.
code() { curl -s -o "$TMP/body" -w '%{http_code}' "$@"; }
expect() {
  local url=$1; shift
  [ "$(code "$U/$url")" = 200 ] || fail "$url: $(cat "$TMP/body")"
  "$PY" - "$TMP/body" "$url" "$@" <<'PY' || fail "$url: $(head -c 2000 "$TMP/body")"
import json, sys
d = json.load(open(sys.argv[1]))
rows = d.get("rows") if isinstance(d, dict) else None
for e in sys.argv[3:]:
    assert eval(e), f"{sys.argv[2]}: {e} is false"
PY
}
expect400() {
  [ "$(code "$U/$1")" = 400 ] || fail "$1: not 400: $(cat "$TMP/body")"
  "$PY" - "$TMP/body" "$2" <<'PY' || fail "$1: $(cat "$TMP/body")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["error"] == "bad_request" and sys.argv[2] in d["message"], d
PY
}
