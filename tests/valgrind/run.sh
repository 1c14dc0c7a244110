#!/bin/sh
# make check-valgrind: the unit tests, two simulator scenarios and a system scenario (our
# chronyd serving NTP and chronyc, a second chronyd synchronising to it, a reload of its
# sources, both stopped with SIGTERM) under valgrind's memcheck, built without sanitizers
# (B=build/vg). Any memcheck error or leak (definite, indirect or possible) fails the run
# through valgrind's exit status. Prints PASS/FAIL lines and "N passed, N failed".
B=${B:-build/vg}
export B
SIM_SCENARIOS=${SIM_SCENARIOS:-loss30 xleave-basic}
LOGDIR=$B/valgrind-logs
mkdir -p "$LOGDIR"
VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible"
pass=0
fail=0

if ! command -v valgrind >/dev/null 2>&1; then
    echo "FAIL valgrind not installed (scripts/install-deps.sh)"
    echo "0 passed, 1 failed"
    exit 1
fi
if nm "$B/libcore.a" 2>/dev/null | grep -q __asan; then
    echo "FAIL $B is a sanitized build; use a plain one (make check-valgrind)"
    echo "0 passed, 1 failed"
    exit 1
fi

run() { # run NAME COMMAND...: PASS when COMMAND exits 0 under valgrind
    name=$1
    shift
    log=$LOGDIR/$name.log
    if $VG --log-file="$log.vg" "$@" >"$log" 2>&1; then
        echo "PASS valgrind-$name"
        pass=$((pass + 1))
    else
        echo "FAIL valgrind-$name (see $log and $log.vg)"
        sed 's/^/    /' "$log.vg" | head -n 30
        fail=$((fail + 1))
    fi
}

# test_scfilter loads seccomp filters: valgrind does not implement the seccomp syscall.
for t in "$B"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    [ "$(basename "$t")" = test_scfilter ] && continue
    run "unit-$(basename "$t")" "$t"
done
for s in $SIM_SCENARIOS; do
    run "sim-$s" "$B/tests/sim/sim" --scenario "$s"
done

out=$(VG="$VG" LOGDIR="$LOGDIR" sh tests/valgrind/system.sh 2>&1)
printf '%s\n' "$out"
p=$(printf '%s\n' "$out" | grep -c '^PASS ')
f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1
pass=$((pass + p))
fail=$((fail + f))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
