#!/bin/sh
# Interoperability of our chronyc with Debian's chronyd 4.3: the same daemon
# state rendered by Debian's /usr/bin/chronyc and by ours must be identical
# (through the Unix socket and through UDP). The daemon runs with -x (no
# clock control) and without CAP_SYS_TIME, on loopback only.
B=${B:-build/san}
OURS="$B/chronyc"
CHRONYD=/usr/sbin/chronyd
THEIRS=/usr/bin/chronyc

if [ ! -x "$CHRONYD" ] || [ ! -x "$THEIRS" ]; then
    echo "SKIP chronyc-interop: $CHRONYD or $THEIRS not installed"
    exit 0
fi
if [ ! -x "$OURS" ]; then
    echo "FAIL chronyc-interop: $OURS not built"
    exit 1
fi

DIR=$(mktemp -d /tmp/cmdc-interop.XXXXXX)
chmod 0770 "$DIR"
PID=
UPPID=
cleanup() {
    for p in $PID $UPPID; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

# Free high ports: command socket, upstream NTP server.
free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
CMDPORT=$(free_port)
NTPPORT=$(free_port)
SOCK="$DIR/chronyd.sock"
# Upstream server for the daemon under test (no command sockets).
cat >"$DIR/upstream.conf" <<CONF
cmdport 0
bindcmdaddress /
port $NTPPORT
bindaddress 127.0.0.1
pidfile $DIR/upstream.pid
local stratum 8
allow 127.0.0.1
CONF
cat >"$DIR/chrony.conf" <<CONF
cmdport $CMDPORT
bindcmdaddress 127.0.0.1
bindcmdaddress $SOCK
port 0
pidfile $DIR/chronyd.pid
driftfile $DIR/drift
local stratum 10
server 127.0.0.1 port $NTPPORT minpoll 10 maxpoll 10 iburst
server nonexistent.invalid minpoll 10 maxpoll 10
CONF

setpriv --bounding-set=-sys_time "$CHRONYD" -x -d -u root -f "$DIR/upstream.conf" \
    >"$DIR/upstream.log" 2>&1 &
UPPID=$!
setpriv --bounding-set=-sys_time "$CHRONYD" -x -d -u root -f "$DIR/chrony.conf" \
    >"$DIR/chronyd.log" 2>&1 &
PID=$!
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
if [ ! -S "$SOCK" ]; then
    echo "FAIL chronyc-interop: daemon did not start"
    cat "$DIR/chronyd.log"
    exit 1
fi
# Let the initial burst (iburst: 4 polls 2 s apart) complete; with
# minpoll 10 nothing else changes during the test except ages and the
# time-dependent estimates masked below.
sleep 10

fails=0
# mask: sed expression for values that change between two calls.
compare() {
    label=$1
    mask=$2
    shift 2
    n=0
    while [ $n -lt 3 ]; do
        "$THEIRS" "$@" >"$DIR/theirs" 2>&1
        rt=$?
        "$OURS" "$@" >"$DIR/ours" 2>&1
        ro=$?
        sed -e "$mask" "$DIR/theirs" >"$DIR/theirs.m"
        sed -e "$mask" "$DIR/ours" >"$DIR/ours.m"
        if [ $rt -eq $ro ] && cmp -s "$DIR/theirs.m" "$DIR/ours.m"; then
            echo "PASS $label"
            return
        fi
        n=$((n + 1))
    done
    echo "FAIL $label (exit $rt vs $ro)"
    diff "$DIR/theirs" "$DIR/ours" | head -20 | sed 's/^/    /'
    fails=$((fails + 1))
}

NOMASK='s/^$//'
# The -v legends are written in our own words: compare what follows them.
LEGEND='1,9d'
CMDCOUNT='/^Command packets received/s/[0-9]/N/g'
# Values that move between two calls: remaining correction and root
# dispersion (tracking), LastRx (sources), the offset estimate (sourcestats).
TRACK='/^System time/s/[0-9]/N/g;/^Root dispersion/s/[0-9]/N/g'
TRACKCSV='s/^\(\([^,]*,\)\{4\}\)[^,]*/\1X/;s/^\(\([^,]*,\)\{11\}\)[^,]*/\1X/'
SRC='3,$s/^\(.\{46\}\).\{4\}/\1XXXX/'
SRCV='1,9d;12,$s/^\(.\{46\}\).\{4\}/\1XXXX/'
SRCCSV='s/^\(\([^,]*,\)\{6\}\)[^,]*/\1X/'
STATS='3,$s/^\(.\{61\}\).*/\1/'
STATSCSV='s/^\(\([^,]*,\)\{6\}\)[^,]*/\1X/'
DIGITS='3,$s/[0-9]/N/g'
for via in unix udp; do
    if [ $via = unix ]; then
        set -- -h "$SOCK"
    else
        set -- -h 127.0.0.1 -p "$CMDPORT"
    fi
    compare "$via tracking" "$TRACK" "$@" tracking
    compare "$via tracking -c" "$TRACKCSV" "$@" -c tracking
    compare "$via tracking -n" "$TRACK" "$@" -n tracking
    compare "$via sources" "$SRC" "$@" sources
    compare "$via sources -a -v" "$SRCV" "$@" sources -a -v
    compare "$via sources -c -a" "$SRCCSV" "$@" -c sources -a
    compare "$via sourcestats -a" "$STATS" "$@" sourcestats -a
    compare "$via sourcestats -c" "$STATSCSV" "$@" -c sourcestats
    compare "$via activity" "$NOMASK" "$@" activity
    compare "$via activity -c" "$NOMASK" "$@" -c activity
    compare "$via serverstats" "$CMDCOUNT" "$@" serverstats
    compare "$via ntpdata" "$NOMASK" "$@" ntpdata
    compare "$via ntpdata addr -c" "$NOMASK" "$@" -c ntpdata 127.0.0.1
    compare "$via waitsync" "s/correction: [0-9.]*/correction: X/" "$@" waitsync 1
    compare "$via sourcename" "$NOMASK" "$@" sourcename ID#0000000001
    compare "$via makestep" "$NOMASK" "$@" makestep
    compare "$via rtcdata" "$NOMASK" "$@" rtcdata
    compare "$via smoothing" "$NOMASK" "$@" smoothing
    compare "$via manual list" "$NOMASK" "$@" manual list
    compare "$via selectdata -a" "$NOMASK" "$@" selectdata -a
    compare "$via authdata -a" "$NOMASK" "$@" authdata -a
    compare "$via burst" "$NOMASK" "$@" burst 1/2 127.0.0.1
    compare "$via accheck" "$NOMASK" "$@" accheck 127.0.0.1
    compare "$via unknown source" "$NOMASK" "$@" delete 192.0.2.77
done
compare "unix clients" "$DIGITS" -h "$SOCK" clients
compare "unix clients -c" "s/[0-9]/N/g" -h "$SOCK" -c clients
compare "unix -m multi" "$NOMASK" -h "$SOCK" -m activity ntpdata 'sourcename 127.0.0.1' 
# Control commands (Unix socket; the same state change for both clients).
for cmd in "local stratum 10" "local off" "cmdallow 10.0.0.0/8" "allow 192.168" \
    "allow 1.2.3.4/40" "cmddeny all" "cmdaccheck 10.1.2.3" "minpoll 127.0.0.1 9" \
    "maxpoll 127.0.0.1 10" "maxdelay 127.0.0.1 1" "maxdelayratio 127.0.0.1 100" \
    "maxdelaydevratio 127.0.0.1 10" "minstratum 127.0.0.1 1" "polltarget 127.0.0.1 8" \
    "maxupdateskew 1000" "reselectdist 0.0001" "reselect" "cyclelogs" "rekey" "refresh" \
    "dump" "online" "offline 192.0.2.0/24" "onoffline" "add server 127.0.0.1 port $NTPPORT" \
    "manual delete 0" "smoothtime reset" "trimrtc" "dfreq 0" "doffset 0" \
    "makestep 0.1 3" "reset sources" "reload sources" "burst 2/4 ID#0000000001"; do
    compare "unix $cmd" "$NOMASK" -h "$SOCK" $cmd
done
compare "udp control unauthorised" "$NOMASK" -h 127.0.0.1 -p "$CMDPORT" reselect
compare "bad command" "$NOMASK" -h "$SOCK" foo
compare "no daemon" "$NOMASK" -h "$DIR/none.sock" tracking

# Our Unix client socket must be gone after exit.
if ls "$DIR" | grep -q '^chronyc\.'; then
    echo "FAIL unix client socket cleaned up"
    fails=$((fails + 1))
else
    echo "PASS unix client socket cleaned up"
fi
[ $fails -eq 0 ]
