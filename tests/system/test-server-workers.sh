#!/bin/sh
# `serverworkers 2` (ours): a forked process answers NTP requests beside the main one, on
# its own SO_REUSEPORT socket, requests steered by client address. Its replies carry the
# main process's synchronised state (stratum, reference ID, root delay and dispersion)
# and its MACs verify; with the main process stopped (SIGSTOP) the worker still answers
# its share of the clients; the worker ends with the daemon.
. tests/system/lib.sh

UP=$((30000 + $$ % 20000))
PORT=$((UP + 1))
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
bindcmdaddress /
pidfile $TMPD/s.pid
keyfile $TMPD/keys
serverworkers 2
CONF
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
for a in $ADDRS; do
    query $a | grep -q 'stratum=4 .*refid=7F000001.*mac=ok' && got=$((got + 1))
done
kill -CONT $MAIN
echo "  answered with the main process stopped: $got of 16"
check "worker-answers-alone" test $got -gt 0 -a $got -lt 16

kill $MAIN
gone() { ! kill -0 "$worker" 2>/dev/null; }
check "worker-ends-with-daemon" wait_for gone

# a peer with workers is refused at start, naming it
out=$($SAFE timeout 10 "$B/chronyd" -x -d -f /dev/null "serverworkers 2" "peer 127.0.0.2" 2>&1)
check "peer-refused" sh -c "echo '$out' | grep -q 'serverworkers cannot be used with peer 127.0.0.2'"
