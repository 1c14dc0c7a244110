#!/bin/sh
# NTS (RFC 8915) server: our chronyd serves NTS-KE and NTS-protected NTP with a
# self-signed certificate; Debian's chronyd (and ours) as client, trusting it
# through `ntstrustedcerts`, synchronises with authenticated replies. serverstats
# counts the NTS-KE connections and the authenticated NTP requests; a server whose
# ntsntpserver is a name sends both clients to the address of that name. Daemons run
# with -x only.
. tests/system/lib.sh

if [ ! -x /usr/sbin/chronyd ] || ! command -v openssl >/dev/null 2>&1; then
    echo "SKIP Debian chronyd or openssl missing"
    exit 0
fi
pick_ports 15123
KE=$((P3 + 4000))
chmod 700 "$TMPD"
self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost "DNS:localhost,IP:127.0.0.1"

cat >"$TMPD/s.conf" <<CONF
local stratum 1
allow 127.0.0.1
port $P1
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
cmdport 0
bindcmdaddress $TMPD/s.sock
pidfile $TMPD/s.pid
CONF
start_server() { # start_server LOG
    rm -f "$TMPD/s.pid"
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/$1" 2>&1 &
    spid=$!
    PIDS="$PIDS $spid"
    wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1
}
start_server s.log

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

stat_of() { # stat_of LABEL: a serverstats counter of our server
    $IN "$B/chronyc" -h "$TMPD/s.sock" serverstats | sed -n "s/^$1 *: //p"
}

# 1. Debian's client.
client_conf d
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/d.conf" >"$TMPD/d.log" 2>&1 &
cpid=$!
check "debian-client-synchronised" wait_long selected d
out=$($IN "$B/chronyc" -h "$TMPD/d.sock" -c authdata 2>/dev/null)
echo "  debian authdata: $out"
check "debian-authdata-nts" sh -c "echo '$out' | grep -q '^127.0.0.1,NTS,1,15,256,'"
out=$($IN "$B/chronyc" -h "$TMPD/d.sock" ntpdata 127.0.0.1 | grep '^Authenticated')
check "debian-ntpdata-authenticated" [ "$out" = "Authenticated   : Yes" ]

# 1b. A restarted server has new keys (no ntsdumpdir): the client's cookies get a
#     NTS NAK and it runs a new NTS-KE session (its KeyID changes).
kill $spid
wait $spid 2>/dev/null
start_server s2.log
i=0
while [ $i -lt 40 ]; do
    [ "$(stat_of "NTS-KE connections accepted")" = 1 ] && break
    sleep 0.5
    i=$((i + 1))
done
check "debian-new-ke-after-nak" [ "$(stat_of "NTS-KE connections accepted")" = 1 ]
sleep 3
out=$($IN "$B/chronyc" -h "$TMPD/d.sock" -c authdata 2>/dev/null)
echo "  debian authdata after restart: $out"
check "debian-authdata-new-key" sh -c "echo '$out' | grep -q '^127.0.0.1,NTS,2,15,256,'"
kill $cpid
wait $cpid 2>/dev/null
sed 's/^/  d.log: /' "$TMPD/d.log" | tail -n 3

# 2. Our client.
client_conf c
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
cpid=$!
check "ours-client-synchronised" wait_long selected c
out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -c authdata 2>/dev/null)
echo "  ours authdata: $out"
check "ours-authdata-nts" sh -c "echo '$out' | grep -q '^127.0.0.1,NTS,1,15,256,'"
kill $cpid
wait $cpid 2>/dev/null

# 3. The server's counters.
ke=$(stat_of "NTS-KE connections accepted")
auth=$(stat_of "Authenticated NTP packets")
echo "  server: NTS-KE accepted $ke, authenticated NTP $auth"
check "serverstats-nts-ke-accepted" [ "${ke:-0}" -ge 2 ]
check "serverstats-authenticated-ntp" [ "${auth:-0}" -ge 4 ]
sed 's/^/  s.log: /' "$TMPD/s2.log" | tail -n 3

# 4. A server whose NTPv4 Server Negotiation record names its NTP server (ntsntpserver):
#    the clients look the name up (chrony makes it a fully qualified name, "name.") and
#    send their NTP requests to that address. The network namespace gets its own hosts
#    file (ip netns exec mounts /etc/netns/NS/hosts): ntp.nts.test. is 127.0.0.2, and
#    "localhost." is not there, so a server naming localhost gives chrony's error.
if [ -n "$NS" ]; then
    trap 'rm -rf "/etc/netns/$NS"; rmdir /etc/netns 2>/dev/null; cleanup' EXIT INT TERM
    mkdir -p "/etc/netns/$NS"
    printf '127.0.0.1 localhost\n127.0.0.2 ntp.nts.test.\n' >"/etc/netns/$NS/hosts"
    printf 'nameserver 127.0.0.1\n' >"/etc/netns/$NS/resolv.conf"
    kill $spid
    wait $spid 2>/dev/null
    cp "$TMPD/s.conf" "$TMPD/s.conf.orig"
    { cat "$TMPD/s.conf.orig"; echo "ntsntpserver ntp.nts.test"; } >"$TMPD/s.conf"
    start_server s4.log
    sel2() { # sel2 NAME: the source is 127.0.0.2, selected
        $IN "$B/chronyc" -h "$TMPD/$1.sock" -n sources 2>/dev/null | grep -q '^\^\* 127.0.0.2 '
    }
    client_conf n
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/n.conf" >"$TMPD/n.log" 2>&1 &
    cpid=$!
    check "ours-negotiated-name-used" wait_long sel2 n
    out=$($IN "$B/chronyc" -h "$TMPD/n.sock" -c authdata 2>/dev/null)
    echo "  ours authdata (named NTP server): $out"
    check "ours-negotiated-name-authdata" sh -c "echo '$out' | grep -q '^127.0.0.2,NTS,1,15,256,'"
    kill $cpid
    wait $cpid 2>/dev/null
    client_conf nd
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/nd.conf" >"$TMPD/nd.log" 2>&1 &
    cpid=$!
    check "debian-negotiated-name-used" wait_long sel2 nd
    kill $cpid
    wait $cpid 2>/dev/null

    kill $spid
    wait $spid 2>/dev/null
    { cat "$TMPD/s.conf.orig"; echo "ntsntpserver localhost"; } >"$TMPD/s.conf"
    start_server s5.log
    msg="Could not resolve NTP server localhost. from 127.0.0.1"
    client_conf f
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/f.conf" >"$TMPD/f.log" 2>&1 &
    cpid=$!
    check "ours-negotiated-name-unresolved" wait_long grep -qF "$msg" "$TMPD/f.log"
    check "ours-unresolved-not-synchronised" sh -c "! grep -q 'Selected source' $TMPD/f.log"
    kill $cpid
    wait $cpid 2>/dev/null
    client_conf fd
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/fd.conf" >"$TMPD/fd.log" 2>&1 &
    cpid=$!
    check "debian-negotiated-name-unresolved" wait_long grep -qF "$msg" "$TMPD/fd.log"
    kill $cpid
    wait $cpid 2>/dev/null
else
    echo "SKIP negotiated NTP server names (no network namespace for a hosts file)"
fi
