#!/usr/bin/env bash
# `oddzy run --bookmakers`: the simulated world's bookmakers speak the Entain format and give a
# race the same ids, so they form one group as the Entain brands of a --sources file do
# (src/cli/sources.c odz_sources_group): the world's own brand (provider entain) stores the
# shared parts (meetings, races, runners), ladbrokes, neds and tab-nz only their prices, and
# every race still carries every bookmaker's prices.
source "$(dirname "$0")/lib.bash"
P=$(free_port)
DB="$TMP/run.db"
SPEED=60
"$ODDZY" run --port "$P" --host 127.0.0.1 --db "$DB" --speed $SPEED --seed 11 --web "" \
  --exchange off --bookmakers ladbrokes,neds,tab-nz --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/readyz" 60 || { cat "$TMP/run.log"; fail "oddzy run not ready"; }
BOOKIES="'entain','ladbrokes','neds','tab-nz'"
# races with fixed win prices (market 0) of every bookmaker
ALL4="select count(*) from (select s.race_id from prices p join selections s on s.id = p.selection_id
  where p.market = 0 and p.provider in ($BOOKIES) group by s.race_id having count(distinct p.provider) = 4)"
for _ in $(seq 1 300); do
  n=$(sql "$DB" "$ALL4" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 50 ] && break; sleep 0.2
done
[ "${n:-0}" -ge 50 ] || { tail -20 "$TMP/run.log"; fail "races priced by all four bookmakers: ${n:-0}"; }
# rows[SOURCE,KIND]: what each bookmaker sent to the store (oddzy_scrape_rows_sent_total)
curl -fsS "http://127.0.0.1:$P/metrics" >"$TMP/metrics" || fail "/metrics"
rows() {
  awk -v s="$1" -v k="$2" 'index($0, "oddzy_scrape_rows_sent_total{rows=\"" k "\",source=\"" s "\"}") == 1 { print $2 + 0; f = 1 }
    END { if (!f) print 0 }' "$TMP/metrics"
}
[ "$(rows entain shared)" -gt 0 ] || fail "the world's own brand sent no shared rows"
for b in ladbrokes neds tab-nz; do
  [ "$(rows "$b" shared)" = 0 ] || fail "$b sent $(rows "$b" shared) shared rows while the owner is up"
  [ "$(rows "$b" prices)" -gt 0 ] || fail "$b sent no prices"
done
echo "ok   shared rows $(rows entain shared) from entain only; prices from ladbrokes $(rows ladbrokes prices), neds $(rows neds prices), tab-nz $(rows tab-nz prices)"
# Every race the owner has priced gets all four (the others poll a card the owner has stored
# again within 15 simulated seconds, then at their pace).
OWNED="select distinct s.race_id from prices p join selections s on s.id = p.selection_id
  where p.market = 0 and p.provider = 'entain'"
sql "$DB" "$OWNED" >"$TMP/owned"
old=$(wc -l <"$TMP/owned")
[ "$old" -ge 50 ] || fail "only $old races priced by the owner"
ids=$(paste -sd, "$TMP/owned")
MISSING="select r.id, r.status, r.scheduled_start, (select group_concat(distinct p.provider) from prices p
  join selections s on s.id = p.selection_id where s.race_id = r.id and p.market = 0) from races r
  where r.id in ($ids) and (select count(distinct p.provider) from prices p join selections s on
  s.id = p.selection_id where s.race_id = r.id and p.market = 0 and p.provider in ($BOOKIES)) < 4"
t0=$SECONDS
for _ in $(seq 1 600); do # a busy machine's scrapers may take minutes to get round
  missing=$(sql "$DB" "select count(*) from ($MISSING)")
  [ "$missing" = 0 ] && break; sleep 0.5
done
[ "$missing" = 0 ] || { sql "$DB" "$MISSING limit 20"; fail "$missing of $old races lack a bookmaker's prices"; }
[ "$(sql "$DB" "select count(*) from (select source_key from races group by source_key having count(*) > 1)")" = 0 ] ||
  fail "a race stored twice"
echo "ok   all $old races the owner had priced have every bookmaker's prices ($((SECONDS - t0)) s later)"
echo ok
