#!/bin/sh
# The platform's NTS-KE server (RFC 8915 §4) run by tests/system/nts_ke_server_probe.c: our
# client probe and Debian's chronyd 4.3 as clients, raw requests over TLS (tests/system/
# ntske_req.py) for chrony's error and refusal answers, no or a wrong ALPN, a TLS 1.2-only
# client, the connection limit, the -F 1 system call filter and stopping with sessions open.
. tests/system/lib.sh

CC=${CC:-cc}
CHRONYD=/usr/sbin/chronyd
CHRONYC=/usr/bin/chronyc

if ! command -v openssl >/dev/null || ! command -v python3 >/dev/null; then
    echo "SKIP nts-ke-server: needs openssl and python3"
    exit 0
fi

SERVER_ENV=""
pick_ports 24460
NTS=4460
if [ -z "$IN" ]; then
    NTS=$((P1 + 10))
fi
chmod 700 "$TMPD"
REQ="$IN python3 tests/system/ntske_req.py"

if ! self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost \
    "DNS:localhost,IP:127.0.0.1,IP:::1"; then
    fail "nts-ke-server-certificate"
    exit 1
fi

san=""
if nm "$B/libplatform.a" 2>/dev/null | grep -q __asan; then
    san="-fsanitize=address,undefined"
fi
LIBS="$B/libplatform.a $B/libdaemon.a $B/libcore.a $B/libproto.a $B/libcrypto.a $B/liblib.a"
for p in nts_ke_server_probe nts_ke_probe; do
    if ! $CC -std=gnu11 -D_GNU_SOURCE -O1 -g $san -Isrc -o "$TMPD/$p" tests/system/$p.c $LIBS \
        -lnettle -lgnutls -lseccomp -lm -lpthread; then
        fail "nts-ke-server-build-$p"
        exit 1
    fi
done

listening() { $IN ss -ltn | grep -q ":$1 "; }
# server NAME PORT [probe options]: the server probe in the background, output in NAME.out
server() {
    name=$1
    port=$2
    shift 2
    $IN env $SERVER_ENV "$TMPD/nts_ke_server_probe" $port "$TMPD/cert.pem" "$TMPD/key.pem" "$@" \
        >"$TMPD/$name.out" 2>>"$TMPD/probe.err" &
    eval "PID_$name=$!"
    PIDS="$PIDS $!"
    wait_for listening $port
}
# stop_server NAME: SIGTERM, wait for its final lines
stop_server() {
    eval "pid=\$PID_$1"
    kill -TERM $pid 2>/dev/null
    wait_for grep -q "^stopped-after=" "$TMPD/$1.out"
    sed 's/^/    /' "$TMPD/$1.out"
}
probe() { # HOST ADDR PORT [options]: our client, output in $out
    out=$($IN "$TMPD/nts_ke_probe" "$@" 2>>"$TMPD/probe.err")
    printf '%s\n' "$out" | sed 's/^/    /'
}
has() { printf '%s\n' "$out" | grep -q -- "$1"; }
raw() { # PORT REQUEST_HEX [options]: a raw request, output in $out
    port=$1
    hex=$2
    shift 2
    out=$($REQ 127.0.0.1 $port "$TMPD/cert.pem" "$hex" "$@" 2>&1)
    printf '%s\n' "$out" | cut -c1-100 | sed 's/^/    /'
}

# (a) our client: 8 cookies of 100 bytes (AES-SIV-CMAC-256 server key), 32-byte keys.
server s $NTS --ntp-port $P1
check "nts-ke-server-listening" listening $NTS
NTPP=$P1
[ "$P1" -eq 123 ] && NTPP=0
probe localhost 127.0.0.1 $NTS --cert "$TMPD/cert.pem" --no-system-certs
check "nts-ke-server-our-client" has "^status=0 aead=15 cookies=8 cookie_len=100 key_len=32 server=- port=$NTPP\$"
probe localhost ::1 $NTS --cert "$TMPD/cert.pem" --no-system-certs
check "nts-ke-server-our-client-ipv6" has "^status=0 aead=15 cookies=8 cookie_len=100 key_len=32 "

