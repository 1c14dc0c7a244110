#!/bin/sh
# Source control commands against our chronyd -x over its Unix socket, with
# our chronyc and Debian's chronyc: add server (selected), duplicates, delete,
# selectopts, offset, local, reset sources, reload sources with a sourcedir,
# refresh, onoffline, dfreq, doffset. Every status line is compared with what
# Debian's chronyd -x answers to the same commands in the same state.
. tests/system/lib.sh

DEBC=/usr/bin/chronyc
REFD=/usr/sbin/chronyd
if [ ! -x "$B/chronyd" ] || [ ! -x "$B/chronyc" ]; then
    echo "FAIL control-no-binary $B/chronyd"
    exit 0
fi

free_udp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if make_netns; then
    PORTS="123 124 125"
else
    IN=""
    PORTS="$(free_udp_port) $(free_udp_port) $(free_udp_port)"
fi
set -- $PORTS
SRVPORT=$1
OURPORT=$2
REFPORT=$3

# start_daemon DIR BINARY NTPPORT [DIRECTIVE]...: the daemon's pid in LASTPID
start_daemon() {
    dir=$1
    bin=$2
    np=$3
    shift 3
    mkdir -p "$dir/sd"
    chmod 0770 "$dir"
    cat >"$dir/chrony.conf" <<CONF
pidfile $dir/chronyd.pid
bindcmdaddress $dir/chronyd.sock
cmdport 0
port $np
sourcedir $dir/sd
CONF
    for l in "$@"; do echo "$l" >>"$dir/chrony.conf"; done
    $IN $SAFE "$bin" -x -d -u root -f "$dir/chrony.conf" >"$dir/log" 2>&1 &
    PIDS="$PIDS $!"
    LASTPID=$!
    wait_for test -S "$dir/chronyd.sock"
}

# c CHRONYC DIR ARGS...: output then "rc=N"
c() {
    cc=$1
    dir=$2
    shift 2
    $IN "$cc" -n -h "$dir/chronyd.sock" "$@" 2>&1
    echo "rc=$?"
}

OURS=$TMPD/ours
REF=$TMPD/ref
start_daemon "$TMPD/srv" "$B/chronyd" "$SRVPORT" "local stratum 1" "allow 127.0.0.1"
start_daemon "$OURS" "$B/chronyd" "$OURPORT"
HAVE_REF=0
if [ -x "$REFD" ] && [ -x "$DEBC" ]; then
    start_daemon "$REF" "$REFD" "$REFPORT"
    HAVE_REF=1
fi

# same_status NAME ARGS...: Debian's chronyc prints the same against both daemons.
same_status() {
    name=$1
    shift
    o=$(c "$DEBC" "$OURS" "$@")
    if [ $HAVE_REF -eq 0 ]; then
        echo "  $name: $o" | tr '\n' ' '
        echo
        return
    fi
    r=$(c "$DEBC" "$REF" "$@")
    if [ "$o" = "$r" ]; then
        pass "$name"
    else
        fail "$name"
        echo "    ours: $o" | tr '\n' ' '
        echo
        echo "    chrony: $r" | tr '\n' ' '
        echo
    fi
}

# expect NAME EXPECTED CHRONYC ARGS...: the output (with rc) of one command.
expect() {
    name=$1
    want=$2
    cc=$3
    shift 3
    o=$(c "$cc" "$OURS" "$@")
    if [ "$o" = "$want" ]; then
        pass "$name"
    else
        fail "$name"
        echo "    got: $o" | tr '\n' ' '
        echo
    fi
}

sources_match() { # sources_match CHRONYC PATTERN
    $IN "$1" -n -h "$OURS/chronyd.sock" sources 2>/dev/null | grep -q "$2"
}

