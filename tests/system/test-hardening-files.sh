#!/bin/sh
# Files, directories and signals under a hostile or unlucky set-up (issue 13):
# 1. links that an unprivileged user (nobody) planted in directories a root daemon uses
#    (the pidfile's temporary file, the -l log file, the logdir's statistics logs) are
#    not followed: a root-only file behind them is left as it was (-l on a link is fatal,
#    a statistics log behind a link is not opened, as chrony's);
# 2. with -u, a missing run directory and missing log and dump directories are made for
#    the run-as user; the command socket works and the first log lines are the user's;
# 3. a drift file that is a link to /dev/zero and a huge key file are refused after a
#    bounded read, with a message naming the file, and the daemon serves on;
# 4. SIGHUP ends the daemon as SIGTERM does: drift and dump files saved, pidfile and
#    socket removed, "chronyd exiting" logged;
# 5. key files that others may read or write get chrony's warning.
. tests/system/lib.sh

pick_ports 12623
chmod 755 "$TMPD" # nobody must reach the directories below
mkdir -m 700 "$TMPD/sock" # command sockets: a directory others cannot enter, as chrony asks

as_nobody() { # as_nobody COMMAND...: run COMMAND as nobody (an unprivileged user)
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# has_sample SOCKET: the daemon behind SOCKET has at least one sample of 127.0.0.1
has_sample() {
    $IN "$B/chronyc" -h "$1" -n -c sourcestats 2>/dev/null |
        awk -F, '$1 == "127.0.0.1" && $2 >= 1 { ok = 1 } END { exit !ok }'
}

# The server every client below follows.
server_conf "$TMPD/s.conf" $P1
sed -i 's|^allow .*|allow 127.0.0.0/8|' "$TMPD/s.conf"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
check "server-starts" wait_for $IN python3 tests/system/ntpreq.py 127.0.0.1 $P1

# --- 1. Links planted by nobody --------------------------------------------------------
SECRET=$TMPD/secret
echo "root only" >"$SECRET"
chmod 600 "$SECRET"
mkdir -m 755 "$TMPD/evil" "$TMPD/evil/log"
chown nobody:nogroup "$TMPD/evil" "$TMPD/evil/log"
as_nobody ln -s "$SECRET" "$TMPD/evil/chronyd.pid.tmp"
as_nobody ln -s "$SECRET" "$TMPD/evil/daemon.log"
as_nobody ln -s "$SECRET" "$TMPD/evil/log/measurements.log"
as_nobody ln -s "$SECRET" "$TMPD/evil/log/tracking.log"
cat >"$TMPD/e.conf" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
port 0
cmdport 0
bindcmdaddress $TMPD/sock/e.sock
pidfile $TMPD/evil/chronyd.pid
logdir $TMPD/evil/log
log measurements tracking
CONF
# chrony never appends to a log file through a link: -l on one is a fatal error.
out=$($IN $SAFE timeout 10 "$B/chronyd" -x -n -l "$TMPD/evil/daemon.log" -f "$TMPD/e.conf" 2>&1)
echo "  -l on a link: $out"
check "links-log-file-fatal" sh -c "echo '$out' | grep -q 'Fatal error : Could not open $TMPD/evil/daemon.log : Too many levels of symbolic links'"
check "links-log-file-untouched" [ "$(cat "$SECRET")" = "root only" ]
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/e.conf" >"$TMPD/e.log" 2>&1 &
EP=$!
PIDS="$PIDS $EP"
pid_written() { [ "$(cat "$TMPD/evil/chronyd.pid" 2>/dev/null)" = "$EP" ]; }
check "links-pidfile-written" wait_for pid_written
# Samples taken: the statistics logs have been tried by now.
check "links-daemon-measures" wait_long has_sample "$TMPD/sock/e.sock"
check "links-stat-logs-refused" grep -q "Could not open .*$TMPD/evil/log/measurements.log" "$TMPD/e.log"
check "links-secret-untouched" [ "$(cat "$SECRET")" = "root only" ]
check "links-secret-mode-kept" [ "$(stat -c %a "$SECRET")" = 600 ]
check "links-pidfile-regular" sh -c "[ -f '$TMPD/evil/chronyd.pid' ] && [ ! -L '$TMPD/evil/chronyd.pid' ]"
kill "$EP"
wait "$EP" 2>/dev/null
check "links-secret-untouched-at-exit" [ "$(cat "$SECRET")" = "root only" ]
check "links-pidfile-removed" [ ! -e "$TMPD/evil/chronyd.pid" ]

# --- 2. -u: missing directories made for the run-as user --------------------------------
RUN=$TMPD/fresh/run/chrony
cat >"$TMPD/u.conf" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
port 0
cmdport 0
bindcmdaddress $RUN/chronyd.sock
pidfile $RUN/chronyd.pid
logdir $TMPD/fresh/log
dumpdir $TMPD/fresh/dump
driftfile $TMPD/fresh/dump/drift
log measurements tracking
CONF
$IN $SAFE "$B/chronyd" -x -n -u nobody -f "$TMPD/u.conf" >"$TMPD/u.log" 2>&1 &
UP=$!
PIDS="$PIDS $UP"
check "user-run-dir-created" wait_for test -S "$RUN/chronyd.sock"
# 0770 less the umask, as chrony's mkdir()
check "user-run-dir-owner" sh -c "stat -c '%U %a' '$RUN' | grep -qxE 'nobody 7[57]0'"
check "user-socket-answers" wait_for $IN "$B/chronyc" -h "$RUN/chronyd.sock" tracking
check "user-log-dir-owner" sh -c "stat -c '%U %a' '$TMPD/fresh/log' | grep -qxE 'nobody 7[05]0'"
check "user-dump-dir-owner" sh -c "stat -c '%U %a' '$TMPD/fresh/dump' | grep -qxE 'nobody 7[05]0'"
check "user-parent-root" [ "$(stat -c '%U %a' "$TMPD/fresh/run")" = "root 755" ]
check "user-measurements-log" wait_long test -s "$TMPD/fresh/log/measurements.log"
check "user-tracking-log" wait_long test -s "$TMPD/fresh/log/tracking.log"
check "user-log-files-owner" sh -c "[ \"\$(stat -c %U '$TMPD/fresh/log/measurements.log' \
    '$TMPD/fresh/log/tracking.log' | sort -u)\" = nobody ]"
kill "$UP"
wait "$UP" 2>/dev/null
check "user-drift-saved" test -s "$TMPD/fresh/dump/drift"
check "user-dump-saved" test -s "$TMPD/fresh/dump/127.0.0.1.dat"
if grep -q 'Wrong owner\|Could not\|Disabled command socket' "$TMPD/u.log"; then
    sed 's/^/  u.log: /' "$TMPD/u.log"
    fail "user-no-errors"
else
    pass "user-no-errors"
fi

# --- 3. Files read whole, with a limit -----------------------------------------------------
ln -s /dev/zero "$TMPD/zero.drift"
truncate -s 100M "$TMPD/huge.keys"
cat >"$TMPD/z.conf" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
port 0
cmdport 0
bindcmdaddress $TMPD/sock/z.sock
pidfile $TMPD/z.pid
driftfile $TMPD/zero.drift
keyfile $TMPD/huge.keys
CONF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/z.conf" >"$TMPD/z.log" 2>&1 &
ZP=$!
PIDS="$PIDS $ZP"
check "zero-drift-refused" wait_for grep -q "Could not read $TMPD/zero.drift : larger than" "$TMPD/z.log"
check "huge-keys-refused" wait_for grep -q "Could not read $TMPD/huge.keys : larger than" "$TMPD/z.log"
check "zero-drift-daemon-answers" wait_for $IN "$B/chronyc" -h "$TMPD/sock/z.sock" tracking
rss=$(awk '/^VmHWM/ { print $2 }' /proc/$ZP/status 2>/dev/null)
echo "  peak RSS with /dev/zero drift file and 100 MB key file: ${rss:-?} kB"
check "zero-drift-bounded-memory" [ "${rss:-999999}" -lt 200000 ]
kill "$ZP"
wait "$ZP" 2>/dev/null

# --- 4. SIGHUP: a clean exit ----------------------------------------------------------------
mkdir -m 750 "$TMPD/h"
cat >"$TMPD/h.conf" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
port 0
cmdport 0
bindcmdaddress $TMPD/h/h.sock
pidfile $TMPD/h/h.pid
driftfile $TMPD/h/drift
dumpdir $TMPD/h
CONF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/h.conf" >"$TMPD/h.log" 2>&1 &
HP=$!
PIDS="$PIDS $HP"
check "hup-daemon-measures" wait_long has_sample "$TMPD/h/h.sock"
kill -HUP "$HP"
gone() { ! kill -0 "$HP" 2>/dev/null; }
check "hup-exits" wait_for gone
wait "$HP" 2>/dev/null
check "hup-exiting-logged" grep -q 'chronyd exiting' "$TMPD/h.log"
check "hup-drift-saved" test -s "$TMPD/h/drift"
check "hup-dump-saved" test -s "$TMPD/h/127.0.0.1.dat"
check "hup-pidfile-removed" [ ! -e "$TMPD/h/h.pid" ]
check "hup-socket-removed" [ ! -e "$TMPD/h/h.sock" ]

# --- 5. Key file permissions -------------------------------------------------------------
echo "1 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70" >"$TMPD/k.keys"
keywarn() { # keywarn MODE: the daemon's permission warning for a key file in MODE
    chmod "$1" "$TMPD/k.keys"
    $IN $SAFE timeout 3 "$B/chronyd" -Q -t 1 -f /dev/null "keyfile $TMPD/k.keys" \
        "pidfile $TMPD/k.pid" 2>&1 | cut -c22- | grep 'permissions on'
}
check "keyfile-world-readable" [ "$(keywarn 644)" = "World-readable permissions on $TMPD/k.keys" ]
check "keyfile-world-writable" [ "$(keywarn 602)" = "World-writable permissions on $TMPD/k.keys" ]
check "keyfile-group-readable-quiet" [ -z "$(keywarn 640)" ]
check "keyfile-private-quiet" [ -z "$(keywarn 600)" ]
if [ -x /usr/sbin/chronyd ]; then
    chmod 644 "$TMPD/k.keys"
    theirs=$($IN $SAFE timeout 3 /usr/sbin/chronyd -Q -t 1 -u root -f /dev/null \
        "keyfile $TMPD/k.keys" "pidfile $TMPD/k.pid" 2>&1 | cut -c22- | grep 'permissions on')
    echo "  Debian's chronyd: ${theirs:-no warning}"
fi
# The NTS server key gets the same check (chrony 4.8's TLS code).
if command -v openssl >/dev/null 2>&1; then
    self_signed_cert "$TMPD/nts.key" "$TMPD/nts.crt" localhost "DNS:localhost"
    chmod 644 "$TMPD/nts.key"
    cat >"$TMPD/n.conf" <<CONF
local stratum 1
port $P2
ntsport $((P3 + 4000))
ntsserverkey $TMPD/nts.key
ntsservercert $TMPD/nts.crt
cmdport 0
bindcmdaddress /
pidfile $TMPD/n.pid
CONF
    $IN $SAFE "$B/chronyd" -x -d -f "$TMPD/n.conf" >"$TMPD/n.log" 2>&1 &
    NP=$!
    PIDS="$PIDS $NP"
    check "ntsserverkey-world-readable" wait_for grep -q \
        "World-readable permissions on $TMPD/nts.key" "$TMPD/n.log"
    kill "$NP"
    wait "$NP" 2>/dev/null
fi
