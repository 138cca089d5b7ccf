#!/usr/bin/env bash
# The fault matrix, in one command (not part of `make test`: it takes about 15 minutes and
# mounts a tmpfs, so it runs as root). Every case runs beside a clean reference reading the
# same simulated world on the same pinned clock, and its racing data is then compared with
# the reference's (scripts/chaos_compare.py: status, results, dividends, runners and
# scratchings of every race that started up to 5 simulated minutes after the last fault):
#
#   SQLite, in-process bus (all at once, beside one reference scraper):
#     source    a slow (2 s), failing (30 %) and garbage-sending (20 %) source
#     kill-scr  kill -9 of `oddzy scraper` (hosting the racing service) 5 times during writes
#     kill-run  kill -9 of `oddzy run` 5 times during writes
#     disk-full the database on a 2 MB tmpfs that fills up, held full 30 s, then grown
#   PostgreSQL + NATS (scripts/stack.sh, every role its own process), one after another:
#     kill -9 of the active scraper, of each racing service, of the price updater and of an
#     API node (each restarted), then PostgreSQL restarted, then nats-server restarted
#
# For each case: survived (every process back and the data converged), rows lost (rows of the
# reference missing or different once converged, or at the deadline), duplicates (two races
# with one meeting and number, or two runners with one race and number) and recovery time
# (from the end of the fault until the data matched the reference). The table goes to stdout
# and, with --write, into docs/reliability.md between its chaos markers.
#
#   scripts/chaos.sh [--write] [--only sqlite|postgres]
#
# Needs: build/oddzy (make), sqlite3, python3, and for the PostgreSQL part what
# scripts/stack.sh needs (postgresql, nats-server, nginx, prometheus: scripts/setup.sh).
source "$(dirname "$0")/../tests/integration/lib.bash"
WRITE=0 ONLY=""
while [ $# -gt 0 ]; do
  case $1 in
    --write) WRITE=1 ;;
    --only) ONLY=$2; shift ;;
    -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "chaos: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$ODDZY" ] || fail "build first: make build/oddzy"
