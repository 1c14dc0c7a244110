#!/bin/sh
# `bindacqaddress`: the client's requests leave from that address. A UDP listener
# on loopback records the source address of every request it gets; a second
# daemon without the directive shows the default source address for contrast.
. tests/system/lib.sh

pick_ports 15323

# The listener writes "ADDR PORT" per datagram to $TMPD/seen.P (flushed at once).
listen() {
    $IN python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "a") as f:
    while True:
        data, addr = s.recvfrom(2048)
        f.write("%s %d\n" % addr)
        f.flush()
' "$1" "$TMPD/seen.$1" &
    PIDS="$PIDS $!"
}

client() { # client NAME PORT [DIRECTIVE]
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $2 iburst minpoll 0 maxpoll 0
cmdport 0
bindcmdaddress /
pidfile $TMPD/$1.pid
CONF
    [ -n "${3:-}" ] && echo "$3" >>"$TMPD/$1.conf"
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    PIDS="$PIDS $!"
}

three_requests() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge 3 ]; }

listen $P1
listen $P2
wait_for sh -c "$IN ss -uan | grep -q '127.0.0.1:$P2 '"
client bound $P1 "bindacqaddress 127.0.0.3"
client plain $P2

check "bindacqaddress-requests-received" wait_long three_requests "$TMPD/seen.$P1"
echo "  from: $(cut -d' ' -f1 "$TMPD/seen.$P1" | sort | uniq -c | tr '\n' ' ')"
check "bindacqaddress-source-address" sh -c "! grep -qv '^127\.0\.0\.3 ' '$TMPD/seen.$P1'"
check "default-requests-received" wait_long three_requests "$TMPD/seen.$P2"
check "default-source-address" sh -c "! grep -qv '^127\.0\.0\.1 ' '$TMPD/seen.$P2'"
# A bad address is refused with chrony's message naming the file and line.
cat >"$TMPD/bad.conf" <<CONF
cmdport 0
bindacqaddress 127.0.0.300
CONF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/bad.conf" >"$TMPD/bad.log" 2>&1
echo "  $(tail -1 "$TMPD/bad.log")"
check "bindacqaddress-bad-address-refused" grep -q "Could not parse bindacqaddress directive at line 2 in file $TMPD/bad.conf" "$TMPD/bad.log"

# The NTS-KE connection of an NTS source leaves from that address too (as chrony's NTS-KE
# client binds it). A TCP listener notes the address of each connection it gets.
$IN python3 tests/system/tcp_seen.py 127.0.0.1 "$P3" "$TMPD/ke-seen" &
PIDS="$PIDS $!"
wait_for sh -c "$IN ss -tln | grep -q '127.0.0.1:$P3 '"
cat >"$TMPD/nts.conf" <<CONF
server 127.0.0.1 port $P1 nts ntsport $P3 iburst minpoll 0 maxpoll 0
bindacqaddress 127.0.0.4
cmdport 0
bindcmdaddress /
pidfile $TMPD/nts.pid
CONF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/nts.conf" >"$TMPD/nts.log" 2>&1 &
PIDS="$PIDS $!"
check "bindacqaddress-nts-ke-connected" wait_long test -s "$TMPD/ke-seen"
echo "  NTS-KE from: $(sort "$TMPD/ke-seen" | uniq -c | tr '\n' ' ')"
check "bindacqaddress-nts-ke-source-address" sh -c "! grep -qv '^127\.0\.0\.4$' '$TMPD/ke-seen'"
