/* The kernel interface of the PPS and PHC devices as computed by proto/kdev.c, against the
 * kernel headers: structure sizes and field offsets, ioctl request numbers, and the
 * reading of filled structures. */
#include "check.h"

#include "proto/kdev.h"

#include <linux/pps.h>
#include <linux/ptp_clock.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#define SAME_LAYOUT(ours, theirs, f)                                                               \
    CHECK_INT_EQ(offsetof(struct ours, f), offsetof(struct theirs, f))

static void test_pps_abi(void)
{
    CHECK_INT_EQ(sizeof(struct kdev_pps_ktime), sizeof(struct pps_ktime));
    SAME_LAYOUT(kdev_pps_ktime, pps_ktime, sec);
    SAME_LAYOUT(kdev_pps_ktime, pps_ktime, nsec);
    SAME_LAYOUT(kdev_pps_ktime, pps_ktime, flags);
    CHECK_INT_EQ(sizeof(struct kdev_pps_kinfo), sizeof(struct pps_kinfo));
    SAME_LAYOUT(kdev_pps_kinfo, pps_kinfo, assert_sequence);
    SAME_LAYOUT(kdev_pps_kinfo, pps_kinfo, clear_sequence);
    SAME_LAYOUT(kdev_pps_kinfo, pps_kinfo, assert_tu);
    SAME_LAYOUT(kdev_pps_kinfo, pps_kinfo, clear_tu);
    SAME_LAYOUT(kdev_pps_kinfo, pps_kinfo, current_mode);
    CHECK_INT_EQ(sizeof(struct kdev_pps_kparams), sizeof(struct pps_kparams));
    SAME_LAYOUT(kdev_pps_kparams, pps_kparams, api_version);
    SAME_LAYOUT(kdev_pps_kparams, pps_kparams, mode);
    SAME_LAYOUT(kdev_pps_kparams, pps_kparams, assert_off_tu);
    SAME_LAYOUT(kdev_pps_kparams, pps_kparams, clear_off_tu);
    CHECK_INT_EQ(sizeof(struct kdev_pps_fdata), sizeof(struct pps_fdata));
    SAME_LAYOUT(kdev_pps_fdata, pps_fdata, info);
    SAME_LAYOUT(kdev_pps_fdata, pps_fdata, timeout);
    CHECK_INT_EQ(kdev_pps_getparams(), PPS_GETPARAMS);
    CHECK_INT_EQ(kdev_pps_setparams(), PPS_SETPARAMS);
    CHECK_INT_EQ(kdev_pps_getcap(), PPS_GETCAP);
    CHECK_INT_EQ(kdev_pps_fetch(), PPS_FETCH);
    CHECK_INT_EQ(KDEV_PPS_CAPTUREASSERT, PPS_CAPTUREASSERT);
    CHECK_INT_EQ(KDEV_PPS_CAPTURECLEAR, PPS_CAPTURECLEAR);
    CHECK_INT_EQ(KDEV_PPS_TSFMT_TSPEC, PPS_TSFMT_TSPEC);
    CHECK_INT_EQ(KDEV_PPS_TIME_INVALID, PPS_TIME_INVALID);
}

