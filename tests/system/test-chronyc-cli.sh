#!/bin/sh
# chronyc's command line read as chrony reads it. A small fake daemon on
# loopback records every request it receives and answers it; Debian's
# /usr/bin/chronyc (4.3) and ours run the same command lines against it and
# must print the same lines, exit with the same status and send the same
# request bytes (sequence number and attempt masked). Cases where chrony 4.3
# and 4.8 differ are checked against the texts of chrony 4.8's client.c.
# Also: signals while waiting for a reply, `quit` in a -m list, settime's
# date forms.
B=${B:-build/san}
OURS="$B/chronyc"
THEIRS=/usr/bin/chronyc

if [ ! -x "$OURS" ]; then
    echo "FAIL chronyc-cli: $OURS not built"
    exit 1
fi
if [ ! -x "$THEIRS" ]; then
    echo "SKIP chronyc-cli: $THEIRS not installed"
    exit 0
fi

DIR=$(mktemp -d /tmp/cmdc-cli.XXXXXX)
FAKE=
cleanup() {
    if [ -n "$FAKE" ]; then
        kill "$FAKE" 2>/dev/null
        wait "$FAKE" 2>/dev/null
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

# The fake daemon: PORT answers every request (RPY_NULL, or the reply a
# settime expects), PORT+1 (IPv4 and IPv6) never answers. Each request is
# logged as "COMMAND HEX", the header's sequence and attempt left out.
cat >"$DIR/fake.py" <<'PY'
import socket, sys, select
port, log = int(sys.argv[1]), sys.argv[2]
ans = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ans.bind(("127.0.0.1", port))
mute4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
mute4.bind(("127.0.0.1", port + 1))
mute6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
mute6.bind(("::1", port + 1))
print("ready", flush=True)
while True:
    r, _, _ = select.select([ans, mute4, mute6], [], [])
    for s in r:
        buf, addr = s.recvfrom(2048)
        if s is not ans or len(buf) < 20:
            continue
        cmd = buf[4] << 8 | buf[5]
        with open(log, "a") as f:
            f.write("%d %s\n" % (cmd, (buf[0:6] + buf[12:]).hex()))
        rpy, data = (17, bytes(12)) if cmd == 11 else (1, b"")
        hdr = bytes([buf[0], 2, 0, 0, buf[4], buf[5], 0, rpy, 0, 0]) + bytes(6) + buf[8:12]
        s.sendto(hdr + bytes(8) + data, addr)
PY
PORT=$(python3 -c 'import socket
for p in range(20000, 60000, 7):
    try:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", p))
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", p + 1))
        c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c.bind(("::1", p + 1))
    except OSError:
        continue
    print(p); break')
python3 "$DIR/fake.py" "$PORT" "$DIR/req.log" >"$DIR/fake.out" 2>&1 &
FAKE=$!
i=0
while ! grep -q ready "$DIR/fake.out" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
MUTE=$((PORT + 1))

fails=0
ok() { echo "PASS $1"; }
bad() {
    echo "FAIL $1"
    fails=$((fails + 1))
}

# run CLIENT OUT ARGS...: stdout, stderr, exit status and the requests sent.
run() {
    client=$1
    out=$2
    shift 2
    : >"$DIR/req.log"
    "$client" -h 127.0.0.1 -p "$PORT" "$@" >"$DIR/o" 2>"$DIR/e"
    rc=$?
    {
        echo "rc=$rc"
        echo "-- stdout"
        cat "$DIR/o"
        echo "-- stderr"
        cat "$DIR/e"
        echo "-- requests"
        cat "$DIR/req.log"
    } >"$out"
}

# same LINE: ours answers LINE exactly as Debian's chronyc.
same() {
    run "$THEIRS" "$DIR/theirs" "$1"
    run "$OURS" "$DIR/ours" "$1"
    if cmp -s "$DIR/theirs" "$DIR/ours"; then
        ok "same as chrony: $1"
    else
        bad "same as chrony: $1"
        diff "$DIR/theirs" "$DIR/ours" | head -12 | sed 's/^/    /'
    fi
}

# expect LINE RC STDERR: a line chrony 4.8 reads differently from 4.3 (the
# request is not compared).
expect() {
    run "$OURS" "$DIR/ours" "$1"
    got_rc=$(sed -n 's/^rc=//p' "$DIR/ours")
    if [ "$got_rc" = "$2" ] && [ "$(cat "$DIR/e")" = "$3" ]; then
        ok "as chrony 4.8: $1"
    else
        bad "as chrony 4.8: $1 (rc $got_rc, stderr '$(cat "$DIR/e")')"
    fi
}

# `quit` (or `exit`) ends a -m list: nothing after it is sent (client.c
# process_args stops on quit as on a failed command).
for q in quit exit; do
    : >"$DIR/req.log"
    "$OURS" -h 127.0.0.1 -p "$PORT" -m reselect "$q" reselect >"$DIR/o" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && [ "$(cat "$DIR/o")" = "200 OK" ] && [ "$(wc -l <"$DIR/req.log")" -eq 1 ]; then
        ok "-m list ends at $q"
    else
        bad "-m list ends at $q (rc $rc, $(wc -l <"$DIR/req.log") requests)"
    fi
done
same "reselect quit reselect"

# A signal while waiting for a reply: chrony prints "506 Cannot talk to
# daemon", tries no further address or command and exits with status 1
# (SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE only set its quit flag).
signal_case() { # CLIENT SIGNAL OUT [interactive]
    if [ -n "$4" ]; then
        printf 'tracking\nsources\n' | "$1" -h 127.0.0.1,::1 -p "$MUTE" >"$DIR/so" 2>&1 &
    else
        "$1" -h 127.0.0.1,::1 -p "$MUTE" -m tracking sources >"$DIR/so" 2>&1 &
    fi
    p=$!
    sleep 1
    kill -"$2" $p
    wait $p
    echo "rc=$?" >"$3"
    cat "$DIR/so" >>"$3"
}
for sig in TERM INT HUP QUIT PIPE; do
    for mode in "" interactive; do
        signal_case "$THEIRS" $sig "$DIR/theirs" $mode
        signal_case "$OURS" $sig "$DIR/ours" $mode
        if cmp -s "$DIR/theirs" "$DIR/ours"; then
            ok "SIG$sig while waiting $mode"
        else
            bad "SIG$sig while waiting $mode"
            diff "$DIR/theirs" "$DIR/ours" | sed 's/^/    /'
        fi
    done
done

[ $fails -eq 0 ]
