#!/bin/sh
# Our chronyd as an NTS-KE server, what limits and shapes it as in chrony: allow/deny applied
# to NTS-KE connections, ntsratelimit per client address, maxntsconnections, the Server
# Negotiation record of ntsntpserver, and the server keys kept in ntsdumpdir/ntskeys
# (chrony's NKS1 file) so that clients' cookies stay valid across a restart (with Debian's
# chronyd -x as the NTS client), bad key files refused, ntsrotate's interplay with the file,
# ntsprocesses (sessions in forked helper processes), and sessions run by the select() loop
# without threads (a stalled client blocks nothing).
. tests/system/lib.sh

CC=${CC:-cc}
if ! command -v openssl >/dev/null || ! command -v python3 >/dev/null; then
    echo "SKIP nts-ke-limits: needs openssl and python3"
    exit 0
fi
pick_ports 26123
KE=4460
[ -z "$IN" ] && KE=$((P1 + 10))
chmod 700 "$TMPD"
if ! self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost \
    "DNS:localhost,IP:127.0.0.1,IP:::1"; then
    fail "nts-ke-limits-certificate"
    exit 1
fi
san=""
if nm "$B/libplatform.a" 2>/dev/null | grep -q __asan; then
    san="-fsanitize=address,undefined"
fi
LIBS="$B/libplatform.a $B/libdaemon.a $B/libcore.a $B/libproto.a $B/libcrypto.a $B/liblib.a"
if ! $CC -std=gnu11 -D_GNU_SOURCE -O1 -g $san -Isrc -o "$TMPD/nts_ke_probe" \
    tests/system/nts_ke_probe.c $LIBS -lnettle -lgnutls -lseccomp -lm -lpthread; then
    fail "nts-ke-limits-build-probe"
    exit 1
fi

DAEMON_ENV=""
DAEMON_OPTS=""
listening() { $IN ss -ltn | grep -q ":$KE "; }
not_listening() { ! listening; }
# start NAME [directive]...: our chronyd serving NTS-KE with these extra directives
start() {
    name=$1
    shift
    cat >"$TMPD/$name.conf" <<CONF
local stratum 1
port $P1
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
cmdport 0
bindcmdaddress $TMPD/$name.sock
pidfile $TMPD/$name.pid
CONF
    printf '%s\n' "$@" >>"$TMPD/$name.conf"
    $IN env $DAEMON_ENV $SAFE "$B/chronyd" -x -d $DAEMON_OPTS -f "$TMPD/$name.conf" \
        >>"$TMPD/$name.log" 2>&1 &
    eval "PID_$name=$!"
    PIDS="$PIDS $!"
    wait_for listening
}
stop() { # stop NAME: SIGTERM, its exit status in $status
    eval "pid=\$PID_$1"
    kill -TERM $pid 2>/dev/null
    wait $pid 2>/dev/null
    status=$?
    wait_for not_listening
}
probe() { # probe ADDR: one NTS-KE session of our client, output in $out
    out=$($IN "$TMPD/nts_ke_probe" localhost "$1" $KE --cert "$TMPD/cert.pem" \
        --no-system-certs 2>>"$TMPD/probe.err")
    printf '%s\n' "$out" | sed 's/^/    /'
}
ok() { printf '%s\n' "$out" | grep -q '^status=0 aead=15 cookies=8 '; }
has() { printf '%s\n' "$out" | grep -q -- "$1"; }
stat_of() { # stat_of NAME LABEL: a serverstats counter
    $IN "$B/chronyc" -h "$TMPD/$1.sock" serverstats | sed -n "s/^$2 *: //p"
}
NTPP=$P1
[ "$P1" -eq 123 ] && NTPP=0

# 1. allow/deny on NTS-KE connections, and the Server Negotiation record.
start a "allow" "deny ::1" "ntsntpserver ntp.example"
probe 127.0.0.1
check "nts-ke-allowed-served" has "^status=0 aead=15 cookies=8 cookie_len=100 key_len=32 server=ntp.example port=$NTPP\$"
probe ::1
check "nts-ke-denied-no-key-exchange" sh -c "! printf '%s\n' '$out' | grep -q '^status=0'"
out=$($IN python3 tests/system/ntske_req.py ::1 $KE "$TMPD/cert.pem" 80010002000080040002000f80000000 --alpn ntske/1 2>&1)
printf '%s\n' "$out" | sed 's/^/    /'
check "nts-ke-denied-closed" has "^handshake-failed"
check "nts-ke-denied-not-counted" [ "$(stat_of a "NTS-KE connections accepted")" = 1 ]
check "nts-ke-no-dumpdir-warning" grep -q "No ntsdumpdir to save server keys" "$TMPD/a.log"
stop a

