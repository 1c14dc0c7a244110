#!/bin/sh
# `make bench-server`: open-loop serving benchmark on loopback. Measures our chronyd (alone
# and with `serverworkers 2`, the CPU and RSS of its worker process included), Debian's
# chronyd 4.3 (both -x, no CAP_SYS_TIME in the bounding set, the same configuration) and
# bench/echoserv (48 bytes answered with 48 bytes: the machine's limit; "echo" with the
# system's default receive buffer, as Debian's chronyd, "echo-rb" with the 1 MiB our
# chronyd asks for its server sockets), alternating A B C D E A B C D E, in two phases:
#  1. saturation: the highest rate with loss <= 1 % (bench/ntpgen -s), ROUNDS rounds
#     (default 3), each server's best round kept;
#  2. load: every server at one common rate, half of Debian's chronyd's best saturation
#     (half of ours without Debian), HROUNDS rounds (default 5) of HALF seconds: p50/p99
#     latency, the server's CPU per reply and its peak RSS, medians of the rounds.
# One rate for all in phase 2 because CPU per reply and latency depend on the rate (more
# requests per wake-up at a higher rate): each server at half its own saturation would
# compare different loads. Then the accuracy of ntpdig and chronyd -Q against each server
# under half our saturation load (bench/accuracy.sh). About 5 minutes with the defaults.
B=${B:-build}
ROUNDS=${ROUNDS:-3}
HROUNDS=${HROUNDS:-5}   # rounds at the common rate
STEP=${STEP:-1}   # seconds per search step
HALF=${HALF:-3}   # seconds at half load
set -e
CFLAGS="-O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE"
mkdir -p "$B/bench"
cc $CFLAGS -o "$B/bench/ntpgen" bench/ntpgen.c
cc $CFLAGS -o "$B/bench/echoserv" bench/echoserv.c
SAFE="setpriv --bounding-set=-sys_time"
T=$(mktemp -d /tmp/chrony-bench.XXXXXX)
P=""
trap '[ -n "$P" ] && kill $P 2>/dev/null; rm -rf "$T"' EXIT INT TERM

# a UDP port nobody listens on
PORT=$((20000 + $$ % 20000))
while ss -Hlun "sport = :$PORT" 2>/dev/null | grep -q .; do PORT=$((PORT + 1)); done
cat >"$T/chrony.conf" <<CONF
allow
local stratum 2
port $PORT
pidfile $T/chronyd.pid
cmdport 0
bindcmdaddress /
CONF

cp "$T/chrony.conf" "$T/workers.conf"
echo "serverworkers 2" >>"$T/workers.conf"
NAMES="ours ours-w2 debian echo echo-rb"
[ -x /usr/sbin/chronyd ] || { echo "note: /usr/sbin/chronyd not installed, skipped"; NAMES="ours ours-w2 echo echo-rb"; }

start() {
    case $1 in
    ours) $SAFE "$B/chronyd" -x -d -f "$T/chrony.conf" >"$T/ours.log" 2>&1 & ;;
    ours-w2) $SAFE "$B/chronyd" -x -d -f "$T/workers.conf" >"$T/ours-w2.log" 2>&1 & ;;
    debian) $SAFE /usr/sbin/chronyd -x -d -u root -f "$T/chrony.conf" >"$T/debian.log" 2>&1 & ;;
    echo) "$B/bench/echoserv" "$PORT" & ;;
    echo-rb) "$B/bench/echoserv" "$PORT" 127.0.0.1 1048576 & ;;
    esac
    P=$!
    i=0
    until "$B/bench/ntpgen" -p "$PORT" -r 200 -d 0.1 | grep -q 'replies=[1-9]'; do
        i=$((i + 1))
        [ $i -lt 50 ] || { echo "$1 did not answer"; cat "$T/$1.log" 2>/dev/null; exit 1; }
    done
}
stop() {
    kill "$P" 2>/dev/null || true
    wait "$P" 2>/dev/null || true
    P=""
    # the port free again (a server's worker processes end with it)
    i=0
    while ss -Hlun "sport = :$PORT" 2>/dev/null | grep -q . && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}