# Raw requests: chrony's answers (RFC 8915 §4.1.3 error codes 0 and 1, refusals).
GOODREQ=80010002000080040002000f80000000
raw $NTS $GOODREQ --alpn ntske/1
check "nts-ke-server-raw-good" has "^response=80010002000080040002000f00050064"
raw $NTS 00010002000080040002000f80000000 --alpn ntske/1
check "nts-ke-server-protocol-not-critical" has "^response=80020002000180000000\$"
raw $NTS 80010002000080040002000f8123000080000000 --alpn ntske/1
check "nts-ke-server-unknown-critical" has "^response=80020002000080000000\$"
raw $NTS 80010002000080040002000f0123000080000000 --alpn ntske/1
check "nts-ke-server-unknown-noncritical-ignored" has "^response=80010002000080040002000f0005"
raw $NTS 80010002000080040002000f000500040102030480000000 --alpn ntske/1
check "nts-ke-server-cookie-in-request" has "^response=80020002000180000000\$"
raw $NTS 80010002000580000000 --alpn ntske/1
check "nts-ke-server-no-ntpv4" has "^response=8001000080000000\$"
raw $NTS 80010002000080040002006380000000 --alpn ntske/1
check "nts-ke-server-no-common-aead" has "^response=8001000200008004000080000000\$"
raw $NTS 800100020000800400020063000f80000000 --alpn ntske/1
check "nts-ke-server-end-not-last" has "^closed\$"
# A request that never ends (a record longer than the 16 kB buffer): closed unanswered.
raw $NTS "8001000200000123ffff$(printf '%040000d' 0)" --alpn ntske/1
check "nts-ke-server-request-too-long" has "^closed\$"

# (c) no ALPN, a wrong one: the server closes without answering.
raw $NTS $GOODREQ
check "nts-ke-server-no-alpn" has "^closed\$"
raw $NTS $GOODREQ --alpn foo
check "nts-ke-server-wrong-alpn" has "^closed\$"
out=$(timeout 10 $IN openssl s_client -connect 127.0.0.1:$NTS -alpn foo -tls1_3 </dev/null 2>&1)
check "nts-ke-server-openssl-wrong-alpn" has "^No ALPN negotiated"
# (d) TLS 1.2 only: the handshake fails.
raw $NTS $GOODREQ --alpn ntske/1 --tls12
check "nts-ke-server-tls12-refused" has "^handshake-failed"
out=$(timeout 10 $IN openssl s_client -connect 127.0.0.1:$NTS -alpn ntske/1 -tls1_2 </dev/null 2>&1)
check "nts-ke-server-openssl-tls12-refused" has "^no peer certificate available"

# (b) Debian's chronyd 4.3 as an NTS client: its NTS-KE with us gets cookies.
if [ -x $CHRONYD ] && $CHRONYD -v | grep -q '+NTS' && [ -x $CHRONYC ]; then
    $IN $SAFE $CHRONYD -x -d -u root -f /dev/null \
        "server 127.0.0.1 port $P2 nts ntsport $NTS iburst" \
        "ntstrustedcerts $TMPD/cert.pem" "pidfile $TMPD/c.pid" \
        "bindcmdaddress $TMPD/c.sock" "cmdport 0" >"$TMPD/c.log" 2>&1 &
    PIDS="$PIDS $!"
    cookies() { $IN $CHRONYC -h "$TMPD/c.sock" -c authdata 2>/dev/null | awk -F, '$2 == "NTS" && $9 > 0' | grep -q .; }
    check "nts-ke-server-debian-client-cookies" wait_for cookies
    $IN $CHRONYC -h "$TMPD/c.sock" authdata 2>&1 | sed 's/^/    /'
    check "nts-ke-server-debian-client-no-errors" sh -c "! grep -q 'NTS-KE' '$TMPD/c.log'"
    grep 'NTS' "$TMPD/c.log" | sed 's/^/    /'
