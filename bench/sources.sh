#!/bin/sh
# Many sources: our chronyd and Debian's chronyd 4.3 (if installed) with N sources in a
# private network namespace (loopback only, -x, no CAP_SYS_TIME), the same
# configuration. Prints each daemon's CPU over SECS s once its command socket answers,
# the start-up time (until the command socket answers), and the wall time of chronyc
# sources / sourcestats / -c sources / sources with names / -N sources / ntpdata.
#   B=build N=10000 MODE=offline SECS=60 sh bench/sources.sh   (DEBIAN=0: ours only)
# MODE offline: `server 10.x.y.z offline` (no traffic); MODE unserved: `server 127.1.x.y`,
# addresses nobody serves on the namespace's loopback (requests get ICMP errors).
# PIN=same: the daemon and chronyc both on CPU 0; PIN=split: the daemon on CPU 0, chronyc
# on CPU 1. Unset, the scheduler places them, and a command's cost depends mostly on where
# (see doc/PERFORMANCE.md, "request transport"). The CPU is given in ticks (utime + stime)
# and in ms (the scheduler's run time, /proc/PID/schedstat).
B=${B:-build}
N=${N:-10000}
MODE=${MODE:-offline}
SECS=${SECS:-60}
TMO=${TMO:-600}
CHRONYC="$B/chronyc"
HZ=$(getconf CLK_TCK)
case "${PIN:-}" in
same) DPIN="taskset -c 0" CPIN="taskset -c 0" ;;
split) DPIN="taskset -c 0" CPIN="taskset -c 1" ;;
*) DPIN="" CPIN="" ;;
esac

gen() { # gen DIR
    i=0
    while [ $i -lt "$N" ]; do
        if [ "$MODE" = offline ]; then
            echo "server 10.$((1 + i / 65536)).$((i / 256 % 256)).$((i % 256)) offline"
        else
            echo "server 127.1.$((i / 250)).$((i % 250 + 1))"
        fi
        i=$((i + 1))
    done
    echo "port 0"
    echo "cmdport 0"
    echo "bindcmdaddress $1/c.sock"
    echo "pidfile $1/c.pid"
}

run() { # run NAME BINARY EXTRA-ARGS
    D=$(mktemp -d /tmp/chrony-bench-sources.XXXXXX)
    chmod 700 "$D"
    gen "$D" >"$D/c.conf"
    NS=benchsrc$$
    ip netns add $NS && ip netns exec $NS ip link set lo up || exit 1
    IN="ip netns exec $NS"
    $IN $DPIN setpriv --bounding-set=-sys_time "$2" -x -d $3 -f "$D/c.conf" >"$D/log" 2>&1 &
    pid=$!
    t0=$(date +%s.%N)
    until $IN "$CHRONYC" -h "$D/c.sock" -n activity 2>/dev/null | grep -q "sources"; do
        sleep 0.2
    done
    t1=$(date +%s.%N)
    echo "$1: start-up until the command socket answers: $(echo "$t1 - $t0" | bc) s, daemon CPU $(awk '{print $14 + $15}' /proc/$pid/stat) ticks"
    sleep 5
    a=$(awk '{print $14 + $15}' /proc/$pid/stat)
    sleep "$SECS"
    b=$(awk '{print $14 + $15}' /proc/$pid/stat)
    echo "$1: CPU over $SECS s: $((b - a)) ticks ($(echo "scale=2; ($b - $a) * 100 / ($SECS * $HZ)" | bc) %)"
    for args in "-n sources" "-n sourcestats" "-c -n sources" "sources" "-N -n sources" "-n ntpdata"; do
        a=$(awk '{print $14 + $15}' /proc/$pid/stat)
        ra=$(awk '{print $1}' /proc/$pid/schedstat)
        t0=$(date +%s.%N)
        lines=$($IN $CPIN timeout "$TMO" "$CHRONYC" -h "$D/c.sock" $args 2>/dev/null | wc -l)
        t1=$(date +%s.%N)
        b=$(awk '{print $14 + $15}' /proc/$pid/stat)
        rb=$(awk '{print $1}' /proc/$pid/schedstat)
        echo "$1: chronyc $args: $lines lines in $(echo "$t1 - $t0" | bc) s, daemon CPU $((b - a)) ticks ($(((rb - ra) / 1000000)) ms)"
    done
    kill $pid
    wait $pid 2>/dev/null
    ip netns del $NS
    rm -rf "$D"
}

echo "== $N sources ($MODE${PIN:+, PIN=$PIN})"
run ours "$B/chronyd" ""
if [ "${DEBIAN:-1}" = 1 ] && [ -x /usr/sbin/chronyd ]; then
    run debian /usr/sbin/chronyd "-u root"
fi
