#!/bin/sh
# The daemon shell: daemonizing with a pidfile, single instance per pidfile,
# clean exit on SIGTERM/SIGINT, -p, -v, config errors naming file and line.
. tests/system/lib.sh

conf="$TMPD/chrony.conf"
cat >"$conf" <<CONF
pidfile $TMPD/chronyd.pid
port 0
cmdport 0
bindcmdaddress /
CONF

# Daemonize (no -d/-n): the parent returns 0 once the daemon is up.
$SAFE "$B/chronyd" -x -f "$conf" -l "$TMPD/log"
check "daemonize-exit-0" [ $? -eq 0 ]
check "pidfile-written" wait_for test -s "$TMPD/chronyd.pid"
pid=$(cat "$TMPD/chronyd.pid" 2>/dev/null)
PIDS="$PIDS $pid"
check "daemon-running" kill -0 "$pid"

# A second instance with the same pidfile is refused.
out=$($SAFE timeout 10 "$B/chronyd" -x -f "$conf" -l "$TMPD/log2" 2>&1)
rc=$?
check "second-instance-refused" [ $rc -ne 0 ]
check "second-instance-message" sh -c "grep -q 'Another chronyd may already be running (pid=$pid)' '$TMPD/log2' || echo '$out' | grep -q 'Another chronyd may already be running'"

kill -TERM "$pid"
check "sigterm-exits" wait_for sh -c "! kill -0 $pid"
check "pidfile-removed" wait_for sh -c "! test -e '$TMPD/chronyd.pid'"

# Foreground -d, SIGINT.
$SAFE "$B/chronyd" -x -d -f "$conf" >"$TMPD/fg.log" 2>&1 &
fg=$!
PIDS="$PIDS $fg"
check "foreground-pidfile" wait_for test -s "$TMPD/chronyd.pid"
check "foreground-pid-matches" sh -c "[ \"\$(cat $TMPD/chronyd.pid)\" = $fg ]"
kill -INT "$fg"
wait "$fg"
check "sigint-exit-0" [ $? -eq 0 ]
check "foreground-starting-line" grep -q 'chronyd version 4.8 starting' "$TMPD/fg.log"
check "foreground-noclock-line" grep -q 'Disabled control of system clock' "$TMPD/fg.log"

# Config errors: chrony 4.8's wording, file and line, non-zero exit. A subnet
# prefix that is too long is found at start-up, as chrony does.
printf 'port 123\nfoo bar\n' >"$TMPD/bad.conf"
out=$($SAFE timeout 10 "$B/chronyd" -x -d -f "$TMPD/bad.conf" 2>&1)
check "bad-directive-exit" [ $? -ne 0 ]
check "bad-directive-message" sh -c "echo '$out' | grep -q 'Fatal error : Invalid directive foo at line 2 in file $TMPD/bad.conf'"
printf 'allow 10.0.0.0/99\n' >"$TMPD/bad2.conf"
out=$($SAFE timeout 10 "$B/chronyd" -x -d -f "$TMPD/bad2.conf" 2>&1)
check "bad-allow-exit" [ $? -ne 0 ]
echo "  $out" | tail -n 1
check "bad-allow-message" sh -c "echo '$out' | grep -q 'Fatal error : Bad subnet in 10.0.0.0/99'"

# -p prints the effective configuration, -v the version.
out=$("$B/chronyd" -p -f "$conf")
check "print-config" sh -c "echo '$out' | grep -q '^pidfile $TMPD/chronyd.pid'"
check "version" sh -c "'$B/chronyd' -v | grep -q '^chronyd (chrony) version 4.8 ('"
# Configuration lines as arguments replace the file.
out=$("$B/chronyd" -p 'local stratum 5' 'allow 10/8')
check "args-as-config" sh -c "echo '$out' | grep -q '^local stratum 5'"
# -t: exit after a timeout, with status 1 when the clock is not synchronised (as chrony;
# tests/system/test-messages.sh has the synchronised case).
$SAFE timeout 10 "$B/chronyd" -x -d -t 1 -f "$conf" >/dev/null 2>&1
check "timeout-exit" [ $? -eq 1 ]