wait_sources() { # wait_sources CHRONYC PATTERN: up to 30 s
    i=0
    while [ $i -lt 60 ]; do
        sources_match "$1" "$2" && return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

OK="200 OK
rc=0"
ADD="add server 127.0.0.1 port $SRVPORT iburst minpoll 0 maxpoll 0"

# local while unsynchronised: the local reference is served at once. Debian's
# chronyc 4.3 sends the older LOCAL2 request (56), which ours takes as LOCAL3.
same_status "local-first-status" local stratum 5
out=$(c "$B/chronyc" "$OURS" tracking | grep -E '^(Reference ID|Stratum|Leap status)')
if [ $HAVE_REF -eq 1 ]; then
    ref=$(c "$DEBC" "$REF" tracking | grep -E '^(Reference ID|Stratum|Leap status)')
else
    ref="Reference ID    : 7F7F0101 ()
Stratum         : 5
Leap status     : Normal"
fi
if [ "$out" = "$ref" ]; then
    pass "local-tracking-as-chrony"
else
    fail "local-tracking-as-chrony"
    echo "    ours: $out" | tr '\n' ' '
    echo
fi
same_status "local-first-off-status" local off
# writertc without an RTC driver: status 513 as chrony's RTC_ST_NODRV.
same_status "writertc-status" writertc
expect "writertc-nortc" "513 RTC driver not running
rc=1" "$B/chronyc" writertc
check "local-off-unsynchronised" sh -c "$IN $B/chronyc -n -h $OURS/chronyd.sock tracking | grep -q '^Leap status     : Not synchronised'"

# add: selected, then "511 Source already present" (any port).
same_status "add-server-status" $ADD
check "add-server-selected" wait_sources "$B/chronyc" '^\^\* 127.0.0.1 '
if [ -x "$DEBC" ]; then
    check "debian-chronyc-sources-selected" sources_match "$DEBC" '^\^\* 127.0.0.1 '
fi
same_status "add-duplicate-status" add server 127.0.0.1 port 9
expect "add-duplicate-ours" "511 Source already present
rc=1" "$B/chronyc" add server 127.0.0.1
same_status "add-pool-status" add pool 127.0.0.3
check "add-pool-listed" sources_match "$B/chronyc" '^\^? 127.0.0.3 '
same_status "add-peer-status" add peer 127.0.0.2
check "add-peer-listed" sources_match "$B/chronyc" '^=? 127.0.0.2 '
same_status "delete-peer-status" delete 127.0.0.2
expect "add-ipv6-option-ipv4-address" "515 Invalid address family
rc=1" "$B/chronyc" add server 127.0.0.4 ipv6

# delete
same_status "delete-status" delete 127.0.0.3
check "delete-gone" sh -c "! $IN $B/chronyc -n -h $OURS/chronyd.sock sources | grep -q '127.0.0.3'"
same_status "delete-unknown-status" delete 127.0.0.9

# selectopts (4.4+) and offset (4.6+): our chronyc only.
expect "selectopts-status" "$OK" "$B/chronyc" selectopts 127.0.0.1 +trust -prefer
check "selectopts-applied" sh -c "$IN $B/chronyc -n -h $OURS/chronyd.sock selectdata | grep -q '^. 127.0.0.1 .* --T-- '"
expect "selectopts-unknown" "503 No such source
rc=1" "$B/chronyc" selectopts 127.0.0.9 +trust
expect "offset-status" "$OK" "$B/chronyc" offset 127.0.0.1 0.0001
expect "offset-unknown" "503 No such source
rc=1" "$B/chronyc" offset 127.0.0.9 0.1
check "offset-logged" grep -q "Source 127.0.0.1 new offset 0.000100" "$OURS/log"

# reset sources: the samples are gone, the source comes back.
same_status "reset-sources-status" reset sources
check "reset-sources-dropped" sh -c "$IN $B/chronyc -n -h $OURS/chronyd.sock sourcestats | grep -q '^127.0.0.1 *[0-3] '"
check "reset-sources-reselected" wait_sources "$B/chronyc" '^\^\* 127.0.0.1 '

# reload sources with a sourcedir file, then without.
echo "server 127.0.0.5 port $SRVPORT" >"$OURS/sd/a.sources"
[ $HAVE_REF -eq 1 ] && cp "$OURS/sd/a.sources" "$REF/sd/a.sources"
same_status "reload-sources-status" reload sources
check "reload-sources-added" sources_match "$B/chronyc" ' 127.0.0.5 '
rm -f "$OURS/sd/a.sources" "$REF/sd/a.sources"
same_status "reload-sources-again-status" reload sources
check "reload-sources-removed" sh -c "! $IN $B/chronyc -n -h $OURS/chronyd.sock sources | grep -q '127.0.0.5'"

same_status "refresh-status" refresh
same_status "onoffline-status" onoffline
same_status "dfreq-status" dfreq 1
check "dfreq-logged" grep -q "Accumulated delta freq of 1.000ppm" "$OURS/log"
same_status "doffset-status" doffset 0.001
check "doffset-logged" grep -q "Accumulated delta offset of 0.001000 seconds" "$OURS/log"

# local: the served reference follows (once the source is gone).
same_status "delete-selected-status" delete 127.0.0.1
if [ $HAVE_REF -eq 1 ]; then
    check "delete-selected-loss-logged" test "$(grep -c "Can't synchronise: no selectable" "$OURS/log")" -eq "$(grep -c "Can't synchronise: no selectable" "$REF/log")"
fi
same_status "local-status" local stratum 5
same_status "local-off-status" local off

# Debian's chronyc for the commands it knows, our chronyc for all.
expect "ours-chronyc-reset" "$OK" "$B/chronyc" reset sources
expect "ours-chronyc-reload" "$OK" "$B/chronyc" reload sources
expect "ours-chronyc-refresh" "$OK" "$B/chronyc" refresh
expect "ours-chronyc-delete-unknown" "503 No such source
rc=1" "$B/chronyc" delete 127.0.0.9
sed 's/^/  ours.log: /' "$OURS/log" | head -n 12
[ $HAVE_REF -eq 1 ] && sed 's/^/  chrony.log: /' "$REF/log" | head -n 12
exit 0
