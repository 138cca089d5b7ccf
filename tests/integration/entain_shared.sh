#!/usr/bin/env bash
# Entain brands share meeting, event and entrant ids: two brands in one --sources file give one
# race both brands' prices, the shared rows (meetings, races, runners with results and
# scratchings) come from the first brand only, and when that brand's source fails the other
# takes the shared parts over, so results keep arriving; shared_owner marks another owner.
source "$(dirname "$0")/lib.bash"

# Two simulated worlds of the same seed, speed and clock: the same races. Ladbrokes is read
# from the first, Neds from the second, so the test can take Ladbrokes' source away.
FA=$(free_port); FB=$(free_port)
"$ODDZY" feed --port "$FA" --seed 7 --speed 60 --log-level warn >"$TMP/fa.log" 2>&1 &
FAPID=$!; PIDS+=($FAPID)
"$ODDZY" feed --port "$FB" --seed 7 --speed 60 --log-level warn >"$TMP/fb.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$FA/healthz"
wait_http "http://127.0.0.1:$FB/healthz"
cat >"$TMP/sources.yaml" <<YAML
sources:
  - name: ladbrokes            # first of the Entain brands: owns the shared parts
    url: http://127.0.0.1:$FA/b/ladbrokes
    from: ops@example.com
    partner: Oddzy Tests
    rate: 100
  - name: neds
    url: http://127.0.0.1:$FB/b/neds
    from: ops@example.com
    partner: Oddzy Tests
    rate: 100
YAML
# scrape NAME: `oddzy scraper --sources $TMP/NAME.yaml` into $TMP/NAME.db (DB), metrics on MP
scrape() {
  DB="$TMP/$1.db"; MP=$(free_port)
  "$ODDZY" scraper --sources "$TMP/$1.yaml" --db "$DB" --speed 60 --schedule-interval 120 \
    --metrics-addr "127.0.0.1:$MP" --log-level warn >"$TMP/$1.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$MP/metrics"
}
scrape sources
# rows[SOURCE,KIND]: what each source sent to the store (oddzy_scrape_rows_sent_total)
rows() {
  curl -fsS "http://127.0.0.1:$MP/metrics" |
    awk -v s="$1" -v k="$2" 'index($0, "oddzy_scrape_rows_sent_total{rows=\"" k "\",source=\"" s "\"}") == 1 { print $2 + 0; f = 1 }
      END { if (!f) print 0 }'
}
common=0
for _ in $(seq 1 300); do
  common=$(sql "$DB" "select count(distinct s.race_id) from prices a join prices b on a.selection_id=b.selection_id
    join selections s on s.id=a.selection_id where a.provider='ladbrokes' and b.provider='neds'" 2>/dev/null || echo 0)
  [ "${common:-0}" -gt 5 ] && break; sleep 0.2
done
[ "${common:-0}" -gt 5 ] || { cat "$TMP/sources.log"; fail "no race priced by both brands (got ${common:-0})"; }
[ "$(sql "$DB" "select count(*) from prices where provider not in ('ladbrokes','neds')")" = 0 ] ||
  fail "prices under another provider"
[ "$(sql "$DB" "select count(*) from (select source_key from races group by source_key having count(*)>1)")" = 0 ] ||
  fail "a race stored twice"
lad=$(rows ladbrokes shared); neds=$(rows neds shared); np=$(rows neds prices)
[ "$lad" -gt 0 ] || fail "ladbrokes sent no shared rows"
[ "$np" -gt 0 ] || fail "neds sent no prices"
[ "$neds" = 0 ] || fail "neds sent $neds shared rows while ladbrokes is up"
echo "ok   one race, both brands' prices ($common races): shared rows $lad from ladbrokes, 0 from neds ($np price rows)"

# The first brand's source goes away: Neds takes the shared parts over, results keep coming.
kill "$FAPID"; wait "$FAPID" 2>/dev/null || true
t0=$(sim_now 60)
for _ in $(seq 1 300); do
  neds=$(rows neds shared)
  late=$(sql "$DB" "select count(*) from races where results <> '[]' and last_update > $t0" 2>/dev/null || echo 0)
  [ "$neds" -gt 0 ] && [ "${late:-0}" -gt 0 ] && break; sleep 0.2
done
[ "$neds" -gt 0 ] || { cat "$TMP/sources.log"; fail "neds did not take over the shared parts"; }
[ "${late:-0}" -gt 0 ] || { cat "$TMP/sources.log"; fail "no results after the owner's source failed"; }
echo "ok   owner down: neds sent $neds shared rows, $late races resulted since"

# shared_owner marks the owner whatever its place in the file.
cat >"$TMP/marked.yaml" <<YAML
sources:
  - name: ladbrokes
    url: http://127.0.0.1:$FB/b/ladbrokes
    rate: 100
  - name: neds
    url: http://127.0.0.1:$FB/b/neds
    rate: 100
    shared_owner: true
YAML
scrape marked
for _ in $(seq 1 300); do
  lp=$(rows ladbrokes prices); [ "$lp" -gt 0 ] && break; sleep 0.2
done
[ "$lp" -gt 0 ] || { cat "$TMP/marked.log"; fail "marked file: no ladbrokes prices"; }
neds=$(rows neds shared); lad=$(rows ladbrokes shared)
[ "$neds" -gt 0 ] && [ "$lad" = 0 ] || fail "marked file: shared rows neds $neds, ladbrokes $lad"
echo "ok   shared_owner: neds stores the shared parts ($neds rows), ladbrokes only prices ($lp)"
echo ok
