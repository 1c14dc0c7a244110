#!/bin/sh
# Interoperability with NTPsec's ntpd (1.2.2, unpacked by scripts/install-deps.sh; fails,
# not skips, when it is missing). ntpd runs with `disable ntp` (no clock discipline),
# without CAP_SYS_TIME in its bounding set, in its own network namespace; our chronyd
# runs with -x in another one, the two joined by a veth pair (192.168.123.0/24 and, for
# one keyed association each way, fd12::/64).
#
#   A. ntpd as a client of our server, with no key and with MD5, SHA1, AES-128-CMAC and
#      SHA256 keys (`trustedkey`): ntpd reaches and selects us, its offset is within 1 ms
#      (one clock), the keyed associations show auth "ok", one with a key whose value
#      differs shows "bad" and is never reached; serverstats counts the authenticated
#      requests apart. The same run against Debian's chronyd gives the same ntpq columns
#      (if it is installed). Also over IPv6.
#   B. Our chronyd as a client of ntpd in orphan mode (`tos orphan 5`, ntpd's way to claim
#      synchronisation without a clock driver): selected with and without a key (SHA256
#      with `version 4` only, see below), authdata/ntpdata say authenticated, a key with
#      another value is refused; ntpd's sysstats account for every packet we sent.
#      Debian's chronyd goes through the same phase with the same verdicts and counts (no
#      difference found that would be our bug).
#   C. `peer` both ways: NTPsec 1.2.2 has no symmetric mode. Its `peer` is "deprecated,
#      treated as server" (it polls us in client mode, we answer it as a server, with the
#      key), and it discards symmetric active packets as "bad length or format" (its
#      receive() accepts only modes 3, 4 and 6), so our peer association is never answered.
#      That is NTPsec's choice; both sides of it are checked.
#
# Why two namespaces rather than two loopback addresses of one: ntpd refuses any server
# address in 127/8 but 127.0.0.1 ("attempt to configure invalid address"), when the
# kernel's source address is one it does not listen on it falls back to non-loopback
# addresses only, and its wildcard sockets drop SO_REUSEADDR, so another daemon cannot
# bind port 123 beside it.
# NTPsec notes: without a `restrict` line for an address, ntpd applies "noquery limited"
# (ntpq gets no answer, our 1 s polls are rate limited), hence the restrict lines.
. tests/system/lib.sh

if ! ntpsec_tools; then
    fail "ntpsec-ntpd-present ($NTPD missing: run scripts/install-deps.sh)"
    exit 1
fi
if ! make_netns; then
    fail "ntpsec-netns (cannot create a network namespace)"
    exit 1
fi
NS2=${NS}n
trap 'cleanup; ip netns del "$NS2" 2>/dev/null' EXIT INT TERM
IN2="ip netns exec $NS2"
# No link-local IPv6 address on the link (it would appear late and make ntpd rescan its
# interfaces); a ULA prefix without duplicate address detection instead.
if ! ip netns add "$NS2" || ! $IN2 ip link set lo up ||
    ! $IN sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 ||
    ! $IN2 sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 ||
    ! ip link add vc netns "$NS" type veth peer name vn netns "$NS2"; then
    fail "ntpsec-veth (cannot join two network namespaces)"
    exit 1
fi
# Ours: .2 (plain), .3-.7 (keyed servers of phase A), fd12::2. ntpd: .1, .11-.17 (phase B),
# fd12::1.
for a in 2 3 4 5 6 7; do $IN ip addr add 192.168.123.$a/24 dev vc; done
for a in 1 11 12 13 14 15 16 17; do $IN2 ip addr add 192.168.123.$a/24 dev vn; done
$IN ip addr add fd12::2/64 dev vc nodad
$IN2 ip addr add fd12::1/64 dev vn nodad
$IN ip link set vc up
$IN2 ip link set vn up
chmod 700 "$TMPD" # chrony refuses command sockets in a directory others can enter

