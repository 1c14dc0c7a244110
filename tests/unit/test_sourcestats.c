/* Unit tests for core/sourcestats: regression over samples, runs-test
 * pruning after a step, slewing, selection and report figures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/sourcestats.h"
#include "lib/rng.h"
#include "lib/ts.h"

static uint64_t seed = 1;

static struct sourcestats *new_stats(int min_samples, int max_samples, double asymmetry)
{
    struct sourcestats_params p;

    sourcestats_params_default(&p);
    p.min_samples = min_samples;
    p.max_samples = max_samples;
    p.asymmetry = asymmetry;
    return sourcestats_new(&p);
}

static void at(struct timespec *t, double s)
{
    ts_from_double(t, 1700000000.0 + s);
}

/* Add a sample at local time t (s after the epoch above) and regress. */
static void add(struct sourcestats *st, double t, double offset, double delay)
{
    struct timespec ts;

    at(&ts, t);
    CHECK_INT_EQ(sourcestats_add_sample(st, &ts, offset, delay, 1e-6, 0.01, 0.002, 2, 0),
                 SOURCESTATS_ADDED);
    sourcestats_do_regression(st, NULL);
}

static void test_initial_state(void)
{
    struct sourcestats *st = new_stats(6, 0, 0.0);
    struct sourcestats_report rep;
    struct sourcestats_source_report srep;
    struct sourcestats_selection sel;
    struct sourcestats_tracking tr;
    struct timespec now;

    at(&now, 0);
    sourcestats_get_report(st, &now, &rep);
    CHECK_INT_EQ(rep.n_samples, 0);
    CHECK_INT_EQ(rep.n_runs, 0);
    CHECK_INT_EQ(rep.span_seconds, 0);
    CHECK_NEAR(rep.sd, 4.0, 0);
    CHECK_NEAR(rep.skew_ppm, 2000.0, 1e-9);
    CHECK_NEAR(rep.resid_freq_ppm, 0.0, 0);
    sourcestats_get_source_report(st, &now, &srep);
    CHECK(!srep.has_sample);
    CHECK_INT_EQ(srep.latest_meas_ago, 0xFFFFFFFFu);
    CHECK(!sourcestats_get_selection(st, &now, &sel));
    CHECK(!sel.select_ok);
    CHECK(!sourcestats_get_tracking(st, &tr));
    CHECK_NEAR(sourcestats_predict_offset(st, &now), 0.0, 0);
    sourcestats_free(st);
    sourcestats_free(NULL);
}

/* Local clock 1 ms fast and gaining 5 ppm, measured every 16 s with 1 us noise.
 * minsamples 16 keeps enough samples for the accuracy checks to hold for any
 * seed (with 6, chance runs in the noise may leave only a few). */
static void test_line_with_noise(void)
{
    struct sourcestats *st = new_stats(16, 0, 0.0);
    struct sourcestats_estimate e;
    struct sourcestats_report rep;
    struct timespec now;
    struct rng r;
    int i;

    rng_seed(&r, seed);
    for (i = 0; i < 30; i++)
        add(st, 16.0 * i, 1e-3 + 5e-6 * 16.0 * i + 1e-6 * rng_normal(&r), 0.02);
    sourcestats_get_estimate(st, &e);
    CHECK(e.ok);
    CHECK(e.n_samples >= 16);
    CHECK_NEAR(e.frequency, 5e-6, 2e-8);
    CHECK_NEAR(e.offset, 1e-3 + 5e-6 * 16 * 29, 3e-6);
    CHECK(e.skew < 0.1e-6 && e.skew > 1e-9);
    CHECK(e.std_dev > 0.4e-6 && e.std_dev < 2e-6);
    CHECK(fabs(e.frequency - 5e-6) <= e.skew);

    at(&now, 16.0 * 29 + 10);
    sourcestats_get_report(st, &now, &rep);
    CHECK_INT_EQ(rep.n_samples, (uint32_t)e.n_samples);
    CHECK_INT_EQ(rep.n_runs, (uint32_t)e.n_runs);
    CHECK_INT_EQ(rep.span_seconds, (uint32_t)(16 * (e.n_samples - 1)));
    CHECK_NEAR(rep.resid_freq_ppm, 5.0, 0.02);
    CHECK_NEAR(rep.est_offset, 1e-3 + 5e-6 * (16 * 29 + 10), 3e-6);
    /* The prediction follows the tracking estimate (beyond chrony), which
     * refits the same samples favouring recent ones: on a straight line it
     * agrees with chrony's estimate within the noise. */
    CHECK_NEAR(sourcestats_predict_offset(st, &now),
               e.tracking_offset + (ts_diff(&now, &e.ref_time)) * e.tracking_frequency, 1e-12);
    CHECK_NEAR(sourcestats_predict_offset(st, &now), rep.est_offset, 3e-6);
    sourcestats_free(st);
}

