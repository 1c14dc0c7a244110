#!/bin/sh
# Selection and discipline settings of issue 10 that used to be parsed and ignored, with
# our chronyd and chronyc (Debian's chronyd -x for comparison where it applies):
# chronyc `reselectdist` and `makestep THRESHOLD LIMIT` reach the engine (chrony's log
# lines, the step that follows); the `copy` source option (the server's reference ID and
# stratum in `tracking`); `clockprecision` (the precision served, the samples' dispersion).
. tests/system/lib.sh

pick_ports 16423
chmod 700 "$TMPD"
DEBD=/usr/sbin/chronyd

# The server: 0.5 s ahead of the system clock (our --softclock), its clock's precision
# set to 2^-10 s.
cat >"$TMPD/s.conf" <<EOF
local stratum 3
clockprecision 0.0009765625
allow 127.0.0.1
port $P1
cmdport 0
bindcmdaddress $TMPD/s.sock
pidfile $TMPD/s.pid
EOF
$IN $SAFE "$B/chronyd" --softclock=0.5 -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"

# start_client NAME EXTRA-SERVER-OPTIONS DAEMON... (config lines in $CONF_EXTRA)
start_client() {
    name=$1
    opts=$2
    shift 2
    cat >"$TMPD/$name.conf" <<EOF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0 $opts
port 0
cmdport 0
bindcmdaddress $TMPD/$name.sock
pidfile $TMPD/$name.pid
$CONF_EXTRA
EOF
    $IN $SAFE "$@" -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for test -S "$TMPD/$name.sock"
}

cc() { # cc NAME ARGS...: our chronyc against client NAME
    n=$1
    shift
    $IN "$B/chronyc" -n -h "$TMPD/$n.sock" "$@" 2>&1
}

# reselectdist and makestep THRESHOLD LIMIT on a client of ours with its own clock, its
# server offline until the commands are in: without them the 0.5 s would be slewed.
CONF_EXTRA=""
start_client mk offline "$B/chronyd" --softclock
check "reselectdist-status" test "$(cc mk reselectdist 0.5)" = "200 OK"
check "reselectdist-logged" wait_for grep -q "New reselect distance 0.500000" "$TMPD/mk.log"
cc mk reselectdist 0.5 >/dev/null
check "reselectdist-unchanged-not-logged" test "$(grep -c "New reselect distance" "$TMPD/mk.log")" -eq 1
check "makestep-command-status" test "$(cc mk makestep 0.1 1)" = "200 OK"
check "makestep-command-logged" wait_for grep -q "New makestep 0.100000 1" "$TMPD/mk.log"
cc mk online >/dev/null
check "makestep-command-synchronised" wait_long selected mk
check "makestep-command-stepped" wait_for grep -q "System clock was stepped by" "$TMPD/mk.log"
if [ -x "$DEBD" ]; then
    # Debian's chronyd -x answers the same and logs the new reselect distance (its clock
    # cannot be stepped).
    start_client debmk offline "$DEBD" -x -u root
    check "debian-reselectdist-status" test "$(cc debmk reselectdist 0.5)" = "200 OK"
    check "debian-reselectdist-logged" wait_for grep -q "New reselect distance 0.500000" "$TMPD/debmk.log"
    check "debian-makestep-command-status" test "$(cc debmk makestep 0.1 1)" = "200 OK"
    # "New makestep" is logged since chrony 4.4 (Debian's is 4.3).
else
    echo "SKIP $DEBD not installed"
fi
# copy and clockprecision: a client of ours (-x) assumes the server's reference ID (127.127.1.1 of its
# `local stratum 3`) and stratum (3, not 4), as Debian's chronyd does. The server's
# clockprecision is the precision it serves (ntpdata: -10), the client's (0.01 s) the
# least dispersion of its samples (chrony's LCL_GetSysPrecisionAsQuantum).
tracking_id() { # tracking_id NAME: the Reference ID and Stratum lines
    cc "$1" tracking | grep -E '^(Reference ID|Stratum)' | tr -s ' '
}
CONF_EXTRA="clockprecision 0.01"
start_client cp copy "$B/chronyd" -x
check "copy-synchronised" wait_long selected cp
out=$(tracking_id cp)
echo "  copy, ours: $out" | tr '\n' ' '
echo
check "copy-reference-id" sh -c "echo '$out' | grep -q '^Reference ID : 7F7F0101 '"
check "copy-stratum" sh -c "echo '$out' | grep -q '^Stratum : 3\$'"
precision_line() { # precision_line NAME: the server's precision in NAME's ntpdata
    cc "$1" ntpdata 127.0.0.1 | grep '^Precision' | tr -s ' '
}
echo "  ntpdata, ours: $(precision_line cp)"
check "clockprecision-served" test "$(precision_line cp)" = "Precision : -10 (0.000976562 seconds)"
check "clockprecision-dispersion" sh -c "$IN $B/chronyc -n -h $TMPD/cp.sock ntpdata 127.0.0.1 | awk '/^Peer dispersion/ {ok = \$4 >= 0.01} END {exit !ok}'"
if [ -x "$DEBD" ]; then
    start_client debcp copy "$DEBD" -x -u root
    if wait_long selected debcp; then
        ref=$(tracking_id debcp)
        echo "  copy, Debian's: $ref" | tr '\n' ' '
        echo
        check "copy-as-debian" test "$out" = "$ref"
        check "clockprecision-served-as-debian" test "$(precision_line cp)" = "$(precision_line debcp)"
        check "clockprecision-dispersion-debian" sh -c "$IN $B/chronyc -n -h $TMPD/debcp.sock ntpdata 127.0.0.1 | awk '/^Peer dispersion/ {ok = \$4 >= 0.01} END {exit !ok}'"
    else
        fail "copy-debian-synchronised"
    fi
fi

sed "s/^/  mk.log: /" "$TMPD/mk.log" | head -n 12
[ -f "$TMPD/debmk.log" ] && sed "s/^/  debmk.log: /" "$TMPD/debmk.log" | head -n 12
exit 0
