#!/bin/sh
# Running under systemd: the installed units pass `systemd-analyze verify`, and the
# daemon speaks the Type=notify protocol to a stand-in for systemd's socket
# (notify_listener.py): READY=1 once its NTP and command sockets answer (path and
# abstract names), STOPPING=1 on SIGTERM, chrony's fatal errors for a bad socket.
# It also makes its missing run directory, as on a system booted a moment ago.
. tests/system/lib.sh

# The units, installed with their real paths into a throw-away prefix (verify
# checks that ExecStart's program exists).
if command -v systemd-analyze >/dev/null 2>&1; then
    pre="$TMPD/prefix"
    make -s --no-print-directory B="$B" SAN=1 OPT=-O1 PREFIX="$pre" SYSCONFDIR="$pre/etc" \
        LOCALSTATEDIR="$pre/var" install >"$TMPD/install.log" 2>&1
    check "units-installed" test -f "$pre/lib/systemd/system/chronyd.service" \
        -a -f "$pre/lib/systemd/system/chronyd-restricted.service" \
        -a -f "$pre/lib/systemd/system/chrony-wait.service"
    for u in chronyd chronyd-restricted chrony-wait; do
        systemd-analyze verify "$pre/lib/systemd/system/$u.service" >"$TMPD/verify-$u" 2>&1
        rc=$?
        sed 's/^/    /' "$TMPD/verify-$u"
        check "verify-$u" sh -c "[ $rc -eq 0 ] && ! grep -q 'chrony' '$TMPD/verify-$u'"
    done
    check "unit-type-notify" grep -qx 'Type=notify' "$pre/lib/systemd/system/chronyd.service"
    check "unit-execstart" grep -qx "ExecStart=$pre/sbin/chronyd -n \$DAEMON_OPTS" \
        "$pre/lib/systemd/system/chronyd.service"
    check "restricted-unit-user" sh -c "grep -qx 'User=_chrony' '$pre/lib/systemd/system/chronyd-restricted.service' &&
        grep -qx 'ExecStart=$pre/sbin/chronyd -n -U \$DAEMON_OPTS' '$pre/lib/systemd/system/chronyd-restricted.service' &&
        grep -qx 'CapabilityBoundingSet=CAP_SYS_TIME' '$pre/lib/systemd/system/chronyd-restricted.service'"
    check "ntp-units-entry" grep -qx 'chronyd.service' "$pre/lib/systemd/ntp-units.d/50-chronyd.list"
else
    echo "SKIP units: systemd-analyze is missing (package systemd; scripts/install-deps.sh installs it)"
fi

pick_ports 12360
run="$TMPD/run/chrony" # does not exist yet: the daemon makes it
cat >"$TMPD/chrony.conf" <<CONF
port $P1
allow 127.0.0.1
cmdport 0
bindcmdaddress $run/chronyd.sock
pidfile $run/chronyd.pid
CONF

# start_listener NAME OUT [NTP_PORT CMD_SOCKET]: the stand-in, bound before we go on.
start_listener() {
    out=$2
    $IN python3 tests/system/notify_listener.py "$@" &
    PIDS="$PIDS $!"
    wait_for test -s "$out.ready"
}

# A path socket: READY=1 with the sockets answering, STOPPING=1 on SIGTERM.
start_listener "$TMPD/notify" "$TMPD/n1" "$P1" "$run/chronyd.sock"
$IN env NOTIFY_SOCKET="$TMPD/notify" $SAFE "$B/chronyd" -x -n -f "$TMPD/chrony.conf" \
    -l "$TMPD/d1.log" &
