#!/usr/bin/env bash
# The web front end in Debian's Chromium (playwright-core, headless, no browser download) against
# `oddzy run` at --speed 30 --seed 42: tests/e2e/web.test.mjs starts the server itself on a free
# loopback port with its database under $TMP, and ends it after the tests. If node dies without
# doing so, the pid it wrote is ended here (lib.bash's EXIT trap removes $TMP). Screenshots go to
# build/screenshots/.
source "$(dirname "$0")/lib.bash"
command -v node >/dev/null || fail "node is not installed (scripts/setup.sh installs it)"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "$CHROMIUM not found (apt-get install chromium; scripts/setup.sh does)"
[ -d "$ROOT/tests/e2e/node_modules/playwright-core" ] && [ -d "$ROOT/tests/e2e/node_modules/socket.io-client" ] ||
  fail "tests/e2e/node_modules lacks playwright-core or socket.io-client (run: cd tests/e2e && npm ci)"
[ -f "$ROOT/web/dist/index.html" ] || fail "web/dist is not built (run: make web)"
[ -x "$ODDZY" ] || fail "$ODDZY not built (run: make)"

PIDFILE="$TMP/server.pid"
end_left() {
  if [ -s "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    # the server leads its own process group (spawned detached); end the group if it is left
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  # a Chromium left by a node that was killed outright: its profile is under this run's $TMP
  local left; left=$(pgrep -f -- "--user-data-dir=$TMP/" || true)
  [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
}
trap 'end_left; cleanup' EXIT

rm -f "$ROOT/build/e2e-server.log"
# removed first, so that the check below sees only what this run wrote (mtimes would not do:
# scripts/test-hours.sh moves this shell's clock, not the file system's)
rm -f "$ROOT"/build/screenshots/{schedule,racecard,odds,matcher}-{desktop,phone}.png
start=$(date +%s)
rc=0
(
  cd "$ROOT/tests/e2e"
  # never fetch a browser: playwright-core uses $CHROMIUM only
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  # about 200 s on a quiet machine; a loaded one needs more (run-tests.sh allows a script 600 s)
  TMPDIR="$TMP" ODDZY_BIN="$ODDZY" CHROMIUM="$CHROMIUM" ODDZY_E2E_PIDFILE="$PIDFILE" \
    exec timeout -k 10 540 node --test --test-reporter=spec --test-concurrency=1 web.test.mjs
) >"$TMP/node.out" 2>&1 || rc=$?
cat "$TMP/node.out"
echo "browser tests took $(( $(date +%s) - start ))s"
if [ "$rc" -ne 0 ]; then
  [ -f "$ROOT/build/e2e-server.log" ] && { echo "--- server log (tail)"; tail -n 12 "$ROOT/build/e2e-server.log"; }
  # last, so that the runner's tail of this log shows which test failed and why: node's own
  # summary of the failing tests, without the stack frames that fill it
  echo "--- failing tests"
  sed -n '/failing tests:/,$p' "$TMP/node.out" | grep -v '^ *at ' | head -n 24
  fail "browser tests failed (exit $rc)"
fi
for f in "$ROOT"/build/screenshots/{schedule,racecard,odds,matcher}-{desktop,phone}.png; do
  [ -s "$f" ] || fail "screenshot $f not written by this run"
done
echo ok
