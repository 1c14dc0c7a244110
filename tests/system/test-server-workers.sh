#!/bin/sh
# `serverworkers 2` (ours): a forked process answers NTP requests beside the main one, on
# its own SO_REUSEPORT socket, requests steered by client address. Its replies carry the
# main process's synchronised state (stratum, reference ID, root delay and dispersion)
# and its MACs and NTS fields verify; with the main process stopped (SIGSTOP) the worker still answers
# its share of the clients; the worker ends with the daemon.
. tests/system/lib.sh

UP=$((30000 + $$ % 20000))
PORT=$((UP + 1))
KE=$((UP + 2))
HAVE_NTS=0
if command -v openssl >/dev/null 2>&1; then
    chmod 700 "$TMPD"
    self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost "DNS:localhost,IP:127.0.0.1"
    [ -s "$TMPD/cert.pem" ] && HAVE_NTS=1
fi
printf '1 SHA1 HEX:0102030405060708090A0B0C0D0E0F1011121314\n' >"$TMPD/keys"
cat >"$TMPD/up.conf" <<CONF
allow
local stratum 3
port $UP
cmdport 0
bindcmdaddress /
pidfile $TMPD/up.pid
CONF
cat >"$TMPD/s.conf" <<CONF
server 127.0.0.1 port $UP iburst minpoll 6 maxpoll 6
allow
port $PORT
cmdport 0
bindcmdaddress $TMPD/s.sock
pidfile $TMPD/s.pid
keyfile $TMPD/keys
serverworkers 2
CONF
[ $HAVE_NTS = 1 ] && printf 'ntsport %s\nntsserverkey %s\nntsservercert %s\n' $KE \
    "$TMPD/key.pem" "$TMPD/cert.pem" >>"$TMPD/s.conf"
$SAFE "$B/chronyd" -x -d -f "$TMPD/up.conf" >"$TMPD/up.log" 2>&1 &
PIDS="$PIDS $!"
$SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
MAIN=$!
PIDS="$PIDS $MAIN"

ADDRS="1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16"
query() { NTPREQ_SRC=127.0.1.$1 python3 tests/system/ntpreq.py 127.0.0.1 $PORT 4 3 48 1 "$TMPD/keys"; }
# every client sees stratum 4 from the upstream 127.0.0.1 (ref id 7F000001)
all_synced() {
    for a in $ADDRS; do query $a | grep -q 'stratum=4 .*refid=7F000001' || return 1; done
}
check "workers-synced-answers" wait_long all_synced
worker=$(ps -o pid= --ppid $MAIN | tr -d ' ' | head -n 1)
check "worker-process" test -n "$worker"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
# One round of the 16 clients: the same reference ID and root delay, root dispersions
# within 2 units of 2^-16 s (it grows with the time of each reply) and MACs that verify.
# Retried: a reference update of the main process reaches the worker a wake-up later.
consistent() {
    : >"$TMPD/replies"
    for a in $ADDRS; do echo "$a $(query $a)" >>"$TMPD/replies"; done
    [ "$(grep -c 'stratum=4 .*refid=7F000001' "$TMPD/replies")" -eq 16 ] &&
        [ "$(field rootdelay <"$TMPD/replies" | sort -u | wc -l)" -eq 1 ] &&
        field rootdisp <"$TMPD/replies" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { exit !(NR == 16 && hi - lo <= 2) }'
}
check "same-refid-delay-disp" wait_long consistent
sed 's/^/  /' "$TMPD/replies" | head -n 2
check "mac-ok" test "$(grep -c 'mac=ok' "$TMPD/replies")" -eq 16

# The main process stopped: the clients steered to the worker are still answered, with
# the synchronised state, the others not.
kill -STOP $MAIN
got=0
wa=""
ma=""
for a in $ADDRS; do
    if query $a | grep -q 'stratum=4 .*refid=7F000001.*mac=ok'; then
        got=$((got + 1))
        wa=$a
    else
        ma=$a
    fi
done
kill -CONT $MAIN
echo "  answered with the main process stopped: $got of 16"
check "worker-answers-alone" test $got -gt 0 -a $got -lt 16