# 2. ntsratelimit: after a burst of 2 from ::1, connections are refused, except those let
#    through at random by the leak (chrony lets at least one in 2 through: leak 0 counts as
#    1), so 2 + 22 attempts are all served with a chance of 2^-22; 127.0.0.1 is still served.
start r "allow" "ntsratelimit interval 10 burst 2 leak 0"
n_ok=0
seq=""
for i in $(seq 24); do
    out=$($IN "$TMPD/nts_ke_probe" localhost ::1 $KE --cert "$TMPD/cert.pem" \
        --no-system-certs 2>>"$TMPD/probe.err")
    if ok; then
        n_ok=$((n_ok + 1))
        seq="${seq}+"
    else
        seq="${seq}-"
    fi
done
echo "    sessions from ::1 (+ served, - refused): $seq"
check "nts-ke-ratelimit-burst-served" [ "$(printf %.2s "$seq")" = "++" ]
check "nts-ke-ratelimit-beyond-burst-refused" [ $n_ok -lt 24 ]
probe 127.0.0.1
check "nts-ke-ratelimit-other-client-served" ok
dropped=$(stat_of r "NTS-KE connections dropped")
accepted=$(stat_of r "NTS-KE connections accepted")
echo "    serverstats: accepted $accepted dropped $dropped"
check "nts-ke-ratelimit-counted" [ "$dropped" = $((24 - n_ok)) -a "$accepted" = 25 ]
out=$($IN "$B/chronyc" -h "$TMPD/r.sock" -c -n clients -k 2>&1)
printf '%s\n' "$out" | sed 's/^/    /'
check "nts-ke-ratelimit-clients" has "^::1,0,0,[^,]*,[^,]*,[^,]*,24,$dropped,"
stop r

# 3. maxntsconnections 1: while the one session is taken the daemon accepts no connection
#    (ours; chrony accepts and closes it): a second one waits in the listen queue, is
#    accepted when the first session ends, and a key exchange queued so is served. A client
#    that sends nothing is closed 1 s after its accept (no ClientHello).
start m "allow" "maxntsconnections 1"
eval "mpid=\$PID_m"
REQ="$IN python3 tests/system/ntske_req.py"
m_socks() { ls -l /proc/$mpid/fd 2>/dev/null | grep -c 'socket:'; }
m_base=$(m_socks)
m_sessions() { echo $(($(m_socks) - m_base)); }
ke_conns() { $IN ss -tnH state established "( sport = :$KE )" | wc -l; }
no_conns() { [ "$(ke_conns)" = 0 ]; }
n_hold=0
hold_start() { # a plain TCP client that sends nothing; its result in $hf
    n_hold=$((n_hold + 1))
    hf="$TMPD/hold$n_hold"
    $REQ 127.0.0.1 $KE "$TMPD/cert.pem" "" --hold 5 >"$hf" 2>&1 &
    PIDS="$PIDS $!"
}
until_true() { # until_true COMMAND...: up to 5 s (not wait_for: this runs inside retry)
    n_wait=0
    while ! "$@" && [ $n_wait -lt 50 ]; do
        sleep 0.1
        n_wait=$((n_wait + 1))
    done
    "$@"
}
one_session() { [ "$(m_sessions)" = 1 ]; }
two_conns() { [ "$(ke_conns)" -ge 2 ]; }
queued_behind() { # a second connection waits while the first holds the session
    until_true no_conns || return 1
    hold_start
    h1=$hf
    until_true one_session || return 1
    hold_start
    h2=$hf
    until_true two_conns && [ "$(ke_conns)" = 2 ] && one_session && [ ! -s "$h1" ]
}
check "nts-ke-maxconnections-queued" retry 5 0.2 queued_behind
wait_for grep -q held "$h1"
wait_for grep -q held "$h2"
sed 's/^/    first: /' "$h1"
sed 's/^/    second: /' "$h2"
check "nts-ke-maxconnections-session-kept" grep -q "^held=[1-4]\.[0-9] eof=1\$" "$h1"
# accepted only after the first session, then given its own second: not refused at once
check "nts-ke-maxconnections-second-waited" grep -q "^held=[1-4]\.[0-9] eof=1\$" "$h2"
wait_for no_conns
hold_start
wait_for one_session
probe 127.0.0.1
check "nts-ke-maxconnections-queued-served" ok
wait_for grep -q held "$hf"
probe 127.0.0.1
check "nts-ke-maxconnections-recovers" ok
stop m

