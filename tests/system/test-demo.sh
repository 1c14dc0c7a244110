#!/bin/sh
# `make demo` (scripts/demo.sh) as a user sees it: a time server, node1 and node2 on
# 127.0.0.1-3, each with its own software clock and without CAP_SYS_TIME. Checks the
# strata it reports in order (2, 3, 4, then 10 and 11 once node1's upstream is cut), the
# chronyc output it prints for them, that it ends by itself within two minutes, and that
# it leaves no daemon, namespace or file behind. Run in a private network namespace
# (as `make demo` does as root) and on the host's loopback (DEMO_NETNS=no).
. tests/system/lib.sh

# in_order FILE PATTERN...: the patterns (grep -E) match lines of FILE in this order.
in_order() {
    f=$1
    shift
    line=0
    for p in "$@"; do
        n=$(tail -n +$((line + 1)) "$f" | grep -n -E -m1 -- "$p" | cut -d: -f1)
        [ -n "$n" ] || return 1
        line=$((line + n))
    done
}

run_demo() { # run_demo LABEL [VAR=VALUE...]
    label=$1
    shift
    out=$TMPD/$label.out
    mkdir "$TMPD/$label"
    t0=$(date +%s)
    env "$@" TMPDIR="$TMPD/$label" B="$B" timeout 300 sh scripts/demo.sh >"$out" 2>&1
    rc=$?
    t=$(($(date +%s) - t0))
    echo "  $label: exit status $rc after $t s"
    grep -E ' after [0-9]+ s$' "$out" | sed "s/^/  $label: /"
    check "$label-exit-status" test "$rc" -eq 0
    check "$label-within-two-minutes" test "$t" -le 120
    check "$label-strata-in-order" in_order "$out" \
        '^server: stratum 2 after' \
        '^node1: stratum 3, source selected after' \
        '^node2: stratum 4, source selected after' \
        '^node2: still stratum 4 after' \
        '^node1: stratum 10 \(local reference\) after' \
        '^node2: stratum 11, source selected after'
    # What chronyc showed: node1 selecting the time server at stratum 2 and tracking at
    # stratum 3, node2 selecting node1 at stratum 3, then node1 on its local reference
    # and node2 selecting node1 at stratum 10.
    check "$label-chronyc-output" in_order "$out" \
        '^--- node1: chronyc sources -v' '^\^\* [^ ]+ +2 ' \
        '^--- node1: chronyc tracking' '^Stratum +: 3$' \
        '^--- node2: chronyc sources -v' '^\^\* [^ ]+ +3 ' \
        '^--- node2: chronyc tracking' '^Stratum +: 4$' \
        '^=== cutting' \
        '^--- node1: chronyc tracking' '^Reference ID +: 7F7F0101 ' '^Stratum +: 10$' \
        '^--- node2: chronyc sources -v' '^\^\* [^ ]+ +10 ' \
        '^--- node2: chronyc tracking' '^Stratum +: 11$'
    check "$label-node1-serves-node2" grep -q -E '^127\.0\.0\.3 +[1-9]' "$out"
    check "$label-no-cap-sys-time" test "$(grep -c '(chronyd): CapBnd .*, no CAP_SYS_TIME$' "$out")" -eq 3
    check "$label-softclocks-stepped" in_order "$out" \
        '^node1: .* System clock was stepped by' '^node2: .* System clock was stepped by'
    check "$label-node1-lost-its-source" grep -q \
        "^node1: .* Can't synchronise: no selectable sources" "$out"
    # Nothing left behind: the daemons (pids it printed), its namespace, its files.
    left=""
    for p in $(sed -n 's/^started .* (pid \([0-9]*\)).*/\1/p' "$out"); do
        kill -0 "$p" 2>/dev/null && left="$left $p"
    done
    check "$label-daemons-stopped" test "$(grep -c '^started .* (pid [0-9]*)' "$out")" -eq 3 -a -z "$left"
    ns=$(sed -n 's/.*network namespace \(chrdemo[0-9]*\),.*/\1/p' "$out")
    check "$label-namespace-removed" sh -c "[ -z '$ns' ] || ! ip netns list | grep -q -w '$ns'"
    check "$label-files-removed" test -z "$(ls -A "$TMPD/$label")"
    if [ "$rc" -ne 0 ]; then
        tail -n 60 "$out" | sed "s/^/    /"
    fi
}

if [ "$(id -u)" = 0 ]; then
    run_demo netns
    check "netns-used" grep -q 'network namespace chrdemo[0-9]*, NTP port 123' "$TMPD/netns.out"
fi
run_demo host DEMO_NETNS=no
check "host-unprivileged-port" grep -q -E 'NTP port [0-9]{5}\)$' "$TMPD/host.out"

# Stopped half-way (SIGTERM once node2 is at stratum 4): it still stops its daemons and
# removes its namespace and files.
mkdir "$TMPD/term"
TMPDIR="$TMPD/term" B="$B" sh scripts/demo.sh >"$TMPD/term.out" 2>&1 &
dpid=$!
check "term-reached-stratum-4" wait_long grep -q '^node2: stratum 4, source selected after' "$TMPD/term.out"
kill -TERM "$dpid"
wait "$dpid"
rc=$?
check "term-exit-status" test "$rc" -eq 143
left=""
for p in $(sed -n 's/^started .* (pid \([0-9]*\)).*/\1/p' "$TMPD/term.out"); do
    kill -0 "$p" 2>/dev/null && left="$left $p"
done
check "term-daemons-stopped" test -z "$left"
check "term-files-removed" test -z "$(ls -A "$TMPD/term")"
ns=$(sed -n 's/.*network namespace \(chrdemo[0-9]*\),.*/\1/p' "$TMPD/term.out")
check "term-namespace-removed" sh -c "[ -z '$ns' ] || ! ip netns list | grep -q -w '$ns'"