# NTS: keys from the main process's NTS-KE server; NTP from a client the worker serves
# (127.0.1.$wa) and from one the main process serves (127.0.1.$ma).
nts_q() {
    $SAFE timeout 40 "$B/chronyd" -x -Q -f /dev/null \
        "server 127.0.0.1 port $PORT ntsport $KE nts iburst" "ntstrustedcerts $TMPD/cert.pem" \
        "nosystemcert" "bindacqaddress 127.0.1.$1" "pidfile $TMPD/q$1.pid" 2>&1 |
        grep 'System clock wrong by'
}
if [ $HAVE_NTS = 1 ] && [ -n "$wa" ] && [ -n "$ma" ]; then
    check "nts-via-worker" nts_q $wa
    check "nts-via-main" nts_q $ma
else
    echo "SKIP nts (openssl missing)"
fi

# What chronyc changes reaches the worker: a `deny` of a client it serves silences it (and
# not the main process's), `allow` brings it back; after `rekey` with a new key value the
# worker's MACs use the new key; `add peer` is refused (a peer's packets could reach it).
CC() { "$B/chronyc" -h "$TMPD/s.sock" "$@"; }
answered() { query $1 | grep -q 'stratum=4 .*mac=ok'; }
silent() { ! query $1 | grep -q 'stratum='; }
ok200() { CC "$@" | grep -q '200 OK'; }
if [ -n "$wa" ] && [ -n "$ma" ]; then
    check "deny-accepted" ok200 deny 127.0.1.$wa
    check "deny-reaches-worker" wait_for silent $wa
    check "deny-other-client-answered" answered $ma
    check "allow-accepted" ok200 allow 127.0.1.$wa
    check "allow-reaches-worker" wait_for answered $wa
    printf '1 SHA1 HEX:A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4\n' >"$TMPD/keys"
    check "rekey-accepted" ok200 rekey
    check "rekey-reaches-worker" wait_for answered $wa
    check "rekey-main" answered $ma
    out=$(CC add peer 127.0.0.9 2>&1)
    echo "  add peer: $out"
    check "add-peer-refused" sh -c "! echo '$out' | grep -q '200 OK'"
    check "add-peer-refused-logged" grep -q 'serverworkers cannot be used with peer 127.0.0.9' "$TMPD/s.log"
fi

kill $MAIN
gone() { ! kill -0 "$worker" 2>/dev/null; }
check "worker-ends-with-daemon" wait_for gone
wait $MAIN
check "daemon-exit-0" test $? -eq 0

# a peer with workers is refused at start, naming it
out=$($SAFE timeout 10 "$B/chronyd" -x -d -f /dev/null "serverworkers 2" "peer 127.0.0.2" 2>&1)
check "peer-refused" sh -c "echo '$out' | grep -q 'serverworkers cannot be used with peer 127.0.0.2'"
# so are sources sending from the server port (their replies could reach a worker)
out=$($SAFE timeout 10 "$B/chronyd" -x -d -f /dev/null "serverworkers 2" "port 11123" \
    "acquisitionport 11123" 2>&1)
check "acquisitionport-refused" sh -c "echo '$out' | grep -q 'serverworkers cannot be used with acquisitionport 11123'"

