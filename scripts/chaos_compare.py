#!/usr/bin/env python3
"""Compare the racing data of two Oddzy databases (SQLite files or postgres:// URLs): every
race that started before CUT (epoch s), by source key: status, results, dividends; and its
runners: number, barrier, name, jockey, trainer, weight, claim, scratchings, deduction,
emergency, silks. JSON columns are compared as JSON (PostgreSQL keeps JSONB, SQLite text).

Prints one JSON object: ref_races, ref_runners, lost (rows of REF missing or different in
TARGET), extra (rows of TARGET not in REF), duplicates (races sharing a meeting and number,
runners sharing a race and number, in TARGET), integrity ("ok" or SQLite's words)."""
import json
import sqlite3
import subprocess
import sys

RACES = """select r.source_key, r.status, r.results, r.dividends from races r
           where r.scheduled_start < {cut}"""
RUNNERS = """select r.source_key, s.source_key, s.number, s.barrier, s.name, s.jockey, s.trainer,
             s.weight, s.claim, {b}(s.scratched), {b}(s.late_scratched), s.scratch_time,
             s.deduction, {b}(s.emergency), s.silks
             from selections s join races r on r.id = s.race_id where r.scheduled_start < {cut}"""
DUPS = """select (select count(*) from (select 1 from races group by meeting_id, number
                                        having count(*) > 1) a)
               + (select count(*) from (select 1 from selections group by race_id, number
                                        having count(*) > 1) b)"""


def rows(db, query):
    if db.startswith(("postgres://", "postgresql://")):
        out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\x1f", "-d", db, "-c", query],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines()]
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        return [tuple("" if v is None else str(v) for v in r) for r in con.execute(query)]
    finally:
        con.close()


def canon(row, json_cols):
    out = list(row)
    for i in json_cols:
        try:
            out[i] = json.dumps(json.loads(out[i]), sort_keys=True, separators=(",", ":"))
        except ValueError:
            pass
    return tuple(out)


def boolfn(db):
    return "int4" if db.startswith(("postgres://", "postgresql://")) else ""


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: chaos_compare.py REF TARGET CUT")
    ref, target, cut = sys.argv[1], sys.argv[2], int(sys.argv[3])
    res = {}
    lost = extra = 0
    for name, q, js in (("races", RACES, (2, 3)), ("runners", RUNNERS, ())):
        a = {canon(r, js) for r in rows(ref, q.format(cut=cut, b=boolfn(ref)))}
        b = {canon(r, js) for r in rows(target, q.format(cut=cut, b=boolfn(target)))}
        res["ref_" + name] = len(a)
        lost += len(a - b)
        extra += len(b - a)
    res["lost"], res["extra"] = lost, extra
    res["duplicates"] = int(rows(target, DUPS)[0][0])
    res["integrity"] = "ok"
    if not target.startswith(("postgres://", "postgresql://")):
        res["integrity"] = rows(target, "pragma integrity_check")[0][0]
    print(json.dumps(res))


if __name__ == "__main__":
    main()
