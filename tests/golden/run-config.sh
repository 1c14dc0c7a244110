#!/bin/sh
# Golden tests for `chronyd -p`: for each tests/golden/config/NAME.conf, the printed
# configuration must equal NAME.out; when NAME.err exists instead, chronyd must fail
# and its message must contain the text of NAME.err; when NAME.warn exists, the messages
# chronyd logs (without their time stamps) must equal it. Paths in the configurations are
# relative to tests/golden/config, so chronyd runs there.
B=${B:-build/san}
here=$(cd "$(dirname "$0")" && pwd)
case $B in /*) bin=$B/chronyd ;; *) bin=$(pwd)/$B/chronyd ;; esac
tmp=${TMPDIR:-/tmp}/golden-config.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$here/config" || exit 1
status=0
for conf in *.conf; do
    name=${conf%.conf}
    if [ ! -x "$bin" ]; then
        echo "FAIL $name: $bin not built"
        status=1
        continue
    fi
    "$bin" -p -f "$conf" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ -f "$name.err" ]; then
        if [ "$rc" -ne 0 ] && grep -qF -- "$(cat "$name.err")" "$tmp/err"; then
            echo "PASS $name"
        else
            echo "FAIL $name: expected failure with: $(cat "$name.err")"
            echo "    exit $rc, stderr: $(cat "$tmp/err")"
            status=1
        fi
    elif [ -f "$name.warn" ] &&
        ! sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z //' "$tmp/err" | cmp -s - "$name.warn"; then
        echo "FAIL $name: logged messages differ"
        sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z //' "$tmp/err" | diff "$name.warn" - |
            head -n 20 | sed 's/^/    /'
        status=1
    elif [ "$rc" -eq 0 ] && cmp -s "$tmp/out" "$name.out"; then
        echo "PASS $name"
    else
        echo "FAIL $name: exit $rc"
        diff "$name.out" "$tmp/out" | head -n 20 | sed 's/^/    /'
        sed 's/^/    /' "$tmp/err" | head -n 5
        status=1
    fi
done
exit $status
