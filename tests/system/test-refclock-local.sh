#!/bin/sh
# refclock ... local: a SOCK refclock marked `local` (a stable oscillator used as a local
# standard). A writer in the test sends samples whose offset is constant for 20 s, then
# grows by 20 ppm. Our daemon (-x) shows the refclock as chrony does: `#?` in sources,
# `s` (unsynchronised, left out of selection) in selectdata, its samples as pulses with
# leap `?` in refclocks.log, tracking unsynchronised with reference ID 0; and the clock
# follows the oscillator: the tracking frequency moves by the writer's 20 ppm, as with
# Debian's chronyd. After a gap in the samples the local mode restarts with chrony's
# warning. A second `local` refclock is refused with the file and line.
. tests/system/lib.sh

pick_ports 18190
chmod 700 "$TMPD"
FEED="python3 tests/system/refclock_feed.py"

cat >"$TMPD/l.conf" <<EOF
refclock SOCK $TMPD/chrony.loc.sock local poll 0 refid OCXO
logdir $TMPD/l
log refclocks tracking
cmdport 0
bindcmdaddress $TMPD/l.sock
pidfile $TMPD/l.pid
EOF
mkdir -p "$TMPD/l"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/l.conf" >"$TMPD/l.log" 2>&1 &
PIDS="$PIDS $!"
python3 tests/system/refclock_feed.py sock "$TMPD/chrony.loc.sock" 0.3 drift &
PIDS="$PIDS $!"

cc() { $IN "$B/chronyc" -h "$TMPD/l.sock" -n "$@" 2>/dev/null; }
# freq: the tracking frequency in ppm, positive = the clock runs fast without correction
freq() { cc tracking | awk '/^Frequency/ {print ($4 == "fast") ? $3 : -$3}'; }
freq_moved() { # 15..25 ppm away from 0, either way
    f=$(freq)
    [ -n "$f" ] && awk -v f="$f" 'BEGIN {a = f < 0 ? -f : f; exit !(a > 15 && a < 25)}'
}
rows() { [ "$(grep -c " OCXO " "$TMPD/l/refclocks.log" 2>/dev/null)" -ge "$1" ]; }
listed() { cc sources | grep -q '^#? OCXO '; }
unsync_sel() { cc selectdata | grep -q "^s OCXO "; }

check "local-sources-line" wait_long listed
check "local-selectdata-unsynchronised" wait_for unsync_sel
check "local-refclocks-log-rows" wait_long rows 20
# Raw rows of a local refclock are pulses (column 5 = 1) with leap "?" (unsynchronised).
check "local-refclocks-log-pulse" grep -q ' OCXO .* ? 1 ' "$TMPD/l/refclocks.log"
check "local-tracking-unsynchronised" sh -c "$IN $B/chronyc -h $TMPD/l.sock -n tracking |
    grep -q '^Reference ID    : 00000000 ()' &&
    $IN $B/chronyc -h $TMPD/l.sock -n tracking | grep -q '^Leap status     : Not synchronised'"
# The writer's frequency change reaches the clock (20 s of constant offset, then the
# regression follows the new slope): wait up to 90 s.
check "local-frequency-followed" retry 180 0.5 freq_moved
echo "  tracking frequency: $(freq) ppm"
check "local-never-selected" sh -c "! grep -q 'Selected source OCXO' $TMPD/l.log"
check "local-no-lost-lock" sh -c "! grep -q 'lost lock' $TMPD/l.log"

# Stopping the writer for longer than maxlockage (3 pulses) and starting it again
# restarts the local mode with chrony's warning.
kill $(echo "$PIDS" | awk '{print $NF}') 2>/dev/null
sleep 5
python3 tests/system/refclock_feed.py sock "$TMPD/chrony.loc.sock" 0.3 &
PIDS="$PIDS $!"
check "local-lost-lock-warning" wait_for grep -q 'Local refclock lost lock' "$TMPD/l.log"
stop_all

# The same with Debian's chronyd 4.3 (which has the option): the same sources and
# selectdata lines, and its frequency follows the writer the same way.
if [ -x /usr/sbin/chronyd ]; then
    sed -e "s|$TMPD/l|$TMPD/d|g" -e "s|chrony.loc.sock|chrony.deb.sock|" "$TMPD/l.conf" \
        >"$TMPD/d.conf"
    mkdir -p "$TMPD/d"
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/d.conf" >"$TMPD/d.log" 2>&1 &
    PIDS="$PIDS $!"
    python3 tests/system/refclock_feed.py sock "$TMPD/chrony.deb.sock" 0.3 drift &
    PIDS="$PIDS $!"
    cc() { $IN "$B/chronyc" -h "$TMPD/d.sock" -n "$@" 2>/dev/null; }
    check "debian-local-sources-line" wait_long listed
    check "debian-local-selectdata-unsynchronised" wait_for unsync_sel
    check "debian-local-frequency-followed" retry 180 0.5 freq_moved
    echo "  Debian's tracking frequency: $(freq) ppm"
    stop_all
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi

# At most one local refclock.
cat >"$TMPD/two.conf" <<EOF
refclock SOCK $TMPD/a.sock local
refclock SOCK $TMPD/b.sock local
EOF
out=$($SAFE "$B/chronyd" -x -p -f "$TMPD/two.conf" 2>&1)
echo "  two local: $out"
check "local-second-refused" sh -c "echo '$out' | grep -q 'refclock option local may be given to one refclock only.*at line 2'"
exit 0
