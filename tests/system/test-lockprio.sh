#!/bin/sh
# lock_all and sched_priority as chrony's -m and -P: the daemon locks its memory
# (mlockall(MCL_CURRENT|MCL_FUTURE) seen by the LD_PRELOAD probe mlock_probe.c, and VmLck in
# /proc/PID/status unless the build is sanitized, whose runtime makes mlockall() a no-op)
# and runs with SCHED_FIFO at the priority (chrt -p). The -P option takes precedence over sched_priority; a priority
# outside 1-99 is fatal with chrony's message.
. tests/system/lib.sh

base() { # base FILE EXTRA...
    f=$1
    shift
    printf 'pidfile %s.pid\nport 0\ncmdport 0\nbindcmdaddress /\n' "$f" >"$f"
    for l in "$@"; do echo "$l" >>"$f"; done
}

CC=${CC:-cc}
PROBE="$TMPD/mlock_probe.so"
if ! $CC -shared -fPIC -O1 -Wall -o "$PROBE" tests/system/mlock_probe.c -ldl; then
    fail "build-probe"
    exit 1
fi
PRE="LD_PRELOAD=$PROBE"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

start() { # start NAME ARGS...: a foreground daemon; sets $pid
    name=$1
    shift
    env "$PRE" MLOCK_PROBE_LOG="$TMPD/$name.mlock" $SAFE "$B/chronyd" -x -d "$@" -f "$TMPD/$name.conf" >"$TMPD/$name.log" 2>&1 &
    pid=$!
    PIDS="$PIDS $pid"
    wait_for test -s "$TMPD/$name.conf.pid"
}

vmlck_kb() { awk '/^VmLck:/ {print $2}' "/proc/$1/status"; }
policy() { chrt -p "$1" | sed -n 's/.*scheduling policy: //p'; }
prio() { chrt -p "$1" | sed -n 's/.*scheduling priority: //p'; }

sanitized=0
grep -q __asan_init "$B/chronyd" && sanitized=1

base "$TMPD/plain.conf"
start plain
check "plain-started" kill -0 "$pid"
check "plain-no-mlockall" [ ! -e "$TMPD/plain.mlock" ]
check "plain-nothing-locked" [ "$(vmlck_kb "$pid")" = 0 ]
check "plain-sched-other" [ "$(policy "$pid")" = SCHED_OTHER ]

base "$TMPD/lock.conf" lock_all "sched_priority 7"
start lock
check "lock-started" kill -0 "$pid"
check "lock-mlockall" grep -qx 'mlockall CURRENT|FUTURE 0' "$TMPD/lock.mlock"
if [ $sanitized = 0 ]; then
    check "lock-memory-locked" [ "$(vmlck_kb "$pid")" -gt 0 ]
fi
check "sched-fifo" [ "$(policy "$pid")" = SCHED_FIFO ]
check "sched-priority-7" [ "$(prio "$pid")" = 7 ]

# -P overrides the directive, as in chrony's main.c
base "$TMPD/opt.conf" "sched_priority 7"
start opt -P 3
check "option-priority-3" [ "$(prio "$pid")" = 3 ]

base "$TMPD/bad.conf" "sched_priority 100"
out=$($SAFE timeout 10 "$B/chronyd" -x -d -f "$TMPD/bad.conf" 2>&1)
check "bad-priority-exit" [ $? -ne 0 ]
check "bad-priority-message" sh -c "echo '$out' | grep -q 'Fatal error : Bad scheduler priority: 100'"
