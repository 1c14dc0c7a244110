#!/bin/sh
# Installs the Debian 12 packages needed to build and test (only what is missing).
set -e
PKGS="build-essential clang nettle-dev libgnutls28-dev libedit-dev libseccomp-dev libcap-dev \
pkg-config python3 iproute2 util-linux procps chrony ntpsec-ntpdig clang-format systemd \
dpkg-dev debhelper lintian prometheus gpsd valgrind libssl3 libcap2 libbsd0"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    # Keep package installs from starting services (chrony's would control the clock).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        POLICY_ADDED=1
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    [ -n "${POLICY_ADDED:-}" ] && $SUDO rm -f /usr/sbin/policy-rc.d
fi
# NTPsec's ntpd and ntpq as interop peers (tests/system/test-ntpsec*.sh). The ntpsec
# package conflicts with chrony's, so it is unpacked, never installed: nothing starts it and
# Debian's chronyd stays. NTPSEC_ROOT is where the tests look.
NTPSEC_ROOT=${NTPSEC_ROOT:-/var/cache/chrony-interop/ntpsec}
if [ ! -x "$NTPSEC_ROOT/usr/sbin/ntpd" ] || [ ! -d "$NTPSEC_ROOT/usr/lib/python3/dist-packages/ntp" ]; then
    echo "unpacking ntpsec and python3-ntp into $NTPSEC_ROOT"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    dl=$(mktemp -d)
    (cd "$dl" && apt-get download -qq ntpsec python3-ntp >/dev/null 2>&1) ||
        { $SUDO apt-get update -qq && (cd "$dl" && apt-get download -qq ntpsec python3-ntp >/dev/null); }
    $SUDO mkdir -p "$NTPSEC_ROOT"
    for d in "$dl"/*.deb; do $SUDO dpkg-deb -x "$d" "$NTPSEC_ROOT"; done
    rm -rf "$dl"
fi
# Debian's chrony package must not run its own daemon on this machine, nor gpsd (the
# refclock test runs its own gpsd while it runs).
if command -v systemctl >/dev/null 2>&1; then
    for u in chrony gpsd.socket gpsd; do
        systemctl stop $u 2>/dev/null || true
        systemctl disable $u 2>/dev/null || true
    done
fi
