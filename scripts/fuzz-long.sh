#!/usr/bin/env bash
# Runs every libFuzzer target (build/fuzz/fuzz_*) for FUZZ_SECONDS (default 600) each, one at a
# time, starting from its committed corpus; new inputs and crash files go to a scratch directory,
# never into fuzz/corpus. Then rewrites the "## Fuzzing" section of docs/reliability.md with a
# table (target, runs, coverage, features, crashes, slow units, seconds) and leaves the rest of the file as
# it is. Exits 1 if any target crashed (its log and reproducer stay in the scratch directory).
set -u
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-600}
doc=${FUZZ_DOC:-docs/reliability.md}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/oddzy-fuzz-long.XXXXXX")
targets=$(find build/fuzz -maxdepth 1 -type f -perm -u+x -name 'fuzz_*' | sort)
[ -n "$targets" ] || { echo "no fuzz targets in build/fuzz (make fuzz-long builds them)" >&2; exit 2; }

# FUZZ_JOBS targets run at once (default 1); each still gets FUZZ_SECONDS of wall time, so on a
# machine with other work the runs column is the fair measure of how much each was exercised.
jobs_max=${FUZZ_JOBS:-1}

run_one() {
  local f=$1 n name start rc took log runs last cov ft crashes slow u
  n=$(basename "$f"); name=${n#fuzz_}
  mkdir -p "$scratch/$name/new" "$scratch/$name/artifacts"
  echo "== $n: ${secs}s (new inputs: $scratch/$name/new)"
  start=$(date +%s)
  "$f" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$scratch/$name/artifacts/" \
    "$scratch/$name/new" "fuzz/corpus/$name" >"$scratch/$name/log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  log="$scratch/$name/log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  # a slow-unit file is an input that took over 10 s once (on a busy machine, often the
  # scheduler's doing): not a failure, but re-run alone here and counted in its own column
  crashes=$(find "$scratch/$name/artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  slow=0
  for u in "$scratch/$name/artifacts"/slow-unit-*; do
    [ -f "$u" ] || continue
    slow=$((slow + 1))
    if ! timeout 10 "$f" "$u" >"$scratch/$name/rerun-$slow.log" 2>&1; then
      echo "FAIL $n: slow unit $u fails or takes over 10 s alone"; crashes=$((crashes + 1))
    fi
  done
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  [ "$crashes" -eq 0 ] || { echo "FAIL $n: see $log"; tail -n 30 "$log"; }
  echo "| $name | ${runs:-?} | ${cov:-?} | ${ft:-?} | $crashes | $slow | $took |" >"$scratch/$name/row"
  echo "   $n: runs ${runs:-?}, cov ${cov:-?}, ft ${ft:-?}, crashes $crashes, ${took}s"
}

for f in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  run_one "$f" &
done
wait

rows=()
crashed=0
for f in $targets; do
  n=$(basename "$f"); name=${n#fuzz_}
  row=$(cat "$scratch/$name/row" 2>/dev/null || echo "| $name | ? | ? | ? | 1 | ? | ? |")
  rows+=("$row")
  [ "$(cut -d'|' -f6 <<<"$row" | tr -d ' ')" = 0 ] || crashed=1
done

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
section=$(
  echo "## Fuzzing"
  echo
  echo "Every libFuzzer target of \`fuzz/\` (ASan + UBSan, any report fails it), each for"
  echo "${secs} seconds, ${jobs_max} at a time, from its committed corpus: \`make fuzz-long\`"
  echo "(\`FUZZ_SECONDS=N\` to change the time, \`FUZZ_JOBS=N\` to run N at once)."
  echo "Run on $(date -u +%Y-%m-%d) at $(date -u +%H:%M) UTC, $(nproc) cores, load average"
  echo "$load at the end. Coverage is libFuzzer's count of covered edges (cov), features its"
  echo "finer measure (ft); crashes counts reproducers written (any sanitizer report, leak,"
  echo "timeout or out-of-memory); slow units are inputs that once took over 10 s, each run"
  echo "again alone afterwards (one that fails or is still slow alone counts as a crash)."
  echo
  echo "| target | runs | coverage (edges) | features | crashes | slow units | seconds |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
)

mkdir -p "$(dirname "$doc")"
if [ ! -f "$doc" ]; then
  printf '# Reliability\n\nWhat has been checked against bad input and failures, and how to run it again.\n\n' >"$doc"
fi
# replace the "## Fuzzing" section (up to the next "## " heading), or append it
tmp=$(mktemp)
SECT="$section" awk '
  /^## / { skip = 0; if ($0 == "## Fuzzing") { print ENVIRON["SECT"]; print ""; done = 1; skip = 1; next } }
  !skip { print }
  END { if (!done) { print ""; print ENVIRON["SECT"] } }
' "$doc" | cat -s >"$tmp" && mv "$tmp" "$doc"
echo "table written to $doc (scratch: $scratch)"
exit $crashed
