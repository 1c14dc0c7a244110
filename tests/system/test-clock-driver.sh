#!/bin/sh
# The Linux system clock driver (control through adjtimex) and privilege
# dropping, run against a fake kernel clock: every program that could touch
# the clock runs with LD_PRELOAD=fake_timex.so (adjtimex & co. recorded and
# answered from a fake state, never passed on) AND without CAP_SYS_TIME in
# its bounding set, so even a call that escaped the shim would fail. The
# machine's real clock settings are read (modes = 0 only) before and after.
. tests/system/lib.sh

CC=${CC:-cc}
LOG="$TMPD/timex.log"
SHIM="$TMPD/fake_timex.so"
ASAN_PRE="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# Run a command under both protections with the shim's log.
shimmed() {
    $SAFE env LD_PRELOAD="$SHIM" ASAN_OPTIONS="$ASAN_PRE" FAKE_TIMEX_LOG="$LOG" "$@"
}

if ! $CC -shared -fPIC -O1 -Wall -o "$SHIM" tests/system/fake_timex.c ||
    ! $CC -O1 -Wall -o "$TMPD/timex_read" tests/system/timex_read.c; then
    fail "clock-driver-build-shim"
    exit 1
fi

# Safety preflight: the bounding set without CAP_SYS_TIME (bit 25).
capbnd=$($SAFE sh -c 'grep CapBnd /proc/self/status' | awk '{print $2}')
if [ -z "$capbnd" ] || [ $(((0x$capbnd >> 25) & 1)) -ne 0 ]; then
    fail "clock-driver-no-cap-sys-time (bounding set $capbnd)"
    exit 1
fi
pass "clock-driver-no-cap-sys-time"

real_before=$($SAFE "$TMPD/timex_read")

# The probe links the platform layer of $B (sanitized or not, like $B).
san=""
if nm "$B/libplatform.a" 2>/dev/null | grep -q __asan; then
    san="-fsanitize=address,undefined"
fi
if ! $CC -std=gnu11 -D_GNU_SOURCE -O1 -g $san -Isrc -o "$TMPD/probe" \
    tests/system/clock_driver_probe.c "$B/libplatform.a" "$B/libdaemon.a" "$B/libcore.a" \
    "$B/libproto.a" "$B/libcrypto.a" "$B/liblib.a" -lnettle -lgnutls -lseccomp -lm -lpthread; then
    fail "clock-driver-build-probe"
    exit 1
fi

user=""
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
    user=nobody
fi
: >"$LOG"
shimmed "$TMPD/probe" $user >"$TMPD/probe.out" 2>&1
cat "$TMPD/probe.out"
grep -q '^PASS probe-can-control' "$TMPD/probe.out" || fail "clock-driver-probe-ran"

# The shim's log must hold these calls, in this order (modes are hex).
expect_in_order() { # REGEX... (extended regexps, one per expected line)
    for pat in "$@"; do
        # Find the first line after the previous match holding this pattern.
        line=$(tail -n "+$((${start:-0} + 1))" "$LOG" | grep -n -E -- "$pat" | head -n 1 | cut -d: -f1)
        if [ -z "$line" ]; then
            echo "missing (in order): $pat"
            start=""
            return 1
        fi
        start=$((${start:-0} + line))
    done
    start=""
    return 0
}
check "start-resets-adjtime-offset" grep -q "^adjtimex clk=0 modes=0x8001 .*offset=0 " "$LOG"
check "start-pll-off" expect_in_order "modes=0x8001 " "modes=0x11 .*offset=0 status=0x41 " \
    "modes=0x10 .*status=0x40 "
