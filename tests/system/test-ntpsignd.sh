#!/bin/sh
# ntpsigndsocket: replies to MS-SNTP clients (NTPv3, a key id and a zero digest) are signed
# by ntp_signd over DIR/socket, here a test signer in Python that signs as Samba does (the
# packet, the request's key id bytes, MD5 of a secret and the packet). The reply carries the
# signature and the timestamps taken before signing; with the signer missing, failing or
# broken the daemon survives, logs as chrony and sends nothing; other requests are answered
# as always; at most 15 replies wait for the signer. Debian's chronyd (4.3, +SIGND) against
# the same signer gives the same replies and log lines (but the connection error, which
# chrony logs since 4.4). Daemons run with -x only.
. tests/system/lib.sh

pick_ports 12923
chmod 700 "$TMPD" # chrony refuses command sockets in a directory others can enter
SD=$TMPD/signd
mkdir "$SD"
SIGNER=""

signd_conf() { # signd_conf FILE PORT NAME
    server_conf "$1" "$2"
    echo "ntpsigndsocket $SD" >>"$1"
    echo "bindcmdaddress $TMPD/$3.sock" >>"$1"
}

start_signer() { # start_signer MODE: the test signer on $SD/socket
    stop_signer
    python3 tests/system/signd.py serve "$SD" "$1" >>"$TMPD/signer.log" 2>&1 &
    SIGNER=$!
    wait_for test -S "$SD/socket"
}

stop_signer() {
    if [ -n "$SIGNER" ]; then
        kill "$SIGNER" 2>/dev/null
        wait "$SIGNER" 2>/dev/null
    fi
    SIGNER=""
    rm -f "$SD/socket" "$SD/release"
}

query() { # query PORT [KEYID [EXT]]: one MS-SNTP request, the reply's fields
    $IN python3 tests/system/signd.py query 127.0.0.1 "$@"
}

signed() { # signed PORT: a correctly signed reply with the right timestamps
    query "$1" | grep -q 'len=68 version=3 mode=4 stratum=1 key_ok=1 sig=ok origin_ok=1 rx_ok=1 tx_ok=1'
}

# with_queries COMMAND...: retry a COMMAND that sends requests (each up to 2 s) for up to
# about 20 s, so that a daemon not signing fails in bounded time
with_queries() { retry 10 0.2 "$@"; }

answered() { # answered PORT [KEYID [EXT]]: the first reply in up to 5 tries, or noreply
    for i in 1 2 3 4 5; do
        out=$(query "$@")
        [ "$out" != "noreply" ] && break
    done
    echo "$out"
}

plain() { # plain PORT VERSION: an unauthenticated request's reply, in up to 5 tries
    for i in 1 2 3 4 5; do
        out=$($IN python3 tests/system/ntpreq.py 127.0.0.1 "$1" "$2")
        [ "$out" != "noreply" ] && break
    done
    echo "$out"
}

count_log() { # count_log FILE TEXT: lines of FILE containing TEXT
    grep -cF -- "$2" "$1"
}

run_daemon() { # run_daemon NAME PORT DAEMON...: started, answering plain requests
    name=$1
    port=$2
    shift 2
    signd_conf "$TMPD/$name.conf" "$port" "$name"
    $IN $SAFE "$@" -x -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
    DPID=$!
    wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 "$port"
}

# 1. Our daemon, the signer not running yet.
: >"$TMPD/unexpected"
run_daemon s $P1 "$B/chronyd"
check "enabled-logged" grep -q 'MS-SNTP authentication enabled' "$TMPD/s.log"
out=$(query $P1)
check "no-signer-no-reply" [ "$out" = "noreply" ]
query $P1 >/dev/null
logged_once() {
    [ "$(count_log "$TMPD/s.log" \
        "Could not connect to signd socket $SD/socket : No such file or directory")" = 1 ]
}
check "connect-error-logged-once" wait_for logged_once
out=$(plain $P1 3)
check "plain-request-answered" sh -c "echo '$out' | grep -q 'version=3 mode=4 stratum=1 .*origin_ok=1 len=48'"
check "daemon-alive" kill -0 $DPID

