/* Per-source statistics; see sourcestats.h. */
#include "core/sourcestats.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/regress.h"
#include "lib/clamp.h"
#include "lib/mem.h"
#include "lib/ts.h"

/* Bounds of the skew and frequency sd estimates (chrony's MIN_SKEW/MAX_SKEW). */
#define MIN_SKEW 1.0e-12
#define MAX_SKEW 1.0e+02
/* Floor of the reported standard deviation. */
#define MIN_STDDEV 1.0e-9
/* Largest asymmetry: all jitter on one direction of the path. */
#define MAX_ASYMMETRY 0.5
/* Smallest estimated asymmetry that counts towards enabling the correction. */
#define MIN_ASYMMETRY 0.45
/* Consecutive same-sign estimates needed before correcting, and the cap. */
#define MIN_ASYMMETRY_RUN 10
#define MAX_ASYMMETRY_RUN 1000
/* Assumed ratio of sample jitter to the spread of peer distances: the spread
 * (median - minimum) divided by this gives the sd used to weight samples. */
#define SD_TO_DIST_RATIO 0.7
/* Tracking fit (beyond chrony): the variance of a sample is multiplied by
 * exp(age / (TRACKING_AGE_SCALE * span)), age measured back from the newest
 * sample and span = age of the oldest sample kept by the runs test. Applied
 * only from TRACKING_MIN_POINTS samples on, where the fit has points to spare. */
#define TRACKING_AGE_SCALE 0.15
#define TRACKING_MIN_POINTS 5
/* Room for the fitted samples plus older ones kept for the runs test. */
#define CAPACITY (SOURCESTATS_MAX_SAMPLES * REGRESS_RUNS_RATIO)

struct sourcestats {
    struct sourcestats_params p;
    /* Oldest first: s[0 .. runs-1] are older samples used only to extend the
     * runs test (time, offset, peer_delay valid); s[runs .. runs+n-1] are the
     * regression set. */
    /* cap slots (at most CAPACITY), grown as samples come: a source that never gets a
     * sample (offline, unresolved) holds none. */
    struct sourcestats_sample *s;
    int cap;
    int runs;
    int n;
    int regression_ok;
    int best; /* index in the regression set of the sample with least distance */
    int stratum;
    int leap;
    struct timespec offset_time;
    double est_offset; /* local fast positive, at offset_time */
    double est_offset_sd;
    /* Tracking estimate (see fit_tracking): what the clock is steered by. */
    double trk_offset; /* local fast positive, at offset_time */
    double trk_freq;   /* s/s, local fast positive */
    double trk_skew;   /* bound of trk_freq's error, as skew */
    double freq;       /* local gain on the source, s/s */
    double freq_sd;
    double skew;
    double std_dev;
    int n_runs;
    int dropped;
    int asym_run; /* signed count of consecutive same-sign asymmetry estimates */
    double asym;
    double stress; /* of the last regression, for statistics.log */
};

/* The shape of the history, true between any two calls. */
static void check_history(const struct sourcestats *st)
{
    assert(st->n >= 0 && st->n <= SOURCESTATS_MAX_SAMPLES);
    assert(st->runs >= 0 && st->runs + st->n <= CAPACITY);
    assert(st->best >= 0 && (st->best < st->n || st->best == 0));
}

static struct sourcestats_sample *reg(struct sourcestats *st, int i)
{
    assert(i >= 0 && st->runs + i < CAPACITY);
    return &st->s[st->runs + i];
}

static const struct sourcestats_sample *creg(const struct sourcestats *st, int i)
{
    assert(i >= 0 && i < st->n);
    return &st->s[st->runs + i];
}

void sourcestats_params_default(struct sourcestats_params *p)
{
    p->min_samples = 6;
    p->max_samples = 0;
    p->min_delay = 0.0;
    p->asymmetry = 1.0;
    p->precision = 1.0e-9;
}

struct sourcestats *sourcestats_new(const struct sourcestats_params *p)
{
    struct sourcestats *st;

    assert(p);
    st = xcalloc(1, sizeof(*st));
    st->p = *p;
    sourcestats_reset(st);
    return st;
}

void sourcestats_free(struct sourcestats *st)
{
    if (!st)
        return;
    free(st->s);
    free(st);
}

/* Room for `need` samples (need <= CAPACITY). */
static void reserve(struct sourcestats *st, int need)
{
    int cap = st->cap ? st->cap : 8;

    assert(need <= CAPACITY);
    if (need <= st->cap)
        return;
    while (cap < need)
        cap *= 2;
    if (cap > CAPACITY)
        cap = CAPACITY;
    st->s = xrealloc(st->s, (size_t)cap * sizeof(*st->s));
    st->cap = cap;
}

void sourcestats_reset(struct sourcestats *st)
{
    st->runs = 0;
    st->n = 0;
    st->regression_ok = 0;
    st->best = 0;
    st->freq = 0.0;
    st->freq_sd = SOURCESTATS_WORST_FREQ_BOUND;
    st->skew = SOURCESTATS_WORST_FREQ_BOUND;
    st->est_offset = 0.0;
    st->trk_offset = 0.0;
    st->trk_freq = 0.0;
    st->trk_skew = SOURCESTATS_WORST_FREQ_BOUND;
    st->est_offset_sd = SOURCESTATS_INITIAL_STDDEV;
    st->offset_time.tv_sec = 0;
    st->offset_time.tv_nsec = 0;
    st->std_dev = SOURCESTATS_INITIAL_STDDEV;
    st->n_runs = 0;
    st->dropped = 0;
    st->asym_run = 0;
    st->asym = 0.0;
    st->stratum = 0;
    st->leap = 3;
}

/* Drop the k oldest samples from the oldest end of s[]. */
static void drop_oldest(struct sourcestats *st, int k)
{
    int total = st->runs + st->n;

    assert(k >= 0 && k <= total);
    memmove(&st->s[0], &st->s[k], (size_t)(total - k) * sizeof(st->s[0]));
}

/* Move the k oldest regression samples to the runs-test extension, keeping at
 * most (RATIO - 1) times the regression set there. */
static void prune(struct sourcestats *st, int k)
{
    int excess;

    if (k <= 0)
        return;
    assert(k <= st->n);
    st->n -= k;
    st->runs += k;
    excess = st->runs - st->n * (REGRESS_RUNS_RATIO - 1);
    if (excess > 0) {
        drop_oldest(st, excess);
        st->runs -= excess;
    }
}

enum sourcestats_add_result sourcestats_add_sample(struct sourcestats *st,
                                                   const struct timespec *sample_time,
                                                   double offset, double peer_delay,
                                                   double peer_dispersion, double root_delay,
                                                   double root_dispersion, int stratum, int leap)
{
    enum sourcestats_add_result r = SOURCESTATS_ADDED;
    struct sourcestats_sample *x;

    assert(st && sample_time);
    check_history(st);
    /* One bad value would poison every later regression. */
    if (!isfinite(offset) || !isfinite(peer_delay) || !isfinite(peer_dispersion) ||
        !isfinite(root_delay) || !isfinite(root_dispersion))
        return SOURCESTATS_REJECTED;
    if (st->n > 0 && (st->n >= SOURCESTATS_MAX_SAMPLES || st->n == st->p.max_samples))
        prune(st, 1);
    if (st->n > 0 && ts_cmp(&reg(st, st->n - 1)->time, sample_time) >= 0) {
        sourcestats_reset(st);
        r = SOURCESTATS_ADDED_OUT_OF_ORDER;
    }
    if (st->runs + st->n >= CAPACITY) { /* not reached with the pruning rule */
        drop_oldest(st, 1);
        st->runs--;
    }
    assert(st->runs + st->n < CAPACITY);
    reserve(st, st->runs + st->n + 1);
    x = reg(st, st->n);
    x->time = *sample_time;
    ts_normalise(&x->time);
    x->offset = offset;
    x->orig_offset = offset;
    /* mindelay: a delay below the configured minimum is mirrored above it, as
     * it can only come from timestamping error. */
    if (peer_delay < st->p.min_delay)
        peer_delay = 2.0 * st->p.min_delay - peer_delay;
    x->peer_delay = peer_delay;
    x->peer_dispersion = peer_dispersion;
    x->root_delay = root_delay;
    x->root_dispersion = root_dispersion;
    st->stratum = stratum;
    st->leap = leap;
    st->n++;
    check_history(st);
    return r;
}