check "set-freq-fine" expect_in_order "modes=0x4002 tick=10000 freq=8090812 "
check "set-freq-tick" expect_in_order "modes=0x4002 tick=10000 freq=8090812 " "modes=0x4002 tick=9993 freq=0 "
check "set-freq-large-tick" expect_in_order "tick=9993 freq=0 " "modes=0x4002 tick=10500 freq=0 "
check "step-setoffset-nano" grep -q "modes=0x2100 .* sec=-1 nsec=500000000$" "$LOG"
check "leap-insert" expect_in_order "modes=0x2100 " "modes=0x10 .*status=0x50 "
check "sync-status-no-rtcsync" expect_in_order "status=0x50 " "modes=0x1c .*status=0x50 esterror=1000 maxerror=10000 "
check "sync-status-rtcsync" expect_in_order "modes=0x1c .*status=0x50 " "modes=0x1c .*status=0x10 esterror=2000 maxerror=20000 "
check "leap-cleared" expect_in_order "status=0x10 esterror=2000" "modes=0x10 .*status=0x0 "
check "freq-read-back" grep -q "modes=0x0 " "$LOG"
check "no-settime-calls" sh -c "! grep -q -e '^clock_settime' -e '^settimeofday' -e '^stime' '$LOG'"

if [ -n "$user" ]; then
    # Root dropped to nobody keeps CAP_NET_BIND_SERVICE (bit 10); CAP_SYS_TIME
    # was never held here (bounding set), so it can't be kept.
    check "privdrop-uid" grep -q '^PASS probe-dropped-uid' "$TMPD/probe.out"
    check "privdrop-caps-net-bind-only" grep -q "^CapEff:[[:space:]]*0000000000000400$" "$TMPD/probe.out"
    check "privdrop-permitted-net-bind-only" grep -q "^CapPrm:[[:space:]]*0000000000000400$" "$TMPD/probe.out"
else
    echo "SKIP privilege dropping needs root"
fi

