#!/bin/sh
# NTS (RFC 8915) client: our chronyd with `server ... nts` synchronises to
# Debian's chronyd serving NTS with a self-signed certificate we trust through
# `ntstrustedcerts`; chronyc authdata shows what Debian's own client shows;
# an untrusted certificate or a wrong name gives no synchronisation. Daemons
# run with -x only.
. tests/system/lib.sh

if [ ! -x /usr/sbin/chronyd ] || ! command -v openssl >/dev/null 2>&1; then
    echo "SKIP Debian chronyd or openssl missing"
    exit 0
fi
pick_ports 14123
KE=$((P3 + 4000)) # NTS-KE port (4125 in a namespace)
chmod 700 "$TMPD"
self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost "DNS:localhost,IP:127.0.0.1"
self_signed_cert "$TMPD/other-key.pem" "$TMPD/other.pem" other

cat >"$TMPD/s.conf" <<EOF
local stratum 1
allow 127.0.0.1
port $P1
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
ntsdumpdir $TMPD/sd
cmdport 0
bindcmdaddress $TMPD/s.sock
pidfile $TMPD/s.pid
EOF
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1

client_conf() { # client_conf NAME SERVERNAME TRUSTED
    cat >"$TMPD/$1.conf" <<EOF
server $2 port $P1 ntsport $KE nts iburst minpoll 0 maxpoll 0
ntstrustedcerts $3
nosystemcert
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
EOF
}

authdata() { # authdata NAME: the columns that do not depend on timing
    $IN "$B/chronyc" -h "$TMPD/$1.sock" -c authdata 2>/dev/null | cut -d, -f1-5,10
}

# 1. Our client.
client_conf c 127.0.0.1 "$TMPD/cert.pem"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
cpid=$!
check "ours-nts-synchronised" wait_long selected c
ours=$(authdata c)
echo "  ours authdata: $($IN "$B/chronyc" -h "$TMPD/c.sock" -c authdata)"
check "ours-authdata-nts" sh -c "echo '$ours' | grep -q '^127.0.0.1,NTS,1,15,256,'"
out=$($IN "$B/chronyc" -h "$TMPD/c.sock" ntpdata 127.0.0.1 | grep '^Authenticated')
check "ours-ntpdata-authenticated" [ "$out" = "Authenticated   : Yes" ]
kill $cpid
wait $cpid 2>/dev/null
sed 's/^/  c.log: /' "$TMPD/c.log" | tail -n 3

# 2. Debian's client with the same configuration reports the same.
rm -f "$TMPD/c.pid"
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/c.conf" >"$TMPD/dc.log" 2>&1 &
cpid=$!
if wait_long selected c; then
    theirs=$(authdata c)
    echo "  debian authdata: $($IN "$B/chronyc" -h "$TMPD/c.sock" -c authdata)"
    check "same-authdata-as-debian-client" [ "$ours" = "$theirs" ]
else
    fail "debian-client-synchronised"
fi
kill $cpid
wait $cpid 2>/dev/null

# 3. A certificate we do not trust.
client_conf u 127.0.0.1 "$TMPD/other.pem"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/u.conf" >"$TMPD/u.log" 2>&1 &
cpid=$!
sleep 5
check "untrusted-cert-not-synchronised" sh -c "! $IN $B/chronyc -h $TMPD/u.sock -n sources | grep -q '^\^\*'"
out=$($IN "$B/chronyc" -h "$TMPD/u.sock" -c authdata 2>/dev/null)
echo "  untrusted authdata: $out"
check "untrusted-no-cookies" sh -c "echo '$out' | grep -q '^127.0.0.1,NTS,0,0,0,4294967295,[1-9][0-9]*,0,0,0\$'"
sed 's/^/  u.log: /' "$TMPD/u.log" | tail -n 2
kill $cpid
wait $cpid 2>/dev/null

# 4. ntsdumpdir: the keys and cookies of one run are used by the next, across
#    implementations, without a new NTS-KE session (the server counts sessions).
ke_count() {
    $IN "$B/chronyc" -h "$TMPD/s.sock" serverstats | sed -n 's/^NTS-KE connections accepted: //p'
}
mkdir -p "$TMPD/cd"
chmod 700 "$TMPD/cd"
echo "ntsdumpdir $TMPD/cd" >>"$TMPD/c.conf"
rm -f "$TMPD/c.pid"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c4.log" 2>&1 &
cpid=$!
wait_long selected c
kill $cpid
wait $cpid 2>/dev/null
check "ours-dump-written" test -s "$TMPD/cd/127.0.0.1.nts"
check "ours-dump-owner-only" sh -c "[ \"\$(stat -c %a $TMPD/cd/127.0.0.1.nts)\" = 600 ]"
check "ours-dump-format" sh -c "head -n 1 $TMPD/cd/127.0.0.1.nts | grep -qx NNC0"
before=$(ke_count)
rm -f "$TMPD/c.pid"
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/c.conf" >"$TMPD/dc4.log" 2>&1 &
cpid=$!
check "debian-loads-our-dump-synchronised" wait_long selected c
check "debian-loads-our-dump-no-ke" [ "$(ke_count)" = "$before" ]
kill $cpid
wait $cpid 2>/dev/null
check "debian-dump-written" test -s "$TMPD/cd/127.0.0.1.nts"
before=$(ke_count)
rm -f "$TMPD/c.pid"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c5.log" 2>&1 &
cpid=$!
check "ours-loads-debian-dump-synchronised" wait_long selected c
check "ours-loads-debian-dump-no-ke" [ "$(ke_count)" = "$before" ]
out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -c authdata | cut -d, -f1-5)
check "ours-loaded-context-id" [ "$out" = "127.0.0.1,NTS,1,15,256" ]
kill $cpid
wait $cpid 2>/dev/null
