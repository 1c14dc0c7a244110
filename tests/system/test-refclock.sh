#!/bin/sh
# refclock: SHM and SOCK reference clocks. A writer in the test fills ntpd's SHM segment
# (modes 1 and 0) or sends chrony SOCK samples with a known offset; our daemon (-x)
# selects the refclock (#* in sources) and tracking shows the offset. Invalid, stale and
# wrongly marked samples are ignored, refclocks.log has chrony's banner and rows (the
# same as Debian's chronyd), unsupported drivers and options are refused with the file
# and line, and gpsd, fed NMEA sentences by the test, reaches our daemon through SHM 0.
# The whole test runs in a private IPC namespace, so no segment outlives it.
if [ -z "${REFCLOCK_IPC_NS:-}" ]; then
    if unshare --ipc true 2>/dev/null; then
        REFCLOCK_IPC_NS=1 exec unshare --ipc sh "$0" "$@"
    fi
    echo "SKIP no private IPC namespace (unshare --ipc)"
    exit 0
fi
. tests/system/lib.sh

pick_ports 18180
chmod 700 "$TMPD"
FEED="python3 tests/system/refclock_feed.py"

# conf NAME LINE...: a daemon config with the refclock lines given and refclocks.log
conf() {
    name=$1
    shift
    mkdir -p "$TMPD/$name"
    {
        for l in "$@"; do echo "$l"; done
        cat <<EOF2
logdir $TMPD/$name
log refclocks
dumpdir $TMPD/$name
cmdport 0
bindcmdaddress $TMPD/$name.sock
pidfile $TMPD/$name.pid
EOF2
    } >"$TMPD/$name.conf"
}
start() { # start NAME [DAEMON]
    $IN $SAFE "${2:-$B/chronyd}" -x -d -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    PIDS="$PIDS $!"
}
feed() {
    $FEED "$@" &
    PIDS="$PIDS $!"
}
cc() { # cc NAME COMMAND...
    n=$1
    shift
    $IN "$B/chronyc" -h "$TMPD/$n.sock" -n "$@" 2>/dev/null
}
sel() { cc "$1" sources | grep -q "^#\* $2 "; }
# reach NAME REFID: the reachability register of a refclock (chronyc -c sources)
reach() { cc "$1" -c sources | awk -F, -v r="$2" '$3 == r {print $6}'; }
# system_time NAME: the signed offset in tracking (positive = slow of NTP time)
system_time() {
    cc "$1" tracking | awk '/^System time/ {print ($6 == "slow") ? $4 : -$4}'
}
near() { awk -v x="$1" -v y="$2" 'BEGIN {d = x - y; exit !(d < 0.001 && d > -0.001)}'; }
has_rows() { [ "$(grep -c " $2 " "$TMPD/$1/refclocks.log" 2>/dev/null)" -ge "$3" ]; }

# (a) SHM mode 1 with offset 0.5 s, next to segments with invalid, stale and bad-mode
# samples (units 1-3), which stay unreachable.
feed shm 0 1 0.5
feed shm 1 1 0.5 invalid
feed shm 2 1 0.5 stale
feed shm 3 1 0.5 badmode
conf shm1 "refclock SHM 0 poll 0 refid GPS" "refclock SHM 1 poll 0 refid INV" \
    "refclock SHM 2 poll 0 refid OLD" "refclock SHM 3:perm=0644 poll 0 refid MODE"
start shm1
check "shm-mode1-selected" wait_long sel shm1 GPS
wait_for has_rows shm1 GPS 6
st=$(system_time shm1)
echo "  SHM mode 1: system time $st"
check "shm-mode1-offset-in-tracking" near "$st" 0.5
shows() { # shows NAME REGEX COMMAND...: chronyc's output has a line matching REGEX
    n=$1
    re=$2
    shift 2
    cc "$n" "$@" | grep -Eq "$re"
}
check "tracking-reference-is-refid" shows shm1 '^Reference ID    : 47505300 \(GPS\)$' tracking
check "sources-mode-and-poll" shows shm1 '^#,\*,GPS,0,0,' -c sources
check "sourcestats-row" shows shm1 '^GPS  ' sourcestats
check "selectdata-row" shows shm1 '^\* GPS  ' selectdata
for r in INV OLD MODE; do
    check "ignored-samples-$r-unreachable" [ "$(reach shm1 $r)" = 0 ]
    check "ignored-samples-$r-not-logged" sh -c "! grep -q ' $r ' '$TMPD/shm1/refclocks.log'"
