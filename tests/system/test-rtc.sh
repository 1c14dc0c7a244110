#!/bin/sh
# The RTC driver where this machine has no RTC device (rtcfile, rtcdevice, hwclockfile,
# chronyd -s): chrony's messages when the device cannot be opened or is no RTC, the
# answers of rtcdata/trimrtc/writertc (513, as Debian's chronyd gives them), the
# hwclockfile read by -s, -s setting our software clock from the drift file's time,
# and rtcfile refused with rtcsync.
. tests/system/lib.sh

pick_ports 18423
chmod 700 "$TMPD"
echo "0.000000 1700000000 0.000000" >"$TMPD/adjtime-bad"
echo "0" >>"$TMPD/adjtime-bad"
: >"$TMPD/notrtc"

# conf WHO DEVICE [EXTRA]: a daemon with rtcfile and the device, its command socket.
conf() {
    cat >"$TMPD/$1.conf" <<EOF2
rtcfile $TMPD/$1.rtc
rtcdevice $2
${3:-}
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
EOF2
}

# answers WHO: what chronyc says to rtcdata, trimrtc and writertc.
answers() {
    for c in rtcdata trimrtc writertc; do
        $IN "$B/chronyc" -h "$TMPD/$1.sock" $c 2>&1
        echo "rc=$?"
    done >"$TMPD/$1.answers"
}

# run WHO DAEMON...: start, wait for the command socket, take the answers, stop.
run() {
    who=$1
    shift
    $IN $SAFE "$@" -x -d -f "$TMPD/$who.conf" >"$TMPD/$who.log" 2>&1 &
    pid=$!
    PIDS="$PIDS $pid"
    wait_for test -S "$TMPD/$who.sock"
    answers "$who"
    kill $pid
    wait $pid 2>/dev/null
}

conf missing "$TMPD/rtc-missing"
run missing "$B/chronyd"
check "nodevice-open-message" grep -q "Could not open RTC device $TMPD/rtc-missing : No such file or directory" "$TMPD/missing.log"
check "nodevice-not-initialised" grep -q "RTC driver could not be initialised" "$TMPD/missing.log"
check "nodevice-answers-513" [ "$(grep -c '^513 RTC driver not running$' "$TMPD/missing.answers")" = 3 ]
check "nodevice-no-rtcfile-written" [ ! -e "$TMPD/missing.rtc" ]

# A device that is no RTC: the update interrupts cannot be enabled.
conf notrtc "$TMPD/notrtc"
run notrtc "$B/chronyd"
check "notrtc-interrupt-message" grep -q "Could not enable RTC interrupt : Inappropriate ioctl for device" "$TMPD/notrtc.log"
check "notrtc-not-initialised" grep -q "RTC driver could not be initialised" "$TMPD/notrtc.log"
check "notrtc-answers-513" [ "$(grep -c '^513 RTC driver not running$' "$TMPD/notrtc.answers")" = 3 ]

if [ -x /usr/sbin/chronyd ]; then
    # The same messages and answers from Debian's chronyd.
    conf dmissing "$TMPD/rtc-missing"
    run dmissing /usr/sbin/chronyd -u root
    conf dnotrtc "$TMPD/notrtc"
    run dnotrtc /usr/sbin/chronyd -u root
    for w in missing notrtc; do
        grep -o 'Could not .*\|RTC driver could not be initialised' "$TMPD/$w.log" >"$TMPD/$w.msgs"
        grep -o 'Could not .*\|RTC driver could not be initialised' "$TMPD/d$w.log" >"$TMPD/d$w.msgs"
        check "$w-same-messages-as-debian" cmp -s "$TMPD/$w.msgs" "$TMPD/d$w.msgs"
        check "$w-same-answers-as-debian" cmp -s "$TMPD/$w.answers" "$TMPD/d$w.answers"
    done
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi

# chronyd -s with a software clock an hour behind and no RTC: the drift file written a
# moment ago is later than the clock, which is set to it (served within a minute of the
# system's time), and the hwclockfile without a LOCAL/UTC line is reported.
cat >"$TMPD/s.conf" <<EOF2
rtcfile $TMPD/s.rtc
rtcdevice $TMPD/rtc-missing
hwclockfile $TMPD/adjtime-bad
driftfile $TMPD/s.drift
local stratum 10
allow 127.0.0.1
port $P1
cmdport 0
bindcmdaddress /
pidfile $TMPD/s.pid
EOF2
echo "1.000000 0.100000" >"$TMPD/s.drift"
start_s() { # start_s NAME OPTIONS...
    n=$1
    shift
    $IN $SAFE "$B/chronyd" --softclock=-3600 "$@" -d -f "$TMPD/s.conf" >"$TMPD/$n.log" 2>&1 &
    pid=$!
    PIDS="$PIDS $pid"
}
served_near() { # served_near LOW HIGH: the served time minus the system's is in range
    o=$($IN python3 tests/system/ntpoffset.py 127.0.0.1 $P1 | sed -n 's/^offset=\([-0-9.]*\) .*/\1/p')
    [ -n "$o" ] && awk -v o="$o" -v l="$1" -v h="$2" 'BEGIN { exit !(o >= l && o <= h) }'
}
start_s s1 -s
check "s-restored-from-driftfile" wait_for grep -q "System time restored from driftfile" "$TMPD/s1.log"
check "s-hwclockfile-read" grep -q "Could not read RTC LOCAL/UTC setting from $TMPD/adjtime-bad" "$TMPD/s1.log"
check "s-serves-restored-time" wait_for served_near -60 60
kill $pid
wait $pid 2>/dev/null
touch "$TMPD/s.drift"
start_s s2
check "without-s-clock-stays-behind" wait_for served_near -3660 -3540
check "without-s-nothing-restored" sh -c "! grep -q 'restored from driftfile' '$TMPD/s2.log'"
kill $pid
wait $pid 2>/dev/null

# rtcfile and rtcsync exclude each other.
printf 'rtcfile %s/x.rtc\nrtcsync\ncmdport 0\nbindcmdaddress /\npidfile %s/x.pid\n' "$TMPD" "$TMPD" >"$TMPD/x.conf"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/x.conf" >"$TMPD/x.log" 2>&1
rc=$?
check "rtcsync-refused-status" [ $rc != 0 ]
check "rtcsync-refused-message" grep -q 'rtcfile directive cannot be used with rtcsync' "$TMPD/x.log"
