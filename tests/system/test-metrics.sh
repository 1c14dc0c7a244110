#!/bin/sh
# metricsport (ours): a daemon synchronised to a local server answers GET /metrics with a
# page that promtool accepts, whose figures are those chronyc -c tracking/sources/
# sourcestats print; HEAD, 404 and 405; metricsallow/metricsdeny with bindmetricsaddress
# 0.0.0.0 (127.0.0.2 and 127.0.0.3 as clients); an oversized head and slowloris
# connections are cut off while other clients are served. Needs promtool (Debian's
# prometheus package, scripts/install-deps.sh).
. tests/system/lib.sh

if ! command -v promtool >/dev/null 2>&1; then
    fail "metrics-promtool: promtool not found (install Debian's prometheus package, scripts/install-deps.sh)"
    exit 0
fi

pick_ports 17623
MP=$((P3 + 7000))
chmod 700 "$TMPD"
server_conf "$TMPD/s.conf" $P1
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/s.conf" >"$TMPD/s.log" 2>&1 &
PIDS="$PIDS $!"
cat >"$TMPD/c.conf" <<CONF
server 127.0.0.1 port $P1 iburst minpoll 2 maxpoll 2
port 0
cmdport 0
bindcmdaddress $TMPD/c.sock
pidfile $TMPD/c.pid
metricsport $MP
bindmetricsaddress 0.0.0.0
metricsallow 127.0.0.0/8
metricsdeny 127.0.0.3
CONF
$IN $SAFE "$B/chronyd" -x -d -f "$TMPD/c.conf" >"$TMPD/c.log" 2>&1 &
PIDS="$PIDS $!"
URL=http://127.0.0.1:$MP/metrics

fetch() { # fetch OUT [curl options...]: the page into OUT, the head into OUT.h
    out=$1
    shift
    $IN curl -sS --max-time 5 -D "$out.h" -o "$out" "$@" "$URL"
}
code() { # code [curl options...]: the status code
    $IN curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@"
}

check "metrics-synchronised" wait_long selected c
check "metrics-get" fetch "$TMPD/m.txt"
check "metrics-200" grep -q '^HTTP/1.1 200 OK' "$TMPD/m.txt.h"
check "metrics-content-type" \
    grep -q '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$TMPD/m.txt.h"
if promtool check metrics <"$TMPD/m.txt" >"$TMPD/promtool.out" 2>&1; then
    pass "metrics-promtool"
else
    fail "metrics-promtool: $(head -5 "$TMPD/promtool.out")"
fi
missing=""
for m in chrony_build_info chrony_tracking_info chrony_tracking_stratum \
    chrony_tracking_system_time_offset_seconds chrony_tracking_last_offset_seconds \
    chrony_tracking_rms_offset_seconds chrony_tracking_frequency_ratio \
    chrony_tracking_residual_frequency_ratio chrony_tracking_skew_ratio \
    chrony_tracking_root_delay_seconds chrony_tracking_root_dispersion_seconds \
    chrony_tracking_update_interval_seconds chrony_tracking_leap_status \
    chrony_source_stratum chrony_source_poll_interval_seconds chrony_source_reachability \
    chrony_source_last_sample_offset_seconds chrony_source_samples chrony_source_runs \
    chrony_source_span_seconds chrony_source_residual_frequency_ratio chrony_source_skew_ratio \
    chrony_source_offset_seconds chrony_source_std_dev_seconds \
    chrony_serverstats_ntp_packets_received_total \
    chrony_serverstats_nts_ke_connections_accepted_total; do
    grep -q "^# TYPE $m " "$TMPD/m.txt" || missing="$missing $m"
done
check "metrics-names${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "metrics-build-info" grep -q '^chrony_build_info{version="4.8"} 1$' "$TMPD/m.txt"

