/* Fuzz target: the source dump file parser never crashes on any input, and
 * whatever it accepts formats and parses back to the same history
 * (round-trip oracle, within the 7 significant digits chrony writes). */
#include "core/sourcedump.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Values away from the sanity limits, where rounding to 7 digits cannot
 * change a verdict. */
static int moderate(const struct sourcedump *d, const struct timespec *now)
{
    int i;

    if (strlen(d->name) >= SOURCEDUMP_LINE_MAX - 2)
        return 0;
    for (i = 0; i < d->n_samples; i++) {
        const struct sourcestats_sample *s = &d->samples[i];
        double t = (double)s->time.tv_sec;
        if (t < 1.0e6 || t > (double)now->tv_sec - 1.0 || fabs(s->offset) > 1.0e5 ||
            fabs(s->peer_delay) > 1.0e5 || fabs(s->peer_dispersion) > 1.0e5 ||
            fabs(s->root_delay) > 1.0e5 || fabs(s->root_dispersion) > 1.0e5)
            return 0;
        if (i > 0 && (double)(s->time.tv_sec - d->samples[i - 1].time.tv_sec) < 1.0)
            return 0;
    }
    return 1;
}

static int close_enough(double a, double b)
{
    if (a == b) /* also equal infinities, which chrony accepts as original offsets */
        return 1;
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-6 * fabs(a) + 1e-300;
}

static void compare(const struct sourcedump *a, const struct sourcedump *b)
{
    int i;

    if (strcmp(a->name, b->name) != 0 || a->n_samples != b->n_samples || a->reach != b->reach ||
        a->reach_size != b->reach_size || a->stratum != b->stratum || a->leap != b->leap ||
        a->authenticated != b->authenticated || a->asymmetry_run != b->asymmetry_run)
        abort();
    for (i = 0; i < a->n_samples; i++) {
        const struct sourcestats_sample *x = &a->samples[i], *y = &b->samples[i];
        double dt = (double)(x->time.tv_sec - y->time.tv_sec) +
                    1e-9 * (double)(x->time.tv_nsec - y->time.tv_nsec);
        if (fabs(dt) > 1e-6 || !close_enough(x->offset, y->offset) ||
            !close_enough(x->orig_offset, y->orig_offset) ||
            !close_enough(x->peer_delay, y->peer_delay) ||
            !close_enough(x->peer_dispersion, y->peer_dispersion) ||
            !close_enough(x->root_delay, y->root_delay) ||
            !close_enough(x->root_dispersion, y->root_dispersion))
            abort();
    }
}

/* The daemon loads what the parser accepts: the regression and the reports
 * must cope with any accepted values. */
static void load_and_report(const struct sourcedump *d, const struct timespec *now)
{
    struct sourcestats_params p;
    struct sourcestats *st;
    struct sourcestats_report r;
    struct sourcestats_source_report sr;
    struct sourcestats_selection sel;
    struct sourcestats_tracking trk;

    sourcestats_params_default(&p);
    st = sourcestats_new(&p);
    if (!sourcedump_to_stats(d, st))
        abort(); /* accepted samples are in order and within the limit */
    sourcestats_get_report(st, now, &r);
    sourcestats_get_source_report(st, now, &sr);
    sourcestats_get_selection(st, now, &sel);
    sourcestats_get_tracking(st, &trk);
    (void)sourcestats_predict_offset(st, now);
    sourcestats_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sourcedump d, e;
    const struct timespec now = {1800000000, 0};
    char *buf;
    int len;

    if (sourcedump_parse((const char *)data, size, &now, &d) != SOURCEDUMP_OK)
        return 0;
    (void)sourcedump_check_source(&d, "127.0.0.1", 1);
    load_and_report(&d, &now);
    len = sourcedump_format(&d, NULL, 0);
    if (len <= 0)
        abort(); /* an accepted file always has samples to write */
    buf = malloc((size_t)len + 1);
    if (!buf || sourcedump_format(&d, buf, (size_t)len + 1) != len)
        abort();
    if (sourcedump_parse(buf, (size_t)len, &now, &e) != SOURCEDUMP_OK) {
        if (moderate(&d, &now))
            abort();
    } else if (moderate(&d, &now)) {
        compare(&d, &e);
    }
    free(buf);
    return 0;
}
