#!/bin/sh
# Our chronyd as an NTP server on loopback inside a private network namespace,
# queried by clients nobody here wrote: NTPsec's ntpdig and Debian's chronyd -Q.
. tests/system/lib.sh

if ! make_netns; then
    echo "SKIP: cannot create a network namespace"
    exit 0
fi
PORT=123
cat >"$TMPD/chrony.conf" <<CONF
allow 127.0.0.1
allow ::1
local stratum 10
port $PORT
pidfile $TMPD/chronyd.pid
cmdport 0
bindcmdaddress /
CONF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/chrony.conf" >"$TMPD/chronyd.log" 2>&1 &
PIDS="$PIDS $!"
check "server-starts" wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $PORT

out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $PORT 4 3)
echo "  v4 reply: $out"
check "v4-reply-mode4-stratum10" sh -c "echo '$out' | grep -q 'leap=0 version=4 mode=4 stratum=10 .*refid=7F7F0101.*origin_ok=1 len=48'"
for v in 1 2 3; do
    out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $PORT $v 3)
    check "v$v-version-echoed" sh -c "echo '$out' | grep -q 'version=$v mode=4'"
done
for m in 6 7; do
    out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $PORT 2 $m)
    check "mode$m-no-reply" [ "$out" = "noreply" ]
done
out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $PORT 4 3 40)
check "short-no-reply" [ "$out" = "noreply" ]
out=$($IN python3 tests/system/ntpreq.py ::1 $PORT 4 3)
check "ipv6-reply" sh -c "echo '$out' | grep -q 'mode=4 stratum=10'"

if command -v ntpdig >/dev/null 2>&1; then
    out=$($IN ntpdig -p 4 -t 2 127.0.0.1 2>&1 | tail -n 1)
    echo "  ntpdig: $out"
    off=$(echo "$out" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[+-][0-9]+\.[0-9]+$/) { print $i; exit }}')
    check "ntpdig-offset-under-1ms" awk -v o="$off" 'BEGIN { if (o == "") exit 1; if (o < 0) o = -o; exit !(o < 0.001) }'
else
    echo "SKIP ntpdig not installed"
fi

if [ -x /usr/sbin/chronyd ]; then
    out=$($IN $SAFE timeout 20 /usr/sbin/chronyd -Q -u root -f /dev/null \
        "server 127.0.0.1 port $PORT iburst" "pidfile $TMPD/q.pid" 2>&1)
    echo "  chronyd -Q: $(echo "$out" | tail -n 1)"
    off=$(echo "$out" | sed -n 's/.*System clock wrong by \([-0-9.]*\) seconds.*/\1/p' | tail -n 1)
    check "chronyd-Q-sane-offset" awk -v o="$off" 'BEGIN { if (o == "") exit 1; if (o < 0) o = -o; exit !(o < 0.01) }'
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi

# Our own chronyd -Q (prints the offset once, never sets the clock), as chrony.
out=$($IN $SAFE timeout 30 "$B/chronyd" -Q -f /dev/null "server 127.0.0.1 port $PORT" 2>&1)
rc=$?
echo "  our chronyd -Q: $(echo "$out" | grep 'wrong by')"
check "our-chronyd-Q-exit-0" [ $rc -eq 0 ]
off=$(echo "$out" | sed -n 's/.*System clock wrong by \([-0-9.]*\) seconds (ignored).*/\1/p' | tail -n 1)
check "our-chronyd-Q-sane-offset" awk -v o="$off" 'BEGIN { if (o == "") exit 1; if (o < 0) o = -o; exit !(o < 0.01) }'
check "our-chronyd-Q-noclock-line" sh -c "echo '$out' | grep -q 'Disabled control of system clock'"
out=$($IN $SAFE timeout 30 "$B/chronyd" -Q -t 2 "server 127.0.0.1 port 9" 2>&1)
check "our-chronyd-Q-no-source-fails" [ $? -eq 1 ]
check "our-chronyd-Q-no-source-message" sh -c "echo '$out' | grep -q 'No suitable source for synchronisation'"

# Unsynchronised, no `local`: leap 3, stratum 0 as chrony.
kill $PIDS 2>/dev/null
wait 2>/dev/null
PIDS=""
sed -i '/^local/d' "$TMPD/chrony.conf"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/chrony.conf" >"$TMPD/chronyd2.log" 2>&1 &
PIDS="$PIDS $!"
wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $PORT
out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 $PORT 4 3)
echo "  unsync reply: $out"
check "unsync-leap3-stratum0" sh -c "echo '$out' | grep -q 'leap=3 version=4 mode=4 stratum=0 '"
