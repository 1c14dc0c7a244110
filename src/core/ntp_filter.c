#include "core/ntp_filter.h"

#include "core/regress.h"
#include "lib/clamp.h"
#include "lib/mem.h"
#include "lib/ts.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Samples are preselected by dispersion only when there are more than this many. */
#define FILTER_PRESELECT_MIN 4
/* Preselection keeps samples with peer dispersion up to this multiple of the minimum. */
#define FILTER_PRESELECT_RATIO 1.5
/* The long-term variance average switches from a plain to an exponential mean after
 * this many degrees of freedom. */
#define FILTER_AVG_VAR_DOF 50
/* Variances are floored here so that weights and ratios stay finite. */
#define FILTER_MIN_VAR 1e-20

void ntp_filter_init(struct ntp_filter *f, int min_samples, int max_samples, double max_dispersion,
                     double combine_ratio, double precision)
{
    assert(f);
    memset(f, 0, sizeof(*f));
    f->min_samples = clamp_int(min_samples, 1, NTP_FILTER_MAX_SAMPLES);
    f->max_samples = clamp_int(max_samples, 1, NTP_FILTER_MAX_SAMPLES);
    if (f->max_samples < f->min_samples)
        f->max_samples = f->min_samples;
    f->index = -1;
    f->last = -1;
    f->avg_var = precision * precision;
    f->max_var = max_dispersion * max_dispersion;
    f->combine_ratio = clamp_double(combine_ratio, 0.0, 1.0);
    assert(f->min_samples >= 1 && f->min_samples <= f->max_samples &&
           f->max_samples <= NTP_FILTER_MAX_SAMPLES);
    f->samples = xcalloc((size_t)f->max_samples, sizeof(*f->samples));
}

void ntp_filter_fini(struct ntp_filter *f)
{
    free(f->samples);
    f->samples = NULL;
}

void ntp_filter_accumulate(struct ntp_filter *f, const struct ntp_sample *s)
{
    assert(s && f->max_samples >= 1 && f->max_samples <= NTP_FILTER_MAX_SAMPLES);
    f->index = (f->index + 1) % f->max_samples;
    f->last = f->index;
    if (f->used < f->max_samples)
        f->used++;
    assert(f->index >= 0 && f->used >= 1 && f->used <= f->max_samples);
    f->samples[f->index] = *s;
}

int ntp_filter_get_last(const struct ntp_filter *f, struct ntp_sample *out)
{
    if (f->last < 0)
        return 0;
    *out = f->samples[f->last];
    return 1;
}

int ntp_filter_count(const struct ntp_filter *f)
{
    return f->used;
}

int ntp_filter_max_samples(const struct ntp_filter *f)
{
    return f->max_samples;
}

void ntp_filter_drop(struct ntp_filter *f)
{
    f->index = -1;
    f->used = 0;
}

/* Position of a slot in arrival order (0 = oldest). */
static int age_rank(const struct ntp_filter *f, int slot)
{
    assert(f->used > 0 && slot >= 0 && slot < f->used);
    return (slot - f->index - 1 + 2 * f->used) % f->used;
}

static void sort_slots(const struct ntp_filter *f, int *slots, int n, int by_offset)
{
    for (int i = 1; i < n; i++) {
        int v = slots[i], j = i;
        for (; j > 0; j--) {
            int u = slots[j - 1];
            int later = by_offset ? f->samples[u].offset > f->samples[v].offset
                                  : age_rank(f, u) > age_rank(f, v);
            if (!later)
                break;
            slots[j] = u;
        }
        slots[j] = v;
    }
}

/* Choose the samples to combine: with more than four samples prefer those with small
 * dispersion, then keep the ones around the median offset. The result is in arrival
 * order. Returns how many were selected (0 if too few samples). */
static int select_samples(const struct ntp_filter *f, int *sel)
{
    int n = 0;
    if (f->used < f->min_samples || f->used < 1)
        return 0;
    if (f->used > FILTER_PRESELECT_MIN) {
        double min_disp = f->samples[0].peer_dispersion;
        for (int i = 1; i < f->used; i++)
            if (f->samples[i].peer_dispersion < min_disp)
                min_disp = f->samples[i].peer_dispersion;
        for (int i = 0; i < f->used; i++)
            if (f->samples[i].peer_dispersion <= FILTER_PRESELECT_RATIO * min_disp)
                sel[n++] = i;
    }
    if (n < FILTER_PRESELECT_MIN) {
        for (n = 0; n < f->used; n++)
            sel[n] = n;
    }
    sort_slots(f, sel, n, 1);

    int from = 0;
    if (n > 2) {
        from = (int)(n * (1.0 - f->combine_ratio) / 2.0);
        from = clamp_int(from, 1, (n - 1) / 2);
    }
    int kept = n - 2 * from;
    assert(from >= 0 && kept >= 1 && kept <= n);
    memmove(sel, sel + from, (size_t)kept * sizeof(*sel));
    sort_slots(f, sel, kept, 0);
    return kept;
}

/* 90 % quantile of the chi-square distribution for 1..64 degrees of freedom. */
static double chi2_quantile90(int dof)
{
    static const double q[] = {
        2.706,  4.605,  6.251,  7.779,  9.236,  10.645, 12.017, 13.362, 14.684, 15.987, 17.275,
        18.549, 19.812, 21.064, 22.307, 23.542, 24.769, 25.989, 27.204, 28.412, 29.615, 30.813,
        32.007, 33.196, 34.382, 35.563, 36.741, 37.916, 39.087, 40.256, 41.422, 42.585, 43.745,
        44.903, 46.059, 47.212, 48.363, 49.513, 50.660, 51.805, 52.949, 54.090, 55.230, 56.369,
        57.505, 58.641, 59.774, 60.907, 62.038, 63.167, 64.295, 65.422, 66.548, 67.673, 68.796,
        69.919, 71.040, 72.160, 73.279, 74.397, 75.514, 76.630, 77.745, 78.860};
    if (dof < 1)
        dof = 1;
    if (dof <= (int)(sizeof(q) / sizeof(q[0])))
        return q[dof - 1];
    return 1.2 * dof;
}