# serverstats counts what every process served: 160 requests from 32 client addresses
# (each answered) with `serverworkers 3` reach exactly 160 "NTP packets received" once the
# workers reported (every 0.5 s at most). `clients` lists every process's clients (the
# workers' client logs are shared with the main process): all 32 addresses, their NTP
# counts adding up to 160, each above 0. `clients -r` zeroes them: the main process's at
# once, a worker's at its next wake-up (one more request from each address wakes them).
# A worker killed: its last counts stay in the serverstats total and its clients listed.
CP=$((UP + 3))
cat >"$TMPD/c.conf" <<CONF
local stratum 5
allow
port $CP
cmdport 0
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
serverworkers 3
CONF
$SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
CM=$!
PIDS="$PIDS $CM"
CS() { "$B/chronyc" -h "$TMPD/c.sock" "$@"; }
stat() { CS serverstats | sed -n "s/^$1 *: //p"; }
ready() { [ "$(stat 'NTP packets received')" = 0 ] && [ "$(ps -o pid= --ppid $CM | wc -l)" -eq 2 ]; }
check "stats-daemon-ready" wait_for ready
# N requests from each of 127.0.1.1-32 (one socket each), each waiting for its reply;
# prints "sent answered".
rounds() {
    python3 - 127.0.0.1 $CP $1 <<'PY'
import os, socket, sys
sent = got = 0
for a in range(1, 33):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.1.%d" % a, 0))
    s.settimeout(2.0)
    for i in range(int(sys.argv[3])):
        req = bytearray(48)
        req[0] = 0x23
        req[40:48] = os.urandom(8)
        s.sendto(bytes(req), (sys.argv[1], int(sys.argv[2])))
        sent += 1
        try:
            s.recvfrom(2048)
            got += 1
        except socket.timeout:
            pass
    s.close()
print(sent, got)
PY
}
sent=$(rounds 5)
echo "  requests sent, answered: $sent"
check "stats-requests-answered" test "$sent" = "160 160"
total_is() { [ "$(stat 'NTP packets received')" = "$1" ]; }
check "serverstats-all-processes" wait_for total_is 160
CS serverstats | sed 's/^/  /' | head -n 3
check "serverstats-no-drops" test "$(stat 'NTP packets dropped')" = 0
# `chronyc -n clients` (args: its options): "listed sum-of-NTP min-NTP max-NTP" of 127.0.1.x
clients_sum() {
    CS -n clients "$@" | awk '/^127\.0\.1\./ { n++; s += $2; if (n == 1 || $2 < lo) lo = $2;
        if ($2 > hi) hi = $2 } END { print n + 0, s + 0, lo + 0, hi + 0 }'
}
all_listed() { [ "$(clients_sum)" = "32 160 5 5" ]; }
check "clients-all-processes" wait_for all_listed
echo "  clients listed, NTP hits, min, max: $(clients_sum)"
got=$(clients_sum -r)
echo "  clients -r: $got"
check "clients-reset-lists-all" test "$got" = "32 160 5 5"
sent=$(rounds 1)
check "clients-reset-wakeup-answered" test "$sent" = "32 32"
# the main process's clients have the one request since, a worker's 0 or 1 (the reset is
# applied after the requests of its wake-up)
reset_seen() { clients_sum | awk '{ exit !($1 == 32 && $2 <= 32 && $4 <= 1) }'; }
check "clients-reset-all-processes" wait_for reset_seen
echo "  after the reset and one request each: $(clients_sum)"
check "serverstats-after-reset" wait_for total_is 192
victim=$(ps -o pid= --ppid $CM | tr -d ' ' | head -n 1)
kill -KILL "$victim"
check "worker-end-noticed" wait_for grep -q "NTP serving process $victim ended" "$TMPD/c.log"
check "serverstats-keeps-dead-worker" total_is 192
check "clients-keeps-dead-worker" test "$(clients_sum | cut -d' ' -f1)" = 32
# One more request from each address: the dead worker's clients now reach another process
# (a new record there) while its records stay listed, so some addresses are listed twice
# (the worker had served them), and the NTP counts listed grow by the 32 requests.
before=$(clients_sum | cut -d' ' -f2)
sent=$(rounds 1)
check "after-kill-answered" test "$sent" = "32 32"
check "serverstats-after-kill" wait_for total_is 224
echo "  after the kill and one request each: $(clients_sum)"
check "clients-dead-worker-listed" test "$(clients_sum | cut -d' ' -f1)" -gt 32
check "clients-count-new-requests" test "$(clients_sum | cut -d' ' -f2)" = $((before + 32))
kill $CM
wait $CM
check "stats-daemon-exit-0" test $? -eq 0

# With chronyd -F 1 the worker applies the system call filter too, and still serves; the
# daemon ends cleanly (leak checking off: its exit-time ptrace is outside the filter).
cat >"$TMPD/f.conf" <<CONF
local stratum 5
allow
port $PORT
cmdport 0
bindcmdaddress /
pidfile $TMPD/f.pid
serverworkers 2
CONF
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    $SAFE "$B/chronyd" -x -d -F 1 -f "$TMPD/f.conf" >"$TMPD/f.log" 2>&1 &
FM=$!
PIDS="$PIDS $FM"
all_local() {
    for a in $ADDRS; do
        NTPREQ_SRC=127.0.1.$a python3 tests/system/ntpreq.py 127.0.0.1 $PORT | grep -q 'stratum=5 ' ||
            return 1
    done
}
check "filtered-workers-answer" wait_for all_local
fw=$(ps -o pid= --ppid $FM | tr -d ' ' | head -n 1)
check "filtered-worker-seccomp" grep -q '^Seccomp:[[:space:]]*2' "/proc/$fw/status"
kill $FM
worker=$fw
check "filtered-worker-ends" wait_for gone
wait $FM
check "filtered-daemon-exit-0" test $? -eq 0
