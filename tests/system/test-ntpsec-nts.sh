#!/bin/sh
# NTS (RFC 8915) interoperability with NTPsec's ntpd, both ways. Certificates: a test
# root CA (the only one trusted) signs an intermediate CA that signs the servers'.
#   1. ntpd as an NTS client of our NTS-KE + NTS server S: one NTS-KE session, ntpd
#      accepts our authenticated replies (ntpq auth ok, peerstats authentic) and keeps
#      going past the 8 cookies of that session; after unanswered requests (S stopped)
#      its placeholders get it back to 8 cookies.
#   2. Our chronyd C as an NTS client of ntpd's NTS-KE + NTS server (ntpd in orphan mode,
#      so it claims synchronisation without touching the clock): sources selects it,
#      authdata shows NTS with ntpd's cookies, as Debian's chronyd reports; also over
#      IPv6 (not ntpd's client: NTPsec 1.2.2 fails to look up "[fd00::2]" as NTS-KE host).
#   3. Our server K sends NTPv4 Server and Port Negotiation records (ntsntpserver, NTP
#      port 1123): ntpd follows them, its requests reach K there, authenticated.
#   4. Untrusted certificates: ntpd does not trust K's (no cookies, no requests), our U
#      does not trust ntpd's (no sync, our log names the TLS failure); an AEAD we do not
#      support is refused as chrony does; nothing crashes.
#   5. Lost server keys (S restarted, then ntpd without its cookie key file): each side's
#      client recovers with a new NTS-KE session.
#   6. C reloads ntpd's cookies from its ntsdumpdir without a new NTS-KE session.
# ntpd always uses port 123 and listens on every loopback address, so it runs in its own
# network namespace (192.0.2.1, fd00::1) joined by a veth pair to ours (192.0.2.2-6,
# fd00::5), with `disable ntp` and without CAP_SYS_TIME; our daemons run with -x.
# Observed through ntpq, ntpd's log and peerstats, chronyc sources, authdata, ntpdata
# and serverstats.
. tests/system/lib.sh

if ! ntpsec_tools; then
    fail "ntpsec-ntpd-present ($NTPD missing: run scripts/install-deps.sh)"
    exit 1
fi
if ! command -v openssl >/dev/null 2>&1 || ! make_netns; then
    fail "ntpsec-setup (openssl or network namespaces missing)"
    exit 1
fi
NS2=${NS}b
IN2="ip netns exec $NS2"
cleanup_ns2() {
    cleanup
    ip netns del "$NS2" 2>/dev/null
}
trap cleanup_ns2 EXIT INT TERM
if ! { ip netns add "$NS2" && $IN2 ip link set lo up &&
    $IN ip link add va type veth peer name vb netns "$NS2" &&
    $IN ip addr add 192.0.2.1/24 dev va && $IN ip link set va up &&
    $IN2 ip addr add 192.0.2.2/24 dev vb && $IN2 ip addr add 192.0.2.3/24 dev vb &&
    $IN2 ip addr add 192.0.2.4/24 dev vb && $IN2 ip addr add 192.0.2.5/24 dev vb &&
    $IN2 ip addr add 192.0.2.6/24 dev vb && $IN ip -6 addr add fd00::1/64 dev va nodad &&
    $IN2 ip -6 addr add fd00::5/64 dev vb nodad &&
    $IN2 ip link set vb up; }; then
    fail "ntpsec-setup (veth pair between namespaces)"
    exit 1
fi
chmod 700 "$TMPD"
# Certificates as deployed: a root CA (the only one trusted), an intermediate CA and
# the servers' certificates, each server presenting its certificate and the intermediate.
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
sign() { # sign NAME CN EXTENSIONS ISSUER: NAME.pem signed by ISSUER (key ISSUER-key.pem)
    newkey "$TMPD/$1-key.pem"
    printf '%b\n' "$3" >"$TMPD/$1.ext"
    openssl req -new -key "$TMPD/$1-key.pem" -subj "/CN=$2" -out "$TMPD/$1.csr" 2>/dev/null &&
        openssl x509 -req -in "$TMPD/$1.csr" -CA "$TMPD/$4.pem" -CAkey "$TMPD/$4-key.pem" \
            -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -days 30 \
            -extfile "$TMPD/$1.ext" -out "$TMPD/$1.pem" 2>/dev/null
}
newkey "$TMPD/root-key.pem"
openssl req -x509 -key "$TMPD/root-key.pem" -subj "/CN=Test root" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -out "$TMPD/root.pem" 2>/dev/null
sign int "Test intermediate" "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign" root
sign s-leaf 192.0.2.2 "subjectAltName=IP:192.0.2.2,IP:192.0.2.3" int
sign n-leaf 192.0.2.1 "subjectAltName=IP:192.0.2.1,IP:fd00::1" int
cp "$TMPD/s-leaf-key.pem" "$TMPD/s-key.pem"
cat "$TMPD/s-leaf.pem" "$TMPD/int.pem" >"$TMPD/s-cert.pem"
cp "$TMPD/n-leaf-key.pem" "$TMPD/n-key.pem"
cat "$TMPD/n-leaf.pem" "$TMPD/int.pem" >"$TMPD/n-cert.pem"
if ! openssl verify -CAfile "$TMPD/root.pem" -untrusted "$TMPD/int.pem" "$TMPD/s-leaf.pem" \
    "$TMPD/n-leaf.pem" >/dev/null; then
    fail "ntpsec-setup (certificates)"
    exit 1
