#!/bin/sh
# Offline demo of a small deployment, all on loopback and never touching this machine's
# clock:
#
#   time server 127.0.0.1  `local stratum 2`                                   stratum 2
#   node1       127.0.0.2  `server 127.0.0.1`, `allow`, `local stratum 10`  -> stratum 3
#   node2       127.0.0.3  `server 127.0.0.2`                               -> stratum 4
#
# Each chronyd runs its own software clock (--softclock=OFFSET, started a fraction of a
# second away from the system clock, differently for each) without CAP_SYS_TIME in its
# bounding set. The demo waits (polling chronyc, with a bound) until node1 is at stratum 3
# and node2 at stratum 4 with its source selected, printing `chronyc sources -v` and
# `chronyc tracking` of each, then takes node1's upstream offline (`chronyc offline`):
# node1 falls back to its `local stratum 10` and node2 follows at stratum 11. It stops
# its daemons and removes its files at the end (or on Ctrl-C).
#
# A node that loses its sources keeps its last stratum while its root distance grows
# (slowly) up to the `local` threshold, as chrony does; node1's `local` therefore has
# `distance 0 waitsynced 5`: the local reference takes over 5 s after the last update of
# the clock (chrony 4.8's option, meant for this).
#
# Environment: B (binaries, default build), DEMO_TIMEOUT (seconds the whole demo may
# take, default 110), DEMO_NETNS=no (use the host's loopback even as root). Exit status
# 0 when every step was seen.
set -u
B=${B:-build}
LIMIT=${DEMO_TIMEOUT:-110}
START=$(date +%s)
T=""
NS=""
IN=""
PIDS=""