static void test_ptp_abi(void)
{
    CHECK_INT_EQ(sizeof(struct kdev_ptp_time), sizeof(struct ptp_clock_time));
    SAME_LAYOUT(kdev_ptp_time, ptp_clock_time, sec);
    SAME_LAYOUT(kdev_ptp_time, ptp_clock_time, nsec);
    CHECK_INT_EQ(sizeof(struct kdev_ptp_caps), sizeof(struct ptp_clock_caps));
    CHECK_INT_EQ(sizeof(struct kdev_ptp_extts_request), sizeof(struct ptp_extts_request));
    SAME_LAYOUT(kdev_ptp_extts_request, ptp_extts_request, index);
    SAME_LAYOUT(kdev_ptp_extts_request, ptp_extts_request, flags);
    CHECK_INT_EQ(sizeof(struct kdev_ptp_sys_offset), sizeof(struct ptp_sys_offset));
    SAME_LAYOUT(kdev_ptp_sys_offset, ptp_sys_offset, n_samples);
    SAME_LAYOUT(kdev_ptp_sys_offset, ptp_sys_offset, ts);
    CHECK_INT_EQ(sizeof(struct kdev_ptp_sys_offset_extended),
                 sizeof(struct ptp_sys_offset_extended));
    SAME_LAYOUT(kdev_ptp_sys_offset_extended, ptp_sys_offset_extended, n_samples);
    SAME_LAYOUT(kdev_ptp_sys_offset_extended, ptp_sys_offset_extended, ts);
    CHECK_INT_EQ(sizeof(struct kdev_ptp_sys_offset_precise), sizeof(struct ptp_sys_offset_precise));
    SAME_LAYOUT(kdev_ptp_sys_offset_precise, ptp_sys_offset_precise, device);
    SAME_LAYOUT(kdev_ptp_sys_offset_precise, ptp_sys_offset_precise, sys_realtime);
    SAME_LAYOUT(kdev_ptp_sys_offset_precise, ptp_sys_offset_precise, sys_monoraw);
    CHECK_INT_EQ(sizeof(struct kdev_ptp_pin_desc), sizeof(struct ptp_pin_desc));
    SAME_LAYOUT(kdev_ptp_pin_desc, ptp_pin_desc, index);
    SAME_LAYOUT(kdev_ptp_pin_desc, ptp_pin_desc, func);
    SAME_LAYOUT(kdev_ptp_pin_desc, ptp_pin_desc, chan);
    CHECK_INT_EQ(sizeof(struct kdev_ptp_extts_event), sizeof(struct ptp_extts_event));
    SAME_LAYOUT(kdev_ptp_extts_event, ptp_extts_event, t);
    SAME_LAYOUT(kdev_ptp_extts_event, ptp_extts_event, index);
    SAME_LAYOUT(kdev_ptp_extts_event, ptp_extts_event, flags);
    CHECK_INT_EQ(kdev_ptp_getcaps(), PTP_CLOCK_GETCAPS);
    CHECK_INT_EQ(kdev_ptp_extts_request(), PTP_EXTTS_REQUEST);
    CHECK_INT_EQ(kdev_ptp_sys_offset(), PTP_SYS_OFFSET);
    CHECK_INT_EQ(kdev_ptp_pin_setfunc(), PTP_PIN_SETFUNC);
    CHECK_INT_EQ(kdev_ptp_sys_offset_precise(), PTP_SYS_OFFSET_PRECISE);
    CHECK_INT_EQ(kdev_ptp_sys_offset_extended(), PTP_SYS_OFFSET_EXTENDED);
    CHECK_INT_EQ(KDEV_PTP_MAX_SAMPLES, PTP_MAX_SAMPLES);
    CHECK_INT_EQ(KDEV_PTP_ENABLE_FEATURE, PTP_ENABLE_FEATURE);
    CHECK_INT_EQ(KDEV_PTP_RISING_EDGE, PTP_RISING_EDGE);
    CHECK_INT_EQ(KDEV_PTP_FALLING_EDGE, PTP_FALLING_EDGE);
    CHECK_INT_EQ(KDEV_PTP_PF_EXTTS, PTP_PF_EXTTS);
    CHECK_INT_EQ(KDEV_PTP_PF_NONE, PTP_PF_NONE);
}

