#!/usr/bin/env bash
# Installs what is missing and runs every test (real inotify, SQLite, OpenCV and processes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The suites are XCTest; Swift Testing is off so the run closes on XCTest's own summary line.
exec swift test --disable-swift-testing "$@"
