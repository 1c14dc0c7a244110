#!/bin/sh
# Issue 13's flood check: bench/ntpflood sends NTP requests from up to 1 000 000 distinct
# (source address, port) pairs across 127.0.0.0/8 (4 ports per address, so each address
# sends 4 requests back to back) to our chronyd -x with `ratelimit interval 0 burst 2
# leak 2`, once without and once with `kod 2` (then the requests look interleaved, so the
# server also keeps a timestamp per reply), and a client log of 1 MiB (8192 records,
# fewer than the flooding addresses: records are replaced). During the flood a
# legitimate client (one request every 1.25 s from 127.0.0.1, within the rate limit)
# and chronyc (UDP and Unix socket) are still answered; afterwards: no reply larger than
# its request, KoD RATE replies only with `kod` (and never to the legitimate client),
# replaced records counted in serverstats, and the daemon's peak RSS within its RSS
# before the flood plus clientloglimit plus a fixed 8 MiB.
#
# FLOOD_SECONDS (default 10) and FLOOD_RATE (default 20000 requests/s) set the flood;
# FLOOD_SECONDS=60 is the full run of doc/TESTING.md (1.2 M requests: every pair used).
# Only counts that do not depend on timing are compared: at least one answer, zero
# larger replies, zero or some KoD, a memory bound.
. tests/system/lib.sh

SECS=${FLOOD_SECONDS:-10}
RATE=${FLOOD_RATE:-20000}
LIMIT=${FLOOD_LIMIT:-1048576}
OVERHEAD_KB=8192

pick_ports 15723
CMDP=$((P1 + 1000))

legit_loop() { # legit_loop FILE UNTIL: one request every 1.25 s until the flood ends
    while [ "$(date +%s)" -lt "$2" ]; do
        $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1 >>"$1"
        sleep 1.25
    done
}

flood_case() { # flood_case NAME EXTRA-RATELIMIT-OPTIONS [NTPFLOOD-OPTION]
    cn=$1
    cat >"$TMPD/$cn.conf" <<CONF
local stratum 1
allow 127.0.0.0/8
port $P1
cmdport $CMDP
bindcmdaddress 127.0.0.1
bindcmdaddress $TMPD/$cn.sock
pidfile $TMPD/$cn.pid
clientloglimit $LIMIT
ratelimit interval 0 burst 2 leak 2$2
CONF
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/$cn.conf" >"$TMPD/$cn.log" 2>&1 &
    dpid=$!
    PIDS="$PIDS $dpid"
    if ! wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1; then
        fail "$cn-server-up"
        return
    fi
    base_kb=$(awk '/^VmRSS:/ {print $2}' /proc/$dpid/status)

    until=$(($(date +%s) + SECS))
    : >"$TMPD/$cn.legit"
    $IN "$B/bench/ntpflood" -p $P1 -n 1000000 -k 4 -r "$RATE" -d "$SECS" -P $dpid $3 \
        >"$TMPD/$cn.flood" 2>&1 &
    fpid=$!
    legit_loop "$TMPD/$cn.legit" "$until" &
    lpid=$!
    # chronyc over UDP and the Unix socket while the flood runs (retried: a datagram
    # may be lost when the machine is busy).
    check "$cn-chronyc-udp-during-flood" \
        wait_for $IN "$B/chronyc" -h 127.0.0.1 -p $CMDP -n tracking
    check "$cn-chronyc-unix-during-flood" \
        wait_for $IN "$B/chronyc" -h "$TMPD/$cn.sock" -n serverstats
    still=$(kill -0 $fpid 2>/dev/null && echo yes || echo no)
    wait $fpid
    wait $lpid
    line=$(cat "$TMPD/$cn.flood")
    echo "  $cn: $line"
    echo "  $cn: RSS before the flood ${base_kb} kB"
    get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    [ "$still" = yes ] || echo "  $cn: (chronyc answered only after the flood ended)"
    check "$cn-flood-ran" [ "$(get sent)" -gt 0 ] 2>/dev/null
    check "$cn-flood-answered" [ "$(get replies)" -gt 0 ] 2>/dev/null
    check "$cn-no-reply-larger" [ "$(get larger)" = 0 ]
    legit_ok=$(grep -c 'mode=4 stratum=1 .*origin_ok=1' "$TMPD/$cn.legit")
    legit_kod=$(grep -c 'stratum=0 .*refid=52415445' "$TMPD/$cn.legit")
    echo "  $cn: legitimate client: $legit_ok answered, $legit_kod KoD," \
        "$(grep -c noreply "$TMPD/$cn.legit") unanswered"
    check "$cn-legit-client-answered" [ "$legit_ok" -ge 1 ]
    check "$cn-legit-client-no-kod" [ "$legit_kod" = 0 ]
    if [ -n "$2" ]; then
        check "$cn-kod-sent" [ "$(get kod)" -gt 0 ]
    else
        check "$cn-no-kod-without-kod-option" [ "$(get kod)" = 0 ]
    fi
    $IN "$B/chronyc" -h "$TMPD/$cn.sock" serverstats >"$TMPD/$cn.stats" 2>&1
    sed 's/^/    /' "$TMPD/$cn.stats"
    dropped=$(sed -n 's/^Client log records dropped *: *//p' "$TMPD/$cn.stats")
    check "$cn-records-replaced" [ "${dropped:-0}" -gt 0 ]
    if [ "$3" = -x ]; then
        held=$(sed -n 's/^NTP timestamps held *: *//p' "$TMPD/$cn.stats")
        check "$cn-interleaved-timestamps-held" [ "${held:-0}" -gt 0 ]
    fi
    hwm_kb=$(awk '/^VmHWM:/ {print $2}' /proc/$dpid/status)
    bound_kb=$((base_kb + LIMIT / 1024 + OVERHEAD_KB))
    echo "  $cn: peak RSS ${hwm_kb} kB, bound ${bound_kb} kB"
    check "$cn-rss-within-clientloglimit" [ "$hwm_kb" -le "$bound_kb" ]
    check "$cn-daemon-alive" kill -0 $dpid
    stop_all
}

flood_case ratelimit ""
flood_case ratelimit-kod " kod 2" -x
