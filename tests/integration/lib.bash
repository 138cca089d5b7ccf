# Shared helpers of the integration tests: free ports, waiting, cleanup of started servers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ODDZY=${ODDZY:-$ROOT/build/oddzy}
TMP=$(mktemp -d /tmp/oddzy-it.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url [seconds]
  for _ in $(seq 1 $(( ${2:-20} * 10 ))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for $1"; return 1
}
fail() { echo "FAIL: $*"; exit 1; }
sql() { sqlite3 -readonly "$1" "$2"; }