# 3b. Sessions run in the daemon's select() loop, no thread: a client that sends half a TLS
#     ClientHello and waits holds only its own session. While one holds it, the daemon has
#     one thread, answers chronyc and NTP and completes a key exchange (each with a new
#     staller, and only counted if the staller's session was still open when it was done);
#     the staller is closed 1 s after the accept (its ClientHello never completes), a
#     garbage client at once.
obj="$B/obj/platform/nts_ke_server.o"
check "nts-ke-server-object-present" test -s "$obj"
check "nts-ke-server-no-pthread" sh -c "! nm -u '$obj' | grep -q pthread"
n_stall=0
stall_start() { # stall_start [--garbage]: a new stalled client of 127.0.0.1, state in $sf
    n_stall=$((n_stall + 1))
    sf="$TMPD/stall$n_stall"
    $IN python3 tests/system/ntske_stall.py 127.0.0.1 $KE "$sf" "$@" >/dev/null 2>&1 &
    PIDS="$PIDS $!"
    # (not wait_for: this runs inside retry, whose counter is global)
    n_wait=0
    while [ ! -s "$sf" ] && [ $n_wait -lt 100 ]; do
        sleep 0.1
        n_wait=$((n_wait + 1))
    done
    [ -s "$sf" ]
}
still_open() { [ "$(cat "$1")" = sent ]; }
while_stalled() { # COMMAND...: COMMAND succeeds while a new staller's session is open
    stall_start || return 1
    "$@" && still_open "$sf"
}
one_thread() { [ "$(ls /proc/$1/task | wc -l)" -eq 1 ]; }
l_chronyc() { $IN "$B/chronyc" -h "$TMPD/l.sock" tracking | grep -q '^Reference ID'; }
ntp_ok() { $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 | grep -q 'mode=4'; }
ke_ok() { probe 127.0.0.1 && ok; }
start l "allow"
eval "lpid=\$PID_l"
stall_start
echo "    threads with a stalled session: $(ls /proc/$lpid/task | wc -l)"
check "nts-ke-stalled-one-thread" retry 5 0.2 while_stalled one_thread $lpid
check "nts-ke-stalled-chronyc-answered" retry 5 0.2 while_stalled l_chronyc
check "nts-ke-stalled-ntp-answered" retry 5 0.2 while_stalled ntp_ok
check "nts-ke-stalled-key-exchange" retry 5 0.2 while_stalled ke_ok
closed() { grep -q '^eof=' "$1"; }
check "nts-ke-stalled-closed-at-timeout" wait_for closed "$sf"
echo "    staller: $(cat "$sf")"
check "nts-ke-stalled-closed-in-time" sh -c "sed -n 's/^eof=//p' '$sf' | awk '{ exit !(\$1 < 5) }'"
# A client whose whole ClientHello came has chrony's 2 s session before it is closed (one
# that sent only part of it is closed 1 s after the accept).
stall_start --hello
check "nts-ke-hello-stalled-closed" wait_for closed "$sf"
echo "    staller after a whole ClientHello: $(cat "$sf")"
check "nts-ke-hello-stalled-session-timeout" sh -c "sed -n 's/^eof=//p' '$sf' | awk '{ exit !(\$1 >= 1.5 && \$1 < 5) }'"
stall_start --garbage
check "nts-ke-garbage-closed" wait_for closed "$sf"
echo "    garbage client: $(cat "$sf")"
probe 127.0.0.1
check "nts-ke-stalled-daemon-serves" ok
check "nts-ke-stalled-still-one-thread" one_thread $lpid
stop l
check "nts-ke-stalled-clean-exit" [ "$status" = 0 ]

# 4. Server keys in ntsdumpdir: chrony's file, owner-only, reloaded at start.
D="$TMPD/ntsdump"
keyfile_ok() {
    [ "$(sed -n 1p "$D/ntskeys")" = NKS1 ] &&
        sed -n 2p "$D/ntskeys" | grep -Eq '^[0-9]+\.[0-9]$' &&
        [ "$(sed -n '3,$p' "$D/ntskeys" | grep -Ec '^[0-9A-F]{8} [0-9A-F]{64} 15$')" = 4 ] &&
        [ "$(wc -l <"$D/ntskeys")" = 6 ]
}
keys_of() { sed -n '3,$p' "$D/ntskeys"; }
start k "allow" "ntsdumpdir $D"
check "nts-keys-saved-at-start" keyfile_ok
check "nts-keys-owner-only" [ "$(stat -c %a "$D/ntskeys")" = 600 ]
check "nts-keys-dir-as-chrony" [ "$(stat -c %a "$D")" = 750 ]
keys1=$(keys_of)
if [ -x /usr/sbin/chronyd ] && /usr/sbin/chronyd -v | grep -q '+NTS'; then
    cat >"$TMPD/c.conf" <<CONF
server 127.0.0.1 port $P1 ntsport $KE nts iburst minpoll 1 maxpoll 1
ntstrustedcerts $TMPD/cert.pem
nosystemcert
cmdport 0
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
CONF
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
    cpid=$!
    PIDS="$PIDS $cpid"
    check "nts-keys-debian-client-synchronised" wait_long selected c
    stop k
    check "nts-keys-same-after-stop" [ "$(keys_of)" = "$keys1" ]
    start k "allow" "ntsdumpdir $D"
    check "nts-keys-loaded-logged" grep -q "Loaded server NTS keys" "$TMPD/k.log"
    auth_rising() { [ "${1:-0}" -ge 3 ] 2>/dev/null; }
    authn() { auth_rising "$(stat_of k "Authenticated NTP packets")"; }
    check "nts-keys-old-cookies-accepted" wait_long authn
    check "nts-keys-no-new-ke" [ "$(stat_of k "NTS-KE connections accepted")" = 0 ]
    out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -c authdata 2>/dev/null)
    echo "    debian authdata: $out"
    check "nts-keys-client-same-ke" has '^127.0.0.1,NTS,1,15,'
    check "nts-keys-client-no-nak" sh -c "! grep -q 'NTS-KE\|NAK' '$TMPD/c.log'"
    kill $cpid
    wait $cpid 2>/dev/null
else
    echo "SKIP nts-keys-debian-client: needs /usr/sbin/chronyd with +NTS"
fi
stop k
check "nts-keys-kept-across-restart" [ "$(keys_of)" = "$keys1" ]

# ntsrotate: a file whose current key is older than ntsrotate is rotated at once (the next
# key becomes the current one, a new next key is saved).
sed -i '2s/.*/1000.0/' "$D/ntskeys"
rotated() { [ "$(keys_of | sed -n 1,3p)" = "$(printf '%s\n' "$keys1" | sed -n 2,4p)" ]; }
start k "allow" "ntsdumpdir $D" "ntsrotate 100"
check "nts-keys-rotated-when-due" wait_for rotated
check "nts-keys-rotated-age" sh -c "sed -n 2p '$D/ntskeys' | grep -Eq '^[0-9]\.[0-9]\$'"
probe 127.0.0.1
check "nts-keys-rotated-served" ok
stop k

# A bad file: chrony's message, new keys are made and saved in its place.
printf 'NKS1\n0.0\n0123 zz 15\n' >"$D/ntskeys"
start k "allow" "ntsdumpdir $D"
check "nts-keys-bad-file-logged" grep -q "Could not load server NTS keys" "$TMPD/k.log"
probe 127.0.0.1
check "nts-keys-bad-file-served" ok
check "nts-keys-bad-file-replaced" keyfile_ok
# chronyc dump writes the keys too (chrony's dump command).
cp "$D/ntskeys" "$TMPD/valid-ntskeys"
rm -f "$D/ntskeys"
$IN "$B/chronyc" -h "$TMPD/k.sock" dump >/dev/null
check "nts-keys-dump-command" keyfile_ok
stop k

# ntsrotate 0 leaves the keys to an external manager: nothing is saved, and chronyc rekey
# loads the file that manager put there.
rm -f "$D/ntskeys" "$TMPD/k.log"
start k "allow" "ntsdumpdir $D" "ntsrotate 0"
probe 127.0.0.1
$IN "$B/chronyc" -h "$TMPD/k.sock" dump >/dev/null
check "nts-keys-rotate0-not-saved" [ ! -e "$D/ntskeys" ]
check "nts-keys-rotate0-nothing-loaded" sh -c "! grep -q 'server NTS keys' '$TMPD/k.log'"
cp "$TMPD/valid-ntskeys" "$D/ntskeys"
$IN "$B/chronyc" -h "$TMPD/k.sock" rekey >/dev/null
check "nts-keys-rotate0-rekey-loads" grep -q "Loaded server NTS keys" "$TMPD/k.log"
probe 127.0.0.1
check "nts-keys-rotate0-served" ok
stop k
check "nts-keys-rotate0-file-untouched" cmp -s "$TMPD/valid-ntskeys" "$D/ntskeys"
sed 's/^/    k.log: /' "$TMPD/k.log" | tail -n 4

# 4b. chrony's own file: Debian's chronyd 4.3 serving NTS saves its keys (NKS0) at exit; our
#     server started on that ntsdumpdir loads them, and a Debian client holding cookies of
#     Debian's server keeps using them with ours (no new NTS-KE).
D2="$TMPD/ntsdump2"
if [ -x /usr/sbin/chronyd ] && /usr/sbin/chronyd -v | grep -q '+NTS'; then
    cat >"$TMPD/ds.conf" <<CONF
