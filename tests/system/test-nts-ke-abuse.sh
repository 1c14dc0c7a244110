#!/bin/sh
# NTS-KE under abuse: reconnecting attackers from more addresses than there are sessions
# keep every one of the maxntsconnections sessions taken (each sends half a TLS ClientHello
# and stalls until the server closes it, then connects again at once). Meanwhile the NTP
# service and chronyc are answered, and a legitimate NTS-KE client (127.0.0.1) gets its key
# exchanges: while the sessions are all taken the daemon stops accepting, so connections wait
# in the listen queue in arrival order and the client's turn comes after the attackers that
# connected before it; a client that has not sent its whole ClientHello 1 s after the accept
# is closed then. The daemon never holds more than maxntsconnections sessions (counted from
# its descriptors), every attacker connection is closed by the server, and the daemon serves
# NTS-KE again once the flood stops. With CHRONYD=/usr/sbin/chronyd CHRONYD_OPTS="-u root"
# the same runs against Debian's chronyd (which refuses connections while the sessions are
# taken: the count of exchanges is then only printed).
# The same flood runs against ntsprocesses 2 (sessions in two helper processes, 16
# attackers for their 8 sessions).
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
ntp_ok() { $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 | grep -q 'mode=4 stratum=1'; }
cmd_ok() { $IN "$B/chronyc" -h "$TMPD/$T.sock" serverstats | grep -q '^NTS-KE connections'; }
listening() { $IN ss -ltn | grep -q ":$KE "; }
not_listening() { ! listening; }
ke_ok() { printf '%s\n' "$out" | grep -q '^status=0 aead=15 cookies=8 '; }
probe() {
    out=$($IN "$TMPD/nts_ke_probe" localhost 127.0.0.1 $KE --cert "$TMPD/cert.pem" \
        --no-system-certs 2>>"$TMPD/probe.err")
}
served() { probe && ke_ok; }
# The sockets of the daemon and its helper processes.
nsocks() {
    for p in $SPID $(pgrep -P $SPID); do ls -l /proc/$p/fd 2>/dev/null; done | grep -c 'socket:'
}
helpers_up() { [ "$(pgrep -P $SPID | wc -l)" -ge "$PROCS" ]; }

# flood_run TAG PROCS ATTACKERS EXCHANGES: a daemon with ntsprocesses PROCS (0: none), a
# flood from ATTACKERS addresses, EXCHANGES key exchanges of the legitimate client in it.
flood_run() {
    T=$1
    PROCS=$2
    ATTACKERS=$3
    EXCHANGES=$4
    sessions=$((MAXC * (PROCS > 1 ? PROCS : 1)))
    cat >"$TMPD/$T.conf" <<CONF
local stratum 1
allow
port $P1
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
maxntsconnections $MAXC
cmdport 0
bindcmdaddress $TMPD/$T.sock
pidfile $TMPD/$T.pid
CONF
    [ "$PROCS" -gt 1 ] && echo "ntsprocesses $PROCS" >>"$TMPD/$T.conf"
    # (ASan's quarantine of freed memory would grow the RSS with every key exchange)
    $IN env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" $SAFE "$CHRONYD" \
        -x -d ${CHRONYD_OPTS:-} -f "$TMPD/$T.conf" >"$TMPD/$T.log" 2>&1 &
    SPID=$!
    PIDS="$PIDS $!"
    check "$T-server-starts" wait_for listening
    [ "$PROCS" -gt 1 ] && check "$T-helpers-started" wait_for helpers_up
    rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$SPID/status 2>/dev/null; }
    mem0=$(rss)

    # The sockets before the flood; during it, those beyond are sessions.
    base=$(nsocks)
    rm -f "$TMPD/flood" "$TMPD/flood.stop"
    $IN python3 tests/system/ntske_flood.py 127.0.0.1 $KE $ATTACKERS ${FLOOD_S:-120} \
        "$TMPD/flood" ${FLOOD_HELLO:+--hello} >"$TMPD/flood.log" 2>&1 &
    FPID=$!
    PIDS="$PIDS $!"
    flood_up() { [ "$(cat "$TMPD/flood" 2>/dev/null)" = up ]; }
    check "$T-attackers-connected" wait_for flood_up
    # Every session taken by the attackers (the legitimate client is not running now).
    held() { [ $(($(nsocks) - base)) -ge "$sessions" ]; }
    check "$T-sessions-held" wait_for held
    # The sessions held, sampled until the flood stops.
    (while [ ! -e "$TMPD/flood.stop" ]; do
        echo $(($(nsocks) - base))
        sleep 0.05
    done >"$TMPD/sessions") &
    PIDS="$PIDS $!"

    check "$T-ntp-answered" wait_for ntp_ok
    [ "$CHRONYD" = "$B/chronyd" ] && check "$T-chronyc-answered" wait_for cmd_ok

    got=0
    held_before=0
    times=""
    for n in $(seq $EXCHANGES); do
        wait_for held && held_before=$((held_before + 1))
        t0=$(date +%s.%N)
        probe
        times="$times $(echo "$(date +%s.%N) - $t0" | bc)"
        ke_ok && got=$((got + 1))
    done
    echo "    legitimate client: $got of $EXCHANGES key exchanges during the flood ($ATTACKERS attackers, $sessions sessions; every session was taken before $held_before of them)"
    echo "    seconds per exchange:$times"
    check "$T-sessions-taken-before-exchanges" [ $held_before = $EXCHANGES ]
    [ "$CHRONYD" = "$B/chronyd" ] &&
        check "$T-legitimate-client-served" [ $got -ge $((EXCHANGES * 8 / 10)) ]
    check "$T-ntp-still-answered" ntp_ok
    # The flood stops; every attacker connection was closed by the server.
    touch "$TMPD/flood.stop"
    wait $FPID
    most=$(sort -n "$TMPD/sessions" | tail -n 1)
    echo "    sessions held during the flood: at most ${most:-?} ($(wc -l <"$TMPD/sessions") samples)"
    [ "$CHRONYD" = "$B/chronyd" ] && check "$T-sessions-bounded" [ "${most:-99}" -le "$sessions" ]
    echo "    attackers: $(cat "$TMPD/flood")"
    closed=$(sed -n 's/.*closed=\([0-9]*\).*/\1/p' "$TMPD/flood")
    check "$T-attackers-closed-by-server" [ "${closed:-0}" -ge "$ATTACKERS" ]
    check "$T-daemon-alive" kill -0 $SPID
    mem1=$(rss)
    echo "    daemon memory before the flood: VmRSS $mem0 kB; after: $mem1 kB"
    # a bound far above what the sessions use, far below what keeping the connections would
    [ "$CHRONYD" = "$B/chronyd" ] &&
        check "$T-memory-bounded" [ $((${mem1:-999999} - ${mem0:-0})) -lt 16384 ]
    check "$T-served-after-flood" wait_for served
    if [ -n "${VERBOSE:-}" ]; then
        sed "s/^/    /" "$TMPD/$T.log" "$TMPD/probe.err" | tail -n 20
    fi
    # A clean exit: under the sanitizers, with no leak reported.
    kill -TERM $SPID
    wait $SPID
    status=$?
    check "$T-clean-exit" [ "$status" = 0 ]
    check "$T-no-sanitizer-reports" sh -c "! grep -q 'Sanitizer' '$TMPD/$T.log'"
    wait_for not_listening
}

flood_run nts-ke-abuse 0 ${ATTACKERS:-8} 10
[ "$CHRONYD" = "$B/chronyd" ] && flood_run nts-ke-abuse-processes 2 16 5
exit 0
