#!/bin/sh
# NTS-KE client sessions run in chronyd's select() loop, without threads: the client's
# object file calls no pthread function; a session with a server that accepts and never
# answers leaves the daemon with one thread, answering chronyc and NTP, until the session
# times out (chrony's 16 s). `nocerttimecheck`: a daemon whose software clock is a year
# behind checks the server's certificate at its own time (not yet valid: NTS-KE fails);
# with `nocerttimecheck 1` the exchange succeeds until the clock has been updated once,
# after which a new exchange (ntsrefresh) fails again.
. tests/system/lib.sh

pick_ports 14560
KE=$((P1 + 4000))
STALL=$((P1 + 4001))
chmod 700 "$TMPD"

obj="$B/obj/platform/nts_ke_client.o"
check "nts-ke-client-object-present" test -s "$obj"
check "nts-ke-client-no-pthread" sh -c "! nm -u '$obj' | grep -q pthread"

self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost "DNS:localhost,IP:127.0.0.1"

# 1. A listener that accepts one connection and never answers (it notes the accept).
$IN python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); c = s.accept()
open(sys.argv[2], "w").write("accepted\n"); time.sleep(60)' $STALL "$TMPD/accepted" \
    >/dev/null 2>&1 &
PIDS="$PIDS $!"
listening() { $IN ss -ltn | grep -q ":$1 "; }
wait_for listening $STALL

cat >"$TMPD/c.conf" <<EOF
server 127.0.0.1 port $P3 ntsport $STALL nts iburst minpoll 0 maxpoll 0
ntstrustedcerts $TMPD/cert.pem
nosystemcert
allow 127.0.0.1
port $P2
cmdport 0
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
EOF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
cpid=$!
PIDS="$PIDS $cpid"
check "stalled-session-connected" wait_for test -s "$TMPD/accepted"
tracking() { $IN "$B/chronyc" -h "$TMPD/c.sock" tracking | grep -q '^Reference ID'; }
check "stalled-session-chronyc-answered" tracking
check "stalled-session-ntp-answered" sh -c \
    "$IN python3 tests/system/ntpreq.py 127.0.0.1 $P2 | grep -q 'mode=4'"
tasks=$(ls /proc/$cpid/task | wc -l)
echo "  threads during the session: $tasks"
check "stalled-session-one-thread" [ "$tasks" -eq 1 ]
timed_out() { grep -q "NTS-KE session with 127.0.0.1:$STALL (127.0.0.1) timed out" "$TMPD/c.log"; }
# The answers above came while the session was still running.
check "stalled-session-still-running" sh -c "! grep -q 'timed out' '$TMPD/c.log'"
check "stalled-session-timed-out" wait_long timed_out
check "stalled-session-daemon-alive" tracking
check "stalled-session-still-one-thread" [ "$(ls /proc/$cpid/task | wc -l)" -eq 1 ]
sed 's/^/  c.log: /' "$TMPD/c.log" | grep -i nts
# Stopping the daemon with a session in progress (the listener's backlog holds the new
# connection): it exits at once, cleanly, the session abandoned with nothing leaked.
kill $cpid
wait $cpid
check "exit-with-session-clean-status" [ $? -eq 0 ]
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c2.log" 2>&1 &
cpid=$!
established() { $IN ss -tn state established "( dport = :$STALL )" | grep -q "127.0.0.1:$STALL"; }
check "exit-with-session-connected" wait_for established
t0=$(date +%s)
kill $cpid
wait $cpid
rc=$?
t1=$(date +%s)
check "exit-with-session-status" [ $rc -eq 0 ]
check "exit-with-session-prompt" [ $((t1 - t0)) -le 5 ]
check "exit-with-session-no-sanitizer-report" sh -c "! grep -q 'Sanitizer\|runtime error' '$TMPD/c.log' '$TMPD/c2.log'"
stop_all

# 2. nocerttimecheck: Debian's chronyd serves NTS-KE with a certificate valid from now
# (for 30 days); our client's software clock is a year behind.
if [ ! -x /usr/sbin/chronyd ] || ! /usr/sbin/chronyd -v | grep -q '+NTS'; then
    echo "SKIP nocerttimecheck: needs /usr/sbin/chronyd with +NTS"
    exit 0
fi
cat >"$TMPD/s.conf" <<EOF
local stratum 1
allow 127.0.0.1
port $P1
ntsport $KE
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
ntsdumpdir $TMPD/sd
cmdport 0
bindcmdaddress /
pidfile $TMPD/s.pid
EOF
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
wait_for listening $KE

client() { # NAME SOURCE-OPTIONS [DIRECTIVE]: our chronyd a year behind, with an NTS source
    cat >"$TMPD/$1.conf" <<EOF
server 127.0.0.1 port $P1 ntsport $KE nts iburst minpoll 0 maxpoll 0 $2
ntstrustedcerts $TMPD/cert.pem
nosystemcert
ntsrefresh 2
${3:-}
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
EOF
    $IN $SAFE "$B/chronyd" --softclock=-31536000 -d -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    PIDS="$PIDS $!"
}
not_yet_valid() { # NAME: the log has the certificate time check's failure
    grep -q "TLS handshake with 127.0.0.1:$KE (127.0.0.1) failed : .*not yet valid" "$TMPD/$1.log"
}
authenticated() { # NAME
    $IN "$B/chronyc" -h "$TMPD/$1.sock" ntpdata 127.0.0.1 2>/dev/null |
        grep -q '^Authenticated   : Yes'
}
keyid() { # NAME: the key id of the source's last NTS-KE (one more for each exchange)
    $IN "$B/chronyc" -h "$TMPD/$1.sock" -c authdata 2>/dev/null | cut -d, -f3
}
keyid_over() { [ "$(keyid "$1")" -gt "$2" ] 2>/dev/null; } # NAME N

client t ""
check "certtime-checked-at-daemon-time" wait_long not_yet_valid t
check "certtime-no-authentication" sh -c "! $IN '$B/chronyc' -h '$TMPD/t.sock' -n sources | grep -q '^\^\*'"
sed 's/^/  t.log: /' "$TMPD/t.log" | grep TLS | head -n 1

# A source that is not selected: nothing updates the clock until chronyc dfreq does.
client n noselect "nocerttimecheck 1"
check "nocerttimecheck-exchange-succeeds" wait_long authenticated n
check "nocerttimecheck-refreshes-before-update" wait_long keyid_over n 2
check "nocerttimecheck-no-failure-before-update" sh -c "! grep -q 'TLS handshake' '$TMPD/n.log'"
out=$($IN "$B/chronyc" -h "$TMPD/n.sock" dfreq 0.001)
check "nocerttimecheck-dfreq" [ "$out" = "200 OK" ]
check "nocerttimecheck-checks-after-update" wait_long not_yet_valid n
sed 's/^/  n.log: /' "$TMPD/n.log" | grep "TLS" | head -n 1

# A selected source: its first update leaves the clock a year behind (slewing, no
# makestep), but the daemon's (cooked) time is right at once: later exchanges pass the
# checks, as in chrony, whose GnuTLS clock is its cooked time.
client m "" "nocerttimecheck 1"
check "nocerttimecheck-clock-updated" wait_long grep -q "System clock wrong by" "$TMPD/m.log"
k=$(keyid m)
check "nocerttimecheck-exchanges-at-cooked-time" wait_long keyid_over m $((k + 1))
check "nocerttimecheck-cooked-time-no-failure" sh -c "! grep -q 'TLS handshake' '$TMPD/m.log'"
stop_all
