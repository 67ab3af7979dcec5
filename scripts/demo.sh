#!/usr/bin/env bash
# Installs what is missing, builds FlukeWatch and runs the station end to end on generated
# photos (state under ./flukewatch-demo; no config file, no server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --product flukewatch
exec .build/debug/flukewatch demo --demo-dir flukewatch-demo "$@"