fi
self_signed_cert "$TMPD/o-key.pem" "$TMPD/o-cert.pem" other "DNS:other"

# Our server S: NTP on 123, NTS-KE on 4460 (both defaults).
cat >"$TMPD/s.conf" <<EOF
local stratum 1
allow 192.0.2.0/24
ntsserverkey $TMPD/s-key.pem
ntsservercert $TMPD/s-cert.pem
cmdport 0
bindcmdaddress $TMPD/s.sock
pidfile $TMPD/s.pid
EOF
# Our server K: NTS-KE on 4461, NTP on 1123, clients sent to 192.0.2.3 by the records.
cat >"$TMPD/k.conf" <<EOF
local stratum 1
allow 192.0.2.0/24
port 1123
ntsport 4461
ntsntpserver 192.0.2.3
ntsserverkey $TMPD/s-key.pem
ntsservercert $TMPD/s-cert.pem
cmdport 0
bindcmdaddress $TMPD/k.sock
pidfile $TMPD/k.pid
EOF
start_ours() { # start_ours NAME LOG: one of our daemons in our namespace; sets $pid
    rm -f "$TMPD/$1.pid"
    $IN2 $SAFE "$B/chronyd" -x -d -f "$TMPD/$1.conf" >"$TMPD/$2" 2>&1 &
    pid=$!
    PIDS="$PIDS $pid"
}
start_ours s s.log
spid=$pid
start_ours k k.log
kpid=$pid

# ntpd: NTS client of S, of K (through its records) and of K again with a CA that does
# not sign K's certificate; NTS-KE server with its own certificate. With `disable ntp` its
# discipline never declares synchronisation, so its sources are `noselect` and orphan
# mode (stratum 5, no other source) makes it claim synchronisation to its clients.
mkdir "$TMPD/stats"
cat >"$TMPD/n.conf" <<EOF
disable ntp
restrict 127.0.0.1
tos orphan 5 orphanwait 1
server 192.0.2.2 nts ca $TMPD/root.pem iburst minpoll 0 maxpoll 0 noselect
server 192.0.2.2:4461 nts ca $TMPD/root.pem iburst minpoll 0 maxpoll 0 noselect
server 192.0.2.4:4461 nts ca $TMPD/o-cert.pem iburst minpoll 0 maxpoll 0 noselect
server 192.0.2.3:4461 nts ca $TMPD/root.pem aead AES_SIV_CMAC_512 iburst minpoll 0 maxpoll 0 noselect
nts enable
nts cert $TMPD/n-cert.pem
nts key $TMPD/n-key.pem
nts cookie $TMPD/n-cookies
statsdir $TMPD/stats/
statistics peerstats
filegen peerstats file peerstats type none enable
EOF
start_ntpd() { # start_ntpd LOG
    $IN $SAFE "$NTPD" -n -c "$TMPD/n.conf" -l "$TMPD/$1" >>"$TMPD/n.out" 2>&1 &
    npid=$!
    PIDS="$PIDS $npid"
}
start_ntpd n.log

stat_of() { # stat_of SERVER LABEL: a serverstats counter of our server S or K
    "$B/chronyc" -h "$TMPD/$1.sock" serverstats 2>/dev/null | sed -n "s/^$2 *: //p"
}
ntpq() { $IN $NTPQ "$@" 127.0.0.1 2>/dev/null; }
# peer_status ADDR: the last status word ntpd wrote to peerstats for ADDR
peer_status() {
    cat "$TMPD"/stats/peerstats* 2>/dev/null | awk -v a="$1" '$3 == a { s = $4 } END { print s }'
}
# authentic ADDR: ntpd's association with ADDR is reachable and authentic (peer status
# word bits 0x2000 authentic, 0x1000 reachable).
authentic() {
    s=$(peer_status "$1")
    [ -n "$s" ] && [ $((0x$s & 0x3000)) = $((0x3000)) ]
}
more_than() { # more_than SERVER LABEL N
    v=$(stat_of "$1" "$2")
    [ -n "$v" ] && [ "$v" -gt "$3" ]
}