cleanup() {
    trap - EXIT INT TERM
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    # Give the daemons a bounded time to exit cleanly, then insist.
    i=0
    while [ $i -lt 50 ]; do
        alive=""
        for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
        [ -z "$alive" ] && break
        sleep 0.1
        i=$((i + 1))
    done
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
    [ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$B/chronyd" ] || [ ! -x "$B/chronyc" ]; then
    echo "demo: $B/chronyd and $B/chronyc are needed: run make first" >&2
    exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/chrony-demo.XXXXXX") || exit 1

# A private network namespace when we may create one (port 123 is then ours and nothing
# leaves it); otherwise the host's loopback addresses with an unprivileged port.
if [ "$(id -u)" = 0 ] && [ "${DEMO_NETNS:-yes}" != no ] && ip netns add "chrdemo$$" 2>/dev/null; then
    NS=chrdemo$$
    if ip netns exec "$NS" ip link set lo up 2>/dev/null; then
        IN="ip netns exec $NS"
        PORT=123
    else
        ip netns del "$NS"
        NS=""
    fi
fi
[ -n "$NS" ] || PORT=$((20000 + $$ % 20000))
SAFE=""
if [ "$(id -u)" = 0 ]; then
    SAFE="setpriv --bounding-set=-sys_time"
fi

say() { printf '\n=== %s\n' "$*"; }
elapsed() { echo $(($(date +%s) - START)); }

# start NAME ADDRESS SOFTCLOCK-OFFSET: chronyd with $T/NAME.conf, its log in $T/NAME.log
start() {
    $IN $SAFE "$B/chronyd" --softclock="$3" -d -f "$T/$1.conf" >"$T/$1.log" 2>&1 &
    PIDS="$PIDS $!"
    echo "started $1 on $2 (pid $!): chronyd --softclock=$3 -d -f $T/$1.conf"
    eval "PID_$1=\$!"
}

# Common lines: own command socket, pidfile, no state files.
common() { # common NAME
    cat <<EOF
port $PORT
cmdport 0
bindcmdaddress $T/$1.sock
pidfile $T/$1.pid
EOF
}

cc() { # cc NAME ARGS...: chronyc on NAME's command socket
    n=$1
    shift
    $IN "$B/chronyc" -h "$T/$n.sock" "$@" 2>&1
}

stratum() { # stratum NAME: the stratum in NAME's tracking report
    cc "$1" tracking | sed -n 's/^Stratum *: *//p'
}

selected() { # selected NAME: NAME has selected a source (^*)
    cc "$1" -n sources | grep -q '^\^\*'
}

show() { # show NAME...: sources -v and tracking of each
    for n in "$@"; do
        echo "--- $n: chronyc sources -v"
        cc "$n" sources -v
        echo "--- $n: chronyc tracking"
        cc "$n" tracking
    done
}

steady() { # steady NAME: NAME's selected source answered the last 8 polls (reach 377)
    cc "$1" -n sources | awk '$1 == "^*" && $5 == "377" { ok = 1 } END { exit !ok }'
}

settled() { # settled NAME: NAME's root dispersion is below 10 ms (its estimates agree)
    cc "$1" tracking | awk '/^Root dispersion/ { ok = $4 < 0.01 } END { exit !ok }'
}

# wait_until NAME WHAT COMMAND...: poll COMMAND until it succeeds, within the demo's time
# limit; then print "NAME: WHAT after N s". On time-out, show NAME's state and log and
# fail.
wait_until() {
    n=$1
    what=$2
    shift 2
    while ! "$@"; do
        eval "p=\$PID_$n"
        if ! kill -0 "$p" 2>/dev/null; then
            echo "demo: $n exited; its log:"
            cat "$T/$n.log"
            exit 1
        fi
        if [ "$(elapsed)" -ge "$LIMIT" ]; then
            echo "demo: $n: not $what within $LIMIT s (stratum now: $(stratum "$n"))"
            show "$n"
            echo "--- $n: log"
            cat "$T/$n.log"
            exit 1
        fi
        sleep 0.5
    done
    echo "$n: $what after $(elapsed) s"
}

at_stratum() { # at_stratum NAME STRATUM [selected]
    [ "$(stratum "$1")" = "$2" ] && { [ -z "${3:-}" ] || selected "$1"; }
}

say "configuration (files in $T${NS:+, network namespace $NS}, NTP port $PORT)"
{
    echo "# time server: serves its own clock at stratum 2"
    echo "local stratum 2"
    echo "bindaddress 127.0.0.1"
    echo "allow 127.0.0.0/8"
    common server
} >"$T/server.conf"
{
    echo "# node1: client of the time server, serves the others; stratum 10 on its own"
    echo "server 127.0.0.1 port $PORT iburst minpoll 0 maxpoll 0"
    echo "bindaddress 127.0.0.2"
    echo "bindacqaddress 127.0.0.2"
    echo "makestep 0.1 3"
    echo "allow"
    echo "local stratum 10 distance 0 waitsynced 5"
    common node1
} >"$T/node1.conf"
{
    echo "# node2: client of node1"
    echo "server 127.0.0.2 port $PORT iburst minpoll 0 maxpoll 0"
    echo "bindaddress 127.0.0.3"
    echo "bindacqaddress 127.0.0.3"
    echo "makestep 0.1 3"
    common node2
} >"$T/node2.conf"
for n in server node1 node2; do
    echo "--- $T/$n.conf"
    cat "$T/$n.conf"
done

say "starting three chronyd, each with its own software clock (${SAFE:-not root: no setpriv})"
start server 127.0.0.1 0.3
start node1 127.0.0.2 -0.25
start node2 127.0.0.3 0.4

say "waiting for the time server at stratum 2"
wait_until server "stratum 2" at_stratum server 2
show server

say "waiting for node1 to synchronise to the time server: stratum 3"
wait_until node1 "stratum 3, source selected" at_stratum node1 3 selected
show node1

say "waiting for node2 to synchronise to node1: stratum 4"
wait_until node2 "stratum 4, source selected" at_stratum node2 4 selected
show node1 node2

say "letting them converge: 8 good polls in a row (reach 377), root dispersion below 10 ms"
wait_until node1 "reach 377" steady node1
wait_until node2 "reach 377" steady node2
wait_until node1 "root dispersion < 10 ms" settled node1
wait_until node2 "root dispersion < 10 ms" settled node2
wait_until node2 "still stratum 4" at_stratum node2 4 selected
show node1 node2

say "the daemons' capabilities (CAP_SYS_TIME is bit 25)"
for p in $PIDS; do
    bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
    eff=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
    if [ -z "$bnd" ] || [ -z "$eff" ]; then
        echo "pid $p: not running"
        exit 1
    fi
    what="pid $p ($(cat "/proc/$p/comm")): CapBnd $bnd"
    if [ $((0x$bnd >> 25 & 1)) = 0 ]; then
        echo "$what, no CAP_SYS_TIME"
    elif [ $((0x$eff >> 25 & 1)) = 0 ]; then
        echo "$what, CapEff $eff: CAP_SYS_TIME not effective"
    else
        echo "$what, with CAP_SYS_TIME (the software clock is used all the same)"
    fi
done

say "node1 serves node2 (chronyc clients on node1)"
cc node1 -n clients

say "cutting node1's upstream: chronyc offline 127.0.0.1 on node1"
cc node1 offline 127.0.0.1
echo "node1 keeps stratum 3 for 5 s (waitsynced), then serves its local stratum 10"
wait_until node1 "stratum 10 (local reference)" at_stratum node1 10
wait_until node2 "stratum 11, source selected" at_stratum node2 11 selected
show node1 node2

say "what the daemons logged"
for n in server node1 node2; do
    sed "s/^/$n: /" "$T/$n.log"
done

say "done in $(elapsed) s: strata 2/3/4, then 10/11 with node1 on its local reference"
say "stopping the daemons, removing $T"
exit 0
