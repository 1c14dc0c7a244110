#!/bin/sh
# tempcomp: the sensor file is read every interval and the correction logged in
# tempcomp.log; the same banner and rows as Debian's chronyd (which, like ours, runs -x).
. tests/system/lib.sh

pick_ports 18123
chmod 700 "$TMPD"
echo 25.0 >"$TMPD/sensor"

run() { # run WHO DAEMON...
    who=$1
    shift
    mkdir -p "$TMPD/$who"
    cat >"$TMPD/$who.conf" <<EOF2
tempcomp $TMPD/sensor 1 20 0.5 1 0.01
logdir $TMPD/$who
log tempcomp
cmdport 0
bindcmdaddress /
pidfile $TMPD/$who.pid
EOF2
    $IN $SAFE "$@" -x -d -f "$TMPD/$who.conf" >"$TMPD/$who.log" 2>&1 &
    pid=$!
    wait_for grep -q '2.5000e+01' "$TMPD/$who/tempcomp.log"
    kill $pid
    wait $pid 2>/dev/null
    # The banner and the columns after the date and time.
    sed 's/^[0-9-]* [0-9:]* //' "$TMPD/$who/tempcomp.log" | sort -u >"$TMPD/$who.rows"
}

run ours "$B/chronyd"
sed 's/^/  /' "$TMPD/ours.rows"
check "row-temperature-and-compensation" grep -q '^ *2.5000e+01  5.7500e+00$' "$TMPD/ours.rows"
if [ -x /usr/sbin/chronyd ]; then
    run debian /usr/sbin/chronyd -u root
    check "same-rows-as-debian" cmp -s "$TMPD/ours.rows" "$TMPD/debian.rows"
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi
