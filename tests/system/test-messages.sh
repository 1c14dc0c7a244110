#!/bin/sh
# chrony 4.8's messages that the msgaudit found missing (doc/TESTING.md, "chrony 4.8
# messages we lack"): each condition provoked, the message grepped, the exit status as
# chrony's; where Debian's chronyd 4.3 has the message too, it is run the same way.
. tests/system/lib.sh

DEB=/usr/sbin/chronyd
[ -x "$DEB" ] || DEB=""
idle="pidfile $TMPD/idle.pid"
# A daemon with nothing to serve that -t ends.
run_idle() { # run_idle LOG ARGS...
    log=$1
    shift
    $SAFE timeout 20 "$B/chronyd" -x -d "$@" >"$log" 2>&1
}

# Arguments that are not numbers, before anything else (chronyd -t/-L/-P/-F).
out=$($SAFE timeout 10 "$B/chronyd" -x -t abc "port 0" 2>&1)
check "invalid-argument-exit" [ $? -eq 1 ]
check "invalid-argument-message" sh -c "echo '$out' | grep -q 'Fatal error : Invalid argument abc\$'"
out=$($SAFE timeout 10 "$B/chronyd" -x -L x "port 0" 2>&1)
check "invalid-argument-L" sh -c "echo '$out' | grep -q 'Fatal error : Invalid argument x\$'"
if [ -n "$DEB" ]; then
    deb=$($SAFE timeout 10 "$DEB" -x -t abc "port 0" 2>&1)
    check "invalid-argument-as-debian" sh -c "echo '$deb' | grep -q 'Fatal error : Invalid argument abc\$'"
fi

# Not root: refused unless -U (or -p, -Q).
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups timeout 10 "$B/chronyd" -x -d \
    "port 0" 2>&1)
check "not-superuser-exit" [ $? -eq 1 ]
check "not-superuser-message" sh -c "echo '$out' | grep -q 'Fatal error : Not superuser\$'"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups timeout 10 "$B/chronyd" -p "port 0" 2>&1)
check "not-superuser-print-allowed" sh -c "echo '$out' | grep -q '^port 0'"
chmod 0755 "$TMPD"
mkdir -m 0700 "$TMPD/nobody"
chown 65534 "$TMPD/nobody"
bin=$(cd "$B" && pwd)/chronyd
out=$(cd "$TMPD/nobody" && setpriv --reuid=65534 --regid=65534 --clear-groups timeout 10 \
    "$bin" -x -d -U -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
    "pidfile $TMPD/nobody/pid" 2>&1)
echo "$out" >"$TMPD/U.log"
check "not-superuser-U-allowed" grep -q "Timeout reached" "$TMPD/U.log"

# -t: "Timeout reached", status 1 when not synchronised (chrony 4.8 and Debian's 4.3),
# 0 with a local reference.
run_idle "$TMPD/t1.log" -t 1 "port 0" "cmdport 0" "bindcmdaddress /" "$idle"
check "timeout-unsynchronised-exit-1" [ $? -eq 1 ]
check "timeout-reached-message" grep -q 'Timeout reached$' "$TMPD/t1.log"
run_idle "$TMPD/t2.log" -t 1 "port 0" "cmdport 0" "bindcmdaddress /" "$idle" "local"
check "timeout-local-exit-0" [ $? -eq 0 ]
if [ -n "$DEB" ]; then
    $SAFE timeout 20 "$DEB" -x -d -u root -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
        "pidfile $TMPD/deb.pid" >"$TMPD/deb-t.log" 2>&1
    check "timeout-as-debian" sh -c "[ $? -eq 1 ] && grep -q 'Timeout reached\$' '$TMPD/deb-t.log'"
fi

# Running as root; not after dropping to another user.
check "running-root-warned" grep -q 'Running with root privileges$' "$TMPD/t1.log"
if [ -n "$DEB" ]; then
    check "running-root-as-debian" grep -q 'Running with root privileges$' "$TMPD/deb-t.log"
fi

