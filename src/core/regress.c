/* Weighted regression with a runs test; see regress.h. */
#include "core/regress.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* Largest c with P(R <= c) <= 0.05 for the number of runs R among n signs of
 * which floor(n/2) are of one kind, under the hypothesis of random order.
 * Computed exactly from the run-count distribution (Wald & Wolfowitz 1940);
 * index = n, 0 where no count is rare enough to reject. */
static const unsigned char critical_runs_5pct[REGRESS_MAX_POINTS + 1] = {
    0,  0,  0,  0,  0,  0,  0,  0,  2,  2,  3,  3,  3,  4,  4,  4,  5,  5,  6,  6,  6,  7,
    7,  8,  8,  9,  9,  9,  10, 10, 11, 11, 11, 12, 12, 13, 13, 14, 14, 14, 15, 15, 16, 16,
    17, 17, 17, 18, 18, 19, 19, 20, 20, 21, 21, 21, 22, 22, 23, 23, 24, 24, 25, 25, 25, 26,
    26, 27, 27, 28, 28, 29, 29, 30, 30, 30, 31, 31, 32, 32, 33, 33, 34, 34, 35, 35, 35, 36,
    36, 37, 37, 38, 38, 39, 39, 40, 40, 40, 41, 41, 42, 42, 43, 43, 44, 44, 45, 45, 45, 46,
    46, 47, 47, 48, 48, 49, 49, 50, 50, 51, 51, 51, 52, 52, 53, 53, 54, 54, 55};

/* One-sided 99.95 % quantiles of Student's t for 1..40 degrees of freedom,
 * computed from the regularised incomplete beta function. */
static const double t_9995[40] = {
    636.6192, 31.5991, 12.9240, 8.6103, 6.8688, 5.9588, 5.4079, 5.0413, 4.7809, 4.5869,
    4.4370,   4.3178,  4.2208,  4.1405, 4.0728, 4.0150, 3.9651, 3.9216, 3.8834, 3.8495,
    3.8193,   3.7921,  3.7676,  3.7454, 3.7251, 3.7066, 3.6896, 3.6739, 3.6594, 3.6460,
    3.6335,   3.6218,  3.6109,  3.6007, 3.5911, 3.5821, 3.5737, 3.5657, 3.5581, 3.5510};

double regress_t_coef(int dof)
{
    /* Normal 99.95 % quantile, corrected for finite dof with the Cornish-Fisher
     * expansion (Abramowitz & Stegun 26.7.5); error < 1e-6 for dof > 40. */
    const double z = 3.290526731491926;
    double v, z2, z3, z5, z7, z9;

    if (dof < 1)
        return t_9995[0];
    if (dof <= 40)
        return t_9995[dof - 1];
    v = dof;
    z2 = z * z;
    z3 = z2 * z;
    z5 = z3 * z2;
    z7 = z5 * z2;
    z9 = z7 * z2;
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v) +
           (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v * v * v * v);
}

int regress_critical_runs(int n)
{
    if (n < 0)
        return 0;
    if (n > REGRESS_MAX_POINTS) /* the table grows by ~0.43 per point */
        return critical_runs_5pct[REGRESS_MAX_POINTS] + (n - REGRESS_MAX_POINTS) * 43 / 100;
    return critical_runs_5pct[n];
}

int regress_count_runs(const double *resid, int n)
{
    int i, runs;

    if (n <= 0)
        return 0;
    for (i = 1, runs = 1; i < n; i++) {
        if (!((resid[i - 1] > 0.0 && resid[i] > 0.0) || (resid[i - 1] < 0.0 && resid[i] < 0.0)))
            runs++;
    }
    return runs;
}

/* Weighted sums of one fit over points [first, last). */
struct wsums {
    double sw;     /* sum of 1/w */
    double mean_x; /* weighted mean of x */
    double mean_y; /* weighted mean of y */
    double sxx;    /* sum (x - mean_x)^2 / w */
    double sxy;    /* sum (x - mean_x)(y - mean_y) / w */
};

static int wsums_compute(const double *x, const double *y, const double *w, int first, int last,
                         struct wsums *s)
{
    double sx = 0.0, sy = 0.0, dx;
    int i;

    memset(s, 0, sizeof(*s));
    for (i = first; i < last; i++) {
        if (!(w[i] > 0.0))
            return 0;
        s->sw += 1.0 / w[i];
        sx += x[i] / w[i];
        sy += y[i] / w[i];
    }
    s->mean_x = sx / s->sw;
    s->mean_y = sy / s->sw;
    /* Centring both variables keeps the sums accurate when x is large. */
    for (i = first; i < last; i++) {
        dx = x[i] - s->mean_x;
        s->sxx += dx * dx / w[i];
        s->sxy += dx * (y[i] - s->mean_y) / w[i];
    }
    return s->sxx > 0.0;
}

/* Fill the error estimates of out from the sums and the residual sum of
 * squares (weighted) of n points. */
