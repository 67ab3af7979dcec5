#!/usr/bin/env bash
# The hub's load benchmark (flukewatch-hub-bench) on SQLite and on a throwaway PostgreSQL
# server with its default, durable settings (fsync on), from a release build.
#   scripts/hub-bench.sh [bench options, e.g. --stations 4,16 --batch 50 --batches 25]
# PostgreSQL refuses to run as root: as root the server runs as `nobody` (runuser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release -j "${JOBS:-1}" --product flukewatch-hub
swift build -c release -j "${JOBS:-1}" --product flukewatch-hub-bench

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/fw-hub-bench-pg.XXXXXX)
run=()
if [ "$(id -u)" -eq 0 ]; then chown nobody "$dir"; run=(runuser -u nobody --); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { (cd "$dir" && "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1) || true; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
"${run[@]}" "$bin/initdb" -D "$dir/data" -U flukewatch --auth=trust -E UTF8 >/dev/null
"${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
cd - >/dev/null
for n in 1 2 4 8 16 32 64; do "$bin/psql" -X -q -h "$dir" -p "$port" -U flukewatch -d postgres -c "CREATE DATABASE hub_bench_$n"; done
.build/release/flukewatch-hub-bench --hub .build/release/flukewatch-hub \
  --postgres "postgres://flukewatch@127.0.0.1:$port/hub_bench_{n}?sslmode=disable" "$@"
