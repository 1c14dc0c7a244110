#!/bin/sh
# initstepslew THRESHOLD HOST... (chrony 4.8): the hosts (NTP port 123, hence a private
# network namespace) are polled with iburst before normal operation; their first estimate
# is stepped when at least THRESHOLD away, else slewed ("System's initial offset : ..."),
# then they are removed and the configured sources start. Our server's software clock is
# 5 s ahead; the clients run --softclock (their own clock, stepped or slewed) or -x.
. tests/system/lib.sh

if ! make_netns; then
    echo "SKIP initstepslew needs a network namespace (NTP port 123)"
    exit 0
fi
chmod 700 "$TMPD"

server_conf "$TMPD/s.conf" 123
$IN $SAFE "$B/chronyd" --softclock=5 -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"

conf() { # conf NAME INITSTEPSLEW-LINE SERVER
    cat >"$TMPD/$1.conf" <<EOF2
$2
server $3 iburst minpoll 0 maxpoll 0
port 0
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
EOF2
}

# system_time NAME: chronyc tracking's System time as "SECONDS slow|fast"
system_time() {
    $IN "$B/chronyc" -h "$TMPD/$1.sock" -n tracking 2>/dev/null |
        sed -n 's/^System time *: \([0-9.]*\) seconds \(slow\|fast\).*/\1 \2/p'
}
# time_below NAME BOUND: the System time of NAME is below BOUND seconds
time_below() {
    system_time "$1" | awk -v b="$2" 'NF == 2 && $1 < b {ok=1} END {exit !ok}'
}
in_log() { grep -q "$2" "$TMPD/$1.log"; }
# after NAME FIRST SECOND: SECOND is logged after FIRST
after() {
    awk -v a="$2" -v b="$3" 'index($0, a) {s=1} s && index($0, b) {ok=1} END {exit !ok}' \
        "$TMPD/$1.log"
}
start() { # start NAME OPTIONS...
    name=$1
    shift
    $IN $SAFE "$B/chronyd" "$@" -d -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    PIDS="$PIDS $!"
}

wait_for sh -c "$IN python3 tests/system/ntpreq.py 127.0.0.1 123 4 3 | grep -q stratum=1"

# step: 5 s is above the threshold of 1 s
conf step "initstepslew 1 127.0.0.1" 127.0.0.1
# slew: below the threshold of 10 s
conf slew "initstepslew 10 127.0.0.1" 127.0.0.1
# dead: no host answers (no route to 192.0.2.1); a name that does not resolve
conf dead "initstepslew 1 192.0.2.1 nonexistent.invalid" 127.0.0.1
# restarted (-R): the directive is ignored
conf restarted "initstepslew 1 127.0.0.1" 127.0.0.1
start step --softclock
start slew --softclock
start dead --softclock
start restarted --softclock -R

# while initstepslew runs (about 10 s without replies) only its hosts are polled
only_init_host() {
    out=$($IN "$B/chronyc" -h "$TMPD/dead.sock" -n sources 2>/dev/null)
    echo "$out" | grep -q '^^? 192.0.2.1 ' && ! echo "$out" | grep -q 127.0.0.1
}
check "dead-polled-first" wait_for only_init_host
check "dead-unresolved-warning" wait_for in_log dead \
    "Could not resolve address of initstepslew server nonexistent.invalid"

msg="System's initial offset : [45]\.[09][0-9]* seconds slow of true"
check "step-message" wait_long in_log step "$msg (step)"
# normal operation: the configured server is selected after the message (chrony logs no
# selection in the initstepslew mode)
check "step-then-normal-selection" wait_long in_log step "Selected source 127.0.0.1"
check "step-selection-logged-after" after step "System's initial offset" "Selected source 127.0.0.1"
check "step-tracking-close" wait_for time_below step 0.05
echo "  step: system time $(system_time step)"
check "step-no-other-step" sh -c "! grep -q 'System clock was stepped\|Could not step' '$TMPD/step.log'"

