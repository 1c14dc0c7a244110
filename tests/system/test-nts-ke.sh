#!/bin/sh
# The platform's NTS-KE client (RFC 8915 §4) against Debian's chronyd 4.3 as the NTS-KE
# server (it only serves: -x, no CAP_SYS_TIME), through tests/system/nts_ke_probe.c: a good
# exchange whose keys then authenticate an NTS NTP request, certificate failures (wrong
# name, untrusted, expired), refused connection, timeout, a server without ALPN ntske/1,
# malformed responses (openssl s_server), and the exchange under the -F 1 system call filter.
. tests/system/lib.sh

CC=${CC:-cc}
CHRONYD=/usr/sbin/chronyd

if [ ! -x $CHRONYD ] || ! $CHRONYD -v | grep -q '+NTS' || ! command -v openssl >/dev/null; then
    echo "SKIP nts-ke: needs $CHRONYD with +NTS and openssl"
    exit 0
fi

pick_ports 14460
NTS=4460
OLD_NTS=4461
if [ -z "$IN" ]; then
    NTS=$((P1 + 10))
    OLD_NTS=$((P1 + 11))
fi
REFUSED=$((NTS + 20))
chmod 700 "$TMPD"

# Self-signed certificates for localhost: a current one, and one that expired in 2020.
cert() { # NAME: key and request
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$TMPD/$1-key.pem" -out "$TMPD/$1.csr" -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" 2>/dev/null
}
mkdir -p "$TMPD/ca" "$TMPD/certdir"
: >"$TMPD/ca/index.txt"
cat >"$TMPD/ca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
dir = $TMPD/ca
database = $TMPD/ca/index.txt
serial = $TMPD/ca/serial
new_certs_dir = $TMPD/ca
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
CNF
echo 01 >"$TMPD/ca/serial"
signed() { # NAME START END
    openssl ca -batch -config "$TMPD/ca/ca.cnf" -selfsign -keyfile "$TMPD/$1-key.pem" \
        -in "$TMPD/$1.csr" -out "$TMPD/$1.pem" -startdate "$2" -enddate "$3" -notext \
        >/dev/null 2>&1
}
if ! cert good || ! cert old || ! signed good 20200101000000Z 20991231000000Z ||
    ! signed old 20200101000000Z 20200102000000Z; then
    fail "nts-ke-certificates"
    exit 1
fi
cp "$TMPD/good.pem" "$TMPD/certdir/"

# The probe links the platform layer of $B (sanitized or not, like $B).
san=""
if nm "$B/libplatform.a" 2>/dev/null | grep -q __asan; then
    san="-fsanitize=address,undefined"
fi
if ! $CC -std=gnu11 -D_GNU_SOURCE -O1 -g $san -Isrc -o "$TMPD/probe" \
    tests/system/nts_ke_probe.c "$B/libplatform.a" "$B/libdaemon.a" "$B/libcore.a" \
    "$B/libproto.a" "$B/libcrypto.a" "$B/liblib.a" -lnettle -lgnutls -lseccomp -lm -lpthread; then
    fail "nts-ke-build-probe"
    exit 1
fi

server() { # NAME NTSPORT NTPPORT CERT
    cat >"$TMPD/$1.conf" <<CONF
ntsserverkey $TMPD/$4-key.pem
ntsservercert $TMPD/$4.pem
ntsport $2
ntsdumpdir $TMPD/$1
port $3
cmdport 0
bindcmdaddress /
pidfile $TMPD/$1.pid
allow
local stratum 1
CONF
    mkdir -p "$TMPD/$1"
    $IN $SAFE $CHRONYD -x -d -u root -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    PIDS="$PIDS $!"
}
server s $NTS $P1 good
server old $OLD_NTS 0 old
listening() { $IN ss -ltn | grep -q ":$1 "; }
check "nts-ke-server-listening" wait_for listening $NTS
wait_for listening $OLD_NTS

probe() { # HOST ADDR PORT [options]: runs the probe, output in $out
    out=$($IN "$TMPD/probe" "$@" 2>>"$TMPD/probe.err")
    printf '%s\n' "$out" | sed 's/^/    /'
}
has() { printf '%s\n' "$out" | grep -q -- "$1"; }
# chronyd sends an NTPv4 Port Negotiation record only for a port other than 123.
NTPP=$P1
[ "$P1" -eq 123 ] && NTPP=0
GOOD="status=0 aead=15 cookies=8 cookie_len=[0-9]* key_len=32 server=- port=$NTPP"

probe localhost 127.0.0.1 $NTS --cert "$TMPD/good.pem" --ntp $P1
check "nts-ke-good-exchange" has "^$GOOD\$"
check "nts-ke-keys-authenticate-ntp" has "^ntp=ok new_cookies=1"

probe 127.0.0.1 127.0.0.1 $NTS --cert "$TMPD/good.pem" --no-system-certs
check "nts-ke-numeric-host-ip-san" has "^$GOOD\$"