double sourcestats_min_round_trip_delay(const struct sourcestats *st)
{
    double d = DBL_MAX;
    int i;

    if (st->p.min_delay > 0.0)
        return st->p.min_delay;
    for (i = 0; i < st->runs + st->n; i++)
        if (st->s[i].peer_delay < d)
            d = st->s[i].peer_delay;
    return d;
}

/* Weight of each regression sample from its peer distance: samples whose
 * distance exceeds the minimum by k sd get variance (1 + k)^2. */
static void compute_weights(struct sourcestats *st, double *w)
{
    double dist[SOURCESTATS_MAX_SAMPLES], tmp[SOURCESTATS_MAX_SAMPLES];
    double min_dist = DBL_MAX, median, sd, k;
    int i;

    for (i = 0; i < st->n; i++) {
        dist[i] = 0.5 * reg(st, i)->peer_delay + reg(st, i)->peer_dispersion;
        tmp[i] = dist[i];
        if (dist[i] < min_dist)
            min_dist = dist[i];
    }
    median = regress_median(tmp, st->n);
    sd = (median - min_dist) / SD_TO_DIST_RATIO;
    if (sd > min_dist)
        sd = min_dist;
    if (sd < st->p.precision)
        sd = st->p.precision;
    min_dist += st->p.precision;
    for (i = 0; i < st->n; i++) {
        k = 1.0;
        if (dist[i] > min_dist)
            k += (dist[i] - min_dist) / sd;
        w[i] = k * k;
    }
}

/* chrony's asymmetry estimation: the slope of offset against delay in a fit
 * of offset = a + b * time + asym * delay. Applied only after a long run of
 * significant estimates of the same sign. Returns 1 if asym is to be used. */
static int estimate_asymmetry(struct sourcestats *st, const double *times, const double *delays,
                              const double *offsets, int total)
{
    double a;

    if (!regress_multiple(times, delays, offsets, total, &a) || a * st->asym_run < 0.0) {
        st->asym = 0.0;
        st->asym_run = 0;
        return 0;
    }
    if (a <= -MIN_ASYMMETRY && st->asym_run > -MAX_ASYMMETRY_RUN)
        st->asym_run--;
    else if (a >= MIN_ASYMMETRY && st->asym_run < MAX_ASYMMETRY_RUN)
        st->asym_run++;
    if (abs(st->asym_run) < MIN_ASYMMETRY_RUN)
        return 0;
    st->asym = a < -MAX_ASYMMETRY ? -MAX_ASYMMETRY : a > MAX_ASYMMETRY ? MAX_ASYMMETRY : a;
    return 1;
}

/* Move each offset to what it would be at the minimum delay, given the
 * asymmetry of the jitter (fixed or estimated). */
static void correct_asymmetry(struct sourcestats *st, const double *times, double *offsets)
{
    double delays[CAPACITY], min_delay;
    int i, total = st->runs + st->n;

    if (st->p.asymmetry == 0.0 || total == 0)
        return;
    min_delay = sourcestats_min_round_trip_delay(st);
    for (i = 0; i < total; i++)
        delays[i] = st->s[i].peer_delay - min_delay;
    if (fabs(st->p.asymmetry) <= MAX_ASYMMETRY)
        st->asym = st->p.asymmetry;
    else if (!estimate_asymmetry(st, times, delays, offsets, total))
        return;
    for (i = 0; i < total; i++)
        offsets[i] -= st->asym * delays[i];
}

/* Choose the regression sample with the least root distance at the time of
 * the newest sample, given the current skew. */