check "slew-message" wait_long in_log slew "$msg (slew)"
check "slew-then-normal-selection" wait_long in_log slew "Selected source 127.0.0.1"
st=$(system_time slew)
echo "  slew: system time $st"
check "slew-not-stepped" sh -c "echo '$st' | awk '\$1 > 0.5 {ok=1} END {exit !ok}'"

check "dead-timeout-message" wait_long in_log dead "No suitable source for initstepslew"
check "dead-then-normal-selection" wait_long in_log dead "Selected source 127.0.0.1"
check "dead-host-removed" sh -c "! $IN $B/chronyc -h $TMPD/dead.sock -n sources | grep -q 192.0.2.1"
check "dead-no-initial-offset" sh -c "! grep -q 'initial offset' '$TMPD/dead.log'"

check "restarted-normal-selection" wait_long selected restarted
check "restarted-ignored" sh -c "! grep -q 'initial offset\|initstepslew' '$TMPD/restarted.log'"
check "restarted-not-stepped" sh -c \
    "$IN $B/chronyc -h $TMPD/restarted.sock -n tracking | grep -q '^System time *: [1-9]'"
for n in step slew dead restarted; do kill "$(cat "$TMPD/$n.pid")"; done

# The foreground process waits for initstepslew before it exits (chrony.conf(5)).
conf fg "initstepslew 10 127.0.0.1" 127.0.0.1
$IN $SAFE timeout 60 "$B/chronyd" --softclock -f "$TMPD/fg.conf" -l "$TMPD/fg.log"
check "foreground-waits" in_log fg "$msg (slew)"
[ -s "$TMPD/fg.pid" ] && kill "$(cat "$TMPD/fg.pid")"

# -Q: the initstepslew hosts make the one measurement instead of the servers.
out=$($IN $SAFE timeout 60 "$B/chronyd" -Q -f /dev/null "initstepslew 1 127.0.0.1" \
    "server 192.0.2.1 iburst" 2>&1)
rc=$?
echo "$out" | grep 'wrong' | sed 's/^/  -Q: /'
# About 5 s (the server's clock is 5 s ahead); the last digits depend on timing.
wrong_by_5() { # OUTPUT
    echo "$1" | awk '/System clock wrong by [0-9.]+ seconds [(]ignored[)]/ {
        s = $0; sub(/.*wrong by /, "", s); v = s + 0; if (v > 4.9 && v < 5.1) ok = 1 }
        END { exit !ok }'
}
check "Q-uses-init-hosts" sh -c '[ "$1" = 0 ]' - "$rc"
check "Q-uses-init-hosts-offset" wrong_by_5 "$out"

# -x: the step is refused and logged as Debian's chronyd 4.3 logs it.
conf x "initstepslew 1 127.0.0.1" 127.0.0.1
start x -x
check "x-message" wait_long in_log x "$msg (step)"
check "x-refused" wait_for in_log x "Could not step system clock"
if [ -x /usr/sbin/chronyd ]; then
    conf deb "initstepslew 1 127.0.0.1" 127.0.0.1
    $IN $SAFE /usr/sbin/chronyd -x -u root -d -f "$TMPD/deb.conf" >"$TMPD/deb.log" 2>&1 &
    PIDS="$PIDS $!"
    check "debian-x-message" wait_long in_log deb "$msg (step)"
    check "debian-x-refused" wait_for in_log deb "Could not step system clock"
    norm() {
        sed -n 's/^[^ ]* //; /initial offset\|Could not step\|Selected source/p' "$TMPD/$1.log" |
            sed 's/[0-9][0-9.]*/N/g' >"$TMPD/$1.norm"
    }
    wait_long in_log x "Selected source"
    wait_long in_log deb "Selected source"
    norm x
    norm deb
    sed 's/^/  debian: /' "$TMPD/deb.norm"
    check "x-messages-as-debian" cmp -s "$TMPD/x.norm" "$TMPD/deb.norm"
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi
stop_all
