#!/bin/sh
# The serving benchmark's tools work (never their speed): bench/ntpgen's open-loop
# requests are answered by bench/echoserv and by our chronyd, replies are matched by
# their origin timestamp, none is larger than its request, and the server's CPU and
# peak RSS are read from /proc.
. tests/system/lib.sh

PORT=$((30000 + $$ % 20000))
"$B/bench/echoserv" "$PORT" >"$TMPD/echo.log" 2>&1 &
EP=$!
PIDS="$PIDS $EP"
answered() { "$B/bench/ntpgen" -p "$1" -r 100 -d 0.1 | grep -q 'replies=[1-9]'; }
check "echoserv-answers" wait_for answered "$PORT"
out=$("$B/bench/ntpgen" -p "$PORT" -r 500 -d 1 -a 8 -n 16 -P "$EP")
echo "  echo: $out"
ok_run() { # ok_run LINE: at least 300 of 500 answered, none larger, none unmatched
    echo "$1" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        END { exit !(v["sent"] == 500 && v["replies"] >= 300 && v["larger"] == 0 &&
                     v["unmatched"] == 0 && v["hwm_kb"] > 0 && v["cpu_us_per_reply"] >= 0) }'
}
check "ntpgen-echo-1s" ok_run "$out"

CP=$((PORT + 1))
cat >"$TMPD/chrony.conf" <<CONF
allow
local stratum 2
port $CP
pidfile $TMPD/chronyd.pid
cmdport 0
bindcmdaddress /
CONF
$SAFE "$B/chronyd" -x -d -f "$TMPD/chrony.conf" >"$TMPD/chronyd.log" 2>&1 &
DP=$!
PIDS="$PIDS $DP"
check "chronyd-answers" wait_for answered "$CP"
out=$("$B/bench/ntpgen" -p "$CP" -r 500 -d 1 -P "$DP")
echo "  chronyd: $out"
check "ntpgen-chronyd-1s" ok_run "$out"
