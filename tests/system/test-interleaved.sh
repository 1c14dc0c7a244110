#!/bin/sh
# Interleaved mode on our server: Debian's chronyd with `xleave` gets interleaved
# replies (ntpdata "Interleaved : Yes", good samples) and serverstats counts
# them; a basic-mode client keeps getting basic replies. Daemons run with -x.
. tests/system/lib.sh

if [ ! -x /usr/sbin/chronyd ]; then
    echo "SKIP /usr/sbin/chronyd not installed"
    exit 0
fi
pick_ports 15123
chmod 700 "$TMPD"
server_conf "$TMPD/s.conf" $P1
sed -i "s|^bindcmdaddress /$|bindcmdaddress $TMPD/s.sock|" "$TMPD/s.conf"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1

client() { # client NAME OPTIONS
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0 $2
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
CONF
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    cpid=$!
    sleep 8
    $IN "$B/chronyc" -h "$TMPD/$1.sock" ntpdata 127.0.0.1 2>&1
    kill $cpid
    wait $cpid 2>/dev/null
}

interleaved_count() {
    $IN "$B/chronyc" -h "$TMPD/s.sock" serverstats | sed -n 's/^Interleaved NTP packets *: //p'
}

out=$(client x xleave)
echo "$out" | grep -E '^(Interleaved|NTP tests|Total good)' | sed 's/^/  xleave: /'
check "xleave-client-interleaved" sh -c "echo '$out' | grep -q '^Interleaved     : Yes'"
check "xleave-client-good-samples" sh -c "echo '$out' | awk '/^Total good RX/ { exit !(\$NF >= 3) }'"
n1=$(interleaved_count)
echo "  interleaved replies: $n1"
check "serverstats-interleaved" [ "${n1:-0}" -gt 0 ]
out=$(client b "")
check "basic-client-basic" sh -c "echo '$out' | grep -q '^Interleaved     : No'"
n2=$(interleaved_count)
check "basic-client-no-interleaved-replies" [ "$n1" = "$n2" ]
