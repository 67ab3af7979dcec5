#!/usr/bin/env bash
# Builds dist/flukewatch_VERSION_ARCH.deb from the tree, for this machine's architecture.
# The package installs the binary (Swift runtime linked in), the unit, sysusers/tmpfiles files,
# the journal catalog, an example config and the model. It enables and starts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
version=$(cat VERSION)
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root" "$root.ldcache"' EXIT

make install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc

# Depends: the Debian packages that provide the shared libraries the binary links.
libs=$(objdump -p "$root/usr/bin/flukewatch" | awk '/NEEDED/ {print $2}')
cache="$root.ldcache"
ldconfig -p > "$cache"
deps=()
for lib in $libs; do
  path=$(awk -v l="$lib" '$1 == l {print $NF; exit}' "$cache")
  [ -n "$path" ] || { echo "build-deb: $lib is not a system library; the binary must link only Debian libraries" >&2; exit 1; }
  pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$pkg" ] || pkg=$(dpkg -S "$path" | head -1 | cut -d: -f1)
  deps+=("$pkg")
done
depends=$(printf '%s\n' "${deps[@]}" | sort -u | paste -sd, | sed 's/,/, /g')

mkdir -p "$root/DEBIAN"
size=$(du -sk "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: flukewatch
Version: $version
Architecture: $arch
Maintainer: FlukeWatch developers <flukewatch@localhost>
Installed-Size: $size
Depends: $depends, systemd
Section: science
Priority: optional
Description: field-station daemon for humpback whale photo-identification
 Watches camera drop folders, records every photo once in a SQLite log,
 and processes each into a sighting. Runs as a hardened systemd service.
CONTROL
echo "/etc/flukewatch/flukewatch.toml" > "$root/DEBIAN/conffiles"
cat > "$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
# Create the system user and the drop folders, register the journal catalog. Nothing is
# enabled or started: the operator edits /etc/flukewatch/flukewatch.toml first.
if [ "$1" = configure ]; then
  systemd-sysusers flukewatch.conf || true
  systemd-tmpfiles --create flukewatch.conf || true
  journalctl --update-catalog || true
  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
fi
POSTINST
cat > "$root/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
POSTRM
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"

mkdir -p dist
out="dist/flukewatch_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
echo "$out"
dpkg-deb --field "$out" Depends