done
cc shm1 dump >/dev/null
check "dump-file-named-by-refid" test -s "$TMPD/shm1/refid:47505300.dat"
# chronyd -r loads it again, by the refclock's refid.
cp "$TMPD/shm1/refid:47505300.dat" "$TMPD/saved.dat"
# chronyc names a refclock by its refid: a new offset for its readings, and selection
# options.
offset_is() { near "$(system_time "$1")" "$2"; }
check "chronyc-offset-refclock" sh -c "'$B/chronyc' -h '$TMPD/shm1.sock' offset GPS 0.1 | grep -q '^200 OK'"
check "chronyc-offset-logged" grep -q "Source GPS new offset 0.100000" "$TMPD/shm1.log"
check "chronyc-offset-applied" wait_long offset_is shm1 0.6
check "chronyc-selectopts-refclock" sh -c "'$B/chronyc' -h '$TMPD/shm1.sock' selectopts GPS +trust | grep -q '^200 OK'"
check "chronyc-selectopts-shown" shows shm1 '^\* GPS +N --T-- --T--' selectdata
sed -n 1,5p "$TMPD/shm1/refclocks.log" | sed 's/^/  /'
check "refclocks-log-banner" sh -c "sed -n 2p '$TMPD/shm1/refclocks.log' | grep -qx '   Date (UTC) Time         Refid  DP L P  Raw offset   Cooked offset      Disp.'"
check "refclocks-log-sample-row" grep -Eq \
    '^[0-9-]{10} [0-9:]{8}\.[0-9]{6} GPS     0 N 0  5\.000000e-01  5\.000000e-01  [0-9.]{5}e-[0-9]{2}$' \
    "$TMPD/shm1/refclocks.log"
check "refclocks-log-filtered-row" grep -Eq \
    '^[0-9-]{10} [0-9:]{8}\.[0-9]{6} GPS     - N -       -        5\.000000e-01  [0-9.]{5}e-[0-9]{2}$' \
    "$TMPD/shm1/refclocks.log"
stop_all

conf reload "refclock SHM 0 poll 0 refid GPS"
cp "$TMPD/saved.dat" "$TMPD/reload/refid:47505300.dat"
$IN $SAFE "$B/chronyd" -x -r -d -f "$TMPD/reload.conf" >"$TMPD/reload.log" 2>&1 &
PIDS="$PIDS $!"
check "dump-reloaded-with-r" wait_for grep -q "Loaded dump file for GPS$" "$TMPD/reload.log"
stop_all

# Debian's chronyd writes the same rows for the same segment (dates and the dispersion,
# the measured precision, masked).
rows() { sed -n 4,9p "$TMPD/$1/refclocks.log" | sed -E 's/^[^ ]+ [^ ]+ //; s/[0-9.]+e-[0-9]+$/D/'; }
if [ -x /usr/sbin/chronyd ]; then
    feed shm 0 1 0.5
    conf ours "refclock SHM 0 poll 0 refid GPS"
    start ours
    wait_long has_rows ours GPS 6
    stop_all
    feed shm 0 1 0.5
    conf debian "refclock SHM 0 poll 0 refid GPS"
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/debian.conf" >"$TMPD/debian.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_long has_rows debian GPS 6
    stop_all
    rows ours >"$TMPD/ours.rows"
    rows debian >"$TMPD/debian.rows"
    check "same-rows-as-debian" cmp -s "$TMPD/ours.rows" "$TMPD/debian.rows"
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi

# SHM mode 0, with the refclock's offset option added to the samples' 0.5 s, the segment
# read four times per poll (dpoll -1, poll 1: the DP column counts the reads).
feed shm 0 0 0.5
conf shm0 "refclock SHM 0 poll 1 dpoll -1 refid GPS0 offset 0.1"
start shm0
check "shm-mode0-selected" wait_long sel shm0 GPS0
wait_for has_rows shm0 GPS0 6
st=$(system_time shm0)
echo "  SHM mode 0, offset 0.1: system time $st"
check "shm-mode0-offset-option" near "$st" 0.6
check "shm-dpoll-reads-counted" grep -Eq ' GPS0 +[123] N 0 ' "$TMPD/shm0/refclocks.log"
check "shm-dpoll-one-filtered-per-poll" sh -c "[ \$(grep -c ' GPS0  *- ' '$TMPD/shm0/refclocks.log') -lt \$(grep -c ' GPS0  *[0-9] ' '$TMPD/shm0/refclocks.log') ]"
stop_all

# Under --softclock=0.3 the writer's system times are mapped to the daemon's clock: the
# samples say the system clock is 0.5 s slow, so the software clock is 0.2 s slow and
# makestep steps it forward by 0.2 s.
feed shm 0 1 0.5
conf soft "refclock SHM 0 poll 0 refid GPS" "makestep 0.1 3"
$IN $SAFE "$B/chronyd" --softclock=0.3 -d -f "$TMPD/soft.conf" >"$TMPD/soft.log" 2>&1 &
PIDS="$PIDS $!"
check "softclock-selected" wait_long sel soft GPS
check "softclock-stepped-by-difference" wait_for grep -q \
    "System clock was stepped by 0.200000 seconds" "$TMPD/soft.log"
stop_all

# chronyd -Q measures once from the refclock, as from a server.
feed shm 0 1 0.5
conf once "refclock SHM 0 poll 0 refid GPS"
check "quit-mode-measures-refclock" sh -c "timeout 60 $SAFE '$B/chronyd' -Q -f '$TMPD/once.conf' 2>&1 |
    grep -q 'System clock wrong by 0.500000 seconds (ignored)'"
stop_all

# (b) SOCK: the daemon creates the socket; samples say the clock is 0.25 s fast. A socket
# fed with a wrong magic number stays unreachable.
conf sock "refclock SOCK $TMPD/chrony.ttyT.sock poll 0 refid SOCK" \
    "refclock SOCK $TMPD/bad.sock poll 0 refid BADM"
start sock
feed sock "$TMPD/chrony.ttyT.sock" -0.25
feed sock "$TMPD/bad.sock" -0.25 badmagic
check "sock-selected" wait_long sel sock SOCK
wait_for has_rows sock SOCK 6
st=$(system_time sock)
echo "  SOCK: system time $st"
check "sock-offset-in-tracking" near "$st" -0.25
check "sock-bad-magic-unreachable" [ "$(reach sock BADM)" = 0 ]
stop_all
check "sock-socket-removed-at-exit" [ ! -e "$TMPD/chrony.ttyT.sock" ]

# Pulses: SOCK samples of a PPS writer (their place in the second only) take their whole
# seconds from the SHM refclock they are locked to (1.3 s), which is not selectable.
feed shm 0 1 1.3
conf pps "refclock SHM 0 poll 0 refid GPS noselect" \
    "refclock SOCK $TMPD/chrony.pps0.sock poll 2 refid PPS lock GPS" \
    "refclock SOCK $TMPD/x.sock poll 2 refid X lock NOPE noselect"
start pps
feed sock "$TMPD/chrony.pps0.sock" 1.3 pulse
check "pps-locked-selected" wait_long sel pps PPS
wait_for has_rows pps PPS 4
st=$(system_time pps)
echo "  PPS locked to SHM: system time $st"
check "pps-whole-seconds-from-lock" near "$st" 1.3
check "pps-pulse-rows" grep -Eq ' PPS +[0-9] N 1  1\.300000e\+00 ' "$TMPD/pps/refclocks.log"
check "invalid-lock-refid-warned" grep -q "Invalid lock refid NOPE" "$TMPD/pps.log"
stop_all

