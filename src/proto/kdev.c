/* The kernel interface of the reference clock devices (see kdev.h). */
#include "proto/kdev.h"

#include <string.h>

unsigned long kdev_ioc(unsigned dir, unsigned type, unsigned nr, size_t size)
{
    return (unsigned long)dir << 30 | (unsigned long)(size & 0x3fff) << 16 |
           (unsigned long)(type & 0xff) << 8 | (unsigned long)(nr & 0xff);
}

#define PPS_TYPE 'p'
#define PTP_TYPE '='

unsigned long kdev_pps_getparams(void)
{
    return kdev_ioc(KDEV_IOC_READ, PPS_TYPE, 0xa1, sizeof(void *));
}
unsigned long kdev_pps_setparams(void)
{
    return kdev_ioc(KDEV_IOC_WRITE, PPS_TYPE, 0xa2, sizeof(void *));
}
unsigned long kdev_pps_getcap(void)
{
    return kdev_ioc(KDEV_IOC_READ, PPS_TYPE, 0xa3, sizeof(void *));
}
unsigned long kdev_pps_fetch(void)
{
    return kdev_ioc(KDEV_IOC_READ | KDEV_IOC_WRITE, PPS_TYPE, 0xa4, sizeof(void *));
}

int32_t kdev_pps_mode(int32_t mode, int clear)
{
    if (clear)
        return (mode | KDEV_PPS_CAPTURECLEAR) & ~KDEV_PPS_CAPTUREASSERT;
    return (mode | KDEV_PPS_CAPTUREASSERT) & ~KDEV_PPS_CAPTURECLEAR;
}

int kdev_pps_edge(const struct kdev_pps_fdata *f, int clear, uint32_t *seq, struct timespec *ts)
{
    const struct kdev_pps_ktime *t = clear ? &f->info.clear_tu : &f->info.assert_tu;

    *seq = clear ? f->info.clear_sequence : f->info.assert_sequence;
    if (t->flags & KDEV_PPS_TIME_INVALID || t->nsec < 0 || t->nsec >= 1000000000 ||
        t->sec < -((int64_t)1 << 40) || t->sec > (int64_t)1 << 40)
        return 0;
    ts->tv_sec = (time_t)t->sec;
    ts->tv_nsec = t->nsec;
    return ts->tv_sec != 0 || ts->tv_nsec != 0;
}

unsigned long kdev_ptp_getcaps(void)
{
    return kdev_ioc(KDEV_IOC_READ, PTP_TYPE, 1, sizeof(struct kdev_ptp_caps));
}
unsigned long kdev_ptp_extts_request(void)
{
    return kdev_ioc(KDEV_IOC_WRITE, PTP_TYPE, 2, sizeof(struct kdev_ptp_extts_request));
}
unsigned long kdev_ptp_sys_offset(void)
{
    return kdev_ioc(KDEV_IOC_WRITE, PTP_TYPE, 5, sizeof(struct kdev_ptp_sys_offset));
}
unsigned long kdev_ptp_pin_setfunc(void)
{
    return kdev_ioc(KDEV_IOC_WRITE, PTP_TYPE, 7, sizeof(struct kdev_ptp_pin_desc));
}
unsigned long kdev_ptp_sys_offset_precise(void)
{
    return kdev_ioc(KDEV_IOC_READ | KDEV_IOC_WRITE, PTP_TYPE, 8,
                    sizeof(struct kdev_ptp_sys_offset_precise));
}
unsigned long kdev_ptp_sys_offset_extended(void)
{
    return kdev_ioc(KDEV_IOC_READ | KDEV_IOC_WRITE, PTP_TYPE, 9,
                    sizeof(struct kdev_ptp_sys_offset_extended));
}

/* A PHC time within +/- 2^40 s and a valid nanosecond count. */
static int to_ts(const struct kdev_ptp_time *t, struct timespec *out)
{
    if (t->nsec >= 1000000000u || t->sec < -((int64_t)1 << 40) || t->sec > (int64_t)1 << 40)
        return 0;
    out->tv_sec = (time_t)t->sec;
    out->tv_nsec = (long)t->nsec;
    return 1;
}

int kdev_phc_basic(const struct kdev_ptp_sys_offset *s, int n, struct kdev_phc_reading *out,
                   int max)
{
    int k = 0;

    if (n > KDEV_PTP_MAX_SAMPLES)
        n = KDEV_PTP_MAX_SAMPLES;
    for (int i = 0; i < n && k < max; i++) {
        if (!to_ts(&s->ts[2 * i], &out[k].before) || !to_ts(&s->ts[2 * i + 1], &out[k].phc) ||
            !to_ts(&s->ts[2 * i + 2], &out[k].after))
            continue;
        k++;
    }
    return k;
}

int kdev_phc_extended(const struct kdev_ptp_sys_offset_extended *s, int n,
                      struct kdev_phc_reading *out, int max)
{
    int k = 0;

    if (n > KDEV_PTP_MAX_SAMPLES)
        n = KDEV_PTP_MAX_SAMPLES;
    for (int i = 0; i < n && k < max; i++) {
        if (!to_ts(&s->ts[i][0], &out[k].before) || !to_ts(&s->ts[i][1], &out[k].phc) ||
            !to_ts(&s->ts[i][2], &out[k].after))
            continue;
        k++;
    }
    return k;
}

int kdev_phc_precise(const struct kdev_ptp_sys_offset_precise *s, struct kdev_phc_reading *out,
                     int max)
{
    if (max < 1 || !to_ts(&s->sys_realtime, &out->before) || !to_ts(&s->device, &out->phc))
        return 0;
    out->after = out->before;
    return 1;
}

struct kdev_ptp_extts_request kdev_ptp_extts(int channel, int rising, int falling, int enable)
{
    struct kdev_ptp_extts_request r;

    memset(&r, 0, sizeof(r));
    r.index = (uint32_t)channel;
    r.flags = (enable ? KDEV_PTP_ENABLE_FEATURE : 0u) | (rising ? KDEV_PTP_RISING_EDGE : 0u) |
              (falling ? KDEV_PTP_FALLING_EDGE : 0u);
    return r;
}

struct kdev_ptp_pin_desc kdev_ptp_pin(int pin, int channel, int enable)
{
    struct kdev_ptp_pin_desc d;

    memset(&d, 0, sizeof(d));
    d.index = (uint32_t)pin;
    d.func = enable ? KDEV_PTP_PF_EXTTS : KDEV_PTP_PF_NONE;
    d.chan = (uint32_t)channel;
    return d;
}

void kdev_ptp_event(const struct kdev_ptp_extts_event *e, struct timespec *ts, int *channel)
{
    if (!to_ts(&e->t, ts))
        ts->tv_sec = 0, ts->tv_nsec = 0;
    *channel = (int)e->index;
}
