#!/usr/bin/env bash
# The local multi-service stack on loopback, every role its own process: PostgreSQL
# (scripts/pg-tmp.sh), nats-server, `oddzy feed` (the simulated source), two `oddzy racing`
# (one NATS queue group), two `oddzy scraper` (active-standby on a PostgreSQL advisory lock),
# `oddzy prices`, two `oddzy api` behind nginx (deploy/nginx/oddzy.conf) and Prometheus
# (deploy/prometheus/prometheus.yml), their targets moved to the stack's ports; nats-server
# runs with deploy/nats/nats.conf.
#
#   scripts/stack.sh up       start everything in the background, wait until ready, print URLs
#   scripts/stack.sh down     stop what `up` started (pid files; nothing else) and drop the database
#   scripts/stack.sh status   what runs, and where
#   scripts/stack.sh restart NAME   stop one process and start it again with the same command
#                             (NAME: a process of `status`, or postgres); for drills and tests
#   scripts/stack.sh pid NAME the pid of one process
#
# Environment (all optional):
#   ODDZY_STACK_DIR      state: pid files, logs, database, configs      (var/stack)
#   ODDZY_STACK_PORT     base port B; the stack uses B .. B+19           (8000)
#   ODDZY_STACK_SPEED    simulated time N times faster                   (1)
#   ODDZY_STACK_SEED     simulated world and market seed                 (1)
#   ODDZY_STACK_LOG_LEVEL  log level of the oddzy processes              (info)
#   ODDZY_STACK_API_THREADS  event loops per API node                    (1)
#   ODDZY_STACK_NGINX_WORKERS  nginx worker processes                    (2)
#   ODDZY_STACK_SCRAPE_INTERVAL  seconds between meetings-list polls     (300)
#   ODDZY_STACK_STANDBY_RETRY_MS  how often a standby scraper retries    (2000)
#   ODDZY                the oddzy executable                           (build/oddzy)
#
# Ports: nginx B, api B+1 and B+2, feed B+3, nats B+4 (monitoring B+5), Prometheus B+6,
# PostgreSQL B+7, metrics listeners: racing B+11 and B+12, scrapers B+13 and B+14, prices B+15,
# feed B+16. Every process writes JSON-lines logs to $ODDZY_STACK_DIR/log/<name>.log and its
# pid file to $ODDZY_STACK_DIR/run/<name>.pid ("PID STARTTIME", so a recycled pid is never
# killed). `up` writes $ODDZY_STACK_DIR/stack.env (shell variables: URLs, ports, pids) for
# scripts and tests.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-status}
STATE=${ODDZY_STACK_DIR:-$ROOT/var/stack}
B=${ODDZY_STACK_PORT:-8000}
SPEED=${ODDZY_STACK_SPEED:-1}
SEED=${ODDZY_STACK_SEED:-1}
LOGLEVEL=${ODDZY_STACK_LOG_LEVEL:-info}
THREADS=${ODDZY_STACK_API_THREADS:-1}
NGINX_WORKERS=${ODDZY_STACK_NGINX_WORKERS:-2}
SCHED=${ODDZY_STACK_SCRAPE_INTERVAL:-300}
RETRY=${ODDZY_STACK_STANDBY_RETRY_MS:-2000}
ODDZY=${ODDZY:-$ROOT/build/oddzy}
NATS_BIN=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
PROM_BIN=$(command -v prometheus || echo /usr/bin/prometheus)

die() { echo "stack: $*" >&2; exit 1; }
case $B in '' | *[!0-9]*) die "ODDZY_STACK_PORT must be a port number" ;; esac
{ [ "$B" -ge 1024 ] && [ "$B" -le 65500 ]; } || die "ODDZY_STACK_PORT must be within 1024..65500"

P_NGINX=$B P_API1=$((B + 1)) P_API2=$((B + 2)) P_FEED=$((B + 3)) P_NATS=$((B + 4))
P_NATSMON=$((B + 5)) P_PROM=$((B + 6)) P_PG=$((B + 7)) P_RACING1=$((B + 11)) P_RACING2=$((B + 12))
P_SCRAPER1=$((B + 13)) P_SCRAPER2=$((B + 14)) P_PRICES=$((B + 15)) P_FEEDM=$((B + 16))
ALL_PORTS="$P_NGINX $P_API1 $P_API2 $P_FEED $P_NATS $P_NATSMON $P_PROM $P_PG $P_RACING1 $P_RACING2
  $P_SCRAPER1 $P_SCRAPER2 $P_PRICES $P_FEEDM"
