/* Reference clock samples and checks (see refclock.h). */
#include "core/refclock.h"

#include "lib/ntp_time.h"

#include <math.h>
#include <string.h>

/* Out of this range an offset is not a time difference (chrony's MAX_OFFSET). */
#define MAX_OFFSET 4294967296.0
/* Seconds of a decoded time: far beyond any date, far from overflowing differences. */
#define MAX_SECONDS (1LL << 40)

static int sec_ok(long long s)
{
    return s > -MAX_SECONDS && s < MAX_SECONDS;
}

static void set_ts(struct timespec *t, long long sec, long long nsec)
{
    /* Normalise without overflow for any int nsec. */
    sec += nsec / 1000000000LL;
    nsec %= 1000000000LL;
    if (nsec < 0) {
        nsec += 1000000000LL;
        sec--;
    }
    t->tv_sec = (time_t)sec;
    t->tv_nsec = (long)nsec;
}

enum refclock_verdict refclock_shm_decode(const struct refclock_shm_time *t, int count_after,
                                          struct refclock_reading *out)
{
    int use_nsec;

    if (t->mode != 0 && t->mode != 1)
        return REFCLOCK_BAD_MODE;
    if (t->mode == 1 && t->count != count_after)
        return REFCLOCK_COUNT_CHANGED;
    if (!t->valid)
        return REFCLOCK_NOT_VALID;
    if (!sec_ok((long long)t->receive_sec) || !sec_ok((long long)t->clock_sec))
        return REFCLOCK_BAD_TIME;
    memset(out, 0, sizeof(*out));
    /* Writers that know only microseconds leave the nsec fields stale: they are used when
     * they round down to the usec fields, as chrony does. */
    use_nsec = t->clock_nsec / 1000 == t->clock_usec && t->receive_nsec / 1000 == t->receive_usec;
    set_ts(&out->sys, (long long)t->receive_sec,
           use_nsec ? (long long)t->receive_nsec : 1000LL * t->receive_usec);
    set_ts(&out->ref, (long long)t->clock_sec,
           use_nsec ? (long long)t->clock_nsec : 1000LL * t->clock_usec);
    out->leap = t->leap;
    return REFCLOCK_OK;
}

enum refclock_verdict refclock_sock_decode(const uint8_t *buf, size_t len,
                                           struct refclock_reading *out)
{
    struct refclock_sock_sample s;

    if (len != sizeof(s))
        return REFCLOCK_BAD_LENGTH;
    memcpy(&s, buf, sizeof(s));
    if ((uint32_t)s.magic != REFCLOCK_SOCK_MAGIC)
        return REFCLOCK_BAD_MAGIC;
    if (!sec_ok((long long)s.tv_sec) || s.tv_usec <= -MAX_SECONDS || s.tv_usec >= MAX_SECONDS)
        return REFCLOCK_BAD_TIME;
    memset(out, 0, sizeof(*out));
    /* tv_usec may be anything: normalise it into the seconds. */
    {
        long long us = (long long)s.tv_usec;
        long long sec = us / 1000000LL, rem = us % 1000000LL;
        if (rem < 0) {
            rem += 1000000LL;
            sec--;
        }
        set_ts(&out->sys, (long long)s.tv_sec + sec, rem * 1000LL);
    }
    out->leap = s.leap;
    out->pulse = s.pulse != 0;
    out->pulse_offset = s.offset;
    if (!out->pulse && isfinite(s.offset) && fabs(s.offset) < MAX_OFFSET) {
        double whole = floor(s.offset);
        set_ts(&out->ref, (long long)out->sys.tv_sec + (long long)whole,
               (long long)out->sys.tv_nsec + (long long)lround((s.offset - whole) * 1e9));
    }
    return REFCLOCK_OK;
}

int refclock_time_offset_sane(const struct timespec *t, double offset)
{
    double x;

    if (!(offset > -MAX_OFFSET && offset < MAX_OFFSET))
        return 0;
    x = (double)t->tv_sec + 1e-9 * (double)t->tv_nsec + offset;
    return x >= (double)NTP_ERA_SPLIT && x <= (double)NTP_ERA_SPLIT + 4294967296.0;
}

double refclock_fold_pulse(double offset, int rate)
{
    offset -= (double)(long)(offset * rate) / (double)rate;
    if (offset < -0.5 / rate)
        offset += 1.0 / rate;
    else if (offset >= 0.5 / rate)
        offset -= 1.0 / rate;
    return offset;
}

int refclock_pulse_edge_ok(double width, int rate, double offset, double distance)
{
    double max_error;

    if (width <= 0.0)
        return 1;
    max_error = fmin(width, 1.0 / rate - width) * 0.5;
    return fabs(offset) <= max_error && distance <= max_error;
}
