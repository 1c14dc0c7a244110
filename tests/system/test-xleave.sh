#!/bin/sh
# Interleaved mode of our client and peers (`xleave`): our chronyd as a client with xleave
# against Debian's chronyd (4.3, -x, `allow`) and against our own server shows
# "Interleaved : Yes" in ntpdata with good samples; our peers with xleave interleave with
# ours and with Debian's;
# without xleave the client stays basic. Daemons run with -x only.
. tests/system/lib.sh

pick_ports 16123
chmod 700 "$TMPD"

start() { # start NAME DAEMON...
    name=$1
    shift
    $IN $SAFE "$@" -x -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
}

client_conf() { # client_conf NAME PORT OPTIONS
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $2 iburst minpoll 0 maxpoll 0 $3
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
CONF
}

ntpdata() { # ntpdata NAME
    $IN "$B/chronyc" -h "$TMPD/$1.sock" -n ntpdata 127.0.0.1 2>&1
}

# interleaved_good NAME: ntpdata says interleaved and at least 3 good samples arrived.
interleaved_good() {
    out=$(ntpdata "$1")
    echo "$out" | grep -q '^Interleaved     : Yes' &&
        echo "$out" | awk '/^Total good RX/ { exit !($NF >= 3) }'
}

basic_good() {
    out=$(ntpdata "$1")
    echo "$out" | grep -q '^Interleaved     : No' &&
        echo "$out" | awk '/^Total good RX/ { exit !($NF >= 3) }'
}

server_conf "$TMPD/s.conf" $P1
sed -i "s|^pidfile .*|pidfile $TMPD/s.pid|" "$TMPD/s.conf"
if [ -x /usr/sbin/chronyd ]; then
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1
    client_conf deb $P1 xleave
    start deb "$B/chronyd"
    check "client-vs-debian-interleaved" wait_long interleaved_good deb
    ntpdata deb | grep -E '^(Interleaved|NTP tests|Total good|TX timestamping|Total TX)' | sed 's/^/  debian server: /'
    stop_all
else
    echo "SKIP client-vs-debian-interleaved (/usr/sbin/chronyd not installed)"
fi

server_conf "$TMPD/o.conf" $P2
start o "$B/chronyd"
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P2
client_conf ours $P2 xleave
start ours "$B/chronyd"
check "client-vs-ours-interleaved" wait_long interleaved_good ours
ntpdata ours | grep -E '^(Interleaved|NTP tests|Total good)' | sed 's/^/  our server: /'
client_conf basic $P2 ""
start basic "$B/chronyd"
check "client-without-xleave-basic" wait_long basic_good basic
stop_all

# Peers: A serves local stratum 5 and peers with B, both with xleave.
peer_conf() { # peer_conf NAME PORT PEERPORT
    cat >"$TMPD/$1.conf" <<CONF
peer 127.0.0.1 port $3 minpoll 0 maxpoll 0 iburst xleave
port $2
allow 127.0.0.1
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
CONF
}
peer_conf a $P1 $P2
echo "local stratum 5" >>"$TMPD/a.conf"
peer_conf b $P2 $P1
start a "$B/chronyd"
start b "$B/chronyd"
check "peer-interleaved" wait_long interleaved_good b
ntpdata b | grep -E '^(Mode|Interleaved|NTP tests|Total good)' | sed 's/^/  peer: /'
stop_all

# Debian's chronyd as peer A, with xleave: our peer B interleaves with it.
if [ -x /usr/sbin/chronyd ]; then
    peer_conf a $P1 $P2
    echo "local stratum 5" >>"$TMPD/a.conf"
    $IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/a.conf" >"$TMPD/a.log" 2>&1 &
    PIDS="$PIDS $!"
    start b "$B/chronyd"
    check "peer-vs-debian-interleaved" wait_long interleaved_good b
    ntpdata b | grep -E '^(Interleaved|NTP tests|Total good)' | sed 's/^/  debian peer: /'
fi
