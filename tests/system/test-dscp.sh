#!/bin/sh
# dscp as chrony's: the NTP packets the daemon sends, server replies and client
# requests, carry the DSCP in the IPv4 TOS / IPv6 traffic class byte (dscp << 2), read
# by tos_probe.py through IP_RECVTOS / IPV6_RECVTCLASS; without dscp the byte stays 0.
. tests/system/lib.sh

pick_ports 16623
chmod 700 "$TMPD"
v6=0
$IN ip -6 addr show dev lo 2>/dev/null | grep -q '::1' && v6=1

conf() { # conf NAME PORT EXTRA...
    name=$1
    port=$2
    shift 2
    printf 'local stratum 1\nallow all\nport %s\ncmdport 0\nbindcmdaddress /\npidfile %s\n' \
        "$port" "$TMPD/$name.pid" >"$TMPD/$name.conf"
    for l in "$@"; do echo "$l" >>"$TMPD/$name.conf"; done
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
}
reply_tos_is() { # reply_tos_is HOST PORT TOS
    [ "$($IN python3 tests/system/tos_probe.py query "$1" "$2")" = "tos=$3" ]
}

conf plain $P1
conf marked $P2 "dscp 46"
check "server-default-tos-0" wait_for reply_tos_is 127.0.0.1 $P1 0
check "server-dscp-46-tos-184" wait_for reply_tos_is 127.0.0.1 $P2 184
if [ $v6 = 1 ]; then
    check "server-dscp-46-tclass-184" wait_for reply_tos_is ::1 $P2 184
fi

# A client with dscp 10 sends its requests with TOS 40 to a probe listening on P3.
cat >"$TMPD/c.conf" <<CONF
server 127.0.0.1 port $P3 iburst minpoll 0 maxpoll 0
dscp 10
port 0
cmdport 0
bindcmdaddress /
pidfile $TMPD/c.pid
CONF
$IN python3 tests/system/tos_probe.py serve 127.0.0.1 $P3 >"$TMPD/req.tos" &
probe=$!
sleep 0.5
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
PIDS="$PIDS $!"
wait $probe
check "client-dscp-10-tos-40" [ "$(cat "$TMPD/req.tos")" = tos=40 ]
