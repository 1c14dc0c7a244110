#!/bin/sh
# The `log measurements statistics tracking selection` files of our chronyd -x
# client (in `logdir`, with `logbanner`), checked against chrony's columns: the
# same patterns must match every line of Debian's chronyd writing the same files,
# and the banners must be identical to its banners. cyclelogs after a rotation
# starts a new file with a banner.
. tests/system/lib.sh

pick_ports 11143
chmod 700 "$TMPD"

server_conf "$TMPD/s.conf" $P1
client_conf() { # client_conf NAME PORT
    cat >"$TMPD/$1.conf" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 0 maxpoll 0
allow 127.0.0.1
port $2
cmdport 0
bindcmdaddress $TMPD/$1.sock
pidfile $TMPD/$1.pid
logdir $TMPD/$1
log measurements statistics tracking selection
logbanner 4
CONF
}

# Patterns of chrony's lines (printf widths), date and time first.
D='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'
IP='127\.0\.0\.1      '
E=' [ -][0-9]\.[0-9]{3}e[+-][0-9]{2}'
pattern() {
    case $1 in
    measurements) echo "^$D $IP [N+?-] [ 0-9][0-9] [01]{3} [01]{3} [01]{4} [ 0-9-]{3} [ 0-9-]{2} [0-9]\.[0-9]{2}($E){5} [0-9A-F]{8} [0-9][BI] [DKH] [DKH]\$" ;;
    statistics) echo "^$D $IP($E){5} [0-9]\.[0-9]e[+-][0-9]{2} [ 0-9]{3} [ 0-9]{3} [ 0-9]{3} [ -][0-9]\.[0-9]{2}\$" ;;
    tracking) echo "^$D [0-9.]+ +[ 0-9]?[0-9] +-?[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}$E [N+?-] [ 0-9][0-9]($E){5}\$" ;;
    selection) echo "^$D $IP [*+xN~dWPUDsMrwSOT-] -[N-][P-][T-][R-] [ 0-7]{3}[0-7] [ 0-9][0-9]\.[0-9]{2}($E){3}\$" ;;
    esac
}

# lines_ok DIR FILE: every line is a banner line or matches the pattern, and
# there is at least one data line.
lines_ok() {
    lf_path="$1/$2.log"
    [ -s "$lf_path" ] || return 1
    grep -v -E '^(=+|   Date \(UTC\) Time .*)$' "$lf_path" >"$TMPD/data" || return 1
    ! grep -v -E "$(pattern "$2")" "$TMPD/data" | sed 's/^/  unexpected: /' | grep .
}

# banner_every DIR FILE N: a banner before line 1 and after every N lines.
banner_every() {
    awk -v n="$3" '/^=+$/ { next } /^   Date/ { if (data % n) bad = 1; banners++; next }
        { data++ } END { exit !(banners >= 1 && !bad && data > n) }' "$1/$2.log"
}

client_conf ours $P2
mkdir -m 755 "$TMPD/ours"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.out" 2>&1 &
PIDS="$PIDS $!"
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/ours.conf" >"$TMPD/ours.out" 2>&1 &
PIDS="$PIDS $!"
check "ours-synchronised" wait_for synced_to $P2
# Wait for more than 4 data lines in every file (seconds; longer on a busy machine).
data_lines() { # data_lines DIR FILE: lines that are not banner lines
    grep -v -c -e '^=*$' -e '^   Date' "$1/$2.log" 2>/dev/null
}
enough_lines() {
    for k in measurements statistics tracking selection; do
        [ "$(data_lines "$TMPD/ours" $k)" -gt 4 ] || return 1
    done
}
wait_long enough_lines
for k in measurements statistics tracking selection; do
    check "ours-$k-lines" lines_ok "$TMPD/ours" $k
    check "ours-$k-banner-every-4" banner_every "$TMPD/ours" $k 4
done
# Log rotation: the file is moved away, cyclelogs, the next line opens a new
# file that starts with a banner.
mv "$TMPD/ours/tracking.log" "$TMPD/ours/tracking.log.1"
check "ours-cyclelogs" sh -c "$IN '$B/chronyc' -h '$TMPD/ours.sock' cyclelogs | grep -q '^200 OK'"
check "ours-rotated-file-recreated" wait_for test -s "$TMPD/ours/tracking.log"
check "ours-rotated-file-banner" sh -c "head -n 1 '$TMPD/ours/tracking.log' | grep -q '^=====*\$'"
sed 's/^/  tracking: /' "$TMPD/ours/tracking.log.1" | head -n 5

if [ ! -x /usr/sbin/chronyd ]; then
    echo "SKIP /usr/sbin/chronyd not installed: no comparison with chrony's files"
    exit 0
fi
client_conf deb $P3
mkdir -m 755 "$TMPD/deb"
$IN $SAFE /usr/sbin/chronyd -x -d -u root -f "$TMPD/deb.conf" >"$TMPD/deb.out" 2>&1 &
PIDS="$PIDS $!"
check "debian-synchronised" wait_for synced_to $P3
sleep 4
for k in measurements statistics tracking selection; do
    # The patterns describe chrony's own lines...
    check "debian-$k-lines-match-patterns" lines_ok "$TMPD/deb" $k
    # ...and the banners are chrony's, byte for byte.
    head -n 3 "$TMPD/deb/$k.log" >"$TMPD/banner-deb"
    ours_file="$TMPD/ours/$k.log"
    [ "$k" = tracking ] && ours_file="$TMPD/ours/$k.log.1"
    head -n 3 "$ours_file" >"$TMPD/banner-ours"
    check "banner-$k-same-as-chrony" sh -c "test -s '$TMPD/banner-deb' && cmp -s '$TMPD/banner-deb' '$TMPD/banner-ours'"
done