static void find_best_sample(struct sourcestats *st)
{
    const struct timespec *last;
    double best = DBL_MAX, d;
    int i;

    st->best = 0;
    if (st->n == 0)
        return;
    last = &reg(st, st->n - 1)->time;
    for (i = 0; i < st->n; i++) {
        d = reg(st, i)->root_dispersion + ts_diff(last, &reg(st, i)->time) * st->skew +
            0.5 * reg(st, i)->root_delay;
        if (d < best) {
            best = d;
            st->best = i;
        }
    }
}

static void apply_fit(struct sourcestats *st, const struct regress_fit *f)
{
    st->freq = f->slope;
    st->freq_sd = clamp_double(f->slope_sd, MIN_SKEW, MAX_SKEW);
    st->skew = clamp_double(f->slope_sd * regress_t_coef(f->dof), MIN_SKEW, MAX_SKEW);
    st->est_offset = f->intercept;
    st->offset_time = reg(st, st->n - 1)->time;
    st->est_offset_sd = f->intercept_sd;
    st->std_dev = sqrt(f->variance) > MIN_STDDEV ? sqrt(f->variance) : MIN_STDDEV;
    st->n_runs = f->n_runs;
    st->dropped = f->start;
    prune(st, f->start);
}

/* The estimate the clock is steered by (beyond chrony). chrony's fit weighs
 * every sample kept by the runs test alike whatever its age, but the clock's
 * frequency wanders (a random walk), so old samples describe a line that no
 * longer holds and the intercept at the newest sample lags. Refitting the
 * same samples (the n_kept newest of the n candidates in x, y, w) with the
 * variance of each grown exponentially with its age tracks the wander
 * without sending more requests. The span sets the scale, so a long history
 * (noisy path, quiet clock: the runs test keeps many samples) still averages
 * over many samples. chrony's fit stays in the reports, the selection and
 * the poll adjustment; with too few samples the tracking estimate is
 * chrony's too. */
static void fit_tracking(struct sourcestats *st, const double *x, const double *y, const double *w,
                         int n, int n_kept)
{
    double wt[SOURCESTATS_MAX_SAMPLES], scale;
    struct regress_fit f;
    int i;

    st->trk_offset = st->est_offset;
    st->trk_freq = st->freq;
    st->trk_skew = st->skew;
    if (n_kept < TRACKING_MIN_POINTS || n_kept > n)
        return;
    x += n - n_kept;
    y += n - n_kept;
    w += n - n_kept;
    scale = TRACKING_AGE_SCALE * -x[0]; /* x <= 0: time relative to the newest */
    if (!(scale > 0.0))
        return;
    for (i = 0; i < n_kept; i++)
        wt[i] = w[i] * exp(-x[i] / scale);
    if (regress_weighted(x, y, wt, n_kept, &f) && isfinite(f.intercept) && isfinite(f.slope)) {
        st->trk_offset = f.intercept;
        st->trk_freq = f.slope;
        st->trk_skew = clamp_double(f.slope_sd * regress_t_coef(f.dof), MIN_SKEW, MAX_SKEW);
    }
}

/* Too few samples for a regression (or it failed), as chrony 4.8 does: the
 * offset estimate is the newest sample's offset at its time, the frequency
 * estimate is kept (chrony keeps its previous one), and the error figures are
 * the worst case. With maxsamples 1 or 2 this is the only estimate there
 * ever is (chronyd -q), so it must not stay at zero. */
static void no_regression(struct sourcestats *st)
{
    st->freq_sd = SOURCESTATS_WORST_FREQ_BOUND;
    st->skew = SOURCESTATS_WORST_FREQ_BOUND;
    st->est_offset_sd = SOURCESTATS_INITIAL_STDDEV;
    st->std_dev = SOURCESTATS_INITIAL_STDDEV;
    st->n_runs = 0;
    if (st->n > 0) {
        st->est_offset = reg(st, st->n - 1)->offset;
        st->offset_time = reg(st, st->n - 1)->time;
    } else {
        st->est_offset = 0.0;
        st->offset_time.tv_sec = 0;
        st->offset_time.tv_nsec = 0;
    }
    st->trk_offset = st->est_offset;
    st->trk_freq = st->freq;
    st->trk_skew = st->skew;
}

