#!/bin/sh
# The Debian package built from the tree (debian/, dpkg-buildpackage -b -us -uc):
# lintian finds no error or warning; it provides time-daemon and replaces
# Debian's chrony; chrony.conf is a conffile kept when modified; the postinst
# creates _chrony and enables chronyd.service; its files (dpkg -x) are exactly
# the list below; dpkg --root installs, reinstalls and purges it in a throw-away
# root whose maintainer scripts never reach this machine (see below).
. tests/system/lib.sh

missing=""
for t in dpkg-buildpackage dpkg-deb dh lintian; do
    command -v $t >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
    echo "SKIP deb: missing$missing (packages dpkg-dev, debhelper, lintian: scripts/install-deps.sh installs them)"
    exit 0
fi

expected="etc
etc/chrony
etc/chrony/chrony.conf
etc/chrony/conf.d
etc/chrony/conf.d/README
etc/chrony/sources.d
etc/chrony/sources.d/README
lib
lib/systemd
lib/systemd/system
lib/systemd/system/chrony-wait.service
lib/systemd/system/chronyd-restricted.service
lib/systemd/system/chronyd.service
usr
usr/bin
usr/bin/chronyc
usr/lib
usr/lib/systemd
usr/lib/systemd/ntp-units.d
usr/lib/systemd/ntp-units.d/50-chronyd.list
usr/sbin
usr/sbin/chronyd
usr/share
usr/share/doc
usr/share/doc/chrony-c
usr/share/doc/chrony-c/changelog.gz
usr/share/doc/chrony-c/copyright
usr/share/lintian
usr/share/lintian/overrides
usr/share/lintian/overrides/chrony-c
usr/share/man
usr/share/man/man1
usr/share/man/man1/chronyc.1.gz
usr/share/man/man5
usr/share/man/man5/chrony.conf.5.gz
usr/share/man/man8
usr/share/man/man8/chronyd.8.gz
var
var/lib
var/lib/chrony
var/log
var/log/chrony"

# A copy of the tree (the files git knows, or all but build/), built there.
src="$TMPD/src/chrony-c"
mkdir -p "$src"
if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T - | tar -xf - -C "$src"
else
    tar -cf - --exclude=./build . | tar -xf - -C "$src"
fi
(cd "$src" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc) >"$TMPD/build.log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -n 30 "$TMPD/build.log" | sed 's/^/    /'
check "deb-build" [ $rc -eq 0 ]
deb=$(ls "$TMPD"/src/chrony-c_*_*.deb 2>/dev/null | head -n 1)
check "deb-exists" test -f "$deb"
[ -f "$deb" ] || exit 1

lintian --fail-on error,warning "$deb" >"$TMPD/lintian.log" 2>&1
rc=$?
grep -v 'running with root privileges' "$TMPD/lintian.log" | sed 's/^/    /'
check "lintian-clean" [ $rc -eq 0 ]

check "provides-time-daemon" sh -c "dpkg-deb -f '$deb' Provides | grep -qw time-daemon"
check "conflicts-chrony" sh -c "dpkg-deb -f '$deb' Conflicts | grep -qw chrony"
check "replaces-chrony" sh -c "dpkg-deb -f '$deb' Replaces | grep -qw chrony"
dpkg-deb -e "$deb" "$TMPD/ctl"
check "conffile-chrony-conf" grep -qx /etc/chrony/chrony.conf "$TMPD/ctl/conffiles"
check "postinst-creates-user" sh -c "grep -A1 'adduser --system' '$TMPD/ctl/postinst' | grep -q ' _chrony$'"
check "postinst-enables-unit" grep -q "deb-systemd-helper enable 'chronyd.service'" "$TMPD/ctl/postinst"
check "scripts-parse" sh -c "sh -n '$TMPD/ctl/postinst' && sh -n '$TMPD/ctl/postrm' && sh -n '$TMPD/ctl/prerm'"

# dpkg -x: the files, and that they work.
x="$TMPD/x"
dpkg -x "$deb" "$x"
(cd "$x" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) >"$TMPD/got"
echo "$expected" >"$TMPD/want"
diff "$TMPD/want" "$TMPD/got" | sed 's/^/    /'
check "deb-file-list" cmp -s "$TMPD/want" "$TMPD/got"
check "deb-chronyd-runs" sh -c "'$x/usr/sbin/chronyd' -v | grep -q '^chronyd (chrony) version'"
check "deb-chronyc-runs" sh -c "'$x/usr/bin/chronyc' -v | grep -q version"
check "deb-config-user" grep -qx 'user _chrony' "$x/etc/chrony/chrony.conf"
check "deb-config-accepted" sh -c "'$x/usr/sbin/chronyd' -p -f '$x/etc/chrony/chrony.conf' | grep -qx 'user _chrony'"
check "deb-unit-notify" grep -qx 'ExecStart=/usr/sbin/chronyd -n $DAEMON_OPTS' \
    "$x/lib/systemd/system/chronyd.service"

