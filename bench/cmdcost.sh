#!/bin/bash
# The daemon's CPU per chronyc command, several daemons side by side: each runs with N
# `server 10.x.y.z offline` sources in its own network namespace (loopback only, -x, no
# CAP_SYS_TIME), pinned to CPU DCPU; chronyc runs pinned to CCPU (the same CPU or the other:
# a request costs about 3x more when they are on two CPUs, doc/PERFORMANCE.md "request
# transport"). The commands go to the daemons in turn, REPS times, so that the machine's
# load reaches all alike; printed: the daemon's run time per command (/proc/PID/schedstat),
# minimum, median and maximum in ms.
#   bench/cmdcost.sh NAME=CHRONYD... (Debian's: NAME=/usr/sbin/chronyd)
#   N=10000 REPS=9 DCPU=1 CCPU=1 CHRONYC=build/chronyc CMDS="-n sources|-N -n sources"
N=${N:-10000}
REPS=${REPS:-9}
DCPU=${DCPU:-1}
CCPU=${CCPU:-1}
CHRONYC=${CHRONYC:-build/chronyc}
CMDS=${CMDS:--n sources|-N -n sources|-n ntpdata}
NAMES=()
declare -A PID DIR

start() { # start NAME BINARY
    local d ns=cmdcost$$$1 i=0
    d=$(mktemp -d /tmp/chrony-bench-cmdcost.XXXXXX)
    chmod 700 "$d"
    while [ $i -lt "$N" ]; do
        echo "server 10.$((1 + i / 65536)).$((i / 256 % 256)).$((i % 256)) offline"
        i=$((i + 1))
    done >"$d/c.conf"
    printf 'port 0\ncmdport 0\nbindcmdaddress %s/c.sock\npidfile %s/c.pid\n' "$d" "$d" >>"$d/c.conf"
    ip netns add "$ns" && ip netns exec "$ns" ip link set lo up || exit 1
    # Debian's chronyd drops its privileges to _chrony unless told otherwise.
    ip netns exec "$ns" taskset -c "$DCPU" setpriv --bounding-set=-sys_time "$2" -x -d -u root \
        -f "$d/c.conf" >"$d/log" 2>&1 &
    PID[$1]=$!
    DIR[$1]=$d
    until ip netns exec "$ns" "$CHRONYC" -h "$d/c.sock" -n activity 2>/dev/null | grep -q sources; do
        sleep 0.2
    done
}

stop() {
    for n in "${NAMES[@]}"; do
        kill "${PID[$n]}" 2>/dev/null
        wait "${PID[$n]}" 2>/dev/null
        ip netns del "cmdcost$$$n"
        rm -rf "${DIR[$n]}"
    done
}
trap stop EXIT

for a in "$@"; do
    NAMES+=("${a%%=*}")
    start "${a%%=*}" "${a#*=}"
done
echo "== $N offline sources, daemons on CPU $DCPU, chronyc on CPU $CCPU, $REPS runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
IFS='|' read -r -a cmds <<<"$CMDS"
for c in "${cmds[@]}"; do
    declare -A T=()
    for ((k = 0; k < REPS; k++)); do
        for n in "${NAMES[@]}"; do
            a=$(awk '{print $1}' "/proc/${PID[$n]}/schedstat")
            # shellcheck disable=SC2086
            ip netns exec "cmdcost$$$n" taskset -c "$CCPU" "$CHRONYC" -h "${DIR[$n]}/c.sock" $c >/dev/null
            b=$(awk '{print $1}' "/proc/${PID[$n]}/schedstat")
            T[$n]="${T[$n]} $(((b - a) / 100000))"
        done
    done
    for n in "${NAMES[@]}"; do
        echo "${T[$n]}" | tr ' ' '\n' | grep . | sort -n |
            awk -v n="$n" -v c="$c" '{ a[NR] = $1 / 10 }
                END { printf "chronyc %-14s %-8s min %6.1f  median %6.1f  max %6.1f ms\n", c, n, a[1], a[int((NR + 1) / 2)], a[NR] }'
    done
done
