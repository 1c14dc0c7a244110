/* Unit tests for core/regress: weighted fit, runs test, quantiles, median. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/regress.h"
#include "lib/rng.h"

static uint64_t seed = 1;

static void test_exact_line(void)
{
    double x[11], y[11], w[11];
    struct regress_fit f;
    int i;

    for (i = 0; i < 11; i++) {
        x[i] = -100.0 + 10.0 * i;
        y[i] = 0.001 + 2e-6 * x[i];
        w[i] = 1.0;
    }
    CHECK(regress_weighted(x, y, w, 11, &f));
    CHECK_NEAR(f.intercept, 0.001, 1e-15);
    CHECK_NEAR(f.slope, 2e-6, 1e-17);
    CHECK(f.variance < 1e-28);
    CHECK_INT_EQ(f.n_points, 11);
    CHECK_INT_EQ(f.dof, 9);
}

static void test_degenerate(void)
{
    double x[3] = {1, 1, 1}, y[3] = {0, 1, 2}, w[3] = {1, 1, 1}, wz[3] = {1, 0, 1};
    struct regress_fit f;

    CHECK(!regress_weighted(x, y, w, 2, &f));
    CHECK(!regress_weighted(x, y, w, 3, &f));
    x[2] = 2;
    CHECK(!regress_weighted(x, y, wz, 3, &f));
    CHECK(regress_weighted(x, y, w, 3, &f));
    CHECK(!regress_find_best(x, y, w, 2, 0, 0, &f));
    CHECK(!regress_find_best(x, y, w, 3, REGRESS_MAX_POINTS, 0, &f));
}

/* Fit n noisy points of a known line; returns the fit. */
static void noisy_fit(struct rng *r, int n, double sd, struct regress_fit *f)
{
    double x[64], y[64], w[64];
    int i;

    for (i = 0; i < n; i++) {
        x[i] = -16.0 * (n - 1 - i);
        y[i] = -0.0005 + 3e-6 * x[i] + sd * rng_normal(r);
        w[i] = 1.0;
    }
    CHECK(regress_weighted(x, y, w, n, f));
}

static void test_noise_estimates(void)
{
    struct regress_fit f;
    struct rng r;

    rng_seed(&r, seed);
    noisy_fit(&r, 64, 1e-6, &f);
    CHECK_NEAR(f.slope, 3e-6, 4 * f.slope_sd);
    CHECK_NEAR(f.intercept, -0.0005, 4 * f.intercept_sd);
    CHECK_NEAR(sqrt(f.variance), 1e-6, 0.3e-6);
}

/* The skew (slope_sd * t) must bound the frequency error in ~99.9 % of cases:
 * the estimate of the slope uncertainty is calibrated. */
static void test_slope_bound_calibrated(void)
{
    struct regress_fit f;
    struct rng r;
    int i, inside = 0, trials = 400, sd_inside = 0;

    rng_seed(&r, seed + 100);
    for (i = 0; i < trials; i++) {
        noisy_fit(&r, 8, 1e-4, &f);
        if (fabs(f.slope - 3e-6) <= f.slope_sd * regress_t_coef(f.dof))
            inside++;
        if (fabs(f.slope - 3e-6) <= f.slope_sd)
            sd_inside++;
    }
    CHECK(inside >= trials - 3);
    /* About 64 % (t with 6 dof) within one sd: neither over- nor under-stated. */
    CHECK(sd_inside > trials * 50 / 100 && sd_inside < trials * 78 / 100);
}

