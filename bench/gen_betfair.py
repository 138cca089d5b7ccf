#!/usr/bin/env python3
"""A Betfair historical-data file at PRO rate, for bench/ingest.sh (a benchmark input, not a test).

One stream message a line ("op":"mcm" with its publish time "pt"), as `oddzy replay` reads:
MARKETS horse-racing WIN markets (event type 7) at a few GB venues, RUNNERS runners each named
"N. Name", each market opened by a marketDefinition and a full image (3-level batb/batl ladders
with sizes, ltp, tv), then RATE runner changes a second of publish time for SECONDS seconds,
MSGS messages a second; a change moves one runner's best back and lay by a tick or two (all
three levels shift, sizes move), and trades (ltp, tv). Deterministic for a given --seed.
Prints the counts as JSON on stdout (changes, messages, markets, runners, first/last pt).
"""
import argparse
import json
import random
import sys

VENUES = ["Kempton", "Newcastle", "Wolverhampton", "Lingfield", "Southwell", "Chelmsford City",
          "Dundalk", "Ascot", "York", "Doncaster"]
NAMES = ["Frosbie", "Sandwood Jet", "Paradise Mission", "Kirabilly Kathy", "Castlehill Jil",
         "Coolavanny Galiv", "Gurtnacrehyblake", "Night Of Thunder", "Saint Patrick",
         "Blue Lagoon", "Zarak", "Hurricane Lane", "Mishriff", "Adayar", "Alpinista", "Baaeed"]


def ticks():
    """The Betfair CLASSIC price ladder, 1.01 to 1000, in hundredths."""
    out, p = [], 101
    for top, step in ((200, 1), (300, 2), (400, 5), (600, 10), (1000, 20), (2000, 50),
                      (3000, 100), (5000, 200), (10000, 500), (100000, 1000)):
        while p <= top:
            out.append(p)
            p += step
    return out


LADDER = ticks()


def price(i):
    return LADDER[i] / 100


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markets", type=int, default=200)
    ap.add_argument("--runners", type=int, default=10)
    ap.add_argument("--rate", type=int, default=3000, help="runner changes a second")
    ap.add_argument("--msgs", type=int, default=50, help="messages a second")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--start-ms", type=int, default=1700000000000, help="first publish time")
    ap.add_argument("--first-race-s", type=int, default=7200,
                    help="first race's start, seconds after the first publish time (negative: "
                         "races already started, which the racing service stores at once instead "
                         "of holding them for a bookmaker's race to match)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    t0 = a.start_ms
    markets = []
    for m in range(a.markets):
        venue = VENUES[m % len(VENUES)]
        race = m // len(VENUES) + 1
        # races 10 minutes apart at each venue
        off = t0 // 1000 + a.first_race_s + (race - 1) * 600
        when = f"{json_time(off)}"
        runners = []
        for r in range(a.runners):
            sid = 30000000 + m * 100 + r
            # favourite around 3.0, outsiders out to 50
            idx = min(len(LADDER) - 8, 100 + r * 12 + rnd.randrange(10))
            runners.append({"id": sid, "n": r + 1, "name": NAMES[(m + r) % len(NAMES)],
                            "b": idx, "ltp": idx, "tv": 0})
        markets.append({"id": f"1.{220000000 + m}", "event": str(33000000 + m // len(VENUES)
                                                                  * 100 + m % len(VENUES)),
                        "venue": venue, "race": race, "time": when, "runners": runners})

    def ladder_side(idx, back):
        lv = []
        for k in range(3):
            i = idx - k if back else idx + 1 + k
            lv.append([k, price(i), round(rnd.uniform(2, 400), 2)])
        return lv

    def runner_change(r, full):
        rc = {"id": r["id"]}
        rc["batb"] = ladder_side(r["b"], True)
        rc["batl"] = ladder_side(r["b"], False)
        if full or rnd.random() < 0.5:
            r["ltp"] = r["b"] + rnd.choice((0, 1))
            r["tv"] = round(r["tv"] + rnd.uniform(1, 200), 2)
            rc["ltp"] = price(r["ltp"])
            rc["tv"] = r["tv"]
        return rc

    def definition(mk):
        return {"bspMarket": True, "turnInPlayEnabled": True, "persistenceEnabled": True,
                "marketBaseRate": 5, "eventId": mk["event"], "eventTypeId": "7",
                "numberOfWinners": 1, "bettingType": "ODDS", "marketType": "WIN",
                "marketTime": mk["time"], "suspendTime": mk["time"], "bspReconciled": False,
                "complete": True, "inPlay": False, "crossMatching": True,
                "runnersVoidable": False, "numberOfActiveRunners": len(mk["runners"]),
                "betDelay": 0, "status": "OPEN", "venue": mk["venue"], "countryCode": "GB",
                "timezone": "Europe/London", "openDate": mk["time"], "version": 1,
                "name": f"R{mk['race']} 1200m Hcap", "eventName": f"{mk['venue']} 1st Dec",
                "runners": [{"status": "ACTIVE", "sortPriority": r["n"], "id": r["id"],
                             "name": f"{r['n']}. {r['name']}"} for r in mk["runners"]]}

    changes = msgs = 0
    with open(a.out, "w") as out:
        def emit(pt, mc):
            nonlocal msgs
            out.write(json.dumps({"op": "mcm", "clk": f"{msgs:08d}", "pt": pt, "mc": mc},
                                 separators=(",", ":")))
            out.write("\n")
            msgs += 1
        # the images: a definition and every runner's ladders, 10 markets a message
        for i in range(0, len(markets), 10):
            mc = []
            for mk in markets[i:i + 10]:
                mc.append({"id": mk["id"], "img": True, "marketDefinition": definition(mk),
                           "rc": [runner_change(r, True) for r in mk["runners"]]})
            emit(t0, mc)
        per_msg = max(1, a.rate // a.msgs)
        for s in range(a.seconds):
            for k in range(a.msgs):
                pt = t0 + 1000 + s * 1000 + k * (1000 // a.msgs)
                by_market = {}
                for _ in range(per_msg):
                    mk = markets[rnd.randrange(len(markets))]
                    r = mk["runners"][rnd.randrange(len(mk["runners"]))]
                    r["b"] = max(3, min(len(LADDER) - 5, r["b"] + rnd.choice((-2, -1, 1, 2))))
                    by_market.setdefault(mk["id"], {})[r["id"]] = runner_change(r, False)
                changes += sum(len(rcs) for rcs in by_market.values())
                emit(pt, [{"id": mid, "rc": list(rcs.values())} for mid, rcs in by_market.items()])
    json.dump({"file": a.out, "markets": len(markets), "runners": len(markets) * a.runners,
               "changes": changes, "messages": msgs, "seconds": a.seconds,
               "first_pt": t0, "last_pt": t0 + a.seconds * 1000}, sys.stdout)
    print()


def json_time(epoch):
    import datetime
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


if __name__ == "__main__":
    main()
