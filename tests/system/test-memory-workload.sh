#!/bin/sh
# Memory after a mixed workload: our chronyd (ASan, its quarantine of freed memory off so
# the RSS is the program's; leak detection on) serves NTP (allow, local stratum 1, a
# keyfile, ratelimit, clientloglimit 262144), NTS-KE and cmdmon, with a sourcedir. A round
# of WORKLOAD_SECONDS (default 20) runs at once, until its end: plain and interleaved NTP
# requests from many addresses and ports (bench/ntpflood), key-authenticated requests from
# 16 addresses, each from a new port (ntpauth_load.py), NTS-KE exchanges (ntske_req.py) and
# chronyc commands (sources, tracking, clients, serverstats, ntpdata, add server, delete,
# reload sources after the sourcedir file changed, rekey after the key file changed). A
# warm-up round of the same workload (WARMUP_SECONDS, default 10) comes first; the RSS when
# the daemon is idle after it is the start value, the RSS when it is idle after the round
# the end value: end <= start + clientloglimit + 4 MiB (fixed overhead: allocator slack and
# the chronyc, NTS-KE and source records, which are freed but need not shrink the heap).
# Every chronyc command is answered, authenticated replies carry a valid MAC, key exchanges
# are served, and the daemon exits on SIGTERM with status 0 and no sanitizer report.
# Figures are printed, never compared with timing; the rounds are bounded by the clock.
. tests/system/lib.sh

W=${WORKLOAD_SECONDS:-20}
WARM=${WARMUP_SECONDS:-10}
LIMIT=262144
OVERHEAD_KB=4096
if ! command -v openssl >/dev/null || ! command -v python3 >/dev/null; then
    echo "SKIP memory-workload: needs openssl and python3"
    exit 0
fi
if [ ! -x "$B/bench/ntpflood" ]; then
    echo "SKIP memory-workload: $B/bench/ntpflood not built"
    exit 0
fi
if ! make_netns; then
    echo "SKIP memory-workload: needs a network namespace (clients use 127.0.2.x, 127.1+)"
    exit 0
fi
P=123
KE=4460
S="$TMPD/m.sock"
chmod 700 "$TMPD"
self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost "DNS:localhost,IP:127.0.0.1" ||
    { fail "memory-workload-certificate"; exit 1; }
mkdir "$TMPD/sd"
echo "server 127.0.0.50 port 9" >"$TMPD/sd/a.sources"
keys() { # keys N: key 1 stays, key 2 changes with N
    printf '1 SHA1 HEX:%s\n2 SHA1 HEX:%040x\n' 0102030405060708090a0b0c0d0e0f1011121314 "$1" \
        >"$TMPD/keys.new"
    mv "$TMPD/keys.new" "$TMPD/keys"
}
keys 0
cat >"$TMPD/m.conf" <<CONF
local stratum 1
allow
port $P
keyfile $TMPD/keys
ratelimit interval 1 burst 4
clientloglimit $LIMIT
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
ntsratelimit interval -4 burst 32
sourcedir $TMPD/sd
cmdport 0
bindcmdaddress $S
pidfile $TMPD/m.pid
CONF
$IN env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:detect_leaks=1" \
    $SAFE "$B/chronyd" -x -d -f "$TMPD/m.conf" >"$TMPD/m.log" 2>&1 &
MPID=$!
PIDS="$PIDS $MPID"
cmd_ok() { $IN "$B/chronyc" -n -h "$S" serverstats | grep -q '^NTP packets received'; }
ke_listening() { $IN ss -ltnH "( sport = :$KE )" | grep -q .; }
check "memory-workload-daemon-starts" wait_for cmd_ok
check "memory-workload-nts-ke-listens" wait_for ke_listening
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$MPID/status 2>/dev/null; }
echo "  RSS at start: $(rss) kB"

