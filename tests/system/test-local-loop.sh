#!/bin/sh
# A daemon serving `local stratum 5` that polls its own address must recognise itself:
# the replies carry its own reference (the local reference time is stable between
# refreshes), RFC 5905 test D fails and the source is never selected (no loop).
# Debian's chronyd, when installed, behaves the same with the same configuration.
. tests/system/lib.sh

pick_ports 14123
chmod 700 "$TMPD"

loop_conf() { # loop_conf NAME PORT
    cat >"$TMPD/$1.conf" <<EOF2
local stratum 5
server 127.0.0.1 port $2 iburst minpoll 0 maxpoll 0
allow 127.0.0.1
port $2
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
EOF2
}

# The last reply from itself was judged: tests 1-3 and 5-7 passed.
judged() { # judged NAME
    $IN "$B/chronyc" -h "$TMPD/$1.sock" -n ntpdata 127.0.0.1 2>/dev/null |
        grep -q '^NTP tests       : 111 111 '
}

run_loop() { # run_loop LABEL DAEMON...
    label=$1
    shift
    loop_conf "$label" $P1
    $IN $SAFE "$@" -x -d -f "$TMPD/$label.conf" >"$TMPD/$label.log" 2>&1 &
    PIDS="$PIDS $!"
    i=0
    while [ $i -lt 60 ] && ! judged "$label"; do
        sleep 0.5
        i=$((i + 1))
    done
    sleep 3 # a few more exchanges with itself
    out=$($IN "$B/chronyc" -h "$TMPD/$label.sock" -n ntpdata 127.0.0.1 2>&1)
    echo "$out" | grep -E '^(NTP tests|Total valid)' | sed "s/^/  $label: /"
    check "$label-test-d-refuses-itself" sh -c "echo '$out' | grep -q '^NTP tests       : 111 111 [01][01][01]0'"
    out=$($IN "$B/chronyc" -h "$TMPD/$label.sock" -n sources 2>&1)
    check "$label-never-selects-itself" sh -c "! echo '$out' | grep -q '^\^\*'"
    check "$label-no-selection-logged" sh -c "! grep -q 'Selected source' '$TMPD/$label.log'"
    stop_all
}

run_loop ours "$B/chronyd"
if [ -x /usr/sbin/chronyd ]; then
    run_loop debian /usr/sbin/chronyd -u root
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi
