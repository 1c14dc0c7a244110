#!/bin/sh
# Issue 13's determinism check: `make check` from a clean clone of HEAD, twice in a row,
# beside two busy loops (one per core of these machines), then the two runs' verdicts
# (every suite's "N ok, N bad" line and the closing "N passed, N failed") compared.
# Usage: sh scripts/check-loaded.sh [WORKDIR]   (default /tmp/check-loaded; ~40 min)
set -u
repo=$(git rev-parse --show-toplevel) || exit 2
work=${1:-/tmp/check-loaded}
rm -rf "$work"
mkdir -p "$work"
git clone -q "$repo" "$work/clone" || exit 2
rev=$(git -C "$work/clone" rev-parse --short HEAD)

busy_pids=""
for _ in 1 2; do
    sh -c 'while :; do :; done' &
    busy_pids="$busy_pids $!"
done
trap 'kill $busy_pids 2>/dev/null' EXIT INT TERM

for run in 1 2; do
    echo "check-loaded: run $run of $rev beside two busy loops ($(date -u +%H:%M:%S))"
    (cd "$work/clone" && make check) >"$work/run$run.log" 2>&1
    grep -E '^  [^ ]+: [0-9]+ ok, [0-9]+ bad$|^[0-9]+ passed, [0-9]+ failed$' \
        "$work/run$run.log" >"$work/verdict$run.txt"
    tail -n 1 "$work/verdict$run.txt"
done

if diff -u "$work/verdict1.txt" "$work/verdict2.txt"; then
    echo "check-loaded: identical verdicts ($(wc -l <"$work/verdict1.txt") lines)"
    grep -q ' 0 failed$' "$work/verdict1.txt" || exit 1
    exit 0
fi
echo "check-loaded: verdicts differ (logs in $work)"
exit 1