# 1. ntpd as the client of S.
check "ntpd-ke-with-ours" wait_long grep -q "NTSc: NTS-KE req to 192.0.2.2 took .* OK" "$TMPD/n.log"
check "ntpd-got-our-cookies" grep -q "NTSc: Got 8 cookies, length 100, aead=15" "$TMPD/n.log"
check "ntpd-authentic-to-ours" wait_long authentic 192.0.2.2
check "ours-counts-authenticated" wait_long more_than s "Authenticated NTP packets" 0
# More authenticated requests than the 8 cookies of the only NTS-KE session.
check "ntpd-keeps-going-new-cookies" wait_long more_than s "Authenticated NTP packets" 10
check "ours-no-drops" [ "$(stat_of s "NTP packets dropped")" = 0 ]
# Cookie placeholders: while S is stopped ntpd's requests go unanswered and take its
# cookies; its next requests carry placeholders and our replies fill it up to 8 again.
cookies_s() { # cookies_s TEST N: ntpd's cookie count for S compared with N
    c=$(ntpq -n -c "rv &1 ntscookies" | sed -n 's/.*ntscookies=\([0-9]*\).*/\1/p')
    [ -n "$c" ] && test "$c" "$1" "$2"
}
check "ntpd-has-8-cookies" wait_long cookies_s -eq 8
kill -STOP $spid
check "ntpd-uses-cookies-unanswered" wait_long cookies_s -lt 8
kill -CONT $spid
check "ntpd-cookies-refilled" wait_long cookies_s -eq 8
check "ntpd-one-ke-session" [ "$(stat_of s "NTS-KE connections accepted")" = 1 ]
# assoc_auth CONF REACH AUTH COUNT: ntpq lists COUNT associations with these columns
assoc_auth() {
    [ "$(ntpq -n -c associations | awk -v c="$1" -v r="$2" -v a="$3" \
        '$4 == c && $5 == r && $6 == a { n++ } END { print n + 0 }')" = "$4" ]
}
check "ntpq-auth-ok" wait_long assoc_auth yes yes ok 2
check "ntpq-auth-bad-untrusted-and-aead" wait_long assoc_auth yes no bad 2
ntpq -n -c associations | sed 's/^/  ntpq as: /'
# ntpd in orphan mode: leap 0, stratum 5 (what it serves to part 2).
check "ntpd-orphan" wait_long sh -c "$IN $NTPQ -n -c 'rv 0 leap,stratum' 127.0.0.1 2>/dev/null | grep -q 'leap=00, stratum=5'"
ntpq -n -p | sed 's/^/  ntpq -p: /'

# 2. Our chronyd C as the client of ntpd's NTS server. NTPsec rate-limits by default
#    (`limited`: more than one packet a second on average from one address, its own
#    replies to ntpd's requests included), so our clients send from 192.0.2.5 every 2 s.
client_conf() { # client_conf NAME TRUSTED
    cat >"$TMPD/$1.conf" <<EOF
server 192.0.2.1 nts iburst minpoll 1 maxpoll 1
bindacqaddress 192.0.2.5
ntstrustedcerts $2
nosystemcert
port 0
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
EOF
}
client_conf c "$TMPD/root.pem"
mkdir -m 700 "$TMPD/cd"
echo "ntsdumpdir $TMPD/cd" >>"$TMPD/c.conf"
client_conf u "$TMPD/o-cert.pem"
start_ours c c.log
cpid=$pid
start_ours u u.log
upid=$pid
# V: the same over IPv6 (from fd00::5).
sed -e 's/^server 192.0.2.1 /server fd00::1 /' -e 's/^bindacqaddress .*/bindacqaddress fd00::5/' \
    -e "s|$TMPD/c\\.|$TMPD/v.|g" "$TMPD/c.conf" | grep -v ntsdumpdir >"$TMPD/v.conf"
