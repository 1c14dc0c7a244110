/* Fuzz target for the reference clock decoders (src/core/refclock): any bytes as a SOCK
 * datagram, and as an SHM segment followed by the count read after the copy. What
 * decodes has normalised times, and a SOCK sample's reference time is its system time
 * plus its offset, and every time stays within +/- 2^41 s; the checks of the engine's
 * sample path take any decoded value. */
#include "core/refclock.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ts(const struct timespec *t)
{
    if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)
        abort();
    if ((long long)t->tv_sec > (1LL << 41) || (long long)t->tv_sec < -(1LL << 41))
        abort();
}

static void use(const struct refclock_reading *r, int rate)
{
    double off = ((double)r->ref.tv_sec - (double)r->sys.tv_sec) +
                 1e-9 * (double)(r->ref.tv_nsec - r->sys.tv_nsec);
    double f;

    check_ts(&r->sys);
    check_ts(&r->ref);
    (void)refclock_time_offset_sane(&r->sys, off);
    if (r->pulse && isfinite(r->pulse_offset) && fabs(r->pulse_offset) < 1e6) {
        f = refclock_fold_pulse(r->pulse_offset, rate);
        if (!(f >= -0.5 / rate - 1e-9 && f < 0.5 / rate + 1e-9))
            abort();
        (void)refclock_pulse_edge_ok(0.5 / rate, rate, f, 0.0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct refclock_reading r;
    struct refclock_shm_time t;
    int count, rate = size ? 1 + data[0] % 50 : 1;

    if (refclock_sock_decode(data, size, &r) == REFCLOCK_OK) {
        struct refclock_sock_sample s;
        memcpy(&s, data, sizeof(s));
        use(&r, rate);
        if (!r.pulse && isfinite(s.offset) && fabs(s.offset) < 1e9) {
            double off = ((double)r.ref.tv_sec - (double)r.sys.tv_sec) +
                         1e-9 * (double)(r.ref.tv_nsec - r.sys.tv_nsec);
            if (fabs(off - s.offset) > 1e-6 * (1.0 + fabs(s.offset)))
                abort();
        }
    }
    if (size < sizeof(t) + sizeof(count))
        return 0;
    memcpy(&t, data, sizeof(t));
    memcpy(&count, data + sizeof(t), sizeof(count));
    if (refclock_shm_decode(&t, count, &r) == REFCLOCK_OK) {
        if (!t.valid || (t.mode != 0 && t.mode != 1) || (t.mode == 1 && t.count != count))
            abort();
        use(&r, rate);
    }
    return 0;
}