# 2. The signer signs: the client gets the signed reply.
start_signer ok
check "signed-reply" with_queries signed $P1
echo "  signed: $(answered $P1)"
check "signer-got-request" grep -q 'request id=[0-9]* version=0 op=0 key=12345678 len=48' "$TMPD/signer.log"
out=$(query $P1 0x400 ext)
check "extended-authenticator-no-reply" [ "$out" = "noreply" ]
out=$(plain $P1 4)
check "plain-v4-unaffected" sh -c "echo '$out' | grep -q 'version=4 mode=4 stratum=1 .*origin_ok=1 len=48'"

# 3. A signer taking 0.5 s: the transmit timestamp is the one taken before signing.
start_signer slow
check "slow-signer-signed" with_queries signed $P1
out=$(answered $P1)
echo "  slow: $out"
check "tx-taken-before-signing" sh -c "echo '$out' | grep -q 'sig=ok .*tx_before_signing=1'"

# 4. The signer refuses, answers another id, or an impossible length: no reply, no crash.
ask_until_seen() { # one request until the signer saw one; a reply is noted
    out=$(query $P1)
    [ "$out" = "noreply" ] || echo "$out" >>"$TMPD/unexpected"
    grep -q "request" "$TMPD/signer.log"
}
for mode in fail badid badlen; do
    start_signer $mode
    : >"$TMPD/signer.log"
    check "signer-$mode-request-seen" with_queries ask_until_seen
    check "signer-$mode-no-reply" [ ! -s "$TMPD/unexpected" ]
    check "signer-$mode-daemon-alive" kill -0 $DPID
done

# 5. The signer gone again: logged again (an exchange succeeded since), then a signer back.
logged() { # logged NAME N: after one more request, N connection errors in NAME's log
    query "$PORT" >/dev/null
    [ "$(count_log "$TMPD/$1.log" "Could not connect to signd socket $SD/socket : No such file or directory")" = "$2" ]
}
PORT=$P1
start_signer ok
check "signer-back" with_queries signed $P1
stop_signer
check "connect-error-logged-again" with_queries logged s 2
query $P1 >/dev/null
check "still-logged-twice" logged s 2

# 6. The queue: while the signer holds the first request, 15 wait, the rest are dropped.
start_signer hold
: >"$TMPD/signer.log"
before=$($IN "$B/chronyc" -h "$TMPD/s.sock" -c serverstats | cut -d, -f1)
$IN python3 tests/system/signd.py burst 127.0.0.1 $P1 20 20 >"$TMPD/burst.out" &
BURST=$!
received() {
    n=$($IN "$B/chronyc" -h "$TMPD/s.sock" -c serverstats | cut -d, -f1)
    [ "$n" -ge $((before + 20)) ]
}
check "burst-received" wait_for received
check "burst-signer-holds-first" wait_for grep -q "request" "$TMPD/signer.log"
touch "$SD/release"
wait $BURST
echo "  burst: $(cat "$TMPD/burst.out")"
check "queue-holds-15" [ "$(cat "$TMPD/burst.out")" = "replies=15" ]
check "daemon-alive-at-end" kill -0 $DPID
stop_signer
stop_all

# 7. Debian's chronyd with the same signer: the same replies and the same log lines.
if [ -x /usr/sbin/chronyd ] && /usr/sbin/chronyd -v | grep -q '+SIGND'; then
    session() { # session NAME PORT DAEMON...: replies and signd log lines
        run_daemon "$@"
        query $2
        query $2
        start_signer ok
        with_queries signed $2
        answered $2 | sed 's/ tx_before_signing=.*//'
        query $2 0x400 ext
        plain $2 3 | sed 's/ reftime=[0-9]*//; s/precision=[-0-9]*//'
        stop_signer
        query $2
        stop_all
        # chrony 4.4 added the connection error (checked on ours above)
        grep -E 'MS-SNTP|signd' "$TMPD/$1.log" | grep -v 'Could not connect' | cut -c22-
    }
    ours=$(session o $P1 "$B/chronyd")
    theirs=$(session d $P2 /usr/sbin/chronyd -u root | sed "s/port $P2/port $P1/")
    echo "$ours" | sed 's/^/  ours: /'
    if [ "$ours" = "$theirs" ]; then
        pass "same-as-debian"
    else
        fail "same-as-debian"
        echo "$theirs" | sed 's/^/  debian: /'
    fi
else
    echo "SKIP Debian's chronyd with +SIGND not installed"
fi
