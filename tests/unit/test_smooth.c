/* Time smoothing (core/smooth and the engine's part, engine_smooth.c): the accumulated
 * offset is removed within the frequency and wander limits in three stages and reaches
 * zero when the report says; activation (by the skew or by command), reset, steps,
 * leaponly and leap seconds (slew: smeared, step: reset). */
#include "check.h"

#include "core/engine_int.h"
#include "core/smooth.h"
#include "lib/ts.h"

#include <math.h>
#include <string.h>

static struct timespec at(double s)
{
    struct timespec t;
    ts_from_double(&t, 1700000000.0 + s);
    return t;
}

/* Enabled, activated at t = 0. */
static void start(struct smooth *s, double max_freq_ppm, double max_wander_ppm, int leap_only)
{
    struct smooth_config c = {max_freq_ppm, max_wander_ppm, leap_only};
    struct timespec t0 = at(0.0);

    smooth_init(s, &c);
    CHECK_INT_EQ(smooth_activate(s, &t0), SMOOTH_EV_ACTIVATED);
}

static void test_disabled(void)
{
    struct smooth s;
    struct smooth_config c = {0.0, 0.01, 0};
    struct smooth_report r;
    struct timespec t = at(0.0);

    smooth_init(&s, &c);
    CHECK(!smooth_enabled(&s));
    CHECK_INT_EQ(smooth_on_adjust(&s, &t, 0.0, 1.0, 1e-9), SMOOTH_EV_NONE);
    CHECK_NEAR(smooth_get_offset(&s, &t), 0.0, 0.0);
    CHECK(!smooth_get_report(&s, &t, &r));
    CHECK_INT_EQ(smooth_reset(&s, &t), SMOOTH_EV_NONE);
    CHECK_INT_EQ(smooth_activate(&s, &t), SMOOTH_EV_NONE);
    c.max_freq_ppm = 400.0;
    c.max_wander_ppm = -1.0;
    smooth_init(&s, &c);
    CHECK(!smooth_enabled(&s));
}

/* Until activated nothing accumulates; the first correction made with a skew below 1/10000
 * of the wander limit activates it (and is not accumulated itself), as chrony. */
static void test_locked_until_skew_small(void)
{
    struct smooth s;
    struct smooth_config c = {400.0, 0.001, 0};
    struct smooth_report r;
    struct timespec t = at(0.0);

    smooth_init(&s, &c);
    CHECK(smooth_get_report(&s, &t, &r));
    CHECK(!r.active);
    /* 0.001 ppm/s x 10000 = 10 ppm: a skew of 20 ppm keeps it locked. */
    CHECK_INT_EQ(smooth_on_adjust(&s, &t, 0.0, 0.3, 20e-6), SMOOTH_EV_NONE);
    CHECK_NEAR(smooth_get_offset(&s, &t), 0.0, 0.0);
    t = at(10.0);
    CHECK_INT_EQ(smooth_on_adjust(&s, &t, 0.0, 0.2, 5e-6), SMOOTH_EV_ACTIVATED);
    CHECK_NEAR(smooth_get_offset(&s, &t), 0.0, 0.0);
    CHECK(smooth_get_report(&s, &t, &r));
    CHECK(r.active);
    CHECK(!r.leap_only);
    /* Active: the next correction is taken, whatever the skew. */
    t = at(20.0);
    CHECK_INT_EQ(smooth_on_adjust(&s, &t, 0.0, 0.1, 1.0), SMOOTH_EV_NONE);
    CHECK_NEAR(smooth_get_offset(&s, &t), 0.1, 1e-12);
    CHECK_INT_EQ(smooth_activate(&s, &t), SMOOTH_EV_NONE);
}

/* An offset of 1 s with 100 ppm and 1 ppm/s: the frequency ramps for 100 s to the limit,
 * stays there, and ramps back over the last 100 s; the served time never runs off by more
 * than the limit, its frequency never changes faster than the wander, the offset falls
 * monotonically and is gone when the remaining time runs out. */
