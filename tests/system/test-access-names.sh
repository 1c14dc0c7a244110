#!/bin/sh
# Host names in access rules are looked up while the configuration is read, as chrony
# does: `deny NAME` and `cmdallow NAME` take the name's address (here "0x7f000002" and
# "0x0a090001", which are no addresses chrony parses but names getaddrinfo resolves to
# 127.0.0.2 and 10.9.0.1, so that no host table is needed), and a name that does not
# resolve refuses the configuration. In a namespace whose loopback also has 10.9.0.1 and
# 10.9.0.2 (chronyc sends from the address it talks to there; to 127.0.0.x it would send
# from 127.0.0.1, which the command port always admits).
. tests/system/lib.sh

if ! make_netns; then
    fail "netns (ip netns add failed)"
    exit 1
fi
$IN ip addr add 10.9.0.1/32 dev lo
$IN ip addr add 10.9.0.2/32 dev lo
P1=123
P2=323
cat >"$TMPD/a.conf" <<CONF
local stratum 3
allow 127.0.0.0/8
deny 0x7f000002
port $P1
bindcmdaddress 0.0.0.0
cmdport $P2
cmdallow 0x0a090001
pidfile $TMPD/a.pid
CONF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/a.conf" >"$TMPD/a.log" 2>&1 &
PIDS="$PIDS $!"

ntp_from() { # ntp_from SRC: a request from SRC is answered
    NTPREQ_SRC=$1 $IN python3 tests/system/ntpreq.py 127.0.0.1 "$P1" | grep -q 'stratum=3'
}
cmd_via() { # cmd_via ADDR: chronyc through ADDR (its source address) is answered
    $IN timeout 10 "$B/chronyc" -h "$1" -p "$P2" -m 'timeout 300' 'retries 1' tracking 2>/dev/null |
        grep -q '^Reference ID'
}
check "ntp-answered-from-other" wait_for ntp_from 127.0.0.3
check "deny-name-refuses-its-address" sh -c "! NTPREQ_SRC=127.0.0.2 $IN python3 \
    tests/system/ntpreq.py 127.0.0.1 $P1 | grep -q stratum="
check "cmdallow-name-admits-its-address" wait_for cmd_via 10.9.0.1
check "cmd-other-address-refused" sh -c "! $IN timeout 10 $B/chronyc -h 10.9.0.2 -p $P2 \
    -m 'timeout 300' 'retries 1' tracking 2>/dev/null | grep -q '^Reference ID'"

# A name that does not resolve: chrony's parse error naming file and line, exit 1.
printf 'allow 127.0.0.1\ncmddeny nonexistent.invalid\n' >"$TMPD/bad.conf"
$IN $SAFE timeout 20 "$B/chronyd" -x -d -f "$TMPD/bad.conf" >"$TMPD/bad.log" 2>&1
check "unresolved-name-exit-1" [ $? -eq 1 ]
check "unresolved-name-message" grep -q \
    "Fatal error : Could not parse cmddeny directive at line 2 in file $TMPD/bad.conf" "$TMPD/bad.log"
