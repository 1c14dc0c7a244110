/* RTC tracking (see rtc.h). */
#include "core/rtc.h"

#include "core/regress.h"
#include "lib/ts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* When the sample array is full, the oldest samples up to this index go. */
#define DROP_WHEN_FULL 4

void rtc_track_init(struct rtc_track *t, double autotrim)
{
    memset(t, 0, sizeof(*t));
    t->autotrim = autotrim;
    t->mode = RTC_MODE_NORMAL;
    t->period = RTC_MIN_PERIOD;
}

void rtc_track_start_initial(struct rtc_track *t)
{
    t->mode = RTC_MODE_INITIAL;
}

static void drop_oldest(struct rtc_track *t, int first)
{
    int keep = t->n_samples - first;

    memmove(t->rtc_sec, t->rtc_sec + first, sizeof(t->rtc_sec[0]) * (size_t)keep);
    memmove(t->sys, t->sys + first, sizeof(t->sys[0]) * (size_t)keep);
    t->n_samples = keep;
}

/* Fit offset (RTC fast of the system clock) against RTC time, relative to the newest
 * sample. Returns 1 with the coefficients when a line could be fitted. */
static int fit(struct rtc_track *t, long long *ref, double *fast, double *gain)
{
    double x[RTC_MAX_SAMPLES], y[RTC_MAX_SAMPLES], w[RTC_MAX_SAMPLES];
    struct regress_fit f;
    long long r;

    if (t->n_samples < REGRESS_MIN_POINTS)
        return 0;
    r = t->rtc_sec[t->n_samples - 1];
    for (int i = 0; i < t->n_samples; i++) {
        x[i] = (double)(t->rtc_sec[i] - r);
        y[i] = (double)(t->rtc_sec[i] - (long long)t->sys[i].tv_sec) - 1e-9 * t->sys[i].tv_nsec;
        w[i] = 1.0;
    }
    /* The runs test drops the oldest samples while the residuals trend, but keeps at
     * least half of them: the system clock's own wander of a few tens of microseconds
     * trends over minutes and would otherwise leave a short, steep fit. */
    if (!regress_find_best(x, y, w, t->n_samples, 0, t->n_samples / 2, &f))
        return 0;
    t->n_runs = f.n_runs;
    *ref = r;
    *fast = f.intercept;
    *gain = f.slope;
    return 1;
}

static void regression(struct rtc_track *t)
{
    long long ref;
    double fast, gain;

    if (fit(t, &ref, &fast, &gain)) {
        t->valid = 1;
        t->ref_time = ref;
        t->fast = fast;
        t->gain = gain;
    }
}

static void update_period(struct rtc_track *t)
{
    int n = t->n_samples, shift = n < 4 ? 0 : n < 6 ? 1 : n < 10 ? 2 : n < 14 ? 3 : 4;

    t->period = RTC_MIN_PERIOD << shift;
}

double rtc_coefs_error(const struct rtc_coefs *c, long long rtc)
{
    return c->offset + (double)(rtc - c->ref_time) * 1e-6 * c->rate_ppm;
}

static void initial_done(struct rtc_track *t, const struct rtc_coefs *file, struct rtc_result *out)
{
    regression(t);
    out->initial_done = 1;
    if (t->valid && file && file->valid) {
        /* Where the file's line puts the RTC now, less where it is against our clock. */
        out->have_file = 1;
        out->sys_error = rtc_coefs_error(file, t->ref_time) - t->fast;
    }
    t->valid = 0;
    t->n_samples = 0;
    t->n_since_regression = 0;
    t->mode = RTC_MODE_NORMAL;
}

static void relock_done(struct rtc_track *t, struct rtc_result *out)
{
    long long ref;
    double fast, gain;

    if (fit(t, &ref, &fast, &gain)) {
        out->write_file = 1;
        out->coefs.valid = 1;
        out->coefs.ref_time = ref;
        out->coefs.offset = fast;
        out->coefs.rate_ppm = 1e6 * t->saved_gain;
    }
    t->valid = 0;
    t->n_samples = 0;
    t->n_since_regression = 0;
    t->mode = RTC_MODE_NORMAL;
}

