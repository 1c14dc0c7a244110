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

# Numbers as chrony's sscanf() reads them: %d and %lf take a prefix of the
# word (or of the rest of the line), accept a sign and skip white space;
# some commands check the whole word, some print nothing on an error.
for v in 6 6x +6 -3 0x10 6.7 abc "" 99999999999 "6 7"; do
    same "minpoll 1.2.3.4 $v"
done
same "maxpoll 1.2.3.4 9x"
same "minstratum 1.2.3.4 3junk"
same "polltarget 1.2.3.4 ''"
same "minpoll nonexistent.invalid 6"
same "minpoll nonexistent.invalid x"
for v in 1e-3 1e-3x 0x1p-3 inf nan .5 abc ""; do
    same "maxdelay 1.2.3.4 $v"
done
same "maxdelayratio 1.2.3.4 2,5"
same "maxdelaydevratio 1.2.3.4 +10"
for c in maxupdateskew reselectdist dfreq doffset; do
    for v in 1.5 1.5x x ""; do
        same "$c $v"
    done
done
for v in 2/4 2/4x +2/-4 2 2/ /4 0x2/4 "2 /4" "2/4 1.2.3.4" "2/4 1.2.3.4/24" \
    "2/4 1.2.3.4/24x" "2/4 1.2.3.4/x" "2/4 foo/1" "2/4 255.255.255.0/1.2.3.4" \
    "2/4 1.2.3.4/33" "2/4 1.2.3.4/-1" "2/4 ID#5" "2/4 nonexistent.invalid" \
    "2/4 1.2.3.4 extra"; do
    same "burst $v"
done
for v in "" "0.1 3" "0.1 3x" "0.1x 3" "0.1" "1e-1 +3" "0.1 3 4" "x 3"; do
    same "makestep $v"
done
for v in "delete 3" "delete 3x" "delete x" "delete" "deletex 2" "listx" "on" "on x" \
    "off" "reset" "foo"; do
    same "manual $v"
done
for v in "1.2.3.4" "1.2.3.4/24" "1.2.3.4/24x" "1.2.3.4/-1" "1.2.3.4/+8" "1.2.3" \
    "1.2.3x" "1." "+1.2" "all" "all 10/8" "1.2.3.4 x" "localhost" "localhost/8" \
    "::1/64" "::1/200"; do
    same "allow $v"
done
same "deny all 1.2.3.4/32"
same "cmdallow 10"
for v in "1.2.3.4" "1.2.3.4 x" "" "nonexistent.invalid"; do
    same "accheck $v"
    same "delete $v"
done
for v in "sources" "sources x" "" "Sources"; do
    same "reset $v"
    same "reload $v"
done
for v in reset activate "reset x" ""; do
    same "smoothtime $v"
done
for v in "" "1.2.3.4/8" "255.0.0.0/1.2.3.4" "x/1" "1.2.3.4/x"; do
    same "online $v"
    same "offline $v"
done
for v in "-4" "-6" "-46" "-n" "+n" "-4 x" "x"; do
    same "dns $v"
done
for v in "abc" "200x" "99" "" "100"; do
    same "timeout $v"
done
for v in "x" "31" "-1" "3x" "30"; do
    same "retries $v"
done
same "waitsync 1 x"
same "waitsync 1"
same "clients -p 5x"
same "clients -p x"
same "clients -k -r -z"
for v in "1.2.3.4 1" "1.2.3.4 x"; do
    same "ntpdata $v"
done
same "sourcename x y"
same "foo"
same "# comment"
same "   "
same "add server"
same "add foo 1.2.3.4"
same "authhash MD5"
same "password x"
# Key lines: the random hex is replaced by its length.
for v in "" 5 5x -1 a "1 SHA1 8000" "1 SHA1 8" "1 AES128 5" "1 MD5 100 extra" "1 sha1" \
    "1 SHA1 100x" "1 TIGER" "2 SHA3-512 4294967295" "1 AES256 8 9"; do
    "$THEIRS" -h 127.0.0.1 -p "$PORT" "keygen $v" 2>&1 | sed 's/HEX:\(.*\)/\1/' |
        awk '{ print $1, $2, length($3) }' >"$DIR/theirs"
    "$OURS" -h 127.0.0.1 -p "$PORT" "keygen $v" 2>&1 | sed 's/HEX:\(.*\)/\1/' |
        awk '{ print $1, $2, length($3) }' >"$DIR/ours"
    if cmp -s "$DIR/theirs" "$DIR/ours"; then ok "same as chrony: keygen $v"; else
        bad "same as chrony: keygen $v"
        diff "$DIR/theirs" "$DIR/ours" | sed 's/^/    /'
    fi
