#!/bin/sh
# chronyd -x as chrony's: the system clock is not controlled. A client of a server whose
# time is 0.5 s ahead (our --softclock=0.5) tracks the offset without correcting it:
# `tracking` shows it as the system time's offset, `makestep` fails with "Could not step
# system clock", as Debian's chronyd -x does. Our --softclock client corrects its own
# clock instead.
. tests/system/lib.sh

pick_ports 16123
chmod 700 "$TMPD"

server_conf "$TMPD/s.conf" $P1
client_conf() { # client_conf NAME [EXTRA]
    cat >"$TMPD/$1.conf" <<EOF2
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
$2
EOF2
}

# System time : N seconds slow of NTP time
system_time() { # system_time NAME
    $IN "$B/chronyc" -h "$TMPD/$1.sock" -n tracking 2>/dev/null |
        sed -n 's/^System time *: \([0-9.]*\) seconds \(slow\|fast\).*/\1 \2/p'
}

$IN $SAFE "$B/chronyd" --softclock=0.5 -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"

run_x() { # run_x LABEL DAEMON...
    label=$1
    shift
    client_conf "$label"
    $IN $SAFE "$@" -x -d -f "$TMPD/$label.conf" >"$TMPD/$label.log" 2>&1 &
    PIDS="$PIDS $!"
    check "$label-x-synchronised" wait_long selected "$label"
    sleep 3
    st=$(system_time "$label")
    echo "  $label -x: system time $st"
    check "$label-x-uncorrected-offset" sh -c "echo '$st' | awk '\$1 > 0.4 && \$1 < 0.6 && \$2 == \"slow\" {ok=1} END {exit !ok}'"
    out=$($IN "$B/chronyc" -h "$TMPD/$label.sock" makestep 2>&1)
    echo "  $label makestep: $out"
    check "$label-x-makestep-fails" sh -c "echo '$out' | grep -q '^500 Failure'"
    check "$label-x-could-not-step" wait_for grep -q "Could not step system clock" "$TMPD/$label.log"
    kill "$!" 2>/dev/null
}

run_x ours "$B/chronyd"
if [ -x /usr/sbin/chronyd ]; then
    run_x debian /usr/sbin/chronyd -u root
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi

# --softclock: the daemon controls a clock of its own; makestep steps it.
client_conf soft "makestep 0.1 -1"
$IN $SAFE "$B/chronyd" --softclock -d -f "$TMPD/soft.conf" >"$TMPD/soft.log" 2>&1 &
PIDS="$PIDS $!"
check "softclock-synchronised" wait_long selected soft
sleep 3
st=$(system_time soft)
echo "  --softclock: system time $st"
check "softclock-corrected" sh -c "echo '$st' | awk '\$1 < 0.01 {ok=1} END {exit !ok}'"
check "softclock-stepped" grep -q "System clock was stepped by" "$TMPD/soft.log"

# A clock 100 s behind is stepped forward by about 100.5 s. The step moves the daemon's
# timers and its time-jump detector's reference with the clock: it must not take its own
# step for a jump (a gap of more than 10 s between wake-ups that no timeout explains).
client_conf far "makestep 1 -1"
$IN $SAFE "$B/chronyd" --softclock=-100 -d -f "$TMPD/far.conf" >"$TMPD/far.log" 2>&1 &
PIDS="$PIDS $!"
check "softclock-far-synchronised" wait_long selected far
check "softclock-far-stepped" wait_for grep -q "System clock was stepped by 100\\.[0-9]" "$TMPD/far.log"
# two more responses (minpoll 0) after the step: wake-ups the detector looked at
valid_rx() {
    $IN "$B/chronyc" -h "$TMPD/far.sock" -n ntpdata 127.0.0.1 2>/dev/null |
        sed -n 's/^Total valid RX *: *\([0-9]*\).*/\1/p'
}
rx0=$(valid_rx)
rx_after_step() { n=$(valid_rx); [ -n "$n" ] && [ -n "$rx0" ] && [ "$n" -ge $((rx0 + 2)) ]; }
check "softclock-far-polls-after-step" wait_for rx_after_step
st=$(system_time far)
echo "  --softclock=-100: system time $st"
check "softclock-far-corrected" sh -c "echo '$st' | awk '\$1 < 0.01 {ok=1} END {exit !ok}'"
check "softclock-far-no-false-jump" sh -c "! grep -q 'time jump detected' '$TMPD/far.log'"
stop_all
