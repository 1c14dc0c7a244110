#!/bin/sh
# `make bench-clientlog`: the server's memory with 1 and 1 000 000 distinct client
# addresses (doc/PERFORMANCE.md). For each clientloglimit (the default 524288 bytes:
# 4096 records; 134217728: 1 048 576 records, room for every client) and each client
# count, a fresh daemon (our chronyd, and Debian's chronyd 4.3 when installed; both -x,
# without CAP_SYS_TIME, the same configuration) receives one request from each of N
# distinct loopback addresses (bench/ntpflood -k 1, at RATE requests/s), and the row
# gives its RSS before, its peak RSS (VmHWM) after, the growth, the table's bound
# (records x 80 bytes, ours) and the records replaced (serverstats, ours). With XLEAVE=1
# the requests ask for interleaved mode, and the server also keeps one timestamp per
# reply (ours: up to one per record, 32 bytes; the bound column adds them).
B=${B:-build}
RATE=${RATE:-50000}
LIMITS=${LIMITS:-"524288 134217728"}
COUNTS=${COUNTS:-"1 1000000"}
XLEAVE=${XLEAVE:-} # 1: requests as in interleaved mode (the server keeps a timestamp each)
set -e
CFLAGS="-O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE"
mkdir -p "$B/bench"
cc $CFLAGS -o "$B/bench/ntpflood" bench/ntpflood.c
SAFE="setpriv --bounding-set=-sys_time"
T=$(mktemp -d /tmp/chrony-clmem.XXXXXX)
P=""
trap '[ -n "$P" ] && kill $P 2>/dev/null; rm -rf "$T"' EXIT INT TERM

PORT=$((20000 + $$ % 20000))
while ss -Hlun "sport = :$PORT" 2>/dev/null | grep -q .; do PORT=$((PORT + 1)); done

NAMES="ours debian"
[ -x /usr/sbin/chronyd ] || NAMES="ours"

kb() { awk "/^$2:/ {print \$2}" /proc/$1/status; }

printf '%-7s %10s %8s %10s %10s %10s %10s %10s\n' server limit clients rss_kB peak_kB \
    growth_kB bound_kB replaced
for limit in $LIMITS; do
    slots=$((limit / 1920))
    s=1
    while [ $((s * 2)) -le "$slots" ] && [ $((s * 2)) -le 1048576 ]; do s=$((s * 2)); done
    per=80
    [ -n "$XLEAVE" ] && per=112
    bound_kb=$((s * 16 * per / 1024))
    for n in $COUNTS; do
        for name in $NAMES; do
            cat >"$T/chrony.conf" <<CONF
allow
local stratum 2
port $PORT
pidfile $T/chronyd.pid
cmdport 0
bindcmdaddress $T/chronyd.sock
clientloglimit $limit
CONF
            case $name in
            ours) $SAFE "$B/chronyd" -x -d -f "$T/chrony.conf" >"$T/log" 2>&1 & ;;
            debian) $SAFE /usr/sbin/chronyd -x -d -u root -f "$T/chrony.conf" >"$T/log" 2>&1 & ;;
            esac
            P=$!
            # ready when a request (from the first flood address) is answered
            i=0
            until "$B/bench/ntpflood" -p $PORT -n 1 -r 10 -d 0.2 | grep -q 'replies=[1-9]'; do
                i=$((i + 1))
                [ $i -lt 50 ] || { echo "$name did not answer" >&2; exit 1; }
            done
            base=$(kb $P VmRSS)
            secs=$((n / RATE + 2))
            "$B/bench/ntpflood" -p $PORT -n "$n" -k 1 -r "$RATE" -d $secs ${XLEAVE:+-x} >"$T/flood"
            peak=$(kb $P VmHWM)
            replaced=-
            if [ $name = ours ]; then
                replaced=$("$B/chronyc" -h "$T/chronyd.sock" serverstats |
                    sed -n 's/^Client log records dropped *: *//p')
                b=$bound_kb
            else
                b=-
            fi
            printf '%-7s %10s %8s %10s %10s %10s %10s %10s\n' $name $limit $n $base $peak \
                $((peak - base)) $b "$replaced"
            sed 's/^/#   /' "$T/flood"
            kill $P
            wait $P 2>/dev/null || true
            P=""
        done
    done
done
