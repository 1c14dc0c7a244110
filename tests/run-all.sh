#!/bin/sh
# Runs every test suite against the binaries in $B and prints one closing line
# "N passed, N failed". Each suite prints PASS/FAIL lines; a suite that exits
# non-zero without printing FAIL counts as one failure.
B=${B:-build/san}
export B
LOGDIR=$B/test-logs
mkdir -p "$LOGDIR"
pass=0
fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_suite() {
    name=$1
    shift
    log=$LOGDIR/$(echo "$name" | tr '/ ' '__').log
    "$@" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "FAIL $name (exit status $rc, see $log)"
        tail -n 20 "$log" | sed 's/^/    /'
    fi
    grep '^FAIL ' "$log" | sed "s|^|$name: |"
    if [ "$f" -ne 0 ]; then
        grep -B3 '^FAIL ' "$log" | grep -v '^PASS ' | grep -v '^FAIL ' | head -n 20 | sed 's/^/    /'
    fi
    echo "  $name: $p ok, $f bad"
    pass=$((pass + p))
    fail=$((fail + f))
}

# Layering of the sources and of the objects in $B, and the check's own planted cases.
run_suite check-layers python3 scripts/check-layers.py --build "$B"
run_suite layers/planted sh tests/layers/run-planted.sh
for t in "$B"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    run_suite "unit/$(basename "$t")" "$t"
done
if [ -x "$B/tests/sim/sim" ]; then
    run_suite sim sh tests/sim/check-figures.sh
fi
for r in "$B"/fuzz/replay_*; do
    [ -x "$r" ] || continue
    tgt=${r##*/replay_}
    run_suite "fuzz/$tgt" "$r" "fuzz/corpus/$tgt"
done
run_suite directives sh tests/directives/run.sh
for g in tests/golden/run-*.sh; do
    [ -f "$g" ] || continue
    run_suite "golden/$(basename "$g" .sh)" sh "$g"
done
for s in tests/system/test-*.sh; do
    [ -f "$s" ] || continue
    run_suite "system/$(basename "$s" .sh)" sh "$s"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
