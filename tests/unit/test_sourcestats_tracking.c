/* Unit tests for the engine's beyond-chrony refinements: the recency-weighted
 * tracking estimate of core/sourcestats (what the clock is steered by and
 * what the poll adjustment compares samples with) and the faster offset
 * correction of core/discipline. chrony's own figures (reports, selection)
 * are covered by test_sourcestats.c. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/discipline.h"
#include "core/sourcestats.h"
#include "lib/ts.h"

static struct sourcestats *new_stats(int min_samples)
{
    struct sourcestats_params p;

    sourcestats_params_default(&p);
    p.min_samples = min_samples;
    p.asymmetry = 0.0;
    return sourcestats_new(&p);
}

static void at(struct timespec *t, double s)
{
    ts_from_double(t, 1700000000.0 + s);
}

static void add(struct sourcestats *st, double t, double offset)
{
    struct timespec ts;

    at(&ts, t);
    CHECK_INT_EQ(sourcestats_add_sample(st, &ts, offset, 2e-4, 1e-6, 2e-4, 1e-5, 1, 0),
                 SOURCESTATS_ADDED);
    sourcestats_do_regression(st, NULL);
}

/* With fewer than 5 samples kept the tracking estimate is chrony's. */
static void test_few_samples_equal_chrony(void)
{
    struct sourcestats *st = new_stats(3);
    struct sourcestats_estimate e;
    int i;

    for (i = 0; i < 4; i++)
        add(st, 64.0 * i, 1e-3 + 2e-6 * 64.0 * i + (i & 1 ? 1e-6 : -1e-6));
    sourcestats_get_estimate(st, &e);
    CHECK(e.ok);
    CHECK_INT_EQ(e.n_samples, 4);
    CHECK_NEAR(e.tracking_offset, e.offset, 0);
    CHECK_NEAR(e.tracking_frequency, e.frequency, 0);
    sourcestats_free(st);
}

/* On an exact line both fits agree. */
static void test_line_agrees(void)
{
    struct sourcestats *st = new_stats(6);
    struct sourcestats_estimate e;
    struct sourcestats_tracking tr;
    int i;

    for (i = 0; i < 12; i++)
        add(st, 64.0 * i, -5e-4 + 3e-6 * 64.0 * i);
    sourcestats_get_estimate(st, &e);
    CHECK_NEAR(e.tracking_offset, e.offset, 1e-12);
    CHECK_NEAR(e.tracking_frequency, 3e-6, 1e-12);
    CHECK(sourcestats_get_tracking(st, &tr));
    CHECK_NEAR(tr.offset, e.tracking_offset, 0);
    CHECK_NEAR(tr.frequency, e.tracking_frequency, 0);
    CHECK_NEAR(tr.skew, e.skew, 0);
    sourcestats_free(st);
}

/* The frequency changed recently, too little for the runs test to drop the old
 * samples (minsamples keeps them all): chrony's fit lags, the tracking fit
 * follows the newest samples closely. */
static void test_follows_frequency_change(void)
{
    struct sourcestats *st = new_stats(20);
    struct sourcestats_estimate e;
    struct timespec when;
    double truth_now, truth_later, off = 0.0;
    int i;

    for (i = 0; i < 20; i++) {
        if (i > 0)
            off += 64.0 * (i >= 14 ? 1e-7 : 0.0);
        add(st, 64.0 * i, off);
    }
    sourcestats_get_estimate(st, &e);
    CHECK_INT_EQ(e.n_samples, 20);
    truth_now = off;
    CHECK(fabs(e.tracking_offset - truth_now) < 0.5 * fabs(e.offset - truth_now));
    CHECK(fabs(e.tracking_frequency - 1e-7) < 0.5 * fabs(e.frequency - 1e-7));
    /* The prediction (used by the poll adjustment) comes from it too. */
    at(&when, 64.0 * 19 + 640.0);
    truth_later = off + 640.0 * 1e-7;
    CHECK_NEAR(sourcestats_predict_offset(st, &when),
               e.tracking_offset + 640.0 * e.tracking_frequency, 1e-12);
    CHECK(fabs(sourcestats_predict_offset(st, &when) - truth_later) <
          0.5 * fabs(e.offset + 640.0 * e.frequency - truth_later));
    sourcestats_free(st);
}