/* The offset steps by 10 ms: after enough new samples the runs test drops the
 * old ones and the estimate follows the new offset. */
static void test_step_drops_old_samples(void)
{
    struct sourcestats *st = new_stats(6, 0, 0.0);
    struct sourcestats_estimate e;
    struct rng r;
    int i;

    rng_seed(&r, seed + 1);
    for (i = 0; i < 30; i++)
        add(st, 16.0 * i, 1e-5 * rng_normal(&r), 0.02);
    sourcestats_get_estimate(st, &e);
    CHECK(e.n_samples >= 6);
    CHECK_NEAR(e.offset, 0.0, 5e-5);
    for (; i < 42; i++)
        add(st, 16.0 * i, 0.01 + 1e-5 * rng_normal(&r), 0.02);
    sourcestats_get_estimate(st, &e);
    CHECK(e.n_samples <= 14);
    CHECK(e.n_samples >= 6);
    CHECK_NEAR(e.offset, 0.01, 5e-5);
    CHECK_NEAR(e.frequency, 0.0, 5e-6);
    sourcestats_free(st);
}

/* Correct the clock (step back by its offset, slow it by its frequency error)
 * and tell the statistics: old samples then lie on the new timescale, so new
 * samples continue the same line. minsamples 20 keeps every sample, so the
 * jitter shows whether old and new samples are consistent. */
static void test_slew_keeps_consistency(void)
{
    const double o0 = 0.01, f = 1e-5, tc = 16.0 * 9 + 8;
    struct sourcestats *st = new_stats(20, 0, 0.0);
    struct sourcestats_estimate e;
    struct sourcestats_sample smp;
    struct timespec when, before;
    struct rng r;
    int i;

    rng_seed(&r, seed + 2);
    /* Before: local time L = T + o0 + f T, offset = o0 + f T. */
    for (i = 0; i < 10; i++) {
        double T = 16.0 * i;
        add(st, T + o0 + f * T, o0 + f * T + 1e-7 * rng_normal(&r), 0.02);
    }
    sourcestats_get_estimate(st, &e);
    CHECK_NEAR(e.frequency, f * (1 - f), 1e-8);
    CHECK(sourcestats_get_sample(st, 0, &smp));
    before = smp.time;
    at(&when, tc + o0 + f * tc);
    sourcestats_slew_samples(st, &when, f, o0 + f * tc);
    sourcestats_get_estimate(st, &e);
    CHECK_NEAR(e.frequency, 0.0, 1e-8);
    CHECK_NEAR(sourcestats_predict_offset(st, &when), 0.0, 1e-6);
    CHECK(sourcestats_get_sample(st, 0, &smp));
    /* Back onto true time: moved by minus the offset measured then. */
    CHECK_NEAR(ts_diff(&smp.time, &before), -smp.orig_offset, 1e-6);
    CHECK_NEAR(smp.offset, 0.0, 1e-6);
    CHECK_NEAR(smp.orig_offset, o0, 1e-3); /* the measured value is kept */
    /* After: the corrected clock reads true time, offset 0. */
    for (i = 10; i < 20; i++)
        add(st, 16.0 * i, 1e-7 * rng_normal(&r), 0.02);
    sourcestats_get_estimate(st, &e);
    CHECK_INT_EQ(e.n_samples, 20);
    CHECK(e.std_dev < 3e-7);
    CHECK_NEAR(e.frequency, 0.0, 1e-8);
    CHECK_NEAR(e.offset, 0.0, 1e-6);
    sourcestats_free(st);
}

/* Without the slew notification the same data show a break: with all samples
 * kept the jitter is huge; with the default minsamples the runs test drops
 * every sample from before the change. */
