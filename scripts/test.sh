#!/usr/bin/env bash
# Installs what is missing and runs every test (real inotify, SQLite, OpenCV and processes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec swift test "$@"
