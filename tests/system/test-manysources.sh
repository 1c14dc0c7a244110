#!/bin/sh
# 200 servers on loopback addresses (127.0.1.1-200, one server of ours bound to every
# address): every source polls and is reached, and chronyc still talks to the daemon.
# A request leaves from a socket of its own, closed after the response (as chrony's), so
# 180 descriptors are enough for 200 sources. With none left for client sockets, the
# sources that cannot send are logged, chronyc still works and `add server` is refused
# instead of answering 200 OK.
. tests/system/lib.sh

pick_ports 15260
N=200

server_conf "$TMPD/s.conf" $P1
sed -i 's|^allow 127.0.0.1|allow 127.0.0.0/8|' "$TMPD/s.conf"
client_conf() { # client_conf FILE NAME [PORT]
    {
        i=1
        while [ $i -le $N ]; do
            echo "server 127.0.1.$i port ${3:-$P1} minpoll 0 maxpoll 0 iburst"
            i=$((i + 1))
        done
        echo "cmdport 0"
        echo "bindcmdaddress $TMPD/$2.sock"
        echo "pidfile $TMPD/$2.pid"
    } >"$1"
}
client_conf "$TMPD/c.conf" c

$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
PIDS="$PIDS $!"

# sources with a nonzero reach register, as counted by chronyc
reached() {
    $IN "$B/chronyc" -h "$TMPD/$1.sock" -n sources 2>/dev/null |
        awk '$2 ~ /^127\.0\.1\./ && $5 != "0" { n++ } END { print n + 0 }'
}
all_reached() { test "$(reached c)" -eq $N; }
# the sources start a few at a time: give them a minute on a busy machine
check "all-200-sources-reached" retry 120 0.5 all_reached
echo "  sources reached: $(reached c) of $N"
check "chronyc-tracking-works" sh -c "$IN $B/chronyc -h $TMPD/c.sock tracking | grep -q '^Reference ID'"
check "no-socket-error-logged" sh -c "! grep -q 'Could not open' $TMPD/c.log"

# 180 descriptors (116 for client sockets): every source polls all the same, as its
# socket is open only while its request is in flight (before: one socket kept per
# source, the last 84 sources never polled).
client_conf "$TMPD/e.conf" e
$IN $SAFE sh -c "ulimit -n 180 && exec $B/chronyd -x -d -f $TMPD/e.conf" >"$TMPD/e.log" 2>&1 &
PIDS="$PIDS $!"
all_reached_e() { test "$(reached e)" -eq $N; }
check "all-200-reached-with-180-descriptors" retry 120 0.5 all_reached_e
echo "  sources reached with 180 descriptors: $(reached e) of $N"
check "no-socket-error-with-180-descriptors" sh -c "! grep -q 'Could not open' $TMPD/e.log"

# 16 descriptors: client sockets stop at half the limit (below 128), most of them taken
# by the daemon's own descriptors; the servers' port is one nobody serves, so a socket is
# held until its request times out (maxdelay + 4 s) and the few free ones are in use.
client_conf "$TMPD/d.conf" d $P2
$IN $SAFE sh -c "ulimit -n 16 && exec $B/chronyd -x -d -f $TMPD/d.conf" >"$TMPD/d.log" 2>&1 &
PIDS="$PIDS $!"
check "lack-of-socket-logged" retry 120 0.5 grep -q "Could not open IPv4 socket for 127.0.1.[0-9]* : Too many open files" "$TMPD/d.log"
check "chronyc-works-out-of-descriptors" wait_for sh -c "$IN $B/chronyc -h $TMPD/d.sock -n sources | grep -q '127.0.1.1 '"
# a descriptor may be free for an instant between two requests: ask until refused
# (each try another address; one accepted is one more source)
a=1
add_refused() {
    a=$((a + 1))
    $IN "$B/chronyc" -h "$TMPD/d.sock" add server 127.0.2.$a port $P2 >"$TMPD/add.out" 2>&1
    grep -q "512 Too many sources present" "$TMPD/add.out"
}
check "add-server-refused" retry 20 0.5 add_refused
check "refusal-logged" grep -q "Could not open IPv4 socket for 127.0.2.$a" "$TMPD/d.log"