# dpkg --root: installed, reinstalled and purged in a throw-away root with its own
# dpkg database. Its maintainer scripts run chrooted there, in a private mount
# namespace where the root's /usr is an overlay on this machine's /usr (read as the
# lower layer, never written) and its /etc holds copies of the account files; the
# unit is only enabled (no systemd runs in that root, so nothing is started).
r="$TMPD/root"
mkdir -p "$r/usr" "$r/etc/default" "$r/dev" "$r/proc" "$r/tmp" "$r/run" "$TMPD/upper" \
    "$TMPD/work" "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/var/lib/dpkg/triggers"
for l in bin sbin lib lib64; do ln -s "usr/$l" "$r/$l"; done
for f in passwd group shadow gshadow nsswitch.conf adduser.conf login.defs default/useradd; do
    [ -e "/etc/$f" ] && cp -p "/etc/$f" "$r/etc/$f"
done
: >"$r/var/lib/dpkg/status"
: >"$r/var/lib/dpkg/available"
# in_root ARGS...: dpkg --root=$r ARGS in the namespace described above
in_root() {
    unshare -m sh -c 'mount -t overlay overlay -o "lowerdir=/usr,upperdir=$1/upper,workdir=$1/work" "$2/usr" &&
        mount --bind /dev "$2/dev" && mount -t proc proc "$2/proc" && shift 2 &&
        dpkg --root="$0" --force-depends "$@"' "$r" "$TMPD" "$r" "$@"
}
if ! unshare -m sh -c "mount -t overlay overlay -o lowerdir=/usr,upperdir=$TMPD/upper,workdir=$TMPD/work $r/usr" 2>"$TMPD/ovl.err"; then
    echo "SKIP dpkg-root: no overlay mount in a private namespace here ($(cat "$TMPD/ovl.err"))"
    exit 0
fi
in_root -i "$deb" >"$TMPD/install1.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/    /' "$TMPD/install1.log"
check "root-install" sh -c "[ $rc -eq 0 ] && dpkg --root='$r' -s chrony-c | grep -qx 'Status: install ok installed'"
# (the root's /usr files are in the overlay's upper layer once it is unmounted)
check "root-files" test -x "$TMPD/upper/sbin/chronyd" -a -f "$r/etc/chrony/chrony.conf" \
    -a -f "$TMPD/upper/lib/systemd/system/chronyd.service"
uid=$(grep '^_chrony:' "$r/etc/passwd" | cut -d: -f3)
check "root-user-created" test -n "$uid"
check "root-dirs-owned" sh -c "[ \"\$(stat -c '%u %a' '$r/var/lib/chrony' '$r/var/log/chrony' | tr '\n' ' ')\" = '$uid 750 $uid 750 ' ]"
check "root-unit-enabled" sh -c "[ \"\$(readlink '$r/etc/systemd/system/multi-user.target.wants/chronyd.service')\" = /lib/systemd/system/chronyd.service ]"
echo "server ntp.example.net iburst" >>"$r/etc/chrony/chrony.conf"
cp "$r/etc/chrony/chrony.conf" "$TMPD/modified.conf"
in_root -i "$deb" >"$TMPD/install2.log" 2>&1
check "root-reinstall" sh -c "dpkg --root='$r' -s chrony-c | grep -qx 'Status: install ok installed'"
check "root-keeps-config" cmp -s "$TMPD/modified.conf" "$r/etc/chrony/chrony.conf"
echo "1.0 0.1" >"$r/var/lib/chrony/chrony.drift"
in_root --purge chrony-c >"$TMPD/purge.log" 2>&1
check "root-purge" sh -c "! dpkg --root='$r' -s chrony-c 2>/dev/null | grep -q '^Status: install'"
check "root-purge-removes" sh -c "! test -e '$r/etc/chrony' && ! test -e '$r/var/lib/chrony' && ! test -e '$r/etc/systemd/system/multi-user.target.wants/chronyd.service'"
