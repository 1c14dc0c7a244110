#!/bin/sh
# `manual` and chronyc settime / manual list / manual delete: a time typed 5 s ahead
# becomes the manual reference and the clock is corrected by it (tracking's system time;
# chrony leaves the reference unsynchronised); the samples are listed and deleted. Debian's chronyc drives ours and, when installed, Debian's chronyd
# -x the same way: the same answers and the same tracking.
. tests/system/lib.sh

pick_ports 17123
chmod 700 "$TMPD"
CHRONYC=$B/chronyc
[ -x /usr/bin/chronyc ] && CHRONYC=/usr/bin/chronyc

conf() { # conf NAME
    cat >"$TMPD/$1.conf" <<EOF2
manual
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
EOF2
}

run() { # run NAME DAEMON...
    who=$1
    shift
    conf "$who"
    $IN $SAFE "$@" -x -d -f "$TMPD/$who.conf" >"$TMPD/$who.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for $IN "$CHRONYC" -h "$TMPD/$who.sock" tracking
    # Five seconds ahead of the clock, as a date and time (no trouble at midnight).
    t=$(date -u -d "@$(($(date +%s) + 5))" "+%Y-%m-%d %H:%M:%S")
    $IN env TZ=UTC "$CHRONYC" -h "$TMPD/$who.sock" settime "$t" >"$TMPD/$who.settime" 2>&1
    $IN "$CHRONYC" -h "$TMPD/$who.sock" -n tracking >"$TMPD/$who.tracking" 2>&1
    $IN "$CHRONYC" -h "$TMPD/$who.sock" manual list >"$TMPD/$who.list" 2>&1
    $IN "$CHRONYC" -h "$TMPD/$who.sock" manual delete 0 >"$TMPD/$who.delete" 2>&1
    $IN "$CHRONYC" -h "$TMPD/$who.sock" manual delete 0 >"$TMPD/$who.delete2" 2>&1
    $IN "$CHRONYC" -h "$TMPD/$who.sock" manual off >/dev/null 2>&1
    $IN env TZ=UTC "$CHRONYC" -h "$TMPD/$who.sock" settime "$t" >"$TMPD/$who.off" 2>&1
    sed 's/^/  settime: /' "$TMPD/$who.settime"
    check "$who-settime-accepted" grep -q '^200 OK' "$TMPD/$who.settime"
    check "$who-settime-slow" grep -q 'Clock was -[1-5]\.[0-9]* seconds fast' "$TMPD/$who.settime"
    check "$who-tracking-corrected" grep -q '^System time     : [1-5]\.[0-9]* seconds slow of NTP time' "$TMPD/$who.tracking"
    check "$who-list-one-sample" sh -c "grep -c '^ 0 ' '$TMPD/$who.list' | grep -qx 1"
    check "$who-delete" grep -q '^200 OK' "$TMPD/$who.delete"
    check "$who-delete-again-bad-sample" grep -q '^516 Sample index out of range' "$TMPD/$who.delete2"
    check "$who-settime-not-enabled" grep -q '^505 Facility not enabled in daemon' "$TMPD/$who.off"
    stop_all
}

run ours "$B/chronyd"
if [ -x /usr/sbin/chronyd ]; then
    run debian /usr/sbin/chronyd -u root
    for f in delete delete2 off; do
        check "same-as-debian-$f" cmp -s "$TMPD/ours.$f" "$TMPD/debian.$f"
    done
    # The sample's line holds the times and offsets of each run.
    check "same-as-debian-list-header" sh -c "head -n 3 '$TMPD/ours.list' | cmp -s - '$TMPD/debian.list' 2>/dev/null || [ \"\$(head -n 3 '$TMPD/ours.list')\" = \"\$(head -n 3 '$TMPD/debian.list')\" ]"
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi
