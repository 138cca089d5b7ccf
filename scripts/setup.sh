#!/usr/bin/env bash
# Install what Oddzy needs on Debian 12 and nothing when all is there:
# Debian packages (compiler, libraries, servers the tests start, Chromium) and npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
setup_start=$(date +%s)

DEB_PKGS=(
  build-essential pkg-config clang libclang-rt-14-dev
  libjansson-dev libsqlite3-dev libh2o-evloop-dev libwslay-dev libcurl4-openssl-dev
  libnats-dev libssl-dev zlib1g-dev libbz2-dev libcmocka-dev libpq-dev libyaml-dev libglib2.0-dev
  libbrotli-dev liburing-dev
  sqlite3 curl python3 nodejs npm chromium wrk nginx-light prometheus nats-server postgresql
  faketime time
)

missing=()
for p in "${DEB_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node/npm may come from elsewhere (e.g. a newer Node.js on PATH): accept the commands.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the web front end and of the test clients, from the committed lock files.
for d in web tests/e2e; do
  if [ -f "$d/package-lock.json" ] && { [ ! -d "$d/node_modules" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; }; then
    echo "setup: npm ci in $d"
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
echo "setup: done in $(( $(date +%s) - setup_start ))s"
exit 0