local stratum 1
allow
port $P1
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
ntsdumpdir $D2
cmdport 0
bindcmdaddress $TMPD/ds.sock
pidfile $TMPD/ds.pid
CONF
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/ds.conf" >"$TMPD/ds.log" 2>&1 &
    dspid=$!
    PIDS="$PIDS $dspid"
    wait_for listening
    sed 's/\.sock/2.sock/; s/c\.pid/c2.pid/' "$TMPD/c.conf" >"$TMPD/c2.conf"
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/c2.conf" >"$TMPD/c2.log" 2>&1 &
    cpid=$!
    PIDS="$PIDS $cpid"
    check "nts-keys-debian-server-client-synchronised" wait_long selected c2
    kill $dspid
    wait $dspid 2>/dev/null
    wait_for not_listening
    check "nts-keys-debian-file-nks0" [ "$(sed -n 1p "$D2/ntskeys")" = NKS0 ]
    dkeys=$(sed -n '3,$p' "$D2/ntskeys")
    rm -f "$TMPD/k.log"
    start k "allow" "ntsdumpdir $D2"
    check "nts-keys-debian-file-loaded" grep -q "Loaded server NTS keys" "$TMPD/k.log"
    check "nts-keys-debian-cookies-accepted" wait_long authn
    check "nts-keys-debian-cookies-no-new-ke" [ "$(stat_of k "NTS-KE connections accepted")" = 0 ]
    out=$($IN "$B/chronyc" -h "$TMPD/c2.sock" -c authdata 2>/dev/null)
    echo "    debian authdata: $out"
    check "nts-keys-debian-client-same-ke" has '^127.0.0.1,NTS,1,15,'
    kill $cpid
    wait $cpid 2>/dev/null
    stop k
    check "nts-keys-debian-keys-saved-nks1" sh -c "[ \"\$(sed -n 1p '$D2/ntskeys')\" = NKS1 ] && [ \"\$(sed -n '3,\$p' '$D2/ntskeys' | cut -d' ' -f1,2)\" = '$dkeys' ]"
else
    echo "SKIP nts-keys-debian-server: needs /usr/sbin/chronyd with +NTS"
fi

# 5. ntsprocesses 2: two helper processes (forked before the -F 1 filter, which each applies
#    itself) run the sessions on connections passed by the main process with its current
#    server key: their cookies open in the main process's NTP server; the helpers end with
#    the daemon, which exits cleanly under the filter.
# (LeakSanitizer's ptrace()d helper is denied under -F 1.)
DAEMON_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
DAEMON_OPTS="-F 1"
start p "allow" "ntsprocesses 2"
eval "ppid=\$PID_p"
helpers() { [ "$(pgrep -c -P $ppid)" = 2 ]; }
check "nts-ke-processes-helpers" wait_for helpers
for i in 1 2 3; do
    out=$($IN "$TMPD/nts_ke_probe" localhost 127.0.0.1 $KE --cert "$TMPD/cert.pem" \
        --no-system-certs --ntp $P1 2>>"$TMPD/probe.err")
    printf '%s\n' "$out" | sed 's/^/    /'
    check "nts-ke-processes-served-$i" sh -c "printf '%s\n' '$out' | grep -q '^ntp=ok'"
done
n=$(stat_of p "NTS-KE connections accepted")
echo "    NTS-KE connections accepted: $n"
check "nts-ke-processes-counted" [ "$n" = 3 ]
# The helpers step their sessions in their own select() loops: with a stalled client on each
# (connections go round robin), each helper has one thread and a key exchange passes.
helpers_one_thread() { for h in $(pgrep -P $ppid); do one_thread $h || return 1; done; }
stalled_helpers() {
    stall_start || return 1
    s1=$sf
    stall_start || return 1
    helpers_one_thread && ke_ok && still_open "$s1" && still_open "$sf"
}
check "nts-ke-processes-stalled-one-thread-served" retry 5 0.2 stalled_helpers
stop p
check "nts-ke-processes-clean-exit" [ "$status" = 0 ]
helpers_gone() { ! pgrep -f "chronyd -x -d -F 1 -f $TMPD/p.conf" >/dev/null; }
check "nts-ke-processes-helpers-gone" wait_for helpers_gone

check "nts-ke-limits-no-sanitizer-reports" sh -c "! cat '$TMPD'/*.log '$TMPD/probe.err' | grep -q 'ERROR: \(Address\|Leak\|Thread\)Sanitizer\|runtime error'"
