#!/bin/sh
# Serving accuracy under load (part of `make bench-server`): our chronyd (default,
# `serverbatch 1` and `serverworkers 2`) and Debian's chronyd, each on port 123 of a private network namespace's
# loopback while bench/ntpgen loads it at RATE requests/s (half our saturation), queried
# by NTPsec's ntpdig (4 samples) and by Debian's `chronyd -x -Q`. Server and clients
# read the same system clock, so the offsets they print are the measurement's error
# (goal: |offset| < 1 ms). Prints one line per server and client.
#   sh bench/accuracy.sh RATE      (B= the build directory, as bench/server.sh)
B=${B:-build}
RATE=${1:-10000}
SAFE="setpriv --bounding-set=-sys_time"
NS=chrbench$$
T=$(mktemp -d /tmp/chrony-acc.XXXXXX)
P=""
G=""
trap '[ -n "$P" ] && kill $P 2>/dev/null; [ -n "$G" ] && kill $G 2>/dev/null; ip netns del $NS 2>/dev/null; rm -rf "$T"' EXIT INT TERM
ip netns add $NS || { echo "accuracy: cannot create a network namespace, skipped"; exit 0; }
ip -n $NS link set lo up
IN="ip netns exec $NS"

conf() { # conf EXTRA
    printf 'allow\nlocal stratum 2\npidfile %s/s.pid\ncmdport 0\nbindcmdaddress /\n%s\n' "$T" "$1"
}
measure() { # measure NAME COMMAND...: start the server, load it, query it
    name=$1
    shift
    rm -f "$T/s.pid"
    $IN "$@" >"$T/$name.log" 2>&1 &
    P=$!
    i=0
    until $IN "$B/bench/ntpgen" -p 123 -r 200 -d 0.1 | grep -q 'replies=[1-9]'; do
        i=$((i + 1))
        [ $i -lt 50 ] || { echo "accuracy: $name did not answer"; return; }
    done
    $IN "$B/bench/ntpgen" -p 123 -r "$RATE" -d 25 >"$T/gen.out" &
    G=$!
    dig="-"
    if command -v ntpdig >/dev/null 2>&1; then
        dig=$($IN ntpdig -p 4 -t 2 127.0.0.1 2>&1 | tail -n 1 |
            awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[+-][0-9]+\.[0-9]+$/) { print $i; exit }}')
    fi
    q=$($IN $SAFE timeout 20 /usr/sbin/chronyd -x -Q -u root -f /dev/null \
        "server 127.0.0.1 iburst" "pidfile $T/q.pid" 2>&1 |
        sed -n 's/.*System clock wrong by \([-0-9.]*\) seconds.*/\1/p' | tail -n 1)
    kill $G 2>/dev/null
    wait $G 2>/dev/null
    G=""
    kill $P 2>/dev/null
    wait $P 2>/dev/null
    P=""
    awk -v n="$name" -v r="$RATE" -v d="$dig" -v q="$q" 'function us(x) {
            return x == "" || x == "-" ? "-" : sprintf("%+.1f us", x * 1e6) }
        function ok(x) { if (x == "" || x == "-") return "?"; if (x < 0) x = -x; return x < 0.001 ? "ok" : "OVER 1 ms" }
        BEGIN { printf "accuracy %-19s load %d/s: ntpdig offset %s (%s), chronyd -Q offset %s (%s)\n",
                       n, r, us(d), ok(d), us(q), ok(q) }'
}

conf "" >"$T/ours.conf"
conf "serverbatch 1" >"$T/ours1.conf"
conf "serverworkers 2" >"$T/ours2.conf"
measure ours $SAFE "$B/chronyd" -x -d -f "$T/ours.conf"
measure "ours serverbatch1" $SAFE "$B/chronyd" -x -d -f "$T/ours1.conf"
measure "ours serverworkers2" $SAFE "$B/chronyd" -x -d -f "$T/ours2.conf"
[ -x /usr/sbin/chronyd ] && measure "Debian chronyd" $SAFE /usr/sbin/chronyd -x -d -u root -f "$T/ours.conf"
exit 0
