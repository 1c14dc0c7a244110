#!/bin/sh
# Runs every simulator scenario with its figures at the fixed seeds and compares the
# figures with tests/sim/figures-baseline.txt, less the wall-time column. A change of
# structure must leave them identical; a change of algorithm updates the baseline in
# the same commit (sh tests/sim/check-figures.sh --update), with the figures in
# doc/PERFORMANCE.md. Prints the simulator's PASS/FAIL lines and one more for the
# comparison.
B=${B:-build/san}
base=tests/sim/figures-baseline.txt
out=${TMPDIR:-/tmp}/sim-figures.$$
trap 'rm -f "$out" "$out.n"' EXIT

# The wall time is the last column of a scenario row and `wall_s=` in probe rows.
normalize() {
    sed -E -e 's/ wall_s=[0-9.]+//' \
        -e '/^[a-z0-9-]+ +[a-z0-9]+ +(PASS|FAIL|xfail) /s/ +[0-9.]+$//' \
        -e '/^scenario +node +status/s/ +wall_s$//' "$1"
}

"$B/tests/sim/sim" --all --figures >"$out" 2>&1
rc=$?
cat "$out"
normalize "$out" >"$out.n"
if [ "${1:-}" = --update ]; then
    cp "$out.n" "$base"
    echo "updated $base"
    exit $rc
fi
if diff -u "$base" "$out.n" >/dev/null 2>&1; then
    echo "PASS sim-figures-identical-to-baseline"
else
    diff -u "$base" "$out.n" | head -n 40
    echo "FAIL sim-figures-identical-to-baseline (see the diff above; $base)"
fi
exit $rc