int sourcestats_do_regression(struct sourcestats *st, struct sourcestats_estimate *out)
{
    double times[CAPACITY], offsets[CAPACITY], w[SOURCESTATS_MAX_SAMPLES];
    struct regress_fit fit;
    int i, total = st->runs + st->n, m = st->runs, n = st->n;
    double old_freq = st->freq, old_skew = st->skew;

    check_history(st);
    st->dropped = 0;
    for (i = 0; i < total; i++) {
        /* x = time relative to the newest sample (<= 0), so the intercept is
         * the offset at the newest sample. */
        times[i] = ts_diff(&st->s[i].time, &st->s[total - 1].time);
        offsets[i] = st->s[i].offset;
    }
    if (st->n > 0)
        compute_weights(st, w);
    correct_asymmetry(st, times, offsets);
    st->regression_ok =
        st->n >= REGRESS_MIN_POINTS &&
        regress_find_best(times, offsets, w, st->n, st->runs, st->p.min_samples, &fit);
    if (st->regression_ok) {
        assert(fit.start >= 0 && fit.n_points == n - fit.start);
        apply_fit(st, &fit);
        st->stress = old_skew > 0.0 ? fabs(old_freq - st->freq) / old_skew : 0.0;
        fit_tracking(st, times + m, offsets + m, w, n, fit.n_points);
    } else {
        no_regression(st);
    }
    find_best_sample(st);
    check_history(st);
    if (out)
        sourcestats_get_estimate(st, out);
    return st->regression_ok;
}

void sourcestats_get_estimate(const struct sourcestats *st, struct sourcestats_estimate *out)
{
    out->ok = st->regression_ok;
    out->ref_time = st->offset_time;
    out->offset = st->est_offset;
    out->offset_sd = st->est_offset_sd;
    out->frequency = st->freq;
    out->frequency_sd = st->freq_sd;
    out->skew = st->skew;
    out->std_dev = st->std_dev;
    out->n_samples = st->n;
    out->n_runs = st->n_runs;
    out->dropped = st->dropped;
    out->asymmetry = st->asym;
    out->tracking_offset = st->trk_offset;
    out->tracking_frequency = st->trk_freq;
}

int sourcestats_get_selection(const struct sourcestats *st, const struct timespec *now,
                              struct sourcestats_selection *out)
{
    const struct sourcestats_sample *b;
    double elapsed;

    memset(out, 0, sizeof(*out));
    if (st->n == 0)
        return 0;
    b = creg(st, st->best);
    elapsed = fabs(ts_diff(now, &b->time));
    out->offset = b->offset + elapsed * st->freq;
    out->root_distance = 0.5 * b->root_delay + b->root_dispersion + elapsed * st->skew;
    out->lo_limit = out->offset - out->root_distance;
    out->hi_limit = out->offset + out->root_distance;
    out->std_dev = st->std_dev;
    out->first_sample_ago = ts_diff(now, &creg(st, 0)->time);
    out->last_sample_ago = ts_diff(now, &creg(st, st->n - 1)->time);
    out->stratum = st->stratum;
    out->leap = st->leap;
    out->n_samples = st->n;
    out->select_ok = st->regression_ok;
    /* maxsamples 1 or 2 can never give a regression: chrony then makes the
     * source selectable anyway (fast update / print-once modes -q, -Q). */
    if (!out->select_ok && st->n < REGRESS_MIN_POINTS && st->n == st->p.max_samples) {
        out->std_dev = 0.0;
        out->select_ok = 1;
    }
    return 1;
}

int sourcestats_get_log(const struct sourcestats *st, struct sourcestats_log *out)
{
    if (!st->regression_ok)
        return 0;
    out->std_dev = st->std_dev;
    out->est_offset = st->est_offset;
    out->est_offset_sd = st->est_offset_sd;
    out->freq = st->freq;
    out->skew = st->skew;
    out->stress = st->stress;
    out->n_samples = st->n;
    out->dropped = st->dropped;
    out->n_runs = st->n_runs;
    out->asym = st->asym;
    return 1;
}

