/* Fuzz target: the median sample filter (src/core/ntp_filter.c, the `filter N` option).
 *
 * Input: 4 bytes of set-up (min and max samples, combine ratio in 1/255, the maximum
 * dispersion in 1/16 s), then records of 12 bytes: an opcode byte and its arguments:
 *   0-4: accumulate a sample (offset int32 in us, delay uint16 in 10 us, dispersion
 *        uint16 in us, stratum, leap; its time 1..256 s after the previous one, so sample
 *        times move forward as the client produces them);
 *   5: reduce to one sample (get_sample);
 *   6: drop;
 *   7: slew (dfreq int16 in 1e-9, doffset int32 in us).
 * Oracle: no crash or sanitizer report; the count stays in 0..max; a reduced sample is
 * finite, has a non-negative delay and dispersion, an offset inside the range of the
 * samples accumulated since the last reduction (when no slew moved them) and a time no
 * later than the newest of them; after a reduction the filter is empty. */
#include "core/ntp_filter.h"
#include "lib/ts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REC_LEN 12

static int32_t get32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void check_sample(const struct ntp_sample *s)
{
    if (!isfinite(s->offset) || !isfinite(s->peer_delay) || !isfinite(s->peer_dispersion) ||
        !isfinite(s->root_delay) || !isfinite(s->root_dispersion))
        abort();
    if (s->peer_delay < 0.0 || s->peer_dispersion < 0.0 || s->root_dispersion < 0.0)
        abort();
    if (s->time.tv_nsec < 0 || s->time.tv_nsec >= 1000000000L)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ntp_filter f;
    struct ntp_sample s, out, newest;
    struct timespec t = {1700000000, 0};
    double lo = 0.0, hi = 0.0;
    int n_acc = 0, slewed = 0, max;

    if (size < 4)
        return 0;
    ntp_filter_init(&f, data[0], data[1], 1.0 + data[3] / 16.0, data[2] / 255.0, 1e-6);
    max = ntp_filter_max_samples(&f);
    if (max < 1 || max > NTP_FILTER_MAX_SAMPLES)
        abort();
    data += 4;
    size -= 4;
    for (; size >= REC_LEN; data += REC_LEN, size -= REC_LEN) {
        const uint8_t *a = data + 1;
        switch (data[0] % 8) {
        case 5:
            if (ntp_filter_get_sample(&f, &out)) {
                check_sample(&out);
                if (n_acc == 0)
                    abort(); /* a sample out of nothing */
                if (!slewed && (out.offset < lo - 1e-9 || out.offset > hi + 1e-9))
                    abort();
                if (!slewed && ts_cmp(&out.time, &t) > 0)
                    abort();
                if (ntp_filter_count(&f) != 0)
                    abort();
                n_acc = 0;
                slewed = 0;
            }
            break;
        case 6:
            ntp_filter_drop(&f);
            if (ntp_filter_count(&f) != 0)
                abort();
            n_acc = 0;
            slewed = 0;
            break;
        case 7: {
            double dfreq = (int16_t)get16(a) * 1e-9, doff = get32(a + 2) * 1e-6;
            ntp_filter_slew(&f, &t, dfreq, doff);
            slewed = 1;
            break;
        }
        default:
            memset(&s, 0, sizeof(s));
            ts_add(&t, &t, 1.0 + a[9]);
            s.time = t;
            s.offset = get32(a) * 1e-6;
            s.peer_delay = 1e-7 + get16(a + 4) * 1e-5;
            s.peer_dispersion = get16(a + 6) * 1e-6;
            s.root_delay = s.peer_delay + a[8] * 1e-3;
            s.root_dispersion = s.peer_dispersion + a[8] * 1e-4;
            s.stratum = 1 + a[10] % 15;
            s.leap = a[10] / 16 % 3;
            if (n_acc == 0 || s.offset < lo)
                lo = s.offset;
            if (n_acc == 0 || s.offset > hi)
                hi = s.offset;
            /* samples older than max are forgotten: widen nothing, the range only grows */
            n_acc++;
            ntp_filter_accumulate(&f, &s);
            break;
        }
        if (ntp_filter_count(&f) < 0 || ntp_filter_count(&f) > max)
            abort();
        if (ntp_filter_get_last(&f, &newest))
            check_sample(&newest);
    }
    ntp_filter_fini(&f);
    return 0;
}
