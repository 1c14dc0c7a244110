#!/bin/sh
# `extfield F324` (chrony 4.8's experimental network correction field). Servers bound to
# 127.0.0.1, clients to 127.0.0.2, sharing the PTP port 31900 (`ptpport`) and the plain
# NTP port 123 (or 31923 without a network namespace). A listener in place of the server
# shows our client's request: the field (zero correction) only with `ptpport`, as chrony
# sends it. Our server answers a request carrying it, over NTP-over-PTP and the plain
# port, only with `ptpport`, with a zero correction (no transparent clock here, no
# hardware timestamps). Our client with the option synchronises to our server (both
# ways) and to Debian's chronyd 4.3, which does not know the field. Daemons run with -x.
. tests/system/lib.sh

make_netns || IN=""
PTP=31900
if [ -n "$IN" ]; then NTP=123; else NTP=31923; fi
chmod 700 "$TMPD"

server_conf_nc() { # server_conf_nc NAME [EXTRA]
    cat >"$TMPD/$1.conf" <<CONF
local stratum 1
allow 127.0.0.0/8
port $NTP
bindaddress 127.0.0.1
cmdport 0
bindcmdaddress /
pidfile $TMPD/$1.pid
${2:-}
CONF
}

client_conf_nc() { # client_conf_nc NAME SERVER_PORT [EXTRA]
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $2 minpoll 0 maxpoll 0 iburst extfield F324
port 0
bindaddress 127.0.0.2
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
${3:-}
CONF
}

start() { # start NAME DAEMON...
    name=$1
    shift
    $IN $SAFE "$@" -x -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
}

# Our client's first request as a listener on the server's address sees it.
request_of() { # request_of SERVER_PORT [ptp] [CLIENT_EXTRA]
    client_conf_nc probe "$1" "${3:-}"
    rm -f "$TMPD/listening"
    $IN python3 tests/system/netcorr.py listen 127.0.0.1 "$1" 20 "$TMPD/listening" ${2:-} \
        >"$TMPD/listen.out" &
    lpid=$!
    wait_for test -e "$TMPD/listening"
    start probe "$B/chronyd"
    wait $lpid
    stop_all
    cat "$TMPD/listen.out"
}

out=$(request_of $PTP ptp "ptpport $PTP")
echo "  request (ptp):            $out"
check f324-request-ptp sh -c "echo '$out' | grep -q '^len=76 version=4 mode=3 efs=F324 f324=ok corr=0.000000000 rsv_zero=1$'"
out=$(request_of $NTP "" "ptpport $PTP")
echo "  request (plain, ptpport): $out"
check f324-request-plain sh -c "echo '$out' | grep -q '^len=76 version=4 mode=3 efs=F324 f324=ok corr=0.000000000 rsv_zero=1$'"
out=$(request_of $NTP)
echo "  request (no ptpport):     $out"
check f324-request-needs-ptpport sh -c "echo '$out' | grep -q '^len=48 version=4 mode=3 efs=none$'"

# Our server: the field comes back with a zero correction, over PTP and plain NTP.
server_conf_nc s "ptpport $PTP"
start s "$B/chronyd"
wait_for sh -c "$IN python3 tests/system/netcorr.py query 127.0.0.3 127.0.0.1 $NTP 1 | grep -q '^len='"
out=$($IN python3 tests/system/netcorr.py query 127.0.0.3 127.0.0.1 $PTP 3 ptp)
echo "  reply (ptp):   $out"
check f324-server-reply-ptp sh -c "echo '$out' | grep -q '^len=76 version=4 mode=4 efs=F324 f324=ok corr=0.000000000 rsv_zero=1$'"
out=$($IN python3 tests/system/netcorr.py query 127.0.0.3 127.0.0.1 $NTP 3)
echo "  reply (plain): $out"
check f324-server-reply-plain sh -c "echo '$out' | grep -q '^len=76 version=4 mode=4 efs=F324 f324=ok corr=0.000000000 rsv_zero=1$'"

# Our client with the option synchronises through both ports.
client_conf_nc c $PTP "ptpport $PTP"
start c "$B/chronyd"
check f324-ours-ptp-synchronised wait_long selected c
out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -n ntpdata 127.0.0.1 2>&1)
check f324-ours-ptp-port sh -c "echo '$out' | grep -q '^Remote port     : $PTP'"
stop_all
server_conf_nc s "ptpport $PTP"
client_conf_nc c $NTP "ptpport $PTP"
start s "$B/chronyd"
start c "$B/chronyd"
check f324-ours-plain-synchronised wait_long selected c
stop_all

# A server without ptpport answers without the field (as chrony 4.8).
server_conf_nc s
start s "$B/chronyd"
wait_for sh -c "$IN python3 tests/system/netcorr.py query 127.0.0.3 127.0.0.1 $NTP 1 | grep -q '^len='"
out=$($IN python3 tests/system/netcorr.py query 127.0.0.3 127.0.0.1 $NTP 3)
echo "  reply (no ptpport): $out"
check f324-server-needs-ptpport sh -c "echo '$out' | grep -q '^len=48 version=4 mode=4 efs=none$'"
stop_all

if [ -x /usr/sbin/chronyd ]; then
    # Debian's chronyd 4.3 does not know F324: it answers without it, our client works.
    server_conf_nc s "ptpport $PTP"
    start s /usr/sbin/chronyd -u root
    wait_for sh -c "$IN python3 tests/system/netcorr.py query 127.0.0.3 127.0.0.1 $NTP 1 | grep -q '^len='"
    out=$($IN python3 tests/system/netcorr.py query 127.0.0.3 127.0.0.1 $PTP 3 ptp)
    echo "  debian reply (ptp): $out"
    check f324-debian-ignores sh -c "echo '$out' | grep -q '^len=48 version=4 mode=4 efs=none$'"
    client_conf_nc c $PTP "ptpport $PTP"
    start c "$B/chronyd"
    check f324-debian-server-ptp wait_long selected c
    stop_all
    server_conf_nc s "ptpport $PTP"
    client_conf_nc c $NTP "ptpport $PTP"
    start s /usr/sbin/chronyd -u root
    start c "$B/chronyd"
    check f324-debian-server-plain wait_long selected c
    stop_all
fi