# Key files checked after the privileges are dropped.
mkdir -m 0755 "$TMPD/keys"
echo "1 MD5 HEX:0123456789ABCDEF0123456789ABCDEF" >"$TMPD/keys/root.keys"
chmod 0640 "$TMPD/keys/root.keys"
echo "1 MD5 HEX:0123456789ABCDEF0123456789ABCDEF" >"$TMPD/keys/nobody.keys"
chmod 0600 "$TMPD/keys/nobody.keys"
chown 65534 "$TMPD/keys/nobody.keys"
run_idle "$TMPD/k1.log" -u nobody -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
    "pidfile $TMPD/k.pid" "keyfile $TMPD/keys/root.keys"
check "keyfile-missing-read-access" grep -q \
    "Missing read access to $TMPD/keys/root.keys : Permission denied\$" "$TMPD/k1.log"
check "keyfile-dropped-no-root-warning" sh -c "! grep -q 'Running with root' '$TMPD/k1.log'"
run_idle "$TMPD/k2.log" -u nobody -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
    "pidfile $TMPD/k.pid" "keyfile $TMPD/keys/nobody.keys"
check "keyfile-having-write-access" grep -q \
    "Having write access to $TMPD/keys/nobody.keys\$" "$TMPD/k2.log"
run_idle "$TMPD/k3.log" -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
    "pidfile $TMPD/k.pid" "keyfile $TMPD/keys/root.keys"
check "keyfile-root-not-checked" sh -c "! grep -q 'access to' '$TMPD/k3.log'"

# A pidfile that the daemon, no longer root, cannot remove (a sticky directory of root's).
mkdir -m 1777 "$TMPD/sticky"
run_idle "$TMPD/pid.log" -u nobody -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
    "pidfile $TMPD/sticky/chronyd.pid"
check "pidfile-not-removed" grep -q \
    "Could not remove $TMPD/sticky/chronyd.pid : Operation not permitted\$" "$TMPD/pid.log"
if [ -n "$DEB" ]; then
    rm -f "$TMPD/sticky/chronyd.pid"
    $SAFE timeout 20 "$DEB" -x -d -u nobody -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
        "pidfile $TMPD/sticky/chronyd.pid" >"$TMPD/deb-pid.log" 2>&1
    check "pidfile-not-removed-as-debian" grep -q \
        "Could not remove $TMPD/sticky/chronyd.pid : Operation not permitted\$" "$TMPD/deb-pid.log"
fi

# A refclock locked to a polled refclock whose poll is longer than its maxlockage.
shm="refclock SHM 0 refid GPS poll 4 dpoll 3|refclock SHM 1 refid PPS lock GPS|refclock SHM 2 refid SLF lock SLF"
IFS='|'
set -- $shm
unset IFS
run_idle "$TMPD/rc.log" -t 1 "port 0" "cmdport 0" "bindcmdaddress /" "$idle" "$@"
check "maxlockage-too-small" grep -q 'PPS maxlockage too small for GPS$' "$TMPD/rc.log"
check "maxlockage-not-for-invalid" sh -c "[ \$(grep -c 'maxlockage' '$TMPD/rc.log') -eq 1 ]"
if [ -n "$DEB" ]; then
    $SAFE timeout 20 "$DEB" -x -d -u root -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
        "pidfile $TMPD/deb.pid" "$@" >"$TMPD/deb-rc.log" 2>&1
    grep maxlockage "$TMPD/rc.log" | cut -d' ' -f2- >"$TMPD/rc.ours"
    grep maxlockage "$TMPD/deb-rc.log" | cut -d' ' -f2- >"$TMPD/rc.deb"
    check "maxlockage-as-debian" cmp -s "$TMPD/rc.ours" "$TMPD/rc.deb"
fi

# An NTS peer: warned, then NTS-KE tried as for a server.
run_idle "$TMPD/peer.log" -t 1 "port 0" "cmdport 0" "bindcmdaddress /" "$idle" \
    "peer 127.0.0.2 nts"
check "nts-peer-warned" grep -q 'NTS not supported with peers$' "$TMPD/peer.log"

# A server port that another program holds (without SO_REUSEADDR): chrony's error names
# the address; with acquisitionport = port the sockets are needed at start, and no socket
# at all ends the daemon (-4: no IPv6 one either). In a namespace when we can make one.
make_netns || true
$IN python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 11424))
time.sleep(60)' &
holder=$!
PIDS="$PIDS $holder"
wait_for sh -c "$IN ss -unlH 'sport = :11424' | grep -q ."
$IN $SAFE timeout 20 "$B/chronyd" -x -d -t 1 "port 11424" "allow 127.0.0.1" "cmdport 0" \
    "bindcmdaddress /" "$idle" >"$TMPD/sock.log" 2>&1
check "ntp-socket-not-opened" grep -q 'Could not open NTP socket on 0.0.0.0:11424$' "$TMPD/sock.log"
$IN $SAFE timeout 20 "$B/chronyd" -4 -x -d -t 1 "port 11424" "acquisitionport 11424" \
    "cmdport 0" "bindcmdaddress /" "$idle" >"$TMPD/socks.log" 2>&1
check "ntp-sockets-none-exit" [ $? -eq 1 ]
check "ntp-sockets-none-fatal" grep -q 'Fatal error : Could not open NTP sockets$' "$TMPD/socks.log"
if [ -n "$DEB" ]; then
    $IN $SAFE timeout 20 "$DEB" -x -d -u root -t 1 "port 11424" "allow 127.0.0.1" "cmdport 0" \
        "bindcmdaddress /" "pidfile $TMPD/deb.pid" >"$TMPD/deb-sock.log" 2>&1
    check "ntp-socket-as-debian" grep -q 'Could not open NTP socket on 0.0.0.0:11424$' \
        "$TMPD/deb-sock.log"
    $IN $SAFE timeout 20 "$DEB" -4 -x -d -u root -t 1 "port 11424" "acquisitionport 11424" \
        "cmdport 0" "bindcmdaddress /" "pidfile $TMPD/deb.pid" >"$TMPD/deb-socks.log" 2>&1
    check "ntp-sockets-as-debian" grep -q 'Fatal error : Could not open NTP sockets$' \
        "$TMPD/deb-socks.log"
fi
kill $holder 2>/dev/null

# A clock near the end of the NTP era window (our --softclock 82 years ahead).
run_idle "$TMPD/era.log" --softclock=2600000000 -t 1 "port 0" "cmdport 0" "bindcmdaddress /" \
    "$idle"
check "ntp-era-end-warned" grep -q 'Assumed NTP time ends at 2112-02-20 06:28:15!$' "$TMPD/era.log"
check "ntp-era-end-not-now" sh -c "! grep -q 'time ends' '$TMPD/t1.log'"

# include of a pattern whose directory cannot be searched (a link to itself).
ln -s loop "$TMPD/loop"
out=$($SAFE timeout 10 "$B/chronyd" -p "include $TMPD/loop/*.conf" 2>&1)
check "include-search-failed" sh -c "[ $? -eq 1 ] && echo '$out' | grep -q 'Fatal error : Could not search for files matching $TMPD/loop/\\*.conf\$'"
if [ -n "$DEB" ]; then
    deb=$($SAFE timeout 10 "$DEB" -p "include $TMPD/loop/*.conf" 2>&1 | sed 's/^[^ ]* //')
    check "include-search-as-debian" [ "$deb" = "$(echo "$out" | sed 's/^[^ ]* //')" ]
fi

# `log` without `logdir`: one warning when the first line comes, then nothing.
server_conf "$TMPD/server.conf" 11423
$SAFE "$B/chronyd" -x -d -f "$TMPD/server.conf" >"$TMPD/server.log" 2>&1 &
PIDS="$PIDS $!"
wait_for test -s "$TMPD/server.conf.pid"
$SAFE "$B/chronyd" -x -d "port 0" "cmdport 0" "bindcmdaddress /" "pidfile $TMPD/c.pid" \
    "server 127.0.0.1 port 11423 iburst minpoll -4 maxpoll -4" "log measurements" \
    >"$TMPD/nologdir.log" 2>&1 &
PIDS="$PIDS $!"
check "logdir-not-specified" wait_long grep -q 'logdir not specified$' "$TMPD/nologdir.log"
check "logdir-warned-once" wait_long sh -c \
    "grep -q 'Selected source' '$TMPD/nologdir.log' && [ \$(grep -c 'logdir not' '$TMPD/nologdir.log') -eq 1 ]"
stop_all

