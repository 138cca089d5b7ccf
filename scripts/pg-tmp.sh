#!/usr/bin/env bash
# A throw-away PostgreSQL on loopback for tests, its data, socket and log inside one directory.
#
#   scripts/pg-tmp.sh start DIR [OWNER_PID]  initdb (trust auth, 127.0.0.1 only), start on a free
#                                            port, print postgres://oddzy@127.0.0.1:PORT/oddzy;
#                                            with OWNER_PID, a watchdog runs `stop DIR` once that
#                                            process has gone (a crashed test leaves nothing)
#   scripts/pg-tmp.sh restart DIR            fast restart on the same port, data kept
#   scripts/pg-tmp.sh stop DIR               stop the server and delete DIR
#
# PG_TMP_PORT=N makes `start` use that port (fails if it is taken) instead of a free random one.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user and DIR
# is handed to it. DIR should be short (the socket path is limited to ~100 bytes): /tmp/...
set -euo pipefail

die() { echo "pg-tmp: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 start|stop|restart DIR [OWNER_PID]"
cmd=$1 dir=$2 owner=${3:-}
marker=.oddzy-pg-tmp

bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ ! -x "$bin/initdb" ]; then die "PostgreSQL server binaries not found (apt-get install postgresql)"; fi

# Run a server binary as the right user, from a directory that user can read.
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd "$dir" && runuser -u postgres -- "$@")
  else (cd "$dir" && "$@"); fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  touch "$dir/$marker"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir/data" -U oddzy --auth=trust -E UTF8 --locale=C --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    {
      echo "local all all trust"
      echo "host all all 127.0.0.1/32 trust"
    } >"$dir/data/pg_hba.conf"
    echo "include = 'oddzy.conf'" >>"$dir/data/postgresql.conf"
  fi
  local tries=0 port
  while :; do
    tries=$((tries + 1))
    port=${PG_TMP_PORT:-$((20000 + (RANDOM * 32768 + RANDOM) % 40000))}
    if port_busy "$port"; then
      [ -z "${PG_TMP_PORT:-}" ] || die "port $port is in use"
      continue
    fi
    cat >"$dir/data/oddzy.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 60
max_prepared_transactions = 4
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/data/oddzy.conf" "$dir/data/pg_hba.conf"
    if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null 2>&1; then
      break
    fi
    [ $tries -lt 5 ] && [ -z "${PG_TMP_PORT:-}" ] || { tail -n 20 "$dir/server.log" >&2; die "server did not start"; }
  done
  echo "$port" >"$dir/port"
  if ! as_pg "$bin/psql" -h "$dir" -p "$port" -U oddzy -d postgres -XAtq \
      -c "SELECT 1 FROM pg_database WHERE datname = 'oddzy'" | grep -q 1; then
    as_pg "$bin/createdb" -h "$dir" -p "$port" -U oddzy oddzy || die "createdb failed"
  fi
  if [ -n "$owner" ]; then
    # Detached, output nowhere: a caller reading our stdout must not wait for the watchdog.
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 1; done
                    exec "$3" stop "$2"' watchdog "$owner" "$dir" "$(realpath "$0")" \
      </dev/null >/dev/null 2>&1 &
  fi
  echo "postgres://oddzy@127.0.0.1:$port/oddzy"
}

case $cmd in
start) start ;;
restart)
  [ -f "$dir/$marker" ] || die "$dir is not a pg-tmp directory"
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart >/dev/null ;;
stop)
  [ -d "$dir" ] || exit 0
  [ -f "$dir/$marker" ] || die "$dir is not a pg-tmp directory; not touching it"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir" ;;
*) die "unknown command '$cmd' (start, stop, restart)" ;;
esac