static void test_stages_within_limits(void)
{
    struct smooth s;
    struct smooth_report r, r0;
    struct timespec t = at(0.0);
    double prev_off, prev_freq, total;
    int bad_freq = 0, bad_wander = 0, bad_mono = 0;

    start(&s, 100.0, 1.0, 0);
    CHECK_INT_EQ(smooth_on_adjust(&s, &t, 0.0, 1.0, 1.0), SMOOTH_EV_NONE);
    CHECK(smooth_get_report(&s, &t, &r0));
    CHECK_NEAR(r0.offset, 1.0, 1e-12);
    /* Area: 100 s ramps of 0.005 s each, 0.99 s at 100 ppm = 9900 s. */
    CHECK_NEAR(r0.remaining_time, 10100.0, 1e-6);
    total = r0.remaining_time;
    prev_off = 1.0;
    prev_freq = 0.0;
    for (double x = 1.0; x <= total + 100.0; x += 1.0) {
        t = at(x);
        CHECK(smooth_get_report(&s, &t, &r));
        if (fabs(r.freq_ppm) > 100.0 + 1e-9)
            bad_freq++;
        if (fabs(r.freq_ppm - prev_freq) > 1.0 + 1e-9 || fabs(r.wander_ppm) > 1.0 + 1e-12)
            bad_wander++;
        if (r.offset > prev_off + 1e-15)
            bad_mono++;
        prev_off = r.offset;
        prev_freq = r.freq_ppm;
        CHECK_NEAR(r.last_update_ago, x, 1e-6);
        CHECK_NEAR(r.remaining_time, x < total ? total - x : 0.0, 1e-6);
    }
    CHECK_INT_EQ(bad_freq, 0);
    CHECK_INT_EQ(bad_wander, 0);
    CHECK_INT_EQ(bad_mono, 0);
    /* Stage 1: slowing down (the served time is ahead: it runs slow to be caught up). */
    t = at(50.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.wander_ppm, -1.0, 1e-12);
    CHECK_NEAR(r.freq_ppm, -50.0, 1e-6);
    CHECK_NEAR(r.offset, 1.0 - 0.5 * 50e-6 * 50.0, 1e-9);
    /* Stage 2: at the limit. */
    t = at(5000.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.wander_ppm, 0.0, 1e-12);
    CHECK_NEAR(r.freq_ppm, -100.0, 1e-6);
    /* Stage 3: back to zero. */
    t = at(10050.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.wander_ppm, 1.0, 1e-12);
    CHECK_NEAR(r.freq_ppm, -50.0, 1e-6);
    /* Done. */
    t = at(20000.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.offset, 0.0, 1e-9);
    CHECK_NEAR(r.freq_ppm, 0.0, 1e-9);
    CHECK_NEAR(r.wander_ppm, 0.0, 0.0);
    CHECK_NEAR(r.remaining_time, 0.0, 0.0);
}

/* Without reaching the limit two stages remain (a slow time is brought forward). */
static void test_two_stages_negative(void)
{
    struct smooth s;
    struct smooth_report r;
    struct timespec t = at(0.0);

    start(&s, 400.0, 0.001, 0);
    smooth_on_adjust(&s, &t, 0.0, -0.5, 1.0);
    smooth_get_report(&s, &t, &r);
    /* sqrt(0.5 / 1e-9) s each. */
    CHECK_NEAR(r.remaining_time, 2.0 * sqrt(0.5e9), 1e-3);
    CHECK_NEAR(r.wander_ppm, 0.0, 0.0);
    t = at(100.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.wander_ppm, 0.001, 1e-12);
    CHECK_NEAR(r.freq_ppm, 0.1, 1e-9);
    CHECK(r.offset > -0.5 && r.offset < -0.5 + 1e-5);
    t = at(2.0 * sqrt(0.5e9) + 1.0);
    CHECK_NEAR(smooth_get_offset(&s, &t), 0.0, 1e-9);
}

/* Corrections accumulate: the served time (cooked + offset) does not move at the moment
 * of a correction, nor does its rate change with a frequency correction. */
