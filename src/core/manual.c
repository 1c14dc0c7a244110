/* Manual time input (see manual.h). */
#include "core/manual.h"

#include "lib/ts.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* Times further than this from our clock are not believed (s, about 100 years). */
#define MAX_SANE_OFFSET 3.2e9

void manual_init(struct manual *m, int enabled)
{
    memset(m, 0, sizeof(*m));
    m->enabled = enabled != 0;
}

void manual_reset(struct manual *m)
{
    m->n = 0;
}

/* The line of least absolute deviations through (x, y): it passes through two of the
 * points, so with at most 16 points every pair is tried (a robust fit: one mistyped time
 * does not tilt it, as chrony's robust regression). Returns 0 if the x do not spread. */
static int robust_line(const double *x, const double *y, int n, double *b0, double *b1)
{
    double best = INFINITY;
    int found = 0;

    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
            double slope, icpt, sum = 0.0;
            if (fabs(x[j] - x[i]) < 1e-9)
                continue;
            slope = (y[j] - y[i]) / (x[j] - x[i]);
            icpt = y[i] - slope * x[i];
            for (int k = 0; k < n; k++)
                sum += fabs(y[k] - (icpt + slope * x[k]));
            if (sum < best - 1e-15) {
                best = sum;
                *b0 = icpt;
                *b1 = slope;
                found = 1;
            }
        }
    }
    return found;
}

/* Estimate from the samples: the offset is the newest entered one when given (chrony
 * trusts the last input), else the fitted one; the frequency comes from the line. */
static void estimate(struct manual *m, int offset_given, double offset, struct manual_estimate *out)
{
    double ago[MANUAL_MAX_SAMPLES], off[MANUAL_MAX_SAMPLES], b0 = 0.0, b1 = 0.0;

    memset(out, 0, sizeof(*out));
    if (m->n > 1) {
        for (int i = 0; i < m->n; i++) {
            ago[i] = ts_diff(&m->s[m->n - 1].when, &m->s[i].when);
            off[i] = m->s[i].offset;
        }
        if (robust_line(ago, off, m->n, &b0, &b1)) {
            /* Offsets grow with age when we run slow: the frequency is -slope. */
            out->frequency = -b1;
            out->have_frequency = 1;
        }
    } else if (m->n == 1) {
        ago[0] = 0.0;
        off[0] = m->s[0].offset;
        b0 = off[0];
    }
    if (m->n > 1 && !out->have_frequency)
        b0 = offset_given ? offset : 0.0;
    out->offset = offset_given ? offset : b0;
    out->fitted_offset = b0;
    for (int i = 0; i < m->n; i++)
        m->s[i].residual = off[i] - (b0 + ago[i] * b1);
}

int manual_accept(struct manual *m, const struct timespec *now, const struct timespec *ts,
                  struct manual_estimate *out)
{
    double offset;

    assert(m && now && ts && out);
    if (!m->enabled)
        return 0;
    offset = ts_diff(now, ts);
    if (!(fabs(offset) < MAX_SANE_OFFSET))
        return 0;
    if (m->n > 0 && ts_diff(now, &m->s[m->n - 1].when) < MANUAL_MIN_SEPARATION)
        return 0;
    if (m->n == MANUAL_MAX_SAMPLES) {
        memmove(&m->s[0], &m->s[1], sizeof(m->s[0]) * (MANUAL_MAX_SAMPLES - 1));
        m->n--;
    }
    m->s[m->n].when = *now;
    m->s[m->n].offset = offset;
    m->s[m->n].orig_offset = offset;
    m->s[m->n].residual = 0.0;
    m->n++;
    estimate(m, 1, offset, out);
    return 1;
}

int manual_delete(struct manual *m, int index, struct manual_estimate *out)
{
    assert(m && out);
    if (index < 0 || index >= m->n)
        return 0;
    memmove(&m->s[index], &m->s[index + 1], sizeof(m->s[0]) * (size_t)(m->n - index - 1));
    m->n--;
    estimate(m, 0, 0.0, out);
    return 1;
}

void manual_slew(struct manual *m, const struct timespec *cooked, double dfreq, double doffset,
                 int unknown_step)
{
    if (unknown_step) {
        manual_reset(m);
        return;
    }
    for (int i = 0; i < m->n; i++) {
        double delta = ts_diff(cooked, &m->s[i].when) * dfreq - doffset;
        ts_add(&m->s[i].when, &m->s[i].when, delta);
        m->s[i].offset += delta;
    }
}
