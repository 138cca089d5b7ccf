#!/usr/bin/env bash
# Deployment configs: Prometheus config, alert rules and their unit tests (promtool), the
# Grafana dashboard (JSON, panels, PromQL syntax), nginx (nginx -t, then a live run in front
# of two stub API nodes on loopback: routing, stickiness, WebSocket upgrade, SSE without
# buffering, gzip, correlation ids) and the systemd units (systemd-analyze verify, when
# present). Everything runs under a temp dir; exits non-zero if any check fails.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
T=$(mktemp -d /tmp/oddzy-deploy.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

failed=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; failed=$((failed + 1)); }
skip() { echo "skip $*"; }
# run NAME CMD...: run a check, show its output only when it fails
run() {
  local name=$1; shift
  if "$@" >"$T/out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/    /' "$T/out"; fi
}

PY=$(command -v python3 || true)
# The interpreter itself, not a version-manager shim: it is started many times below.
[ -n "$PY" ] && PY=$("$PY" -c 'import sys; print(sys.executable)')

# ---- Prometheus ----
if command -v promtool >/dev/null; then
  run "promtool check config deploy/prometheus/prometheus.yml" promtool check config deploy/prometheus/prometheus.yml
  run "promtool check rules deploy/prometheus/alerts.yml" promtool check rules deploy/prometheus/alerts.yml
  run "promtool test rules deploy/prometheus/alerts_test.yml" promtool test rules deploy/prometheus/alerts_test.yml
  for m in oddzy_scrapes_total oddzy_races_updated_total oddzy_races_open oddzy_http_requests_total 'up{'; do
    grep -q "$m" deploy/prometheus/alerts.yml || bad "alerts.yml uses $m"
  done
else
  bad "promtool not installed (scripts/setup.sh installs prometheus)"
fi

# ---- Grafana ----
DASH=deploy/grafana/oddzy-dashboard.json
if [ -n "$PY" ]; then
  run "grafana dashboard is JSON (python3 -m json.tool)" "$PY" -m json.tool "$DASH"
elif command -v jq >/dev/null; then
  run "grafana dashboard is JSON (jq)" jq empty "$DASH"
else
  bad "neither python3 nor jq to check $DASH"
fi
if [ -n "$PY" ]; then
  # Panels well formed, the required metrics shown, and every query written out as a
  # recording rule so promtool parses its PromQL (Grafana variables replaced first).
  cat >"$T/dash.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
errs, exprs, ids = [], [], set()
for p in d.get("panels", []):
    if p.get("id") in ids: errs.append("duplicate panel id %s" % p.get("id"))
    ids.add(p.get("id"))
    if p.get("type") == "row": continue
    g = p.get("gridPos", {})
    if not all(k in g for k in ("h", "w", "x", "y")): errs.append("panel %r: gridPos" % p.get("title"))
    ts = p.get("targets") or []
    if not ts: errs.append("panel %r: no targets" % p.get("title"))
    for t in ts:
        e = t.get("expr", "")
        if not e: errs.append("panel %r: empty expr" % p.get("title"))
        exprs.append(e)
text = "\n".join(exprs)
for m in ["oddzy_store_op_seconds", "oddzy_http_requests_total", "oddzy_scrapes_total",
          "oddzy_races_updated_total", "oddzy_live_connections", "status=~\"5..\""]:
    if m not in text: errs.append("no panel queries " + m)
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$instance", ".*")
        f.write("      - record: dashboard:q%d\n        expr: %s\n" % (i, json.dumps(e)))
for e in errs: print(e)
print("%d panels, %d queries" % (len(d.get("panels", [])), len(exprs)))
sys.exit(1 if errs else 0)
EOF
  run "grafana panels and metrics" "$PY" "$T/dash.py" "$DASH" "$T/dash_rules.yml"
  if command -v promtool >/dev/null && [ -s "$T/dash_rules.yml" ]; then
    run "grafana queries parse as PromQL" promtool check rules "$T/dash_rules.yml"
  fi