probe localhost ::1 $NTS --cert "$TMPD/certdir" --no-system-certs
check "nts-ke-ipv6-trusted-dir" has "^$GOOD\$"

probe wrong.example 127.0.0.1 $NTS --cert "$TMPD/good.pem"
check "nts-ke-wrong-name" has "^status=1 error=TLS handshake with 127.0.0.1:$NTS (wrong.example) failed : Error in the certificate verification. The certificate is NOT trusted. The name"

probe localhost 127.0.0.1 $NTS
check "nts-ke-untrusted" has "^status=1 error=TLS handshake with 127.0.0.1:$NTS (localhost) failed : Error in the certificate verification. The certificate is NOT trusted. The certificate issuer"

probe localhost 127.0.0.1 $OLD_NTS --cert "$TMPD/old.pem"
check "nts-ke-expired" has "^status=1 error=TLS handshake with .*The certificate chain uses"
probe localhost 127.0.0.1 $OLD_NTS --cert "$TMPD/old.pem" --no-time-check
check "nts-ke-expired-nocerttimecheck" has "^status=0 aead=15 cookies=8 .*key_len=32 server=- port=0$"

probe localhost 127.0.0.1 $REFUSED --cert "$TMPD/good.pem"
check "nts-ke-refused" has "^status=1 error=Could not connect to 127.0.0.1:$REFUSED (localhost) : Connection refused$"

# A listener that accepts and never answers: the whole exchange is bounded.
$IN python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); c = s.accept(); time.sleep(30)' \
    $((NTS + 21)) >/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_for listening $((NTS + 21))
t0=$(date +%s)
probe localhost 127.0.0.1 $((NTS + 21)) --cert "$TMPD/good.pem" --timeout 2
t1=$(date +%s)
check "nts-ke-timeout" has "^status=1 error=NTS-KE session with 127.0.0.1:$((NTS + 21)) (localhost) timed out$"
check "nts-ke-timeout-bounded" test $((t1 - t0)) -le 4
# Shutting down with a session in progress: it is cancelled, not waited for.
probe localhost 127.0.0.1 $((NTS + 21)) --cert "$TMPD/good.pem" --timeout 10 --quit-after 0.5
check "nts-ke-cancelled-at-exit" has "^freed-after=0\.[0-9]$"

# TLS servers that are not NTS-KE servers (openssl s_server sends its stdin).
tls_server() { # PORT INPUT [s_server options]
    port=$1
    input=$2
    shift 2
    $IN timeout 20 openssl s_server -quiet -naccept 1 -tls1_3 -accept $port \
        -cert "$TMPD/good.pem" -key "$TMPD/good-key.pem" "$@" <"$input" >/dev/null 2>&1 &
    PIDS="$PIDS $!"
    wait_for listening $port
}
printf '\200\001\000\002\000\000\200\004\000\002\000\017\200\000\000\000' >"$TMPD/nocookie.bin"
python3 -c 'import sys; sys.stdout.buffer.write((b"\x00\x05\x01\x00" + b"A" * 256) * 80)' \
    >"$TMPD/flood.bin"
port=$((NTS + 30))
tls_server $port /dev/null
probe localhost 127.0.0.1 $port --cert "$TMPD/good.pem"
check "nts-ke-no-alpn" has "^status=1 error=NTS-KE not supported by 127.0.0.1:$port (localhost)$"
port=$((NTS + 31))
tls_server $port /dev/null -alpn ntske/1
probe localhost 127.0.0.1 $port --cert "$TMPD/good.pem"
check "nts-ke-closed-without-response" has "^status=1 error=Received invalid NTS-KE message from 127.0.0.1:$port (localhost)$"
port=$((NTS + 32))
tls_server $port "$TMPD/nocookie.bin" -alpn ntske/1
probe localhost 127.0.0.1 $port --cert "$TMPD/good.pem"
check "nts-ke-response-without-cookies" has "^status=1 error=Received invalid NTS-KE response from localhost$"
port=$((NTS + 33))
tls_server $port "$TMPD/flood.bin" -alpn ntske/1
probe localhost 127.0.0.1 $port --cert "$TMPD/good.pem"
check "nts-ke-response-too-long" has "^status=1 error=Received invalid NTS-KE message from 127.0.0.1:$port (localhost)$"

# The session under chronyd -F 1 (LeakSanitizer's ptrace()d helper is denied there).
out=$($IN env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$TMPD/probe" \
    localhost 127.0.0.1 $NTS --cert "$TMPD/good.pem" -F 1 --ntp $P1 2>>"$TMPD/probe.err")
printf '%s\n' "$out" | sed 's/^/    /'
check "nts-ke-scfilter-level1" has "^$GOOD\$"

check "nts-ke-server-alive" kill -0 $(cat "$TMPD/s.pid")
check "nts-ke-probe-no-sanitizer-reports" sh -c "! grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error' '$TMPD/probe.err'"
