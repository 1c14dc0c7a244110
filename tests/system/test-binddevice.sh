#!/bin/sh
# binddevice, bindacqdevice and bindcmddevice (SO_BINDTODEVICE on the NTP server, client
# and command sockets, as chrony). A server namespace S has two interfaces, vA
# (10.1.0.1) and vB (10.2.0.1), each a veth pair to a client namespace C (cA 10.1.0.2,
# cB 10.2.0.2):
# - a server with `binddevice vA` answers requests arriving on vA and not those on vB;
# - its command port with `bindcmddevice vA` answers chronyc through vA and not vB;
# - a client with `bindacqdevice cA` reaches a server through cA and not through cB;
# - the NTS-KE server of the `binddevice vA` server accepts connections through vA only,
#   and the NTS-KE connections of a `bindacqdevice cA` client go through cA only (as
#   chrony binds its NTS-KE sockets).
. tests/system/lib.sh

if ! make_netns; then
    fail "netns (ip netns add failed)"
    exit 1
fi
S=$NS
NS2=chrc$$
trap 'cleanup; ip netns del "$NS2" 2>/dev/null' EXIT INT TERM
INS="ip netns exec $S"
INC="ip netns exec $NS2"
if ! ip netns add "$NS2" || ! $INC ip link set lo up ||
    ! ip -n "$S" link add vA type veth peer name cA netns "$NS2" ||
    ! ip -n "$S" link add vB type veth peer name cB netns "$NS2"; then
    fail "veth (could not create the interfaces)"
    exit 1
fi
ip -n "$S" addr add 10.1.0.1/24 dev vA
ip -n "$S" addr add 10.2.0.1/24 dev vB
ip -n "$NS2" addr add 10.1.0.2/24 dev cA
ip -n "$NS2" addr add 10.2.0.2/24 dev cB
# S answers ARP only for the addresses of the interface asked (else a socket bound to cA,
# which Linux lets send to any address as if on the link, would reach 10.2.0.1 through cA).
$INS sysctl -qw net.ipv4.conf.all.arp_ignore=1
for l in vA vB; do ip -n "$S" link set "$l" up; done
for l in cA cB; do ip -n "$NS2" link set "$l" up; done
chmod 700 "$TMPD"

# s1: NTP and command ports bound to vA. s2: port 124 on every interface.
cat >"$TMPD/s1.conf" <<CONF
local stratum 1
allow all
port 123
binddevice vA
bindcmdaddress 0.0.0.0
cmdallow all
cmdport 323
bindcmddevice vA
pidfile $TMPD/s1.pid
CONF
cat >"$TMPD/s2.conf" <<CONF
local stratum 1
allow all
port 124
cmdport 0
bindcmdaddress /
pidfile $TMPD/s2.pid
CONF
cat >"$TMPD/c.conf" <<CONF
server 10.1.0.1 port 124 iburst minpoll 0 maxpoll 0
server 10.2.0.1 port 124 iburst minpoll 0 maxpoll 0
bindacqdevice cA
port 0
cmdport 0
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
CONF
for n in s1 s2; do
    $INS $SAFE "$B/chronyd" -x -d -f "$TMPD/$n.conf" >"$TMPD/$n.log" 2>&1 &
    PIDS="$PIDS $!"
done
$INC $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
PIDS="$PIDS $!"

answered() { # answered ADDR PORT
    $INC python3 tests/system/ntpreq.py "$1" "$2" | grep -q stratum=1
}
check "server-path-vB-works" wait_for answered 10.2.0.1 124
check "binddevice-answers-on-vA" wait_for answered 10.1.0.1 123
check "binddevice-silent-on-vB" sh -c "! $INC python3 tests/system/ntpreq.py 10.2.0.1 123 | grep -q stratum="
check "bindcmddevice-answers-on-vA" sh -c "$INC timeout 10 $B/chronyc -h 10.1.0.1 -p 323 tracking | grep -q '^Reference ID'"
check "bindcmddevice-silent-on-vB" sh -c "! $INC timeout 10 $B/chronyc -h 10.2.0.1 -p 323 -m 'timeout 300' 'retries 1' tracking 2>/dev/null | grep -q '^Reference ID'"

reach() { # reach ADDR: the Reach column of the client's source
    $INC "$B/chronyc" -h "$TMPD/c.sock" -n sources 2>/dev/null | awk -v a="$1" '$2 == a {print $5}'
}
check "bindacqdevice-reaches-through-cA" wait_for sh -c "r=\$($INC $B/chronyc -h $TMPD/c.sock -n sources 2>/dev/null | awk '\$2 == \"10.1.0.1\" {print \$5}'); [ -n \"\$r\" ] && [ \"\$r\" != 0 ]"
sleep 3
check "bindacqdevice-not-through-cB" [ "$(reach 10.2.0.1)" = 0 ]

# NTS-KE. s3: an NTS-KE server (port 4460) with binddevice vA. In S, a TCP listener on
# port 4461 of every interface notes the address of each connection; c2 (bindacqdevice
# cA) has NTS sources at 10.1.0.1 and 10.2.0.1 with ntsport 4461.
if command -v openssl >/dev/null 2>&1; then
    self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" s3 "IP:10.1.0.1"
    cat >"$TMPD/s3.conf" <<CONF
local stratum 1
allow all
port 125
binddevice vA
ntsport 4460
ntsserverkey $TMPD/key.pem
ntsservercert $TMPD/cert.pem
cmdport 0
bindcmdaddress /
pidfile $TMPD/s3.pid
CONF
    $INS $SAFE "$B/chronyd" -x -d -f "$TMPD/s3.conf" >"$TMPD/s3.log" 2>&1 &
    PIDS="$PIDS $!"
    $INS python3 tests/system/tcp_seen.py 0.0.0.0 4461 "$TMPD/ke-seen" --local &
    PIDS="$PIDS $!"
    cat >"$TMPD/c2.conf" <<CONF
server 10.1.0.1 port 124 nts ntsport 4461 iburst minpoll 0 maxpoll 0
server 10.2.0.1 port 124 nts ntsport 4461 iburst minpoll 0 maxpoll 0
bindacqdevice cA
port 0
cmdport 0
bindcmdaddress /
pidfile $TMPD/c2.pid
CONF
    connects() { # connects ADDR PORT: a TCP connection from C succeeds
        $INC python3 -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()' "$1" "$2"
    }
    check "nts-binddevice-accepts-on-vA" wait_for connects 10.1.0.1 4460
    check "nts-binddevice-refuses-on-vB" sh -c "! $INC python3 -c 'import socket
socket.create_connection((\"10.2.0.1\", 4460), timeout=3).close()' 2>/dev/null"
    $INC $SAFE "$B/chronyd" -x -d -f "$TMPD/c2.conf" >"$TMPD/c2.log" 2>&1 &
    PIDS="$PIDS $!"
    seen_via_a() { grep -q '^10.1.0.1 10.1.0.2$' "$TMPD/ke-seen" 2>/dev/null; }
    check "nts-bindacqdevice-connects-through-cA" wait_long seen_via_a
    # The client retries its failed key exchanges (the listener closes them) meanwhile.
    check "nts-bindacqdevice-connects-twice-through-cA" wait_long sh -c \
        "[ \$(grep -c '^10.1.0.1 ' '$TMPD/ke-seen') -ge 2 ]"
    echo "  NTS-KE connections seen: $(sort "$TMPD/ke-seen" | uniq -c | tr '\n' ' ')"
    check "nts-bindacqdevice-not-through-cB" sh -c "! grep -q '^10.2.0.1 ' '$TMPD/ke-seen'"
fi