static void test_no_slew_breaks(void)
{
    const double o0 = 0.01, f = 1e-5;
    struct sourcestats *st = new_stats(20, 0, 0.0), *st6 = new_stats(6, 0, 0.0);
    struct sourcestats_estimate e;
    struct rng r;
    int i;

    rng_seed(&r, seed + 2);
    for (i = 0; i < 10; i++) {
        double T = 16.0 * i, o = o0 + f * T + 1e-7 * rng_normal(&r);
        add(st, T + o0 + f * T, o, 0.02);
        add(st6, T + o0 + f * T, o, 0.02);
    }
    for (i = 10; i < 20; i++) {
        double o = 1e-7 * rng_normal(&r);
        add(st, 16.0 * i + 1.0, o, 0.02);
        add(st6, 16.0 * i + 1.0, o, 0.02);
    }
    sourcestats_get_estimate(st, &e);
    CHECK(e.std_dev > 1e-3);
    sourcestats_get_estimate(st6, &e);
    CHECK(e.n_samples <= 10);
    sourcestats_free(st);
    sourcestats_free(st6);
}

/* Root distance = root_delay/2 + root_dispersion + skew * time since sample;
 * with one sample the skew is the 2000 ppm worst case. */
static void test_selection_distance(void)
{
    struct sourcestats *st = new_stats(6, 0, 0.0);
    struct sourcestats_selection sel;
    struct timespec t, now;

    at(&t, 100);
    at(&now, 110);
    sourcestats_add_sample(st, &t, -0.003, 0.02, 1e-6, 0.02, 0.01, 3, 0);
    CHECK(!sourcestats_do_regression(st, NULL));
    CHECK(sourcestats_get_selection(st, &now, &sel));
    CHECK(!sel.select_ok);
    CHECK_NEAR(sel.root_distance, 0.01 + 0.01 + 2e-3 * 10, 1e-9);
    CHECK_NEAR(sel.offset, -0.003, 1e-12);
    CHECK_NEAR(sel.lo_limit, -0.003 - sel.root_distance, 1e-12);
    CHECK_NEAR(sel.hi_limit, -0.003 + sel.root_distance, 1e-12);
    CHECK_NEAR(sel.last_sample_ago, 10.0, 1e-9);
    CHECK_NEAR(sel.first_sample_ago, 10.0, 1e-9);
    CHECK_INT_EQ(sel.stratum, 3);
    CHECK_INT_EQ(sel.leap, 0);
    sourcestats_free(st);

    /* maxsamples 1: selectable at once (the -q/-Q special case). */
    st = new_stats(6, 1, 0.0);
    sourcestats_add_sample(st, &t, -0.003, 0.02, 1e-6, 0.02, 0.01, 3, 0);
    sourcestats_do_regression(st, NULL);
    CHECK(sourcestats_get_selection(st, &now, &sel));
    CHECK(sel.select_ok);
    CHECK_NEAR(sel.std_dev, 0.0, 0);
    at(&t, 101);
    sourcestats_add_sample(st, &t, -0.004, 0.02, 1e-6, 0.02, 0.01, 3, 0);
    CHECK_INT_EQ(sourcestats_samples(st), 1);
    sourcestats_free(st);
}

static void test_selection_uses_best_sample(void)
{
    struct sourcestats *st = new_stats(6, 0, 0.0);
    struct sourcestats_selection sel;
    struct sourcestats_tracking tr;
    struct timespec t, now;
    int i;

    /* Sample 5 has a much smaller root dispersion than the others. */
    for (i = 0; i < 10; i++) {
        at(&t, 16.0 * i);
        sourcestats_add_sample(st, &t, 1e-4 * (i & 1), 0.01, 1e-6, 0.01, i == 5 ? 0.001 : 0.1, 2,
                               0);
        sourcestats_do_regression(st, NULL);
    }
    at(&now, 16.0 * 9);
    CHECK(sourcestats_get_selection(st, &now, &sel));
    CHECK(sel.select_ok);
    CHECK(sel.root_distance < 0.01);
    CHECK(sourcestats_get_tracking(st, &tr));
    CHECK_NEAR(tr.root_delay, 0.01, 0);
    CHECK(tr.root_dispersion > 0.001 && tr.root_dispersion < 0.01);
    sourcestats_add_dispersion(st, 0.5);
    CHECK(sourcestats_get_selection(st, &now, &sel));
    CHECK(sel.root_distance > 0.5);
    sourcestats_free(st);
}

