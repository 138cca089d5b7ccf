#!/usr/bin/env bash
# Debian's nginx with deploy/nginx/oddzy.conf in front of a real `oddzy run`: the JSON API,
# and live updates through the proxy with real clients (socket.io-client with its defaults
# and WebSocket-only, the `ws` package on /ws, curl -N on the SSE stream).
source "$(dirname "$0")/lib.bash"
A=$(free_port); N=$(free_port)
while [ "$A" = "$N" ]; do N=$(free_port); done
"$ODDZY" run --port "$A" --host 127.0.0.1 --db "$TMP/run.db" --speed 30 --seed 11 --web "" --log-level warn >"$TMP/run.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$A/readyz" 30 || { cat "$TMP/run.log"; fail "oddzy not ready"; }

NX=$TMP/nginx; mkdir -p "$NX/conf" "$NX/var/nginx" "$NX/www"
chmod 755 "$TMP" "$NX" "$NX/www"
echo '<!doctype html><title>Oddzy</title>' >"$NX/www/index.html"; chmod 644 "$NX/www/index.html"
# both API node entries point at the one oddzy under test
sed -e "s#^\(\s*\)listen 8000;#\1listen 127.0.0.1:$N;#" \
    -e "s#server 127.0.0.1:8081 #server 127.0.0.1:$A #" \
    -e "s#server 127.0.0.1:8082 #server 127.0.0.1:$A #" \
    -e "s#^\(\s*\)root web/dist;#\1root $NX/www;#" "$ROOT/deploy/nginx/oddzy.conf" >"$NX/conf/oddzy.conf"
sed -e 's#^worker_processes .*#worker_processes 1;#' "$ROOT/deploy/nginx/nginx.conf" >"$NX/conf/nginx.conf"
nginx -p "$NX" -c "$NX/conf/nginx.conf" -e "$NX/var/nginx/error.log" -g 'daemon off;' &
PIDS+=($!)
wait_http "http://127.0.0.1:$N/api/racing/next?limit=1" 20 || { cat "$NX/var/nginx/error.log"; fail "nginx not proxying"; }

cd "$ROOT/tests/e2e"
# the price updater moves open races every second: any race will do ("all")
for mode in sio sio-ws ws; do
  timeout 40 node live_client.mjs "$mode" "$N" all /prices 3 >"$TMP/$mode.out" 2>&1 || true
  grep -q '^READY' "$TMP/$mode.out" || { cat "$TMP/$mode.out"; fail "$mode: no subscription through nginx"; }
  [ "$(grep -c '^EVENT .*"selection_id"' "$TMP/$mode.out")" -ge 3 ] || { cat "$TMP/$mode.out"; tail -5 "$NX/var/nginx/error.log"; fail "$mode: no updatePrice through nginx"; }
  echo "ok   $mode through nginx"
done
# socket.io-client's default options end on WebSocket through the proxy
timeout 40 node live_client.mjs sio "$N" all /prices 40 >"$TMP/up.out" 2>&1 || true
grep -q '^EVENT [0-9]* websocket ' "$TMP/up.out" || { tail -5 "$TMP/up.out"; fail "no upgrade to WebSocket through nginx"; }
echo "ok   polling upgraded to WebSocket through nginx"
timeout 10 curl -sN "http://127.0.0.1:$N/api/stream?race_id=all" >"$TMP/sse.out" 2>/dev/null || true
grep -q '^event: updatePrice' "$TMP/sse.out" || { head -5 "$TMP/sse.out"; fail "no SSE through nginx"; }
echo "ok   SSE through nginx"
