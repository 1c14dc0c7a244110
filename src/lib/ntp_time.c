#include "lib/ntp_time.h"

#include "lib/bytes.h"

#include <math.h>

int ntp_ts64_is_zero(const struct ntp_ts64 *t)
{
    return t->sec == 0 && t->frac == 0;
}

int ntp_ts64_equal(const struct ntp_ts64 *a, const struct ntp_ts64 *b)
{
    return a->sec == b->sec && a->frac == b->frac;
}

void ntp_ts64_from_timespec(struct ntp_ts64 *out, const struct timespec *ts)
{
    /* Wrapping to 32 bits is the era reduction. */
    out->sec = (uint32_t)((uint64_t)((int64_t)ts->tv_sec + (int64_t)NTP_UNIX_OFFSET));
    /* Round to nearest 2^-32 s: ns * 2^32 / 1e9. */
    out->frac = (uint32_t)(((uint64_t)ts->tv_nsec * 4294967296ULL + 500000000ULL) / 1000000000ULL);
    if (ts->tv_nsec >= 999999999 && out->frac == 0)
        out->frac = 0xffffffffU; /* avoid rounding up into the next second */
}

void ntp_ts64_to_timespec(struct timespec *out, const struct ntp_ts64 *t)
{
    /* Seconds since the split modulo 2^32: an era is exactly 2^32 s, so this is the
     * offset into the window whatever era the timestamp was written in. */
    uint32_t since_split = t->sec - (uint32_t)(uint64_t)(NTP_ERA_SPLIT + (int64_t)NTP_UNIX_OFFSET);
    uint64_t ns = ((uint64_t)t->frac * 1000000000ULL + 2147483648ULL) >> 32;

    if (ntp_ts64_is_zero(t)) {
        out->tv_sec = 0;
        out->tv_nsec = 0;
        return;
    }
    if (ns >= 1000000000ULL)
        ns = 999999999ULL;
    out->tv_sec = (time_t)(NTP_ERA_SPLIT + (int64_t)since_split);
    out->tv_nsec = (long)ns;
}

double ntp_ts64_diff(const struct ntp_ts64 *a, const struct ntp_ts64 *b)
{
    int32_t ds = (int32_t)(a->sec - b->sec);
    return (double)ds + ((double)a->frac - (double)b->frac) / 4294967296.0;
}

void ntp_ts64_to_bytes(uint8_t out[8], const struct ntp_ts64 *t)
{
    put_be32(out, t->sec);
    put_be32(out + 4, t->frac);
}

void ntp_ts64_from_bytes(struct ntp_ts64 *out, const uint8_t in[8])
{
    out->sec = get_be32(in);
    out->frac = get_be32(in + 4);
}

double ntp_short_to_double(uint32_t v)
{
    return (double)v / 65536.0;
}

uint32_t ntp_short_from_double(double s)
{
    if (!(s > 0.0))
        return 0;
    if (s >= 65535.99998)
        return 0xffffffffU;
    return (uint32_t)ceil(s * 65536.0);
}

double ntp_log2_to_double(int log2)
{
    return ldexp(1.0, log2);
}