fi

# ---- nginx ----
if ! command -v nginx >/dev/null; then
  bad "nginx not installed (scripts/setup.sh installs nginx-light)"
elif [ -z "$PY" ]; then
  bad "python3 needed for the nginx stub backends"
else
  free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  P=$(free_port); B1=$(free_port); B2=$(free_port)
  while [ "$B1" = "$P" ] || [ "$B2" = "$P" ] || [ "$B1" = "$B2" ]; do B2=$(free_port); B1=$(free_port); done
  NX=$T/nginx; mkdir -p "$NX/conf" "$NX/var/nginx" "$NX/www/assets"
  chmod 755 "$T" "$NX" "$NX/www" "$NX/www/assets" # workers run as nobody when we are root
  # The documented parameters: listen port, API node addresses, static root.
  sed -e "s#^\(\s*\)listen 8000;#\1listen 127.0.0.1:$P;#" \
      -e "s#server 127.0.0.1:8081 #server 127.0.0.1:$B1 #" \
      -e "s#server 127.0.0.1:8082 #server 127.0.0.1:$B2 #" \
      -e "s#^\(\s*\)root web/dist;#\1root $NX/www;#" deploy/nginx/oddzy.conf >"$NX/conf/oddzy.conf"
  sed -e 's#^worker_processes .*#worker_processes 1;#' deploy/nginx/nginx.conf >"$NX/conf/nginx.conf"
  if [ "$(grep -c "127.0.0.1:$B1 \|127.0.0.1:$B2 \|listen 127.0.0.1:$P;\|root $NX/www;" "$NX/conf/oddzy.conf")" != 6 ]; then
    bad "nginx parameters not found for sed in deploy/nginx/oddzy.conf"
  fi
  NGINX=(nginx -p "$NX" -c "$NX/conf/nginx.conf" -e "$NX/var/nginx/error.log")
  run "nginx -t (temp prefix)" "${NGINX[@]}" -t

  # A page big enough to be gzipped, a hashed asset.
  { echo '<!doctype html><html><head><title>Oddzy</title></head><body>'; for i in $(seq 1 200); do echo "<p>race $i</p>"; done; echo '</body></html>'; } >"$NX/www/index.html"
  echo 'console.log("oddzy")' >"$NX/www/assets/app-3f2a.js"
  chmod 644 "$NX/www/index.html" "$NX/www/assets/app-3f2a.js"

  cat >"$T/smoke.py" <<'EOF'
