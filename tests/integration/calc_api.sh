#!/usr/bin/env bash
# The calculators over HTTP (oddzy api on a loopback port): worked examples of each
# /api/calc/ endpoint (the same figures as tests/calc/test_calc.c) and bad input answered 400.
source "$(dirname "$0")/lib.bash"
P=$(free_port)
"$ODDZY" api --port "$P" --host 127.0.0.1 --db "$TMP/api.db" --web "" --log-level warn \
  >"$TMP/api.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/healthz" 20 || { cat "$TMP/api.log"; fail "not up"; }
U="http://127.0.0.1:$P/api/calc"

# matched bets (issue 17's example; mintio.co.uk; bettorstack.com; by hand)
expect 'matched?back=3.0&lay=3.1&stake=10&commission=5' 'd["lay_stake"] == 9.84' \
  'd["liability"] == 20.66' 'd["back_wins"] == -0.66' 'd["lay_wins"] == -0.65' \
  'd["type"] == "qualifying" and d["mode"] == "normal"'
expect 'matched?back=4&lay=4.3&stake=100' 'd["lay_stake"] == 94.12' 'd["liability"] == 310.6' \
  'd["back_wins"] == -10.6 and d["lay_wins"] == -10.59' 'd["commission"] == 5'
expect 'matched?back=3&lay=3.05&stake=50&commission=5&type=snr' 'd["lay_stake"] == 33.33' \
  'd["back_wins"] == 31.67 and d["lay_wins"] == 31.66'
expect 'matched?back=3&lay=3.05&stake=50&type=sr' 'd["lay_stake"] == 50' \
  'd["back_wins"] == 47.5 == d["lay_wins"]'
expect 'matched?back=3&lay=3.1&stake=10&mode=underlay' 'd["lay_stake"] == 9.52' \
  'd["back_wins"] == 0.01 and d["lay_wins"] == -0.96'
expect 'matched?back=3&lay=3.1&stake=10&mode=overlay' 'd["lay_stake"] == 10.53' \
  'd["back_wins"] == -2.11 and d["lay_wins"] == 0'
# each-way (foxbet.com's terms, laid by hand)
expect 'eachway?back=19&lay_win=20&lay_place=6&stake=5&places=5&fraction=1/4&commission=5' \
  'd["place_odds"] == 5.5' 'd["total_stake"] == 10' 'd["win"]["lay_stake"] == 4.76' \
  'd["place"]["lay_stake"] == 4.62' 'd["liability"] == 113.54' \
  '(d["if_wins"], d["if_places"], d["if_loses"]) == (-1.04, -1.08, -1.09)'
# dutching (outlayhq.com.au; betbotpro.com)
expect 'dutch?runners=3,4.5,6&stake=100' 'd["book"] == 72.22' \
  '[r["stake"] for r in d["runners"]] == [46.15, 30.77, 23.08]' 'd["total_stake"] == 100'
expect 'dutch?runners=3.25,4,9&profit=10' '[r["stake"] for r in d["runners"]] == [9.29, 7.55, 3.35]' \
  'd["min_profit"] == 9.96'
# deductions (allaboutbetting.co.uk; williamhill.com.au; the Racing Victoria table)
expect 'deduction?method=rule4&prices=4&odds=9&stake=10' 'd["deduction"] == 25' 'd["return"] == 70' \
  'd["return_before"] == 90'
expect 'deduction?method=rule4&prices=1.11,1.5' 'd["deduction"] == 90' \
  '[w["deduction"] for w in d["withdrawn"]] == [90, 65]'
expect 'deduction?method=au&cents=42&odds=4&stake=10' 'd["return"] == 23.2' 'd["withdrawn"] == []'
expect 'deduction?method=au&prices=2,2.5' 'd["deduction"] == 84'

# bad input: a 400 with words, never a crash
expect400 'matched?back=3&lay=3.1&stake=-1' 'stake'
expect400 'matched?back=3&lay=3.1&stake=0' 'stake'
expect400 'matched?back=3&lay=3.1&stake=1e12' 'stake'
expect400 'matched?back=3&lay=3.1&stake=1000000000000' 'stake'
expect400 'matched?back=0&lay=3.1&stake=10' 'back odds'
expect400 'matched?back=1&lay=3.1&stake=10' 'back odds'
expect400 'matched?back=3&lay=1.00&stake=10' 'lay odds'
expect400 'matched?back=3&lay=1001&stake=10' 'lay'
expect400 'matched?back=3&lay=3.1&stake=10&commission=150' 'commission'
expect400 'matched?back=3&lay=3.1&stake=10&commission=100' 'commission'
expect400 'matched?back=3&lay=3.1&stake=10&type=free' 'type'
expect400 'matched?back=3&lay=3.1&stake=10&mode=sideways' 'mode'
expect400 'matched?back=3&lay=3.1' 'stake is required'
expect400 'matched?back=nan&lay=3.1&stake=10' 'back'
expect400 'eachway?back=19&lay_win=20&lay_place=6&stake=5&places=5' 'fraction'
expect400 'eachway?back=19&lay_win=20&lay_place=6&stake=5&places=11&fraction=1/4' 'places'
expect400 'eachway?back=19&lay_win=20&lay_place=6&stake=5&places=3&fraction=5/4' 'fraction'
expect400 "dutch?stake=10&runners=$("$PY" -c 'print(",".join(["5"] * 101))')" '2 to 100'
expect400 'dutch?stake=10&runners=5' '2 to 100'
expect400 'dutch?stake=10&runners=5,,6' 'runners'
expect400 'dutch?stake=10&profit=5&runners=5,6' 'either'
expect400 'dutch?runners=2,2&profit=1' '100 %'
expect400 'dutch?runners=2,1&stake=10' 'runner 2'
expect400 'deduction?method=uk&prices=3' 'method'
expect400 'deduction?method=au&prices=3' 'cents'
expect400 'deduction?method=au&prices=2&cents=4' 'not both'
expect400 'deduction?method=rule4&cents=101' 'cents'
expect400 'deduction?method=rule4&prices=4&odds=9' 'both odds and stake'
# 10,000 odds do not fit a request target (4096 bytes): 414 before any parsing
[ "$(code "$U/dutch?stake=10&runners=$("$PY" -c 'print(",".join(["5"] * 10000))')")" = 414 ] ||
  fail "10,000 odds not 414"
grep -q '"error":"uri_too_long"' "$TMP/body" || fail "414 body"
[ "$(code -X POST "$U/matched?back=3&lay=3.1&stake=10")" = 405 ] || fail "POST not 405"
# the server is still there
[ "$(code "$U/matched?back=3&lay=3.1&stake=10")" = 200 ] || fail "not answering after bad input"
echo ok