/* Spread of the selected offsets: variance, dispersion (s) and degrees of freedom. */
static void estimate_spread(const struct ntp_filter *f, const double *x, const double *y,
                            const double *w, int n, double mean_y, double *var, double *disp,
                            int *dof)
{
    struct regress_fit fit;
    if (n >= 4 && regress_weighted(x, y, w, n, &fit)) {
        *var = fit.variance;
        *disp = fit.intercept_sd;
        *dof = fit.dof;
    } else if (n >= 2) {
        double ss = 0.0;
        for (int i = 0; i < n; i++)
            ss += (y[i] - mean_y) * (y[i] - mean_y);
        *var = ss / (n - 1);
        *disp = sqrt(*var);
        *dof = n - 1;
    } else {
        *var = f->avg_var;
        *disp = sqrt(*var);
        *dof = 1;
    }
    if (*var < FILTER_MIN_VAR) {
        *var = FILTER_MIN_VAR;
        *disp = sqrt(*var);
    }
}

/* Fold a new variance estimate into the long-term average; returns the previous one. */
static double update_avg_var(struct ntp_filter *f, double var, int dof)
{
    double prev = f->avg_var;
    if (f->avg_var_n > FILTER_AVG_VAR_DOF) {
        f->avg_var += dof / (dof + (double)FILTER_AVG_VAR_DOF) * (var - f->avg_var);
    } else {
        f->avg_var = (f->avg_var * f->avg_var_n + var * dof) / (dof + f->avg_var_n);
        if (f->avg_var_n == 0)
            prev = f->avg_var;
        f->avg_var_n += dof;
    }
    return prev;
}

static int combine(struct ntp_filter *f, const int *sel, int n, struct ntp_sample *out)
{
    double x[NTP_FILTER_MAX_SAMPLES], y[NTP_FILTER_MAX_SAMPLES], w[NTP_FILTER_MAX_SAMPLES];
    assert(n >= 1 && n <= NTP_FILTER_MAX_SAMPLES);
    const struct ntp_sample *newest = &f->samples[sel[n - 1]];
    double mean_x = 0.0, mean_y = 0.0;
    for (int i = 0; i < n; i++) {
        const struct ntp_sample *s = &f->samples[sel[i]];
        x[i] = ts_diff(&s->time, &newest->time);
        y[i] = s->offset;
        w[i] = s->peer_dispersion > FILTER_MIN_VAR ? s->peer_dispersion : FILTER_MIN_VAR;
        mean_x += x[i];
        mean_y += y[i];
    }
    mean_x /= n;
    mean_y /= n;
    for (int i = 0; i < n; i++)
        x[i] -= mean_x;

    double var, disp;
    int dof;
    estimate_spread(f, x, y, w, n, mean_y, &var, &disp, &dof);
    if (f->max_var > 0.0 && var > f->max_var)
        return 0;
    double prev_avg = update_avg_var(f, var, dof);
    /* Unless this estimate is clearly below the long-term average, use the average:
     * it is less noisy, which steadies the weights in source statistics. */
    if (var * dof / chi2_quantile90(dof) < prev_avg)
        disp = sqrt(f->avg_var) * disp / sqrt(var);

    double pdisp = 0.0, rdisp = 0.0, pdelay = 0.0, rdelay = 0.0;
    for (int i = 0; i < n; i++) {
        const struct ntp_sample *s = &f->samples[sel[i]];
        pdisp += s->peer_dispersion;
        rdisp += s->root_dispersion;
        pdelay += s->peer_delay;
        rdelay += s->root_delay;
    }
    ts_add(&out->time, &newest->time, mean_x);
    out->offset = mean_y;
    out->peer_dispersion = fmax(disp, pdisp / n);
    out->root_dispersion = fmax(disp, rdisp / n);
    out->peer_delay = pdelay / n;
    out->root_delay = rdelay / n;
    out->stratum = newest->stratum;
    out->leap = newest->leap;
    return 1;
}

int ntp_filter_get_sample(struct ntp_filter *f, struct ntp_sample *out)
{
    int sel[NTP_FILTER_MAX_SAMPLES];
    assert(out);
    int n = select_samples(f, sel);
    if (n < 1 || !combine(f, sel, n, out))
        return 0;
    ntp_filter_drop(f);
    return 1;
}

void ntp_filter_slew(struct ntp_filter *f, const struct timespec *when, double dfreq,
                     double doffset)
{
    if (f->last < 0)
        return;
    /* The newest sample may be returned by ntp_filter_get_last() after a drop,
     * so it is kept on the current timescale too. */
    int first = f->used > 0 ? 0 : f->last, last = f->used > 0 ? f->used - 1 : f->last;
    for (int i = first; i <= last; i++) {
        struct ntp_sample *s = &f->samples[i];
        double delta = ts_diff(when, &s->time) * dfreq - doffset;
        ts_add(&s->time, &s->time, delta);
        /* Local time moved by delta, so local-minus-remote grows by delta. */
        s->offset += delta;
    }
}

void ntp_filter_correct_offset(struct ntp_filter *f, double doffset)
{
    if (f->last < 0)
        return;
    int first = f->used > 0 ? 0 : f->last, last = f->used > 0 ? f->used - 1 : f->last;
    for (int i = first; i <= last; i++)
        f->samples[i].offset += doffset;
}
