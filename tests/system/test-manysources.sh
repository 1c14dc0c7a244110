#!/bin/sh
# 200 servers on loopback addresses (127.0.1.1-200, one server of ours bound to every
# address): every source polls and is reached, and chronyc still talks to the daemon.
# With a descriptor limit too small for them all, the sources without a socket are
# logged, chronyc still works and `add server` is refused instead of answering 200 OK.
. tests/system/lib.sh

pick_ports 15260
N=200

server_conf "$TMPD/s.conf" $P1
sed -i 's|^allow 127.0.0.1|allow 127.0.0.0/8|' "$TMPD/s.conf"
client_conf() { # client_conf FILE NAME
    {
        i=1
        while [ $i -le $N ]; do
            echo "server 127.0.1.$i port $P1 minpoll 0 maxpoll 0 iburst"
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

# Too few descriptors for 200 client sockets: reported, the command socket kept.
client_conf "$TMPD/d.conf" d
$IN $SAFE sh -c "ulimit -n 180 && exec $B/chronyd -x -d -f $TMPD/d.conf" >"$TMPD/d.log" 2>&1 &
PIDS="$PIDS $!"
# each client socket stays open: once one source is refused, every descriptor is taken
check "lack-of-socket-logged" retry 120 0.5 grep -q "Could not open IPv4 socket for 127.0.1.[0-9]* : Too many open files" "$TMPD/d.log"
check "chronyc-works-out-of-descriptors" wait_for sh -c "$IN $B/chronyc -h $TMPD/d.sock -n sources | grep -q '127.0.1.1 '"
$IN "$B/chronyc" -h "$TMPD/d.sock" add server 127.0.2.1 port $P1 >"$TMPD/add.out" 2>&1
check "add-server-refused" grep -q "512 Too many sources present" "$TMPD/add.out"
check "refusal-logged" grep -q "Could not open IPv4 socket for 127.0.2.1" "$TMPD/d.log"
some_reached() { test "$(reached d)" -gt 50; }
check "sources-with-sockets-poll" wait_long some_reached