# The page against chronyc, taken between two tracking reports with the same reference
# time (no clock update in between), so that every figure must agree.
consistent() {
    c="$B/chronyc -h $TMPD/c.sock -c -n"
    $IN $c tracking >"$TMPD/t1" && $IN $c sources >"$TMPD/src" &&
        $IN $c sourcestats >"$TMPD/st" && fetch "$TMPD/mc.txt" &&
        $IN $c tracking >"$TMPD/t2" || return 1
    [ "$(cut -d, -f4 "$TMPD/t1")" = "$(cut -d, -f4 "$TMPD/t2")" ] || return 1
    python3 - "$TMPD" <<'PY'
import re, sys
d = sys.argv[1]
t = open(d + "/t1").read().strip().split(",")
src = open(d + "/src").read().strip().split(",")
st = open(d + "/st").read().strip().split(",")
m = {}
for line in open(d + "/mc.txt"):
    if line.startswith("#"):
        continue
    key, val = line.rsplit(" ", 1)
    m[key] = float(val)
lab = '{name="127.0.0.1",address="127.0.0.1",mode="server",state="%s"}' % src[1]
def near(a, b, tol):
    return abs(a - b) <= tol
bad = []
def want(name, ok):
    if not ok:
        bad.append(name)
info = [k for k in m if k.startswith("chrony_tracking_info{")]
want("info", info == ['chrony_tracking_info{reference_id="%s",address="%s",leap_status="normal"}' % (t[0], t[1])])
want("stratum", m["chrony_tracking_stratum"] == int(t[2]))
want("reftime", near(m["chrony_tracking_reference_timestamp_seconds"], float(t[3]), 1e-2))
want("system", near(m["chrony_tracking_system_time_offset_seconds"], float(t[4]), 1e-3))
want("last", near(m["chrony_tracking_last_offset_seconds"], float(t[5]), 1e-9))
want("rms", near(m["chrony_tracking_rms_offset_seconds"], float(t[6]), 1e-9))
want("freq", near(m["chrony_tracking_frequency_ratio"], float(t[7]) * 1e-6, 1e-9))
want("resid", near(m["chrony_tracking_residual_frequency_ratio"], float(t[8]) * 1e-6, 1e-9))
want("skew", near(m["chrony_tracking_skew_ratio"], float(t[9]) * 1e-6, 1e-9))
want("delay", near(m["chrony_tracking_root_delay_seconds"], float(t[10]), 1e-9))
want("disp", near(m["chrony_tracking_root_dispersion_seconds"], float(t[11]), 1e-3))
want("interval", near(m["chrony_tracking_update_interval_seconds"], float(t[12]), 0.1))
want("leap", m["chrony_tracking_leap_status"] == 0 and t[13] == "Normal")
want("src-stratum", m["chrony_source_stratum" + lab] == int(src[3]))
want("src-poll", m["chrony_source_poll_interval_seconds" + lab] == 2 ** int(src[4]))
want("src-reach", m["chrony_source_reachability" + lab] == int(src[5], 8))
want("src-offset", near(m["chrony_source_last_sample_offset_seconds" + lab], float(src[7]), 1e-9))
want("src-orig", near(m["chrony_source_last_sample_original_offset_seconds" + lab], float(src[8]), 1e-9))
want("src-err", near(m["chrony_source_last_sample_error_seconds" + lab], float(src[9]), 1e-9))
want("st-np", m["chrony_source_samples" + lab] == int(st[1]))
want("st-nr", m["chrony_source_runs" + lab] == int(st[2]))
want("st-span", m["chrony_source_span_seconds" + lab] == int(st[3]))
want("st-freq", near(m["chrony_source_residual_frequency_ratio" + lab], float(st[4]) * 1e-6, 1e-9))
want("st-skew", near(m["chrony_source_skew_ratio" + lab], float(st[5]) * 1e-6, 1e-9))
want("st-offset", near(m["chrony_source_offset_seconds" + lab], float(st[6]), 1e-6))
want("st-sd", near(m["chrony_source_std_dev_seconds" + lab], float(st[7]), 1e-9))
if bad:
    print("differ: " + " ".join(bad))
    sys.exit(1)
PY
}
if retry 10 0.3 consistent; then
    pass "metrics-consistent-with-chronyc"
else
    consistent
    fail "metrics-consistent-with-chronyc: $(consistent 2>&1 | tail -1)"
fi

check "metrics-head" [ "$(code -I "$URL")" = 200 ]
check "metrics-404" [ "$(code "http://127.0.0.1:$MP/")" = 404 ]
check "metrics-405" [ "$(code -X POST "$URL")" = 405 ]

# Access: 127.0.0.2 is in metricsallow, 127.0.0.3 is denied and gets nothing at all.
check "metrics-allowed-127.0.0.2" [ "$(code --interface 127.0.0.2 "http://127.0.0.1:$MP/metrics")" = 200 ]
denied_nothing() {
    out=$($IN curl -sS --max-time 5 --interface 127.0.0.3 "http://127.0.0.1:$MP/metrics" 2>&1)
    rc=$?
    [ $rc -ne 0 ] && ! echo "$out" | grep -q chrony_
}
check "metrics-denied-127.0.0.3" denied_nothing

# An oversized head is refused (431, or the connection closed), others are still served.
ov=$($IN python3 tests/system/httpprobe.py oversize 127.0.0.1 $MP)
refused() { [ "$ov" = status=431 ] || [ "$ov" = closed ]; }
check "metrics-oversize-refused ($ov)" refused
check "metrics-served-after-oversize" [ "$(code "$URL")" = 200 ]

# Slowloris: more slow connections than the endpoint keeps; a normal client is served
# meanwhile, and every slow one is cut off (the 5 s deadline, or a newer connection).
$IN python3 tests/system/httpprobe.py slowloris 127.0.0.1 $MP 10 20 >"$TMPD/slow.out" 2>&1 &
slow=$!
served_now() { [ "$(code "$URL")" = 200 ]; }
check "metrics-served-during-slowloris" wait_for served_now
wait $slow
check "metrics-slowloris-cut-off ($(head -1 "$TMPD/slow.out"))" \
    grep -q '^cut=10 of 10$' "$TMPD/slow.out"
check "metrics-slowloris-no-page" grep -q '^answered=$' "$TMPD/slow.out"
check "metrics-served-after-slowloris" served_now