start_ours v v.log
vpid=$pid
check "ours-selects-ntpd" wait_long sh -c "'$B/chronyc' -h '$TMPD/c.sock' -n sources 2>/dev/null | grep -q '^\^\* 192.0.2.1 '"
out=$("$B/chronyc" -h "$TMPD/c.sock" -c authdata 2>/dev/null)
echo "  ours authdata: $out"
# name, NTS, KeyID 1 (one NTS-KE session), AEAD 15, 256-bit keys, last, no attempts
# pending, no NAK, 1-8 cookies of ntpd's length (104)
check "ours-authdata-nts-cookies" sh -c "echo '$out' | grep -q '^192.0.2.1,NTS,1,15,256,[0-9]*,0,0,[1-8],104$'"
out=$("$B/chronyc" -h "$TMPD/c.sock" ntpdata 192.0.2.1 | grep '^Authenticated')
check "ours-ntpdata-authenticated" [ "$out" = "Authenticated   : Yes" ]
check "ours-selects-ntpd-ipv6" wait_long sh -c "'$B/chronyc' -h '$TMPD/v.sock' -n sources 2>/dev/null | grep -q '^\\^\\* fd00::1 '"
out=$("$B/chronyc" -h "$TMPD/v.sock" -c authdata 2>/dev/null)
check "ours-authdata-nts-ipv6" sh -c "echo '$out' | grep -q '^fd00::1,NTS,1,15,256,[0-9]*,0,0,[1-8],104\$'"
kill $vpid
wait $vpid 2>/dev/null
check "ntpd-served-nts-ke" grep -q "NTSs: NTS-KE from 192.0.2.[25]" "$TMPD/n.log"
# Debian's chronyd with the same configuration (from 192.0.2.6) reports the same authdata
# (the columns that do not depend on timing).
if [ -x /usr/sbin/chronyd ]; then
    client_conf d "$TMPD/root.pem"
    sed -i 's/^bindacqaddress .*/bindacqaddress 192.0.2.6/' "$TMPD/d.conf"
    $IN2 $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/d.conf" >"$TMPD/d.log" 2>&1 &
    dpid=$!
    PIDS="$PIDS $dpid"
    if wait_long sh -c "'$B/chronyc' -h '$TMPD/d.sock' -n sources 2>/dev/null | grep -q '^\^\* 192.0.2.1 '"; then
        # Compared until equal: a cookie count read while a request is in flight is one
        # short, and a transmit timestamp the kernel reports late reads "Daemon".
        same_authdata() {
            [ "$("$B/chronyc" -h "$TMPD/c.sock" -c authdata | cut -d, -f1-5,9,10)" = \
                "$("$B/chronyc" -h "$TMPD/d.sock" -c authdata | cut -d, -f1-5,9,10)" ]
        }
        check "same-authdata-as-debian-client" wait_for same_authdata
        echo "  authdata columns, ours: $("$B/chronyc" -h "$TMPD/c.sock" -c authdata |
            cut -d, -f1-5,9,10) debian's: $("$B/chronyc" -h "$TMPD/d.sock" -c authdata |
            cut -d, -f1-5,9,10)"
        # ntpdata lines that do not depend on timing or the local address
        fields='^(Remote|Leap|Version|Mode|Stratum|Poll|Precision|Reference ID|Interleaved|Authenticated|[TR]X timestamping)'
        same_ntpdata() {
            [ "$("$B/chronyc" -h "$TMPD/c.sock" ntpdata 192.0.2.1 | grep -E "$fields")" = \
                "$("$B/chronyc" -h "$TMPD/d.sock" ntpdata 192.0.2.1 | grep -E "$fields")" ]
        }
        check "same-ntpdata-as-debian-client" wait_for same_ntpdata
    else
        fail "debian-client-selects-ntpd"
    fi
    kill $dpid
    wait $dpid 2>/dev/null
fi

# 3. ntpd followed K's Server and Port records: its requests reach 192.0.2.3:1123.
check "ntpd-got-server-record" wait_long grep -q "NTSc: Using server 192.0.2.3=>192.0.2.3" "$TMPD/n.log"
check "ntpd-got-port-record" wait_long grep -q "NTSc: Using port 1123" "$TMPD/n.log"
check "ntpd-authentic-to-negotiated" wait_long authentic 192.0.2.3
check "k-counts-authenticated" more_than k "Authenticated NTP packets" 0