static void test_pps_decode(void)
{
    struct kdev_pps_fdata f;
    struct timespec ts;
    uint32_t seq;

    CHECK_INT_EQ(kdev_pps_mode(KDEV_PPS_CAPTURECLEAR | KDEV_PPS_TSFMT_TSPEC, 0),
                 KDEV_PPS_CAPTUREASSERT | KDEV_PPS_TSFMT_TSPEC);
    CHECK_INT_EQ(kdev_pps_mode(KDEV_PPS_CAPTUREASSERT, 1), KDEV_PPS_CAPTURECLEAR);
    memset(&f, 0, sizeof(f));
    CHECK(!kdev_pps_edge(&f, 0, &seq, &ts)); /* no edge yet */
    f.info.assert_sequence = 7;
    f.info.assert_tu.sec = 1700000000;
    f.info.assert_tu.nsec = 123;
    f.info.clear_sequence = 9;
    f.info.clear_tu.sec = 1700000001;
    f.info.clear_tu.nsec = 456;
    CHECK(kdev_pps_edge(&f, 0, &seq, &ts));
    CHECK_INT_EQ(seq, 7);
    CHECK_INT_EQ(ts.tv_sec, 1700000000);
    CHECK_INT_EQ(ts.tv_nsec, 123);
    CHECK(kdev_pps_edge(&f, 1, &seq, &ts));
    CHECK_INT_EQ(seq, 9);
    CHECK_INT_EQ(ts.tv_nsec, 456);
    f.info.clear_tu.nsec = 1000000000; /* bad from the kernel */
    CHECK(!kdev_pps_edge(&f, 1, &seq, &ts));
}

static void test_phc_decode(void)
{
    struct kdev_ptp_sys_offset b;
    struct kdev_ptp_sys_offset_extended x;
    struct kdev_ptp_sys_offset_precise p;
    struct kdev_phc_reading r[KDEV_PTP_MAX_SAMPLES];
    struct kdev_ptp_extts_request q;
    struct kdev_ptp_pin_desc d;
    struct kdev_ptp_extts_event e;
    struct timespec ts;
    int ch;

    memset(&b, 0, sizeof(b));
    for (int i = 0; i < 2 * 3 + 1; i++) {
        b.ts[i].sec = 100 + i;
        b.ts[i].nsec = (uint32_t)i;
    }
    CHECK_INT_EQ(kdev_phc_basic(&b, 3, r, KDEV_PTP_MAX_SAMPLES), 3);
    CHECK_INT_EQ(r[1].before.tv_sec, 102);
    CHECK_INT_EQ(r[1].phc.tv_sec, 103);
    CHECK_INT_EQ(r[1].after.tv_sec, 104);
    CHECK_INT_EQ(kdev_phc_basic(&b, 3, r, 2), 2);
    memset(&x, 0, sizeof(x));
    x.ts[0][0].sec = 5;
    x.ts[0][1].sec = 6;
    x.ts[0][2].sec = 7;
    x.ts[1][1].nsec = 2000000000u; /* dropped */
    CHECK_INT_EQ(kdev_phc_extended(&x, 2, r, KDEV_PTP_MAX_SAMPLES), 1);
    CHECK_INT_EQ(r[0].phc.tv_sec, 6);
    memset(&p, 0, sizeof(p));
    p.device.sec = 50;
    p.sys_realtime.sec = 40;
    p.sys_realtime.nsec = 9;
    CHECK_INT_EQ(kdev_phc_precise(&p, r, 1), 1);
    CHECK_INT_EQ(r[0].before.tv_nsec, 9);
    CHECK_INT_EQ(r[0].after.tv_sec, 40);
    CHECK_INT_EQ(r[0].phc.tv_sec, 50);
    q = kdev_ptp_extts(2, 0, 1, 1);
    CHECK_INT_EQ(q.index, 2);
    CHECK_INT_EQ(q.flags, PTP_ENABLE_FEATURE | PTP_FALLING_EDGE);
    q = kdev_ptp_extts(1, 0, 0, 0);
    CHECK_INT_EQ(q.flags, 0);
    d = kdev_ptp_pin(3, 1, 1);
    CHECK_INT_EQ(d.index, 3);
    CHECK_INT_EQ(d.chan, 1);
    CHECK_INT_EQ(d.func, PTP_PF_EXTTS);
    memset(&e, 0, sizeof(e));
    e.t.sec = 77;
    e.t.nsec = 8;
    e.index = 1;
    kdev_ptp_event(&e, &ts, &ch);
    CHECK_INT_EQ(ts.tv_sec, 77);
    CHECK_INT_EQ(ch, 1);
}

int main(void)
{
    RUN(test_pps_abi);
    RUN(test_ptp_abi);
    RUN(test_pps_decode);
    RUN(test_phc_decode);
    return check_summary();
}