# The same keys in both formats; key 4 has another value on each side.
cat >"$TMPD/chrony.keys" <<'EOF'
1 MD5 ASCII:tulip-crocus
2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
3 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1
4 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
5 SHA256 HEX:37DDCBC67BB902BCB8E995977FAB4D2B5642F5B32EBCEEE421921D97E5CBFE39
EOF
cat >"$TMPD/ntp.keys" <<'EOF'
1 md5 tulip-crocus
2 sha1 933F62BE1D604E68A81B557F18CFA200483F5B70
3 aes 7EA62AE64D190114D46D5A082F948EC1
4 sha1 933F62BE1D604E68A81B557F18CFA200483F5B71
5 sha256 37DDCBC67BB902BCB8E995977FAB4D2B5642F5B32EBCEEE421921D97E5CBFE39
EOF
chmod 600 "$TMPD/chrony.keys" "$TMPD/ntp.keys"

ntpd_conf() { # ntpd_conf FILE LINES...: common part plus the given lines
    f=$1
    shift
    {
        echo "restrict 127.0.0.1"
        echo "restrict 192.168.123.0 mask 255.255.255.0"
        echo "restrict fd12:: mask ffff:ffff:ffff:ffff::"
        echo "disable ntp"
        echo "driftfile $TMPD/ntp.drift"
        echo "keys $TMPD/ntp.keys"
        echo "trustedkey 1 2 3 4 5"
        for l in "$@"; do echo "$l"; done
    } >"$f"
}

ntpd_start() { # ntpd_start CONF
    rm -f "$TMPD/ntpd.log"
    $IN2 $SAFE "$NTPD" -n -c "$1" -p "$TMPD/ntpd.pid" -l "$TMPD/ntpd.log" \
        >"$TMPD/ntpd.out" 2>&1 &
    NTPD_PID=$!
    PIDS="$PIDS $NTPD_PID"
    wait_for $IN2 $NTPQ -n -c "rv 0 version" 127.0.0.1 &&
        # ntpd binds the link's addresses on its first interface rescan, seconds after
        # it answers ntpq; packets sent before are dropped unseen by its counters.
        wait_for grep -q 'Listen normally on [0-9]* vn 192.168.123.17:123' "$TMPD/ntpd.log" &&
        wait_for grep -q 'Listen normally on [0-9]* vn .fd12::1.:123' "$TMPD/ntpd.log"
}

ntpq() { $IN2 timeout 20 $NTPQ -n "$@" 127.0.0.1 2>/dev/null; }

