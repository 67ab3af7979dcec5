#!/usr/bin/env bash
# FlukeWatch under a real systemd (booted as PID 1 in private namespaces by
# systemd-container.sh): installed as the package installs it, started, fed photos, frozen
# until the watchdog restarts it, stopped mid-batch, reloaded with a new drop folder.
#
#   Tests/system/flukewatch-under-systemd.sh PATH/TO/flukewatch
#
# Needs root. Prints each step; exits non-zero on the first failure; leaves the host clean.
set -euo pipefail
binary=$(readlink -f "${1:?usage: $0 PATH/TO/flukewatch}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "FAIL: must run as root (it boots systemd in namespaces)"; exit 1; }

SC_USR_OVERLAY=1          # a writable /usr overlay: the binary goes where the shipped unit expects it
SC_QUIET=${SC_QUIET:-1}
. "$repo/Tests/system/systemd-container.sh"
trap sc_cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*"; echo "--- journal (flukewatch) ---"; sc_journalctl -u flukewatch -n 60 -o short-monotonic || true; exit 1; }
status_json() { sc_exec /usr/bin/flukewatch status --json --state-dir /var/lib/flukewatch 2>/dev/null; }
# json FIELD.PATH from the last status (python3 on the host reads it).
status_field() { status_json | python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + ''.join('[%r]' % k for k in sys.argv[1].split('.'))))" "$1"; }
done_count() { status_field photos.done 2>/dev/null || echo -1; }
done_at_least() { [ "$(done_count)" -ge "$1" ]; }
journal_has() { local out; out=$(sc_journalctl -u flukewatch -o cat "$@" 2>/dev/null) && [ -n "$out" ]; }
# journal_entries_at_least N MATCH...: journald takes entries from its socket on its own time, so
# a sighting already counted in the database may not be in the journal yet.
journal_entries_at_least() { local n=$1; shift; [ "$(sc_journalctl -u flukewatch -o cat "$@" 2>/dev/null | wc -l)" -ge "$n" ]; }

step "boot systemd"
sc_boot
echo "booted in ${SC_BOOT_SECONDS}s ($SC_BOOT_STATE)"

step "install as the Debian package does"
sc_install_file "$binary" /usr/bin/flukewatch 0755
sc_install_file "$repo/systemd/flukewatch.service" /usr/lib/systemd/system/flukewatch.service
sc_install_file "$repo/systemd/flukewatch.sysusers.conf" /usr/lib/sysusers.d/flukewatch.conf
sc_install_file "$repo/systemd/flukewatch.tmpfiles.conf" /usr/lib/tmpfiles.d/flukewatch.conf
sc_install_file "$repo/systemd/flukewatch.catalog" /usr/lib/systemd/catalog/flukewatch.catalog
for f in efficientnet-lite0-int8.json efficientnet-lite0-int8.bin; do
  sc_install_file "$repo/models/$f" "/usr/share/flukewatch/models/$f"
done
sc_exec systemd-sysusers flukewatch.conf
sc_exec systemd-tmpfiles --create flukewatch.conf
sc_exec journalctl --update-catalog
write_config() {
  { cat <<'TOML'
[station]
id = "systest"
[intake]
settle_seconds = 0.5
[processing]
workers = 2
[[drop_folder]]
path = "/srv/flukewatch/drop/bow-camera"
camera = "bow-camera"
TOML
    if [ "${1:-}" = with-stern ]; then
      printf '[[drop_folder]]\npath = "/srv/flukewatch/drop/stern-camera"\ncamera = "stern-camera"\n'
    fi
  } | sc_write_file /etc/flukewatch/flukewatch.toml 0644
}
write_config
# Test settings only: a short watchdog, quick restarts, and the hook that makes a photo named
# HANG* freeze its worker (see PhotoProcessor); no core dumps from the watchdog's SIGABRT.
sc_write_file /etc/systemd/system/flukewatch.service.d/systest.conf <<'EOF2'
[Service]
WatchdogSec=3
RestartSec=1
LimitCORE=0
Environment=FLUKEWATCH_TEST_HANG_ON=HANG
EOF2
sc_systemctl daemon-reload
sc_exec /usr/bin/flukewatch make-test-photos /root/photos --count 60 --width 640 >/dev/null

step "start: active, with a STATUS line"
sc_systemctl start flukewatch.service || fail "systemctl start failed"
[ "$(sc_show flukewatch.service ActiveState)" = active ] || fail "not active after start"
status_text=$(sc_show flukewatch.service StatusText)
echo "StatusText: $status_text"
[[ "$status_text" == *"queue 0"* ]] || fail "STATUS text missing: '$status_text'"

step "a catalog imported while it runs joins without a restart"
# Five synthetic whales (make-test-photos draws photo n's markings from n mod 5), three photos each.
sc_exec /usr/bin/flukewatch make-test-photos /root/catalog --count 15 --first 1000 --width 640 >/dev/null
sc_exec bash -c 'cd /root/catalog && echo file,individual > catalog.csv && for f in IMG_*.JPG; do n=${f#IMG_}; n=${n%.JPG}; echo "$f,HW-$(( (10#$n) % 5 + 1 ))"; done >> catalog.csv && chmod -R a+rX /root /root/catalog'
sc_exec runuser -u flukewatch -- /usr/bin/flukewatch catalog import /root/catalog/catalog.csv --config /etc/flukewatch/flukewatch.toml \
  || fail "catalog import as the flukewatch user failed"
sc_wait_for 20 "the daemon to load the catalog" journal_has --grep "catalog reloaded" || fail "catalog not picked up without a restart"