field() { # field NAME LINE
    echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

echo "== open-loop serving benchmark, port $PORT, $ROUNDS + $HROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
r=1
while [ $r -le "$ROUNDS" ]; do
    for n in $NAMES; do
        start "$n"
        out=$("$B/bench/ntpgen" -p "$PORT" -s -d "$STEP" -H 0)
        stop
        sat=$(field target "$(echo "$out" | grep '^saturation')")
        echo "$n $sat" >>"$T/sat"
        echo "round $r $n: saturation $sat/s"
    done
    r=$((r + 1))
done
best() { awk -v n="$1" '$1 == n && $2 > m { m = $2 } END { printf "%d", m }' "$T/sat"; }
ref=debian
[ "$(best debian)" -gt 0 ] || ref=ours
RATE=$(($(best $ref) / 2))
[ "$RATE" -gt 0 ] || { echo "no saturation rate found"; exit 1; }
echo "== load: $RATE/s for every server (half of $ref's best saturation), $HALF s per round"
r=1
while [ $r -le "$HROUNDS" ]; do
    for n in $NAMES; do
        start "$n"
        half=$("$B/bench/ntpgen" -p "$PORT" -r "$RATE" -d "$HALF" -P "$P")
        stop
        printf '%s %s %s %s %s %s %s %s\n' "$n" "$(best "$n")" "$(field p50_us "$half")" \
            "$(field p99_us "$half")" "$(field cpu_us_per_reply "$half")" "$(field hwm_kb "$half")" \
            "$(field larger "$half")" "$(field loss "$half")" >>"$T/results"
        echo "round $r $n at $RATE/s: p50 $(field p50_us "$half") us, p99 $(field p99_us "$half") us," \
            "CPU $(field cpu_us_per_reply "$half") us/reply, VmHWM $(field hwm_kb "$half") kB," \
            "larger $(field larger "$half"), loss $(field loss "$half")"
    done
    r=$((r + 1))
done

echo "== summary (saturation: best round; at $RATE/s: latency, CPU: median of the rounds; RSS: largest)"
awk '
function median(arr, n, c,    i, j, t, v) {
  for (i = 1; i <= c; i++) v[i] = arr[n, i]
  for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
  return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
}
{ n = $1; if (!(n in cnt)) order[++k] = n; c = ++cnt[n]
  if ($2 > sat[n]) sat[n] = $2; p50[n, c] = $3; p99[n, c] = $4; cpu[n, c] = $5
  if ($6 > rss[n]) rss[n] = $6; larger[n] += $7 }
END {
  for (i = 1; i <= k; i++) { n = order[i]; P50[n] = median(p50, n, cnt[n])
    P99[n] = median(p99, n, cnt[n]); CPU[n] = median(cpu, n, cnt[n]) }
  printf "%-7s %12s %9s %9s %12s %9s %7s %9s %9s %9s %9s %9s\n", "server", "saturation/s", "p50 us",
         "p99 us", "CPU us/rep", "VmHWM kB", "larger", "sat/deb", "sat/echo", "p99/deb", "cpu/deb", "cpu/echo"
  for (i = 1; i <= k; i++) {
    n = order[i]
    rd = "-"; re = "-"; rp = "-"; rcd = "-"; rc = "-"
    if (sat["debian"] > 0) rd = sprintf("%.2f", sat[n] / sat["debian"])
    if (sat["echo"] > 0) re = sprintf("%.2f", sat[n] / sat["echo"])
    if (P99["debian"] > 0) rp = sprintf("%.2f", P99[n] / P99["debian"])
    if (CPU["debian"] > 0) rcd = sprintf("%.2f", CPU[n] / CPU["debian"])
    if (CPU["echo"] > 0) rc = sprintf("%.2f", CPU[n] / CPU["echo"])
    printf "%-7s %12.0f %9.1f %9.1f %12.3f %9d %7d %9s %9s %9s %9s %9s\n", n, sat[n], P50[n], P99[n],
           CPU[n], rss[n], larger[n], rd, re, rp, rcd, rc
  }
}' "$T/results"

# Serving accuracy under half our saturation load (bench/accuracy.sh).
half=$(awk '$1 == "ours" && $2 > m { m = $2 } END { printf "%d", m / 2 }' "$T/results")
echo "== accuracy at half our saturation ($half/s; server and clients share one clock)"
B=$B sh bench/accuracy.sh "$half"
