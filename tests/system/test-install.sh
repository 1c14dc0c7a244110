#!/bin/sh
# make install / make uninstall: the Debian layout under DESTDIR and PREFIX, exactly
# the files listed below; a second install keeps a modified chrony.conf; uninstall
# removes what install put and keeps the administrator's files.
. tests/system/lib.sh

MK="make -s --no-print-directory B=$B SAN=1 OPT=-O1"
expected="etc
etc/chrony
etc/chrony/chrony.conf
etc/chrony/conf.d
etc/chrony/conf.d/README
etc/chrony/sources.d
etc/chrony/sources.d/README
usr
usr/bin
usr/bin/chronyc
usr/lib
usr/lib/systemd
usr/lib/systemd/ntp-units.d
usr/lib/systemd/ntp-units.d/50-chronyd.list
usr/lib/systemd/system
usr/lib/systemd/system/chrony-wait.service
usr/lib/systemd/system/chronyd-restricted.service
usr/lib/systemd/system/chronyd.service
usr/sbin
usr/sbin/chronyd
usr/share
usr/share/man
usr/share/man/man1
usr/share/man/man1/chronyc.1
usr/share/man/man5
usr/share/man/man5/chrony.conf.5
usr/share/man/man8
usr/share/man/man8/chronyd.8
var
var/lib
var/lib/chrony
var/log
var/log/chrony"

# listing DIR: every path under DIR, relative, sorted
listing() { (cd "$1" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort); }

d="$TMPD/root"
$MK install DESTDIR="$d" PREFIX=/usr >"$TMPD/i1.log" 2>&1
check "install-exit-0" [ $? -eq 0 ]
listing "$d" >"$TMPD/got"
echo "$expected" >"$TMPD/want"
diff "$TMPD/want" "$TMPD/got" | sed 's/^/    /'
check "install-file-list" cmp -s "$TMPD/want" "$TMPD/got"
check "install-modes" sh -c "[ \"\$(stat -c %a '$d/usr/sbin/chronyd' '$d/usr/bin/chronyc' '$d/etc/chrony/chrony.conf' '$d/usr/lib/systemd/system/chronyd.service' '$d/var/lib/chrony' '$d/var/log/chrony' | tr '\n' ' ')\" = '755 755 644 644 750 750 ' ]"
check "installed-binaries-run" sh -c "'$d/usr/sbin/chronyd' -v | grep -q '^chronyd (chrony) version' && '$d/usr/bin/chronyc' -v | grep -q 'version'"
check "config-debian-layout" sh -c "grep -qx 'confdir /etc/chrony/conf.d' '$d/etc/chrony/chrony.conf' &&
    grep -qx 'sourcedir /etc/chrony/sources.d' '$d/etc/chrony/chrony.conf' &&
    grep -qx 'driftfile /var/lib/chrony/chrony.drift' '$d/etc/chrony/chrony.conf' &&
    grep -qx 'logdir /var/log/chrony' '$d/etc/chrony/chrony.conf'"
check "unit-paths" grep -qx 'ExecStart=/usr/sbin/chronyd -n $DAEMON_OPTS' \
    "$d/usr/lib/systemd/system/chronyd.service"
check "manpage-installed" cmp -s doc/chronyd.8 "$d/usr/share/man/man8/chronyd.8"

# A second install keeps the administrator's chrony.conf (and says so).
echo "server ntp.example.net iburst" >>"$d/etc/chrony/chrony.conf"
cp "$d/etc/chrony/chrony.conf" "$TMPD/modified.conf"
$MK install DESTDIR="$d" PREFIX=/usr >"$TMPD/i2.log" 2>&1
check "reinstall-exit-0" [ $? -eq 0 ]
check "reinstall-keeps-config" cmp -s "$TMPD/modified.conf" "$d/etc/chrony/chrony.conf"
check "reinstall-says-kept" grep -q "keeping the existing $d/etc/chrony/chrony.conf" "$TMPD/i2.log"
listing "$d" >"$TMPD/got2"
check "reinstall-same-list" cmp -s "$TMPD/want" "$TMPD/got2"

# Uninstall: everything install put goes, except the modified configuration and
# what the daemon wrote (the drift file).
echo "1.0 0.1" >"$d/var/lib/chrony/chrony.drift"
$MK uninstall DESTDIR="$d" PREFIX=/usr >"$TMPD/u1.log" 2>&1
check "uninstall-exit-0" [ $? -eq 0 ]
check "uninstall-left-admin-files" sh -c "[ \"\$(cd '$d' && find . -type f | LC_ALL=C sort | tr '\n' ' ')\" = './etc/chrony/chrony.conf ./var/lib/chrony/chrony.drift ' ]"
check "uninstall-says-kept" grep -q "keeping the modified $d/etc/chrony/chrony.conf" "$TMPD/u1.log"

# Install then uninstall in a fresh tree leaves no file and none of our directories.
d2="$TMPD/root2"
$MK install DESTDIR="$d2" PREFIX=/usr >"$TMPD/i3.log" 2>&1
$MK uninstall DESTDIR="$d2" PREFIX=/usr >"$TMPD/u2.log" 2>&1
check "uninstall-no-files" sh -c "[ -z \"\$(find '$d2' -type f)\" ]"
check "uninstall-no-dirs" sh -c "! test -e '$d2/etc/chrony' && ! test -e '$d2/var/lib/chrony' && ! test -e '$d2/var/log/chrony' && ! test -e '$d2/usr/lib/systemd/ntp-units.d'"

# PREFIX moves programs, pages and units; the configured paths follow SYSCONFDIR and
# LOCALSTATEDIR, and the daemon accepts the installed configuration.
p="$TMPD/prefix"
$MK install PREFIX="$p" SYSCONFDIR="$p/etc" LOCALSTATEDIR="$p/var" >"$TMPD/i4.log" 2>&1
check "prefix-layout" test -x "$p/sbin/chronyd" -a -x "$p/bin/chronyc" \
    -a -f "$p/share/man/man5/chrony.conf.5" -a -f "$p/lib/systemd/system/chronyd.service" \
    -a -f "$p/etc/chrony/chrony.conf" -a -d "$p/var/lib/chrony"
check "prefix-config-paths" grep -qx "driftfile $p/var/lib/chrony/chrony.drift" "$p/etc/chrony/chrony.conf"
echo "server ntp.example.net iburst" >"$p/etc/chrony/sources.d/extra.sources"
echo "maxdistance 2.0" >"$p/etc/chrony/conf.d/local.conf"
out=$("$p/sbin/chronyd" -p -f "$p/etc/chrony/chrony.conf" 2>&1)
check "installed-config-accepted" sh -c "echo '$out' | grep -q '^driftfile $p/var/lib/chrony/chrony.drift' && echo '$out' | grep -q '^maxdistance 2'"
