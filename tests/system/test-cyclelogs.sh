#!/bin/sh
# chronyc cyclelogs reopens the daemon's own log file (-l) as chrony does: after the file
# has been moved away, a new file is created at the path and later messages go there;
# while a file is at the path, the open one is kept.
. tests/system/lib.sh

chmod 700 "$TMPD"
cat >"$TMPD/d.conf" <<CONF
pidfile $TMPD/d.pid
port 0
cmdport 0
bindcmdaddress $TMPD/d.sock
CONF

# Daemonized, as under log rotation: the log goes to the -l file only.
$SAFE "$B/chronyd" -x -f "$TMPD/d.conf" -l "$TMPD/d.log"
check "started" wait_for test -s "$TMPD/d.pid"
pid=$(cat "$TMPD/d.pid" 2>/dev/null)
PIDS="$PIDS $pid"

check "first-file" grep -q 'chronyd version 4.8 starting' "$TMPD/d.log"
# Nothing moved: the open file is kept.
check "cyclelogs-ok" sh -c "[ \"\$($B/chronyc -h $TMPD/d.sock cyclelogs 2>&1)\" = '200 OK' ]"
ino=$(stat -c %i "$TMPD/d.log")
check "same-file-kept" sh -c "[ \"\$(stat -c %i $TMPD/d.log)\" = $ino ] && [ \$(grep -c 'starting' $TMPD/d.log) = 1 ]"
mv "$TMPD/d.log" "$TMPD/d.log.1"
check "cyclelogs-after-rename" sh -c "[ \"\$($B/chronyc -h $TMPD/d.sock cyclelogs 2>&1)\" = '200 OK' ]"
check "new-file-created" test -e "$TMPD/d.log"
# A later message (the exit line) lands in the new file, not in the moved one.
kill -TERM "$pid"
wait_for sh -c "! kill -0 $pid"
check "later-message-in-new-file" grep -q 'chronyd exiting' "$TMPD/d.log"
check "moved-file-has-no-later-message" sh -c "! grep -q 'chronyd exiting' '$TMPD/d.log.1'"
check "moved-file-has-start" grep -q 'chronyd version 4.8 starting' "$TMPD/d.log.1"
