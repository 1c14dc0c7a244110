#!/bin/sh
# leapsectz / leapseclist: the tables of this system are read and checked as
# chrony does, with chrony's messages (compared with Debian's chronyd for
# leapsectz, which its 4.3 supports).
. tests/system/lib.sh

run() { # run DIRECTIVE...: our chronyd for one second, its log without the usual lines
    $SAFE "$B/chronyd" -x -d -t 1 "pidfile $TMPD/t.pid" "cmdport 0" "bindcmdaddress /" "$@" 2>&1 |
        grep -v 'starting\|Disabled control\|exiting\|Running with root\|Timeout reached'
}

if [ -e /usr/share/zoneinfo/right/UTC ]; then
    out=$(run "leapsectz right/UTC")
    echo "  $out"
    check "leapsectz-right-utc" sh -c "echo '$out' | grep -q 'Using right/UTC timezone to obtain leap second data\$'"
else
    echo "SKIP no /usr/share/zoneinfo/right/UTC"
fi
if [ -e /usr/share/zoneinfo/leap-seconds.list ]; then
    out=$(run "leapseclist /usr/share/zoneinfo/leap-seconds.list")
    echo "  $out"
    check "leapseclist-system" sh -c "echo '$out' | grep -q 'Using leap second list /usr/share/zoneinfo/leap-seconds.list\$'"
fi
# A list is preferred to a time zone.
printf '2272060800 10\n3439756800 34\n3550089600 35\n#@ 3991593600\n' >"$TMPD/leap.list"
out=$(run "leapsectz right/UTC" "leapseclist $TMPD/leap.list")
check "leapseclist-preferred" sh -c "echo '$out' | grep -q 'Using leap second list' && ! echo '$out' | grep -q 'timezone to obtain'"
# Tables that fail chrony's 2012 check are ignored with its warnings.
out=$(run "leapsectz Europe/Paris")
check "leapsectz-bad-zone" sh -c "echo '$out' | grep -q 'Timezone Europe/Paris failed leap second check, ignoring\$'"
printf 'not a list\n' >"$TMPD/bad.list"
out=$(run "leapseclist $TMPD/bad.list")
check "leapseclist-bad" sh -c "echo '$out' | grep -q 'Leap second list $TMPD/bad.list failed check, ignoring\$'"
out=$(run "leapseclist $TMPD/missing.list")
check "leapseclist-missing" sh -c "echo '$out' | grep -q 'failed check, ignoring\$'"

if [ -x /usr/sbin/chronyd ]; then
    for zone in right/UTC Europe/Paris; do
        ours=$(run "leapsectz $zone" | sed 's/^[^ ]* //')
        deb=$($SAFE /usr/sbin/chronyd -x -d -t 1 -u root "pidfile $TMPD/d.pid" "cmdport 0" \
            "bindcmdaddress /" "leapsectz $zone" 2>&1 | grep -i 'timezone' | sed 's/^[^ ]* //')
        check "leapsectz-$(echo $zone | tr / -)-same-as-chrony" test "$ours" = "$deb"
    done
fi
