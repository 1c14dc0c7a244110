#!/bin/sh
# Benchmarks. Every figure is a ratio against a baseline measured in the same run,
# because these machines are noisy. Loopback only, never touching the clock.
B=${B:-build}
set -e
CFLAGS="-O2 -std=gnu11 -D_GNU_SOURCE -Isrc"
mkdir -p "$B/bench"
cc $CFLAGS -o "$B/bench/bench_responder" bench/bench_responder.c "$B/libcore.a" "$B/libproto.a" "$B/libcrypto.a" "$B/liblib.a" \
    -lnettle -lm
cc $CFLAGS -o "$B/bench/ntpload" bench/ntpload.c
cc $CFLAGS -o "$B/bench/bench_access" bench/bench_access.c "$B/libcore.a" "$B/liblib.a"
cc $CFLAGS -o "$B/bench/bench_clientlog" bench/bench_clientlog.c "$B/libcore.a" "$B/liblib.a" -lm
echo "== access table: many allow/deny rules"
"$B/bench/bench_access"
echo "== client log: cost per request, one client vs full tables"
"$B/bench/bench_clientlog"
echo "== responder micro-benchmark"
"$B/bench/bench_responder"

echo "== loopback serving: our chronyd vs Debian chronyd (both -x, same config)"
if [ ! -x /usr/sbin/chronyd ]; then
    echo "skipped: /usr/sbin/chronyd not installed"
    exit 0
fi
T=$(mktemp -d /tmp/chrony-bench.XXXXXX)
trap 'kill $P 2>/dev/null || true; rm -rf "$T"' EXIT
serve() { # serve BINARY PORT EXTRA -> prints replies/s
    cat >"$T/c.conf" <<CONF
allow 127.0.0.1
local stratum 10
port $2
pidfile $T/p.pid
cmdport 0
bindcmdaddress /
CONF
    setpriv --bounding-set=-sys_time "$1" -x -d $3 -f "$T/c.conf" >/dev/null 2>&1 &
    P=$!
    sleep 1
    "$B/bench/ntpload" 127.0.0.1 "$2" 3 32
    kill $P
    wait $P 2>/dev/null || true
}
ours=$(serve "$B/chronyd" 11223 "")
theirs=$(serve /usr/sbin/chronyd 11224 "-u root")
echo "our chronyd: $ours replies/s; Debian chronyd 4.3: $theirs replies/s"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "ratio ours/Debian: %.2f\n", a / b }'
