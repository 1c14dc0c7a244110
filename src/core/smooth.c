/* Time smoothing: the accumulated offset and frequency and their three-stage removal
 * (see smooth.h). */
#include "core/smooth.h"

#include "lib/ts.h"

#include <math.h>
#include <string.h>

void smooth_init(struct smooth *s, const struct smooth_config *cfg)
{
    memset(s, 0, sizeof(*s));
    if (!(cfg->max_freq_ppm > 0.0) || !(cfg->max_wander_ppm > 0.0))
        return;
    s->enabled = 1;
    s->locked = 1;
    s->leap_only = cfg->leap_only;
    s->max_freq = cfg->max_freq_ppm * 1e-6;
    s->max_wander = cfg->max_wander_ppm * 1e-6;
}

int smooth_enabled(const struct smooth *s)
{
    return s->enabled;
}

/* Follow the planned curve from the last update to now: the offset and frequency there,
 * and the wander of the stage now is in (0 once the curve is complete). */
static void follow(const struct smooth *s, const struct timespec *now, double *offset, double *freq,
                   double *wander)
{
    double left = ts_diff(now, &s->last_update), len, w = 0.0;
    double o = s->offset, f = s->freq;

    for (int i = 0; i < SMOOTH_STAGES && left > 0.0; i++) {
        len = s->stage[i].length < left ? s->stage[i].length : left;
        w = s->stage[i].wander;
        /* The frequency is f + w t over the stage: the offset drops by its integral. */
        o -= len * (f + 0.5 * w * len);
        f += w * len;
        left -= len;
    }
    if (left > 0.0) {
        w = 0.0;
        o -= left * f;
    }
    *offset = o;
    *freq = f;
    if (wander)
        *wander = w;
}

/* Lengths of the ramps for a curve without a frequency limit that starts at frequency
 * f = dir * freq (in the ramp's direction dir) and removes dir * offset: the frequency
 * rises by max_wander per second for l1, then falls to zero for l3. The area under it is
 * max_wander * l3^2 - f^2 / (2 max_wander), and l1 = l3 - f / max_wander. Returns how far
 * the solution had to be bent to be valid (0 = exact). */
static double ramps(const struct smooth *s, int dir, double *l1, double *l3)
{
    double w = s->max_wander, f = dir * s->freq;
    double sq = dir * s->offset / w + f * f / (2.0 * w * w), bent = 0.0;

    if (sq < 0.0) {
        bent += -sq;
        sq = 0.0;
    }
    *l3 = sqrt(sq);
    *l1 = *l3 - f / w;
    if (*l1 < 0.0) {
        bent += *l1 * *l1;
        *l1 = 0.0;
    }
    return bent;
}

/* Plan the stages that bring the offset and the frequency to zero together. */
static void plan(struct smooth *s)
{
    double l1, l3, l1b, l3b, l2 = 0.0, peak, over, cut, f;
    int dir = 1;

    /* The direction whose solution is valid; for tiny offsets rounding may spoil both,
     * then the one bent the least. */
    if (ramps(s, -1, &l1, &l3) < ramps(s, 1, &l1b, &l3b))
        dir = -1;
    else {
        l1 = l1b;
        l3 = l3b;
    }
    f = dir * s->freq;
    peak = f + l1 * s->max_wander;
    over = peak - s->max_freq;
    if (over > 0.0) {
        /* Cut the top of the triangle at the limit and remove the same area at a
         * constant frequency in between. */
        cut = over / s->max_wander;
        if (cut <= l1) {
            l2 = cut * (2.0 + over / s->max_freq);
        } else {
            /* Already above the limit: no ramp up; keep the frequency f until the
             * ramp down (from f to zero) leaves exactly what remains. */
            cut = l1;
            l2 = cut * (2.0 + cut * s->max_wander / f);
        }
        l1 -= cut;
        l3 -= cut;
    }
    s->stage[0].wander = dir * s->max_wander;
    s->stage[0].length = l1;
    s->stage[1].wander = 0.0;
    s->stage[1].length = l2;
    s->stage[2].wander = -dir * s->max_wander;
    s->stage[2].length = l3;
}

double smooth_get_offset(const struct smooth *s, const struct timespec *now)
{
    double offset, freq;

    if (!s->enabled)
        return 0.0;
    follow(s, now, &offset, &freq, NULL);
    return offset;
}

enum smooth_event smooth_activate(struct smooth *s, const struct timespec *now)
{
    if (!s->enabled || !s->locked)
        return SMOOTH_EV_NONE;
    s->locked = 0;
    s->last_update = *now;
    return SMOOTH_EV_ACTIVATED;
}

/* Add a correction (offset s, relative frequency dfreq) made at now. */
static enum smooth_event accumulate(struct smooth *s, const struct timespec *now, double doffset,
                                    double dfreq, int unlock)
{
    if (s->locked)
        return unlock ? smooth_activate(s, now) : SMOOTH_EV_NONE;
    follow(s, now, &s->offset, &s->freq, NULL);
    /* The served time stays where it was: the offset takes the correction, and the
     * served frequency is kept over the new cooked rate. */
    s->offset += doffset;
    s->freq = (s->freq - dfreq) / (1.0 - dfreq);
    s->last_update = *now;
    plan(s);
    return SMOOTH_EV_NONE;
}

enum smooth_event smooth_on_adjust(struct smooth *s, const struct timespec *now, double dfreq,
                                   double doffset, double skew)
{
    if (!s->enabled)
        return SMOOTH_EV_NONE;
    if (s->leap_only)
        return accumulate(s, now, 0.0, 0.0, 1);
    return accumulate(s, now, doffset, dfreq, skew / s->max_wander < SMOOTH_UNLOCK_RATIO);
}

void smooth_on_clock_change(struct smooth *s, const struct timespec *now, double dfreq,
                            double doffset)
{
    if (!s->enabled || ts_is_zero(&s->last_update))
        return;
    ts_add(&s->last_update, &s->last_update, ts_diff(now, &s->last_update) * dfreq - doffset);
}

enum smooth_event smooth_on_leap(struct smooth *s, const struct timespec *now, int leap)
{
    if (!s->enabled || !s->leap_only)
        return SMOOTH_EV_NONE;
    return accumulate(s, now, leap, 0.0, 1);
}

enum smooth_event smooth_reset(struct smooth *s, const struct timespec *now)
{
    if (!s->enabled)
        return SMOOTH_EV_NONE;
    s->offset = 0.0;
    s->freq = 0.0;
    s->last_update = *now;
    memset(s->stage, 0, sizeof(s->stage));
    return SMOOTH_EV_RESET;
}

int smooth_get_report(const struct smooth *s, const struct timespec *now, struct smooth_report *r)
{
    double ago, total = 0.0;

    if (!s->enabled)
        return 0;
    memset(r, 0, sizeof(*r));
    r->active = !s->locked;
    r->leap_only = s->leap_only;
    follow(s, now, &r->offset, &r->freq_ppm, &r->wander_ppm);
    r->freq_ppm *= -1e6;
    r->wander_ppm *= -1e6;
    ago = ts_diff(now, &s->last_update);
    if (!s->locked && ago >= 0.0) {
        for (int i = 0; i < SMOOTH_STAGES; i++)
            total += s->stage[i].length;
        r->last_update_ago = ago;
        r->remaining_time = ago < total ? total - ago : 0.0;
    }
    return 1;
}