# chronyc: a command line too long, stdout that cannot be written, the checks of its
# socket directory.
mkdir -m 0750 "$TMPD/run"
$SAFE "$B/chronyd" -x -d "port 0" "cmdport 0" "bindcmdaddress $TMPD/run/chronyd.sock" \
    "pidfile $TMPD/run/chronyd.pid" >"$TMPD/cmd.log" 2>&1 &
PIDS="$PIDS $!"
wait_for test -S "$TMPD/run/chronyd.sock"
C="$B/chronyc -h $TMPD/run/chronyd.sock"
long=$(printf '%03000d' 0)
out=$($C tracking "$long" 2>&1)
check "chronyc-command-too-long" sh -c "[ $? -eq 1 ] && [ '$out' = 'Command too long' ]"
out=$($C -m tracking "$long" 2>&1)
check "chronyc-command-too-long-multi" sh -c "echo '$out' | grep -qx 'Command too long'"
out=$($C tracking 2>&1 >/dev/full)
check "chronyc-stdout-report-fails" sh -c "[ $? -eq 1 ] && [ '$out' = 'Could not write to stdout' ]"
out=$($C cyclelogs 2>&1 >/dev/full)
check "chronyc-stdout-request-counts" sh -c "[ $? -eq 0 ] && [ '$out' = 'Could not write to stdout' ]"
out=$(sh -c "mkdir -m 0755 '$TMPD/run/chronyc.'\$\$ && exec $C tracking" 2>&1)
check "chronyc-unexpected-mode" sh -c "echo '$out' | grep -q '^Unexpected mode/owner of $TMPD/run/chronyc\\.[0-9]*\$'"
out=$(sh -c "ln -s /tmp '$TMPD/run/chronyc.'\$\$ && exec $C tracking" 2>&1)
check "chronyc-open-stat" sh -c "echo '$out' | grep -q '^Could not open/stat $TMPD/run/chronyc\\.[0-9]* : Too many levels of symbolic links\$'"
check "chronyc-still-works" sh -c "$C tracking | grep -q '^Reference ID'"
stop_all
deep="$TMPD/$(printf 'd%.0s' $(seq 70))"
mkdir -m 0750 "$deep"
$SAFE "$B/chronyd" -x -d "port 0" "cmdport 0" "bindcmdaddress $deep/s" \
    "pidfile $TMPD/deep.pid" >"$TMPD/deep.log" 2>&1 &
PIDS="$PIDS $!"
wait_for test -S "$deep/s"
out=$($B/chronyc -h "$deep/s" tracking 2>&1)
check "chronyc-path-too-long" sh -c "echo '$out' | grep -qx 'Server socket path $deep/s is too long'"
stop_all

# NTS-KE giving an NTP server address that another source has: the session fails.
if command -v openssl >/dev/null 2>&1; then
    self_signed_cert "$TMPD/key.pem" "$TMPD/cert.pem" localhost "DNS:localhost,IP:127.0.0.1"
    $SAFE "$B/chronyd" -x -d "local stratum 1" "allow 127.0.0.1" "port 11425" "ntsport 14460" \
        "ntsserverkey $TMPD/key.pem" "ntsservercert $TMPD/cert.pem" "ntsntpserver 127.0.0.2" \
        "cmdport 0" "bindcmdaddress /" "pidfile $TMPD/nts.pid" >"$TMPD/nts-s.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for python3 tests/system/ntpreq.py 127.0.0.1 11425
    for who in ours deb; do
        bin="$B/chronyd"
        [ $who = deb ] && bin="$DEB -u root"
        [ $who = deb ] && [ -z "$DEB" ] && continue
        $SAFE $bin -x -d "server 127.0.0.1 port 11425 ntsport 14460 nts iburst minpoll 0" \
            "server 127.0.0.2 port 11426 offline" "ntstrustedcerts $TMPD/cert.pem" \
            "nosystemcert" "cmdport 0" "bindcmdaddress /" "pidfile $TMPD/$who.pid" \
            >"$TMPD/nts-$who.log" 2>&1 &
        PIDS="$PIDS $!"
        check "nts-negotiated-address-in-use-$who" wait_long grep -q \
            'Could not change 127.0.0.1 to negotiated address 127.0.0.2$' "$TMPD/nts-$who.log"
    done
    stop_all
fi
