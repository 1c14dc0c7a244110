#!/bin/sh
# `acquisitionport` equal to `port`: the client sends its requests from the server socket
# (one socket on the port, as chrony), its server's replies reach the source and it
# synchronises, and the same port still answers NTP clients.
. tests/system/lib.sh

pick_ports 15123

server_conf "$TMPD/s.conf" $P1
cat >"$TMPD/c.conf" <<EOF2
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
acquisitionport $P2
port $P2
allow 127.0.0.1
cmdport 0
bindcmdaddress /
pidfile $TMPD/c.pid
EOF2

$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
PIDS="$PIDS $!"
check "client-on-server-port-synchronised" wait_long synced_to $P2
# One IPv4 UDP socket bound to the client's port (the server's; chrony opens no second).
n=$($IN ss -4 -uan 2>/dev/null | grep -c ":$P2 ")
echo "  IPv4 sockets on port $P2: $n"
check "one-socket-on-port" test "$n" -eq 1
