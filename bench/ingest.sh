#!/usr/bin/env bash
# Exchange ingest benchmark (not a test), issue 15's "Performance" paragraph. One command:
#
#   bench/ingest.sh                              (make bench runs it too)
#   BENCH_SECONDS=10 BENCH_RATE=2000 bench/ingest.sh
#
# 1. bench/gen_betfair.py writes a PRO-rate Betfair historical file: BENCH_MARKETS (200) horse
#    WIN markets of 10 runners "N. Name", 3-level batb/batl ladders with sizes, ltp and tv,
#    BENCH_RATE (3,000) runner changes a second of publish time for BENCH_SECONDS (30).
# 2. `oddzy replay --speed max --db X FILE` into SQLite, then into PostgreSQL (a throw-away
#    server, scripts/pg-tmp.sh): wall time, CPU (user+sys of the oddzy process, from wait4),
#    the rows it wrote (prices, exchange_books); changes a second and CPU us a change.
# 3. The bare loop (build/bench/ingest_bare, bench/ingest_bare.c): the same rows read back,
#    deleted and inserted again with prepared statements, one transaction per publish second
#    (oddzy's replay batch); the ratio oddzy / bare for each database.
# 4. The lag from publish to the page's view: `oddzy run --replay FILE --replay-speed 1` (with
#    its simulated world beside it) and GET /api/racing/racecard of one market's race every
#    BENCH_POLL_MS (10) while BENCH_LAG_SECONDS (20) of publish time play at BENCH_LAG_SPEED (1;
#    lower it where the machine cannot keep up with the rate), until every runner's last change
#    is on the page (at most a minute after the file ends): a runner's traded volume is unique to the
#    change that set it, so the first poll showing it dates the change's arrival on the page;
#    its due time is the replay's start (the "oddzy is running" log line, written just after
#    the replay thread starts) plus its publish offset. p50/p99/max; a poll adds up to
#    BENCH_POLL_MS to each sample.
# A markdown copy goes to build/bench/ingest.md. BENCH_LAG_ONLY=1 measures the lag alone;
# BENCH_DBS=sqlite (or postgres) replays into one database only, BENCH_NO_LAG=1 skips the lag.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
make -C "$ROOT" -s build/oddzy build/bench/ingest_bare >/dev/null
exec python3 "$ROOT/bench/ingest_run.py" "$ROOT"