done
# -v: chrony's feature list; our keygen has the secure hashes, so +SECHASH as chrony
# built with Nettle (and +DEBUG: -d prints the debug messages).
if "$OURS" -v | grep -qx 'chronyc (chrony) version [0-9.]* (+READLINE +SECHASH +IPV6 +DEBUG)' &&
    "$THEIRS" -v | grep -q '+SECHASH'; then
    ok "version features as chrony's"
else
    bad "version features as chrony's"
    "$OURS" -v | sed 's/^/    /'
fi
# local: 4.3 sends LOCAL2, 4.8 LOCAL3; the texts and statuses must agree.
for v in "stratum 5" "stratum 5x" "stratum x" "stratum 16" "STRATUM 3 Orphan" \
    "distance 1e-1" "distance" "off" "off x" "orphan distance 2x" "foo"; do
    run "$THEIRS" "$DIR/theirs" "local $v"
    run "$OURS" "$DIR/ours" "local $v"
    sed -i '/^-- requests/,$d' "$DIR/theirs" "$DIR/ours"
    if cmp -s "$DIR/theirs" "$DIR/ours"; then ok "same as chrony: local $v"; else
        bad "same as chrony: local $v"
        diff "$DIR/theirs" "$DIR/ours" | sed 's/^/    /'
    fi
done
# local's activate, waitsynced and waitunsynced are 4.8 options (4.4 on).
expect "local distance 1e-1 activate 0.5" 0 ""
expect "local waitsynced 5 WaitUnsynced 10x" 1 "Invalid syntax for local command"
expect "local waitsynced 5 waitunsynced +10" 0 ""
# offset and selectopts are 4.8 commands (client.c: sscanf "%lf" of the
# rest of the line; options without regard to case).
expect "offset 1.2.3.4 0.5x" 0 ""
expect "offset GPS -1e-3" 0 ""
expect "offset 1.2.3.4 x" 1 "Invalid syntax for offset command"
expect "offset 1.2.3.4" 1 "Invalid syntax for offset command"
expect "offset toolong 1" 1 "Invalid syntax for offset command"
expect "selectopts 1.2.3.4 +PREFER -Trust" 0 ""
expect "selectopts 1.2.3.4 prefer" 1 "Invalid syntax for selectopts command"

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

# settime: chrony's getdate forms, the time sent compared with Debian's
# chronyc in two time zones (relative forms retried if a second ticked).
settime_case() { # TZ DATE
    n=0
    while [ $n -lt 3 ]; do
        TZ=$1 run "$THEIRS" "$DIR/theirs" "settime $2"
        TZ=$1 run "$OURS" "$DIR/ours" "settime $2"
        cmp -s "$DIR/theirs" "$DIR/ours" && break
        n=$((n + 1))
    done
    if [ $n -lt 3 ]; then
        ok "settime $2 (TZ=$1)"
    else
        bad "settime $2 (TZ=$1)"
        diff "$DIR/theirs" "$DIR/ours" | sed 's/^/    /'
    fi
}
for tz in UTC America/New_York; do
    for d in "now" "16:30" "16:30:05" "Nov 21, 2015 16:30:05" "2015-11-21 16:30:05" \
        "21 Nov 2015 16:30" "11/21/2015 4:30pm" "2015/11/21" "Jul 4 12:00" "+1 hour" \
        "1 hour ago" "tomorrow" "yesterday 12:00" "next friday" "last month" "16:30 UTC" \
        "16:30:05 +0100" "12:00 EDT" "Nov 21 2015 16:30:05" "1630" "20151121" \
        "Sat Nov 21 16:30:05 UTC 2015" "foo" "25:00" "12:00 am" "12 pm" "noon" "2 weeks ago" \
        "-2 days" "3 fortnights" "21-Nov-2015" "(a (b)) 16:30" "16:30:05.5" "Sept 3" \
        "wed." "thurs, Jan 1 1970" "first monday" "Dec 31 2037 23:59:59 z" "1 day 2 hours" \
        "now 10 min ago" "2015-11-21T16:30" "16:30 dst" "16:30 cet dst" "" "10 -2 days" \
        "2015 -2 days" "21 Nov last" "16:30 +0100" "last friday" "12:30 pm tomorrow" \
        "2 friday" "Nov" "30 Feb 2015" "0:00" "24:00" "1/2/3" "1970-01-01 00:00:00 UTC" \
        "1969-12-31 23:59:59 UTC" "Jan 19 2038 03:14:08 UTC" "Thursday 1 day ago" \
        "a.m." "16:30:05 a" "4 p.m." "e.s.t. 9:00" "mon." "March 1 1 month ago"; do
        settime_case $tz "$d"
    done
done

# Tab completion in interactive mode on a terminal (a pty): the same
# keystrokes give the same screen as Debian's chronyc (whose GPL banner is
# left out) and the same requests; completed lines run.
cat >"$DIR/drive_tty.py" <<'PY'
import os, pty, sys, time, select
keys = [k.encode().decode("unicode_escape").encode() for k in sys.argv[1].split("|")]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "dumb"
    os.execv(sys.argv[2], sys.argv[2:])
