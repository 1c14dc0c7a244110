#!/bin/sh
# broadcast INTERVAL ADDRESS [PORT]: the daemon sends NTP broadcast packets (mode 5,
# version 4, its stratum, leap, reference id and time, poll = log2 of the interval, no
# originate or receive timestamp, transmit = its time) from its server port, one every
# INTERVAL seconds (2 % random stretch). bcastrecv.py counts them on a unicast loopback
# port, then, over a veth pair into a second network namespace, at the subnet's broadcast
# address on the default port 123 (which needs SO_BROADCAST). Debian's chronyd -x sends
# the same fields when installed.
. tests/system/lib.sh

if ! make_netns; then
    echo "SKIP no network namespace"
    exit 0
fi
NSB=chrtb$$
trap 'cleanup; ip netns del $NSB 2>/dev/null' EXIT INT TERM
chmod 700 "$TMPD"
WINDOW=8

conf() { # conf NAME EXTRA...
    name=$1
    shift
    printf 'local stratum 3\nport 123\ncmdport 0\nbindcmdaddress /\npidfile %s\n' \
        "$TMPD/$name.pid" >"$TMPD/$name.conf"
    for l in "$@"; do echo "$l" >>"$TMPD/$name.conf"; done
}

# receive NS FILE ADDR PORT: a receiver for WINDOW seconds in the background ($RECV pids).
receive() {
    rm -f "$2.ready"
    ip netns exec "$1" python3 tests/system/bcastrecv.py "$3" "$4" $WINDOW "$2.ready" >"$2" &
    RECV="$RECV $!"
    wait_for test -e "$2.ready"
}

# run NAME DAEMON...: receivers on 127.0.0.1 ports 1123 and 1124, the daemon sending to
# both (intervals 1 and 2 s); waits for the receivers, then stops the daemon.
run() {
    who=$1
    shift
    RECV=""
    receive "$NS" "$TMPD/$who.1" 127.0.0.1 1123
    receive "$NS" "$TMPD/$who.2" 127.0.0.1 1124
    conf "$who" "broadcast 1 127.0.0.1 1123" "broadcast 2 127.0.0.1 1124"
    $IN $SAFE "$@" -x -d -f "$TMPD/$who.conf" >"$TMPD/$who.log" 2>&1 &
    PIDS="$PIDS $!"
    wait $RECV
    stop_all
    sed 's/^/  /' "$TMPD/$who.1"
}

# fields FILE: the fields every packet must carry, without timing and precision.
fields() {
    sed 's/ precision=[^ ]*//; s/ rootdisp=[^ ]*//; s/ txdiff=.*//' "$1" | sort -u
}

# spacing FILE MIN MAX MINCOUNT MAXCOUNT: the number of packets and their mean spacing.
spacing() {
    awk -v lo="$2" -v hi="$3" -v cmin="$4" -v cmax="$5" '
        { sub(/.* at=/, ""); t[NR] = $1 }
        END {
            if (NR < cmin || NR > cmax) { print "  count " NR; exit 1 }
            if (NR < 2) exit 0
            m = (t[NR] - t[1]) / (NR - 1)
            print "  count " NR " mean spacing " m
            exit !(m >= lo && m <= hi)
        }' "$1"
}

# txdiff_small FILE: every transmit timestamp within 2 s of the receiver's clock (-x).
txdiff_small() {
    awk '{ sub(/.* txdiff=/, ""); d = $1 < 0 ? -$1 : $1; if (d > 2) bad = 1 }
         END { exit bad || NR == 0 }' "$1"
}

run ours "$B/chronyd"
want1='from=127.0.0.1:123 len=48 leap=0 version=4 mode=5 stratum=3 poll=0 rootdelay=0.000000 refid=7F7F0101 reftime=set origin=0 receive=0'
want2=$(echo "$want1" | sed 's/poll=0/poll=1/')
check "interval-1-fields" [ "$(fields "$TMPD/ours.1")" = "$want1" ]
check "interval-1-count-and-spacing" spacing "$TMPD/ours.1" 0.9 2.0 3 $((WINDOW + 1))
check "interval-1-transmit-time" txdiff_small "$TMPD/ours.1"
check "interval-2-poll-1" [ "$(fields "$TMPD/ours.2")" = "$want2" ]
check "interval-2-count-and-spacing" spacing "$TMPD/ours.2" 1.8 4.0 1 $((WINDOW / 2 + 1))

if [ -x /usr/sbin/chronyd ]; then
    run debian /usr/sbin/chronyd -u root
    check "same-fields-as-debian-interval-1" [ "$(fields "$TMPD/ours.1")" = "$(fields "$TMPD/debian.1")" ]
    check "same-fields-as-debian-interval-2" [ "$(fields "$TMPD/ours.2")" = "$(fields "$TMPD/debian.2")" ]
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi

# A real subnet: veth bc0 (192.0.2.1/24, this namespace) to bc1 (192.0.2.2/24, NSB); the
# receiver in NSB is bound to the broadcast address 192.0.2.255, so it gets only datagrams
# sent there.
if ip netns add "$NSB" && ip netns exec "$NSB" ip link set lo up &&
    $IN ip link add bc0 type veth peer name bc1 netns "$NSB" &&
    $IN ip addr add 192.0.2.1/24 broadcast 192.0.2.255 dev bc0 && $IN ip link set bc0 up &&
    ip netns exec "$NSB" ip addr add 192.0.2.2/24 broadcast 192.0.2.255 dev bc1 &&
    ip netns exec "$NSB" ip link set bc1 up; then
    RECV=""
    receive "$NSB" "$TMPD/subnet" 192.0.2.255 123
    conf subnet "broadcast 1 192.0.2.255"
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/subnet.conf" >"$TMPD/subnet.log" 2>&1 &
    PIDS="$PIDS $!"
    wait $RECV
    stop_all
    sed 's/^/  /' "$TMPD/subnet"
    check "subnet-broadcast-arrives" [ "$(fields "$TMPD/subnet" | sed 's/from=192.0.2.1:/from=127.0.0.1:/')" = "$want1" ]
    check "subnet-broadcast-count" spacing "$TMPD/subnet" 0.9 2.0 3 $((WINDOW + 1))
else
    fail "subnet-setup"
fi