static void test_out_of_order_resets(void)
{
    struct sourcestats *st = new_stats(6, 0, 0.0);
    struct timespec t;
    int i;

    for (i = 0; i < 5; i++)
        add(st, 10.0 * i, 0.0, 0.01);
    CHECK_INT_EQ(sourcestats_samples(st), 5);
    at(&t, 20.0);
    CHECK_INT_EQ(sourcestats_add_sample(st, &t, 0.0, 0.01, 0, 0, 0, 1, 0),
                 SOURCESTATS_ADDED_OUT_OF_ORDER);
    CHECK_INT_EQ(sourcestats_samples(st), 1);
    at(&t, 30.0);
    CHECK_INT_EQ(sourcestats_add_sample(st, &t, NAN, 0.01, 0, 0, 0, 1, 0), SOURCESTATS_REJECTED);
    CHECK_INT_EQ(sourcestats_add_sample(st, &t, 0.0, INFINITY, 0, 0, 0, 1, 0),
                 SOURCESTATS_REJECTED);
    CHECK_INT_EQ(sourcestats_samples(st), 1);
    sourcestats_free(st);
}

static void test_max_samples(void)
{
    struct sourcestats *st = new_stats(4, 8, 0.0);
    struct sourcestats_sample s;
    int i;

    for (i = 0; i < 100; i++)
        add(st, 10.0 * i, 1e-6 * ((i * 7) % 5), 0.01);
    CHECK(sourcestats_samples(st) <= 8);
    CHECK(sourcestats_samples(st) >= 4);
    CHECK(sourcestats_get_sample(st, sourcestats_samples(st) - 1, &s));
    CHECK_NEAR(ts_to_double(&s.time), 1700000000.0 + 990.0, 1e-6);
    CHECK(!sourcestats_get_sample(st, sourcestats_samples(st), &s));
    sourcestats_free(st);

    st = new_stats(6, 0, 0.0);
    for (i = 0; i < 200; i++)
        add(st, 10.0 * i, 1e-6 * ((i * 7) % 5), 0.01);
    CHECK(sourcestats_samples(st) <= SOURCESTATS_MAX_SAMPLES);
    sourcestats_free(st);
}

static void test_min_delay(void)
{
    struct sourcestats_params p;
    struct sourcestats *st;
    struct sourcestats_sample s;
    struct timespec t;

    sourcestats_params_default(&p);
    CHECK(sourcestats_min_round_trip_delay(st = sourcestats_new(&p)) > 1e300);
    sourcestats_free(st);
    p.min_delay = 0.01;
    st = sourcestats_new(&p);
    at(&t, 1);
    sourcestats_add_sample(st, &t, 0.0, 0.004, 0, 0, 0, 1, 0);
    CHECK(sourcestats_get_sample(st, 0, &s));
    CHECK_NEAR(s.peer_delay, 0.016, 1e-12);
    CHECK_NEAR(sourcestats_min_round_trip_delay(st), 0.01, 0);
    sourcestats_free(st);
}

/* Offsets grow with the delay: half of the extra delay is on one direction
 * (asymmetry 0.5). The estimate appears after a run of estimates and the
 * corrected offset is that of the minimum delay in the history. */
static void test_asymmetry_estimated(void)
{
    struct sourcestats *st = new_stats(6, 0, 1.0);
    struct sourcestats_estimate e;
    struct rng r;
    double d;
    int i;

    rng_seed(&r, seed + 5);
    for (i = 0; i < 40; i++) {
        d = 0.01 + 0.002 * rng_uniform(&r);
        add(st, 16.0 * i, 0.002 + 0.5 * (d - 0.01) + 1e-7 * rng_normal(&r), d);
    }
    sourcestats_get_estimate(st, &e);
    CHECK_NEAR(e.asymmetry, 0.5, 0.01);
    CHECK_NEAR(sourcestats_get_asymmetry(st), e.asymmetry, 0);
    /* The offset is corrected to the smallest delay seen in the history. */
    CHECK_NEAR(e.offset, 0.002 + 0.5 * (sourcestats_min_round_trip_delay(st) - 0.01), 2e-6);
    sourcestats_free(st);

    /* Fixed asymmetry is applied from the start. */
    st = new_stats(6, 0, 0.3);
    for (i = 0; i < 5; i++)
        add(st, 16.0 * i, 0.3 * 0.001 * (i & 1), 0.01 + 0.001 * (i & 1));
    CHECK_NEAR(sourcestats_get_asymmetry(st), 0.3, 0);
    sourcestats_get_estimate(st, &e);
    CHECK_NEAR(e.offset, 0.0, 1e-9);
    sourcestats_free(st);
}

