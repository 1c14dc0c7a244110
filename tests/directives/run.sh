#!/bin/sh
# Accept nothing we ignore: every directive our configuration accepts (the directive table
# of src/daemon/config.c) has a row in tests/directives/directives.tsv saying which test
# shows it works, and that test names it; the rows marked `ignored` (no effect yet) and
# `untested` (no test yet) are the gaps still open, listed, never added to. Prints
# PASS/FAIL per directive.
cd "$(dirname "$0")/../.." || exit 1
table=tests/directives/directives.tsv
tab=$(printf '\t')
accepted=$(grep -oE '^\s+[A-Z_]+DIR\("[a-z_0-9]+"' src/daemon/config.c | sed -E 's/.*\("//; s/"//' | sort)
listed=$(grep -v '^#' "$table" | cut -f1 | sort)
status=0
for d in $accepted; do
    echo "$listed" | grep -qx "$d" || { echo "FAIL directive $d: accepted but not in $table"; status=1; }
done
for d in $listed; do
    echo "$accepted" | grep -qx "$d" || { echo "FAIL directive $d: in $table but not accepted"; status=1; }
done
grep -v '^#' "$table" | while IFS="$tab" read -r d st file pattern; do
    case $st in
    works)
        if [ ! -f "$file" ]; then
            echo "FAIL directive $d: $file does not exist"
        elif ! grep -qF -- "$pattern" "$file"; then
            echo "FAIL directive $d: $file does not contain '$pattern'"
        else
            echo "PASS directive $d ($file)"
        fi
        ;;
    ignored) echo "KNOWN directive $d is accepted without an effect yet (issue 10/12)" ;;
    untested) echo "KNOWN directive $d has no test observing its effect yet" ;;
    *) echo "FAIL directive $d: unknown status '$st'" ;;
    esac
done
echo "# $(grep -v '^#' "$table" | cut -f2 | grep -c '^ignored$') directives accepted without an effect," \
    "$(grep -v '^#' "$table" | cut -f2 | grep -c '^untested$') without a test observing it"
exit $status
