#!/bin/sh
# smoothtime: a server whose clock is corrected by 0.5 s (our --softclock=0.5 syncing to a
# server at the system time) serves time that stays where it was (smoothed, reference ID
# 127.127.1.255) while its own clock is corrected; chronyc smoothing shows the offset
# within the limits; smoothtime reset serves the corrected time at once; a step resets
# it; leaponly does not smooth ordinary corrections; leapsecmode slew with leaponly smears
# a leap second (not announced, the served time goes on); without smoothtime both
# commands answer "505 Facility not enabled in daemon". Debian's chronyc prints our
# reports the same way, and Debian's chronyd (-x) gives the same report before
# activation.
. tests/system/lib.sh

pick_ports 17123
chmod 700 "$TMPD"

server_conf "$TMPD/s.conf" $P1
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"

smoother_conf() { # smoother_conf NAME SERVER-OPTIONS [EXTRA-LINE]
    cat >"$TMPD/$1.conf" <<EOF2
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0 $2
allow 127.0.0.1
port $P2
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
$3
EOF2
}
start() { # start NAME DAEMON...
    name=$1
    shift
    $IN $SAFE "$@" -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for test -S "$TMPD/$name.sock"
}
cc() { # cc NAME ARGS...: our chronyc
    n=$1
    shift
    $IN "$B/chronyc" -h "$TMPD/$n.sock" "$@" 2>&1
}
served() { $IN python3 tests/system/ntpoffset.py 127.0.0.1 $P2; }
# served_in MIN MAX [REFID]: the served time is MIN..MAX s off the system time, that refid
served_in() {
    served | awk -v lo="$1" -v hi="$2" -v id="${3:-any}" '{
        split($1, o, "="); split($2, r, "=")
        if (o[2] + 0 >= lo && o[2] + 0 <= hi && (r[2] == id || id == "any")) ok = 1 }
        END { exit !ok }'
}
# corrected NAME: the daemon's own clock has no correction left (tracking's System time)
corrected() {
    cc "$1" -c tracking | awk -F, '{ v = $5 < 0 ? -$5 : $5; if (v < 0.01) ok = 1 } END { exit !ok }'
}
# smoothing_ok NAME EXPR: chronyc -c smoothing as active,leaponly,offset,freq,wander,last,
# remaining, checked by an awk expression over a, l, o, f, w, u, r
smoothing_ok() {
    cc "$1" -c smoothing | awk -F, "{ a = \$1; l = \$2; o = \$3; f = \$4; w = \$5; u = \$6;
        r = \$7; if ($2) ok = 1 } END { exit !ok }"
}
# layout: digits replaced, to compare two clients' output of changing figures
layout() { sed -E 's/[0-9]+/N/g'; }

# 1. Activated before the first update: the correction of the clock is smoothed.
smoother_conf m offline "smoothtime 400 0.001"
start m "$B/chronyd" --softclock=0.5
cc m smoothing >"$TMPD/inactive.ours"
sed 's/^/  /' "$TMPD/inactive.ours"
check "inactive-before-first-update" grep -q '^Active         : No $' "$TMPD/inactive.ours"
check "inactive-nothing-smoothed" smoothing_ok m 'a == "No" && o == 0 && r == 0'
if [ -x /usr/bin/chronyc ]; then
    $IN /usr/bin/chronyc -h "$TMPD/m.sock" smoothing >"$TMPD/inactive.debc" 2>&1
    check "debian-chronyc-same-inactive-report" cmp -s "$TMPD/inactive.ours" "$TMPD/inactive.debc"
fi
check "activate" sh -c "$IN $B/chronyc -h $TMPD/m.sock smoothtime activate | grep -qx '200 OK'"
check "activated-logged" wait_for grep -q "Activated time smoothing$" "$TMPD/m.log"
cc m online >/dev/null
check "smoothed-offset-accumulated" wait_long smoothing_ok m 'a == "Yes" && o > 0.45 && o < 0.55'
check "own-clock-corrected" wait_long corrected m
echo "  served: $(served)"
cc m smoothing | sed 's/^/  /'
check "served-time-stays-ahead" served_in 0.45 0.55 7F7F01FF
check "upstream-at-system-time" sh -c "$IN python3 tests/system/ntpoffset.py 127.0.0.1 $P1 |
    awk '{ split(\$1, o, \"=\"); if (o[2] > -0.05 && o[2] < 0.05) ok = 1 } END { exit !ok }'"
# Within the limits: 400 ppm, 0.001 ppm/s; the curve takes hours.
check "smoothing-within-limits" smoothing_ok m \
    'a == "Yes" && l == "" && f <= 400 && f >= -400 && (w == 0 || w == 0.001 || w == -0.001) && r > 3600 && u >= 0'
if [ -x /usr/bin/chronyc ]; then
    cc m smoothing | layout >"$TMPD/active.ours"
    $IN /usr/bin/chronyc -h "$TMPD/m.sock" smoothing | layout >"$TMPD/active.debc"
    check "debian-chronyc-same-active-layout" cmp -s "$TMPD/active.ours" "$TMPD/active.debc"
    cc m -c smoothing | layout >"$TMPD/csv.ours"
    $IN /usr/bin/chronyc -h "$TMPD/m.sock" -c smoothing | layout >"$TMPD/csv.debc"
    check "debian-chronyc-same-csv-layout" cmp -s "$TMPD/csv.ours" "$TMPD/csv.debc"
else
    echo "SKIP /usr/bin/chronyc not installed"
