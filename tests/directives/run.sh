#!/bin/sh
# Accept nothing we ignore: every directive our configuration accepts (the directive table
# of src/daemon/config.c) and every command the daemon answers (the command table of
# src/daemon/node_commands.c) has a row in tests/directives/directives.tsv or
# commands.tsv saying which test shows it works, and that test names it; the rows marked
# `ignored` (no effect yet) and `untested` (no test yet) are the gaps still open, listed,
# never added to. Prints PASS/FAIL per row.
cd "$(dirname "$0")/../.." || exit 1
tab=$(printf '\t')

# check KIND TABLE ACCEPTED...: the table against the accepted names.
check_table() {
    kind=$1
    table=$2
    shift 2
    accepted=$(printf '%s\n' "$@" | sort -u)
    listed=$(grep -v '^#' "$table" | cut -f1 | sort)
    for d in $accepted; do
        echo "$listed" | grep -qx "$d" || echo "FAIL $kind $d: accepted but not in $table"
    done
    for d in $listed; do
        echo "$accepted" | grep -qx "$d" || echo "FAIL $kind $d: in $table but not accepted"
    done
    grep -v '^#' "$table" | while IFS="$tab" read -r d st file pattern; do
        case $st in
        works)
            if [ ! -f "$file" ]; then
                echo "FAIL $kind $d: $file does not exist"
            elif ! grep -qF -- "$pattern" "$file"; then
                echo "FAIL $kind $d: $file does not contain '$pattern'"
            else
                echo "PASS $kind $d ($file)"
            fi
            ;;
        ignored) echo "KNOWN $kind $d is accepted without an effect yet" ;;
        untested) echo "KNOWN $kind $d has no test observing its effect yet" ;;
        *) echo "FAIL $kind $d: unknown status '$st'" ;;
        esac
    done
    echo "# $kind: $(grep -v '^#' "$table" | cut -f2 | grep -c '^ignored$') accepted without an" \
        "effect, $(grep -v '^#' "$table" | cut -f2 | grep -c '^untested$') without a test observing it"
}

check_table directive tests/directives/directives.tsv \
    $(grep -oE '^\s+[A-Z_]+DIR\("[a-z_0-9]+"' src/daemon/config.c | sed -E 's/.*\("//; s/"//')
check_table command tests/directives/commands.tsv \
    $(grep -oE '\{CMDMON_REQ_[A-Z0-9_]+' src/daemon/node_commands.c | sed 's/{CMDMON_REQ_//')