out = b""
def drain(t):
    global out
    while select.select([fd], [], [], t)[0]:
        try:
            d = os.read(fd, 4096)
        except OSError:
            return
        if not d:
            return
        out += d
drain(1.0)
for k in keys + [b"\x04"]:
    os.write(fd, k)
    drain(0.5)
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
PY
KEYS='trac\t|\x15|sourcestats -\t\t|\x15|add s\t|\x15|manual l\t|\x15|reset \t|\x15'
KEYS="$KEYS"'|tracking x\t|\x15|xyz\t|\x15| trac\t|\x15|trimr\t\n|reset s\t\n'
for c in theirs ours; do
    [ $c = theirs ] && client=$THEIRS || client=$OURS
    : >"$DIR/req.log"
    python3 "$DIR/drive_tty.py" "$KEYS" "$client" -h 127.0.0.1 -p "$PORT" >"$DIR/$c.pty" 2>&1
    sed -e '/^chrony version/,/^GNU General Public/d' "$DIR/$c.pty" | tr -d '\r' |
        sed -e '/^$/d' >"$DIR/$c"
    cut -d' ' -f1 "$DIR/req.log" >>"$DIR/$c"
done
if cmp -s "$DIR/theirs" "$DIR/ours" && grep -q '^36$' "$DIR/ours" && grep -q '^66$' "$DIR/ours" && grep -q 'add server ' "$DIR/ours"; then
    ok "Tab completion as chrony's"
else
    bad "Tab completion as chrony's"
    diff "$DIR/theirs" "$DIR/ours" | cat -A | head -20 | sed 's/^/    /'
fi

# -d: chrony 4.8's chronyc debug messages on stderr (address resolution, the
# timeout of each transmission, the reply's codes); nothing without -d.
run "$OURS" "$DIR/ours" -d reselect
if grep -qx "Resolved 127.0.0.1 to 127.0.0.1" "$DIR/e" && grep -qx "Timeout 1.000000 seconds" "$DIR/e" &&
    grep -qx "Reply cmd=48 reply=1 stat=0" "$DIR/e" && grep -qx "200 OK" "$DIR/o"; then
    ok "-d debug messages"
else
    bad "-d debug messages ($(tr '\n' '|' <"$DIR/e"))"
fi
run "$OURS" "$DIR/ours" reselect
if [ ! -s "$DIR/e" ]; then ok "no debug messages without -d"; else bad "no debug messages without -d"; fi

# -u USER: started as root, chronyc runs as USER (the uid of the running client
# in /proc, waiting for input on a pipe); -u root and an unknown user as chrony.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    uid=$(id -u nobody)
    gid=$(id -g nobody)
    run "$OURS" "$DIR/ours" -d -u nobody reselect
    if grep -qx "Dropped root privileges: UID $uid GID $gid" "$DIR/e" && grep -qx "200 OK" "$DIR/o"; then
        ok "-u nobody -d message"
    else
        bad "-u nobody -d message ($(tr '\n' '|' <"$DIR/e"))"
    fi
    mkfifo "$DIR/in"
    "$OURS" -u nobody -h 127.0.0.1 -p "$PORT" <"$DIR/in" >/dev/null 2>&1 &
    upid=$!
    exec 7>"$DIR/in"
    i=0
    while ! grep -q "^Uid:	$uid	$uid	$uid	$uid" "/proc/$upid/status" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.2
        i=$((i + 1))
    done
    if grep -q "^Uid:	$uid	$uid	$uid	$uid" "/proc/$upid/status" 2>/dev/null &&
        grep -q "^Gid:	$gid	$gid	$gid	$gid" "/proc/$upid/status" &&
        grep -q "^Groups:[[:space:]]*$" "/proc/$upid/status"; then
        ok "-u nobody runs as nobody"
    else
        bad "-u nobody runs as nobody"
        grep "^Uid\|^Gid\|^Groups" "/proc/$upid/status" 2>/dev/null | sed 's/^/    /'
    fi
    exec 7>&-
    wait "$upid"
    "$OURS" -u root -h 127.0.0.1 -p "$PORT" -d reselect >/dev/null 2>"$DIR/e"
    if ! grep -q "Dropped root" "$DIR/e"; then ok "-u root keeps root"; else bad "-u root keeps root"; fi
fi
run "$OURS" "$DIR/ours" -u nosuchuser.invalid reselect
if [ "$(id -u)" != 0 ] || { grep -qx "rc=1" "$DIR/ours" && [ ! -s "$DIR/req.log" ] &&
    [ "$(cat "$DIR/e")" = "Could not get user/group ID of nosuchuser.invalid" ]; }; then
    ok "-u unknown user refused"
else
    bad "-u unknown user refused ($(tr '\n' '|' <"$DIR/ours"))"
fi

[ $fails -eq 0 ]
