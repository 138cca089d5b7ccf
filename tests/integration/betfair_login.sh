#!/usr/bin/env bash
# oddzy betfair-login against a scripted Betfair identity service on loopback (python3): the
# login form and headers, the token written 0600, a failed login named and the file kept, the
# keep-alive sending the token back and writing a renewed one, no secret in any log line.
source "$(dirname "$0")/lib.bash"
P=$(free_port)
"$PY" - "$P" "$TMP/sso.log" <<'PY' &
import http.server, json, sys, urllib.parse
port, logf = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with open(logf, "a") as f:
            f.write("%s app=%s auth=%s accept=%s body=%s\n" % (self.path,
                    self.headers.get("X-Application"), self.headers.get("X-Authentication"),
                    self.headers.get("Accept"), body))
        form = urllib.parse.parse_qs(body)
        if self.path == "/api/login":
            if form.get("username") == ["me@example.com"] and form.get("password") == ["p&ss w=rd"]:
                out = {"token": "TOKEN-1", "product": "app", "status": "SUCCESS", "error": ""}
            else:
                out = {"token": "", "product": "app", "status": "FAIL",
                       "error": "INVALID_USERNAME_OR_PASSWORD"}
        elif self.path == "/api/keepAlive":
            ok = self.headers.get("X-Authentication") in ("TOKEN-1", "TOKEN-2")
            out = {"token": "TOKEN-2" if ok else "", "product": "app",
                   "status": "SUCCESS" if ok else "FAIL", "error": "" if ok else "NO_SESSION"}
        else:
            self.send_response(404); self.end_headers(); return
        b = json.dumps(out).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
PIDS+=($!)
for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/$P) 2>/dev/null && break; sleep 0.1; done
printf 'p&ss w=rd\n' >"$TMP/pw"
export ODDZY_BETFAIR_APP_KEY=app-key-123
SSO="http://127.0.0.1:$P/api"

# once: the token in a 0600 file
"$ODDZY" betfair-login --sso "$SSO" --username me@example.com --password-file "$TMP/pw" \
  --out "$TMP/session" >"$TMP/once.log" 2>&1 || { cat "$TMP/once.log"; fail "login failed"; }
[ "$(cat "$TMP/session")" = TOKEN-1 ] || fail "token file: $(cat "$TMP/session")"
[ "$(stat -c %a "$TMP/session")" = 600 ] || fail "token file mode $(stat -c %a "$TMP/session")"
grep -q '^/api/login app=app-key-123 auth=None accept=application/json body=username=me%40example.com&password=p%26ss%20w%3Drd$' \
  "$TMP/sso.log" || fail "login request: $(cat "$TMP/sso.log")"

# a wrong password: exit 1 with Betfair's reason; the token file is left as it was
printf 'wrong\n' >"$TMP/bad"
if "$ODDZY" betfair-login --sso "$SSO" --username me@example.com --password-file "$TMP/bad" \
  --out "$TMP/session" >"$TMP/bad.log" 2>&1; then fail "a wrong password succeeded"; fi
grep -q "INVALID_USERNAME_OR_PASSWORD" "$TMP/bad.log" || fail "reason not named: $(cat "$TMP/bad.log")"
[ "$(cat "$TMP/session")" = TOKEN-1 ] || fail "a failed login changed the token file"
# nothing listening: a clear error, exit 1
if "$ODDZY" betfair-login --sso "http://127.0.0.1:1/api" --username u --password-file "$TMP/pw" \
  --out "$TMP/x" >"$TMP/down.log" 2>&1; then fail "login to nothing succeeded"; fi
grep -q "login: " "$TMP/down.log" || fail "no error for an unreachable service"
[ ! -e "$TMP/x" ] || fail "token file written without a login"
# usage errors
if "$ODDZY" betfair-login --out "$TMP/y" >/dev/null 2>&1; then fail "ran without --username"; fi
if "$ODDZY" betfair-login --username u --out "$TMP/y" --cert-file c >/dev/null 2>&1; then
  fail "--cert-file without --key-file"; fi

# kept alive: keepAlive carries the token; the renewed token replaces the file's
"$ODDZY" betfair-login --sso "$SSO" --username me@example.com --password-file "$TMP/pw" \
  --out "$TMP/kept" --keep-alive 1 >"$TMP/kept.log" 2>&1 &
KP=$!
PIDS+=($KP)
for _ in $(seq 1 100); do [ "$(cat "$TMP/kept" 2>/dev/null)" = TOKEN-2 ] && break; sleep 0.1; done
[ "$(cat "$TMP/kept")" = TOKEN-2 ] || { cat "$TMP/kept.log"; fail "token not renewed"; }
grep -q '^/api/keepAlive app=app-key-123 auth=TOKEN-1 ' "$TMP/sso.log" || fail "keepAlive request"
kill -TERM "$KP"
for _ in $(seq 1 50); do kill -0 "$KP" 2>/dev/null || break; sleep 0.1; done
kill -0 "$KP" 2>/dev/null && fail "did not stop on SIGTERM"
wait "$KP" || fail "exit status $? after SIGTERM"
cat "$TMP"/{once,bad,down,kept}.log | grep -q "TOKEN-\|p&ss\|app-key-123" && fail "a secret in a log line"
echo "PASS: login, failure kept the token, keep-alive renewed it, no secret logged"