# Under the system call filter (-F 1) the refclocks run and the daemon ends cleanly
# (the segment detached, the socket removed).
conf filt "refclock SHM 0 poll 0 refid GPS" "refclock SOCK $TMPD/chrony.f.sock poll 0 refid F"
feed shm 0 1 0.5
$IN $SAFE "$B/chronyd" -x -d -F 1 -f "$TMPD/filt.conf" >"$TMPD/filt.log" 2>&1 &
fpid=$!
check "scfilter-selected" wait_long sel filt GPS
kill $fpid
wait $fpid
check "scfilter-clean-exit" test $? -eq 0
check "scfilter-socket-removed" test ! -e "$TMPD/chrony.f.sock"
stop_all

# Refused at start, naming the file and line; the daemon exits with an error.
refused() { # refused NAME MESSAGE LINE
    printf '%s\n' "$3" >"$TMPD/$1.conf"
    if timeout 20 $SAFE "$B/chronyd" -x -d -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1; then
        return 1
    fi
    grep -qF "$2" "$TMPD/$1.log"
}
# Drivers and their options are checked when the refclock is added at start, as chrony
# does: the message names no line (and chronyd -p accepts the line).
refused_exact() { # refused_exact NAME MESSAGE LINE: MESSAGE is a whole logged line
    refused "$1" "$2" "$3" &&
        sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z //' "$TMPD/$1.log" | grep -qxF "$2"
}
check "refused-rtc-option" refused_exact rrtc "Fatal error : Invalid refclock driver option local" \
    "refclock RTC /dev/x0:local"
check "refused-unknown-driver" refused_exact runk "Fatal error : unknown refclock driver FOO" \
    "refclock FOO 0"
check "refused-driver-option" refused_exact ropt \
    "Fatal error : Invalid refclock driver option perm=0644" "refclock SOCK $TMPD/x.sock:perm=0644"
check "refused-second-local" refused rloc "refclock option local may be given to one refclock only at line 2" \
    "refclock SHM 0 local
refclock SHM 1 local"
check "refused-bad-option" refused rbad "Invalid option in refclock directive at line 1" \
    "refclock SHM 0 foo"
check "refused-tai-without-leap-table" refused rtai \
    "refclock tai option requires leapseclist or leapsectz" "refclock SHM 0 tai"
check "refused-socket-not-opened" refused rsock "Could not open socket $TMPD/no/such/dir.sock" \
    "refclock SOCK $TMPD/no/such/dir.sock"

# (c) gpsd reads NMEA sentences of a GPS receiver (a TCP feed: gpsd does not hand time
# from a pseudo-terminal to NTP, it takes a pty for its test harness) and writes SHM 0.
# gpsd runs without CAP_SYS_TIME, only during this test, read-only (-b), in the
# foreground (-N), with its own control socket and port.
if command -v gpsd >/dev/null 2>&1; then
    GPORT=$((P1 + 29000))
    $IN python3 tests/system/nmea_pty.py --tcp $((P2 + 29000)) >"$TMPD/nmea.dev" &
    PIDS="$PIDS $!"
    wait_for test -s "$TMPD/nmea.dev"
    conf gps "refclock SHM 0 poll 1 refid NMEA"
    start gps
    wait_for test -S "$TMPD/gps.sock"
    $IN $SAFE gpsd -n -N -b -F "$TMPD/gpsd.sock" -S $GPORT "$(head -1 "$TMPD/nmea.dev")" \
        >"$TMPD/gpsd.log" 2>&1 &
    PIDS="$PIDS $!"
    # gpsd hands time to NTP after a few fixes: up to a minute on a busy machine.
    twice() { "$@" || "$@"; }
    check "gpsd-shm-selected" twice wait_long sel gps NMEA
    stop_all
else
    echo "SKIP gpsd not installed"
fi
