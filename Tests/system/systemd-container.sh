# shellcheck shell=bash
#
# systemd-container.sh - boot a real systemd (the host's /lib/systemd/systemd) as PID 1 of a
# throw-away set of namespaces, drive it from the host, and tear it down without leaving
# anything behind on the host.
#
# Source this file from a bash test script (it does not change your shell options):
#
#     . Tests/system/systemd-container.sh
#     trap sc_cleanup EXIT
#     sc_boot                                   # sets SC_PID, waits for running/degraded
#     sc_install_file ./flukewatch /usr/local/bin/flukewatch 0755
#     sc_write_file /etc/systemd/system/x.service <<'EOF' ... EOF
#     sc_systemctl daemon-reload
#     sc_systemctl start x.service
#     sc_wait_for 10 "x to be active" sc_unit_is x.service ActiveState active
#     sc_shutdown                               # poweroff inside, wait, verify host is clean
#
# One container per shell at a time (state lives in SC_* globals). Call sc_boot from the main
# shell, not from a $(...) or ( ... ) subshell: the container is tied to the life of the shell
# that booted it (it is SIGKILLed if that shell dies, even by SIGKILL). The launcher is a
# background job of that shell: do not use a bare `wait` (it would wait for the container).
# Works with and without `set -euo pipefail` in the caller. Requires root and bash >= 5.
#
# Functions: sc_boot, sc_exec, sc_systemctl, sc_journalctl, sc_show, sc_unit_is, sc_unit_ge,
# sc_install_file, sc_write_file, sc_wait_for, sc_shutdown, sc_cleanup (contracts below).
#
# See Tests/system/README.md for the layout of the container and the pitfalls.

# ---------------------------------------------------------------------------------------------
# Settings (override in the environment or before calling sc_boot)
# ---------------------------------------------------------------------------------------------
: "${SC_SYSTEMD:=/lib/systemd/systemd}"   # the init to exec (the host's; /usr is shared)
: "${SC_BOOT_TIMEOUT:=60}"                # seconds for the boot to reach running/degraded
: "${SC_SHUTDOWN_TIMEOUT:=60}"            # seconds for poweroff before we SIGKILL PID 1
: "${SC_HOSTNAME:=sc-test}"               # /etc/hostname inside (UTS namespace)
: "${SC_RO_BINDS:=/opt/swift}"            # read-only binds, space-separated SRC or SRC:DST
: "${SC_MASK_UNITS:=}"                    # extra units to mask (space-separated)
: "${SC_USR_OVERLAY:=0}"                  # 1: /usr is a writable overlay (host /usr + tmpfs)
: "${SC_TMPFS_SIZE:=}"                    # size= for the root tmpfs (default: kernel default)
: "${SC_KEEP_LOG:=0}"                     # 1: keep $SC_DIR/{console,setup.log} after teardown
: "${SC_QUIET:=0}"                        # 1: no progress messages on stderr

# Units masked in every container: gettys (there is no console), and everything that would
# touch kernel-global state (sysctl, binfmt, modules, debugfs/tracefs/configfs, audit, clock),
# as defence in depth on top of the read-only /proc/sys and /sys and the dropped capabilities.
SC_DEFAULT_MASKS="getty.target getty@.service serial-getty@.service console-getty.service
 container-getty@.service getty-static.service
 systemd-sysctl.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount
 proc-sys-fs-binfmt_misc.mount systemd-modules-load.service kmod-static-nodes.service
 sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount
 sys-fs-fuse-connections.mount dev-hugepages.mount systemd-journald-audit.socket
 systemd-timesyncd.service systemd-random-seed.service systemd-firstboot.service
 systemd-repart.service systemd-machine-id-commit.service systemd-pcrphase.service
 systemd-pcrphase-sysinit.service systemd-pcrphase-initrd.service"

# Capabilities removed from the bounding set of the container's PID 1 (and so of every service):
# all of them act on kernel-global state that namespaces do not isolate.
SC_DROP_CAPS="sys_module,sys_rawio,sys_time,wake_alarm,syslog,sys_pacct,mac_admin,mac_override,block_suspend,sys_tty_config,audit_control,perfmon"

