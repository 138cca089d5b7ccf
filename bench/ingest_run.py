#!/usr/bin/env python3
"""bench/ingest.sh's driver: generate, replay into SQLite and PostgreSQL, bare loop, lag.
See bench/ingest.sh for what is measured and how."""
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = sys.argv[1]
ODDZY = os.path.join(ROOT, "build/oddzy")
BARE = os.path.join(ROOT, "build/bench/ingest_bare")
GEN = os.path.join(ROOT, "bench/gen_betfair.py")
MARKETS = int(os.environ.get("BENCH_MARKETS", 200))
RATE = int(os.environ.get("BENCH_RATE", 3000))
SECONDS = int(os.environ.get("BENCH_SECONDS", 30))
LAG_SECONDS = int(os.environ.get("BENCH_LAG_SECONDS", 20))
POLL_MS = int(os.environ.get("BENCH_POLL_MS", 10))
LAG_SPEED = float(os.environ.get("BENCH_LAG_SPEED", 1))
OUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, "build/bench/ingest.md"))
DBS = os.environ.get("BENCH_DBS", "sqlite,postgres").split(",")  # which databases
NO_LAG = bool(os.environ.get("BENCH_NO_LAG"))  # skip the lag run


def gen(path, seconds, extra=()):
    out = subprocess.run([sys.executable, GEN, "--out", path, "--markets", str(MARKETS),
                          "--rate", str(RATE), "--seconds", str(seconds), *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def timed(cmd, log):
    """Run cmd, its output to log; (wall s, user+sys s of the process)."""
    with open(log, "w") as f:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"ingest: {' '.join(cmd)} failed, see {log}:\n" + open(log).read()[-2000:])
    return wall, ru.ru_utime + ru.ru_stime


def replay(db, data, tmp, label):
    log = os.path.join(tmp, f"replay-{label}.log")
    wall, cpu = timed([ODDZY, "replay", "--speed", "max", "--db", db, "--log-format", "text",
                       "--log-level", "info", data["file"]], log)
    fin = re.search(r"replay finished lines=(\d+) bad_lines=(\d+) batches=(\d+) failed_batches=(\d+)",
                    open(log).read())
    if not fin or fin.group(2) != "0" or fin.group(4) != "0":
        sys.exit(f"ingest: replay into {label} incomplete, see {log}")
    bare = json.loads(subprocess.run([BARE, "--db", db], check=True, capture_output=True,
                                     text=True).stdout)
    ch = data["changes"]
    return {"db": label, "wall": wall, "cpu": cpu, "batches": int(fin.group(3)),
            "rows": bare["rows"], "books": bare["books"], "changes": ch,
            "rate": ch / wall, "cpu_us": cpu / ch * 1e6, "rows_s": bare["rows"] / wall,
            "bare": bare, "bare_rows_s": bare["rows"] / bare["wall_s"],
            "bare_rate": ch / bare["wall_s"], "bare_cpu_us": bare["cpu_s"] / ch * 1e6,
            "ratio": bare["wall_s"] / wall}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def lag(tmp):
    """p50/p99/max ms from a change's due time to the race card showing it."""
    path = os.path.join(tmp, "lag.jsonl")
    # the publish times start now; the races started hours ago, so the racing service stores
    # them at once rather than holding them for a bookmaker's race to match
    data = gen(path, LAG_SECONDS, ("--first-race-s", "-14400",
                                   "--start-ms", str(int(time.time() * 1000))))
    # market 0: its race's runners' traded volumes and the publish time that set each
    tv_pt = {}
    last_tv = {}  # runner: its final (runner, volume); all seen ends the polling
    market0 = None
    with open(path) as f:
        for line in f:
            m = json.loads(line)
            for mc in m.get("mc", []):
                if market0 is None:
                    market0 = mc["id"]
                if mc["id"] != market0:
                    continue
                for rc in mc.get("rc", []):
                    if "tv" in rc:
                        tv_pt.setdefault((rc["id"], round(rc["tv"] * 100)), m["pt"])
                        last_tv[rc["id"]] = (rc["id"], round(rc["tv"] * 100))
    db = os.path.join(tmp, "lag.db")
    port = free_port()
    log = os.path.join(tmp, "run.log")
    t_launch = time.time()
    with open(log, "w") as f:
        p = subprocess.Popen([ODDZY, "run", "--port", str(port), "--host", "127.0.0.1",
                              "--db", db, "--web", "", "--exchange", "off", "--replay", path,
                              "--replay-speed", str(LAG_SPEED), "--log-format", "text",
                              "--log-level", "info"], stdout=f, stderr=subprocess.STDOUT)
    samples = []
    try:
        start = None
        deadline = time.time() + 30
        while start is None and time.time() < deadline:
            mt = re.search(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) INFO  run  oddzy is running",
                           open(log).read(), re.M)
            if mt:
                h, mi, s, ms = (int(x) for x in mt.groups())
                day = t_launch - t_launch % 86400
                start = day + h * 3600 + mi * 60 + s + ms / 1000
                if start < t_launch - 1:  # the log's clock crossed midnight UTC
                    start += 86400
            time.sleep(0.01)
        if start is None:
            sys.exit(f"ingest: oddzy run did not start, see {log}")
        first_pt = data["first_pt"]
        race = None
        card = f"http://127.0.0.1:{port}/api/racing/racecard?race_id="
        seen = set()
        # until every runner's last change is on the page, or a minute after the file ends
        end = start + LAG_SECONDS / LAG_SPEED + 60
        while time.time() < end and not all(k in seen for k in last_tv.values()):
            if race is None:
                race = find_race(db, data)
                if race is None:
                    time.sleep(0.05)
                    continue
            t_req = time.time()
            try:
                with urllib.request.urlopen(card + str(race), timeout=2) as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(POLL_MS / 1000)
                continue
            t_seen = time.time()
            body = body.get("data", body)
            for run in body.get("runners", []):
                bf = (run.get("exchange") or {}).get("betfair") or {}
                sid = int(run.get("source_key", "0:0:0:0").rsplit(":", 1)[1])
                key = (sid, round((bf.get("traded_volume") or 0) * 100))
                if key in tv_pt and key not in seen:
                    seen.add(key)
                    due = start + (tv_pt[key] - first_pt) / 1000 / LAG_SPEED
                    if tv_pt[key] > first_pt:  # the opening image came with the start
                        samples.append(((t_req + t_seen) / 2 - due) * 1000)
            time.sleep(max(0, POLL_MS / 1000 - (time.time() - t_req)))
    finally:
        p.terminate()
        p.wait(timeout=30)
    if not samples:
        sys.exit("ingest: no lag samples; the end of oddzy run's log:\n" +
                 "".join(open(log).readlines()[-20:]))
    third = max(1, len(samples) // 3)  # in arrival order: a lag that grows is falling behind
    trend = (statistics.median(samples[:third]), statistics.median(samples[-third:]))
    samples.sort()
    q = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else samples * 99
    return {"n": len(samples), "p50": statistics.median(samples), "p99": q[98],
            "max": samples[-1], "changes": data["changes"], "seconds": LAG_SECONDS,
            "speed": LAG_SPEED, "trend": trend}


def find_race(db, data):
    import sqlite3
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        row = c.execute("SELECT id FROM races WHERE source_key LIKE 'betfair:33000000:%'").fetchone()
        c.close()
        return row[0] if row else None
    except sqlite3.Error:
        return None


def main():
    tmp = tempfile.mkdtemp(prefix="oddzy-ingest.")
    pgdir = None
    if os.environ.get("BENCH_LAG_ONLY"):
        try:
            lg = lag(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(lag_line(lg))
        return
    try:
        data = gen(os.path.join(tmp, "pro.jsonl"), SECONDS)
        size = os.path.getsize(data["file"])
        res = []
        if "sqlite" in DBS:
            res.append(replay(os.path.join(tmp, "bench.db"), data, tmp, "SQLite"))
        if "postgres" in DBS:
            pgdir = tempfile.mkdtemp(prefix="oddzy-ipg.", dir="/tmp")
            url = subprocess.run([os.path.join(ROOT, "scripts/pg-tmp.sh"), "start", pgdir,
                                  str(os.getpid())], check=True, capture_output=True,
                                 text=True).stdout.strip().splitlines()[-1]
            res.append(replay(url, data, tmp, "PostgreSQL"))
            subprocess.run([os.path.join(ROOT, "scripts/pg-tmp.sh"), "stop", pgdir],
                           check=True, capture_output=True)
            pgdir = None
        lg = None if NO_LAG else lag(tmp)
    finally:
        if pgdir:
            subprocess.run([os.path.join(ROOT, "scripts/pg-tmp.sh"), "stop", pgdir],
                           capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    load = open("/proc/loadavg").read().split()[:3]
    lines = [
        f"{data['markets']} WIN markets x 10 runners, {data['changes']} runner changes in "
        f"{data['seconds']} s of publish time ({data['changes'] // data['seconds']}/s, "
        f"{data['messages']} messages, {size / 1e6:.1f} MB); {os.cpu_count()} cores, load "
        f"average {' '.join(load)} at the end",
        "",
        "| database | oddzy wall s | changes/s | CPU us/change | prices rows | books | "
        "rows/s | bare wall s | bare rows/s | bare CPU us/change | oddzy/bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in res:
        lines.append(
            f"| {r['db']} | {r['wall']:.2f} | {r['rate']:,.0f} | {r['cpu_us']:.0f} | "
            f"{r['rows']} | {r['books']} | {r['rows_s']:,.0f} | {r['bare']['wall_s']:.3f} | "
            f"{r['bare_rows_s']:,.0f} | {r['bare_cpu_us']:.1f} | {r['ratio']:.2f} |")
    lines += [
        "",
        f"oddzy: {res[0]['batches']} batches (one a publish second); bare loop: "
        f"{res[0]['bare']['transactions']} transactions, {res[0]['bare']['book_upserts']} book "
        "upserts. oddzy/bare = bare wall / oddzy wall (1.00: as fast as the bare loop).",
    ] if res else []
    if lg:
        lines += ["", lag_line(lg)]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    open(OUT, "w").write(text)
    print(text, end="")


def lag_line(lg):
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    return (
        f"Lag, publish to racecard (`oddzy run --replay-speed {lg['speed']:g}`, {lg['changes']} "
        f"changes in {lg['seconds']} s of publish time, "
        f"{lg['changes'] / lg['seconds'] * lg['speed']:,.0f}/s played, polled every {POLL_MS} ms): {lg['n']} samples, p50 "
        f"{lg['p50']:.0f} ms, p99 {lg['p99']:.0f} ms, max {lg['max']:.0f} ms (median of the "
        f"first third {lg['trend'][0]:.0f} ms, of the last {lg['trend'][1]:.0f} ms); load average "
        f"{load} at the end")


if __name__ == "__main__":
    main()
