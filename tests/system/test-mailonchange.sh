#!/bin/sh
# mailonchange ADDRESS THRESHOLD: a clock correction above the threshold sends chrony's mail
# to ADDRESS through `/usr/lib/sendmail -t`. The daemon runs in a private mount namespace
# where an overlay puts a fake sendmail at that path (it keeps its arguments and the mail);
# chronyc settime 5 s ahead in manual mode makes the correction (the daemon's own code path,
# as chrony's REF_SetReference). A daemon with a threshold of 100 s sends nothing for the
# same correction. Debian's chronyd -x, when installed, sends the same mail.
. tests/system/lib.sh

chmod 700 "$TMPD"
CHRONYC=$B/chronyc
mkdir -p "$TMPD/upper" "$TMPD/work" "$TMPD/mail"
cat >"$TMPD/upper/sendmail" <<EOF2
#!/bin/sh
{ echo "ARGS: \$*"; cat; } >"$TMPD/mail/.m.\$\$" && mv "$TMPD/mail/.m.\$\$" "$TMPD/mail/m.\$\$"
EOF2
chmod 755 "$TMPD/upper/sendmail"

# in_mountns COMMAND...: COMMAND with /usr/lib/sendmail = the fake, in a private mount
# namespace (the host's /usr/lib is not touched).
in_mountns() {
    unshare -m sh -c 'mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$1,workdir=$2" /usr/lib &&
        shift 2 && exec "$@"' sh "$TMPD/upper" "$TMPD/work" "$@"
}
if ! in_mountns test -x /usr/lib/sendmail; then
    echo "SKIP no private mount namespace with an overlay"
    exit 0
fi

# start NAME THRESHOLD DAEMON...: a manual-mode daemon mailing NAME@example.com.
start() {
    who=$1
    thr=$2
    shift 2
    cat >"$TMPD/$who.conf" <<EOF2
manual
mailonchange $who@example.com $thr
cmdport 0
bindcmdaddress $TMPD/$who.sock
pidfile $TMPD/$who.pid
EOF2
    TZ=UTC in_mountns $SAFE "$@" -x -d -f "$TMPD/$who.conf" >"$TMPD/$who.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for "$CHRONYC" -h "$TMPD/$who.sock" tracking
    # $! is the subshell that runs unshare, not the daemon (its grandchild): stop_all
    # also needs the daemon's own pid, or the daemon outlives the test.
    [ -s "$TMPD/$who.pid" ] && PIDS="$PIDS $(cat "$TMPD/$who.pid")"
}

# settime NAME: type a time 5 s ahead of the clock.
settime() {
    t=$(date -u -d "@$(($(date +%s) + 5))" "+%Y-%m-%d %H:%M:%S")
    TZ=UTC "$CHRONYC" -h "$TMPD/$1.sock" settime "$t" >"$TMPD/$1.settime" 2>&1
}

mail_to() { # mail_to NAME: the file of the mail to NAME@example.com
    grep -l "^To: $1@example.com\$" "$TMPD"/mail/m.* 2>/dev/null | head -n 1
}
have_mail() { [ -n "$(mail_to "$1")" ]; }

host=$(hostname)
# mail_ok NAME THRESHOLD: chrony's text, the adjustment 3-6 s forward.
mail_ok() {
    f=$(mail_to "$1")
    sed 's/^/  mail: /' "$f"
    [ "$(sed -n 1p "$f")" = "ARGS: -t" ] &&
        [ "$(sed -n 3p "$f")" = "Subject: chronyd reports change to system clock on node [$host]" ] &&
        [ -z "$(sed -n 4p "$f")" ] &&
        sed -n 5p "$f" | grep -Eq '^On [A-Z][a-z]+day, [0-3][0-9] [A-Z][a-z]+ [0-9]{4}$' &&
        sed -n 6p "$f" | grep -Eq '^  with the system clock reading [0-2][0-9]:[0-5][0-9]:[0-6][0-9] \(UTC\)$' &&
        [ -z "$(sed -n 7p "$f")" ] &&
        sed -n 8p "$f" | grep -Eq '^chronyd started to apply an adjustment of [3-6]\.[0-9]{3} seconds to it,$' &&
        [ "$(sed -n 9p "$f")" = "  which exceeded the reporting threshold of $2 seconds" ] &&
        [ -z "$(sed -n 10p "$f")" ] && [ "$(wc -l <"$f")" -eq 10 ]
}

# same_mail NAME1 NAME2: the same text but for the address, date, time and adjustment.
mask() { sed 's/^To: [a-z]*@/To: NAME@/; s/[0-9]/N/g' "$1"; }
same_mail() { [ -n "$(mail_to "$1")" ] && [ -n "$(mail_to "$2")" ] && [ "$(mask "$(mail_to "$1")")" = "$(mask "$(mail_to "$2")")" ]; }

# The daemon below the threshold is set first: a mail from it would be on its way before
# the one from the daemon above it.
start below 100 "$B/chronyd"
start above 1.5 "$B/chronyd"
settime below
settime above
check "settime-accepted" grep -q '^200 OK' "$TMPD/above.settime"
check "mail-above-threshold-sent" wait_for have_mail above
check "mail-text" mail_ok above 1.500
check "no-mail-below-threshold" [ -z "$(mail_to below)" ]
check "no-send-error-logged" sh -c "! grep -q 'Could not send mail' '$TMPD/above.log' '$TMPD/below.log'"
stop_all

if [ -x /usr/sbin/chronyd ]; then
    start debian 1.5 /usr/sbin/chronyd -u root
    settime debian
    check "debian-mail-sent" wait_for have_mail debian
    check "same-mail-as-debian" same_mail above debian
    stop_all
else
    echo "SKIP /usr/sbin/chronyd not installed"
fi
