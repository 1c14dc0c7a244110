#!/bin/sh
# Symmetric associations (`peer`): A serves `local stratum 5` and peers with B,
# B peers with A only. B must synchronise to A through symmetric mode (sources
# line "=*", stratum 6 served) and A must refuse B's time (test D: B is
# synchronised to A). Ours with ours, with Debian's chronyd on either side, and
# with a symmetric key. Daemons run with -x only.
. tests/system/lib.sh

pick_ports 13123
chmod 700 "$TMPD" # chrony refuses command sockets in a directory others can enter
cat >"$TMPD/keys" <<'EOF'
2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
EOF

peer_conf() { # peer_conf NAME PORT PEERPORT [EXTRA]
    cat >"$TMPD/$1.conf" <<EOF
peer 127.0.0.1 port $3 minpoll 0 maxpoll 0 iburst $4
port $2
allow 127.0.0.1
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
keyfile $TMPD/keys
EOF
}

start() { # start NAME DAEMON...
    name=$1
    shift
    $IN $SAFE "$@" -x -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
}

b_synced() { # B lists A as its selected peer
    $IN "$B/chronyc" -h "$TMPD/b.sock" -n sources 2>/dev/null | grep -q '^=\* 127.0.0.1 *5 '
}

wait_b_synced() { # up to 30 s
    i=0
    while [ $i -lt 60 ]; do
        b_synced && return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

run_pair() { # run_pair LABEL ADAEMON BDAEMON [PEEROPTIONS]
    label=$1
    peer_conf a $P1 $P2 "$4"
    echo "local stratum 5" >>"$TMPD/a.conf"
    peer_conf b $P2 $P1 "$4"
    start a $2
    start b $3
    check "$label-b-synchronised-to-a" wait_b_synced
    out=$($IN "$B/chronyc" -h "$TMPD/b.sock" -n ntpdata 127.0.0.1 2>&1)
    check "$label-b-mode-symmetric-active" sh -c "echo '$out' | grep -q '^Mode            : Symmetric active'"
    out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $P2 4 3)
    check "$label-b-serves-stratum6" sh -c "echo '$out' | grep -q 'mode=4 stratum=6 '"
    # A judges B's time by the last packet it received: wait (up to 20 s) until that
    # packet came from B synchronised (test 6 passes), then test D must refuse it.
    i=0
    while :; do
        out=$($IN "$B/chronyc" -h "$TMPD/a.sock" -n ntpdata 127.0.0.1 2>&1)
        echo "$out" | grep -q '^NTP tests       : 111 111 ' && break
        [ $i -ge 40 ] && break
        sleep 0.5
        i=$((i + 1))
    done
    echo "$out" | grep -E '^(NTP tests|Total valid)' | sed "s/^/  $label a: /"
    check "$label-a-refuses-b-loop" sh -c "echo '$out' | grep -q '^NTP tests       : 111 111 [01][01][01]0'"
    stop_all
}

run_pair ours "$B/chronyd" "$B/chronyd"
if [ -x /usr/sbin/chronyd ]; then
    run_pair debian-a "/usr/sbin/chronyd -u root" "$B/chronyd"
    run_pair debian-b "$B/chronyd" "/usr/sbin/chronyd -u root"
    run_pair key-debian-a "/usr/sbin/chronyd -u root" "$B/chronyd" "key 2"
    run_pair key-debian-b "$B/chronyd" "/usr/sbin/chronyd -u root" "key 2"
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi
run_pair key-ours "$B/chronyd" "$B/chronyd" "key 2"

# A peer without the key gets nothing from a keyed peer.
peer_conf a $P1 $P2 "key 2"
echo "local stratum 5" >>"$TMPD/a.conf"
peer_conf b $P2 $P1
start a "$B/chronyd"
start b "$B/chronyd"
sleep 6
check "unkeyed-peer-not-synchronised" sh -c "! $IN $B/chronyc -h $TMPD/b.sock -n sources | grep -q '^=\*'"
stop_all