/* Slews and offset corrections move the tracking estimate like the samples. */
static void test_slew_and_correct(void)
{
    struct sourcestats *st = new_stats(6);
    struct sourcestats_estimate e;
    struct timespec when, later;
    double before, after;
    int i;

    for (i = 0; i < 10; i++)
        add(st, 64.0 * i, 2e-4 + (i >= 6 ? 1e-7 * 64.0 * (i - 6) : 0.0));
    at(&when, 64.0 * 9 + 10.0);
    at(&later, 64.0 * 9 + 100.0);
    before = sourcestats_predict_offset(st, &later);
    /* Remove 1e-4 s of offset at `when` and 1e-7 of frequency. */
    sourcestats_slew_samples(st, &when, 1e-7, 1e-4);
    after = sourcestats_predict_offset(st, &later);
    CHECK_NEAR(after, before - 1e-4 - 90.0 * 1e-7, 1e-9);
    sourcestats_get_estimate(st, &e);
    before = e.tracking_offset;
    sourcestats_correct_offset(st, 3e-5);
    sourcestats_get_estimate(st, &e);
    CHECK_NEAR(e.tracking_offset, before + 3e-5, 1e-15);
    sourcestats_reset(st);
    sourcestats_get_estimate(st, &e);
    CHECK_NEAR(e.tracking_offset, 0.0, 0);
    CHECK_NEAR(e.tracking_frequency, 0.0, 0);
    sourcestats_free(st);
}

static void update(struct discipline *d, double t, double offset, double offset_sd)
{
    struct disc_update u;
    struct disc_outcome o;
    struct timespec now;

    memset(&u, 0, sizeof(u));
    at(&now, t);
    u.ref_time = now;
    u.stratum = 1;
    u.combined = 1;
    u.ref_id = 0x0A000001;
    u.offset = offset;
    u.offset_sd = offset_sd;
    u.skew = 1e-8;
    u.root_delay = 2e-4;
    u.root_dispersion = 1e-5;
    disc_update(d, &now, &u, &o);
    CHECK_INT_EQ(o.verdict, DISC_APPLIED);
}

/* An offset equal to its SD, 1000 s after the previous update, corrtimeratio
 * 3: slewed over 3 x 1000 / 2 = 1500 s, as chrony (corrtimeratio keeps its
 * meaning). */
static void test_offset_correction_time(void)
{
    struct clock_config cc;
    struct disc_config dc;
    struct clock c;
    struct clock_cmd cmd;
    struct discipline d;
    struct timespec now, when;

    clock_config_default(&cc);
    disc_config_default(&dc);
    CHECK_NEAR(dc.corr_time_ratio, 3.0, 0);
    at(&now, 0.0);
    clock_cmd_init(&cmd);
    clock_init(&c, &cc, &now, 0.0, &cmd);
    disc_init(&d, &dc, &c, &now);
    update(&d, 0.0, 0.0, 1e-4);
    update(&d, 1000.0, 1e-4, 1e-4);
    at(&now, 1000.0);
    CHECK(clock_next_timer(&c, &when));
    CHECK_NEAR(ts_diff(&when, &now), 1500.0, 10.0);
    CHECK_NEAR(clock_remaining_offset(&c, &now), 1e-4, 1e-12);
    at(&now, 1750.0);
    CHECK_NEAR(clock_remaining_offset(&c, &now), 0.5e-4, 1e-9);
}

int main(void)
{
    RUN(test_few_samples_equal_chrony);
    RUN(test_line_agrees);
    RUN(test_follows_frequency_change);
    RUN(test_slew_and_correct);
    RUN(test_offset_correction_time);
    return check_summary();
}