SPEED=60
SEED=${ODDZY_CHAOS_SEED:-23}
CONVERGE_S=${ODDZY_CHAOS_CONVERGE_S:-240}
COMPARE="$ROOT/scripts/chaos_compare.py"
ROWS=()  # "case|fault|survived|lost|duplicates|recovery"
MOUNTED=""
STACK_UP=""
export ODDZY_STACK_DIR="$TMP/stack"
chaos_cleanup() {
  [ -n "$STACK_UP" ] && "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
  [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null || true
  cleanup
}
trap chaos_cleanup EXIT

log() { echo "[$(date -u +%T)] $*"; }
cmp_json() { python3 "$COMPARE" "$@"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# converge REF CUT T0 "NAME|FAULT|TARGET"...: compare every TARGET with REF (races before CUT)
# every few seconds until each holds the reference's data or CONVERGE_S has passed, and
# record each case with the time from T0 (the end of the fault) until it matched.
converge() {
  local ref=$1 cut=$2 t0=$3; shift 3
  local -a entries=("$@") took=() outs=()
  local deadline=$(( $(date +%s) + CONVERGE_S )) left=$# i n f t out
  while [ "$left" -gt 0 ]; do
    for i in "${!entries[@]}"; do
      [ -n "${took[$i]:-}" ] && continue
      IFS='|' read -r n f t <<<"${entries[$i]}"
      out=$(cmp_json "$ref" "$t" "$cut" 2>/dev/null ||
            echo '{"lost":-1,"duplicates":-1,"integrity":"unreadable","ref_races":0,"ref_runners":0}')
      outs[$i]=$out
      if [ "$(field "$out" lost)" = 0 ] && [ "$(field "$out" ref_races)" -gt 0 ]; then
        took[$i]=$(( $(date +%s) - t0 )); left=$((left - 1))
      fi
    done
    [ "$left" -gt 0 ] && [ "$(date +%s)" -ge "$deadline" ] && break
    [ "$left" -gt 0 ] && sleep 3
  done
  for i in "${!entries[@]}"; do
    IFS='|' read -r n f t <<<"${entries[$i]}"
    out=${outs[$i]}
    local lost ok=yes
    lost=$(field "$out" lost)
    [ -n "${took[$i]:-}" ] || ok=no
    [ "$(field "$out" integrity)" = ok ] || ok="no (integrity: $(field "$out" integrity))"
    log "$n: $out, matched ${took[$i]:-never} s after the fault"
    ROWS+=("$n|$f|$ok|$lost of $(( $(field "$out" ref_races) + $(field "$out" ref_runners) ))|$(field "$out" duplicates)|$([ -n "${took[$i]:-}" ] && echo "${took[$i]} s" || echo "not within ${CONVERGE_S} s")")
  done
}

scraper() { # port db log flags...
  local port=$1 db=$2 log=$3; shift 3
  "$ODDZY" scraper --source "http://127.0.0.1:$port" --format entain --db "$db" --rate 50 \
    --timeout-ms 10000 --speed $SPEED --schedule-interval 300 --log-level warn "$@" >>"$log" 2>&1 &
  echo $!
}
feed() { # port log flags...
  local port=$1 log=$2; shift 2
  "$ODDZY" feed --port "$port" --seed "$SEED" --speed $SPEED --log-level warn "$@" >"$log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/healthz"
}
# kill -9 a process 5 times, 6-14 s apart, restarting it with `restart` (a function name) that
# prints the new pid into the variable named by $2
kill_loop() { # label pidvar restartfn
  local label=$1 var=$2 fn=$3
  for i in 1 2 3 4 5; do
    sleep $(( 6 + RANDOM % 9 ))
    kill -KILL "${!var}" 2>/dev/null || true
    wait "${!var}" 2>/dev/null || true
    log "$label: kill -9 ($i of 5)"
    sleep 1
    "$fn"
  done
}

sqlite_cases() {
  log "SQLite: reference, faulty source, kill -9 scraper, kill -9 run, disk full (speed $SPEED)"
  local FP BP RP
  FP=$(free_port); BP=$(free_port); RP=$(free_port)
  feed "$FP" "$TMP/feed.log"
  feed "$BP" "$TMP/feed-bad.log" --fail-rate 0.3 --garbage-rate 0.2 --slow-ms 2000
  PIDS+=("$(scraper "$FP" "$TMP/ref.db" "$TMP/ref.log")")
  PIDS+=("$(scraper "$BP" "$TMP/source.db" "$TMP/source.log" --max-inflight 64)")
  SCR=$(scraper "$FP" "$TMP/kill-scr.db" "$TMP/kill-scr.log")
  restart_scr() { SCR=$(scraper "$FP" "$TMP/kill-scr.db" "$TMP/kill-scr.log"); }
  start_run() {
    "$ODDZY" run --port "$RP" --host 127.0.0.1 --web "" --db "$TMP/kill-run.db" --seed "$SEED" \
      --speed $SPEED --log-level warn >>"$TMP/kill-run.log" 2>&1 &
    RUN=$!
  }
  start_run
  local full_ok=0
  mkdir -p "$TMP/full"
  if mount -t tmpfs -o size=2m tmpfs "$TMP/full" 2>/dev/null; then
    MOUNTED="$TMP/full"; full_ok=1
    FULL=$(scraper "$FP" "$TMP/full/disk-full.db" "$TMP/disk-full.log")
  else
    log "disk-full: cannot mount a tmpfs here (not root?): case skipped"
  fi
  ( kill_loop kill-scr SCR restart_scr ) &
  local k1=$!
  ( kill_loop kill-run RUN start_run ) &
  local k2=$!
  # the disk fills (the scraper logs the failed writes), stays full 30 s, then grows
  if [ $full_ok = 1 ]; then
    for _ in $(seq 1 120); do grep -qi "full" "$TMP/disk-full.log" && break; sleep 1; done
    grep -qi "full" "$TMP/disk-full.log" && log "disk-full: the database's disk is full" ||
      log "disk-full: the disk did not fill within 120 s"
    sleep 30
    mount -o remount,size=512m "$MOUNTED"
    log "disk-full: disk grown to 512 MB"
  fi
  wait "$k1" "$k2"
  local t0 cut
  t0=$(date +%s); cut=$(( $(sim_now $SPEED) + 300 ))
  # the loops restarted the victims in subshells: find them again by database name
  SCR=$(pgrep -f "kill-scr.db" | head -1); RUN=$(pgrep -f "kill-run.db" | head -1)
  PIDS+=($SCR $RUN ${FULL:-})
  [ -n "$SCR" ] && [ -n "$RUN" ] || fail "a restarted process is not running"
  local -a cases=("source (SQLite)|source slow 2 s, 30 % failures, 20 % garbage|$TMP/source.db"
    "kill-scr (SQLite)|kill -9 scraper+racing x5 during writes|$TMP/kill-scr.db"
    "kill-run (SQLite)|kill -9 oddzy run x5 during writes|$TMP/kill-run.db")
  [ $full_ok = 1 ] && cases+=("disk-full (SQLite)|2 MB disk full for 30 s, then grown|$TMP/full/disk-full.db")
  converge "$TMP/ref.db" "$cut" "$t0" "${cases[@]}"
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

postgres_cases() {
  log "PostgreSQL + NATS stack (scripts/stack.sh, speed $SPEED)"
  local base=$(( 20000 + RANDOM % 20000 ))
  STACK_UP=1
  ODDZY_STACK_PORT=$base ODDZY_STACK_SPEED=$SPEED ODDZY_STACK_SEED=$SEED ODDZY_STACK_LOG_LEVEL=warn \
    "$ROOT/scripts/stack.sh" up >"$TMP/stack-up.log" 2>&1 || { cat "$TMP/stack-up.log"; fail "stack up"; }
  # shellcheck disable=SC1091
  source "$ODDZY_STACK_DIR/stack.env"
  PIDS+=("$(scraper "$STACK_P_FEED" "$TMP/ref-pg.db" "$TMP/ref-pg.log")")
  local stack="$ROOT/scripts/stack.sh"
  sleep 20
  one() { # name fault action...
    local name=$1 fault=$2; shift 2
    log "postgres: $fault"
    "$@"
    local t0 cut
    t0=$(date +%s); cut=$(( $(sim_now $SPEED) + 300 ))
    converge "$TMP/ref-pg.db" "$cut" "$t0" "$name (PostgreSQL)|$fault|$STACK_PG_URL"
  }
  kill_restart() { # name
    kill -KILL "$(ODDZY_STACK_PORT=$base "$stack" pid "$1")"
    sleep 2
    ODDZY_STACK_PORT=$base "$stack" restart "$1" >/dev/null
  }
  active_scraper() {
    for i in 1 2; do
      local mp=STACK_P_SCRAPER$i
      curl -fsS "http://127.0.0.1:${!mp}/metrics" 2>/dev/null | grep -Eq '^oddzy_scraper_leader(\{[^}]*\})? 1$' && { echo "scraper$i"; return; }
    done
    echo scraper1
  }
  one kill-scraper "kill -9 the active scraper (standby takes over), restarted" kill_restart "$(active_scraper)"
  one kill-racing1 "kill -9 racing service 1 of 2 during writes, restarted" kill_restart racing1
  one kill-racing2 "kill -9 racing service 2 of 2 during writes, restarted" kill_restart racing2
  one kill-prices "kill -9 the price updater, restarted" kill_restart prices
  one kill-api "kill -9 API node 1 of 2, restarted" kill_restart api1
  one pg-restart "PostgreSQL restarted mid-traffic" env ODDZY_STACK_PORT=$base "$stack" restart postgres
  one nats-restart "nats-server restarted mid-traffic" env ODDZY_STACK_PORT=$base "$stack" restart nats
  "$stack" down >/dev/null 2>&1 || true
  STACK_UP=""
}

[ "$ONLY" = postgres ] || sqlite_cases
[ "$ONLY" = sqlite ] || postgres_cases

load=$(cut -d' ' -f1-3 /proc/loadavg)
table="Fault matrix: \`scripts/chaos.sh\` on $(date -u +%F), $(nproc) cores, load average $load
(speed $SPEED, seed $SEED; each case compared with a clean reference on the same world and clock;
rows = races and runners of the races that started up to 5 simulated minutes after the fault;
recovery is an upper bound: it includes the time those races take to finish and be resolved in
the reference too, and the SQLite cases ran their faults at the same time).

| case | fault | survived | rows lost | duplicates | recovery (data matches the reference) |
|---|---|---|---|---|---|"
for r in "${ROWS[@]}"; do
  IFS='|' read -r c f s l d t <<<"$r"
  table+=$'\n'"| $c | $f | $s | $l | $d | $t |"
done
echo
echo "$table"
if [ $WRITE = 1 ]; then
  python3 - "$ROOT/docs/reliability.md" "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
s = open(path).read()
b, e = "<!-- chaos:begin -->", "<!-- chaos:end -->"
block = b + "\n" + table + "\n" + e
s = s[:s.index(b)] + block + s[s.index(e) + len(e):] if b in s else s.rstrip() + "\n\n" + block + "\n"
open(path, "w").write(s)
PY
  echo "written to docs/reliability.md"
fi
bad=0
for r in "${ROWS[@]}"; do IFS='|' read -r _ _ s l _ _ <<<"$r"; [ "$s" = yes ] || bad=1; done
exit $bad