static void test_source_report_and_correct(void)
{
    struct sourcestats *st = new_stats(6, 0, 0.0);
    struct sourcestats_source_report srep;
    struct timespec t, now;

    ts_from_double(&t, 1700000100.75);
    sourcestats_add_sample(st, &t, 0.005, 0.01, 0, 0.02, 0.003, 4, 0);
    sourcestats_do_regression(st, NULL);
    sourcestats_slew_samples(st, &t, 0.0, 0.001);
    sourcestats_correct_offset(st, 0.0005);
    ts_from_double(&now, 1700000103.5);
    sourcestats_get_source_report(st, &now, &srep);
    CHECK(srep.has_sample);
    CHECK_NEAR(srep.orig_latest_meas, 0.005, 1e-15);
    CHECK_NEAR(srep.latest_meas, 0.0045, 1e-12);
    CHECK_NEAR(srep.latest_meas_err, 0.013, 1e-12);
    CHECK_INT_EQ(srep.stratum, 4);
    CHECK_INT_EQ(srep.latest_meas_ago, 3); /* 103.5 - 100 (whole seconds) */
    sourcestats_reset(st);
    CHECK_INT_EQ(sourcestats_samples(st), 0);
    sourcestats_free(st);
}

static void test_load_samples(void)
{
    struct sourcestats *a = new_stats(6, 0, 0.0), *b = new_stats(6, 0, 0.0);
    struct sourcestats_sample s[64];
    struct sourcestats_estimate ea, eb;
    struct rng r;
    int i, n;

    rng_seed(&r, seed + 6);
    for (i = 0; i < 12; i++)
        add(a, 32.0 * i, 2e-6 * 32 * i + 1e-6 * rng_normal(&r), 0.01);
    n = sourcestats_samples(a);
    for (i = 0; i < n; i++)
        CHECK(sourcestats_get_sample(a, i, &s[i]));
    CHECK(sourcestats_load_samples(b, s, n, 2, 0, sourcestats_get_asymmetry_run(a)));
    sourcestats_get_estimate(a, &ea);
    sourcestats_get_estimate(b, &eb);
    CHECK_NEAR(eb.frequency, ea.frequency, 1e-12);
    CHECK_NEAR(eb.offset, ea.offset, 1e-12);
    s[1].time = s[0].time;
    CHECK(!sourcestats_load_samples(b, s, n, 2, 0, sourcestats_get_asymmetry_run(a)));
    CHECK_INT_EQ(sourcestats_samples(b), 0);
    CHECK(!sourcestats_load_samples(b, s, 65, 2, 0, 0));
    sourcestats_free(a);
    sourcestats_free(b);
}

static void test_frequency_range_and_delay_data(void)
{
    struct sourcestats *st = new_stats(6, 0, 0.0);
    double lo, hi, ago, pred, mind, skew, sd;
    struct timespec t;
    int i;

    sourcestats_get_frequency_range(st, &lo, &hi);
    CHECK_NEAR(lo, -2000e-6, 1e-12);
    CHECK_NEAR(hi, 2000e-6, 1e-12);
    for (i = 0; i < 5; i++)
        add(st, 16.0 * i, 1e-6 * (i % 2), 0.01 + 0.001 * i);
    at(&t, 100);
    CHECK(!sourcestats_get_delay_test_data(st, &t, &ago, &pred, &mind, &skew, &sd));
    add(st, 80.0, 0.0, 0.02);
    CHECK(sourcestats_get_delay_test_data(st, &t, &ago, &pred, &mind, &skew, &sd));
    CHECK_NEAR(ago, 20.0, 1e-9);
    CHECK_NEAR(mind, 0.01, 1e-12);
    sourcestats_get_frequency_range(st, &lo, &hi);
    CHECK(lo < hi && hi - lo < 4000e-6);
    sourcestats_free(st);
}

/* Fewer than three samples (chrony 4.8's SST_DoNewRegression when the
 * regression fails): the offset estimate is the newest sample's offset at its
 * time, the frequency estimate stays as it was, the error figures are the
 * worst case (skew and frequency sd 2000 ppm, offset sd and std dev 4 s). */
