#!/bin/sh
# `serverbatch` (ours): the replies of one wake-up leave in one sendmmsg call by default,
# one sendmsg each with `serverbatch 1`; both answer every request (bench/ntpgen matches
# each reply to its request). Counted with strace on the daemon's sends. The server
# sockets' receive buffer is 1 MiB (ours, SERVE_RCVBUF) within net.core.rmem_max.
. tests/system/lib.sh

command -v strace >/dev/null || { echo "PASS server-batch-skipped (no strace)"; exit 0; }
PORT=$((30000 + $$ % 20000))
answered() { "$B/bench/ntpgen" -p "$PORT" -r 100 -d 0.1 | grep -q 'replies=[1-9]'; }
all_answered() { # all_answered LINE: every request answered, none larger, none unmatched
    echo "$1" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        END { exit !(v["sent"] > 0 && v["replies"] == v["sent"] && v["larger"] == 0 &&
                     v["unmatched"] == 0) }'
}
count() { grep -cE "$1" "$2"; }

run() { # run NAME [DIRECTIVE]: serve 2000 requests under strace, sends in $TMPD/NAME.st
    cat >"$TMPD/$1.conf" <<CONF
allow 127.0.0.0/8
local stratum 3
port $PORT
pidfile $TMPD/$1.pid
cmdport 0
bindcmdaddress /
$2
CONF
    strace -f -qq -e trace=sendmsg,sendmmsg -o "$TMPD/$1.st" \
        $SAFE "$B/chronyd" -x -d -f "$TMPD/$1.conf" >"$TMPD/$1.log" 2>&1 &
    SP=$!
    PIDS="$PIDS $SP"
    check "$1-answers" wait_for answered
    # Up to 5 runs: on a busy machine a reply may come after the generator's 0.3 s drain.
    i=0
    while [ $i -lt 5 ]; do
        out=$("$B/bench/ntpgen" -p "$PORT" -r 2000 -d 1 -a 4 -n 8)
        all_answered "$out" && break
        i=$((i + 1))
    done
    echo "  $1: $out"
    check "$1-all-answered" all_answered "$out"
    ss -uamn "sport = :$PORT" >"$TMPD/$1.ss" 2>&1
    # strace leaves a program it started running when it is killed: stop the daemon.
    kill "$(cat "$TMPD/$1.pid")" 2>/dev/null || kill "$SP"
    wait
    PIDS=""
}

run batch ""
check "batch-sendmmsg" test "$(count 'sendmmsg\(' "$TMPD/batch.st")" -gt 0
check "batch-no-sendmsg" test "$(count 'sendmsg\(' "$TMPD/batch.st")" -eq 0
# ntpgen sends its requests in bursts: some wake-up answers several at once.
check "batch-several-per-call" grep -qE 'sendmmsg\(.*\) = ([2-9]|[1-9][0-9]+)$' "$TMPD/batch.st"

run single "serverbatch 1"
check "single-sendmsg" test "$(count 'sendmsg\(' "$TMPD/single.st")" -gt 0
check "single-no-sendmmsg" test "$(count 'sendmmsg\(' "$TMPD/single.st")" -eq 0

# The receive buffer of the server sockets: 1 MiB asked, capped by net.core.rmem_max (the
# kernel reports twice the size it was asked for), never below the system's default.
rcvbuf_ok() {
    max=$(cat /proc/sys/net/core/rmem_max)
    want=$((max < 1048576 ? max : 1048576))
    n=0
    for rb in $(grep -o 'rb[0-9]*' "$TMPD/batch.ss" | tr -d rb); do
        [ "$rb" -ge $((2 * want)) ] || return 1
        n=$((n + 1))
    done
    [ $n -gt 0 ]
}
command -v ss >/dev/null && check "batch-rcvbuf" rcvbuf_ok
