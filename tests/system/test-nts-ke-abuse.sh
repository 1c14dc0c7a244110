#!/bin/sh
# NTS-KE under abuse: reconnecting attackers from other addresses hold every one of the
# maxntsconnections sessions (each sends half a TLS ClientHello and stalls until the server
# closes it, then connects again at once). Meanwhile the NTP service and chronyc are
# answered, the attackers' connections are closed by the server (refused when the sessions
# are full, or at the session timeout), the daemon stays up and serves NTS-KE again once
# they stop. A legitimate NTS-KE client (127.0.0.1) tries 10 key exchanges during the flood;
# the count it gets is printed, not asserted: like chrony (which refuses a connection when
# all sessions are taken), it gets the exchanges that find a free session. With
# CHRONYD=/usr/sbin/chronyd CHRONYD_OPTS="-u root" the same runs against Debian's chronyd.
. tests/system/lib.sh

CC=${CC:-cc}
CHRONYD=${CHRONYD:-$B/chronyd}
if ! command -v openssl >/dev/null || ! command -v python3 >/dev/null; then
    echo "SKIP nts-ke-abuse: needs openssl and python3"
    exit 0
fi
if ! make_netns; then
    echo "SKIP nts-ke-abuse: needs a network namespace (attackers use 127.0.0.10 and up)"
    exit 0
fi
P1=123
KE=4460
chmod 700 "$TMPD"
self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost "DNS:localhost,IP:127.0.0.1" ||
    { fail "nts-ke-abuse-certificate"; exit 1; }
san=""
nm "$B/libplatform.a" 2>/dev/null | grep -q __asan && san="-fsanitize=address,undefined"
LIBS="$B/libplatform.a $B/libdaemon.a $B/libcore.a $B/libproto.a $B/libcrypto.a $B/liblib.a"
$CC -std=gnu11 -D_GNU_SOURCE -O1 -g $san -Isrc -o "$TMPD/nts_ke_probe" \
    tests/system/nts_ke_probe.c $LIBS -lnettle -lgnutls -lseccomp -lm -lpthread ||
    { fail "nts-ke-abuse-build-probe"; exit 1; }

MAXC=${MAXC:-4}
ATTACKERS=${ATTACKERS:-8}
cat >"$TMPD/s.conf" <<CONF
local stratum 1
allow
port $P1
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
maxntsconnections $MAXC
cmdport 0
bindcmdaddress $TMPD/s.sock
pidfile $TMPD/s.pid
CONF
$IN $SAFE "$CHRONYD" -x -d ${CHRONYD_OPTS:-} -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
SPID=$!
PIDS="$PIDS $!"
listening() { $IN ss -ltn | grep -q ":$KE "; }
check "nts-ke-abuse-server-starts" wait_for listening
mem0=$(sed -n 's/^VmRSS:[[:space:]]*//p' /proc/$SPID/status 2>/dev/null)

$IN python3 tests/system/ntske_flood.py 127.0.0.1 $KE $ATTACKERS ${FLOOD_S:-10} "$TMPD/flood" \
    >"$TMPD/flood.log" 2>&1 &
FPID=$!
PIDS="$PIDS $!"
flood_up() { [ "$(cat "$TMPD/flood" 2>/dev/null)" = up ]; }
check "nts-ke-abuse-attackers-connected" wait_for flood_up
full() { [ "$($IN ss -tnH state established "( sport = :$KE )" | wc -l)" -ge "$MAXC" ]; }
check "nts-ke-abuse-sessions-held" wait_for full

ntp_ok() { $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 | grep -q 'mode=4 stratum=1'; }
check "nts-ke-abuse-ntp-answered" wait_for ntp_ok
cmd_ok() { $IN "$B/chronyc" -h "$TMPD/s.sock" serverstats | grep -q '^NTS-KE connections'; }
[ "$CHRONYD" = "$B/chronyd" ] && check "nts-ke-abuse-chronyc-answered" wait_for cmd_ok

got=0
for i in $(seq 10); do
    out=$($IN "$TMPD/nts_ke_probe" localhost 127.0.0.1 $KE --cert "$TMPD/cert.pem" \
        --no-system-certs 2>>"$TMPD/probe.err")
    if printf '%s\n' "$out" | grep -q '^status=0 aead=15 cookies=8 '; then
        got=$((got + 1))
    fi
done
echo "    legitimate client: $got of 10 key exchanges during the flood ($ATTACKERS attackers, maxntsconnections $MAXC)"
check "nts-ke-abuse-ntp-still-answered" ntp_ok
# The flood ends by itself; every attacker connection was closed by the server.
wait $FPID
echo "    attackers: $(cat "$TMPD/flood")"
closed=$(sed -n 's/.*closed=\([0-9]*\).*/\1/p' "$TMPD/flood")
check "nts-ke-abuse-attackers-closed-by-server" [ "${closed:-0}" -ge "$ATTACKERS" ]
check "nts-ke-abuse-daemon-alive" kill -0 $SPID
echo "    daemon memory before the flood: VmRSS $mem0; after: $(grep -E '^Vm(HWM|RSS)' /proc/$SPID/status 2>/dev/null | tr -s ' \t\n' ' ')"
served() { $IN "$TMPD/nts_ke_probe" localhost 127.0.0.1 $KE --cert "$TMPD/cert.pem" \
    --no-system-certs 2>>"$TMPD/probe.err" | grep -q '^status=0 aead=15 cookies=8 '; }
check "nts-ke-abuse-served-after-flood" wait_for served
if [ -n "${VERBOSE:-}" ]; then
    sed "s/^/    /" "$TMPD/s.log" "$TMPD/probe.err" | tail -n 20
fi
