#!/bin/bash
#
# Self-test of Tests/system/systemd-container.sh: boot a real systemd in namespaces, run a
# Type=notify service, a service logging structured journal fields, a watchdog that must
# restart a silent service, a sandboxed service (the hardening flukewatch.service uses), check
# the container's isolation, power off, and check that the host was left as it was.
#
# Usage: sudo Tests/system/selftest.sh        (root; prints PASS/FAIL; exit 0 only on PASS)
# Env:   SC_SELFTEST_VERBOSE=1 prints the journal of the test units even on success (it is
#        always printed on failure); the SC_* settings of systemd-container.sh apply.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=Tests/system/systemd-container.sh
. "$here/systemd-container.sh"

t_start=$(_sc_now)
failures=0
checks=0
pass() { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); printf 'FAIL %s\n' "$*"; }
# check DESCRIPTION CMD...  -> pass/fail on CMD's status
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

tmp=""
finish() {
    local rc=$?
    sc_cleanup
    [[ -n $tmp ]] && rm -rf "$tmp"
    if (( failures == 0 && rc == 0 && checks > 0 )); then
        printf 'PASS: systemd container self-test, %d checks, %ss\n' "$checks" "$(_sc_elapsed "$t_start")"
        exit 0
    fi
    printf 'FAIL: systemd container self-test, %d of %d checks failed (rc %d), %ss\n' \
        "$failures" "$checks" "$rc" "$(_sc_elapsed "$t_start")"
    exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

if [[ $(id -u) != 0 ]]; then echo "selftest.sh: must run as root" >&2; exit 1; fi

# ---------------------------------------------------------------------------------------------
# Host state before
# ---------------------------------------------------------------------------------------------
host_snapshot() {
    # Mounts of this (the host's) mount namespace, the kernel knobs a stray systemd would
    # touch, the host name, the cgroup2 root's controllers, network links, swap, loop devices.
    findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS | sort
    local k
    for k in kernel/core_pattern kernel/pid_max fs/file-max fs/nr_open kernel/hostname \
             kernel/domainname kernel/sysrq kernel/printk kernel/ctrl-alt-del \
             net/unix/max_dgram_qlen fs/binfmt_misc/status; do
        printf '%s=%s\n' "$k" "$(cat "/proc/sys/$k" 2>/dev/null | tr '\n' ' ')"
    done
    hostname
    cat "$(_sc_cgroup2_mount)/cgroup.subtree_control"
    ip -o link show 2>/dev/null | awk '{ print $2 }'
    swapon --show=NAME --noheadings 2>/dev/null
    losetup -a 2>/dev/null
}
before=$(host_snapshot)

# ---------------------------------------------------------------------------------------------
# Boot
# ---------------------------------------------------------------------------------------------
if ! sc_boot; then fail "boot"; exit 1; fi
pass "boot: systemd is PID 1 and reached '$SC_BOOT_STATE' in ${SC_BOOT_SECONDS}s (host PID $SC_PID)"
check "boot state is 'running' (no failed units)" [ "$SC_BOOT_STATE" = running ]
pidns=$(readlink "/proc/$SC_PID/ns/pid")
mntns=$(readlink "/proc/$SC_PID/ns/mnt")
cgroup_dir=$SC_CGROUP
scratch_dir=$SC_DIR

check "PID 1 inside is systemd" [ "$(sc_exec cat /proc/1/comm)" = systemd ]
check "cgroup v2 (unified) inside" [ "$(sc_exec stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]
check "systemd runs in /init.scope of its cgroup namespace" \
    [ "$(sc_exec sed -n 's/^0:://p' /proc/1/cgroup)" = /init.scope ]
check "virtualization detected as a container" \
    [ "$(sc_exec systemd-detect-virt --container)" = container-other ]
check "own hostname (UTS namespace)" [ "$(sc_exec hostname)" = "$SC_HOSTNAME" ]
check "own network namespace: only lo" \
    [ "$(sc_exec sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")" = lo ]
check "/usr is read-only" sc_exec sh -c '! touch /usr/bin/.sc-selftest 2>/dev/null'
check "/proc/sys and /sys are read-only" \
    sc_exec sh -c '[ ! -w /proc/sys/kernel/core_pattern ] && [ ! -w /sys/kernel ]'
check "/etc, /var, /srv, /opt, /tmp, /run, /usr/local are writable" sc_exec sh -c '
    for d in /etc /var /srv /opt /tmp /run /usr/local/bin; do
        touch "$d/.sc-selftest" && rm "$d/.sc-selftest" || exit 1
    done'
check "no enabled host units (postgresql, apt timers) were started" \
    sc_exec sh -c '! systemctl is-active -q postgresql.service apt-daily.timer e2scrub_reap.service'
if [[ -x /opt/swift/usr/bin/plutil && " $SC_RO_BINDS " == *" /opt/swift "* ]]; then
    # plutil is a Swift program (Foundation): the libraries it loads are the daemon's.
    check "Swift runtime in /opt/swift (read-only) runs inside" \
        sc_exec sh -c '! ldd /opt/swift/usr/bin/plutil | grep -q "not found" &&
                       /opt/swift/usr/bin/plutil -help >/dev/null &&
                       ! touch /opt/swift/.sc-selftest 2>/dev/null'
else
    echo "skip Swift runtime check (no /opt/swift/usr/bin/plutil, or /opt/swift not bound)"
fi

# ---------------------------------------------------------------------------------------------
# Units under test
# ---------------------------------------------------------------------------------------------
token="tok${$}x$RANDOM$RANDOM"    # also the instance name: keep it [a-z0-9]
tmp=$(mktemp -d /tmp/sc-selftest.XXXXXX)

cat > "$tmp/notify" <<'EOF'
#!/bin/sh
# Type=notify: ready + status line, then idle.
systemd-notify --ready --status="selftest ready, pid $$"
exec sleep infinity
EOF
cat > "$tmp/watchdog" <<'EOF'
#!/bin/sh
# Says READY=1 but never WATCHDOG=1: the manager must kill and restart it every WatchdogSec.
systemd-notify --ready --status="ready, but I will never ping the watchdog"
exec sleep infinity
EOF
cat > "$tmp/log" <<'EOF'
#!/bin/sh
# Logs three ways: its own stdout (a journal stream systemd opens for the unit), systemd-cat
# (a stream with SYSLOG_IDENTIFIER and PRIORITY), and custom structured fields through the
# native protocol, sent by the service's main process like sd_journal_send() in a daemon.
#
# Every sender stays alive: journald finds a message's unit (_SYSTEMD_UNIT, what
# `journalctl -u` matches) by reading /proc/<sender>/cgroup when it gets to the message.
# With `logger --journald`, which exits right after sending, ~1 in 25 entries had no
# _SYSTEMD_UNIT (and in the background, the shell may reap it first). So systemd-cat's stdin
# stays open (it runs cat), and the structured message is sent by perl (perl-base is
# essential on Debian), which then sleeps as the main process.
echo "selftest stdout line $1"
{ echo "selftest stream line $1"; exec sleep infinity; } | systemd-cat -t sc-selftest-cat -p warning &
exec perl -MSocket -e '
    socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    send($s, "MESSAGE=selftest structured message $ARGV[0]\nPRIORITY=5\n"
           . "SC_SELFTEST_TOKEN=$ARGV[0]\nSC_SELFTEST_NUMBER=42\n",
         0, pack_sockaddr_un("/run/systemd/journal/socket")) or die "send: $!";
    sleep;' "$1"
EOF
cat > "$tmp/sandbox" <<'EOF'
#!/bin/sh
# Runs with flukewatch.service's hardening: only the state directory is writable.
set -u
[ "$(id -un)" = sc-selftest ] || { echo "wrong user $(id -un)"; exit 10; }
[ "$(nice)" = 5 ] || { echo "wrong nice level $(nice)"; exit 16; }
echo ok > "$STATE_DIRECTORY/ok" || { echo "state directory not writable"; exit 11; }
touch /etc/sc-selftest-forbidden 2>/dev/null && { echo "/etc writable"; exit 12; }
touch /srv/sc-selftest-forbidden 2>/dev/null && { echo "/srv writable"; exit 13; }
touch /tmp/private && [ ! -e /tmp/.sc-host-tmp-marker ] || { echo "/tmp not private"; exit 14; }
[ -c /dev/null ] && [ ! -e /dev/console ] || { echo "/dev not private"; exit 15; }
echo "sandbox ok"
EOF

for f in notify watchdog log sandbox; do
    sc_install_file "$tmp/$f" "/usr/local/bin/sc-selftest-$f" 0755 || fail "install sc-selftest-$f"
done

sc_write_file /etc/systemd/system/sc-selftest-notify.service <<'EOF'
[Unit]
Description=sc self-test: Type=notify with a status text
[Service]
Type=notify
NotifyAccess=all
ExecStart=/usr/local/bin/sc-selftest-notify
EOF
sc_write_file /etc/systemd/system/sc-selftest-watchdog.service <<'EOF'
[Unit]
Description=sc self-test: watchdog that is never pinged
StartLimitIntervalSec=0
[Service]
Type=notify
NotifyAccess=all
ExecStart=/usr/local/bin/sc-selftest-watchdog
WatchdogSec=2
Restart=on-failure
RestartSec=100ms
EOF
sc_write_file /etc/systemd/system/sc-selftest-log@.service <<'EOF'
[Unit]
Description=sc self-test: structured journal fields
[Service]
ExecStart=/usr/local/bin/sc-selftest-log %i
EOF
sc_write_file /etc/systemd/system/sc-selftest-sandbox.service <<'EOF'
[Unit]
Description=sc self-test: the sandboxing flukewatch.service uses
[Service]
Type=oneshot
ExecStart=/usr/local/bin/sc-selftest-sandbox
User=sc-selftest
Group=sc-selftest
StateDirectory=sc-selftest
StateDirectoryMode=0750
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
Nice=5
IOSchedulingClass=best-effort
IOSchedulingPriority=6
EOF
sc_exec useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sc-selftest \
    || fail "useradd sc-selftest inside"
sc_exec touch /tmp/.sc-host-tmp-marker
check "daemon-reload" sc_systemctl daemon-reload

# The watchdog needs a few seconds: start it first, check it last.
check "start watchdog service" sc_systemctl start sc-selftest-watchdog.service

# --- Type=notify ---------------------------------------------------------------------------
check "start Type=notify service (returns once READY=1 arrived)" \
    sc_systemctl start sc-selftest-notify.service
props=$(sc_systemctl show -p ActiveState,SubState,StatusText,MainPID sc-selftest-notify.service)
check "notify service: ActiveState=active SubState=running" \
    grep -qx 'ActiveState=active' <<<"$props"
check "notify service: StatusText set by systemd-notify --status" \
    grep -qx 'StatusText=selftest ready, pid [0-9]*' <<<"$props"
sed 's/^/     /' <<<"$props"

# --- journal --------------------------------------------------------------------------------
unit="sc-selftest-log@$token.service"
check "start logging service" sc_systemctl start "$unit"
# journal_has STRING...: one JSON entry of journalctl -u $unit contains every STRING
journal_has() {
    local json; json=$(sc_journalctl -u "$unit" -o json) || return 1
    while (( $# )); do json=$(grep -F -- "$1" <<<"$json") || return 1; shift; done
}
check "journalctl -u UNIT -o json: the unit's entry with structured field SC_SELFTEST_TOKEN" \
    sc_wait_for 10 "SC_SELFTEST_TOKEN in the journal" \
    journal_has "\"SC_SELFTEST_TOKEN\":\"$token\"" "\"_SYSTEMD_UNIT\":\"$unit\""
check "... and PRIORITY=5, SC_SELFTEST_NUMBER=42, MESSAGE in the same entry" \
    journal_has "\"SC_SELFTEST_TOKEN\":\"$token\"" '"PRIORITY":"5"' '"SC_SELFTEST_NUMBER":"42"' \
                "\"MESSAGE\":\"selftest structured message $token\""
check "journal: systemd-cat line with SYSLOG_IDENTIFIER and PRIORITY=4" \
    sc_wait_for 10 "the systemd-cat line" \
    journal_has '"SYSLOG_IDENTIFIER":"sc-selftest-cat"' '"PRIORITY":"4"' "selftest stream line $token"
check "journal: service stdout line" \
    sc_wait_for 10 "the stdout line" journal_has "\"MESSAGE\":\"selftest stdout line $token\""
check "stop logging service" sc_systemctl stop "$unit"

# --- sandboxing -------------------------------------------------------------------------------
check "sandboxed service (User=, StateDirectory=, ProtectSystem=strict, PrivateTmp/Devices) succeeds" \
    sc_systemctl start sc-selftest-sandbox.service
check "sandboxed service wrote its state directory as its user" \
    [ "$(sc_exec stat -c %U /var/lib/sc-selftest/ok 2>/dev/null)" = sc-selftest ]
sc_exec rm -f /tmp/.sc-host-tmp-marker

# --- watchdog ---------------------------------------------------------------------------------
check "watchdog service: WatchdogUSec=2s" sc_unit_is sc-selftest-watchdog.service WatchdogUSec 2s
check "watchdog restarts the silent service (NRestarts >= 2)" \
    sc_wait_for 20 "NRestarts >= 2" sc_unit_ge sc-selftest-watchdog.service NRestarts 2
watchdog_logged() { [[ $(sc_journalctl -u sc-selftest-watchdog.service) == *"Watchdog timeout"* ]]; }
check "journal: systemd logged 'Watchdog timeout' for the service" \
    sc_wait_for 5 "the watchdog message" watchdog_logged
sc_systemctl show -p NRestarts,ActiveState,Result sc-selftest-watchdog.service | sed 's/^/     /'

if (( failures > 0 )) || [[ ${SC_SELFTEST_VERBOSE:-0} == 1 ]]; then
    echo "---- journal of the test units ----"
    sc_journalctl -o short-monotonic -u 'sc-selftest-*' | tail -n 60
    sc_systemctl --failed
fi

# ---------------------------------------------------------------------------------------------
# Shutdown and host checks
# ---------------------------------------------------------------------------------------------
t_off=$(_sc_now)
check "poweroff: PID 1 exited by itself, cgroups/scratch removed" sc_shutdown
pass "poweroff took $(_sc_elapsed "$t_off")s (launcher exit status $SC_EXIT_STATUS)"
check "PID 1 left through poweroff (exit status 130)" [ "$SC_EXIT_STATUS" = 130 ]

leftover_procs() {  # processes still in the container's PID or mount namespace
    local p
    for p in /proc/[0-9]*; do
        [[ $(readlink "$p/ns/pid" 2>/dev/null) == "$pidns" || $(readlink "$p/ns/mnt" 2>/dev/null) == "$mntns" ]] \
            && echo "${p#/proc/}"
    done
}
check "no process left in the container's namespaces" [ -z "$(leftover_procs)" ]
check "container cgroup removed ($cgroup_dir)" [ ! -e "$cgroup_dir" ]
check "scratch directory removed ($scratch_dir)" [ ! -e "$scratch_dir" ]
after=$(host_snapshot)
if [[ $before == "$after" ]]; then
    pass "host mounts, kernel knobs, hostname, cgroup2 root, links, swap, loop devices unchanged"
else
    fail "host state changed:"
    diff <(echo "$before") <(echo "$after") | sed 's/^/     /'
fi
