#!/usr/bin/env bash
# Run every test suite and print one closing line: "N passed, N failed".
# Suites: unit tests (build/tests, and scripts/check-includes.py: no include circle inside a
# folder of src/), the web front end's unit tests (web/tests, Vitest), the same C tests under
# ASan+UBSan (build/asan/tests), the threaded ones under ThreadSanitizer
# (build/tsan/tests), the fuzz targets over their committed corpora, and integration tests
# (tests/integration/*.sh, each one scenario against real servers started on loopback).
set -u
cd "$(dirname "$0")/.."
passed=0; failed=0; failures=()
suites=${ODDZY_SUITES:-unit web asan tsan fuzz integration}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log=build/test-logs; mkdir -p "$log"

cmocka_one() { # $1 binary, $2 label: runs it, writes "passed failed" to its .res file
  local out="$log/$(echo "$2" | tr '/' '_').log" p f rc
  timeout 300 "$1" >"$out" 2>&1; rc=$?
  p=$(grep -Eo '\[  PASSED  \] [0-9]+' "$out" | awk '{s+=$4} END{print s+0}')
  f=$(grep -Eo '\[  FAILED  \] [0-9]+' "$out" | awk '{s+=$4} END{print s+0}')
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:' "$out"; then f=$((f+1)); rc=1; fi
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  echo "$p $f" >"$out.res"
}

# ODDZY_UNIT_JOBS test binaries at once (default 2: many wait on sockets and child
# processes); results are reported in name order whatever order they finish in.
run_cmocka_all() { # $1 directory, $2 label prefix
  local jobs=${ODDZY_UNIT_JOBS:-2} running=0 t label out p f
  local list; list=$(find "$1" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort)
  for t in $list; do
    cmocka_one "$t" "$2/${t#$1/}" &
    running=$((running+1))
    if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running-1)); fi
  done
  wait
  for t in $list; do
    label="$2/${t#$1/}"; out="$log/$(echo "$label" | tr '/' '_').log"
    read -r p f <"$out.res" 2>/dev/null || { p=0; f=1; }
    passed=$((passed+p)); failed=$((failed+f))
    if [ "$f" -ne 0 ]; then failures+=("$label"); echo "FAIL $label (log: $out)"; tail -n 30 "$out" | sed 's/^/    /'; else echo "ok   $label ($p)"; fi
  done
}

suite_times=()
for s in $suites; do
  suite_start=$(date +%s)
  case $s in
  unit)  run_cmocka_all build/tests unit
    # the shape of src/: no include circle inside a folder (the check's own test first)
    out="$log/unit_check_includes.log"
    if { scripts/check-includes.py --self-test && scripts/check-includes.py src; } >"$out" 2>&1; then
      passed=$((passed+1)); echo "ok   unit/check-includes"
    else failed=$((failed+1)); failures+=("unit/check-includes"); echo "FAIL unit/check-includes (log: $out)"; sed 's/^/    /' "$out"; fi ;;
  web) # Vitest: a readable log, and a JSON report for the counts
    out="$log/web_vitest.log"; json="$PWD/$log/web_vitest.json"; rm -f "$json"
    (cd web && NO_COLOR=1 timeout 300 npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$json") >"$out" 2>&1; rc=$?
    p=$(node -e 'console.log(require(process.argv[1]).numPassedTests)' "$json" 2>/dev/null || echo 0)
    f=$(node -e 'console.log(require(process.argv[1]).numFailedTests)' "$json" 2>/dev/null || echo 0)
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed+p)); failed=$((failed+f))
    if [ "$f" -ne 0 ]; then failures+=("web/vitest"); echo "FAIL web/vitest (log: $out)"; tail -n 40 "$out" | sed 's/^/    /'
    else echo "ok   web/vitest ($p, $(( $(date +%s)-suite_start ))s)"; fi ;;
  asan)  run_cmocka_all build/asan/tests asan ;;
  tsan)  run_cmocka_all build/tsan/tests tsan ;;
  fuzz)
    for f in $(find build/fuzz -type f -perm -u+x -name 'fuzz_*' 2>/dev/null | sort); do
      n=$(basename "$f"); c="fuzz/corpus/${n#fuzz_}"
      if "$f" -runs=0 "$c" >"$log/$n.log" 2>&1; then passed=$((passed+1)); echo "ok   fuzz/$n corpus"
      else failed=$((failed+1)); failures+=("fuzz/$n"); echo "FAIL fuzz/$n (log: $log/$n.log)"; tail -n 20 "$log/$n.log"; fi
    done ;;
  integration)
    # ODDZY_IT_JOBS scripts at once (default 2): most of their time is spent waiting on the
    # servers they start (free ports and their own $TMP each); the longest start first
    jobs=${ODDZY_IT_JOBS:-2}
    its=$(find tests/integration -name '*.sh' 2>/dev/null | sort)
    its="$(echo "$its" | grep -E '/(e2e_web|stack|scraper_compare)\.sh$'; echo "$its" | grep -vE '/(e2e_web|stack|scraper_compare)\.sh$')"
    it_one() { # script: runs it, leaves "RC SECONDS" in its .result file
      local n; n=$(basename "$1" .sh); local t0; t0=$(date +%s)
      timeout 600 bash "$1" >"$log/it_$n.log" 2>&1
      echo "$? $(( $(date +%s) - t0 ))" >"$log/it_$n.result"
    }
    running=0
    for t in $its; do
      rm -f "$log/it_$(basename "$t" .sh).result"
      if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running-1)); fi
      it_one "$t" & running=$((running+1))
    done
    wait
    for t in $(echo "$its" | sort); do
      n=$(basename "$t" .sh); read -r rc secs <"$log/it_$n.result" 2>/dev/null || { rc=1; secs=?; }
      if [ "$rc" = 0 ]; then passed=$((passed+1)); echo "ok   integration/$n (${secs}s)"
      else failed=$((failed+1)); failures+=("integration/$n"); echo "FAIL integration/$n (log: $log/it_$n.log)"; tail -n 40 "$log/it_$n.log" | sed 's/^/    /'; fi
    done ;;
  esac
  suite_times+=("$s $(( $(date +%s) - suite_start ))s")
  echo "-- suite $s took $(( $(date +%s) - suite_start ))s"
done
echo "suite times: ${suite_times[*]}"
((${#failures[@]})) && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
