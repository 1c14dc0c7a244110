/* Weighted linear least squares of offset against time, with a runs test that
 * drops the oldest points while their residuals show a trend, plus the small
 * statistical helpers (quantiles, median, two-regressor fit) the source
 * statistics need. Pure arithmetic: no state, no allocation. */
#ifndef CORE_REGRESS_H
#define CORE_REGRESS_H

/* Fewest points a line is fitted to (two for the line, one for the variance). */
#define REGRESS_MIN_POINTS 3
/* The runs test may look at up to this many times as many points as are fitted,
 * using older points that were dropped from the fit earlier. */
#define REGRESS_RUNS_RATIO 2
/* Largest number of points (fitted + extra) accepted by regress_find_best(). */
#define REGRESS_MAX_POINTS 128

/* Result of a weighted fit y = intercept + slope * x. */
struct regress_fit {
    double intercept;    /* value of the line at x = 0 */
    double slope;        /* dy/dx */
    double variance;     /* weighted mean variance of one point (weight 1 == this variance) */
    double intercept_sd; /* standard deviation of the intercept estimate */
    double slope_sd;     /* standard deviation of the slope estimate */
    int start;           /* index of the first point kept (points before it dropped) */
    int n_points;        /* points used in the fit */
    int n_runs;          /* runs of residuals with the same sign among the fitted points */
    int dof;             /* degrees of freedom: n_points - 2 */
};

/* Fit all n points. w[i] is the relative variance of point i (>= 1 is usual;
 * larger = less reliable). Returns 1 on success, 0 if n < 3 or the x values
 * do not spread (all equal) or a weight is not positive. */
int regress_weighted(const double *x, const double *y, const double *w, int n,
                     struct regress_fit *out);

/* Fit the newest points, dropping the oldest ones one at a time until the signs
 * of the residuals form more runs than a trend would produce (a one-sided 5 %
 * Wald-Wolfowitz runs test), or until only max(REGRESS_MIN_POINTS, min_points)
 * points are left. x and y hold m + n points, oldest first: the first m are
 * older points that are not fitted but may extend the runs test (up to
 * REGRESS_RUNS_RATIO times the fitted count); the last n are the candidates.
 * w holds the n weights of the candidates. out->start indexes the candidates
 * (0 = none dropped). Returns 1 on success, 0 if n < 3, m + n exceeds
 * REGRESS_MAX_POINTS or the data are degenerate. */
int regress_find_best(const double *x, const double *y, const double *w, int n, int m,
                      int min_points, struct regress_fit *out);

/* Number of runs of equal sign in resid[0..n-1]; a zero residual always starts
 * a new run. 0 for n <= 0. */
int regress_count_runs(const double *resid, int n);

/* Largest run count that the runs test rejects for n points (n1 = n/2 signs of
 * one kind), i.e. the largest c with P(runs <= c) <= 5 %. 0 if none. */
int regress_critical_runs(int n);

/* Two-sided 99.9 % (one-sided 99.95 %) quantile of Student's t distribution
 * with dof degrees of freedom; multiplies a standard deviation into a bound. */
double regress_t_coef(int dof);

/* Median of x[0..n-1]; reorders x. Mean of the two middle values for even n.
 * 0.0 for n <= 0. */
double regress_median(double *x, int n);

/* Least squares y = a + b1 * x1 + b2 * x2 over n points; stores b2. Returns 0
 * if n < 4 or the regressors are (nearly) collinear or constant. */
int regress_multiple(const double *x1, const double *x2, const double *y, int n, double *b2);

#endif
