#!/bin/sh
# Kernel timestamps and hwtimestamp. Debian's chronyd -x (4.3) as an xleave client of our
# server reports in ntpdata what it reports against Debian's server (the fields and their
# non-numeric values: kernel TX/RX timestamping, interleaved); our client's ntpdata shows
# "TX timestamping : Kernel" against Debian's server (the kernel's transmit timestamp
# replaced the daemon's); our serverstats counts kernel TX timestamps of interleaved
# replies. `hwtimestamp NAME` on an interface without hardware timestamping (loopback, a
# veth pair) fails with chrony's fatal message, as Debian's chronyd does; `hwtimestamp *`
# skips such interfaces silently and serves with kernel timestamps.
. tests/system/lib.sh

if [ ! -x /usr/sbin/chronyd ] || [ ! -x /usr/bin/chronyc ]; then
    echo "SKIP Debian's chrony not installed"
    exit 0
fi
pick_ports 15623
chmod 700 "$TMPD"

# Debian's server on P1, ours on P2 (with Debian's as its source, polled every second).
cat >"$TMPD/d.conf" <<CONF
local stratum 1
allow 127.0.0.1
port $P1
cmdport 0
bindcmdaddress $TMPD/d.sock
pidfile $TMPD/d.pid
CONF
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/d.conf" >"$TMPD/d.log" 2>&1 &
PIDS="$PIDS $!"
server_conf "$TMPD/s.conf" $P2
sed -i "s|^bindcmdaddress /$|bindcmdaddress $TMPD/s.sock|" "$TMPD/s.conf"
echo "server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0" >>"$TMPD/s.conf"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P2

ntpdata() { # ntpdata CHRONYC SOCKET PORT: ntpdata of the source on PORT
    $IN "$1" -h "$2" ntpdata 127.0.0.1 2>/dev/null | awk -v p="$3" '
        /^Remote port/ { keep = ($NF == p) } keep'
}
field() { sed -n "s/^$1 *: //p"; }

# Our client against Debian's server: the kernel's transmit timestamps are used.
kernel_tx() {
    out=$(ntpdata "$B/chronyc" "$TMPD/s.sock" $P1)
    [ "$(echo "$out" | field 'TX timestamping')" = Kernel ] &&
        [ "$(echo "$out" | field 'RX timestamping')" = Kernel ] &&
        [ "$(echo "$out" | field 'Total kernel TX')" -gt 2 ]
}
check "client-tx-timestamping-kernel" wait_long kernel_tx
ntpdata "$B/chronyc" "$TMPD/s.sock" $P1 | grep -E '^(TX|RX) timestamping|^Total kernel' |
    sed 's/^/  ours->debian: /'

# Debian's chronyd as an xleave client of each server (one client per server).
client() { # client NAME PORT
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $2 iburst minpoll 0 maxpoll 0 xleave
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
CONF
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    PIDS="$PIDS $!"
}
client cd $P1
client cs $P2
settled() { # settled NAME PORT: interleaved responses with kernel timestamps
    out=$(ntpdata /usr/bin/chronyc "$TMPD/$1.sock" $2)
    [ "$(echo "$out" | field Interleaved)" = Yes ] &&
        [ "$(echo "$out" | field 'TX timestamping')" = Kernel ] &&
        [ "$(echo "$out" | field 'Total good RX')" -ge 4 ]
}
wait_long settled cd $P1
check "debian-client-of-ours-interleaved-kernel" wait_long settled cs $P2
# Field names and the values that do not depend on timing or on the server's stratum.
shape() {
    ntpdata /usr/bin/chronyc "$TMPD/$1.sock" $2 | awk -F' *: ' '
        $1 ~ /^(Leap status|Version|Mode|Interleaved|Authenticated|TX timestamping|RX timestamping)$/ {
            print $1 ": " $2; next }
        { print $1 }'
}
shape cd $P1 >"$TMPD/shape-debian"
shape cs $P2 >"$TMPD/shape-ours"
check "debian-client-ntpdata-same-fields" cmp -s "$TMPD/shape-debian" "$TMPD/shape-ours"
diff "$TMPD/shape-debian" "$TMPD/shape-ours" | sed 's/^/  /'
grep -E 'timestamping|Interleaved' "$TMPD/shape-ours" | sed 's/^/  debian->ours: /'

# serverstats: interleaved replies carry kernel transmit timestamps.
stat_of() { $IN "$B/chronyc" -h "$TMPD/s.sock" serverstats | sed -n "s/^$1 *: //p"; }
kernel_tx_counted() { [ "$(stat_of 'NTP kernel TX timestamps')" -gt 0 ]; }
check "serverstats-kernel-tx" wait_long kernel_tx_counted
echo "  serverstats: kernel TX $(stat_of 'NTP kernel TX timestamps')," \
    "daemon TX $(stat_of 'NTP daemon TX timestamps'), kernel RX $(stat_of 'NTP kernel RX timestamps')"

# hwtimestamp: the fatal line of a named interface without hardware timestamping is
# Debian's, and `*` starts and serves.
fatal_line() { # fatal_line CHRONYD IFACE
    cat >"$TMPD/hw-$2.conf" <<CONF
hwtimestamp $2 minpoll 2 rxfilter all
port 0
cmdport 0
pidfile $TMPD/hw.pid
CONF
    timeout 20 $IN $SAFE "$1" -x -d -u root -f "$TMPD/hw-$2.conf" 2>&1 | grep -o 'Fatal error : .*'
}
hw_named() { # hw_named IFACE
    ours=$(fatal_line "$B/chronyd" "$1")
    theirs=$(fatal_line /usr/sbin/chronyd "$1")
    echo "  hwtimestamp $1: $ours"
    [ -n "$ours" ] && [ "$ours" = "$theirs" ] &&
        [ "$ours" = "Fatal error : Could not enable HW timestamping on $1" ]
}
hw_wildcard() { # hw_wildcard PORT: starts with `hwtimestamp *` and serves
    server_conf "$TMPD/hw-w.conf" $1
    sed -i "s|^pidfile .*|pidfile $TMPD/hw-w.pid|" "$TMPD/hw-w.conf"
    echo "hwtimestamp * minsamples 4" >>"$TMPD/hw-w.conf"
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/hw-w.conf" >"$TMPD/hw-w.log" 2>&1 &
    hpid=$!
    wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $1
    r=$?
    kill $hpid
    wait $hpid 2>/dev/null
    [ $r = 0 ] && ! grep -q 'Fatal' "$TMPD/hw-w.log"
}
check "hwtimestamp-lo-fatal-as-chrony" hw_named lo
check "hwtimestamp-wildcard-lo" hw_wildcard $P3
if [ -n "$NS" ] && $IN ip link add txv0 type veth peer name txv1 2>/dev/null; then
    $IN ip addr add 10.77.0.1/24 dev txv0
    $IN ip link set txv0 up
    $IN ip link set txv1 up
    check "hwtimestamp-veth-fatal-as-chrony" hw_named txv0
    check "hwtimestamp-wildcard-veth" hw_wildcard $P3
else
    echo "SKIP hwtimestamp-veth (no network namespace)"
fi
