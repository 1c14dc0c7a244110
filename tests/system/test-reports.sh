#!/bin/sh
# Reports and logs of sources against real daemons (issue 10 item 11), in a network
# namespace whose resolver is unreachable, so names do not resolve: sources -a and
# sourcestats -a show chrony's ID# placeholders in the configuration's order (a pool
# 2 x maxsources of them), activity counts them, sourcename ID#n gives the name;
# ntpdata shows the local address of the exchange; "Added source"/"Removed source" are
# logged for sourcedir files and chronyc add/delete. Debian's chronyc must print the
# same rows as ours.
. tests/system/lib.sh

DEBC=/usr/bin/chronyc
if [ ! -x "$B/chronyd" ] || [ ! -x "$B/chronyc" ]; then
    echo "FAIL reports-no-binary $B/chronyd"
    exit 0
fi
if ! make_netns; then
    echo "PASS reports-skipped-no-netns"
    exit 0
fi

D=$TMPD/c
mkdir -p "$D/sd"
chmod 0770 "$D"
server_conf "$TMPD/srv.conf" 123
$IN $SAFE "$B/chronyd" -x -d -u root -f "$TMPD/srv.conf" >"$TMPD/srv.log" 2>&1 &
PIDS="$PIDS $!"
echo "server 127.0.0.5" >"$D/sd/a.sources"
cat >"$D/chrony.conf" <<CONF
server unresolved.invalid
server 127.0.0.1 port 123 iburst minpoll 0 maxpoll 0
pool pool.invalid maxsources 2
sourcedir $D/sd
port 0
cmdport 0
bindcmdaddress $D/sock
pidfile $D/pid
CONF
$IN $SAFE "$B/chronyd" -x -d -u root -f "$D/chrony.conf" >"$D/log" 2>&1 &
PIDS="$PIDS $!"
wait_for test -S "$D/sock"

cc() {
    cc_bin=$1
    shift
    $IN "$cc_bin" -n -h "$D/sock" "$@" 2>&1
}

# names BINARY: the mode and name column of chronyc -n sources -a
names() { cc "$1" sources -a | awk 'NR > 2 { print substr($1, 1, 1), $2 }'; }
rows=$(names "$B/chronyc")
expect="^ ID#0000000001
^ 127.0.0.1
^ ID#0000000002
^ ID#0000000003
^ ID#0000000004
^ ID#0000000005
^ 127.0.0.5"
check reports-placeholders-in-order [ "$rows" = "$expect" ]
[ "$rows" = "$expect" ] || echo "$rows"
check reports-sourcestats-placeholders \
    [ "$(cc "$B/chronyc" sourcestats -a | awk 'NR == 3 { print $1 }')" = "ID#0000000001" ]
check reports-no-placeholders-without-a \
    [ "$(cc "$B/chronyc" sources | grep -c 'ID#')" = "0" ]
check reports-activity-unknown-address \
    sh -c "$IN $B/chronyc -h $D/sock activity | grep -q '^5 sources with unknown address'"
check reports-sourcename-id \
    [ "$(cc "$B/chronyc" sourcename ID#0000000003)" = "pool.invalid" ]
if [ -x "$DEBC" ]; then
    check reports-debian-chronyc-same-rows \
        [ "$(names "$DEBC")" = "$expect" ]
fi

# ntpdata: the local address of the exchange.
wait_for sh -c "$IN $B/chronyc -n -h $D/sock ntpdata 127.0.0.1 | grep -q 'Total good RX   : [1-9]'"
check reports-ntpdata-local-address \
    sh -c "$IN $B/chronyc -n -h $D/sock ntpdata 127.0.0.1 | grep -q '^Local address   : 127.0.0.1 (7F000001)'"

# Added/removed sources are logged for sourcedir files and chronyc add/delete.
check reports-log-added-sourcedir grep -q "Added source 127.0.0.5$" "$D/log"
check reports-log-config-not-info sh -c "! grep -q 'Added source 127.0.0.1' $D/log"
cc "$B/chronyc" add server 127.0.0.6 >/dev/null
cc "$B/chronyc" delete 127.0.0.6 >/dev/null
cc "$B/chronyc" delete ID#0000000001 >/dev/null
check reports-log-added-command grep -q "Added source 127.0.0.6$" "$D/log"
check reports-log-removed-command grep -q "Removed source 127.0.0.6$" "$D/log"
check reports-log-removed-placeholder \
    grep -q "Removed source ID#0000000001 (unresolved.invalid)$" "$D/log"
check reports-placeholder-deleted \
    [ "$(names "$B/chronyc" | head -1)" = "^ 127.0.0.1" ]
