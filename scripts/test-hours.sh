#!/usr/bin/env bash
# Run the integration suite with the wall clock moved by libfaketime to several times of day,
# so a test that depends on "what is racing now" shows itself. Not part of `make test` (it
# runs the unit and integration suites once per time: about 6 minutes each on a quiet
# 2-core machine, so about 40 minutes for the default six times).
#
#   scripts/test-hours.sh                 # every time below, every integration test
#   scripts/test-hours.sh 2030-01-01T06:00:00Z scraper_feed api_endpoints
#                                         # one time, only the tests named
#
# The default times, tomorrow: 00, 06, 12 and 18 UTC, a run that starts 3 minutes before
# midnight in Sydney and one 3 minutes before midnight in London (times must be in the future). Exit status
# is non-zero when any run fails; build/test-logs/hours/ keeps each run's output.
set -u
cd "$(dirname "$0")/.."
usage() { awk 'NR>1 && !/^#/{exit} NR>1{sub(/^# ?/,"");print}' "$0"; }
case ${1:-} in -h|--help) usage; exit 0 ;; esac
command -v faketime >/dev/null || { echo "test-hours: faketime is not installed (apt-get install faketime; scripts/setup.sh does)"; exit 2; }
[ -x build/oddzy ] || { echo "test-hours: build/oddzy is not built (run: make test, or make all web)"; exit 2; }

times=()
while [ $# -gt 0 ] && [[ $1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]]; do times+=("$1"); shift; done
if ! ((${#times[@]})); then # on tomorrow's date (UTC), so the offsets are positive
  day=$(date -u -d tomorrow +%F); next=$(date -u -d "$day + 1 day" +%F)
  before_midnight() { date -u -d "@$(( $(TZ="$1" date -d "$next 00:00" +%s) - 180 ))" +%FT%TZ; }
  times=("${day}T00:00:00Z" "${day}T06:00:00Z" "${day}T12:00:00Z" "${day}T18:00:00Z"
    "$(before_midnight Australia/Sydney)" # crosses midnight in Sydney during the run
    "$(before_midnight Europe/London)")   # crosses midnight in London during the run
fi
only=("$@")
if ((${#only[@]})); then
  tests=(); for n in "${only[@]}"; do
    f=tests/integration/${n%.sh}.sh; [ -f "$f" ] || { echo "test-hours: no test $f"; exit 2; }; tests+=("$f")
  done
else
  tests=(tests/integration/*.sh)
fi

out=build/test-logs/hours; mkdir -p "$out"
bad=0; summary=()
for t in "${times[@]}"; do
  at=$(date -u -d "$t" '+%Y-%m-%d %H:%M:%S') || { echo "test-hours: bad time $t"; exit 2; }
  echo "== wall clock at $t"
  passed=0; failed=0; failures=()
  # one offset from the real clock for every process of the run (a '@' start time would
  # restart in each new process); monotonic clocks stay real
  off=$(( $(date -u -d "$at" +%s) - $(date +%s) ))
  # libfaketime shifts the monotonic clock by the same offset (timed waits on a monotonic
  # clock break when only the wall clock moves), and a monotonic clock cannot go below 0
  ((off > 0)) || { echo "test-hours: $t is in the past: give a time after now"; exit 2; }
  fake() { TZ=UTC FAKETIME="+$off" \
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 "$@"; }
  if ! ((${#only[@]})); then # the unit tests too (a minute): some read the clock
    if fake env ODDZY_SUITES=unit scripts/run-tests.sh >"$out/${t//:/}_unit.log" 2>&1; then
      passed=$((passed+1)); echo "ok   unit tests"
    else failed=$((failed+1)); failures+=(unit); echo "FAIL unit tests (log: $out/${t//:/}_unit.log)"; fi
  fi
  for f in "${tests[@]}"; do
    n=$(basename "$f" .sh); log="$out/${t//:/}_$n.log"
    if fake timeout 600 bash "$f" >"$log" 2>&1; then
      passed=$((passed+1)); echo "ok   $n"
    else
      failed=$((failed+1)); failures+=("$n"); echo "FAIL $n (log: $log)"; tail -n 15 "$log" | sed 's/^/    /'
    fi
  done
  summary+=("$t: $passed passed, $failed failed${failures[*]:+ (${failures[*]})}")
  [ "$failed" -eq 0 ] || bad=1
done
echo "== summary"; printf '%s\n' "${summary[@]}"
exit $bad
