#!/bin/sh
# Memory of many sources: 10 000 `server ADDRESS offline` lines (no traffic). Every
# source is listed by chronyc and the daemon's RSS stays under 150 MB (it was 262 MB
# optimised, 475 MB with ASan, before a source without samples stopped carrying a
# 256-slot filter and a 128-slot statistics array; chrony 4.8 takes about 60 MB).
# chronyc sources, sourcestats and -c sources list all 10 000 (one request per row: each
# took a scan of every source per directive before the rows were kept, and the listing
# did not end in hours; under a second now, optimised); so do -N sources and ntpdata,
# whose requests name each source by address. The wait is bounded only to end
# a hung run: 10 minutes each, nothing timed is compared.
. tests/system/lib.sh

make_netns || IN=""
N=10000
{
    i=0
    while [ $i -lt $N ]; do
        echo "server 10.$((1 + i / 65536)).$((i / 256 % 256)).$((i % 256)) offline"
        i=$((i + 1))
    done
    echo "port 0"
    echo "cmdport 0"
    echo "bindcmdaddress $TMPD/c.sock"
    echo "pidfile $TMPD/c.pid"
} >"$TMPD/c.conf"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"

# the command socket opens after the sources were created: its first answer means all are
answers() { $IN "$B/chronyc" -h "$TMPD/c.sock" -n activity | grep -q "^0 sources online"; }
check "chronyc-answers" wait_long answers
out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -n activity)
echo "$out" | sed 's/^/  /'
check "all-sources-offline" sh -c "echo '$out' | grep -q '^$N sources offline'"
rss=$(sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$(cat $TMPD/c.pid)/status)
echo "  RSS with $N sources: ${rss:-?} kB"
check "rss-under-150MB" [ "${rss:-999999}" -lt 153600 ]
check "no-socket-opened" sh -c "! grep -q 'Could not open' $TMPD/c.log"

# Every row listed: the header lines and 10 000 rows, or 10 000 CSV lines.
rows() { # rows EXPECTED ARGS...
    want=$1
    shift
    n=$($IN timeout 600 "$B/chronyc" -h "$TMPD/c.sock" "$@" 2>/dev/null | grep -c '^\(\^? \|\^,?,\)\?10\.')
    echo "  chronyc $*: $n rows"
    [ "$n" -eq "$want" ]
}
check "sources-lists-all" rows $N -n sources
check "sourcestats-lists-all" rows $N -n sourcestats
check "csv-sources-lists-all" rows $N -c -n sources
# Requests naming a source by address (sourcename for -N, ntpdata): each found a source by
# scanning every source before the address index (sources_index.c).
check "names-sources-lists-all" rows $N -N -n sources
ntpdata_all() {
    n=$($IN timeout 600 "$B/chronyc" -h "$TMPD/c.sock" -n ntpdata 2>/dev/null | grep -c '^Remote address *: 10\.')
    echo "  chronyc -n ntpdata: $n sources"
    [ "$n" -eq $N ]
}
check "ntpdata-lists-all" ntpdata_all
last="10.$((1 + (N - 1) / 65536)).$(((N - 1) / 256 % 256)).$(((N - 1) % 256))"
check "ntpdata-by-address" sh -c "$IN $B/chronyc -h $TMPD/c.sock -n ntpdata $last | grep -q '^Remote address *: $last '"
check "daemon-still-answers" sh -c "$IN $B/chronyc -h $TMPD/c.sock -n activity | grep -q '^$N sources offline'"