static void test_weights(void)
{
    double x[20], y[20], w[20], uw[20], err_w = 0, err_u = 0;
    struct regress_fit fw, fu;
    struct rng r;
    int i, k;

    rng_seed(&r, seed + 7);
    for (k = 0; k < 50; k++) {
        for (i = 0; i < 20; i++) {
            x[i] = i;
            /* Odd points are 100 times noisier: 10^4 times the variance. */
            y[i] = 1e-3 * x[i] + (i & 1 ? 1e-2 : 1e-4) * rng_normal(&r);
            w[i] = i & 1 ? 1e4 : 1.0;
            uw[i] = 1.0;
        }
        CHECK(regress_weighted(x, y, w, 20, &fw));
        CHECK(regress_weighted(x, y, uw, 20, &fu));
        CHECK(fw.slope_sd < fu.slope_sd);
        err_w += (fw.slope - 1e-3) * (fw.slope - 1e-3);
        err_u += (fu.slope - 1e-3) * (fu.slope - 1e-3);
    }
    CHECK(err_w < err_u / 10);
}

static void test_runs_count(void)
{
    double r1[] = {1, 2, -1, -1, 0, 3};
    double r2[] = {1, -1, 1, -1};

    CHECK_INT_EQ(regress_count_runs(r1, 6), 4);
    CHECK_INT_EQ(regress_count_runs(r2, 4), 4);
    CHECK_INT_EQ(regress_count_runs(r1, 1), 1);
    CHECK_INT_EQ(regress_count_runs(r1, 0), 0);
}

static void test_critical_runs(void)
{
    int n;

    CHECK_INT_EQ(regress_critical_runs(7), 0);
    CHECK_INT_EQ(regress_critical_runs(8), 2);
    CHECK_INT_EQ(regress_critical_runs(20), 6);
    CHECK_INT_EQ(regress_critical_runs(64), 25);
    CHECK_INT_EQ(regress_critical_runs(128), 55);
    for (n = 1; n <= 200; n++)
        CHECK(regress_critical_runs(n) >= regress_critical_runs(n - 1));
    /* Roughly n/2 - 1.645 sqrt(n)/2 for large n (normal approximation). */
    CHECK(abs(regress_critical_runs(128) - (int)(64 - 1.645 * sqrt(127.0) / 2)) <= 2);
}

/* Old points offset by a step: the runs test drops them. */
static void test_step_dropped(void)
{
    double x[32], y[32], w[32];
    struct regress_fit f;
    struct rng r;
    int i;

    rng_seed(&r, seed + 3);
    for (i = 0; i < 32; i++) {
        x[i] = -16.0 * (31 - i);
        y[i] = 1e-6 * rng_normal(&r) + (i < 16 ? 1e-3 : 0.0);
        w[i] = 1.0;
    }
    CHECK(regress_find_best(x, y, w, 32, 0, 0, &f));
    CHECK(f.start >= 14);
    CHECK_NEAR(f.intercept, 0.0, 5e-6);
    CHECK_NEAR(f.slope, 0.0, 1e-7);
    CHECK_INT_EQ(f.n_points, 32 - f.start);
    CHECK(f.n_runs >= 1 && f.n_runs <= f.n_points);

    /* min_points keeps more of them. */
    CHECK(regress_find_best(x, y, w, 32, 0, 24, &f));
    CHECK(f.start <= 8);
    CHECK_INT_EQ(f.n_points, 32 - f.start);
}

/* Random residuals: usually nothing is dropped. The test rejects at 5 % per
 * step, so over many trials most fits keep every point. */
static void test_no_trend_kept(void)
{
    double x[40], y[40], w[40];
    struct regress_fit f;
    struct rng r;
    int i, k, kept = 0, trials = 200;

    rng_seed(&r, seed + 4);
    for (k = 0; k < trials; k++) {
        for (i = 0; i < 40; i++) {
            x[i] = -8.0 * (39 - i);
            y[i] = 5e-6 * x[i] + 1e-5 * rng_normal(&r);
            w[i] = 1.0;
        }
        CHECK(regress_find_best(x, y, w, 40, 0, 0, &f));
        CHECK_INT_EQ(f.n_points, 40 - f.start);
        kept += f.start == 0;
    }
    CHECK(kept >= trials * 85 / 100);
}

