#!/bin/sh
# What one command request on the Unix socket costs the daemon in system calls
# (doc/PERFORMANCE.md, "request transport"): with 200 offline sources, `chronyc -n sources`
# makes 201 requests, and each is one select, one receive that asks for one datagram (as
# chrony's command socket does: a batch would cost a second, failing, receive in the kernel)
# and one send. No second wake-up, no timer due at once, nothing else per request. Counted
# with strace attached to the running daemon.
. tests/system/lib.sh

command -v strace >/dev/null || { echo "PASS cmd-syscalls-skipped (no strace)"; exit 0; }
N=200
i=0
while [ $i -lt $N ]; do
    echo "server 10.1.$((i / 250)).$((i % 250 + 1)) offline"
    i=$((i + 1))
done >"$TMPD/c.conf"
cat >>"$TMPD/c.conf" <<CONF
port 0
cmdport 0
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
CONF
chmod 700 "$TMPD"
$SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/log" 2>&1 &
DP=$!
PIDS="$PIDS $DP"
answers() { "$B/chronyc" -h "$TMPD/c.sock" -n activity | grep -q "$N sources offline"; }
check cmd-syscalls-daemon-up wait_for answers

strace -qq -p "$DP" -o "$TMPD/st" &
ST=$!
traced() { grep -Eq 'TracerPid:[[:space:]]*[1-9]' "/proc/$DP/status"; }
check cmd-syscalls-traced wait_for traced
"$B/chronyc" -h "$TMPD/c.sock" -n sources >"$TMPD/out" 2>&1
kill "$ST"
wait "$ST" 2>/dev/null
check cmd-syscalls-rows test "$(grep -c '^^? 10\.1\.' "$TMPD/out")" -eq $N

# Requests received (chronyc may have sent one again on a busy machine: count them).
R=$(grep -cE '^recvmmsg\(.*\) = 1$' "$TMPD/st")
S=$(grep -cE '^sendmsg\(' "$TMPD/st")
W=$(grep -cE '^(pselect6|select)\(' "$TMPD/st")
ALL=$(grep -cE '^[a-z_0-9]+\(' "$TMPD/st")
echo "  requests $R, sends $S, selects $W, system calls $ALL"
check cmd-syscalls-all-requests test "$R" -ge $((N + 1))
check cmd-syscalls-one-per-receive test "$(grep -E '^recvmmsg\(' "$TMPD/st" |
    grep -vcE '\], 1, MSG_DONTWAIT')" -eq 0
check cmd-syscalls-one-send-each test "$S" -eq "$R"
# The select under way when strace attached and the one left waiting at the end.
check cmd-syscalls-one-wakeup-each test "$W" -le $((R + 2))
check cmd-syscalls-nothing-else test "$ALL" -le $((3 * R + 10))