static void test_few_samples_estimate(void)
{
    struct sourcestats *st = new_stats(6, 0, 0.0);
    struct sourcestats_estimate e;
    struct sourcestats_tracking tr;
    struct timespec now;
    int n;

    for (n = 1; n <= 2; n++) {
        add(st, 16.0 * n, 0.25 * n, 0.01);
        sourcestats_get_estimate(st, &e);
        CHECK(!e.ok);
        CHECK_NEAR(e.offset, 0.25 * n, 1e-12);
        CHECK_NEAR(ts_to_double(&e.ref_time), 1700000000.0 + 16.0 * n, 1e-6);
        CHECK_NEAR(e.frequency, 0.0, 0);
        CHECK_NEAR(e.skew, SOURCESTATS_WORST_FREQ_BOUND, 1e-15);
        CHECK_NEAR(e.frequency_sd, SOURCESTATS_WORST_FREQ_BOUND, 1e-15);
        CHECK_NEAR(e.offset_sd, 4.0, 0);
        CHECK_NEAR(e.std_dev, 4.0, 0);
        CHECK_INT_EQ(e.n_runs, 0);
        CHECK_NEAR(e.tracking_offset, 0.25 * n, 1e-12);
        CHECK(sourcestats_get_tracking(st, &tr));
        CHECK_NEAR(tr.offset, 0.25 * n, 1e-12);
        CHECK_NEAR(ts_to_double(&tr.ref_time), 1700000000.0 + 16.0 * n, 1e-6);
        CHECK_NEAR(tr.offset_sd, 4.0, 0);
        CHECK_NEAR(tr.frequency, 0.0, 0);
        CHECK_NEAR(tr.skew, SOURCESTATS_WORST_FREQ_BOUND, 1e-15);
        at(&now, 16.0 * n + 5.0);
        CHECK_NEAR(sourcestats_predict_offset(st, &now), 0.25 * n, 1e-12);
    }
    /* A slew moves the estimate with the samples. */
    at(&now, 40.0);
    sourcestats_slew_samples(st, &now, 0.0, 0.1);
    sourcestats_get_estimate(st, &e);
    CHECK_NEAR(e.offset, 0.4, 1e-12);
    sourcestats_free(st);

    /* The frequency estimate is kept (here the one a frequency change left). */
    st = new_stats(6, 2, 0.0);
    add(st, 0.0, 0.0, 0.01);
    at(&now, 10.0);
    sourcestats_slew_samples(st, &now, 1e-6, 0.0);
    add(st, 20.0, 0.001, 0.01);
    add(st, 30.0, 0.002, 0.01);
    sourcestats_get_estimate(st, &e);
    CHECK(!e.ok);
    CHECK_NEAR(e.frequency, -1e-6 / (1.0 - 1e-6), 1e-15);
    CHECK_NEAR(e.offset, 0.002, 1e-12);
    sourcestats_free(st);
}

/* maxsamples 1 (chronyd -q 'server ... maxsamples 1'): every sample replaces
 * the last; the source is selectable and its tracking offset is the sample's,
 * which is what reaches the discipline. */
static void test_max_samples_one_tracks_sample(void)
{
    struct sourcestats *st = new_stats(6, 1, 0.0);
    struct sourcestats_selection sel;
    struct sourcestats_tracking tr;
    struct timespec now;

    add(st, 0.0, -0.5, 0.01);
    at(&now, 1.0);
    CHECK(sourcestats_get_selection(st, &now, &sel));
    CHECK(sel.select_ok);
    CHECK(sourcestats_get_tracking(st, &tr));
    CHECK_NEAR(tr.offset, -0.5, 1e-12);
    add(st, 2.0, 0.125, 0.01);
    CHECK_INT_EQ(sourcestats_samples(st), 1);
    CHECK(sourcestats_get_tracking(st, &tr));
    CHECK_NEAR(tr.offset, 0.125, 1e-12);
    CHECK_NEAR(ts_to_double(&tr.ref_time), 1700000002.0, 1e-6);
    sourcestats_free(st);
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--seed"))
        seed = strtoull(argv[2], NULL, 0);
    printf("seed %llu\n", (unsigned long long)seed);
    RUN(test_initial_state);
    RUN(test_line_with_noise);
    RUN(test_step_drops_old_samples);
    RUN(test_slew_keeps_consistency);
    RUN(test_no_slew_breaks);
    RUN(test_selection_distance);
    RUN(test_selection_uses_best_sample);
    RUN(test_out_of_order_resets);
    RUN(test_max_samples);
    RUN(test_min_delay);
    RUN(test_asymmetry_estimated);
    RUN(test_source_report_and_correct);
    RUN(test_load_samples);
    RUN(test_frequency_range_and_delay_data);
    RUN(test_few_samples_estimate);
    RUN(test_max_samples_one_tracks_sample);
    return check_summary();
}