# start order (`down` stops nginx and Prometheus first, then the roles together, nats-server last)
ORDER="nats feed racing1 racing2 scraper1 scraper2 prices api1 api2 nginx prometheus"
RUN=$STATE/run LOG=$STATE/log
# The database directory: under the state dir, unless PostgreSQL could not use it there (its
# socket path is limited to ~100 bytes, and as root the server runs as `postgres`, which must
# reach it): then under /tmp. `up` records where, for `down`.
PGDIR=$STATE/pg
[ -f "$STATE/pgdir" ] && PGDIR=$(cat "$STATE/pgdir")
pg_dir_for_up() {
  local d=$STATE/pg
  if [ ${#d} -gt 80 ] || { [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$STATE" 2>/dev/null; }; then
    d=$(mktemp -d /tmp/oddzy-stack-pg.XXXXXX)
  fi
  echo "$d"
}
PG_URL="postgres://oddzy@127.0.0.1:$P_PG/oddzy"
NATS_URL="nats://127.0.0.1:$P_NATS"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# start time of a live process (empty when gone, or a zombie not yet reaped by init)
starttime() { awk '{ sub(/^.*\) /, ""); if ($1 != "Z" && $1 != "X") print $20 }' "/proc/$1/stat" 2>/dev/null; }

# alive NAME: 0 if the process of NAME's pid file is the one we started
alive() {
  local f=$RUN/$1.pid pid st
  [ -f "$f" ] || return 1
  read -r pid st <"$f" || return 1
  [ -n "$pid" ] && [ "$(starttime "$pid")" = "$st" ]
}
pid_of() { local pid st; read -r pid st <"$RUN/$1.pid"; echo "$pid"; }

# spawn NAME CMD...: start CMD in its own session, output to the log, record "PID STARTTIME"
spawn() {
  local name=$1; shift
  printf '%q ' "$@" >"$RUN/$name.cmd"
  setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
  local pid=$! st=""
  for _ in $(seq 1 50); do st=$(starttime "$pid") && [ -n "$st" ] && break; sleep 0.02; done
  [ -n "$st" ] || { cat "$LOG/$name.log" >&2; die "$name exited at once"; }
  echo "$pid $st" >"$RUN/$name.pid"
}

wait_http() { # name url seconds
  local i
  for i in $(seq 1 $(($3 * 10))); do
    curl -fsS -o /dev/null -m 2 "$2" 2>/dev/null && return 0
    if [ $((i % 10)) = 0 ] && ! alive "$1"; then
      tail -n 20 "$LOG/$1.log" >&2; die "$1 stopped (log: $LOG/$1.log)"
    fi
    sleep 0.1
  done
  tail -n 20 "$LOG/$1.log" >&2
  die "$1 not ready at $2 after $3 s (log: $LOG/$1.log)"
}

wait_port() { # name port seconds
  for _ in $(seq 1 $(($3 * 10))); do port_busy "$2" && return 0; sleep 0.1; done
  tail -n 20 "$LOG/$1.log" >&2
  die "$1 not listening on $2 after $3 s"
}

stop_some() { # name...: TERM to each together, then KILL what still runs after 10 s
  local n left
  for n; do alive "$n" && kill -TERM "$(pid_of "$n")" 2>/dev/null; done
  for _ in $(seq 1 100); do
    left=""
    for n; do alive "$n" && left="$left $n"; done
    [ -z "$left" ] && break
    sleep 0.1
  done
  for n in $left; do
    echo "stack: $n ($(pid_of "$n")) did not stop in 10 s; killing it" >&2
    kill -KILL "$(pid_of "$n")" 2>/dev/null || true
  done
  for n; do rm -f "$RUN/$n.pid"; done
}
stop_one() { stop_some "$1"; }

down() {
  [ -d "$STATE" ] || { echo "stack: nothing to stop ($STATE does not exist)"; return 0; }
  # the front first, then the roles together, the bus last
  stop_some nginx prometheus
  stop_some api1 api2 prices scraper1 scraper2 racing1 racing2 feed
  stop_some nats
  # any other pid file of ours (a name from an older version of this script)
  for f in "$RUN"/*.pid; do [ -e "$f" ] && stop_one "$(basename "$f" .pid)"; done
  [ -d "$PGDIR" ] && "$ROOT/scripts/pg-tmp.sh" stop "$PGDIR"
  rm -f "$STATE/stack.env" "$STATE/pgdir"
  echo "stack: stopped (logs kept in $LOG)"
}

status() {
  [ -d "$RUN" ] || { echo "stack: not running ($STATE)"; return 1; }
  local n up=0 total=0
  printf '%-11s %-8s %s\n' process pid state
  for n in $ORDER; do
    [ -f "$RUN/$n.pid" ] || continue
    total=$((total + 1))
    if alive "$n"; then up=$((up + 1)); printf '%-11s %-8s running\n' "$n" "$(pid_of "$n")"
    else printf '%-11s %-8s gone\n' "$n" "$(pid_of "$n")"; fi
  done
  if [ -f "$PGDIR/data/postmaster.pid" ] && port_busy "$P_PG"; then
    printf '%-11s %-8s running (%s)\n' postgres "$(head -n 1 "$PGDIR/data/postmaster.pid")" "$PG_URL"
  else
    printf '%-11s %-8s %s\n' postgres - "not running"
  fi
  [ -f "$STATE/stack.env" ] && urls
  [ "$up" = "$total" ] && [ "$total" -gt 0 ]
}

urls() {
  cat <<EOF

  Oddzy stack (speed $SPEED, state $STATE):
    web and API through nginx   http://127.0.0.1:$P_NGINX/
    API nodes                   http://127.0.0.1:$P_API1/   http://127.0.0.1:$P_API2/   (/metrics, /readyz)
    Prometheus                  http://127.0.0.1:$P_PROM/
    simulated source            http://127.0.0.1:$P_FEED/affiliates/v1/racing/meetings
    metrics listeners           racing :$P_RACING1 :$P_RACING2  scrapers :$P_SCRAPER1 :$P_SCRAPER2  prices :$P_PRICES  feed :$P_FEEDM
    NATS                        $NATS_URL   (monitoring http://127.0.0.1:$P_NATSMON/varz)
    PostgreSQL                  psql $PG_URL
    logs                        $LOG/<process>.log
  scripts/stack.sh status | make stack-down
EOF
}

# Runtime nginx config: the shipped oddzy.conf with its documented parameters (listen port,
# API node addresses, static root) set for this stack, as tests/integration/deploy_configs.sh.
nginx_conf() {
  local nx=$STATE/nginx web=$ROOT/web/dist
  mkdir -p "$nx/conf" "$nx/var/nginx"
  [ -d "$web" ] || { mkdir -p "$nx/www"; echo '<!doctype html><title>Oddzy</title><p>web front end not built: make web</p>' >"$nx/www/index.html"; web=$nx/www; }
  sed -e "s#^\(\s*\)listen 8000;#\1listen 127.0.0.1:$P_NGINX;#" \
      -e "s#server 127.0.0.1:8081 #server 127.0.0.1:$P_API1 #" \
      -e "s#server 127.0.0.1:8082 #server 127.0.0.1:$P_API2 #" \
      -e "s#^\(\s*\)root web/dist;#\1root $web;#" "$ROOT/deploy/nginx/oddzy.conf" >"$nx/conf/oddzy.conf"
  sed -e "s#^worker_processes .*#worker_processes $NGINX_WORKERS;#" "$ROOT/deploy/nginx/nginx.conf" >"$nx/conf/nginx.conf"
  local n
  n=$(grep -c "127.0.0.1:$P_API1 \|127.0.0.1:$P_API2 \|listen 127.0.0.1:$P_NGINX;\|root $web;" "$nx/conf/oddzy.conf")
  [ "$n" = 6 ] || die "nginx parameters not found in deploy/nginx/oddzy.conf (matched $n of 6)"
  # as root, nginx workers run as nobody: if nobody cannot read the pages (a checkout under
  # /root), this loopback-only nginx keeps its workers as root
  if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- test -r "$web/index.html" 2>/dev/null; then
    sed -i '1i user root;' "$nx/conf/nginx.conf"
  fi
  "$NGINX_BIN" -p "$nx" -c "$nx/conf/nginx.conf" -e "$nx/var/nginx/error.log" -t >"$LOG/nginx-t.log" 2>&1 ||
    { cat "$LOG/nginx-t.log" >&2; die "nginx -t failed"; }
}

# Runtime Prometheus config: the shipped one, every job's targets moved to this stack's ports.
prom_conf() {
  mkdir -p "$STATE/prometheus"
  cp "$ROOT/deploy/prometheus/alerts.yml" "$STATE/prometheus/alerts.yml"
  python3 - "$ROOT/deploy/prometheus/prometheus.yml" "$STATE/prometheus/prometheus.yml" <<PY
import re, sys
src, dst = sys.argv[1:]
targets = {
    "oddzy-api": [$P_API1, $P_API2], "oddzy-racing": [$P_RACING1, $P_RACING2],
    "oddzy-scraper": [$P_SCRAPER1, $P_SCRAPER2], "oddzy-prices": [$P_PRICES],
    "oddzy-feed": [$P_FEEDM], "prometheus": [$P_PROM],
}
text = open(src).read()
for key, val in (("scrape_interval", "5s"), ("scrape_timeout", "4s"), ("evaluation_interval", "5s")):
    text, n = re.subn(r"(?m)^(\s+%s:)\s*\S+" % key, r"\g<1> %s" % val, text, count=1)
    assert n == 1, key
out, job, seen = [], None, set()
for line in text.splitlines():
    m = re.match(r"\s*-\s*job_name:\s*(\S+)", line)
    if m:
        job = m.group(1)
    m = re.match(r"(\s*-?\s*targets:\s*)\[.*\]\s*$", line)
    if m:
        assert job in targets, "no stack ports for job %s" % job
        seen.add(job)
        line = m.group(1) + "[" + ", ".join('"127.0.0.1:%d"' % p for p in targets[job]) + "]"
    out.append(line)
assert seen == set(targets), "jobs not found: %s" % (set(targets) - seen)
open(dst, "w").write("\n".join(out) + "\n")
PY
  if command -v promtool >/dev/null; then
    promtool check config "$STATE/prometheus/prometheus.yml" >"$LOG/promtool.log" 2>&1 ||
      { cat "$LOG/promtool.log" >&2; die "generated Prometheus config is invalid"; }
  fi
}

up() {
  [ -x "$ODDZY" ] || die "$ODDZY not built (make)"
  [ -x "$NATS_BIN" ] || die "nats-server not found (scripts/setup.sh installs it)"
  [ -x "$NGINX_BIN" ] || die "nginx not found (scripts/setup.sh installs nginx-light)"
  [ -x "$PROM_BIN" ] || die "prometheus not found (scripts/setup.sh installs it)"
  command -v python3 >/dev/null || die "python3 not found"
  local n
  for n in $ORDER; do alive "$n" && die "already running ($n, pid $(pid_of "$n")): scripts/stack.sh down first"; done
  # leftovers of a stack that died: stop what remains, start clean
  [ -d "$PGDIR" ] && "$ROOT/scripts/pg-tmp.sh" stop "$PGDIR"
  rm -rf "$RUN" "$STATE/nginx" "$STATE/prometheus" "$STATE/nats" "$STATE/stack.env" "$STATE/pgdir"
  for p in $ALL_PORTS; do port_busy "$p" && die "port $p is in use (ODDZY_STACK_PORT=$B uses $B..$((B + 19)); pick another base)"; done
  mkdir -p "$RUN" "$LOG" "$STATE/nats"
  # a failure half way stops what was started
  trap 'echo "stack: start failed; stopping what was started" >&2; down >&2' EXIT
  # the postgres user (pg-tmp as root) and nginx workers (nobody) must reach their directories
  chmod 755 "$STATE"
  rm -f "$LOG"/*.log
  PGDIR=$(pg_dir_for_up)
  echo "$PGDIR" >"$STATE/pgdir"
  echo "stack: starting in $STATE (ports $B..$((B + 16)), speed $SPEED)"

  PG_TMP_PORT=$P_PG "$ROOT/scripts/pg-tmp.sh" start "$PGDIR" >"$LOG/pg-tmp.log" 2>&1 ||
    { cat "$LOG/pg-tmp.log" >&2; die "PostgreSQL did not start"; }
  cp "$ROOT/deploy/nats/nats.conf" "$STATE/nats/nats.conf"
  spawn nats "$NATS_BIN" -c "$STATE/nats/nats.conf" -a 127.0.0.1 -p "$P_NATS" -m "$P_NATSMON"
  wait_port nats "$P_NATS" 10
  "$ODDZY" migrate --db "$PG_URL" --log-level warn >"$LOG/migrate.log" 2>&1 ||
    { cat "$LOG/migrate.log" >&2; die "migrations failed"; }

  local anchor common
  anchor=${ODDZY_CLOCK_ANCHOR:-$(date +%s%3N)} # a pinned clock (tests, scripts/chaos.sh) if set
  common=(--speed "$SPEED" --clock-anchor "$anchor" --log-level "$LOGLEVEL")
  spawn feed "$ODDZY" feed --host 127.0.0.1 --port "$P_FEED" --seed "$SEED" "${common[@]}" \
    --metrics-addr "127.0.0.1:$P_FEEDM"
  for i in 1 2; do
    local mp=P_RACING$i
    spawn "racing$i" "$ODDZY" racing --db "$PG_URL" --bus "$NATS_URL" "${common[@]}" \
      --metrics-addr "127.0.0.1:${!mp}"
  done
  wait_http feed "http://127.0.0.1:$P_FEEDM/healthz" 10
  wait_port feed "$P_FEED" 10
  wait_http racing1 "http://127.0.0.1:$P_RACING1/healthz" 10
  wait_http racing2 "http://127.0.0.1:$P_RACING2/healthz" 10
  # the first scraper starts alone so it is the active one; the second is its standby
  for i in 1 2; do
    local mp=P_SCRAPER$i
    spawn "scraper$i" "$ODDZY" scraper --source "http://127.0.0.1:$P_FEED" --format entain \
      --rate 20 --timeout-ms 5000 --schedule-interval "$SCHED" --db "$PG_URL" --bus "$NATS_URL" \
      --standby-retry-ms "$RETRY" "${common[@]}" --metrics-addr "127.0.0.1:${!mp}"
    wait_http "scraper$i" "http://127.0.0.1:${!mp}/healthz" 10
    [ "$i" = 1 ] && sleep 0.5
  done
  spawn prices "$ODDZY" prices --bus "$NATS_URL" --seed "$SEED" "${common[@]}" \
    --metrics-addr "127.0.0.1:$P_PRICES"
  for i in 1 2; do
    local ap=P_API$i
    spawn "api$i" "$ODDZY" api --host 127.0.0.1 --port "${!ap}" --threads "$THREADS" \
      --bus "$NATS_URL" --web "$ROOT/web/dist" "${common[@]}"
  done
  wait_http prices "http://127.0.0.1:$P_PRICES/healthz" 10
  wait_http api1 "http://127.0.0.1:$P_API1/readyz" 20
  wait_http api2 "http://127.0.0.1:$P_API2/readyz" 20

  nginx_conf
  spawn nginx "$NGINX_BIN" -p "$STATE/nginx" -c "$STATE/nginx/conf/nginx.conf" \
    -e "$STATE/nginx/var/nginx/error.log" -g 'daemon off;'
  wait_http nginx "http://127.0.0.1:$P_NGINX/healthz" 10
  prom_conf
  spawn prometheus "$PROM_BIN" --config.file="$STATE/prometheus/prometheus.yml" \
    --storage.tsdb.path="$STATE/prometheus/tsdb" --web.listen-address="127.0.0.1:$P_PROM" \
    --log.level=warn
  wait_http prometheus "http://127.0.0.1:$P_PROM/-/ready" 30

  {
    echo "# written by scripts/stack.sh up"
    for v in STATE B SPEED P_NGINX P_API1 P_API2 P_FEED P_NATS P_NATSMON P_PROM P_PG P_RACING1 \
      P_RACING2 P_SCRAPER1 P_SCRAPER2 P_PRICES P_FEEDM PG_URL NATS_URL; do
      printf '%s=%q\n' "STACK_$v" "${!v}"
    done
    for n in $ORDER; do printf 'STACK_PID_%s=%s\n' "$n" "$(pid_of "$n")"; done
  } >"$STATE/stack.env"
  trap - EXIT
  urls
}

restart() {
  local name=${1:-}
  [ -n "$name" ] || die "usage: $0 restart NAME"
  if [ "$name" = postgres ]; then
    "$ROOT/scripts/pg-tmp.sh" restart "$PGDIR"
    echo "stack: postgres restarted"
    return
  fi
  [ -f "$RUN/$name.cmd" ] || die "no process '$name' in $RUN"
  stop_one "$name"
  local -a argv
  eval "argv=($(cat "$RUN/$name.cmd"))"
  spawn "$name" "${argv[@]}"
  echo "stack: $name restarted (pid $(pid_of "$name"))"
}

case $cmd in
up) up ;;
down) down ;;
status) status ;;
restart) restart "${2:-}" ;;
pid) alive "${2:-}" || die "'${2:-}' is not running"; pid_of "$2" ;;
*) die "usage: $0 up|down|status|restart NAME|pid NAME" ;;
esac
