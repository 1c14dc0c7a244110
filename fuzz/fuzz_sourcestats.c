/* Fuzz target: per-source statistics (sourcestats + regress) on hostile
 * samples. NTP sample offsets and delays come from timestamps a server
 * chooses, so a source can deliver offsets of decades, zero or negative
 * delays and samples out of order. Every sample is followed by a regression
 * and by every report the daemon reads (selection, tracking, chronyc figures).
 *
 * Input: 2 bytes of parameters (min/max samples, asymmetry, min delay), then
 * 12-byte records: op, time step, four (mantissa, exponent) value pairs for
 * offset, peer delay/dispersion and root delay/dispersion, stratum/leap.
 * Delays and dispersions are never negative (as the NTP client makes them).
 * Oracle: no crash or undefined behaviour, at most 64 samples kept. */
#include "core/sourcestats.h"
#include "lib/ts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PARAM_LEN 2
#define REC_LEN 12
#define MAX_RECS 512

/* A value spanning about 1e-18 .. 1e9 s, with sign. */
static double value(uint8_t mant, uint8_t exp)
{
    return ldexp((int8_t)mant, (int)(exp % 96) - 66);
}

static void reports(struct sourcestats *st, const struct timespec *now)
{
    struct sourcestats_estimate est;
    struct sourcestats_selection sel;
    struct sourcestats_tracking tr;
    struct sourcestats_report rep;
    struct sourcestats_source_report srep;
    struct sourcestats_sample smp;
    double ago, pred, min_delay, skew, sd, lo, hi;

    sourcestats_do_regression(st, &est);
    sourcestats_get_selection(st, now, &sel);
    sourcestats_get_tracking(st, &tr);
    sourcestats_get_report(st, now, &rep);
    sourcestats_get_source_report(st, now, &srep);
    sourcestats_get_delay_test_data(st, now, &ago, &pred, &min_delay, &skew, &sd);
    sourcestats_get_frequency_range(st, &lo, &hi);
    (void)sourcestats_predict_offset(st, now);
    (void)sourcestats_min_round_trip_delay(st);
    (void)sourcestats_get_asymmetry(st);
    if (sourcestats_samples(st) > SOURCESTATS_MAX_SAMPLES || sourcestats_samples(st) < 0)
        abort();
    (void)sourcestats_get_sample(st, sourcestats_samples(st) - 1, &smp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sourcestats_params p;
    struct sourcestats *st;
    struct timespec now = {1700000000, 0};
    size_t n;

    if (size < PARAM_LEN)
        return 0;
    sourcestats_params_default(&p);
    p.min_samples = data[0] % 8;
    p.max_samples = data[0] >> 3 & 7 ? (data[0] >> 3 & 7) * 2 - 1 : 0;
    if (data[1] & 1)
        p.asymmetry = ((data[1] >> 1) % 11) * 0.1 - 0.5;
    if (data[1] & 0x80)
        p.min_delay = 1e-4;
    p.precision = 1e-8;
    st = sourcestats_new(&p);
    n = (size - PARAM_LEN) / REC_LEN;
    if (n > MAX_RECS)
        n = MAX_RECS;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = data + PARAM_LEN + i * REC_LEN;
        double step = ldexp(r[1] & 0x7f, (r[0] >> 4) - 4);
        ts_add(&now, &now, r[1] & 0x80 ? -step : step);
        switch (r[0] % 8) {
        case 5:
            /* The clock model limits frequency changes to maxdrift (0.5 s/s). */
            sourcestats_slew_samples(st, &now, ldexp((int8_t)r[2], -(r[3] % 48) - 8),
                                     value(r[4], r[5]));
            break;
        case 6:
            sourcestats_add_dispersion(st, fabs(value(r[2], r[3])));
            sourcestats_correct_offset(st, value(r[4], r[5]));
            break;
        case 7:
            if (r[2] == 0xff)
                sourcestats_reset(st);
            break;
        default:
            sourcestats_add_sample(st, &now, value(r[2], r[3]), fabs(value(r[4], r[5])),
                                   fabs(value(r[6], r[7])), fabs(value(r[8], r[9])),
                                   fabs(value(r[10], r[9])), r[11] & 0x1f, r[11] >> 5 & 3);
            break;
        }
        reports(st, &now);
    }
    sourcestats_free(st);
    return 0;
}
