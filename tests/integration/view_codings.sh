#!/usr/bin/env bash
# Compressed variants of a view are made for the codings clients ask for (src/api/views.c):
# while only plain requests come, a race card re-rendered from its price events makes no
# brotli; the first request that asks for brotli gets it at once (made then, the same bytes
# as the plain answer of that version), and the builds after it make it again. A bad
# --view-coding-keep-ms (here from its ODDZY_VIEW_CODING_KEEP_MS) is refused at start.
source "$(dirname "$0")/lib.bash"
P=$(free_port)
rc=0
ODDZY_VIEW_CODING_KEEP_MS=soon "$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/bad.db" \
  --web "" --log-level warn >"$TMP/bad.log" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a bad ODDZY_VIEW_CODING_KEEP_MS exited $rc, not 2"
grep -q 'view-coding-keep-ms must be an integer from 0 to 3600000' "$TMP/bad.log" || { cat "$TMP/bad.log"; fail "no clear error for a bad ODDZY_VIEW_CODING_KEEP_MS"; }

ODDZY_VIEW_CODING_KEEP_MS=1000 "$ODDZY" run --port "$P" --host 127.0.0.1 --db "$TMP/run.db" \
  --speed 30 --seed 5 --web "" --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/readyz" 20 || { cat "$TMP/run.log"; fail "not ready"; }
U="http://127.0.0.1:$P"
metric() { curl -fsS "$U/metrics" | awk -v m="$1" '$1 == m {s += $2} END {printf "%d\n", s}'; }
BR='oddzy_view_compressions_total{coding="br"}'
# the next race with a priced field: its card is re-rendered from price events all along
RID=
for _ in $(seq 1 100); do
  RID=$("$PY" - "$U" <<'PY' || true
import json, sys, urllib.request
base = sys.argv[1]
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=5))
for r in get("/api/racing/next?limit=10")["races"]:
    c = get("/api/racing/racecard?race_id=%d" % r["race_id"])
    if len(c["runners"]) >= 6 and any(x["prices"]["fixed_win"] for x in c["runners"]):
        print(r["race_id"]); break
PY
)
  [ -n "$RID" ] && break; sleep 0.2
done
[ -n "$RID" ] || fail "no priced race"
CARD="$U/api/racing/racecard?race_id=$RID"
plain_for() { # seconds: plain requests every 100 ms, the ETags seen appended to $TMP/etags
  local end=$(( $(date +%s%N) / 1000000 + $1 * 1000 ))
  while [ $(( $(date +%s%N) / 1000000 )) -lt "$end" ]; do
    curl -fsS -D - -o /dev/null "$CARD" | tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}' >>"$TMP/etags"
    sleep 0.1
  done
}
plain_for 2 # past the keep time of the codings the first build made
b0=$(metric "$BR"); : >"$TMP/etags"
plain_for 3
b1=$(metric "$BR")
versions=$(sort -u "$TMP/etags" | wc -l)
[ "$versions" -ge 2 ] || fail "the card did not change in 3 s: nothing to test"
[ "$b1" = "$b0" ] || fail "brotli made while only plain was asked for ($b0 -> $b1 over $versions versions)"

# asked for brotli: answered in brotli at once, the plain bytes of the same version
curl -fsS -D "$TMP/hb" -o /dev/null -H 'Accept-Encoding: gzip, deflate, br, zstd' "$CARD"
grep -qi '^content-encoding: br' "$TMP/hb" || fail "no brotli for a browser's Accept-Encoding: $(cat "$TMP/hb")"
ok=
for _ in 1 2 3 4 5; do
  curl -fsS --compressed -H 'Accept-Encoding: br' -D "$TMP/hu" -o "$TMP/unbr" "$CARD"
  curl -fsS -D "$TMP/hp" -o "$TMP/plain" "$CARD"
  [ "$(grep -i '^etag:' "$TMP/hu")" = "$(grep -i '^etag:' "$TMP/hp")" ] || continue
  cmp -s "$TMP/unbr" "$TMP/plain" || fail "brotli and plain bodies of one version differ"
  ok=1; break
done
[ -n "$ok" ] || fail "no two requests saw the same version"
b2=$(metric "$BR")
[ "$b2" -gt "$b1" ] || fail "brotli not counted as made ($b1 -> $b2)"
# asked for all along now: each new version is built with it, and every answer is brotli
: >"$TMP/etags2"
end=$(( $(date +%s%N) / 1000000 + 15000 ))
while [ $(( $(date +%s%N) / 1000000 )) -lt "$end" ]; do
  curl -fsS -D "$TMP/hb" -o /dev/null -H 'Accept-Encoding: br' "$CARD"
  grep -qi '^content-encoding: br' "$TMP/hb" || fail "a brotli request answered otherwise"
  tr -d '\r' <"$TMP/hb" | awk 'tolower($1) == "etag:" {print $2}' >>"$TMP/etags2"
  [ "$(sort -u "$TMP/etags2" | wc -l)" -ge 3 ] && break
  sleep 0.05
done
[ "$(sort -u "$TMP/etags2" | wc -l)" -ge 3 ] || fail "the card did not change in 15 s"
b3=$(metric "$BR")
[ "$b3" -ge $((b2 + 2)) ] || fail "versions built while brotli was asked for did not make it ($b2 -> $b3)"
echo ok
