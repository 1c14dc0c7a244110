#!/bin/sh
# `extfield F323` between symmetric peers, with Debian's chronyd 4.3 (which, like chrony
# 4.8, sends the field in its mode-1 packets and applies the monotonic correction to a
# peer's samples). A `peer ... extfield F323 noselect` measures a daemon serving
# `local stratum 8`; then that daemon is told (chronyc add server) to synchronise to a
# server whose software clock runs 0.2 s ahead. Running with -x, it corrects the time it
# serves by 0.2 s at once, but its monotonic timescale does not move, so the measuring
# peer shifts the samples it kept with it: at its first sample after the jump, its
# sourcestats show the -200 ms offset with the old samples still there (NP >= 4) and a
# standard deviation below 1 ms (without the correction: tens of ms, or the old samples
# dropped). Both ways: Debian's jumps and ours follows, ours jumps and Debian's follows.
# Each measuring side's ntpdata also shows the other's root delay or dispersion in the
# field's resolution (no multiple of 1/65536 s).
. tests/system/lib.sh

if [ ! -x /usr/sbin/chronyd ] || [ ! -x /usr/bin/chronyc ]; then
    echo "SKIP Debian's chronyd not installed"
    exit 0
fi
pick_ports 15523
chmod 700 "$TMPD"
# The server, 0.2 s ahead, on 127.0.0.2 (chrony keeps one source per address and the
# peers are on 127.0.0.1).
server_conf "$TMPD/s.conf" $P1
echo "allow 127.0.0.0/8" >>"$TMPD/s.conf"
$IN $SAFE "$B/chronyd" --softclock=0.2 -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.2 $P1

peer_conf() { # peer_conf NAME OWN_PORT PEER_PORT EXTRA...
    name=$1
    own=$2
    other=$3
    shift 3
    {
        echo "peer 127.0.0.1 port $other minpoll 0 maxpoll 0 extfield F323 $*"
        echo "allow 127.0.0.1"
        echo "port $own"
        echo "cmdport 0"
        echo "bindcmdaddress $TMPD/$name.sock"
        echo "pidfile $TMPD/$name.pid"
    } >"$TMPD/$name.conf"
}

# The sourcestats row of 127.0.0.1 on the daemon of SOCK, read with CHRONYC.
row() { # row CHRONYC SOCK
    $IN $1 -h "$2" -n sourcestats 2>/dev/null | grep '^127\.0\.0\.1 '
}

has_samples() { # has_samples CHRONYC SOCK N: NP >= N
    row "$1" "$2" | awk -v n="$3" '{ np = $2 } END { exit !(np >= n) }'
}

# Poll the sourcestats (10 Hz, up to 30 s) until the offset is about -200 ms and print
# that first row.
first_jumped_row() { # first_jumped_row CHRONYC SOCK
    i=0
    while [ $i -lt 300 ]; do
        r=$(row "$1" "$2")
        if echo "$r" | grep -Eq ' -(19[0-9]|20[0-9])ms +[^ ]+$'; then
            echo "$r"
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# NP >= 4 and a standard deviation in ns or us.
followed() { # followed ROW
    echo "$1" | awk '$2 >= 4 && $NF ~ /^[0-9.]+(ns|us)$/ { ok = 1 } END { exit !ok }'
}

# 1 if some reading of `Root delay`/`Root dispersion` is farther than 0.6 us from a
# multiple of 1/65536 s (the header's resolution).
fine_roots() { # fine_roots CHRONYC SOCK
    for i in 1 2 3; do
        $IN $1 -h "$2" -n ntpdata 127.0.0.1 2>/dev/null |
            sed -n 's/^Root \(delay\|dispersion\) *: \([0-9.]*\) seconds/\2/p'
        sleep 1.2
    done | awk '{ us = $1 * 1e6; q = 1e6 / 65536; k = int(us / q + 0.5); d = us - k * q;
                  if (d < 0) d = -d; if (d > 0.6) fine = 1; print "    " $1 }
                END { exit !fine }'
}

# run LABEL JUMPER_DAEMON JUMPER_CHRONYC FOLLOWER_DAEMON FOLLOWER_CHRONYC
run() {
    label=$1
    peer_conf j $P2 $P3
    echo "local stratum 8" >>"$TMPD/j.conf"
    peer_conf f $P3 $P2 noselect
    $IN $SAFE $2 -x -d -f "$TMPD/j.conf" >"$TMPD/j.log" 2>&1 &
    PIDS="$PIDS $!"
    $IN $SAFE $4 -x -d -f "$TMPD/f.conf" >"$TMPD/f.log" 2>&1 &
    PIDS="$PIDS $!"
    check "$label-samples-before" wait_long has_samples "$5" "$TMPD/f.sock" 4
    row "$5" "$TMPD/f.sock" | sed "s/^/  $label before: /"
    $IN $3 -h "$TMPD/j.sock" add server 127.0.0.2 port $P1 iburst minpoll 0 maxpoll 0 >/dev/null
    r=$(first_jumped_row "$5" "$TMPD/f.sock")
    echo "  $label after:  $r"
    check "$label-jump-seen" test -n "$r"
    check "$label-kept-samples-follow" followed "$r"
    check "$label-fine-root-values" fine_roots "$5" "$TMPD/f.sock"
    stop_all
    # the server stays
    $IN $SAFE "$B/chronyd" --softclock=0.2 -d -f "$TMPD/s.conf" >>"$TMPD/s.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for $IN python3 tests/system/ntpreq.py 127.0.0.2 $P1
}

run debian-jumps-ours-follows "/usr/sbin/chronyd -u root" /usr/bin/chronyc "$B/chronyd" "$B/chronyc"
run ours-jumps-debian-follows "$B/chronyd" "$B/chronyc" "/usr/sbin/chronyd -u root" /usr/bin/chronyc
