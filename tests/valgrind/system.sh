#!/bin/sh
# The system part of make check-valgrind (run by tests/valgrind/run.sh, which sets $VG and
# $LOGDIR): server A (local stratum 10) and client B (server A, iburst, 1 s polls) are our
# chronyd under valgrind; NTP requests from outside, chronyc on both, B synchronises, a
# `reload sources` with a sources file, then SIGTERM: each daemon must exit 0, which under
# --error-exitcode means no memcheck error and no leak.
. tests/system/lib.sh

pick_ports 27123
cat >"$TMPD/a.conf" <<CONF
allow 127.0.0.1
local stratum 10
port $P1
cmdport 0
bindcmdaddress $TMPD/a.sock
pidfile $TMPD/a.pid
CONF
mkdir -p "$TMPD/srcdir"
cat >"$TMPD/b.conf" <<CONF
server 127.0.0.1 port $P1 minpoll 0 maxpoll 0 iburst
sourcedir $TMPD/srcdir
port 0
cmdport 0
bindcmdaddress $TMPD/b.sock
pidfile $TMPD/b.pid
driftfile $TMPD/b.drift
CONF
$IN $SAFE $VG --log-file="$LOGDIR/chronyd-a.vg" "$B/chronyd" -x -d -f "$TMPD/a.conf" \
    >"$LOGDIR/chronyd-a.log" 2>&1 &
PID_A=$!
PIDS="$PIDS $!"
$IN $SAFE $VG --log-file="$LOGDIR/chronyd-b.vg" "$B/chronyd" -x -d -f "$TMPD/b.conf" \
    >"$LOGDIR/chronyd-b.log" 2>&1 &
PID_B=$!
PIDS="$PIDS $!"

ntp_ok() { $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 | grep -q 'mode=4 stratum=10'; }
check "valgrind-server-answers-ntp" wait_long ntp_ok
tracking_a() { $IN "$B/chronyc" -h "$TMPD/a.sock" tracking | grep -q '^Reference ID'; }
check "valgrind-server-answers-chronyc" wait_long tracking_a
synced_b() { $IN "$B/chronyc" -h "$TMPD/b.sock" sources | grep -q '^\^\*'; }
check "valgrind-client-synchronises" wait_long synced_b
echo "server 127.0.0.2 port $P1 minpoll 0 maxpoll 0" >"$TMPD/srcdir/extra.sources"
reload_b() { $IN "$B/chronyc" -h "$TMPD/b.sock" reload sources | grep -q '200 OK'; }
check "valgrind-client-reload-sources" wait_for reload_b
two_b() { [ "$($IN "$B/chronyc" -h "$TMPD/b.sock" -n sources | grep -c '^\^')" = 2 ]; }
check "valgrind-client-two-sources" wait_for two_b
for i in 1 2 3; do
    $IN "$B/chronyc" -h "$TMPD/a.sock" serverstats >/dev/null 2>&1
    $IN "$B/chronyc" -h "$TMPD/b.sock" sourcestats >/dev/null 2>&1
done

stop_one() { # stop_one NAME PID: SIGTERM, wait, valgrind's verdict in the exit status
    kill -TERM "$2" 2>/dev/null
    wait "$2"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        pass "valgrind-chronyd-$1-clean-exit"
    else
        fail "valgrind-chronyd-$1-clean-exit (exit status $rc)"
        sed 's/^/    /' "$LOGDIR/chronyd-$1.vg" | head -n 40
    fi
}
stop_one b $PID_B
stop_one a $PID_A
PIDS=""