int sourcestats_get_tracking(const struct sourcestats *st, struct sourcestats_tracking *out)
{
    const struct sourcestats_sample *b;

    memset(out, 0, sizeof(*out));
    if (st->n == 0)
        return 0;
    b = creg(st, st->best);
    out->ref_time = st->offset_time;
    out->offset = st->trk_offset;
    out->offset_sd = st->est_offset_sd;
    out->frequency = st->trk_freq;
    out->frequency_sd = st->freq_sd;
    /* The weighted fit rests on fewer effective samples than chrony's: its
     * frequency comes with its own, wider bound, so the discipline gives it no
     * more weight than it deserves. */
    out->skew = st->trk_skew > st->skew ? st->trk_skew : st->skew;
    out->root_delay = b->root_delay;
    out->root_dispersion =
        b->root_dispersion + st->skew * ts_diff(&st->offset_time, &b->time) + st->est_offset_sd;
    return 1;
}

void sourcestats_slew_samples(struct sourcestats *st, const struct timespec *when, double dfreq,
                              double doffset)
{
    double delta;
    int i;

    assert(st && when);
    if (st->n == 0)
        return;
    for (i = 0; i < st->runs + st->n; i++) {
        delta = ts_diff(when, &st->s[i].time) * dfreq - doffset;
        ts_add(&st->s[i].time, &st->s[i].time, delta);
        st->s[i].offset += delta;
    }
    delta = ts_diff(when, &st->offset_time) * dfreq - doffset;
    ts_add(&st->offset_time, &st->offset_time, delta);
    st->est_offset += delta;
    st->trk_offset += delta;
    st->freq = (st->freq - dfreq) / (1.0 - dfreq);
    st->trk_freq = (st->trk_freq - dfreq) / (1.0 - dfreq);
}

void sourcestats_add_dispersion(struct sourcestats *st, double dispersion)
{
    int i;

    for (i = 0; i < st->n; i++) {
        reg(st, i)->root_dispersion += dispersion;
        reg(st, i)->peer_dispersion += dispersion;
    }
}

void sourcestats_correct_offset(struct sourcestats *st, double doffset)
{
    int i;

    if (st->n == 0)
        return;
    for (i = 0; i < st->runs + st->n; i++)
        st->s[i].offset += doffset;
    st->est_offset += doffset;
    st->trk_offset += doffset;
}

double sourcestats_predict_offset(const struct sourcestats *st, const struct timespec *when)
{
    if (st->n < REGRESS_MIN_POINTS)
        return st->n > 0 ? creg(st, st->n - 1)->offset : 0.0;
    /* Beyond chrony: the tracking estimate, which predicts better when the
     * clock wanders, so the poll adjustment (which compares a new sample
     * with this prediction) shortens the interval less often for nothing. */
    return st->trk_offset + ts_diff(when, &st->offset_time) * st->trk_freq;
}

void sourcestats_get_frequency_range(const struct sourcestats *st, double *lo, double *hi)
{
    /* Used for the NTP dispersion tests: cap the range so that an unknown
     * frequency does not fail them too easily. */
    if (st->skew > SOURCESTATS_WORST_FREQ_BOUND) {
        *lo = -SOURCESTATS_WORST_FREQ_BOUND;
        *hi = SOURCESTATS_WORST_FREQ_BOUND;
        return;
    }
    *lo = st->freq - st->skew;
    *hi = st->freq + st->skew;
}

int sourcestats_get_delay_test_data(const struct sourcestats *st,
                                    const struct timespec *sample_time, double *last_sample_ago,
                                    double *predicted_offset, double *min_delay, double *skew,
                                    double *std_dev)
{
    if (st->n < 6)
        return 0;
    *last_sample_ago = ts_diff(sample_time, &st->offset_time);
    *predicted_offset = st->est_offset + *last_sample_ago * st->freq;
    *min_delay = sourcestats_min_round_trip_delay(st);
    *skew = st->skew;
    *std_dev = st->std_dev;
    return 1;
}

