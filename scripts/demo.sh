#!/bin/sh
# Offline demo: our chronyd serves time on loopback (no clock control: -x, and
# no CAP_SYS_TIME), and clients query it: our own NTP probe, NTPsec's ntpdig
# and Debian's chronyd -Q when installed. Uses a private network namespace
# when possible so port 123 is free; otherwise an unprivileged port.
set -u
B=${B:-build}
T=$(mktemp -d /tmp/chrony-demo.XXXXXX)
NS=chrdemo$$
IN=""
PORT=11123
if ip netns add "$NS" 2>/dev/null && ip netns exec "$NS" ip link set lo up; then
    IN="ip netns exec $NS"
    PORT=123
else
    NS=""
fi
cleanup() {
    [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null
    sleep 0.2
    [ -n "$NS" ] && ip netns del "$NS"
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
cat >"$T/chrony.conf" <<CONF
# demo server: serves its own clock at stratum 10 to loopback clients
allow 127.0.0.1
local stratum 10
port $PORT
pidfile $T/chronyd.pid
cmdport 0
bindcmdaddress $T/chronyd.sock
CONF
echo "== chronyd -p (effective configuration)"
"$B/chronyd" -p -f "$T/chrony.conf"
echo "== starting: chronyd -x -d -f $T/chrony.conf (port $PORT${NS:+, namespace $NS})"
$IN setpriv --bounding-set=-sys_time "$B/chronyd" -x -d -f "$T/chrony.conf" &
PID=$!
sleep 1
echo "== NTP query (tests/system/ntpreq.py)"
$IN python3 tests/system/ntpreq.py 127.0.0.1 "$PORT"
if command -v ntpdig >/dev/null 2>&1 && [ "$PORT" = 123 ]; then
    echo "== ntpdig 127.0.0.1"
    $IN ntpdig -t 2 127.0.0.1
fi
if [ -x /usr/sbin/chronyd ]; then
    echo "== Debian chronyd -Q (prints the offset, never sets the clock)"
    $IN setpriv --bounding-set=-sys_time timeout 20 /usr/sbin/chronyd -Q -u root -f /dev/null \
        "server 127.0.0.1 port $PORT iburst" "pidfile $T/q.pid"
fi
echo "== our chronyc, over the daemon's Unix socket"
$IN "$B/chronyc" -h "$T/chronyd.sock" tracking
$IN "$B/chronyc" -h "$T/chronyd.sock" serverstats
$IN "$B/chronyc" -h "$T/chronyd.sock" -j activity
echo "== stopping"
