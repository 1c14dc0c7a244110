#!/bin/sh
# NTP over PTP (`ptpport`, `ptpdomain`): servers bound to 127.0.0.1 and clients bound to
# 127.0.0.2 share the PTP port 31900. The servers have `port 0` (no plain NTP port), so a
# client synchronises only through the PTP encapsulation. Ours with ours, ours with
# Debian's chronyd (4.3) on either side; a listener decodes the requests of our client and
# of Debian's and compares their PTP headers; `ptpdomain` filters what the server answers.
# Daemons run with -x only.
. tests/system/lib.sh

make_netns || IN=""
PTP=31900
chmod 700 "$TMPD" # chrony refuses command sockets in a directory others can enter

server_ptp_conf() { # server_ptp_conf NAME [EXTRA]
    cat >"$TMPD/$1.conf" <<CONF
local stratum 1
allow 127.0.0.0/8
port 0
ptpport $PTP
bindaddress 127.0.0.1
cmdport 0
bindcmdaddress /
pidfile $TMPD/$1.pid
${2:-}
CONF
}

client_ptp_conf() { # client_ptp_conf NAME [EXTRA]
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $PTP minpoll 0 maxpoll 0 iburst
port 0
ptpport $PTP
bindaddress 127.0.0.2
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
${2:-}
CONF
}

start() { # start NAME DAEMON...
    name=$1
    shift
    $IN $SAFE "$@" -x -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
}

# What a client's first request looks like to a listener in place of the server.
request_of() { # request_of DAEMON...
    client_ptp_conf probe
    rm -f "$TMPD/listening"
    $IN python3 tests/system/ptpntp.py listen 127.0.0.1 $PTP 20 "$TMPD/listening" \
        >"$TMPD/listen.out" &
    lpid=$!
    wait_for test -e "$TMPD/listening"
    start probe "$@"
    wait $lpid
    stop_all
    cat "$TMPD/listen.out"
}

ours=$(request_of "$B/chronyd")
echo "  ours:   $ours"
check ptp-request-fields sh -c "echo '$ours' | grep -q '^type=1 version=2 length_ok=1 domain=123 minor=0 flags=0x0400 corr_zero=1 rest_zero=1 tlv=0x2023 tlv_len_ok=1 ntp_version=4 ntp_mode=3$'"
if [ -x /usr/sbin/chronyd ]; then
    deb=$(request_of /usr/sbin/chronyd -u root)
    echo "  debian: $deb"
    check ptp-request-as-debian test "$ours" = "$deb"
fi

# Our client, our server.
server_ptp_conf s
client_ptp_conf c
start s "$B/chronyd"
start c "$B/chronyd"
check ptp-ours-synchronised wait_long selected c
out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -n ntpdata 127.0.0.1 2>&1)
check ptp-ours-remote-port sh -c "echo '$out' | grep -q '^Remote port     : $PTP'"
# The kernel's receive and transmit timestamps work on the PTP socket too.
kernel_ts() {
    out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -n ntpdata 127.0.0.1 2>&1)
    echo "$out" | grep -q '^TX timestamping : Kernel' &&
        echo "$out" | grep -q '^RX timestamping : Kernel' &&
        [ "$(echo "$out" | sed -n 's/^Total kernel TX *: //p')" -gt 2 ]
}
check ptp-kernel-timestamps wait_long kernel_ts
# The server answers in the encapsulation, with its domain and the request's origin.
out=$($IN python3 tests/system/ptpntp.py query 127.0.0.3 127.0.0.1 $PTP 123 3)
echo "  reply:  $out"
check ptp-server-reply sh -c "echo '$out' | grep -q '^type=1 version=2 length_ok=1 domain=123 .* tlv=0x2023 tlv_len_ok=1 ntp_version=4 ntp_mode=4 origin_ok=1$'"
stop_all

# ptpdomain: a server in domain 124 ignores domain 123 and answers 124.
server_ptp_conf s "ptpdomain 124"
start s "$B/chronyd"
check ptp-domain-answered sh -c "$IN python3 tests/system/ptpntp.py query 127.0.0.3 127.0.0.1 $PTP 124 3 | grep -q 'domain=124 .*ntp_mode=4 origin_ok=1'"
check ptp-wrong-domain-ignored sh -c "$IN python3 tests/system/ptpntp.py query 127.0.0.3 127.0.0.1 $PTP 123 3 | grep -q '^noreply$'"
# Our client in domain 124 synchronises to it.
client_ptp_conf c "ptpdomain 124"
start c "$B/chronyd"
check ptp-domain-client-synchronised wait_long selected c
stop_all

if [ -x /usr/sbin/chronyd ]; then
    # Our client, Debian's server.
    server_ptp_conf s
    client_ptp_conf c
    start s /usr/sbin/chronyd -u root
    start c "$B/chronyd"
    check ptp-debian-server wait_long selected c
    stop_all
    # Debian's client, our server.
    server_ptp_conf s
    client_ptp_conf c
    start s "$B/chronyd"
    start c /usr/sbin/chronyd -u root
    check ptp-debian-client wait_long selected c
    stop_all
    # Debian's client (domain 123 only) gets nothing from our server in domain 124.
    server_ptp_conf s "ptpdomain 124"
    start s "$B/chronyd"
    start c /usr/sbin/chronyd -u root
    wait_for sh -c "$IN $B/chronyc -h $TMPD/c.sock -n ntpdata 127.0.0.1 | grep -q '^Total TX        : [3-9]'"
    out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -n ntpdata 127.0.0.1 2>&1)
    check ptp-debian-wrong-domain-ignored sh -c "echo '$out' | grep -q '^Total RX        : 0$'"
    stop_all
fi