void rtc_track_add(struct rtc_track *t, long long rtc, const struct timespec *sys, int synced,
                   const struct rtc_coefs *file, struct rtc_result *out)
{
    memset(out, 0, sizeof(*out));
    if (t->n_samples == RTC_MAX_SAMPLES)
        drop_oldest(t, DROP_WHEN_FULL);
    /* An RTC set back (by someone else) makes the old samples useless. */
    if (t->n_samples > 0 && t->rtc_sec[t->n_samples - 1] >= rtc)
        t->n_samples = 0;
    t->rtc_sec[t->n_samples] = rtc;
    t->sys[t->n_samples] = *sys;
    t->n_samples++;
    t->n_since_regression++;

    switch (t->mode) {
    case RTC_MODE_NORMAL:
        regression(t);
        t->n_since_regression = 0;
        /* Autotrim: fresh coefficients, past the threshold, clock synchronised. */
        if (t->valid && t->autotrim > 0.0 && fabs(t->fast) >= t->autotrim && synced)
            out->trim = 1;
        break;
    case RTC_MODE_INITIAL:
        if (t->n_since_regression >= RTC_FAST_SAMPLES)
            initial_done(t, file, out);
        break;
    case RTC_MODE_AFTERTRIM:
        if (t->n_since_regression >= RTC_FAST_SAMPLES)
            relock_done(t, out);
        break;
    }
    update_period(t);
}

void rtc_track_shift(struct rtc_track *t, double offset)
{
    for (int i = 0; i < t->n_samples; i++)
        ts_add(&t->sys[i], &t->sys[i], -offset);
    if (t->valid)
        t->fast += offset;
}

int rtc_track_next_delay(const struct rtc_track *t)
{
    return t->mode == RTC_MODE_NORMAL ? t->period : 0;
}

int rtc_track_trim(struct rtc_track *t, const struct timespec *now, long long *set_to)
{
    t->saved_gain = t->gain;
    if (!(fabs(t->fast) > 1.0))
        return 0;
    /* The RTC ticks its next second about 0.5 s after it is set: setting it to the
     * whole second of now puts its edges within half a second of the system's. */
    *set_to = (long long)now->tv_sec;
    t->n_samples = 0;
    t->n_since_regression = 0;
    t->mode = RTC_MODE_AFTERTRIM;
    /* A guess until the relock is done (writertc or an exit in between). */
    t->fast = 0.5 - now->tv_nsec * 1e-9;
    t->ref_time = (long long)now->tv_sec;
    return 1;
}

void rtc_track_coefs(const struct rtc_track *t, struct rtc_coefs *out)
{
    out->valid = t->valid;
    out->ref_time = t->ref_time;
    out->offset = t->fast;
    out->rate_ppm = 1e6 * t->gain;
}

long rtc_track_span(const struct rtc_track *t)
{
    if (t->n_samples < 2)
        return 0;
    return (long)(t->rtc_sec[t->n_samples - 1] - t->rtc_sec[0]);
}

size_t rtc_coefs_format(const struct rtc_coefs *c, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%1d %.0f %.6f %.3f\n", c->valid, (double)c->ref_time, c->offset,
                     c->rate_ppm);
    return n < 0 ? 0 : (size_t)n;
}

int rtc_coefs_parse(const char *text, struct rtc_coefs *out)
{
    struct rtc_coefs c;
    double ref;
    char *end;
    const char *p = text;
    double v[4];

    for (int i = 0; i < 4; i++) {
        v[i] = strtod(p, &end);
        if (end == p || !isfinite(v[i]))
            return -1;
        p = end;
    }
    ref = v[1];
    if (v[0] != floor(v[0]) || fabs(ref) > 1e15)
        return -1;
    c.valid = (int)v[0];
    c.ref_time = (long long)ref;
    c.offset = v[2];
    c.rate_ppm = v[3];
    *out = c;
    return 0;
}

int rtc_adjtime_utc(const char *text)
{
    const char *line = text;

    for (int i = 0; i < 2 && line; i++) {
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (!line)
        return -1;
    if (!strncmp(line, "LOCAL", 5))
        return 0;
    if (!strncmp(line, "UTC", 3))
        return 1;
    return -1;
}
