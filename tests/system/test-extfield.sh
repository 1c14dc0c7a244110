#!/bin/sh
# `extfield F323` (chrony's experimental field: root delay and dispersion in 4.28 fixed point):
# our server answers a request carrying it with the field, as Debian's chronyd 4.3 does
# (layout checked by tests/system/monoroot.py); clients with the option take the root
# delay/dispersion from the field, which is finer than the header's 1/65536 s. Chains:
# Debian (local) -> ours -> Debian client, and Debian (local) -> Debian -> our client; each
# client's ntpdata must show a root delay or dispersion that is no multiple of 1/65536 s.
# Daemons run with -x.
. tests/system/lib.sh

if [ ! -x /usr/sbin/chronyd ] || [ ! -x /usr/bin/chronyc ]; then
    echo "SKIP Debian's chronyd not installed"
    exit 0
fi
pick_ports 15423
P4=$((P3 + 1))
P5=$((P3 + 2))
chmod 700 "$TMPD"
server_conf "$TMPD/s.conf" $P1
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1

daemon() { # daemon NAME CHRONYD SERVER_PORT [OWN_PORT]
    {
        echo "server 127.0.0.1 port $3 iburst minpoll 0 maxpoll 0 extfield F323"
        [ -n "${4:-}" ] && printf 'allow 127.0.0.1\nport %s\n' "$4"
        echo "cmdport 0"
        echo "bindcmdaddress $TMPD/$1.sock"
        echo "pidfile $TMPD/$1.pid"
    } >"$TMPD/$1.conf"
    $IN $SAFE $2 -x -d -u root -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    PIDS="$PIDS $!"
}
daemon m "$B/chronyd" $P1 $P2
daemon m2 /usr/sbin/chronyd $P1 $P3
sleep 6
out=$($IN python3 tests/system/monoroot.py 127.0.0.1 $P2)
echo "  ours: $out"
check "our-server-answers-f323" sh -c "echo '$out' | grep -q '^len=76 .* ef=yes'"
out2=$($IN python3 tests/system/monoroot.py 127.0.0.1 $P3)
echo "  debian: $out2"
check "debian-server-answers-f323" sh -c "echo '$out2' | grep -q '^len=76 .* ef=yes'"
# The monotonic part: both servers send a receive timestamp on their monotonic scale and
# its epoch; ours keeps the epoch from one reply to the next while it only slews.
check "our-server-mono-timestamp" sh -c "echo '$out' | grep -q ' mono=-\?[0-9.]* epoch=[0-9a-f]\{8\}\$'"
check "debian-server-mono-timestamp" sh -c "echo '$out2' | grep -q ' mono=-\?[0-9.]* epoch=[0-9a-f]\{8\}\$'"
out3=$($IN python3 tests/system/monoroot.py 127.0.0.1 $P2)
echo "  ours again: $out3"
check "our-server-mono-epoch-kept" test "${out##* epoch=}" = "${out3##* epoch=}"

daemon c /usr/sbin/chronyd $P2
daemon c2 "$B/chronyd" $P3
sleep 5
# 1 if some reading of `Root delay`/`Root dispersion` is farther than 0.6 us from a
# multiple of 1/65536 s (the header's resolution).
fine_roots() { # fine_roots SOCK
    for i in 1 2 3; do
        $IN /usr/bin/chronyc -h "$1" ntpdata 2>/dev/null | sed -n 's/^Root \(delay\|dispersion\) *: \([0-9.]*\) seconds/\2/p'
        sleep 1.2
    done | awk '{ us = $1 * 1e6; q = 1e6 / 65536; k = int(us / q + 0.5); d = us - k * q;
                  if (d < 0) d = -d; if (d > 0.6) fine = 1; print "    " $1 }
                END { exit !fine }'
}
check "debian-client-uses-our-f323" fine_roots "$TMPD/c.sock"
check "our-client-uses-debian-f323" fine_roots "$TMPD/c2.sock"
