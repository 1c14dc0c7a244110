#!/bin/sh
# chronyd -F LEVEL: the system call filter must let the daemon do its whole job
# (serve, synchronise, resolve a name on the resolver thread, answer chronyc,
# step its -x clock, write its drift file and exit cleanly) and must end it when
# it makes a call outside the filter. In a sanitizer build the filters also let
# LeakSanitizer's exit-time check run (its ptrace()d tracer task): the daemons exit
# with status 0 and leak detection on, and the check is seen processing the threads.
. tests/system/lib.sh

pick_ports 11133
chmod 700 "$TMPD"

server_conf "$TMPD/s.conf" $P1
cat >"$TMPD/c.conf" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
allow 127.0.0.1
port $P2
cmdport 0
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
driftfile $TMPD/c.drift
CONF

synced() {
    $IN python3 tests/system/ntpreq.py 127.0.0.1 $P2 4 3 |
        grep -q 'leap=0 version=4 mode=4 stratum=2 .*refid=7F000001'
}

# run_level LEVEL: server and client both filtered at LEVEL.
run_level() {
    lvl=$1
    rm -f "$TMPD/c.drift"
    $IN $SAFE "$B/chronyd" -x -d -F "$lvl" -f "$TMPD/s.conf" >"$TMPD/s$lvl.log" 2>&1 &
    spid=$!
    # The client controls a software clock of its own, so that makestep steps it.
    $IN $SAFE "$B/chronyd" --softclock -d -F "$lvl" -f "$TMPD/c.conf" >"$TMPD/c$lvl.log" 2>&1 &
    cpid=$!
    PIDS="$spid $cpid"
    check "level$lvl-loaded" wait_for grep -q "Loaded seccomp filter (level ${lvl#-})" "$TMPD/c$lvl.log"
    check "level$lvl-synchronised" wait_for synced
    check "level$lvl-chronyc-tracking" sh -c "$IN '$B/chronyc' -h '$TMPD/c.sock' -n tracking | grep -q '^Stratum         : 2'"
    # A name: getaddrinfo() on the resolver thread, under the filter.
    check "level$lvl-add-by-name" sh -c "$IN '$B/chronyc' -h '$TMPD/c.sock' -n add server localhost port 1 | grep -q '^200 OK'"
    check "level$lvl-makestep" sh -c "$IN '$B/chronyc' -h '$TMPD/c.sock' -n makestep | grep -q '^200 OK'"
    check "level$lvl-clients" sh -c "$IN '$B/chronyc' -h '$TMPD/c.sock' -n clients | grep -q '^Hostname'"
    check "level$lvl-burst" sh -c "$IN '$B/chronyc' -h '$TMPD/c.sock' -n burst 1/1 | grep -q '^200 OK'"
    sleep 2
    check "level$lvl-still-running" kill -0 $cpid
    kill $spid $cpid
    wait $spid
    s_status=$?
    wait $cpid
    c_status=$?
    PIDS=""
    check "level$lvl-server-exit-0" test $s_status -eq 0
    check "level$lvl-client-exit-0" test $c_status -eq 0
    check "level$lvl-exiting-logged" grep -q "chronyd exiting" "$TMPD/c$lvl.log"
    check "level$lvl-driftfile-written" test -s "$TMPD/c.drift"
}

run_level 1
run_level 2
run_level -1
sed 's/^/  c1.log: /' "$TMPD/c1.log" | head -n 6

# The leak check at exit runs under the filter (sanitizer builds): its tracer reports the
# threads it stopped (LSan log_threads), and the exit status stays 0.
if ldd "$B/chronyd" 2>/dev/null | grep -q libasan; then
    $IN env LSAN_OPTIONS=log_threads=1 $SAFE "$B/chronyd" -x -d -F 1 -f "$TMPD/s.conf" \
        >"$TMPD/lsan.log" 2>&1 &
    lpid=$!
    check "lsan-daemon-started" wait_for grep -q "Loaded seccomp filter (level 1)" "$TMPD/lsan.log"
    kill $lpid
    wait $lpid
    check "lsan-exit-0-under-filter" test $? -eq 0
    check "lsan-check-ran-under-filter" grep -q "Processing thread" "$TMPD/lsan.log"
else
    echo "SKIP leak check under the filter (not a sanitizer build)"
fi

# Refused set-ups, with chrony's messages.
out=$($IN $SAFE "$B/chronyd" -x -d -F 3 -f "$TMPD/s.conf" 2>&1)
check "level3-unsupported" sh -c "echo '$out' | grep -q 'Unsupported filter level'"
out=$($IN $SAFE "$B/chronyd" -x -d -F 1 "pidfile $TMPD/m.pid" "cmdport 0" "bindcmdaddress /" \
    "mailonchange root@localhost 0.5" 2>&1)
status=$?
check "mailonchange-refused" sh -c "echo '$out' | grep -q 'mailonchange directive cannot be used with -F enabled'"
check "mailonchange-exit-1" test $status -eq 1