fi
check "reset" sh -c "$IN $B/chronyc -h $TMPD/m.sock smoothtime reset | grep -qx '200 OK'"
check "reset-logged" grep -q "Reset time smoothing" "$TMPD/m.log"
# (the daemon polls every second: corrections made since the reset accumulate again)
check "reset-zeroes" smoothing_ok m 'a == "Yes" && o > -0.01 && o < 0.01'
echo "  served after reset: $(served)"
# (the corrections made after the reset are smoothed again: the reference ID may say so)
check "served-time-corrected-after-reset" served_in -0.05 0.05
check "bad-option" sh -c "$IN $B/chronyc -h $TMPD/m.sock smoothtime foo 2>&1 |
    grep -q 'Invalid syntax for smoothtime command'"
stop_all
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >>"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"

# 2. A step of the clock resets smoothing.
smoother_conf step offline "smoothtime 400 0.001
makestep 0.1 -1"
start step "$B/chronyd" --softclock=0.5
cc step smoothtime activate >/dev/null
cc step online >/dev/null
check "step-resets" wait_long grep -q "Reset time smoothing" "$TMPD/step.log"
check "step-stepped" grep -q "System clock was stepped by" "$TMPD/step.log"
check "step-served-corrected" wait_long served_in -0.05 0.05
stop_all
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >>"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"

# 3. leaponly: activated by the first correction, ordinary corrections not smoothed.
smoother_conf lo "" "smoothtime 400 0.001 leaponly"
start lo "$B/chronyd" --softclock=0.5
check "leaponly-activated" wait_long grep -q "Activated time smoothing (leap seconds only)" \
    "$TMPD/lo.log"
check "leaponly-corrected" wait_long corrected lo
cc lo smoothing | sed 's/^/  /'
check "leaponly-report" sh -c "$IN $B/chronyc -h $TMPD/lo.sock smoothing |
    grep -q '^Active         : Yes (leap second only)$'"
check "leaponly-nothing-smoothed" smoothing_ok lo 'a == "Yes" && o == 0 && r == 0'
check "leaponly-served-corrected" served_in -0.05 0.05 7F000001
stop_all

# 4. Without smoothtime.
smoother_conf off offline ""
start off "$B/chronyd" -x
check "disabled-smoothing" sh -c "$IN $B/chronyc -h $TMPD/off.sock smoothing | grep -qx '505 Facility not enabled in daemon'"
check "disabled-smoothtime" sh -c "$IN $B/chronyc -h $TMPD/off.sock smoothtime reset |
    grep -qx '505 Facility not enabled in daemon'"
stop_all

# 5. Leap smear (leapsecmode slew + smoothtime leaponly): both daemons' clocks 60 s before
# the leap second of 2016-12-31 (--softclock); the smoother learns of it from its leap
# second list, does not announce it to its clients, and when it slews its clock back by
# the inserted second the served time goes on (smoothing offset +1 s), level with the
# upstream server, which knows no leap second.
printf '2272060800 10\n3439756800 34\n3550089600 35\n3644697600 36\n3692217600 37\n#@ 4200000000\n' \
    >"$TMPD/leap.list"
X=$(python3 -c 'import time; print("%.3f" % (1483228800 - 60 - time.time()))')
$IN $SAFE "$B/chronyd" --softclock="$X" -d -f "$TMPD/s.conf" >>"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
smoother_conf smear "" "leapseclist $TMPD/leap.list
leapsecmode slew
smoothtime 400 0.001 leaponly"
start smear "$B/chronyd" --softclock="$X"
leap_pending() { cc smear tracking | grep -q '^Leap status     : Insert second$'; }
check "smear-leap-pending" wait_long leap_pending
echo "  served before the leap: $(served)"
check "smear-leap-not-announced" sh -c "$IN python3 tests/system/ntpoffset.py 127.0.0.1 $P2 |
    grep -q ' leap=0 '"
# No sample after the leap: the upstream server knows no leap second and would pull the
# clock back (chrony: polls far apart from now on).
cc smear minpoll 127.0.0.1 12 >/dev/null
cc smear maxpoll 127.0.0.1 12 >/dev/null
check "smear-leap-slewed" retry 120 0.5 grep -q "Adjusting system clock for leap second" \
    "$TMPD/smear.log"
cc smear smoothing | sed 's/^/  /'
check "smear-offset-one-second" smoothing_ok smear \
    'a == "Yes" && l == "(leap second only)" && o > 0.99 && o < 1.01'
check "smear-clock-slewed-back" wait_long corrected smear
# served time of the smoother minus the upstream's (both ask the system clock)
gap() {
    a=$($IN python3 tests/system/ntpoffset.py 127.0.0.1 $P2 | sed -n 's/^offset=\([^ ]*\) .*/\1/p')
    b=$($IN python3 tests/system/ntpoffset.py 127.0.0.1 $P1 | sed -n 's/^offset=\([^ ]*\) .*/\1/p')
    echo "$a $b" | awk '{ d = $1 - $2; if (d > -0.05 && d < 0.05) ok = 1 } END { exit !ok }'
}
echo "  served after the leap: $(served)"
check "smear-served-time-level-with-upstream" gap
stop_all

# 6. Debian's chronyd (-x) reports the same before activation.
if [ -x /usr/sbin/chronyd ]; then
    smoother_conf deb offline "smoothtime 400 0.001"
    start deb /usr/sbin/chronyd -u root -x
    cc deb smoothing >"$TMPD/inactive.deb"
    check "same-inactive-report-as-debian" cmp -s "$TMPD/inactive.ours" "$TMPD/inactive.deb"
    cc deb smoothtime reset >"$TMPD/reset.deb"
    check "debian-reset-ok" grep -qx '200 OK' "$TMPD/reset.deb"
    stop_all
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi
