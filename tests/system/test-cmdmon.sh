#!/bin/sh
# Our chronyd's command server queried by Debian's chronyc 4.3 over the Unix
# socket and UDP, and compared with Debian's chronyd 4.3 in the same state
# (no sources, -x). Raw datagrams check the error statuses and silent drops.
. tests/system/lib.sh

CHRONYC=/usr/bin/chronyc
REFD=/usr/sbin/chronyd
if [ ! -x "$CHRONYC" ]; then
    echo "SKIP chronyc not installed"
    exit 0
fi
if [ ! -x "$B/chronyd" ]; then
    echo "FAIL cmdmon-no-binary $B/chronyd"
    exit 0
fi

free_udp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if make_netns; then
    PORTS="10323 10123 11323 11123"
else
    IN=""
    PORTS="$(free_udp_port) $(free_udp_port) $(free_udp_port) $(free_udp_port)"
fi
set -- $PORTS
CMDPORT=$1
NTPPORT=$2
RCMDPORT=$3
RNTPPORT=$4

# start_daemon DIR BINARY CMDPORT NTPPORT [EXTRA DIRECTIVE]...
start_daemon() {
    dir=$1
    bin=$2
    cp=$3
    np=$4
    shift 4
    mkdir -p "$dir"
    chmod 0770 "$dir"
    cat >"$dir/chrony.conf" <<CONF
pidfile $dir/chronyd.pid
bindcmdaddress $dir/chronyd.sock
cmdport $cp
port $np
allow 127.0.0.1
CONF
    for l in "$@"; do echo "$l" >>"$dir/chrony.conf"; done
    $IN $SAFE "$bin" -x -d -u root -f "$dir/chrony.conf" >"$dir/log" 2>&1 &
    PIDS="$PIDS $!"
    LASTPID=$!
    wait_for test -S "$dir/chronyd.sock"
}

# q DIR ARGS...: chronyc over the Unix socket, output then "rc=N"
q() {
    dir=$1
    shift
    $IN timeout 20 "$CHRONYC" -h "$dir/chronyd.sock" "$@" 2>&1
    echo "rc=$?"
}

# u PORT ARGS...: chronyc over UDP 127.0.0.1
u() {
    port=$1
    shift
    $IN timeout 20 "$CHRONYC" -h 127.0.0.1 -p "$port" "$@" 2>&1
    echo "rc=$?"
}

# raw PORT SRC HEXSPEC: send one datagram built by python, print the reply as
# "len=N status=S" or "noreply". HEXSPEC: version,command,length[,res1]
raw() {
    $IN python3 - "$1" "$2" "$3" <<'PY'
import socket, struct, sys
port, src, spec = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
ver, cmd, length = int(spec[0]), int(spec[1]), int(spec[2])
res1 = int(spec[3]) if len(spec) > 3 else 0
pkt = struct.pack(">BBBBHHIII", ver, 1, res1, 0, cmd, 0, 0x01020304, 0, 0)
pkt = (pkt + b"\0" * length)[:length]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(1.0)
s.sendto(pkt, ("127.0.0.1", port))
try:
    d = s.recv(2048)
    st = struct.unpack(">H", d[8:10])[0] if len(d) >= 10 else -1
    print("len=%d status=%d" % (len(d), st))
except socket.timeout:
    print("noreply")
PY
}

OURS=$TMPD/ours
REF=$TMPD/ref
check "cmdmon-starts" start_daemon "$OURS" "$B/chronyd" "$CMDPORT" "$NTPPORT"
OURPID=$LASTPID
HAVE_REF=0
if [ -x "$REFD" ] && start_daemon "$REF" "$REFD" "$RCMDPORT" "$RNTPPORT"; then
    HAVE_REF=1
else
    echo "SKIP reference chronyd not available: only format checks"
fi

# The same sequence of requests goes to both daemons, so counters match.
CMDS="tracking|sources -v|sourcestats -v|activity|makestep|ntpdata|clients|serverstats|sources|sourcestats|rtcdata|smoothing|manual list|ntpdata 192.0.2.1|sourcename 192.0.2.1|online|burst 1/2|accheck 127.0.0.1|cmdaccheck 192.0.2.1|dump|reselect|serverstats"
IFS='|'
i=0
for c in $CMDS; do
    i=$((i + 1))
    unset IFS
    q "$OURS" $c >"$TMPD/o$i"
    [ $HAVE_REF = 1 ] && q "$REF" $c >"$TMPD/r$i"
    IFS='|'
done
unset IFS

# Format checks on our output alone.
grep -q '^Reference ID    : 00000000 ()$' "$TMPD/o1" && grep -q '^Leap status     : Not synchronised$' "$TMPD/o1" &&
    grep -q '^Root delay      : 1.000000000 seconds$' "$TMPD/o1" && [ "$(wc -l <"$TMPD/o1")" = 14 ]
check "tracking-unsynchronised" [ $? = 0 ]
check "sources-header" grep -q '^MS Name/IP address         Stratum Poll Reach LastRx Last sample' "$TMPD/o2"
check "sourcestats-header" grep -q '^Name/IP Address            NP  NR  Span  Frequency  Freq Skew  Offset  Std Dev$' "$TMPD/o3"
check "activity-zero" sh -c "head -n 2 '$TMPD/o4' | tr '\n' ' ' | grep -q '^200 OK 0 sources online'"
# chronyd -x cannot step the clock: makestep answers 500 Failure (spec 6.6), as chrony's.
check "makestep-500-failure" grep -q '^500 Failure$' "$TMPD/o5"
check "ntpdata-no-sources" [ "$(cat "$TMPD/o6")" = "rc=0" ]
check "clients-empty" [ "$(wc -l <"$TMPD/o7")" = 3 ]
check "serverstats-4.3-format" sh -c "grep -q '^Command packets received   : 8$' '$TMPD/o8' && [ \$(wc -l <'$TMPD/o8') = 12 ]"
check "rtcdata-nortc" grep -q '^513 RTC driver not running$' "$TMPD/o11"
check "ntpdata-no-such-source" grep -q '^503 No such source$' "$TMPD/o14"

if [ $HAVE_REF = 1 ]; then
    i=0
    IFS='|'
    for c in $CMDS; do
        i=$((i + 1))
        unset IFS
        name=$(echo "$c" | tr ' /' '__')
        if cmp -s "$TMPD/o$i" "$TMPD/r$i"; then
            pass "same-as-chronyd-4.3: $c"
        else
            fail "same-as-chronyd-4.3: $c"
            diff "$TMPD/r$i" "$TMPD/o$i" | sed 's/^/  /' | head -n 20
        fi
        IFS='|'
    done
    unset IFS
fi

# UDP from 127.0.0.1: open commands only.
u "$CMDPORT" tracking >"$TMPD/ut"
check "udp-tracking-same-as-unix" cmp -s "$TMPD/ut" "$TMPD/o1"
if $IN python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' 2>/dev/null; then
    $IN timeout 20 "$CHRONYC" -h ::1 -p "$CMDPORT" tracking >"$TMPD/u6" 2>&1
    echo "rc=$?" >>"$TMPD/u6"
    check "udp6-tracking-same-as-unix" cmp -s "$TMPD/u6" "$TMPD/o1"
else
    echo "SKIP no IPv6 loopback"
fi
check "udp-ntpdata-unauthorised" [ "$(u "$CMDPORT" ntpdata 127.0.0.1)" = "$(printf '501 Not authorised\nrc=1')" ]
check "udp-makestep-unauthorised" [ "$(u "$CMDPORT" makestep)" = "$(printf '501 Not authorised\nrc=1')" ]
check "udp-serverstats-unauthorised" [ "$(u "$CMDPORT" serverstats)" = "$(printf '501 Not authorised\nrc=1')" ]

# Raw datagrams (spec 3.3).
check "raw-ok" [ "$(raw "$CMDPORT" 127.0.0.1 6,33,104)" = "len=104 status=0" ]
check "raw-version5-status18" [ "$(raw "$CMDPORT" 127.0.0.1 5,33,104)" = "len=28 status=18" ]
check "raw-version4-silent" [ "$(raw "$CMDPORT" 127.0.0.1 4,33,104)" = "noreply" ]
check "raw-short-status19" [ "$(raw "$CMDPORT" 127.0.0.1 6,33,103)" = "len=28 status=19" ]
check "raw-27-bytes-silent" [ "$(raw "$CMDPORT" 127.0.0.1 6,33,27)" = "noreply" ]
check "raw-860-bytes-ok" [ "$(raw "$CMDPORT" 127.0.0.1 6,33,860)" = "len=104 status=0" ]
check "raw-861-bytes-silent" [ "$(raw "$CMDPORT" 127.0.0.1 6,33,861)" = "noreply" ]
check "raw-res1-silent" [ "$(raw "$CMDPORT" 127.0.0.1 6,33,104,1)" = "noreply" ]
check "raw-unknown-status3" [ "$(raw "$CMDPORT" 127.0.0.1 6,200,104)" = "len=28 status=3" ]
check "raw-not-localhost-silent" [ "$(raw "$CMDPORT" 127.0.0.2 6,33,104)" = "noreply" ]
check "raw-serverstats-not-amplified" [ "$(raw "$CMDPORT" 127.0.0.1 6,54,28)" = "len=28 status=19" ]
if [ $HAVE_REF = 1 ]; then
    for spec in 6,33,104 5,33,104 4,33,104 6,33,103 6,200,104 6,15,76; do
        check "raw-same-as-chronyd-4.3: $spec" [ "$(raw "$CMDPORT" 127.0.0.1 $spec)" = "$(raw "$RCMDPORT" 127.0.0.1 $spec)" ]
    done
fi

# NTP requests and UDP commands show up in `clients` and `serverstats`.
$IN python3 tests/system/ntpreq.py 127.0.0.1 "$NTPPORT" >/dev/null 2>&1
$IN python3 tests/system/ntpreq.py 127.0.0.1 "$NTPPORT" >/dev/null 2>&1
q "$OURS" clients >"$TMPD/oc"
echo "  clients: $(sed -n 3p "$TMPD/oc")"
check "clients-localhost-row" sh -c "sed -n 3p '$TMPD/oc' | grep -Eq '^localhost +2 +0 +[- 0-9]+ +- +[0-9]+ +[0-9]+ +0 '"
q "$OURS" serverstats >"$TMPD/os"
check "serverstats-ntp-hits" grep -q '^NTP packets received       : 2$' "$TMPD/os"

# shutdown answers 200 OK (the loop's exit on it belongs to the node/main).
check "shutdown-200-ok" [ "$(q "$OURS" shutdown)" = "$(printf '200 OK\nrc=0')" ]
kill "$OURPID" 2>/dev/null
i=0
while kill -0 "$OURPID" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "socket-removed-at-exit" [ ! -e "$OURS/chronyd.sock" ]