pid=$!
PIDS="$PIDS $pid"
check "ready-sent" wait_for grep -qx 'msg READY=1' "$TMPD/n1"
check "ready-first-message" sh -c "head -n 1 '$TMPD/n1' | grep -qx 'msg READY=1'"
check "ready-ntp-socket-answers" wait_for grep -qx 'ntp answered' "$TMPD/n1"
check "ready-command-socket-exists" wait_for grep -qx 'cmdsock present' "$TMPD/n1"
check "ready-chronyc-answers" sh -c "$IN '$B/chronyc' -h '$run/chronyd.sock' tracking | grep -q '^Reference ID'"
check "run-dir-made" test -d "$run" -a -s "$run/chronyd.pid"
check "no-stopping-while-running" sh -c "! grep -q STOPPING '$TMPD/n1'"
kill -TERM "$pid"
wait "$pid"
rc=$?
check "sigterm-exit-0" [ $rc -eq 0 ]
check "stopping-sent" wait_for grep -qx 'msg STOPPING=1' "$TMPD/n1"
check "two-messages" sh -c "[ \$(grep -c '^msg ' '$TMPD/n1') -eq 2 ]"

# An abstract socket name ('@...'), as systemd may hand out.
start_listener "@chrony-notify-$$" "$TMPD/n2" "$P1"
$IN env NOTIFY_SOCKET="@chrony-notify-$$" $SAFE "$B/chronyd" -x -n -f "$TMPD/chrony.conf" \
    -l "$TMPD/d2.log" &
pid=$!
PIDS="$PIDS $pid"
check "abstract-ready" wait_for grep -qx 'msg READY=1' "$TMPD/n2"
check "abstract-ntp-answers" wait_for grep -qx 'ntp answered' "$TMPD/n2"
kill -TERM "$pid"
wait "$pid"
check "abstract-stopping" wait_for grep -qx 'msg STOPPING=1' "$TMPD/n2"

# The same under the level 1 system call filter (-F 1).
start_listener "$TMPD/notify3" "$TMPD/n3"
$IN env NOTIFY_SOCKET="$TMPD/notify3" $SAFE "$B/chronyd" -x -n -F 1 -f "$TMPD/chrony.conf" \
    -l "$TMPD/d4.log" &
pid=$!
PIDS="$PIDS $pid"
check "scfilter-ready" wait_for grep -qx 'msg READY=1' "$TMPD/n3"
kill -TERM "$pid"
wait "$pid"
rc=$?
check "scfilter-exit-0" [ $rc -eq 0 ]
check "scfilter-stopping" wait_for grep -qx 'msg STOPPING=1' "$TMPD/n3"

# Bad sockets are fatal at start-up, with chrony's messages.
out=$($IN env NOTIFY_SOCKET=relative/name $SAFE timeout 20 "$B/chronyd" -x -d \
    -f "$TMPD/chrony.conf" 2>&1)
rc=$?
check "relative-name-fatal" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'Fatal error : Unsupported notification socket'"
out=$($IN env NOTIFY_SOCKET="$TMPD/nobody-listens" $SAFE timeout 20 "$B/chronyd" -x -d \
    -f "$TMPD/chrony.conf" 2>&1)
rc=$?
check "no-listener-fatal" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'Fatal error : Could not send notification to \$NOTIFY_SOCKET'"
check "no-listener-pidfile-removed" sh -c "! test -e '$run/chronyd.pid'"

# Without NOTIFY_SOCKET nothing changes; a missing run directory is made for the
# user the daemon runs as (root makes it, then drops to that user).
chmod 755 "$TMPD"
rm -rf "$TMPD/run"
$IN env -u NOTIFY_SOCKET $SAFE "$B/chronyd" -x -n -u nobody -f "$TMPD/chrony.conf" \
    -l "$TMPD/d3.log" &
pid=$!
PIDS="$PIDS $pid"
check "user-run-dir-made" wait_for test -s "$run/chronyd.pid"
check "user-run-dir-owner" sh -c "[ \"\$(stat -c '%U' '$run')\" = nobody ] && [ \$((0\$(stat -c '%a' '$run') & 7)) -eq 0 ]"
check "user-command-socket" wait_for test -S "$run/chronyd.sock"
kill -TERM "$pid"
wait "$pid"
check "user-exit-0" [ $? -eq 0 ]
