#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test FlukeWatch.
# Idempotent: packages already present are skipped, so it is cheap to call before every run.
set -euo pipefail

packages=(
  pkg-config
  libopencv-dev          # decode, EXIF orientation, quality, crops (C++ shim in Sources/CFlukeVisionShim)
  libjpeg-dev            # reduced-size JPEG decoding straight through libjpeg-turbo (the same shim)
  libopenblas-dev        # gallery search (FlukeMatch)
  libsqlite3-dev         # the station database, through GRDB
  libsystemd-dev         # sd_notify and the journal's native protocol
  libxnnpack-dev libpthreadpool-dev   # the int8 embedding runtime (Sources/CFlukeEmbed)
  systemd                # systemd-analyze, sysusers, tmpfiles and PID 1 for the system test
  util-linux bsdutils    # unshare, nsenter, script: the system test boots systemd in namespaces
  python3                # the system test reads journalctl -o json with it
  chromium               # the review page's browser test (headless, driven over the DevTools pipe)
  postgresql             # the hub's PostgreSQL backend: its tests start a throwaway server (initdb, pg_ctl)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

pkg-config --exists opencv4 openblas libsystemd || { echo "setup: pkg-config cannot find opencv4, openblas or libsystemd" >&2; exit 1; }
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected Swift 6.x, e.g. /opt/swift/usr/bin)" >&2; exit 1; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "setup: PostgreSQL's initdb is missing under /usr/lib/postgresql/*/bin" >&2; exit 1; }