import http.client, json, os, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def backend(name, port):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
        def do_GET(self):
            hdr = {k.lower(): v for k, v in self.headers.items()}
            if hdr.get("upgrade", "").lower() == "websocket":
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.end_headers(); self.wfile.flush()
                c = self.connection
                c.sendall(("hello %s %s|%s\n" % (name, hdr.get("upgrade"), hdr.get("connection"))).encode())
                data = c.recv(100)
                c.sendall(b"echo:" + data)
                self.close_connection = True
                return
            if self.path.startswith("/api/stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"data: first\n\n"); self.wfile.flush()
                time.sleep(3)
                self.wfile.write(b"data: second\n\n"); self.wfile.flush()
                self.close_connection = True
                return
            body = json.dumps({"node": name, "path": self.path, "headers": hdr,
                               "pad": "x" * (4000 if self.path.startswith("/api/big") else 0)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()

fails = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + "nginx: " + what)
    if not cond: fails.append(what)

def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body

def upgrade(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" % path).encode())
    buf = b""
    while not (b"hello" in buf and buf.endswith(b"\n")):  # the 101, then the node's first line
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            break
        if not chunk: break
        buf += chunk
    s.sendall(b"ping")
    echo = s.recv(100)
    s.close()
    return buf.decode(errors="replace"), echo

def client(port):
    r, b = get(port, "/healthz")
    check(r.status == 200 and json.loads(b)["path"] == "/healthz", "/healthz proxied")
    r, b = get(port, "/metrics")
    check(r.status == 200 and json.loads(b)["path"] == "/metrics", "/metrics proxied for loopback")
    r, b = get(port, "/readyz")
    check(r.status == 200, "/readyz proxied")

    nodes = set()
    for i in range(8):
        r, b = get(port, "/api/racing/next?i=%d" % i)
        nodes.add(json.loads(b)["node"])
    check(nodes == {"n1", "n2"}, "/api spread over both nodes (saw %s)" % sorted(nodes))

    nodes = set()
    for i in range(8):
        r, b = get(port, "/socket.io/?EIO=4&transport=polling&t=%d" % i)
        nodes.add(json.loads(b)["node"])
    check(len(nodes) == 1, "/socket.io/ polling sticks to one node (saw %s)" % sorted(nodes))

    r, b = get(port, "/api/racing/next")
    h = json.loads(b)["headers"]
    cid = h.get("x-correlation-id", "")
    check(len(cid) == 32 and all(c in "0123456789abcdef" for c in cid), "correlation id generated (%r)" % cid)
    check(r.getheader("X-Correlation-Id") == cid, "correlation id returned to the client")
    check(h.get("x-forwarded-for") == "127.0.0.1" and h.get("x-real-ip") == "127.0.0.1", "X-Forwarded-For / X-Real-IP")
    check("upgrade" not in h and h.get("connection", "keep-alive").lower() != "upgrade", "no Upgrade on plain requests")
    r, b = get(port, "/api/racing/next", {"X-Correlation-Id": "client-id-42"})
    check(json.loads(b)["headers"].get("x-correlation-id") == "client-id-42", "client correlation id kept")
    r, b = get(port, "/api/racing/next", {"X-Correlation-Id": "bad id\" <script>"})
    check(len(json.loads(b)["headers"].get("x-correlation-id", "")) == 32, "malformed correlation id replaced")

    r, b = get(port, "/api/big", {"Accept-Encoding": "gzip"})
    check(r.getheader("Content-Encoding") == "gzip", "API JSON gzipped")
    r, b = get(port, "/", {"Accept-Encoding": "gzip"})
    check(r.status == 200 and r.getheader("Content-Encoding") == "gzip", "index.html served gzipped")
    r, b = get(port, "/racecard/2026-11-26/flemington/7")
    check(r.status == 200 and b"<title>Oddzy</title>" in b, "SPA fallback to index.html")
    want = {"Content-Security-Policy": os.environ["ODDZY_HTML_CSP"], "X-Frame-Options": "DENY",
            "Referrer-Policy": "strict-origin-when-cross-origin", "X-Content-Type-Options": "nosniff"}
    for k, v in want.items():
        check(r.getheader(k) == v, "HTML %s as oddzy sends it (%r)" % (k, r.getheader(k)))
    check(r.getheader("Cache-Control") == "no-cache", "index.html revalidated")
    r, b = get(port, "/assets/app-3f2a.js")
    check(r.status == 200 and "immutable" in (r.getheader("Cache-Control") or ""), "hashed assets cached")
    r, b = get(port, "/assets/missing.js")
    check(r.status == 404, "missing asset is 404, not index.html")

    for path in ("/ws", "/socket.io/?EIO=4&transport=websocket"):
        head, echo = upgrade(port, path)
        check(head.startswith("HTTP/1.1 101"), "%s: 101 Switching Protocols" % path)
        check("hello" in head and "websocket|upgrade" in head.lower(), "%s: Upgrade/Connection reach the node" % path)
        check(echo == b"echo:ping", "%s: tunnel carries data both ways" % path)

    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.time()
    s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
    buf = b""
    while b"data: first" not in buf and time.time() - t0 < 2.5:
        s.settimeout(max(0.1, 2.5 - (time.time() - t0)))
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            break
        if not chunk: break
        buf += chunk
    dt = time.time() - t0
    s.close()
    check(b"data: first" in buf and dt < 2, "SSE event arrives before the stream ends (%.2fs)" % dt)
    check(b"Content-Encoding: gzip" not in buf, "SSE not gzipped")
    sys.exit(1 if fails else 0)

if sys.argv[1] == "backend":
    backend(sys.argv[2], int(sys.argv[3]))
else:
    client(int(sys.argv[2]))
EOF
  # the policy oddzy sends with HTML: the string literals of ODZ_HTTP_HTML_CSP joined
  ODDZY_HTML_CSP=$("$PY" -c 'import re,sys
s = open(sys.argv[1]).read()
m = re.search(r"#define ODZ_HTTP_HTML_CSP((?:[^\n]*\\\n)*[^\n]*)", s)
print("".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", m.group(1))))' src/http/server.h)
  export ODDZY_HTML_CSP
  "$PY" "$T/smoke.py" backend n1 "$B1" & PIDS+=($!)
  "$PY" "$T/smoke.py" backend n2 "$B2" & PIDS+=($!)
  "${NGINX[@]}" -g 'daemon off;' & PIDS+=($!)
  up=0
  for _ in $(seq 1 50); do
    if "$PY" -c "import socket,sys
for p in sys.argv[1:]: socket.create_connection(('127.0.0.1', int(p)), timeout=1).close()" "$P" "$B1" "$B2" 2>/dev/null; then up=1; break; fi
    sleep 0.1
  done
  if [ $up = 1 ]; then
    if "$PY" "$T/smoke.py" client "$P"; then ok "nginx live run"; else bad "nginx live run"; tail -n 20 "$NX/var/nginx/error.log" | sed 's/^/    /'; fi
  else
    bad "nginx or stub backends did not start"; tail -n 20 "$NX/var/nginx/error.log" 2>/dev/null | sed 's/^/    /'
  fi
  if [ -s "$NX/var/nginx/access.log" ]; then
    if "$PY" -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$NX/var/nginx/access.log"; then ok "nginx access log is JSON lines"; else bad "nginx access log is JSON lines"; fi
  fi
fi

# ---- systemd ----
if command -v systemd-analyze >/dev/null; then
  SD=$T/systemd; mkdir -p "$SD"
  # verify wants an executable ExecStart: point the units at a stub of the binary.
  printf '#!/bin/sh\nexit 0\n' >"$SD/oddzy"; chmod +x "$SD/oddzy"
  units=()
  for f in deploy/systemd/*.service; do
    b=$(basename "$f"); case $b in *@.service) b=${b%@.service}@8081.service ;; esac
    sed "s#/usr/local/bin/oddzy#$SD/oddzy#" "$f" >"$SD/$b"; units+=("$SD/$b")
  done
  for r in racing scraper api prices feed; do
    [ -f "deploy/systemd/oddzy-$r.service" ] || bad "deploy/systemd/oddzy-$r.service missing"
  done
  # Bad keys and values are only warnings (exit 0): any line about our units fails too.
  (cd "$SD" && systemd-analyze verify --man=no "${units[@]}") >"$T/out" 2>&1; rc=$?
  if [ $rc -eq 0 ] && ! grep -q "$SD\|oddzy-" "$T/out"; then ok "systemd-analyze verify (${#units[@]} units)"
  else bad "systemd-analyze verify"; sed 's/^/    /' "$T/out"; fi
  for f in deploy/systemd/oddzy-*.service; do
    for k in 'EnvironmentFile=-/etc/oddzy/oddzy.env' 'Restart=on-failure' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'StateDirectory=' 'ExecStart=/usr/local/bin/oddzy '; do
      grep -q "^$k" "$f" || bad "$f lacks $k"
    done
  done
else
  skip "systemd-analyze not installed: systemd units not verified"
fi

echo "deploy_configs: $failed failed"
[ "$failed" -eq 0 ]
