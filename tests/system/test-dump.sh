#!/bin/sh
# Dump files (dumpdir, chronyc dump, chronyd -r) between real daemons on
# loopback: our client saves 127.0.0.1.dat in chrony's format on `dump` and
# on exit, removes stale dump files at start, reloads its file with -r (the
# server stopped, so the history can only come from the file), warns about a
# bad file and keeps running; Debian's chronyd 4.3 loads our file and ours
# loads Debian's.
. tests/system/lib.sh

pick_ports 11423
D="$TMPD/dump"

client_conf() { # client_conf FILE
    cat >"$1" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
server 127.0.0.2 port $P3 minpoll 6
port 0
cmdport 0
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
dumpdir $D
CONF
}

start_server() {
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >>"$TMPD/s.log" 2>&1 &
    SP=$!
    PIDS="$PIDS $SP"
}

# start_client LOG BINARY [OPTION]...: a client, its pid in $CP
start_client() {
    log=$1
    bin=$2
    shift 2
    if [ "$bin" = /usr/sbin/chronyd ]; then set -- "$@" -u root; fi
    $IN $SAFE "$bin" -x -d "$@" -f "$TMPD/c.conf" >"$log" 2>&1 &
    CP=$!
    PIDS="$PIDS $CP"
    wait_for test -S "$TMPD/c.sock"
}

stop() { # stop PID
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# samples_at_least N: chronyc sourcestats shows N or more samples of 127.0.0.1
samples_at_least() {
    np=$($IN "$B/chronyc" -h "$TMPD/c.sock" -n -c sourcestats 2>/dev/null |
        awk -F, '$1 == "127.0.0.1" { print $2 }')
    [ -n "$np" ] && [ "$np" -ge "$1" ]
}

# chrony_format FILE: SRC0, the name, "auth reach(octal) size stratum leap",
# "count asymmetry-run", then count sample lines of seven numbers.
chrony_format() {
    n=$(sed -n 4p "$1" | cut -d' ' -f1)
    sed -n 1p "$1" | grep -qx 'SRC0' &&
        sed -n 2p "$1" | grep -qx '127\.0\.0\.1' &&
        sed -n 3p "$1" | grep -Eqx '0 [0-7]+ [0-8] 1 0' &&
        sed -n 4p "$1" | grep -Eqx '[1-9][0-9]* -?[0-9]+' &&
        test "$(wc -l <"$1")" -eq $((n + 4)) &&
        test "$(sed -n '5,$p' "$1" |
            grep -Ecx '[0-9]+\.[0-9]{9}( -?[0-9]\.[0-9]{6}e[-+][0-9]{2}){6}')" -eq "$n"
}

count_in() { # count_in FILE: the sample count of a dump file
    sed -n 4p "$1" | cut -d' ' -f1
}

server_conf "$TMPD/s.conf" $P1
client_conf "$TMPD/c.conf"
start_server

# 1. dumpdir created; `dump` and exit write chrony's format
start_client "$TMPD/c1.log" "$B/chronyd"
check "dumpdir-created" test -d "$D"
wait_for samples_at_least 6
out=$($IN "$B/chronyc" -h "$TMPD/c.sock" dump 2>&1)
check "chronyc-dump-ok" test "$out" = "200 OK"
check "dump-written" test -s "$D/127.0.0.1.dat"
sed 's/^/  dump: /' "$D/127.0.0.1.dat" | head -n 5
check "dump-chrony-format" chrony_format "$D/127.0.0.1.dat"
check "no-file-without-samples" test ! -e "$D/127.0.0.2.dat"
if [ -x /usr/bin/chronyc ]; then
    rm -f "$D/127.0.0.1.dat"
    out=$($IN /usr/bin/chronyc -h "$TMPD/c.sock" dump 2>&1)
    check "debian-chronyc-dump" sh -c "test '$out' = '200 OK' && test -s '$D/127.0.0.1.dat'"
fi
stop $CP
check "dump-on-exit" chrony_format "$D/127.0.0.1.dat"
n_saved=$(count_in "$D/127.0.0.1.dat")

# 2. -r with the server stopped: the history comes from the file; stale
# dump files go, other files stay
stop $SP
cp "$D/127.0.0.1.dat" "$TMPD/saved.dat"
touch "$D/192.0.2.9.dat" "$D/refid:47505300.dat" "$D/::1.dat" "$D/notes.dat" "$D/keep"
start_client "$TMPD/c2.log" "$B/chronyd" -r
check "reload-logged" grep -q "Loaded dump file for 127.0.0.1" "$TMPD/c2.log"
check "reload-samples" samples_at_least 3
out=$($IN "$B/chronyc" -h "$TMPD/c.sock" -n sources 2>&1 | grep '127.0.0.1')
echo "  sources after reload: $out"
# stratum and reachability come from the file (the server is down)
check "reload-reach-and-stratum" sh -c "echo '$out' | awk '\$3 != 1 || \$5 == 0 { exit 1 }'"
check "stale-files-removed" sh -c "test ! -e '$D/192.0.2.9.dat' && test ! -e '$D/refid:47505300.dat' && test ! -e '$D/::1.dat'"
check "other-files-kept" sh -c "test -e '$D/notes.dat' && test -e '$D/keep'"
stop $CP

# 3. a bad file: chrony's warning, no samples, the daemon runs on
printf 'SRC0\n127.0.0.1\n0 377 8 1 0\n3 0\nnot a sample\n' >"$D/127.0.0.1.dat"
start_client "$TMPD/c3.log" "$B/chronyd" -r
check "bad-file-warning" grep -q "Could not load dump file for 127.0.0.1" "$TMPD/c3.log"
check "bad-file-daemon-runs" sh -c "$IN '$B/chronyc' -h '$TMPD/c.sock' -n sourcestats >/dev/null"
check "bad-file-removed" test ! -e "$D/127.0.0.1.dat"
stop $CP

if [ ! -x /usr/sbin/chronyd ]; then
    echo "SKIP /usr/sbin/chronyd not installed"
    exit 0
fi

# 4. Debian's chronyd -r loads our file; ours loads the file Debian writes
cp "$TMPD/saved.dat" "$D/127.0.0.1.dat"
start_client "$TMPD/d4.log" /usr/sbin/chronyd -r
wait_for grep -q "dump file" "$TMPD/d4.log"
check "debian-loads-ours" grep -q "Loaded dump file for 127.0.0.1" "$TMPD/d4.log"
check "debian-reloaded-samples" samples_at_least 3
out=$($IN /usr/bin/chronyc -h "$TMPD/c.sock" dump 2>&1)
stop $CP
cp "$D/127.0.0.1.dat" "$TMPD/debian.dat"
check "debian-dump-format" chrony_format "$TMPD/debian.dat"
start_client "$TMPD/c5.log" "$B/chronyd" -r
check "ours-loads-debian" grep -q "Loaded dump file for 127.0.0.1" "$TMPD/c5.log"
check "ours-reloaded-debian-samples" samples_at_least 3
stop $CP
sed 's/^/  c5.log: /' "$TMPD/c5.log" | head -n 5