# 4. Failure paths.
check "ntpd-rejects-untrusted-cert" wait_long grep -q "NTSc: certificate invalid" "$TMPD/n.log"
check "ntpd-no-requests-untrusted" [ -z "$(peer_status 192.0.2.4)" ]
# ntpd offers only AES-SIV-CMAC-512 (17), which we do not support: K answers with an
# empty AEAD Algorithm Negotiation record (RFC 8915 4.1.5, as chrony) and ntpd gives up.
check "ntpd-refused-aead-512" wait_long grep -q "NTSc: AN-Wrong length: 0" "$TMPD/n.log"
check "ntpd-aead-512-failed" wait_long grep -q "NTSc: NTS-KE req to 192.0.2.3:4461 took .* fail" "$TMPD/n.log"
check "ours-untrusted-logged" wait_long grep -q "TLS handshake with 192.0.2.1:4460 (192.0.2.1) failed : Error in the certificate verification" "$TMPD/u.log"
sed 's/^/  u.log: /' "$TMPD/u.log" | tail -n 3
check "ours-untrusted-not-synchronised" sh -c "! '$B/chronyc' -h '$TMPD/u.sock' -n sources | grep -q '^\^\*'"
out=$("$B/chronyc" -h "$TMPD/u.sock" -c authdata 2>/dev/null)
echo "  untrusted authdata: $out"
check "ours-untrusted-no-cookies" sh -c "echo '$out' | grep -q '^192.0.2.1,NTS,0,0,0,'"
alive=1
for p in $spid $kpid $npid $cpid $upid; do kill -0 "$p" 2>/dev/null || alive=0; done
check "all-daemons-alive" [ $alive = 1 ]

# 5. Lost server keys both ways.
# 5a. S restarted without ntsdumpdir has new keys: ntpd's cookies get a NAK from it and
#     ntpd runs a new NTS-KE session, then authenticated requests again.
kill $spid
wait $spid 2>/dev/null
start_ours s s2.log
spid=$pid
# NTPsec drops a NAK like any reply failing authentication (counted in ntsinfo) and
# makes a new NTS-KE session only when its cookies are used up: up to 8 polls and its
# unreachability handling, about 20 s here, so this waits longer.
check "ntpd-new-ke-after-our-nak" retry 120 0.5 more_than s "NTS-KE connections accepted" 0
check "ntpd-authenticated-after-our-nak" wait_long more_than s "Authenticated NTP packets" 1
out=$(ntpq -c ntsinfo | sed -n 's/^NTS client recvs w error: *//p')
check "ntpd-counted-our-naks" [ "${out:-0}" -gt 0 ]
# 5b. ntpd restarted without its cookie key file: it cannot decrypt C's cookies and drops
#     those requests without a NAK (NTPsec 1.2.2 declines them silently; RFC 8915 5.7 says
#     SHOULD send one), so C runs a new NTS-KE session (KeyID 2) once its 8 cookies are
#     used up, and selects ntpd again.
kill $npid
wait $npid 2>/dev/null
rm -f "$TMPD/n-cookies"
start_ntpd n2.log
keyid_c() { [ "$("$B/chronyc" -h "$TMPD/c.sock" -c authdata 2>/dev/null | cut -d, -f3)" = "$1" ]; }
check "ours-new-ke-after-ntpd-lost-keys" retry 120 0.5 keyid_c 2
check "ours-selects-ntpd-after-new-ke" wait_long sh -c "'$B/chronyc' -h '$TMPD/c.sock' -n sources 2>/dev/null | grep -q '^\^\* 192.0.2.1 '"
out=$("$B/chronyc" -h "$TMPD/c.sock" -c authdata 2>/dev/null)
echo "  ours authdata after ntpd's restart: $out"

# 6. C saved ntpd's cookies (104 bytes, not chrony's length) at exit and loads them at
#    start: it selects ntpd again without a new NTS-KE session at ntpd.
ke_served() { ntpq -c ntsinfo | sed -n 's/^NTS KE serves good: *//p'; }
before=$(ke_served)
kill $cpid
wait $cpid 2>/dev/null
check "ours-dump-written" sh -c "head -n 1 '$TMPD/cd/192.0.2.1.nts' | grep -qx NNC0"
start_ours c c2.log
cpid=$pid
check "ours-loads-ntpd-cookies-selects" wait_long sh -c "'$B/chronyc' -h '$TMPD/c.sock' -n sources 2>/dev/null | grep -q '^\^\* 192.0.2.1 '"
check "ours-loads-ntpd-cookies-no-ke" sh -c "[ -n \"$before\" ] && [ \"$(ke_served)\" = \"$before\" ]"
echo "  ntpd's NTS-KE sessions served: $before, then $(ke_served)"
alive=1
for p in $spid $npid $cpid; do kill -0 "$p" 2>/dev/null || alive=0; done
check "daemons-alive-after-restarts" [ $alive = 1 ]
grep -E "NTSc: (Using [ps]|Got|certificate invalid)" "$TMPD/n.log" | sed 's/^/  n.log: /'