SC_PATH_INSIDE="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# ---------------------------------------------------------------------------------------------
# State (read-only for callers)
# ---------------------------------------------------------------------------------------------
SC_PID=""            # host PID of the container's PID 1 (systemd)
SC_LAUNCHER_PID=""   # host PID of `unshare` (parent of SC_PID, child of this shell)
SC_DIR=""            # host scratch dir /tmp/sc-systemd.<shell pid>.XXXXXX: logs, mount points
SC_ROOT=""           # host directory the container's root tmpfs is mounted on (privately)
SC_ROOT_OWNED=0      # 1 if sc_boot created SC_ROOT (and so removes it)
SC_CGROUP=""         # host path of the container's cgroup2 directory
SC_LOG=""            # stdout/stderr of the launcher and of the root-fs setup (stage 2)
SC_CONSOLE=""        # the container's /dev/console: what systemd prints outside the journal
SC_BOOT_STATE=""     # what `systemctl is-system-running` said at the end of sc_boot
SC_BOOT_SECONDS=""   # how long sc_boot took
SC_EXIT_STATUS=""    # after teardown: exit status of the launcher; 130 = PID 1 left by
                     # poweroff/halt (SIGINT from reboot(2) in a PID namespace), 129 = reboot,
                     # 137 = SIGKILLed (sc_cleanup)

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
_sc_log() { [[ $SC_QUIET == 1 ]] || printf '[sc] %s\n' "$*" >&2; }
_sc_err() { printf '[sc] ERROR: %s\n' "$*" >&2; }
# Time without forking: microseconds since the epoch (bash >= 5 has EPOCHREALTIME).
_sc_now() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
# _sc_elapsed T0 -> seconds since T0, e.g. "1.23"
_sc_elapsed() {
    local d=$(( ${EPOCHREALTIME/[.,]/} - $1 ))
    printf '%d.%02d' $(( d / 1000000 )) $(( d % 1000000 / 10000 ))
}
# _sc_expired T0 SECONDS -> true once more than SECONDS (integer or decimal) have passed
_sc_expired() {
    local s=$2 int frac=""
    int=${s%%.*}
    [[ $s == *.* ]] && frac=${s#*.}
    frac=${frac}000000
    (( ${EPOCHREALTIME/[.,]/} - $1 > 10#${int:-0} * 1000000 + 10#${frac:0:6} ))
}

# True while the unshare process we started is alive (and not a zombie).
_sc_alive() {
    [[ -n $SC_LAUNCHER_PID ]] || return 1
    local stat
    { read -r stat < "/proc/$SC_LAUNCHER_PID/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }          # fields after "pid (comm) "
    [[ ${stat%% *} != Z ]]
}

_sc_dump_log() {
    local f
    for f in "$SC_LOG" "$SC_CONSOLE"; do
        [[ -n $f && -s $f ]] || continue
        printf '[sc] ---- last lines of %s ----\n' "$f" >&2
        tail -n "${1:-40}" "$f" | sed 's/\r$//; s/^/[sc]   /' >&2
    done
}

# The cgroup2 hierarchy of the host: pure unified (/sys/fs/cgroup) or hybrid (.../unified).
_sc_cgroup2_mount() {
    if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]]; then
        echo /sys/fs/cgroup
    elif [[ $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then
        echo /sys/fs/cgroup/unified
    else
        return 1
    fi
}

# First child of a process (empty if none).
_sc_child_of() {
    local c=""
    { read -r c < "/proc/$1/task/$1/children"; } 2>/dev/null || true  # no trailing newline: rc 1
    echo "${c%% *}"
}

# Remove a cgroup2 subtree bottom-up. Fails if a process is still in it.
_sc_rmdir_cgroup_tree() {
    local top=$1 d
    [[ -d $top ]] || return 0
    # Deepest first; rmdir on a cgroup dir works although it "contains" the interface files.
    while IFS= read -r d; do
        rmdir "$d" 2>/dev/null || return 1
    done < <(find "$top" -depth -type d 2>/dev/null)
    [[ ! -d $top ]]
}

# Number of processes anywhere in a cgroup2 subtree.
_sc_cgroup_nprocs() {
    local top=$1
    [[ -d $top ]] || { echo 0; return 0; }
    { find "$top" -name cgroup.procs -exec cat {} + 2>/dev/null || true; } | wc -l
}

# Remove leftovers of harnesses whose shell died without cleaning up (SIGKILLed test scripts):
# empty cgroup trees named sc-systemd-<pid>-* whose <pid> no longer exists.
_sc_prune_stale_cgroups() {
    local base=$1 d pid
    for d in "$base"/sc-systemd-*; do
        [[ -d $d ]] || continue
        pid=${d##*/sc-systemd-}; pid=${pid%%-*}
        [[ $pid =~ ^[0-9]+$ ]] || continue
        [[ -d /proc/$pid ]] && continue
        [[ $(_sc_cgroup_nprocs "$d") == 0 ]] || continue
        if _sc_rmdir_cgroup_tree "$d"; then _sc_log "removed stale cgroup $d"; fi
    done
    return 0
}

# Same for scratch directories /tmp/sc-systemd.<pid>.XXXXXX (only the files we create are
# removed, and only if nothing is mounted below).
_sc_prune_stale_dirs() {
    local d pid
    for d in /tmp/sc-systemd.*.*; do
        [[ -d $d && ! -L $d ]] || continue
        pid=${d#/tmp/sc-systemd.}; pid=${pid%%.*}
        [[ $pid =~ ^[0-9]+$ ]] || continue
        [[ -d /proc/$pid ]] && continue
        [[ $(findmnt -rn -o TARGET) == *"$d"* ]] && continue
        rm -f "$d/setup.log" "$d/console" "$d/go"
        rmdir "$d/scratch" "$d/root" 2>/dev/null || true
        if rmdir "$d" 2>/dev/null; then _sc_log "removed stale $d"; fi
    done
    return 0
}

# ---------------------------------------------------------------------------------------------
# Stage 2: runs as PID 1 of the new PID namespace, inside the new mount/UTS/IPC/net/cgroup
# namespaces (mount propagation private), still with the host's root. Builds the root file
# system, pivots into it and execs systemd. Passed to `bash -c` via `declare -f`.
# Configuration comes from SC_STAGE_* environment variables.
# ---------------------------------------------------------------------------------------------
_sc_stage2() {
    set -euo pipefail
    local R=$SC_STAGE_ROOT u src dst l i console

    # Wait until the host has moved our parents out of our cgroup (see sc_boot).
    for (( i = 0; i < 2000; i++ )); do [[ -e $SC_STAGE_GO ]] && break; sleep 0.005; done
    [[ -e $SC_STAGE_GO ]] || { echo "sc-stage2: no go from the host" >&2; exit 1; }
    console=$(tty 2>/dev/null) || console=""

    # Paranoia: nothing we mount may propagate back to the host.
    mount --make-rprivate /

    # Root: a fresh tmpfs.
    mount -t tmpfs -o "mode=0755${SC_STAGE_TMPFS_SIZE:+,size=$SC_STAGE_TMPFS_SIZE}" sc-root "$R"
    mkdir -p "$R"/{usr,etc,var,run,tmp,srv,opt,proc,sys,dev,home,mnt,media,boot}
    mkdir -m 0700 "$R/root"
    chmod 1777 "$R/tmp"

    # Merged-/usr symlinks (/bin -> usr/bin, /lib -> usr/lib, ...) exactly as on the host;
    # a real directory (non-merged host) is bound read-only instead.
    for l in /bin /sbin /lib /lib32 /lib64 /libx32; do
        if [[ -L $l ]]; then
            ln -s "$(readlink "$l")" "$R$l"
        elif [[ -d $l ]]; then
            mkdir -p "$R$l"
            mount --bind "$l" "$R$l"
            mount -o remount,bind,ro "$R$l"
        fi
    done

    # /usr: the host's, read-only (only the per-mount flag: never remount a shared superblock ro),
    # or, with SC_USR_OVERLAY=1, a writable overlay whose upper layer is a private tmpfs.
    mkdir -p "$SC_STAGE_SCRATCH"
    mount -t tmpfs -o mode=0700 sc-scratch "$SC_STAGE_SCRATCH"
    if [[ $SC_STAGE_USR_OVERLAY == 1 ]]; then
        mkdir -p "$SC_STAGE_SCRATCH/usr.upper" "$SC_STAGE_SCRATCH/usr.work"
        mount -t overlay sc-usr \
            -o "lowerdir=/usr,upperdir=$SC_STAGE_SCRATCH/usr.upper,workdir=$SC_STAGE_SCRATCH/usr.work" \
            "$R/usr"
    else
        mount --bind /usr "$R/usr"
        mount -o remount,bind,ro "$R/usr"
    fi
    # /usr/local: always an empty, writable tmpfs (like a fresh board), for test binaries.
    mount -t tmpfs -o mode=0755 sc-usr-local "$R/usr/local"
    mkdir -p "$R"/usr/local/{bin,sbin,lib,libexec,etc,share,include,src}

    # /etc: a private copy of the host's, with nothing enabled.
    cp -a /etc/. "$R/etc/"
    rm -rf "$R"/etc/systemd/system/*.wants "$R"/etc/systemd/system/*.requires \
           "$R"/etc/systemd/system/*.upholds
    rm -f "$R"/etc/rc[0-6S].d/[SK]* "$R/etc/rc.local"
    for u in $SC_STAGE_MASKS; do
        ln -sfn /dev/null "$R/etc/systemd/system/$u"
    done
    printf '# sc-systemd: empty on purpose, nothing of the host is mounted\n' > "$R/etc/fstab"
    rm -f "$R/etc/crypttab" "$R/etc/integritytab" "$R/etc/veritytab"
    tr -d '-' < /proc/sys/kernel/random/uuid > "$R/etc/machine-id"
    printf '%s\n' "$SC_STAGE_HOSTNAME" > "$R/etc/hostname"
    mkdir -p "$R/etc/systemd/journald.conf.d" "$R/etc/systemd/system.conf.d"
    cat > "$R/etc/systemd/journald.conf.d/50-sc-systemd.conf" <<'EOF'
# sc-systemd test container: volatile journal, no rate limit (tests count messages)
[Journal]
Storage=volatile
RateLimitIntervalSec=0
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
EOF
    cat > "$R/etc/systemd/system.conf.d/50-sc-systemd.conf" <<'EOF'
# sc-systemd test container
[Manager]
ShowStatus=yes
LogColor=no
EOF

    # /var, /srv: writable directories of the root tmpfs. /run, /tmp: their own tmpfs.
    mkdir -p "$R"/var/{lib,log,cache,spool,tmp}
    chmod 1777 "$R/var/tmp"
    ln -s ../run "$R/var/run"
    ln -s ../run/lock "$R/var/lock"
    mount -t tmpfs -o mode=0755,nosuid,nodev sc-run "$R/run"
    mount -t tmpfs -o mode=1777,nosuid,nodev sc-tmp "$R/tmp"

    # Extra read-only binds (the Swift runtime in /opt/swift, ...): SRC or SRC:DST.
    for src in $SC_STAGE_RO_BINDS; do
        dst=${src#*:}; src=${src%%:*}
        [[ -e $src ]] || { echo "sc-stage2: $src does not exist, not bound" >&2; continue; }
        if [[ -d $src ]]; then mkdir -p "$R$dst"; else mkdir -p "$(dirname "$R$dst")"; : > "$R$dst"; fi
        mount --rbind "$src" "$R$dst"
        mount -o remount,bind,ro "$R$dst"
    done

    # /proc: fresh (this PID namespace); kernel-global knobs read-only.
    mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
    for l in sys sysrq-trigger irq bus fs acpi scsi; do
        [[ -e $R/proc/$l ]] || continue
        mount --bind "$R/proc/$l" "$R/proc/$l"
        mount -o remount,bind,ro "$R/proc/$l"
    done

    # /sys: fresh (this network namespace), read-only; cgroup2 on top, rooted at our cgroup
    # (cgroup namespace), so systemd runs with the unified hierarchy whatever the host uses.
    mount -t sysfs -o nosuid,nodev,noexec sysfs "$R/sys"
    mount -o remount,bind,ro,nosuid,nodev,noexec "$R/sys"
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"

    # /dev: minimal, private tmpfs.
    mount -t tmpfs -o mode=0755,nosuid sc-dev "$R/dev"
    mknod -m 0666 "$R/dev/null" c 1 3
    mknod -m 0666 "$R/dev/zero" c 1 5
    mknod -m 0666 "$R/dev/full" c 1 7
    mknod -m 0666 "$R/dev/random" c 1 8
    mknod -m 0666 "$R/dev/urandom" c 1 9
    mknod -m 0666 "$R/dev/tty" c 5 0
    mkdir -m 0755 "$R/dev/pts" "$R/dev/mqueue"
    mkdir -m 1777 "$R/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec sc-devpts "$R/dev/pts"
    ln -s pts/ptmx "$R/dev/ptmx"
    mount -t tmpfs -o mode=1777,nosuid,nodev sc-shm "$R/dev/shm"
    ln -s /proc/self/fd "$R/dev/fd"
    ln -s /proc/self/fd/0 "$R/dev/stdin"
    ln -s /proc/self/fd/1 "$R/dev/stdout"
    ln -s /proc/self/fd/2 "$R/dev/stderr"
    # /dev/console: the pty that `script` on the host reads and logs (never the host's real
    # console, the VM's serial port); /dev/null if there is none. systemd insists on a tty.
    if [[ -n $console && -c $console ]]; then
        : > "$R/dev/console"
        mount --bind "$console" "$R/dev/console"
    else
        mknod -m 0600 "$R/dev/console" c 1 3
    fi

    # Switch root.
    cd "$R"
    mkdir .sc-oldroot
    pivot_root . .sc-oldroot
    cd /
    umount -l /.sc-oldroot
    rmdir /.sc-oldroot

    # The systemd "kernel command line" in a container is PID 1's argv.
    exec setpriv --bounding-set "-${SC_STAGE_DROP_CAPS//,/,-}" -- \
        env -i container=sc-systemd "PATH=$SC_STAGE_PATH" LANG=C.UTF-8 \
        "$SC_STAGE_SYSTEMD" systemd.unified_cgroup_hierarchy=1 systemd.log_color=0
}

# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------

# sc_boot [ROOTDIR]
#   Boot systemd as PID 1 of new PID/mount/UTS/IPC/net/cgroup namespaces. ROOTDIR (optional) is
#   an existing empty host directory the root tmpfs is mounted on - privately, so the host
#   only ever sees it empty; default: a new directory under /tmp, removed at teardown.
#   On return 0: SC_PID is the host PID of the container's systemd, which has finished booting;
#   SC_BOOT_STATE is "running" or "degraded" (then the failed units were listed on stderr).
#   On failure: returns 1, prints the console log, and has already cleaned up.
sc_boot() {
    local root=${1:-} t0 base cg_rel kid state i
    if [[ -n $SC_LAUNCHER_PID ]]; then _sc_err "a container is already running (PID $SC_PID)"; return 1; fi
    if [[ $(id -u) != 0 ]]; then _sc_err "must run as root"; return 1; fi
    local tool
    for tool in unshare nsenter setpriv findmnt pivot_root; do
        command -v "$tool" >/dev/null || { _sc_err "missing $tool (util-linux)"; return 1; }
    done
    [[ -x $SC_SYSTEMD ]] || { _sc_err "no systemd at $SC_SYSTEMD"; return 1; }
    t0=$(_sc_now)

    _sc_prune_stale_dirs
    SC_DIR=$(mktemp -d "/tmp/sc-systemd.$$.XXXXXX") || return 1
    SC_LOG=$SC_DIR/setup.log
    SC_CONSOLE=$SC_DIR/console
    : > "$SC_LOG"; : > "$SC_CONSOLE"
    if [[ -n $root ]]; then
        [[ -d $root ]] || { _sc_err "ROOTDIR $root is not a directory"; sc_cleanup; return 1; }
        if [[ -n $(ls -A "$root") ]]; then _sc_err "ROOTDIR $root is not empty"; sc_cleanup; return 1; fi
        SC_ROOT=$(cd "$root" && pwd -P); SC_ROOT_OWNED=0
    else
        SC_ROOT=$SC_DIR/root; mkdir "$SC_ROOT"; SC_ROOT_OWNED=1
    fi
    mkdir "$SC_DIR/scratch"

    # A cgroup subtree of our own in the host's cgroup2 hierarchy, below the cgroup this shell
    # is in:  sc-systemd-<shell pid>-<random>/
    #           supervisor/   script + unshare (host side)
    #           payload/      root of the container's cgroup namespace: only systemd's tree
    # systemd only ever sees (and creates cgroups under) payload/; we remove it all at teardown.
    base=$(_sc_cgroup2_mount) || { _sc_err "no cgroup2 hierarchy mounted on the host"; sc_cleanup; return 1; }
    cg_rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
    base=$base${cg_rel%/}
    _sc_prune_stale_cgroups "$base"
    SC_CGROUP=$base/sc-systemd-$$-$RANDOM
    if ! mkdir "$SC_CGROUP" "$SC_CGROUP/supervisor" "$SC_CGROUP/payload"; then
        _sc_err "cannot create cgroups under $base"; sc_cleanup; return 1
    fi

    # Launch chain (each arrow an exec or a fork):
    #   subshell -> setpriv --pdeathsig KILL -> script (pty for /dev/console, logs it)
    #     => sh -> setpriv --pdeathsig KILL -> unshare --fork --kill-child ...
    #          => bash: stage 2 (PID 1 of the new PID namespace) -> setpriv -> env -> systemd
    # If this shell dies, script is SIGKILLed, so unshare is, so PID 1 is, so the whole
    # PID namespace is. Without `script` (util-linux bsdutils), /dev/console is /dev/null.
    local stage2 use_script=0
    stage2="$(declare -f _sc_stage2); _sc_stage2"
    command -v script >/dev/null && use_script=1
    (
        echo "$BASHPID" > "$SC_CGROUP/payload/cgroup.procs" || exit 97
        export SC_STAGE_ROOT=$SC_ROOT SC_STAGE_SCRATCH=$SC_DIR/scratch SC_STAGE_GO=$SC_DIR/go \
               SC_STAGE_TMPFS_SIZE=$SC_TMPFS_SIZE SC_STAGE_USR_OVERLAY=$SC_USR_OVERLAY \
               SC_STAGE_MASKS="$SC_DEFAULT_MASKS $SC_MASK_UNITS" SC_STAGE_HOSTNAME=$SC_HOSTNAME \
               SC_STAGE_RO_BINDS=$SC_RO_BINDS SC_STAGE_DROP_CAPS=$SC_DROP_CAPS \
               SC_STAGE_PATH=$SC_PATH_INSIDE SC_STAGE_SYSTEMD=$SC_SYSTEMD \
               SC_STAGE2=$stage2 SHELL=/bin/sh
        local launch='exec setpriv --pdeathsig KILL -- unshare --pid --fork --kill-child --mount --uts --ipc --net --cgroup --propagation private -- /bin/bash -c "$SC_STAGE2"'
        if (( use_script )); then
            exec setpriv --pdeathsig KILL -- script -q -f -e -E never -O "$SC_CONSOLE" -c "$launch" >/dev/null
        else
            exec /bin/sh -c "$launch" >> "$SC_CONSOLE"
        fi
    ) < /dev/null 2>> "$SC_LOG" &
    SC_LAUNCHER_PID=$!

    # Find unshare (SC_LAUNCHER_PID itself without script, else its child) and PID 1 (the
    # child of unshare), move the host-side processes out of payload/, then let stage 2 go.
    local unshare_pid=""
    SC_PID=""
    while :; do
        if ! _sc_alive; then
            _sc_err "the container died while starting"; _sc_dump_log; sc_cleanup; return 1
        fi
        if [[ -z $unshare_pid ]]; then
            if (( use_script )); then kid=$(_sc_child_of "$SC_LAUNCHER_PID"); else kid=$SC_LAUNCHER_PID; fi
            [[ -n $kid && $(cat "/proc/$kid/comm" 2>/dev/null) == unshare ]] && unshare_pid=$kid
        fi
        if [[ -n $unshare_pid ]]; then
            SC_PID=$(_sc_child_of "$unshare_pid")
            [[ -n $SC_PID ]] && break
        fi
        if _sc_expired "$t0" "$SC_BOOT_TIMEOUT"; then
            _sc_err "the container did not start within ${SC_BOOT_TIMEOUT}s"; _sc_dump_log; sc_cleanup; return 1
        fi
        sleep 0.005
    done
    echo "$unshare_pid" > "$SC_CGROUP/supervisor/cgroup.procs" &&
    { (( ! use_script )) || echo "$SC_LAUNCHER_PID" > "$SC_CGROUP/supervisor/cgroup.procs"; } &&
    : > "$SC_DIR/go" || { _sc_err "cannot move the launcher out of payload/"; sc_cleanup; return 1; }

    # Stage 2 builds the root and execs systemd.
    while [[ $(readlink "/proc/$SC_PID/exe" 2>/dev/null) != */systemd ]]; do
        if ! _sc_alive; then
            _sc_err "the container died while starting"; _sc_dump_log; sc_cleanup; return 1
        fi
        if _sc_expired "$t0" "$SC_BOOT_TIMEOUT"; then
            _sc_err "systemd was not exec'd within ${SC_BOOT_TIMEOUT}s"; _sc_dump_log; sc_cleanup; return 1
        fi
        sleep 0.005
    done

    # Wait for the boot to finish: poll the manager's state over its private socket.
    state=""
    while :; do
        if ! _sc_alive; then
            _sc_err "systemd exited during boot"; _sc_dump_log; sc_cleanup; return 1
        fi
        state=$(sc_exec systemctl is-system-running 2>/dev/null) || true
        case $state in
            running|degraded) break ;;
            maintenance|stopping|offline|"")
                # offline/"": the private socket is not up yet; maintenance: emergency mode
                [[ $state == maintenance || $state == stopping ]] && {
                    _sc_err "systemd reached state '$state' while booting"; _sc_dump_log
                    sc_exec journalctl --no-pager -b -n 50 >&2 || true
                    sc_cleanup; return 1; } ;;
        esac
        if _sc_expired "$t0" "$SC_BOOT_TIMEOUT"; then
            _sc_err "boot did not finish within ${SC_BOOT_TIMEOUT}s (state '$state')"
            sc_exec systemctl --no-pager list-jobs >&2 || true
            _sc_dump_log; sc_cleanup; return 1
        fi
        sleep 0.02
    done
    SC_BOOT_STATE=$state
    SC_BOOT_SECONDS=$(_sc_elapsed "$t0")
    if [[ $state == degraded ]]; then
        _sc_err "systemd booted 'degraded'; failed units:"
        sc_exec systemctl --no-pager --failed --full >&2 || true
    fi
    _sc_log "systemd booted ($state) in ${SC_BOOT_SECONDS}s; PID $SC_PID on the host"
    return 0
}

# sc_exec CMD [ARG...]
#   Run CMD inside all the container's namespaces, with its root and working directory, as
#   root, with a clean environment (PATH, HOME=/root, LANG=C.UTF-8, no pager, no colours).
#   stdin/stdout/stderr are passed through; returns CMD's exit status (125 if not booted).
#   The process is in the container's PID namespace (it dies with the container) but not in
#   a systemd unit: use `sc_exec systemd-run ...` for anything long-lived.
sc_exec() {
    [[ -n $SC_PID ]] || { _sc_err "sc_exec: no container"; return 125; }
    nsenter --target "$SC_PID" --all --root --wd -- \
        /usr/bin/env -i "PATH=$SC_PATH_INSIDE" HOME=/root LANG=C.UTF-8 TERM=dumb \
        SYSTEMD_PAGER= SYSTEMD_COLORS=0 SYSTEMD_LESS= "$@"
}

# sc_systemctl ARGS... / sc_journalctl ARGS...   (no pager, full lines)
sc_systemctl() { sc_exec systemctl --no-pager --full "$@"; }
sc_journalctl() { sc_exec journalctl --no-pager "$@"; }

# sc_show UNIT PROPERTY  -> prints the property's value (systemctl show --value)
sc_show() { sc_exec systemctl show --value -p "$2" -- "$1"; }

# sc_unit_is UNIT PROPERTY VALUE  -> true if the property equals VALUE (for sc_wait_for)
sc_unit_is() { [[ $(sc_show "$1" "$2" 2>/dev/null) == "$3" ]]; }

# sc_unit_ge UNIT PROPERTY NUMBER -> true if the numeric property is >= NUMBER (e.g. NRestarts)
sc_unit_ge() {
    local v; v=$(sc_show "$1" "$2" 2>/dev/null) || return 1
    [[ $v =~ ^[0-9]+$ ]] && (( v >= $3 ))
}

# sc_install_file HOSTPATH CONTAINERPATH [MODE] [OWNER[:GROUP]]
#   Copy a host file into the container (parent directories are created). The copy is made
#   by `install` running inside the container, so CONTAINERPATH is resolved with the
#   container's root (symlinks inside cannot lead back out to the host, unlike writing
#   through /proc/$SC_PID/root/). Writable places: /usr/local, /opt, /etc, /var, /srv, /run,
#   /tmp, /root, /home (and all of /usr with SC_USR_OVERLAY=1). Default MODE 0644.
sc_install_file() {
    local src=$1 dst=$2 mode=${3:-0644} owner=${4:-}
    [[ -f $src ]] || { _sc_err "sc_install_file: $src is not a file"; return 1; }
    [[ $dst == /* ]] || { _sc_err "sc_install_file: $dst must be absolute"; return 1; }
    local -a own=()
    if [[ -n $owner ]]; then
        own=(-o "${owner%%:*}")
        [[ $owner == *:* ]] && own+=(-g "${owner#*:}")
    fi
    sc_exec install -D -m "$mode" "${own[@]}" /dev/stdin "$dst" < "$src"
}

# sc_write_file CONTAINERPATH [MODE] [OWNER[:GROUP]] < CONTENT
#   Like sc_install_file, content from stdin (for unit files written as here-documents).
sc_write_file() {
    local dst=$1 mode=${2:-0644} owner=${3:-}
    [[ $dst == /* ]] || { _sc_err "sc_write_file: $dst must be absolute"; return 1; }
    local -a own=()
    if [[ -n $owner ]]; then
        own=(-o "${owner%%:*}")
        [[ $owner == *:* ]] && own+=(-g "${owner#*:}")
    fi
    sc_exec install -D -m "$mode" "${own[@]}" /dev/stdin "$dst"
}

# sc_wait_for TIMEOUT_SECONDS DESCRIPTION CMD [ARG...]
#   Run CMD (a host command or function; stdout/stderr discarded) every 0.1s until it
#   succeeds. Returns 0 as soon as it does; after TIMEOUT_SECONDS prints
#   "timed out waiting for DESCRIPTION" and returns 1. CMD is always tried at least once.
sc_wait_for() {
    local timeout=$1 what=$2; shift 2
    local t0; t0=$(_sc_now)
    while :; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        if _sc_expired "$t0" "$timeout"; then
            _sc_err "timed out after ${timeout}s waiting for $what"
            return 1
        fi
        sleep 0.1
    done
}

# sc_shutdown
#   `systemctl poweroff` inside, wait (poll) for PID 1 to exit (SIGKILL after
#   SC_SHUTDOWN_TIMEOUT), then tear down and check that the host is clean. Returns 0 if the
#   container powered off by itself and nothing was left behind; 1 otherwise. No-op without a
#   container.
sc_shutdown() {
    [[ -n $SC_LAUNCHER_PID ]] || return 0
    local t0 rc=0; t0=$(_sc_now)
    if _sc_alive; then
        # --no-block: the call returns once the job is queued; the manager going away under
        # a blocking client is not an error we want to see.
        sc_exec systemctl --no-block poweroff >/dev/null 2>&1 || true
        if ! sc_wait_for "$SC_SHUTDOWN_TIMEOUT" "the container to power off" _sc_not_alive; then
            _sc_dump_log
            rc=1
        fi
    fi
    _sc_teardown || rc=1
    (( rc == 0 )) && _sc_log "powered off and cleaned up in $(_sc_elapsed "$t0")s"
    return $rc
}
_sc_not_alive() { ! _sc_alive; }

# sc_cleanup
#   Trap-safe, idempotent: if the container is still running, SIGKILL its PID 1 (which kills
#   every process of its PID namespace), then tear down as sc_shutdown does. Keeps $? so it can
#   be the whole EXIT trap:   trap sc_cleanup EXIT
sc_cleanup() {
    local rc=$?
    if [[ -n $SC_LAUNCHER_PID ]] && _sc_alive; then
        _sc_log "killing the container (PID $SC_PID)"
        if [[ -n $SC_PID ]]; then kill -KILL "$SC_PID" 2>/dev/null || true; fi
        kill -KILL "$SC_LAUNCHER_PID" 2>/dev/null || true
    fi
    _sc_teardown || true
    return $rc
}

# Wait for the launcher, remove the cgroup subtree and scratch files, verify the host.
_sc_teardown() {
    local ok=0 i
    if [[ -n $SC_LAUNCHER_PID ]]; then
        # Reap the launcher (our child). It should be gone or going; don't hang forever.
        if _sc_alive; then
            sc_wait_for 10 "the container launcher to exit" _sc_not_alive || {
                kill -KILL "$SC_LAUNCHER_PID" 2>/dev/null || true; ok=1; }
        fi
        SC_EXIT_STATUS=0
        wait "$SC_LAUNCHER_PID" 2>/dev/null || SC_EXIT_STATUS=$?
    fi
    if [[ -n $SC_CGROUP ]]; then
        # The PID namespace is dead, but its processes may still be exiting.
        if ! sc_wait_for 10 "the container's processes to exit" _sc_cgroup_empty; then
            _sc_err "processes left in $SC_CGROUP:"
            find "$SC_CGROUP" -name cgroup.procs -exec cat {} + >&2 || true
            ok=1
        fi
        if ! sc_wait_for 10 "the container's cgroups to be removable" _sc_rmdir_cgroup_tree "$SC_CGROUP"; then
            _sc_err "could not remove $SC_CGROUP"; ok=1
        fi
    fi
    if [[ -n $SC_DIR ]]; then
        # The mounts were made in the private mount namespace and vanished with it; make sure.
        # (No `findmnt | grep -q`: with the caller's pipefail an early grep exit reads as failure.)
        local mounts; mounts=$(findmnt -rn -o TARGET)
        if [[ $mounts == *"$SC_DIR"* ]]; then
            _sc_err "mounts under $SC_DIR are visible on the host:"; grep -F -- "$SC_DIR" <<<"$mounts" >&2
            ok=1
        else
            # rmdir, never rm -r: nothing is removed through a mount by accident.
            rm -f "$SC_DIR/go"
            if [[ -d $SC_DIR/scratch ]] && ! rmdir "$SC_DIR/scratch"; then ok=1; fi
            if [[ $SC_ROOT_OWNED == 1 && -d $SC_ROOT ]] && ! rmdir "$SC_ROOT"; then ok=1; fi
            if [[ $SC_KEEP_LOG == 1 || $ok != 0 ]]; then
                _sc_log "logs kept: $SC_LOG $SC_CONSOLE"
            else
                rm -f "$SC_LOG" "$SC_CONSOLE"
                rmdir "$SC_DIR" 2>/dev/null || { _sc_err "$SC_DIR not empty"; ok=1; }
            fi
        fi
    fi
    if [[ -n $SC_PID ]] && [[ $(readlink "/proc/$SC_PID/exe" 2>/dev/null) == */systemd ]]; then
        _sc_err "container PID 1 ($SC_PID) still exists"; ok=1
    fi
    SC_PID="" SC_LAUNCHER_PID="" SC_CGROUP="" SC_DIR="" SC_ROOT="" SC_ROOT_OWNED=0
    return $ok
}
_sc_cgroup_empty() { [[ $(_sc_cgroup_nprocs "$SC_CGROUP") == 0 ]]; }
