#!/usr/bin/env python3
"""Compare the CPU a change of two oddzy builds on the same replay, interleaved (not a test).

    bench/ingest_ab.py OLD_ODDZY NEW_ODDZY [RUNS]

On a machine shared with other work the wall rate moves with the load; CPU time (user + sys
of the oddzy process, from wait4) moves much less, and running the two builds in turn
(old, new, old, new, ...) exposes both to the same load. One generated PRO-rate file
(bench/gen_betfair.py: BENCH_MARKETS, BENCH_RATE, BENCH_SECONDS as in bench/ingest.sh) is
replayed with `--speed max` RUNS times (3) by each build into a new SQLite file, then into a
new database of one throw-away PostgreSQL server (scripts/pg-tmp.sh) unless BENCH_DBS says
only sqlite. Prints each run and the median us of CPU a change of each build."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKETS = int(os.environ.get("BENCH_MARKETS", 200))
RATE = int(os.environ.get("BENCH_RATE", 3000))
SECONDS = int(os.environ.get("BENCH_SECONDS", 20))
DBS = os.environ.get("BENCH_DBS", "sqlite,postgres").split(",")


def run(cmd):
    """(CPU s of the process, wall s)"""
    with open(os.devnull, "w") as null:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=null, stderr=null)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"ingest_ab: {' '.join(cmd)} failed")
    return ru.ru_utime + ru.ru_stime, wall


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    builds = {"old": sys.argv[1], "new": sys.argv[2]}
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    tmp = tempfile.mkdtemp(prefix="oddzy-ab.")
    path = os.path.join(tmp, "pro.jsonl")
    data = json.loads(subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench/gen_betfair.py"), "--out", path, "--markets",
         str(MARKETS), "--rate", str(RATE), "--seconds", str(SECONDS)],
        check=True, capture_output=True, text=True).stdout)
    changes = data["changes"]
    pgdir, n = None, 0
    try:
        for db in DBS:
            url = None
            if db == "postgres":
                pgdir = tempfile.mkdtemp(prefix="oddzy-abpg.", dir="/tmp")  # postgres reads it
                url = subprocess.run([os.path.join(ROOT, "scripts/pg-tmp.sh"), "start", pgdir,
                                      str(os.getpid())], check=True, capture_output=True,
                                     text=True).stdout.strip().splitlines()[-1]
            us = {"old": [], "new": []}
            for i in range(runs):
                for name, binary in builds.items():
                    n += 1
                    if url:
                        dbname = f"ab{n}"
                        subprocess.run(["psql", url, "-XAtqc", f"CREATE DATABASE {dbname}"],
                                       check=True, capture_output=True)
                        target = url.rsplit("/", 1)[0] + "/" + dbname
                    else:
                        target = os.path.join(tmp, f"ab{n}.db")
                    cpu, wall = run([binary, "replay", "--speed", "max", "--db", target,
                                  "--log-level", "warn", path])
                    us[name].append(cpu / changes * 1e6)
                    load = open("/proc/loadavg").read().split()[0]
                    print(f"{db} run {i + 1} {name}: {cpu:.2f} s CPU, {wall:.2f} s wall, "
                          f"{us[name][-1]:.1f} us a change (load {load})", flush=True)
            print(f"{db}: median us a change, old {statistics.median(us['old']):.1f}, "
                  f"new {statistics.median(us['new']):.1f} ({changes} changes, {runs} runs "
                  "each)", flush=True)
            if pgdir:
                subprocess.run([os.path.join(ROOT, "scripts/pg-tmp.sh"), "stop", pgdir],
                               capture_output=True)
                pgdir = None
    finally:
        if pgdir:
            subprocess.run([os.path.join(ROOT, "scripts/pg-tmp.sh"), "stop", pgdir],
                           capture_output=True)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