# ntpsec_table: one line per ntpd association, "ADDR REACH OFFSET_MS CONF REACHED AUTH
# CONDITION", from one ntpq run (peers and associations list them in the same order).
ntpsec_table() {
    ntpq -c peers -c associations | awk '
        /^=+$/ { sec++; next }
        sec == 1 && NF >= 10 { n++; sub(/^[*+#ox.-]/, "", $1); a[n] = $1; r[n] = $7; o[n] = $9 }
        sec == 2 && NF >= 8 { m++; print a[m], r[m], o[m], $4, $5, $6, $7 }'
}

assoc() { ntpsec_table | grep "^$1 "; } # assoc ADDR

# reached_close ADDR AUTH: ntpd reached ADDR (reach register non-zero), offset within
# 1 ms, auth column AUTH.
reached_close() {
    assoc "$1" | awk -v auth="$2" '{ o = $3 < 0 ? -$3 : $3
        exit !($2 != "0" && o < 1 && $5 == "yes" && $6 == auth) }'
}

never_reached() { # never_reached ADDR AUTH
    assoc "$1" | awk -v auth="$2" '{ exit !($2 == "0" && $5 == "no" && $6 == auth) }'
}

stat_field() { # stat_field SOCK N: field N of serverstats -c
    $IN "$B/chronyc" -h "$1" -c serverstats 2>/dev/null | cut -d, -f"$2"
}

# --- A. ntpd as a client of our server (and of Debian's, for comparison) ---------------
ntpd_conf "$TMPD/na.conf" \
    "server 192.168.123.2 iburst minpoll 1 maxpoll 1" \
    "server 192.168.123.3 key 1 iburst minpoll 1 maxpoll 1" \
    "server 192.168.123.4 key 2 iburst minpoll 1 maxpoll 1" \
    "server 192.168.123.5 key 3 iburst minpoll 1 maxpoll 1" \
    "server 192.168.123.6 key 4 iburst minpoll 1 maxpoll 1" \
    "server 192.168.123.7 key 5 iburst minpoll 1 maxpoll 1" \
    "server fd12::2 key 2 iburst minpoll 1 maxpoll 1"
cat >"$TMPD/sa.conf" <<EOF
local stratum 1
allow 192.168.123.0/24
allow fd12::/64
keyfile $TMPD/chrony.keys
bindcmdaddress $TMPD/sa.sock
pidfile $TMPD/sa.pid
EOF

# ntpd_synced: ntpd selected one of its sources (sys.peer) and serves stratum 2.
ntpd_synced() {
    ntpq -c "rv 0 stratum" | grep -q 'stratum=2' && ntpsec_table | grep -q ' sys\.peer$'
}

# phase_a NAME DAEMON...: run the server, then ntpd against it; prints the ntpq table.
phase_a() {
    pname=$1
    shift
    $IN $SAFE "$@" -x -d -f "$TMPD/sa.conf" >"$TMPD/$pname.log" 2>&1 &
    spid=$!
    PIDS="$PIDS $spid"
    wait_for $IN python3 tests/system/ntpreq.py 192.168.123.2 123
    ntpd_start "$TMPD/na.conf"
    ok=0
    for a in 192.168.123.2=none 192.168.123.3=ok 192.168.123.4=ok 192.168.123.5=ok \
        192.168.123.7=ok fd12::2=ok; do
        wait_long reached_close "${a%=*}" "${a#*=}" || ok=1
    done
    wait_long ntpd_synced || ok=1
    table=$(ntpsec_table)
    echo "$table" | sed "s/^/  $pname ntpq: /"
    echo "$table" >"$TMPD/$pname.table"
    return $ok
}

check "ours-ntpd-reaches-all-within-1ms" phase_a ours "$B/chronyd"
check "ours-ntpd-plain-auth-none" wait_long reached_close 192.168.123.2 none
for k in 3:md5 4:sha1 5:cmac 7:sha256; do
    check "ours-ntpd-${k#*:}-auth-ok" wait_long reached_close 192.168.123.${k%:*} ok
done
check "ours-ntpd-ipv6-sha1-auth-ok" wait_long reached_close fd12::2 ok
check "ours-ntpd-wrong-key-auth-bad" never_reached 192.168.123.6 bad
# serverstats: all of ntpd's requests received; the valid MD5/SHA1/CMAC ones counted as
# authenticated, the plain and the wrong-key ones not (Debian's chronyd below alike).
auth_apart() { # auth_apart NAME SOCK
    recv=$(stat_field "$2" 1)
    auth=$(stat_field "$2" 8)
    echo "  $1 serverstats: received $recv, authenticated $auth"
    check "$1-serverstats-authenticated-apart" \
        awk -v r="$recv" -v a="$auth" 'BEGIN { exit !(a >= 3 && r - a >= 2) }'
}
auth_apart ours "$TMPD/sa.sock"
check "ours-serverstats-client-is-ntpd" sh -c \
    "$IN $B/chronyc -h $TMPD/sa.sock -n clients | grep -q '^192.168.123.1 '"
stop_all
if [ -x /usr/sbin/chronyd ]; then
    sed -i "s|^bindcmdaddress .*|bindcmdaddress $TMPD/da.sock|" "$TMPD/sa.conf"
    check "debian-ntpd-reaches-all-within-1ms" phase_a debian /usr/sbin/chronyd -u root
    auth_apart debian "$TMPD/da.sock"
    stop_all
    # ntpq's view of both servers must agree: address, configured, reached, auth.
    cut -d' ' -f1,4-6 "$TMPD/ours.table" >"$TMPD/ours.cols"
    cut -d' ' -f1,4-6 "$TMPD/debian.table" >"$TMPD/debian.cols"
    check "ntpq-columns-same-as-debian" cmp -s "$TMPD/ours.cols" "$TMPD/debian.cols"
else
    echo "SKIP comparison with Debian's chronyd (not installed)"
fi

# --- B and C. Our chronyd as a client (and peer) of ntpd in orphan mode -----------------
ntpd_conf "$TMPD/nb.conf" "tos orphan 5 orphanwait 1" \
    "peer 192.168.123.2 key 3 minpoll 1 maxpoll 1"
cat >"$TMPD/c.conf" <<EOF
keyfile $TMPD/chrony.keys
server 192.168.123.12 key 1 iburst minpoll 0 maxpoll 0
server 192.168.123.13 key 2 iburst minpoll 0 maxpoll 0
server 192.168.123.14 key 3 iburst minpoll 0 maxpoll 0
server 192.168.123.15 key 4 iburst minpoll 0 maxpoll 0
server 192.168.123.16 key 5 version 4 iburst minpoll 0 maxpoll 0
server 192.168.123.17 key 5 iburst minpoll 0 maxpoll 0
server fd12::1 key 2 iburst minpoll 0 maxpoll 0
peer 192.168.123.1 key 3 minpoll 0 maxpoll 0
allow 192.168.123.0/24
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
EOF
chc() { $IN "$B/chronyc" -h "$TMPD/c.sock" -n "$@" 2>/dev/null; }
csrc() { chc sources; }
cnd() { chc ntpdata "$1"; }
keyed_selected() { csrc | grep -q '^\^\* \(192\.168\.123\.1[2346]\|fd12::1\) '; }
plain_selected() { csrc | grep -q '^\^\* 192\.168\.123\.11 '; }
authenticated() { cnd "$1" | grep -q "^Authenticated *: $2\$"; } # authenticated ADDR Yes|No
unreached() { # unreached ADDR: state ^?, reach 0, nothing good received
    csrc | awk -v a="$1" '$2 == a { f = 1; ok = ($1 == "^?" && $5 == "0") }
        END { exit !(f && ok) }' && cnd "$1" | grep -q '^Total good RX *: 0$'
}
peer_reached() { assoc 192.168.123.2 | awk '{ exit !($2 != "0" && $5 == "yes" && $6 == "ok") }'; }
badfmt() { ntpq -c sysstats | awk -F: '/bad length or format/ { exit !($2 + 0 > 0) }'; }
tx() { cnd "$1" | awk -F: '/^Total TX/ { print $2 + 0 }'; }
rx() { cnd "$1" | awk -F: '/^Total RX/ { print $2 + 0 }'; }
sysstat() { ntpq -c sysstats | awk -F: -v k="$1" '$1 == k { print $2 + 0 }'; }
peer_unanswered() { [ "$(rx 192.168.123.1)" = 0 ] && [ "$(tx 192.168.123.1)" -gt 0 ]; }
# accounted: ntpd's "bad length or format" count is the number of our symmetric active
# packets and SHA256 NTPv3 requests, its "authentication failed" count the number of our
# key-4 requests, nothing restricted, rate limited or declined (all our other requests
# parsed and verified).
accounted() {
    [ "$(sysstat "bad length or format")" = \
        "$(($(tx 192.168.123.1) + $(tx 192.168.123.17)))" ] &&
        [ "$(sysstat "authentication failed")" = "$(tx 192.168.123.15)" ] &&
        [ "$(sysstat restricted)" = 0 ] && [ "$(sysstat "rate limited")" = 0 ] &&
        [ "$(sysstat declined)" = 0 ]
}

# phase_b NAME DAEMON...: ntpd in orphan mode, the client DAEMON against it.
phase_b() {
    P=$1
    shift
    ntpd_start "$TMPD/nb.conf"
    $IN $SAFE "$@" -x -d -f "$TMPD/c.conf" >"$TMPD/c-$P.log" 2>&1 &
    PIDS="$PIDS $!"
    check "$P-client-selects-ntpd-keyed" wait_long keyed_selected
    csrc | sed "s/^/  $P sources: /"
    for k in 12:md5 13:sha1 14:cmac 16:sha256-v4; do
        check "$P-client-ntpd-${k#*:}-authenticated" wait_for authenticated 192.168.123.${k%:*} Yes
    done
    check "$P-client-ntpd-ipv6-sha1-authenticated" wait_for authenticated fd12::1 Yes
    out=$(chc -c authdata)
    echo "$out" | sed "s/^/  $P authdata: /"
    check "$P-authdata-md5-sha1-cmac" sh -c "echo '$out' | grep -q '^192.168.123.12,SK,1,1,96,' &&
        echo '$out' | grep -q '^192.168.123.13,SK,2,2,160,' &&
        echo '$out' | grep -q '^192.168.123.14,SK,3,13,128,'"
    # Key 4: ntpd cannot verify our MAC and does not answer; nothing is taken as time.
    check "$P-client-wrong-key-refused" unreached 192.168.123.15
    # SHA256 without `version`: NTPv3 with the whole 32-byte MAC (chrony's choice, for
    # older chronyd servers); ntpd only knows MACs cut to 20 bytes and discards it as "bad
    # length or format". The other way, ntpd's NTPv3 requests with a cut SHA256 MAC fail
    # chrony's check of a whole MAC (Debian's 4.3 alike); ntpd in NTPv4 works (phase A).
    check "$P-client-sha256-v3-unanswered" unreached 192.168.123.17
    # C. ntpd's `peer` polls us as a client with key 3 and takes our authenticated answers
    # (condition "reject": our stratum 6 is not below its orphan stratum).
    check "ntpd-peer-polls-$P-as-server-auth-ok" wait_long peer_reached
    assoc 192.168.123.2 | sed "s/^/  $P ntpq: /"
    check "ntpd-peer-treated-as-server-$P" \
        grep -q 'peer deprecated, treated as server: 192.168.123.2' "$TMPD/ntpd.log"
    # Our symmetric active packets: ntpd counts them as bad format and never answers.
    check "ntpd-discards-$P-symmetric-active" wait_long badfmt
    check "$P-peer-sends-unanswered" peer_unanswered
    # Every packet we sent accounted for by ntpd (sources offline: no more sends).
    chc offline >/dev/null
    check "ntpd-accounts-for-every-$P-packet" wait_for accounted
    echo "  $P: peer TX $(tx 192.168.123.1), SHA256 v3 TX $(tx 192.168.123.17), ntpd bad" \
        "format $(sysstat "bad length or format"); key 4 TX $(tx 192.168.123.15)," \
        "ntpd authentication failed $(sysstat "authentication failed")"
    chc online >/dev/null
    # B without a key: add an unauthenticated server and delete all keyed sources (with
    # the default `authselectmode mix`, keyed sources get `require`: while one is
    # configured, an unauthenticated source alone waits for them, state W, as in chrony).
    chc add server 192.168.123.11 iburst minpoll 0 maxpoll 0 >/dev/null
    for a in 12 13 14 15 16 17 1; do chc delete 192.168.123.$a >/dev/null; done
    chc delete fd12::1 >/dev/null
    check "$P-client-selects-ntpd-no-key" wait_long plain_selected
    check "$P-client-ntpd-no-key-not-authenticated" authenticated 192.168.123.11 No
    csrc | sed "s/^/  $P sources: /"
    stop_all
}

phase_b ours "$B/chronyd"
if [ -x /usr/sbin/chronyd ]; then
    phase_b debian /usr/sbin/chronyd -u root
else
    echo "SKIP Debian's chronyd as ntpd's client (not installed)"
fi
