#!/bin/sh
# `ratelimit ... kod N` (chrony.conf(5)): our server answers part of the rate-limited
# requests with a KoD RATE (leap 3, stratum 0, reference ID "RATE") instead of dropping
# them; clients polling too fast, ours and Debian's chronyd, log "Received KoD RATE from
# 127.0.0.1" and back off. Daemons run with -x.
. tests/system/lib.sh

pick_ports 15323
server_conf "$TMPD/s.conf" $P1
echo "ratelimit interval 4 burst 1 leak 4 kod 1" >>"$TMPD/s.conf"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1

# Twenty quick requests: past the burst, about half of them get a KoD RATE.
: >"$TMPD/replies"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 >>"$TMPD/replies"
done
kods=$(grep -c 'leap=3 version=4 mode=4 stratum=0 poll=6 .*refid=52415445 .*origin_ok=1' "$TMPD/replies")
drops=$(grep -c noreply "$TMPD/replies")
echo "  20 requests: $kods KoD RATE, $drops without reply"
check "kod-rate-replies" [ "$kods" -ge 3 ]
check "some-dropped" [ "$drops" -ge 1 ]

client() { # client NAME CHRONYD
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $P1 minpoll 0 maxpoll 0
cmdport 0
bindcmdaddress /
pidfile $TMPD/$1.pid
CONF
    $IN $SAFE $2 -x -d -u root -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    PIDS="$PIDS $!"
}
client ours "$B/chronyd"
[ -x /usr/sbin/chronyd ] && client debian /usr/sbin/chronyd
sleep 12
check "our-client-logs-kod" grep -q "Received KoD RATE from 127.0.0.1" "$TMPD/ours.log"
if [ -x /usr/sbin/chronyd ]; then
    check "debian-client-logs-kod" grep -q "Received KoD RATE from 127.0.0.1" "$TMPD/debian.log"
fi
