#!/bin/sh
# refclock PPS, PHC and RTC on a machine without such devices: chronyd stops at start with
# chrony 4.8's messages for a device that cannot be opened (/dev/pps0, /dev/ptp0, /dev/rtc0
# missing) or that is not a PPS source or a PHC (/dev/null, the loopback interface), as
# Debian's chronyd does for PPS (its 4.3 has no RTC driver). The drivers' readings are
# covered by tests/unit/test_refdev.c, tests/unit/test_refrtc.c and the simulator
# (scenarios phc, pps, phc-extpps).
. tests/system/lib.sh

# fails NAME LINE MESSAGE...: chronyd -x with LINE exits non-zero logging every MESSAGE
fails() {
    fn=$1
    line=$2
    shift 2
    printf '%s\ncmdport 0\nbindcmdaddress %s\npidfile %s\n' "$line" "$TMPD/$fn.sock" \
        "$TMPD/$fn.pid" >"$TMPD/$fn.conf"
    if timeout 20 $SAFE "$B/chronyd" -x -d -f "$TMPD/$fn.conf" >"$TMPD/$fn.log" 2>&1; then
        return 1
    fi
    for m in "$@"; do
        [ -n "$m" ] && grep -qF -- "$m" "$TMPD/$fn.log" || {
            cat "$TMPD/$fn.log"
            return 1
        }
    done
}

if [ -e /dev/pps0 ] || [ -e /dev/ptp0 ]; then
    echo "SKIP this machine has /dev/pps0 or /dev/ptp0"
else
    check "pps-missing-device" fails pps "refclock PPS /dev/pps0" \
        "Fatal error : Could not open /dev/pps0 : No such file or directory"
    check "pps-clear-missing-device" fails ppsc "refclock PPS /dev/pps0:clear lock GPS" \
        "Fatal error : Could not open /dev/pps0 : No such file or directory"
    check "phc-missing-device" fails phc "refclock PHC /dev/ptp0" \
        "Could not open PHC (of) /dev/ptp0" "Fatal error : Could not open PHC"
    check "phc-extpps-missing-device" fails phcx "refclock PHC /dev/ptp0:extpps:pin=1" \
        "Could not open PHC (of) /dev/ptp0" "Fatal error : Could not open PHC"
fi
if [ -e /dev/rtc0 ]; then
    echo "SKIP this machine has /dev/rtc0"
else
    check "rtc-missing-device" fails rtc "refclock RTC /dev/rtc0" \
        "Fatal error : Could not open RTC device /dev/rtc0 : No such file or directory"
    check "rtc-utc-missing-device" fails rtcu "refclock RTC /dev/rtc0:utc poll 3" \
        "Fatal error : Could not open RTC device /dev/rtc0 : No such file or directory"
fi
# not next to the RTC tracking of rtcfile or rtcsync, whatever the devices
check "rtc-with-rtcfile" fails rtcf "rtcfile $TMPD/rtc
refclock RTC /dev/rtc1" "Fatal error : RTC refclock cannot be used together with rtcsync or rtcfile"
check "rtc-with-rtcsync" fails rtcs "rtcsync
refclock RTC /dev/rtc1" "Fatal error : RTC refclock cannot be used together with rtcsync or rtcfile"
check "rtc-bad-driver-option" fails rtco "refclock RTC /dev/rtc0:local" \
    "Fatal error : Invalid refclock driver option local"
check "pps-not-a-pps-device" fails ppsn "refclock PPS /dev/null" \
    "Fatal error : time_pps_create() failed on /dev/null : Operation not supported"
check "phc-not-a-phc" fails phcn "refclock PHC /dev/null" \
    "ioctl(PTP_CLOCK_GETCAPS) failed : Inappropriate ioctl for device" \
    "Fatal error : Could not open PHC"
# a network interface's PHC, as chrony: loopback has none
check "phc-interface-without-phc" fails phclo "refclock PHC lo" \
    "Could not open PHC (of) lo" "Fatal error : Could not open PHC"
check "pps-bad-driver-option" fails ppso "refclock PPS /dev/pps0:extpps" \
    "Fatal error : Invalid refclock driver option extpps"
if [ -x /usr/sbin/chronyd ] && [ ! -e /dev/pps0 ]; then
    # Debian's chronyd (4.3) says the same of a missing PPS device and of /dev/null
    check "pps-same-as-debian" fails dpps "refclock PPS /dev/pps0" \
        "$(timeout 20 $SAFE /usr/sbin/chronyd -x -d -f "$TMPD/pps.conf" 2>&1 |
            sed -n 's/.*\(Fatal error : .*\)/\1/p')"
    check "pps-null-same-as-debian" fails dppsn "refclock PPS /dev/null" \
        "$(timeout 20 $SAFE /usr/sbin/chronyd -x -d -f "$TMPD/ppsn.conf" 2>&1 |
            sed -n 's/.*\(Fatal error : .*\)/\1/p')"
fi