step "photos in, sightings out, read back from the journal"
for n in $(seq 1 20); do sc_exec cp "/root/photos/IMG_$(printf %04d "$n").JPG" /srv/flukewatch/drop/bow-camera/; done
sc_wait_for 60 "20 sightings" done_at_least 20 || fail "photos not processed"
sc_wait_for 20 "20 sighting entries in the journal" journal_entries_at_least 20 FLUKEWATCH_EVENT=sighting \
  || fail "sightings recorded but not all in the journal"
sightings_json=$(sc_journalctl -u flukewatch FLUKEWATCH_EVENT=sighting -o json)
python3 - "$sightings_json" <<'PY' || fail "journal fields"
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
assert len(rows) == 20, f"expected 20 sighting entries, got {len(rows)}"
for r in rows:
    for f in ("PHOTO_SHA256", "PHOTO_PATH", "CAMERA", "SIGHTING_ID", "DECISION", "MESSAGE_ID", "PRIORITY"):
        assert f in r, f"{f} missing in {r.get('MESSAGE')}"
    assert r["FLUKEWATCH_EVENT"] == "sighting" and r["PRIORITY"] == "6" and r["CAMERA"] == "bow-camera"
    assert r["MESSAGE_ID"] == "98cd476dadbf4ec89cd28fe1f2877c6d" and len(r["PHOTO_SHA256"]) == 64
    assert r["_SYSTEMD_UNIT"] == "flukewatch.service"
    assert r["DECISION"] in ("match", "uncertain", "new"), r["DECISION"]
identified = [r for r in rows if "INDIVIDUAL_ID" in r]
assert len(identified) >= 10, f"only {len(identified)} of 20 sightings named an individual"
right = [r for r in identified if r["INDIVIDUAL_ID"] == "HW-%d" % (int(r["PHOTO_PATH"][-8:-4]) % 5 + 1)]
assert all("SCORE" in r for r in identified)
print(f"{len(rows)} sighting entries with PHOTO_SHA256, PHOTO_PATH, CAMERA, SIGHTING_ID, DECISION, MESSAGE_ID; "
      f"{len(identified)} name an individual with a SCORE, {len(right)} of them the right one")
assert len(right) >= 8, "identification under the service's sandbox is not working"
PY
explained=$(sc_journalctl -u flukewatch -x FLUKEWATCH_EVENT=ready)
[[ "$explained" == *"armed a watch on every drop folder"* ]] || { echo "$explained"; fail "journalctl -x does not show the catalog text"; }

step "freeze a worker: the watchdog restarts the station, nothing is lost"
sc_exec cp /root/photos/IMG_0021.JPG /srv/flukewatch/drop/bow-camera/HANG_0021.JPG
for n in $(seq 22 25); do sc_exec cp "/root/photos/IMG_$(printf %04d "$n").JPG" /srv/flukewatch/drop/bow-camera/; done
sc_wait_for 60 "a watchdog restart" sc_unit_ge flukewatch.service NRestarts 1 || fail "no watchdog restart"
journal_has FLUKEWATCH_EVENT=watchdog || fail "no pipeline-stuck report in the journal"
# After three interruptions the frozen photo is set aside and everything else is done.
quarantined() { [ "$(status_field photos.quarantined 2>/dev/null || echo 0)" -ge 1 ]; }
sc_wait_for 90 "the frozen photo quarantined" quarantined || fail "frozen photo never set aside"
sc_wait_for 60 "24 sightings" done_at_least 24 || fail "photos lost after watchdog restarts"
sc_wait_for 20 "active again" sc_unit_is flukewatch.service ActiveState active || fail "not active after restarts"
echo "NRestarts=$(sc_show flukewatch.service NRestarts), reasons: $(status_field quarantine_reasons)"
[[ "$(status_field quarantine_reasons)" == *crashed-processor* ]] || fail "frozen photo has the wrong reason"

step "SIGTERM in the middle of a batch: clean stop, then every photo done once"
for n in $(seq 26 55); do sc_exec cp "/root/photos/IMG_$(printf %04d "$n").JPG" /srv/flukewatch/drop/bow-camera/; done
sc_wait_for 30 "the batch under way" done_at_least 27 || fail "batch did not start"
sc_systemctl stop flukewatch.service
[ "$(sc_show flukewatch.service Result)" = success ] || fail "stop was not clean: Result=$(sc_show flukewatch.service Result)"
echo "stopped with $(done_count) done; starting again"
sc_systemctl start flukewatch.service || fail "restart failed"
sc_wait_for 90 "54 sightings" done_at_least 54 || fail "batch not finished after restart"
[ "$(status_field photos.total)" -eq 55 ] || fail "expected 55 photos, got $(status_field photos.total)"
[ "$(status_field sightings)" -eq 54 ] || fail "expected 54 sightings (one per photo), got $(status_field sightings)"
[ "$(status_field photos.duplicates)" -eq 0 ] || fail "photos counted twice"

step "SIGHUP after adding a drop folder: its photos are picked up"
write_config with-stern
sc_systemctl reload flukewatch.service || fail "reload failed"
sc_wait_for 20 "the reload logged" journal_has FLUKEWATCH_EVENT=reload || fail "no reload in the journal"
sc_exec cp /root/photos/IMG_0060.JPG /srv/flukewatch/drop/stern-camera/
stern_done() { local out; out=$(sc_exec /usr/bin/flukewatch photos --json --status done --state-dir /var/lib/flukewatch 2>/dev/null) && [[ "$out" == *'"camera":"stern-camera"'* ]]; }
sc_wait_for 30 "the stern photo processed" stern_done || fail "new drop folder not watched after SIGHUP"
[ "$(sc_show flukewatch.service MainPID)" != 0 ] || fail "not running after reload"

step "power off"
sc_systemctl stop flukewatch.service
sc_shutdown || fail "container did not shut down cleanly"
trap - EXIT
echo
echo "PASS: flukewatch under a real systemd"
