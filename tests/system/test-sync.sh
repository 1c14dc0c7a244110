#!/bin/sh
# Synchronisation between real daemons on loopback (in a private network
# namespace when possible): our chronyd -x as a client of our chronyd, of
# Debian's chronyd, and Debian's chronyd -x as a client of ours. The client's
# served reference must follow its source: stratum 2, refid 127.0.0.1.
. tests/system/lib.sh

pick_ports 11123

client_conf() { # client_conf FILE PORT SERVERPORT
    cat >"$1" <<CONF
server 127.0.0.1 port $3 iburst minpoll 0 maxpoll 0
allow 127.0.0.1
port $2
cmdport 0
bindcmdaddress $1.sock
pidfile $1.pid
driftfile $1.drift
CONF
}

# 1. our server, our client
server_conf "$TMPD/s.conf" $P1
client_conf "$TMPD/c.conf" $P2 $P1
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
PIDS="$PIDS $!"
check "ours-client-synchronised" wait_long synced_to $P2
echo "  client reply: $($IN python3 tests/system/ntpreq.py 127.0.0.1 $P2 4 3)"
check "ours-selected-source-logged" grep -q "Selected source 127.0.0.1" "$TMPD/c.log"
# The command server reports the engine's data.
out=$($IN "$B/chronyc" -h "$TMPD/c.conf.sock" -n tracking 2>&1)
echo "$out" | sed 's/^/  tracking: /' | head -n 3
check "chronyc-tracking-refid" sh -c "echo '$out' | grep -q '^Reference ID    : 7F000001 (127.0.0.1)'"
check "chronyc-tracking-stratum2" sh -c "echo '$out' | grep -q '^Stratum         : 2'"
out=$($IN "$B/chronyc" -h "$TMPD/c.conf.sock" -n sources 2>&1 | tail -n 1)
echo "  sources: $out"
check "chronyc-sources-selected" sh -c "echo '$out' | grep -q '^\^\* 127.0.0.1 *1 *0 '"
out=$($IN "$B/chronyc" -h "$TMPD/c.conf.sock" -n ntpdata 127.0.0.1 2>&1)
check "chronyc-ntpdata-tests" sh -c "echo '$out' | grep -q '^NTP tests       : 111 111 1111'"
if [ -x /usr/bin/chronyc ]; then
    out=$($IN /usr/bin/chronyc -h "$TMPD/c.conf.sock" -n sources 2>&1 | tail -n 1)
    check "debian-chronyc-sources-selected" sh -c "echo '$out' | grep -q '^\^\* 127.0.0.1 '"
fi
stop_all
check "ours-driftfile-written" test -s "$TMPD/c.conf.drift"
sed 's/^/  c.log: /' "$TMPD/c.log" | head -n 8

if [ ! -x /usr/sbin/chronyd ]; then
    echo "SKIP /usr/sbin/chronyd not installed"
    exit 0
fi

# 2. Debian's chronyd as the server of our client
server_conf "$TMPD/ds.conf" $P1
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/ds.conf" >"$TMPD/ds.log" 2>&1 &
PIDS="$PIDS $!"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c2.log" 2>&1 &
PIDS="$PIDS $!"
check "debian-server-ours-client-synchronised" wait_long synced_to $P2
stop_all

# 3. our server, Debian's chronyd -x as the client
client_conf "$TMPD/dc.conf" $P3 $P1
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s3.log" 2>&1 &
PIDS="$PIDS $!"
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/dc.conf" >"$TMPD/dc.log" 2>&1 &
PIDS="$PIDS $!"
check "ours-server-debian-client-synchronised" wait_long synced_to $P3
stop_all