int sourcestats_min_samples(const struct sourcestats *st)
{
    return st->p.min_samples;
}

int sourcestats_samples(const struct sourcestats *st)
{
    return st->n;
}

double sourcestats_get_asymmetry(const struct sourcestats *st)
{
    return st->asym;
}

void sourcestats_get_report(const struct sourcestats *st, const struct timespec *now,
                            struct sourcestats_report *out)
{
    const struct sourcestats_sample *last, *b;

    memset(out, 0, sizeof(*out));
    out->n_samples = (uint32_t)st->n;
    out->n_runs = (uint32_t)st->n_runs;
    if (st->n > 1) {
        last = creg(st, st->n - 1);
        /* Clamped: steps slewed into the history can stretch the span past
         * what the 32-bit field holds (converting that would be undefined). */
        out->span_seconds = (uint32_t)clamp_double(ts_diff(&last->time, &creg(st, 0)->time) + 0.5,
                                                   0.0, (double)UINT32_MAX);
        if (st->n > 3) {
            b = creg(st, st->best);
            out->est_offset = st->est_offset + ts_diff(now, &st->offset_time) * st->freq;
            out->est_offset_err = st->est_offset_sd + ts_diff(now, &b->time) * st->skew +
                                  0.5 * b->root_delay + b->root_dispersion;
        } else {
            out->est_offset = last->offset;
            out->est_offset_err = 0.5 * last->root_delay + last->root_dispersion;
        }
    }
    out->resid_freq_ppm = 1.0e6 * st->freq;
    out->skew_ppm = 1.0e6 * st->skew;
    out->sd = st->std_dev;
}

void sourcestats_get_source_report(const struct sourcestats *st, const struct timespec *now,
                                   struct sourcestats_source_report *out)
{
    const struct sourcestats_sample *last;
    struct timespec t;
    double ago;

    memset(out, 0, sizeof(*out));
    if (st->n == 0) {
        out->latest_meas_ago = 0xFFFFFFFFu;
        return;
    }
    last = creg(st, st->n - 1);
    out->has_sample = 1;
    out->orig_latest_meas = last->orig_offset;
    out->latest_meas = last->offset;
    out->latest_meas_err = 0.5 * last->root_delay + last->root_dispersion;
    out->stratum = st->stratum;
    /* Whole seconds of the sample time only, not to leak the receive time. */
    t = last->time;
    t.tv_nsec = 0;
    ago = ts_diff(now, &t);
    out->latest_meas_ago = ago <= 0.0 ? 0 : ago >= 4294967295.0 ? 0xFFFFFFFFu : (uint32_t)ago;
}

int sourcestats_get_sample(const struct sourcestats *st, int i, struct sourcestats_sample *out)
{
    if (i < 0 || i >= st->n)
        return 0;
    *out = *creg(st, i);
    return 1;
}

int sourcestats_get_asymmetry_run(const struct sourcestats *st)
{
    return st->asym_run;
}

int sourcestats_load_samples(struct sourcestats *st, const struct sourcestats_sample *s, int n,
                             int stratum, int leap, int asymmetry_run)
{
    int i;

    assert(st && (s || n <= 0));
    sourcestats_reset(st);
    if (n < 0 || n > SOURCESTATS_MAX_SAMPLES)
        return 0;
    for (i = 1; i < n; i++)
        if (ts_cmp(&s[i - 1].time, &s[i].time) >= 0)
            return 0;
    if (n > 0)
        reserve(st, n);
    for (i = 0; i < n; i++)
        st->s[i] = s[i];
    st->n = n;
    st->stratum = stratum;
    st->leap = leap;
    if (asymmetry_run >= -MAX_ASYMMETRY_RUN && asymmetry_run <= MAX_ASYMMETRY_RUN)
        st->asym_run = asymmetry_run;
    if (n > 0)
        sourcestats_do_regression(st, NULL);
    return 1;
}