/* Extra older points extend the runs test: fitted points whose residuals pass
 * the test alone (4 runs in 12) fail it when older points on one side of
 * the line are added (few runs in 24), so more points are dropped. */
static void test_runs_extension(void)
{
    static const int pattern[12] = {1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1, -1};
    double x[24], y[24], w[12];
    struct regress_fit f0, f1;
    int i;

    for (i = 0; i < 24; i++) {
        x[i] = i - 23.0;
        y[i] = i < 12 ? 1e-3 : 1e-5 * pattern[i - 12];
    }
    for (i = 0; i < 12; i++)
        w[i] = 1.0;
    CHECK(regress_find_best(x + 12, y + 12, w, 12, 0, 0, &f0));
    CHECK_INT_EQ(f0.start, 0);
    CHECK_INT_EQ(f0.n_runs, 4);
    CHECK(regress_find_best(x, y, w, 12, 12, 0, &f1));
    CHECK(f1.start > 0);
}

static void test_t_coef(void)
{
    int d;

    CHECK_NEAR(regress_t_coef(1), 636.62, 0.01);
    CHECK_NEAR(regress_t_coef(10), 4.587, 0.001);
    CHECK_NEAR(regress_t_coef(40), 3.551, 0.001);
    CHECK_NEAR(regress_t_coef(41), 3.5442, 0.0005);
    CHECK_NEAR(regress_t_coef(100), 3.3905, 0.0005);
    CHECK_NEAR(regress_t_coef(100000), 3.2905, 0.0005);
    for (d = 2; d < 300; d++)
        CHECK(regress_t_coef(d) < regress_t_coef(d - 1));
}

static void test_median(void)
{
    double a[] = {5, 1, 4, 2, 3};
    double b[] = {4, 1, 3, 2};
    double c[] = {2, 2, 2, 1, 2, 2};
    double d[] = {7};
    double e[64];
    struct rng r;
    int i, below, above;
    double m;

    CHECK_NEAR(regress_median(a, 5), 3.0, 0);
    CHECK_NEAR(regress_median(b, 4), 2.5, 0);
    CHECK_NEAR(regress_median(c, 6), 2.0, 0);
    CHECK_NEAR(regress_median(d, 1), 7.0, 0);
    CHECK_NEAR(regress_median(d, 0), 0.0, 0);
    rng_seed(&r, seed + 9);
    for (i = 0; i < 63; i++)
        e[i] = rng_uniform(&r);
    m = regress_median(e, 63);
    for (i = below = above = 0; i < 63; i++) {
        below += e[i] < m;
        above += e[i] > m;
    }
    CHECK_INT_EQ(below, 31);
    CHECK_INT_EQ(above, 31);
}

static void test_multiple(void)
{
    double x1[10], x2[10], y[10], b2 = 0;
    int i;

    for (i = 0; i < 10; i++) {
        x1[i] = i;
        x2[i] = (i * 7) % 5;
        y[i] = 1.0 + 2.0 * x1[i] + 0.3 * x2[i];
    }
    CHECK(regress_multiple(x1, x2, y, 10, &b2));
    CHECK_NEAR(b2, 0.3, 1e-12);
    CHECK(!regress_multiple(x1, x2, y, 3, &b2));
    for (i = 0; i < 10; i++)
        x2[i] = 2 * x1[i] + 1; /* collinear */
    CHECK(!regress_multiple(x1, x2, y, 10, &b2));
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--seed"))
        seed = strtoull(argv[2], NULL, 0);
    printf("seed %llu\n", (unsigned long long)seed);
    RUN(test_exact_line);
    RUN(test_degenerate);
    RUN(test_noise_estimates);
    RUN(test_slope_bound_calibrated);
    RUN(test_weights);
    RUN(test_runs_count);
    RUN(test_critical_runs);
    RUN(test_step_dropped);
    RUN(test_no_trend_kept);
    RUN(test_runs_extension);
    RUN(test_t_coef);
    RUN(test_median);
    RUN(test_multiple);
    return check_summary();
}