# chronyc COMMAND... PATTERN: one command through the Unix socket, answered as expected
# (a line matching PATTERN, exit status 0); failures are kept in $TMPD/cmd.fail.
cmd() {
    pat=$1
    shift
    out=$($IN "$B/chronyc" -n -h "$S" "$@" 2>&1)
    rc=$?
    echo x >>"$TMPD/cmd.count"
    if [ $rc -ne 0 ] || ! printf '%s\n' "$out" | grep -q -- "$pat"; then
        printf '%s: rc=%d %s\n' "$*" $rc "$(printf '%s' "$out" | head -3)" >>"$TMPD/cmd.fail"
    fi
}
cmd_loop() { # cmd_loop END
    n=0
    while [ "$(date +%s)" -lt "$1" ]; do
        n=$((n + 1))
        cmd '^MS Name' sources
        cmd '^Reference ID' tracking
        cmd '^Hostname' clients
        cmd '^NTP packets received' serverstats
        cmd '^Remote address' ntpdata
        cmd '^200 OK' add server 127.0.0.99 port 9 iburst
        cmd '^200 OK' delete 127.0.0.99
        echo "server 127.0.0.5$((n % 2)) port 9" >"$TMPD/sd/a.new"
        mv "$TMPD/sd/a.new" "$TMPD/sd/a.sources"
        cmd '^200 OK' reload sources
        keys $n
        cmd '^200 OK' rekey
    done
}
ke_loop() { # ke_loop END
    while [ "$(date +%s)" -lt "$1" ]; do
        $IN python3 tests/system/ntske_req.py 127.0.0.1 $KE "$TMPD/cert.pem" \
            80010002000080040002000f80000000 --alpn ntske/1 >>"$TMPD/ke.out" 2>&1
        sleep 0.1
    done
}
ke_conns() { $IN ss -tnH state established "( sport = :$KE )" | wc -l; }
ke_idle() { [ "$(ke_conns)" = 0 ]; }

# round TAG SECONDS: the whole workload for SECONDS, then wait until the daemon is idle
round() {
    rm -f "$TMPD/cmd.count" "$TMPD/cmd.fail" "$TMPD/ke.out"
    end=$(($(date +%s) + $2))
    $IN "$B/bench/ntpflood" -p $P -n 200000 -k 2 -r 400 -d "$2" >"$TMPD/flood.$1" 2>&1 &
    f1=$!
    $IN "$B/bench/ntpflood" -p $P -n 20000 -k 1 -r 100 -d "$2" -x >"$TMPD/xflood.$1" 2>&1 &
    f2=$!
    $IN python3 tests/system/ntpauth_load.py 127.0.0.1 $P 1 "$TMPD/keys" "$2" 20 16 \
        >"$TMPD/auth.$1" 2>&1 &
    f3=$!
    ke_loop $end &
    f4=$!
    PIDS="$PIDS $f1 $f2 $f3 $f4"
    cmd_loop $end
    wait $f1 $f2 $f3 $f4
    wait_for ke_idle
    echo "  $1 round ($2 s):"
    sed 's/^/    ntpflood: /' "$TMPD/flood.$1"
    sed 's/^/    ntpflood -x: /' "$TMPD/xflood.$1"
    sed 's/^/    authenticated: /' "$TMPD/auth.$1"
    ke_n=$(grep -c '^response=' "$TMPD/ke.out")
    echo "    NTS-KE exchanges answered: $ke_n of $(grep -c '^alpn=\|^handshake-failed' "$TMPD/ke.out")"
    cmd_n=$(wc -l <"$TMPD/cmd.count")
    cmd_failed=0
    [ -e "$TMPD/cmd.fail" ] && cmd_failed=$(wc -l <"$TMPD/cmd.fail")
    echo "    chronyc commands: $cmd_n, not answered as expected: $cmd_failed"
    [ -e "$TMPD/cmd.fail" ] && sed 's/^/      /' "$TMPD/cmd.fail" | head -10
    check "memory-workload-$1-commands-answered" [ "$cmd_failed" = 0 ]
    check "memory-workload-$1-ntp-answered" grep -q ' replies=[1-9]' "$TMPD/flood.$1"
    check "memory-workload-$1-auth-mac-ok" \
        grep -q '^sent=[0-9]* replies=[0-9]* macok=[1-9][0-9]* macbad=0$' "$TMPD/auth.$1"
    check "memory-workload-$1-nts-ke-served" [ "$ke_n" -gt 0 ]
}

round warmup "$WARM"
start=$(rss)
round workload "$W"
end=$(rss)
bound=$((start + LIMIT / 1024 + OVERHEAD_KB))
echo "  RSS: start (after warm-up) $start kB, end $end kB, growth $((end - start)) kB," \
    "bound $bound kB (start + clientloglimit $((LIMIT / 1024)) kB + $OVERHEAD_KB kB)"
check "memory-workload-rss-bounded" [ "${end:-999999999}" -le "$bound" ]
out=$($IN "$B/chronyc" -n -h "$S" serverstats)
printf '%s\n' "$out" | sed 's/^/    /'

kill -TERM $MPID
wait $MPID
status=$?
check "memory-workload-exit-status-0" [ "$status" = 0 ]
if grep -q 'Sanitizer\|runtime error' "$TMPD/m.log"; then
    grep -A20 'Sanitizer\|runtime error' "$TMPD/m.log" | head -40 | sed 's/^/    /'
    fail "memory-workload-no-sanitizer-report"
else
    pass "memory-workload-no-sanitizer-report"
fi