static void test_corrections_keep_served_time(void)
{
    struct smooth s;
    struct smooth_report r1, r2;
    struct timespec t = at(0.0), t2;
    double before, after, dfreq = 2e-6, rate_before, rate_after;

    start(&s, 400.0, 0.01, 0);
    smooth_on_adjust(&s, &t, 0.0, 0.2, 1.0);
    t = at(300.0);
    before = smooth_get_offset(&s, &t);
    smooth_get_report(&s, &t, &r1);
    /* Served time just before, on the old cooked timescale: t + before. The cooked time
     * moves back by 0.01 and runs slower by dfreq from now on. */
    smooth_on_adjust(&s, &t, dfreq, 0.01, 1.0);
    smooth_on_clock_change(&s, &t, dfreq, 0.01);
    ts_add(&t2, &t, -0.01);
    after = smooth_get_offset(&s, &t2);
    CHECK_NEAR(after - 0.01, before, 1e-12);
    smooth_get_report(&s, &t2, &r2);
    CHECK_NEAR(r2.last_update_ago, 0.0, 1e-9);
    /* Rates per old cooked second: the served time advances 1 + f (f the reported
     * frequency) per cooked second, and the new cooked time advances 1 - dfreq per old
     * cooked second. */
    rate_before = 1.0 + r1.freq_ppm * 1e-6;
    rate_after = (1.0 + r2.freq_ppm * 1e-6) * (1.0 - dfreq);
    CHECK_NEAR(rate_after, rate_before, 1e-12);
}

/* A frequency already above the limit in the removal's direction: no ramp up, the
 * frequency is kept, and the offset still ends at zero. */
static void test_frequency_above_limit(void)
{
    struct smooth s;
    struct smooth_report r;
    struct timespec t = at(0.0);

    start(&s, 50.0, 1.0, 0);
    /* A correction of -100 ppm (cooked time now runs faster): the served time keeps its
     * rate, so it runs 100 ppm slow relative to the cooked time. */
    smooth_on_adjust(&s, &t, -100e-6, 0.5, 1.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.freq_ppm, -100.0, 0.02);
    CHECK(r.remaining_time > 0.0);
    t = at(10.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.wander_ppm, 0.0, 0.0);
    CHECK_NEAR(r.freq_ppm, -100.0, 0.02);
    t = at(r.remaining_time + 10.0 + 1.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.offset, 0.0, 1e-9);
    CHECK_NEAR(r.freq_ppm, 0.0, 1e-6);
}

static void test_reset_and_step(void)
{
    struct smooth s;
    struct smooth_report r;
    struct timespec t = at(0.0);

    start(&s, 400.0, 0.001, 0);
    smooth_on_adjust(&s, &t, 1e-6, 0.3, 1.0);
    t = at(5.0);
    CHECK_INT_EQ(smooth_reset(&s, &t), SMOOTH_EV_RESET);
    smooth_get_report(&s, &t, &r);
    CHECK(r.active);
    CHECK_NEAR(r.offset, 0.0, 0.0);
    CHECK_NEAR(r.freq_ppm, 0.0, 0.0);
    CHECK_NEAR(r.remaining_time, 0.0, 0.0);
    CHECK_NEAR(r.last_update_ago, 0.0, 0.0);
    /* The time of the last update follows a step of the cooked time. */
    smooth_on_clock_change(&s, &t, 0.0, 2.0);
    t = at(5.0 - 2.0 + 1.0);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.last_update_ago, 1.0, 1e-9);
}

/* leaponly: activated by any correction, ordinary corrections ignored, leap seconds
 * accumulated. Without leaponly a leap second arrives as the clock's own correction. */
static void test_leap_only(void)
{
    struct smooth s;
    struct smooth_config c = {400.0, 0.001, 1};
    struct smooth_report r;
    struct timespec t = at(0.0);

    smooth_init(&s, &c);
    CHECK_INT_EQ(smooth_on_adjust(&s, &t, 1e-6, 0.3, 1.0), SMOOTH_EV_ACTIVATED);
    t = at(1.0);
    CHECK_INT_EQ(smooth_on_adjust(&s, &t, 1e-6, 0.3, 1.0), SMOOTH_EV_NONE);
    CHECK_NEAR(smooth_get_offset(&s, &t), 0.0, 0.0);
    smooth_get_report(&s, &t, &r);
    CHECK(r.active);
    CHECK(r.leap_only);
    /* An inserted second: the clock goes back by 1 s, the served time stays ahead. */
    CHECK_INT_EQ(smooth_on_leap(&s, &t, 1), SMOOTH_EV_NONE);
    CHECK_NEAR(smooth_get_offset(&s, &t), 1.0, 1e-12);
    smooth_get_report(&s, &t, &r);
    CHECK_NEAR(r.remaining_time, 2.0 * sqrt(1e9), 1e-3);
    c.leap_only = 0;
    start(&s, 400.0, 0.001, 0);
    CHECK_INT_EQ(smooth_on_leap(&s, &t, 1), SMOOTH_EV_NONE);
    CHECK_NEAR(smooth_get_offset(&s, &t), 0.0, 0.0);
}

