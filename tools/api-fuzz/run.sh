#!/usr/bin/env bash
# Fuzzes the hub's HTTP contract with schemathesis: a real `flukewatch-hub serve` on 127.0.0.1
# with a temp database, once with a station token and once with a curator token, against
# openapi/flukewatch-hub.yaml. Fails on any 5xx and on answers that break the document
# (status codes, content types, headers, response schemas).
#
#   tools/api-fuzz/run.sh                 # default: 100 cases per operation and token
#   FW_FUZZ_EXAMPLES=500 tools/api-fuzz/run.sh
#   FW_FUZZ_HUB=.build/release/flukewatch-hub tools/api-fuzz/run.sh
#
# Reports (JUnit, and the hub's log) land in tools/api-fuzz/report/ (git-ignored).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
report="$here/report"
examples="${FW_FUZZ_EXAMPLES:-100}"

# Own venv, pinned versions; rebuilt when requirements.txt changes.
if [ ! -x "$venv/bin/schemathesis" ] || ! cmp -s "$here/requirements.txt" "$venv/.requirements"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/.requirements"
fi

hub="${FW_FUZZ_HUB:-$root/.build/debug/flukewatch-hub}"
if [ ! -x "$hub" ]; then
    echo "api-fuzz: building flukewatch-hub (debug)…" >&2
    (cd "$root" && swift build -j 1 --product flukewatch-hub)
fi

tmp="$(mktemp -d)"
hub_pid=""
cleanup() {
    if [ -n "$hub_pid" ]; then kill "$hub_pid" 2>/dev/null || true; wait "$hub_pid" 2>/dev/null || true; fi
    mkdir -p "$report" && cp "$tmp/hub.log" "$report/hub.log" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

db="$tmp/hub.sqlite"
export FW_FUZZ_STATION="fuzz-station"
station_token="$("$hub" station add "$FW_FUZZ_STATION" --db "$db" 2>/dev/null)"
curator_token="$("$hub" curator add fuzz-curator --db "$db" 2>/dev/null)"

# Rate limits high enough that schemathesis measures the contract, not the 429s (which the
# Swift tests cover); port 0 lets the kernel pick a free one, read back from the first line.
"$hub" serve --db "$db" --listen 127.0.0.1:0 --rate 100000 --burst 100000 --anonymous-rate 100000 --anonymous-burst 100000 --log-level warning >"$tmp/hub.log" 2>&1 &
hub_pid=$!
port=""
for _ in $(seq 1 200); do
    port="$(sed -n 's/^flukewatch-hub listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/hub.log" | head -1)"
    [ -n "$port" ] && break
    kill -0 "$hub_pid" 2>/dev/null || { cat "$tmp/hub.log" >&2; echo "api-fuzz: the hub did not start" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "api-fuzz: the hub did not report its port within 20 s" >&2; exit 1; }
echo "api-fuzz: hub on 127.0.0.1:$port (pid $hub_pid, database $db)"

cd "$here"   # schemathesis keeps its cache (.schemathesis/) in the working directory
checks="not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"
status=0
# Each token only where it may go: a station's 403s on curator routes (and the reverse) are
# covered by the Swift tests and would only hide the routes' real answers here.
for who in station curator; do
    token_var="${who}_token"
    if [ "$who" = station ]; then skip='^/v1/curator/'; else skip='^/v1/stations/'; fi
    echo "api-fuzz: schemathesis as the $who token, $examples cases per operation"
    "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$root/openapi/flukewatch-hub.yaml" \
        --url "http://127.0.0.1:$port" \
        --header "Authorization: Bearer ${!token_var}" \
        --checks "$checks" \
        --exclude-path-regex "$skip" \
        --max-examples "$examples" \
        --seed 1 \
        --workers 1 \
        --suppress-health-check all \
        --report junit --report-junit-path "$report/junit-$who.xml" \
        || status=1
done

if grep -q "internal error" "$tmp/hub.log"; then
    echo "api-fuzz: the hub logged internal errors:" >&2
    grep "internal error" "$tmp/hub.log" | head -20 >&2
    status=1
fi
exit "$status"