# A -x server on loopback for the clients below to follow.
NTPPORT=$((20000 + $$ % 20000))
cat >"$TMPD/server.conf" <<CONF
pidfile $TMPD/server.pid
port $NTPPORT
cmdport 0
bindcmdaddress /
local stratum 8
allow 127.0.0.1
CONF
cat >"$TMPD/chrony.conf" <<CONF
pidfile $TMPD/chronyd.pid
port 0
cmdport 0
bindcmdaddress /
server 127.0.0.1 port $NTPPORT iburst minpoll 0 maxpoll 0
leapseclist $TMPD/leap.list
CONF
# A leap second list (TAI - UTC 37 since 2017), valid until 2036.
printf '#$ 3913056000\n#@ 4291747200\n2272060800 10\n3439756800 34\n3550089600 35\n3644697600 36\n3692217600 37\n' >"$TMPD/leap.list"
if [ -x "$B/chronyd" ]; then
    $SAFE "$B/chronyd" -x -d -f "$TMPD/server.conf" >"$TMPD/server.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for test -s "$TMPD/server.pid"

    # chronyd -x following a source never touches the kernel clock.
    : >"$LOG"
    shimmed timeout 20 "$B/chronyd" -x -d -t 4 -f "$TMPD/chrony.conf" >"$TMPD/x.log" 2>&1
    check "noclock-no-kernel-changes" sh -c "! grep -v 'modes=0x0 ' '$LOG' | grep -q ."
    check "noclock-no-tai-offset" sh -c "! grep -q 'TAI offset' '$TMPD/x.log'"

    # chronyd without -x, under the shim: it steers the fake clock only.
    : >"$LOG"
    shimmed timeout 30 "$B/chronyd" -d -t 8 -f "$TMPD/chrony.conf" >"$TMPD/sys.log" 2>&1
    check "chronyd-system-runs" grep -q "chronyd version" "$TMPD/sys.log"
    if grep -q "Selected source" "$TMPD/sys.log"; then
        check "chronyd-takes-control" expect_in_order "modes=0x8001 " "modes=0x11 .*status=0x41 " \
            "modes=0x10 .*status=0x40 "
        check "chronyd-sets-frequency" expect_in_order "modes=0x10 .*status=0x40 " "modes=0x4002 tick=10000 "
        check "chronyd-sets-sync-status" grep -q "modes=0x1c " "$LOG"
        # The list's TAI - UTC goes to the kernel with the leap status (ADJ_STATUS|ADJ_TAI).
        check "chronyd-sets-tai-offset" grep -q "modes=0x90 " "$LOG"
        check "chronyd-tai-offset-logged" grep -q "System clock TAI offset set to 37 seconds$" "$TMPD/sys.log"
    else
        echo "SKIP chronyd did not select the loopback source"
        tail -n 5 "$TMPD/sys.log"
    fi
    check "chronyd-no-settime-calls" sh -c "! grep -q -e '^clock_settime' -e '^settimeofday' '$LOG'"
    check "chronyd-no-false-interference" sh -c "! grep -q 'interference' '$TMPD/sys.log'"

    # Another process changes the kernel frequency while chronyd runs: noticed at the
    # next adjtimex() call with chrony's warning.
    : >"$LOG"
    rm -f "$TMPD/interfere"
    sed "s|^pidfile .*|pidfile $TMPD/int.pid|" "$TMPD/chrony.conf" >"$TMPD/int.conf"
    FAKE_TIMEX_INTERFERE="$TMPD/interfere" shimmed timeout 30 "$B/chronyd" -d -f "$TMPD/int.conf" \
        >"$TMPD/int.log" 2>&1 &
    intpid=$!
    if wait_long grep -q "Selected source" "$TMPD/int.log"; then
        touch "$TMPD/interfere"
        check "interference-made" wait_long sh -c "grep -q '^interference' '$LOG'"
        check "interference-detected" wait_long grep -q "System clock interference detected (another NTP client?)$" "$TMPD/int.log"
    else
        echo "SKIP chronyd did not select the loopback source (interference)"
    fi
    # chronyd itself (under setpriv, env and timeout) stops; then its wrapper returns.
    [ -s "$TMPD/int.pid" ] && kill "$(cat "$TMPD/int.pid")" 2>/dev/null
    wait "$intpid" 2>/dev/null

    if [ -n "$user" ]; then
        # chronyd -u: running as the user with only the capabilities it keeps.
        # (not through shimmed(): $! must be chronyd's pid, setpriv and env exec)
        $SAFE env LD_PRELOAD="$SHIM" ASAN_OPTIONS="$ASAN_PRE" FAKE_TIMEX_LOG="$LOG" \
            "$B/chronyd" -d -u "$user" -f "$TMPD/chrony.conf" >"$TMPD/u.log" 2>&1 &
        upid=$!
        PIDS="$PIDS $upid"
        wait_for sh -c "grep -q \"^Uid:[[:space:]]*$(id -u "$user")[[:space:]]\" /proc/$upid/status"
        grep -e '^Uid:' -e '^CapEff:' "/proc/$upid/status" >"$TMPD/u.status" 2>/dev/null
        cat "$TMPD/u.status"
        check "chronyd-u-runs-as-user" grep -q "^Uid:[[:space:]]*$(id -u "$user")[[:space:]]" "$TMPD/u.status"
        # `port 0` needs no CAP_NET_BIND_SERVICE, and CAP_SYS_TIME is outside the
        # bounding set here: nothing is left.
        check "chronyd-u-caps" grep -q "^CapEff:[[:space:]]*0000000000000000$" "$TMPD/u.status"
        kill -TERM "$upid" 2>/dev/null
        wait "$upid"
        check "chronyd-u-exits-0" [ $? -eq 0 ]
    fi
else
    echo "SKIP no $B/chronyd"
fi

real_after=$($SAFE "$TMPD/timex_read")
echo "real clock before: $real_before"
echo "real clock after:  $real_after"
check "real-clock-unchanged" [ -n "$real_before" -a "$real_before" = "$real_after" ]
