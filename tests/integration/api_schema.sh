#!/usr/bin/env bash
# docs/api.yaml against real responses: oddzy run (simulated source, fast clock) and oddzy api
# without a scraper (503 of /api/scraper/*), checked by tests/e2e/api_schema.mjs (ajv).
source "$(dirname "$0")/lib.bash"
command -v node >/dev/null || fail "node is not installed (scripts/setup.sh installs it)"
[ -d "$ROOT/tests/e2e/node_modules/ajv" ] && [ -d "$ROOT/tests/e2e/node_modules/yaml" ] ||
  fail "tests/e2e/node_modules lacks ajv or yaml (run: cd tests/e2e && npm ci)"
DOC=${API_DOC:-$ROOT/docs/api.yaml}
# the document itself against the OpenAPI 3.1 specification, where the validator is installed
if python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  python3 - "$DOC" <<'PY' || fail "$DOC is not a valid OpenAPI document"
import sys
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
validate(read_from_filename(sys.argv[1])[0])
print("openapi-spec-validator: document is valid")
PY
else
  echo "note: python3 openapi-spec-validator not installed; the document's own validity is not checked"
fi
P=$(free_port)
Q=$(free_port)
# with a recorded Betfair race (Sheffield, 19 Apr 2022) beside the simulated world: race cards
# with exchange books
FIX=${ODDZY_FIXTURES:-$ROOT/tests/fixtures}/betfair
"$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/run.db" --speed 60 --seed 11 --web "" \
  --replay "$FIX/historic-1.197931750-greyhound-win,$FIX/historic-1.197931751-greyhound-place" \
  --replay-speed max --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
"$ODDZY" api --port "$Q" --host 127.0.0.1 --db "$TMP/api.db" --web "" --log-level warn \
  >"$TMP/api.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/readyz" 20 || { cat "$TMP/run.log"; fail "oddzy run not ready"; }
wait_http "http://127.0.0.1:$Q/readyz" 20 || { cat "$TMP/api.log"; fail "oddzy api not ready"; }
# the .mjs waits (up to --wait s) for races with results, scratchings and prices
node "$ROOT/tests/e2e/api_schema.mjs" --url "http://127.0.0.1:$P" \
  --no-scraper-url "http://127.0.0.1:$Q" --doc "$DOC" --wait 120 --exchange-date 2022-04-20 ||
  { echo "--- oddzy run log (tail)"; tail -n 20 "$TMP/run.log"; fail "responses do not match docs/api.yaml"; }
echo ok