/* The engine feeds it: chronyc doffset accumulates once active, makestep resets (and says
 * so), a step the driver refuses does not. */
static void test_engine(void)
{
    struct engine e;
    struct engine_config c;
    struct engine_out out;
    struct rng rng;
    struct smooth_report r;
    struct timespec now = at(0.0);
    int step_act = -1, resets = 0, activated = 0;
    double expect;

    memset(&c, 0, sizeof(c));
    clock_config_default(&c.clock);
    disc_config_default(&c.disc);
    select_config_default(&c.select);
    c.precision = 1e-8;
    c.precision_log2 = -26;
    c.smooth.max_freq_ppm = 400.0;
    c.smooth.max_wander_ppm = 0.001;
    rng_seed(&rng, 1);
    engine_init(&e, &c, &rng, &now);
    engine_out_init(&out);
    CHECK(!engine_smooth_enabled(&e));
    engine_start(&e, &now, 0, 0, 0.0, 0.0, &out);
    CHECK(engine_smooth_enabled(&e));
    CHECK(engine_smooth_report(&e, &now, &r));
    CHECK(!r.active);
    /* Locked (the skew is unknown): a correction is not smoothed. */
    engine_out_clear(&out);
    CHECK(engine_accumulate_offset(&e, &now, 0.2, &out));
    CHECK_NEAR(engine_smooth_offset(&e, &now), 0.0, 0.0);
    engine_out_clear(&out);
    CHECK(engine_smooth_activate(&e, &now, &out));
    for (int i = 0; i < out.n; i++)
        activated +=
            out.a[i].type == ENGINE_ACT_EVENT && out.a[i].u.event.code == SMOOTH_EV_LOG_ACTIVATED;
    CHECK_INT_EQ(activated, 1);
    engine_out_clear(&out);
    CHECK(engine_accumulate_offset(&e, &now, 0.1, &out));
    CHECK_NEAR(engine_smooth_offset(&e, &now), 0.1, 1e-9);
    /* makestep cancels the slew first (the cooked time moves forward by what was left:
     * accumulated too), then steps. A refused step leaves that, and no reset. */
    now = at(1.0);
    expect = engine_smooth_offset(&e, &now) - engine_remaining_offset(&e, &now);
    CHECK(expect < 0.0);
    engine_out_clear(&out);
    CHECK(engine_make_step(&e, &now, &out));
    for (int i = 0; i < out.n; i++)
        if (out.a[i].type == ENGINE_ACT_CLOCK && out.a[i].u.clock.cmd.step)
            step_act = i;
    CHECK(step_act >= 0);
    CHECK_NEAR(engine_smooth_offset(&e, &now), 0.0, 0.0);
    engine_step_refused(&e, &out, step_act, &now);
    for (int i = 0; i < out.n; i++)
        resets += out.a[i].type == ENGINE_ACT_EVENT && out.a[i].u.event.code == SMOOTH_EV_LOG_RESET;
    CHECK_INT_EQ(resets, 0);
    CHECK_NEAR(engine_smooth_offset(&e, &now), expect, 1e-9);
    /* A step made resets it. */
    now = at(2.0);
    engine_out_clear(&out);
    CHECK(engine_make_step(&e, &now, &out));
    CHECK_NEAR(engine_smooth_offset(&e, &now), 0.0, 0.0);
    for (int i = 0; i < out.n; i++)
        resets += out.a[i].type == ENGINE_ACT_EVENT && out.a[i].u.event.code == SMOOTH_EV_LOG_RESET;
    CHECK_INT_EQ(resets, 1);
    engine_out_clear(&out);
    CHECK(engine_smooth_reset(&e, &now, &out));
    CHECK_INT_EQ(out.n, 1);
    engine_out_fini(&out);
    engine_fini(&e);
}