static void fit_finish(const struct wsums *s, double ss, int n, struct regress_fit *out)
{
    double s2, a;

    assert(n >= REGRESS_MIN_POINTS);
    s2 = ss / (n - 2);

    out->slope_sd = sqrt(s2 / s->sxx);
    a = s->mean_x * out->slope_sd;
    out->intercept_sd = sqrt(s2 / s->sw + a * a);
    out->variance = s2 * n / s->sw;
    out->n_points = n;
    out->dof = n - 2;
}

int regress_weighted(const double *x, const double *y, const double *w, int n,
                     struct regress_fit *out)
{
    struct wsums s;
    double r, ss = 0.0;
    int i, sign_prev = 0;

    assert(out);
    if (n < REGRESS_MIN_POINTS || !wsums_compute(x, y, w, 0, n, &s))
        return 0;
    out->slope = s.sxy / s.sxx;
    out->intercept = s.mean_y - out->slope * s.mean_x;
    out->n_runs = 0;
    for (i = 0; i < n; i++) {
        r = y[i] - out->intercept - out->slope * x[i];
        ss += r * r / w[i];
        if (i == 0 || !((r > 0.0 && sign_prev > 0) || (r < 0.0 && sign_prev < 0)))
            out->n_runs++;
        sign_prev = r > 0.0 ? 1 : r < 0.0 ? -1 : 0;
    }
    out->start = 0;
    fit_finish(&s, ss, n, out);
    return 1;
}

int regress_find_best(const double *x, const double *y, const double *w, int n, int m,
                      int min_points, struct regress_fit *out)
{
    double resid[REGRESS_MAX_POINTS], slope = 0.0, icept = 0.0, ss;
    const double *cx = x + m, *cy = y + m; /* the n candidate points */
    struct wsums s;
    int start, rstart = 0, runs = 0, i;

    assert(out);
    if (n < REGRESS_MIN_POINTS || m < 0 || n + m > REGRESS_MAX_POINTS)
        return 0;
    for (start = 0;; start++) {
        if (!wsums_compute(cx, cy, w, start, n, &s))
            return 0;
        slope = s.sxy / s.sxx;
        icept = s.mean_y - slope * s.mean_x;
        /* The runs test also covers older points, up to RATIO times the fit. */
        rstart = n - (n - start) * REGRESS_RUNS_RATIO;
        if (rstart < -m)
            rstart = -m;
        assert(n - rstart <= REGRESS_MAX_POINTS);
        for (i = rstart; i < n; i++)
            resid[i - rstart] = cy[i] - icept - slope * cx[i];
        runs = regress_count_runs(resid, n - rstart);
        if (runs > regress_critical_runs(n - rstart) || n - start <= REGRESS_MIN_POINTS ||
            n - start <= min_points)
            break;
    }
    /* The loop stops with at least REGRESS_MIN_POINTS fitted. */
    assert(start >= 0 && n - start >= REGRESS_MIN_POINTS && rstart <= start);
    /* Report the runs among the fitted points only. */
    runs = regress_count_runs(resid + (start - rstart), n - start);
    ss = 0.0;
    for (i = start; i < n; i++)
        ss += resid[i - rstart] * resid[i - rstart] / w[i];
    out->slope = slope;
    out->intercept = icept;
    out->start = start;
    out->n_runs = runs;
    fit_finish(&s, ss, n - start, out);
    return 1;
}

/* k-th smallest of x[0..n-1] (0-based) by quickselect; reorders x. */
static double select_kth(double *x, int n, int k)
{
    int lo = 0, hi = n - 1, i, j;
    double pivot, t;

    assert(k >= 0 && k < n);
    while (lo < hi) {
        pivot = x[lo + (hi - lo) / 2];
        i = lo;
        j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return x[k];
}

double regress_median(double *x, int n)
{
    double hi, lo;
    int i;

    if (n <= 0)
        return 0.0;
    hi = select_kth(x, n, n / 2);
    if (n & 1)
        return hi;
    /* After selection x[0..n/2-1] are <= hi; the lower middle is their maximum. */
    for (i = 1, lo = x[0]; i < n / 2; i++)
        if (x[i] > lo)
            lo = x[i];
    return 0.5 * (lo + hi);
}

int regress_multiple(const double *x1, const double *x2, const double *y, int n, double *b2)
{
    double m1 = 0, m2 = 0, my = 0, s11 = 0, s12 = 0, s22 = 0, s1y = 0, s2y = 0, d1, d2, dy, det;
    int i;

    if (n < 4)
        return 0;
    for (i = 0; i < n; i++) {
        m1 += x1[i];
        m2 += x2[i];
        my += y[i];
    }
    m1 /= n;
    m2 /= n;
    my /= n;
    for (i = 0; i < n; i++) {
        d1 = x1[i] - m1;
        d2 = x2[i] - m2;
        dy = y[i] - my;
        s11 += d1 * d1;
        s12 += d1 * d2;
        s22 += d2 * d2;
        s1y += d1 * dy;
        s2y += d2 * dy;
    }
    det = s11 * s22 - s12 * s12;
    /* Reject constant or (nearly) collinear regressors: the 2x2 system would be
     * ill-conditioned and b2 meaningless. */
    if (!(s11 > 0.0) || !(s22 > 0.0) || det <= 1e-9 * s11 * s22)
        return 0;
    *b2 = (s11 * s2y - s12 * s1y) / det;
    return 1;
}
