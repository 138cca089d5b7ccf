#!/usr/bin/env bash
# Live-push benchmark (not a test). One run, on loopback, about 4 minutes:
#   - nats-server (Debian's) carries price events; a publisher sends them on `race.<id>.price`
#     at a fixed rate, each carrying its send time (CLOCK_MONOTONIC, shared by all processes);
#   - targets, one after the other, each pinned to one core (taskset):
#       oddzy-sio  `oddzy api --bus nats://...`, Socket.IO /prices over WebSocket,
#                  clients: socket.io-client 4 with transports ['websocket'];
#       node-sio   a Node.js socket.io 4 server (bench/live/sio_server.mjs) subscribed to the
#                  same NATS subject, broadcasting to a room; same clients;
#       oddzy-ws   `oddzy api`, plain /ws, clients: the `ws` package;
#   - BENCH_CLIENTS (10,000) clients, split over BENCH_PROCS client processes on the other core:
#     with BENCH_CLIENT=c (the default) the C load generator bench/wsload.c (epoll + wslay, one
#     process holds them all: BENCH_PROCS 1; `make bench-tools` builds it), with BENCH_CLIENT=node
#     the Node.js clients of bench/live/client.mjs (BENCH_PROCS 4); in both,
#     all subscribed to one race; the server's RSS before connecting and with every client
#     connected and idle gives memory per connection; then each rate in BENCH_RATES (events a
#     second for that race: 1, 5 and 10, so 10,000, 50,000 and 100,000 messages a second to
#     deliver) runs for BENCH_SECONDS (10) and gives publish-to-receipt latency p50/p90/p99/max,
#     messages a second delivered, and the CPU of the server, of the clients and of whatever
#     else ran on the server's core meanwhile (other work on the machine skews everything).
# Prints a table and the ratios against socket.io; a markdown and a JSON copy go to
# build/bench/live.md and build/bench/live.json.
#
#   bench/live.sh                     (make bench runs it too)
#   BENCH_CLIENTS=2000 BENCH_RATES="1 10 20" BENCH_SECONDS=5 BENCH_PROCS=2 bench/live.sh
#   BENCH_TARGETS="oddzy-ws node-sio" bench/live.sh
#   BENCH_LO_RPS=1 bench/live.sh     (the clients' TCP receive on their own core: see below)
#
# npm packages (socket.io, socket.io-client, ws, nats, pinned in bench/live/package-lock.json)
# are installed into bench/live/node_modules by `npm ci` on the first run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ODDZY=${ODDZY:-$ROOT/build/oddzy}
export NATS_SERVER=${NATS_SERVER:-/usr/sbin/nats-server}
export BENCH_CLIENTS=${BENCH_CLIENTS:-10000}
export BENCH_CLIENT=${BENCH_CLIENT:-c}
if [ "$BENCH_CLIENT" = c ]; then export BENCH_PROCS=${BENCH_PROCS:-1}; else export BENCH_PROCS=${BENCH_PROCS:-4}; fi
export WSLOAD=${WSLOAD:-$ROOT/build/bench/wsload}
export BENCH_SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
export BENCH_OUT=${BENCH_OUT:-$ROOT/build/bench/live.md}

die() { echo "bench/live.sh: $*" >&2; exit 1; }
for c in node npm taskset; do command -v "$c" >/dev/null || die "$c is not installed (scripts/setup.sh installs it)"; done
[ -x "$NATS_SERVER" ] || die "$NATS_SERVER not found (apt-get install nats-server)"
[ -x "$ODDZY" ] || die "$ODDZY not built (make)"
[ "$BENCH_CLIENT" != c ] || [ -x "$WSLOAD" ] || die "$WSLOAD not built (make bench-tools)"
[ "$(nproc)" -ge 2 ] || die "needs 2 cores: one for the server, one for the clients"

# every client is a socket in a client process and one in the server
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ $((BENCH_CLIENTS + 500)) -gt "$NOFILE" ]; then
  echo "bench/live.sh: open-file limit is $NOFILE: $((NOFILE - 500)) clients instead of $BENCH_CLIENTS" >&2
  BENCH_CLIENTS=$((NOFILE - 500))
fi

LIVE=$ROOT/bench/live
if [ ! -f "$LIVE/node_modules/.package-lock.json" ] || [ "$LIVE/package-lock.json" -nt "$LIVE/node_modules/.package-lock.json" ]; then
  (cd "$LIVE" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in bench/live failed"
fi

# BENCH_LO_RPS=1: loopback's receive side runs on the clients' core (receive packet steering on
# `lo`), as on a network, where the client's machine does it. By default the kernel delivers a
# loopback segment in the sender's soft interrupt, so each server's core also pays its clients'
# TCP receive (about half of oddzy's CPU here, docs/performance.md); with it, each side pays its
# own, for socket.io alike, but the clients' core then carries that work and the latencies
# measure it too. Needs root; restored at the end.
RPS=/sys/class/net/lo/queues/rx-0/rps_cpus
if [ "${BENCH_LO_RPS:-0}" = 1 ]; then
  [ -w "$RPS" ] || die "BENCH_LO_RPS=1: cannot write $RPS (needs root and a kernel with RPS)"
  RPS_WAS=$(cat "$RPS")
  trap 'echo "$RPS_WAS" >"$RPS"' EXIT
  printf '%x\n' $((1 << CLIENT_CPU)) >"$RPS"
  export BENCH_LO_RPS_NOTE="loopback receive on cpu $CLIENT_CPU (BENCH_LO_RPS=1)"
fi

taskset -c "$CLIENT_CPU" node "$LIVE/run.mjs"
