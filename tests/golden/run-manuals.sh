#!/bin/sh
# The manual pages against the sources: every directive of the configuration table
# (src/daemon/config.c), every chronyc command (the command tables of src/chronyc) and
# every option of chronyd and chronyc (their getopt strings and long options) has an
# entry in its page, and every page renders without a warning from groff or man.
#
# An entry is the tag of a .TP/.TQ paragraph outside any .RS block: for a directive or
# a command the first word of the tag, for an option every word of the tag that starts
# with "-". A directive's entry has an example line ("Example"); the directives marked
# `ignored` in tests/directives/directives.tsv must say "no effect yet" in their entry,
# and only they may. Prints PASS/FAIL per item.
cd "$(dirname "$0")/../.." || exit 1
tmp=${TMPDIR:-/tmp}/golden-manuals.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
status=0

# entries PAGE: one line per top-level entry, "TAG<TAB>TEXT OF ITS PARAGRAPH", the tag
# and text without font changes and with \- as -. Tags joined by .TQ share the text.
entries() {
    awk '
    function clean(s) {
        gsub(/\\f[BIRP]/, "", s); gsub(/\\-/, "-", s); gsub(/\\&/, "", s)
        gsub(/\\\(em/, "-", s); gsub(/"/, "", s)
        sub(/^\.[A-Z]+[ \t]*/, "", s)
        return s
    }
    function flush(  i) {
        for (i = 0; i < ntags; i++) print tags[i] "\t" body
        ntags = 0; body = ""
    }
    /^\.\\"/ { next }
    /^\.RS/ { depth++; next }
    /^\.RE/ { if (depth > 0) depth--; next }
    depth == 0 && /^\.(TP|SH|SS)/ { flush() }
    depth == 0 && /^\.(TP|TQ)/ { want = 1; next }
    want { tags[ntags++] = clean($0); want = 0; next }
    ntags > 0 { body = body " " clean($0) }
    END { flush() }' "$1"
}

# check KIND PAGE NAMES...: each name needs an entry in PAGE.
check_names() {
    kind=$1
    page=$2
    shift 2
    for n in "$@"; do
        if [ "$kind" = option ]; then
            found=$(cut -f1 "$tmp/entries" | tr -s ' ,' '\n' | sed 's/\[.*//; s/=.*//' |
                grep -cxF -- "$n")
        else
            found=$(cut -f1 "$tmp/entries" | awk '{print $1}' | grep -cxF -- "$n")
        fi
        if [ "$found" -gt 0 ]; then
            echo "PASS $page $kind $n"
        else
            echo "FAIL $page $kind $n: no entry (a .TP tag) in $page"
            status=1
        fi
    done
}

# Warnings of groff and man for one page.
check_render() {
    page=$1
    groff -man -ww -z "$page" >"$tmp/warn" 2>&1
    if command -v man >/dev/null 2>&1; then
        LC_ALL=C MANWIDTH=80 man --warnings -l "$page" 2>>"$tmp/warn" >/dev/null
    fi
    if [ -s "$tmp/warn" ]; then
        echo "FAIL $page renders with warnings:"
        head -n 10 "$tmp/warn" | sed 's/^/    /'
        status=1
    else
        echo "PASS $page renders without warnings"
    fi
}

# getopt letters (a string such as "+46f:h") and long option names of a source file.
getopt_options() {
    grep -oE 'getopt(_long)?\(argc, argv, "[^"]*"' "$1" | sed -E 's/.*"(.*)"/\1/' |
        tr -d '+:' | fold -w1 | sed 's/^/-/'
    grep -oE '\{"[a-z-]+", (no|optional|required)_argument' "$1" | sed -E 's/\{"([^"]*)".*/--\1/'
    grep -oE 'strcmp\(argv\[i\], "--[a-z-]+"\)' "$1" | sed -E 's/.*"(--[a-z-]+)".*/\1/'
}

if ! command -v groff >/dev/null 2>&1; then
    echo "FAIL groff is not installed"
    exit 1
fi

# chrony.conf(5): the directive table.
page=doc/chrony.conf.5
entries "$page" >"$tmp/entries"
directives=$(grep -oE '^\s+[A-Z_]+DIR\("[a-z_0-9]+"' src/daemon/config.c | sed -E 's/.*\("//; s/"//')
[ -n "$directives" ] || { echo "FAIL no directives found in src/daemon/config.c"; exit 1; }
# shellcheck disable=SC2086
check_names directive "$page" $directives
ignored=$(grep -v '^#' tests/directives/directives.tsv | awk -F '\t' '$2 == "ignored" {print $1}')
for d in $directives; do
    note=$(awk -F '\t' -v d="$d" '{split($1, w, " ")} w[1] == d' "$tmp/entries" |
        grep -ci 'no effect yet')
    if echo "$ignored" | grep -qxF "$d"; then
        if [ "$note" -gt 0 ]; then
            echo "PASS $page $d notes no effect yet"
        else
            echo "FAIL $page $d: ignored in directives.tsv, its entry must say 'no effect yet'"
            status=1
        fi
    elif [ "$note" -gt 0 ]; then
        echo "FAIL $page $d: says 'no effect yet' but directives.tsv does not mark it ignored"
        status=1
    fi
done
for d in $directives; do
    awk -F '\t' -v d="$d" '{split($1, w, " ")} w[1] == d' "$tmp/entries" | grep -q 'Example' ||
        { echo "FAIL $page $d: its entry has no example line"; status=1; }
done
check_render "$page"

# chronyc(1): the command tables and the options.
page=doc/chronyc.1
entries "$page" >"$tmp/entries"
commands=$(cat src/chronyc/*.c |
    grep -oE '\{"[a-z]+", (cmd_[a-z_]+|NULL), (NULL|build_[a-z_]+|chronyc_build_[a-z_]+)\}' |
    sed -E 's/\{"([a-z]+)".*/\1/' | sort -u)
[ -n "$commands" ] || { echo "FAIL no chronyc commands found in src/chronyc"; exit 1; }
# shellcheck disable=SC2086
check_names command "$page" $commands
# shellcheck disable=SC2046
check_names option "$page" $(getopt_options src/chronyc/main.c | sort -u)
check_render "$page"

# chronyd(8): the options.
page=doc/chronyd.8
entries "$page" >"$tmp/entries"
# shellcheck disable=SC2046
check_names option "$page" $(getopt_options src/chronyd/main.c | sort -u)
check_render "$page"

exit $status