else
    echo "SKIP nts-ke-server-debian-client: needs $CHRONYD with +NTS"
fi
stop_server s
check "nts-ke-server-counted" grep -q "^accepted=[1-9][0-9]* dropped=0\$" "$TMPD/s.out"

# (e) the connection limit: with 2 sessions open, a third connection is not accepted (ours;
# chrony closes it at once and counts it dropped): it waits in the listen queue and gets its
# session when one ends. Clients that send nothing are closed 1 s after their accept (no
# ClientHello; chrony's 2-second session timeout runs once it has come).
LIM=$((NTS + 1))
server lim $LIM --max 2
$REQ 127.0.0.1 $LIM "$TMPD/cert.pem" "" --hold 5 >"$TMPD/hold1" 2>&1 &
$REQ 127.0.0.1 $LIM "$TMPD/cert.pem" "" --hold 5 >"$TMPD/hold2" 2>&1 &
lim_conns() { [ "$($IN ss -tnH state established "( sport = :$LIM )" | wc -l)" -ge 2 ]; }
wait_for lim_conns
out=$($REQ 127.0.0.1 $LIM "$TMPD/cert.pem" "" --hold 5 2>&1)
printf '%s\n' "$out" | sed 's/^/    /'
check "nts-ke-server-limit-waits" has "^held=[1-4]\.[0-9] eof=1\$"
wait_for sh -c "grep -q held '$TMPD/hold1' && grep -q held '$TMPD/hold2'"
out=$(cat "$TMPD/hold1" "$TMPD/hold2")
printf '%s\n' "$out" | sed 's/^/    /'
check "nts-ke-server-session-timeout" sh -c "[ \$(printf '%s\n' '$out' | grep -c '^held=[12]\.[0-9] eof=1\$') -eq 2 ]"
probe localhost 127.0.0.1 $LIM --cert "$TMPD/cert.pem" --no-system-certs
check "nts-ke-server-limit-recovers" has "^status=0 aead=15 cookies=8 "
stop_server lim
check "nts-ke-server-limit-counted" grep -q "^accepted=4 dropped=0\$" "$TMPD/lim.out"

# Server Negotiation, IPv6 only, and the sessions under -F 1.
F1=$((NTS + 2))
# (LeakSanitizer's ptrace()d helper is denied under -F 1.)
SERVER_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
server f1 $F1 --ntp-port 123 --ntp-server ntp.example --family 6 -F 1
probe localhost ::1 $F1 --cert "$TMPD/cert.pem" --no-system-certs
check "nts-ke-server-scfilter-ntp-server" has "^status=0 aead=15 cookies=8 cookie_len=100 key_len=32 server=ntp.example port=0\$"
check "nts-ke-server-family6-only" sh -c "! $IN ss -ltn | grep -q '127.0.0.1:$F1 \|0.0.0.0:$F1 '"
# Stopping with a session in progress (a silent TCP client): it gives up at once.
$REQ ::1 $F1 "$TMPD/cert.pem" "" --hold 5 >/dev/null 2>&1 &
established() { $IN ss -tnH | grep -q "]:$F1 "; }
wait_for established
stop_server f1
check "nts-ke-server-stop-with-session" grep -q "^stopped-after=0\.[0-4]\$" "$TMPD/f1.out"
check "nts-ke-server-scfilter-alive" grep -q "^accepted=2 dropped=0\$" "$TMPD/f1.out"

# Certificates that cannot be loaded: chrony's message, start() fails.
out=$($IN "$TMPD/nts_ke_server_probe" $((NTS + 3)) /nonexistent.pem "$TMPD/key.pem" --run 1 2>&1)
printf '%s\n' "$out" | sed 's/^/    /'
check "nts-ke-server-bad-cert" has "^start failed: Could not set credentials : "

check "nts-ke-server-no-sanitizer-reports" sh -c "! grep -q 'ERROR: \(Address\|Leak\|Thread\)Sanitizer\|runtime error' '$TMPD/probe.err'"
