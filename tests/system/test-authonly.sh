#!/bin/sh
# `authonly` (our extension): the server answers only requests it can answer with an
# authenticated reply. A plain request gets nothing (counted in serverstats as dropped),
# a request with a MAC of a known key gets a signed reply, and NTS clients (ours, and
# Debian's chronyd when installed) synchronise. Without `authonly` the plain request is
# answered (the same server, restarted). Daemons run with -x only.
. tests/system/lib.sh

if ! command -v openssl >/dev/null 2>&1; then
    echo "SKIP openssl missing"
    exit 0
fi
pick_ports 15270
KE=$((P3 + 4000))
chmod 700 "$TMPD"
self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost "DNS:localhost,IP:127.0.0.1"
KEYS=$TMPD/keys
echo "2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70" >"$KEYS"
chmod 600 "$KEYS"
echo "3 SHA1 HEX:00112233445566778899AABBCCDDEEFF00112233" >"$TMPD/other.keys"

cat >"$TMPD/s.conf" <<CONF
local stratum 1
allow 127.0.0.1
port $P1
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
keyfile $KEYS
authonly
cmdport 0
bindcmdaddress $TMPD/s.sock
pidfile $TMPD/s.pid
CONF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
spid=$!
PIDS="$PIDS $spid"

keyed() { $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 4 3 48 2 "$KEYS" | grep -q 'mode=4 stratum=1 .*mac=ok'; }
check "key-authenticated-answered" wait_for keyed
out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $P1)
check "plain-request-dropped" [ "$out" = "noreply" ]
out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 4 3 48 3 "$TMPD/other.keys")
check "unknown-key-dropped" [ "$out" = "noreply" ]
drops=$($IN "$B/chronyc" -h "$TMPD/s.sock" serverstats | sed -n 's/^NTP packets dropped *: //p')
echo "  serverstats NTP packets dropped: $drops"
check "drops-counted" [ "${drops:-0}" -ge 1 ]

client_conf() { # client_conf NAME
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $P1 ntsport $KE nts iburst minpoll 0 maxpoll 0
ntstrustedcerts $TMPD/cert.pem
nosystemcert
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
CONF
}
client_conf c
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
PIDS="$PIDS $!"
check "our-nts-client-synchronised" wait_long selected c
if [ -x /usr/sbin/chronyd ]; then
    client_conf d
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/d.conf" >"$TMPD/d.log" 2>&1 &
    PIDS="$PIDS $!"
    check "debian-nts-client-synchronised" wait_long selected d
fi
out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $P1)
check "plain-request-still-dropped" [ "$out" = "noreply" ]

# The same server without authonly answers the plain request.
kill $spid
wait $spid 2>/dev/null
sed -i '/^authonly$/d' "$TMPD/s.conf"
rm -f "$TMPD/s.pid"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s2.log" 2>&1 &
PIDS="$PIDS $!"
plain() { $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 | grep -q 'mode=4 stratum=1 '; }
check "without-authonly-plain-answered" wait_for plain
