#!/bin/sh
# Sockets bound as chrony 4.8 binds them on Linux: SO_REUSEPORT on every socket of a given
# port, so that several server instances share one NTP port (chrony's FAQ: "multiple server
# instances sharing a port to better utilise multiple cores"), and IP_FREEBIND, so that a
# `bindaddress` the host does not have (yet) is bound at start. Two of our daemons on one
# port, ours beside Debian's chronyd on one port, and a bindaddress of a missing address.
. tests/system/lib.sh

pick_ports 16323
DEB=/usr/sbin/chronyd
[ -x "$DEB" ] || DEB=

inst() { # inst NAME PORT BINARY [DIRECTIVE...]
    name=$1
    port=$2
    bin=$3
    shift 3
    cat >"$TMPD/$name.conf" <<CONF
local stratum 3
allow 127.0.0.1
port $port
cmdport 0
bindcmdaddress $TMPD/$name.sock
pidfile $TMPD/$name.pid
CONF
    for d in "$@"; do echo "$d" >>"$TMPD/$name.conf"; done
    if [ "$bin" = "$DEB" ]; then
        $IN $SAFE "$bin" -x -d -u root -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    else
        $IN $SAFE "$bin" -x -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    fi
    eval "PID_$name=$!"
    PIDS="$PIDS $!"
}

# owners PORT: the distinct processes with a UDP socket of PORT
owners() {
    $IN ss -lunpH "sport = :$1" | grep -o 'pid=[0-9]*' | sort -u | wc -l
}
owned_by() { # owned_by PORT PID
    $IN ss -lunpH "sport = :$1" | grep -q "pid=$2,"
}
# received NAME: the NTP requests the daemon with socket $TMPD/NAME.sock counted
received() {
    $IN "$B/chronyc" -h "$TMPD/$1.sock" serverstats 2>/dev/null |
        sed -n 's/^NTP packets received *: *//p'
}

# Two of ours on one port: both open it, and requests from many source ports are shared
# out between them (the kernel hashes the source address and port).
inst a "$P1" "$B/chronyd"
inst b "$P1" "$B/chronyd"
two_owners() { [ "$(owners "$P1")" -eq 2 ]; }
check "ours-twice-both-bound" wait_for two_owners
check "ours-twice-no-socket-error" sh -c "! grep -q 'Could not open NTP socket' \
    '$TMPD/a.log' '$TMPD/b.log'"
i=0
while [ $i -lt 40 ]; do
    $IN python3 tests/system/ntpreq.py 127.0.0.1 "$P1" >>"$TMPD/replies" 2>&1
    i=$((i + 1))
done
check "ours-twice-all-answered" [ "$(grep -c 'stratum=3' "$TMPD/replies")" -eq 40 ]
# serverstats counts a request before its reply leaves: both counts are final here.
ra=$(received a)
rb=$(received b)
echo "  requests counted by each: $ra $rb"
check "ours-twice-both-served" [ "${ra:-0}" -gt 0 -a "${rb:-0}" -gt 0 -a $((${ra:-0} + ${rb:-0})) -eq 40 ]
kill "$PID_b" 2>/dev/null
wait "$PID_b" 2>/dev/null

# Ours beside Debian's chronyd (which sets the same option) on one port.
if [ -n "$DEB" ]; then
    inst d "$P1" "$DEB"
    check "with-debian-both-bound" wait_for owned_by "$P1" "$PID_d"
    check "with-debian-ours-still-bound" owned_by "$P1" "$PID_a"
    check "with-debian-no-socket-error" sh -c "! grep -q 'Could not open NTP socket' \
        '$TMPD/d.log'"
    kill "$PID_d" 2>/dev/null
    wait "$PID_d" 2>/dev/null
fi

# bindaddress of an address no interface has: bound all the same.
inst f "$P2" "$B/chronyd" "bindaddress 192.0.2.77"
check "freebind-bound" wait_for sh -c "$IN ss -lunH 'sport = :$P2' | grep -q '192.0.2.77:$P2 '"
check "freebind-no-socket-error" sh -c "! grep -q 'Could not open NTP socket' '$TMPD/f.log'"
if [ -n "$DEB" ]; then
    inst g "$P3" "$DEB" "bindaddress 192.0.2.77"
    check "freebind-as-debian" wait_for sh -c \
        "$IN ss -lunH 'sport = :$P3' | grep -q '192.0.2.77:$P3 '"
fi
