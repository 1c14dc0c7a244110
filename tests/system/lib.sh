# Shared helpers for system tests (sourced). Real binaries, loopback or a private
# network namespace, never touching the system clock: every daemon runs with -x
# (or -Q) and without CAP_SYS_TIME in its bounding set.
B=${B:-build/san}
SAFE="setpriv --bounding-set=-sys_time"
TMPD=$(mktemp -d /tmp/chronytest.XXXXXX)
NS=""
PIDS=""

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    sleep 0.2
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT INT TERM

# Stop the daemons started so far (their pids in $PIDS).
stop_all() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    PIDS=""
}

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
check() { # check NAME COMMAND...
    name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# Create a network namespace with loopback up; sets $NS and $IN (command prefix).
make_netns() {
    NS=chrt$$
    if ip netns add "$NS" 2>/dev/null && ip netns exec "$NS" ip link set lo up 2>/dev/null; then
        IN="ip netns exec $NS"
        return 0
    fi
    NS=""
    IN=""
    return 1
}

# retry TRIES DELAY COMMAND...: run COMMAND until it succeeds, at most TRIES times
retry() {
    tries=$1
    delay=$2
    shift 2
    i=0
    while [ $i -lt "$tries" ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep "$delay"
        i=$((i + 1))
    done
    return 1
}

# wait_for COMMAND...: retry for up to 10 s
wait_for() { retry 50 0.2 "$@"; }

# wait_long COMMAND...: retry for up to 30 s (a first synchronisation on a busy machine
# can take longer than wait_for's 10 s)
wait_long() { retry 60 0.5 "$@"; }

# synced_to PORT: the daemon on PORT serves stratum 2 with refid 127.0.0.1.
synced_to() {
    $IN python3 tests/system/ntpreq.py 127.0.0.1 "$1" 4 3 |
        grep -q 'leap=0 version=4 mode=4 stratum=2 .*refid=7F000001'
}

# selected NAME: the daemon whose command socket is $TMPD/NAME.sock has selected 127.0.0.1.
selected() {
    $IN "$B/chronyc" -h "$TMPD/$1.sock" -n sources 2>/dev/null | grep -q '^\^\* 127.0.0.1 '
}

# pick_ports BASE: P1, P2, P3 = 123, 124, 125 in a private network namespace
# (sets $IN), or BASE, BASE+1, BASE+2 on the host's loopback without one.
pick_ports() {
    if make_netns; then
        P1=123
        P2=124
        P3=125
    else
        IN=""
        P1=$1
        P2=$(($1 + 1))
        P3=$(($1 + 2))
    fi
}

# server_conf FILE PORT: a `local stratum 1` server for loopback clients,
# without a command socket, its pidfile next to FILE.
server_conf() {
    cat >"$1" <<CONF
local stratum 1
allow 127.0.0.1
port $2
cmdport 0
bindcmdaddress /
pidfile $1.pid
CONF
}

# self_signed_cert KEY CERT CN [SAN]: an EC P-256 self-signed certificate for NTS
# tests (SAN as openssl's subjectAltName value, e.g. DNS:localhost,IP:127.0.0.1).
self_signed_cert() {
    if [ -n "${4:-}" ]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 30 -nodes \
            -subj "/CN=$3" -addext "subjectAltName=$4" -keyout "$1" -out "$2" >/dev/null 2>&1
    else
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 30 -nodes \
            -subj "/CN=$3" -keyout "$1" -out "$2" >/dev/null 2>&1
    fi
}

# ntpsec_tools: NTPsec's ntpd and ntpq as unpacked by scripts/install-deps.sh (the package
# conflicts with chrony's); sets NTPD and NTPQ (a command prefix), fails if ntpd is missing.
ntpsec_tools() {
    NTPSEC_ROOT=${NTPSEC_ROOT:-/var/cache/chrony-interop/ntpsec}
    NTPD=$NTPSEC_ROOT/usr/sbin/ntpd
    NTPQ="env PYTHONPATH=$NTPSEC_ROOT/usr/lib/python3/dist-packages python3 $NTPSEC_ROOT/usr/bin/ntpq"
    [ -x "$NTPD" ]
}
