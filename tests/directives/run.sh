#!/bin/sh
# Accept nothing we ignore: every directive our configuration accepts (the directive table
# of src/daemon/config.c) and every command the daemon answers (the command table of
# src/daemon/node_commands.c) has a row in tests/directives/directives.tsv or
# commands.tsv saying which test shows it works, and that test names it; the rows marked
# `ignored` (no effect yet) and `untested` (no test yet) are the gaps still open, listed,
# never added to. The same for every option and keyword argument of a directive
# (options.tsv) against the option tables marked "/* options of DIRECTIVE... */" in the
# parsers (proto/source_opts.c, daemon/config_sources.c, daemon/config_directives.c).
# Prints PASS/FAIL per row.
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

# DIRECTIVE:OPTION for every string of a table after a "/* options of D... */" line.
option_names() {
    awk '
    /^[ \t]*\/\* options of [A-Za-z:_ ]+ \*\/[ \t]*$/ {
        sub(/^[ \t]*\/\* options of /, ""); sub(/ \*\/[ \t]*$/, "")
        ndirs = split($0, dirs, " "); armed = 1; next
    }
    armed && /\[\] = \{/ { inblock = 1 }
    inblock {
        line = $0
        while (match(line, /"[^"]*"/)) {
            for (i = 1; i <= ndirs; i++)
                print dirs[i] ":" substr(line, RSTART + 1, RLENGTH - 2)
            line = substr(line, RSTART + RLENGTH)
        }
        if ($0 ~ /\};/) { inblock = 0; armed = 0 }
    }' src/proto/source_opts.c src/daemon/config_sources.c src/daemon/config_directives.c
}
check_table option tests/directives/options.tsv $(option_names)
# A keyword matched outside a marked table would escape the check: in the option parsers
# a string literal may be compared only with the directive's name (d->name, c->cmd) or be
# the "/" of bindcmdaddress and pidfile.
grep -nE '(strn?casecmp|strn?cmp|scan_eq_nocase)\(' src/proto/source_opts.c \
    src/daemon/config_sources.c src/daemon/config_directives.c |
    grep -E ', "' | grep -vE '\((d->name|c->cmd)[^,]*, "|, "/"\)' |
    sed 's/^/FAIL option keyword matched outside an "options of" table: /'