/* A leap second inserted at the end of 2016-12-31 by an engine synchronised to a source
 * announcing it: returns the smoothing offset 3 s after midnight and counts the events. */
static double leap_run(enum disc_leap_mode mode, int leap_only, int *slews, int *resets)
{
    struct engine e;
    struct engine_config c;
    struct engine_out out;
    struct rng rng;
    struct select_reference ref;
    struct timespec now, when;
    double off;

    memset(&c, 0, sizeof(c));
    clock_config_default(&c.clock);
    disc_config_default(&c.disc);
    select_config_default(&c.select);
    c.disc.leap_mode = mode;
    c.precision = 1e-8;
    c.precision_log2 = -26;
    c.smooth.max_freq_ppm = 400.0;
    c.smooth.max_wander_ppm = 0.001;
    c.smooth.leap_only = leap_only;
    rng_seed(&rng, 1);
    now.tv_sec = 1483228800 - 10;
    now.tv_nsec = 0;
    engine_init(&e, &c, &rng, &now);
    engine_out_init(&out);
    engine_start(&e, &now, 0, 0, 0.0, 0.0, &out);
    memset(&ref, 0, sizeof(ref));
    ref.stratum = 1;
    ref.leap = DISC_LEAP_INSERT;
    ref.combined = 1;
    ref.ref_id = 0xC0000201;
    ref.ref_time = now;
    ref.offset_sd = 1e-6;
    ref.frequency_sd = 1e-9;
    ref.skew = 1e-9; /* small enough to activate smoothing */
    ref.root_delay = ref.root_dispersion = 1e-3;
    engine_out_clear(&out);
    engine_update(&e, &now, &ref, -1, &out);
    CHECK(e.disc.leap_sec == 1);
    *slews = *resets = 0;
    while (engine_next_timer(&e, &when) && when.tv_sec < 1483228800 + 3) {
        if (ts_cmp(&when, &now) > 0)
            now = when;
        engine_out_clear(&out);
        if (!engine_on_timer(&e, &now, &out))
            continue;
        for (int i = 0; i < out.n; i++) {
            if (out.a[i].type != ENGINE_ACT_EVENT)
                continue;
            *slews += out.a[i].u.event.code == DISC_EV_LEAP_SLEW;
            *resets += out.a[i].u.event.code == SMOOTH_EV_LOG_RESET;
        }
    }
    now.tv_sec = 1483228800 + 3;
    now.tv_nsec = 0;
    off = engine_smooth_offset(&e, &now);
    engine_out_fini(&out);
    engine_fini(&e);
    return off;
}

/* leapsecmode slew: the inserted second is smoothed, with leaponly too (chrony's leap
 * smear); step: the step resets smoothing; system: the kernel's step is not seen. */
static void test_engine_leap(void)
{
    int slews, resets;

    CHECK_NEAR(leap_run(DISC_LEAPMODE_SLEW, 1, &slews, &resets), 1.0, 1e-4);
    CHECK_INT_EQ(slews, 1);
    CHECK_INT_EQ(resets, 0);
    CHECK_NEAR(leap_run(DISC_LEAPMODE_SLEW, 0, &slews, &resets), 1.0, 1e-4);
    CHECK_INT_EQ(slews, 1);
    CHECK_NEAR(leap_run(DISC_LEAPMODE_STEP, 1, &slews, &resets), 0.0, 1e-6);
    CHECK_INT_EQ(resets, 1);
    CHECK_NEAR(leap_run(DISC_LEAPMODE_SYSTEM, 1, &slews, &resets), 0.0, 0.0);
}

int main(void)
{
    RUN(test_disabled);
    RUN(test_locked_until_skew_small);
    RUN(test_stages_within_limits);
    RUN(test_two_stages_negative);
    RUN(test_corrections_keep_served_time);
    RUN(test_frequency_above_limit);
    RUN(test_reset_and_step);
    RUN(test_leap_only);
    RUN(test_engine);
    RUN(test_engine_leap);
    return check_summary();
}
