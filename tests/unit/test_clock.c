/* Tests for the clock model (core/clock): raw vs cooked time and slewing. */
#include "check.h"
#include "core/clock.h"
#include "lib/ts.h"

#include <math.h>
#include <string.h>

/* A simulated oscillator whose uncompensated clock gains gain_ppm on true
 * time. With chrony's absolute frequency T applied (driver value -T), raw
 * time advances (1e6 - T) / (1e6 - gain) per true second: exactly true rate
 * when T equals the gain. */
struct sim {
    double t;        /* true time, s */
    double raw;      /* raw clock reading, s */
    double gain_ppm; /* oscillator error */
    double drv_ppm;  /* last driver frequency (positive = faster) */
    struct clock c;
};

static void sim_apply(struct sim *s, const struct clock_cmd *cmd)
{
    if (cmd->set_freq)
        s->drv_ppm = cmd->freq_ppm;
    if (cmd->step)
        s->raw -= cmd->step_offset;
}

static void raw_ts(const struct sim *s, struct timespec *ts)
{
    ts_from_double(ts, s->raw);
}

/* Advance true time to t_end in small steps, running the clock timer. */
static void sim_run(struct sim *s, double t_end)
{
    const double dt = 0.01;

    while (s->t < t_end - 1e-12) {
        struct timespec when, now;
        double step = t_end - s->t < dt ? t_end - s->t : dt;

        s->raw += step * (1e6 + s->drv_ppm) / (1e6 - s->gain_ppm);
        s->t += step;
        clock_next_timer(&s->c, &when);
        raw_ts(s, &now);
        if (ts_cmp(&now, &when) >= 0) {
            struct clock_cmd cmd;
            clock_cmd_init(&cmd);
            clock_on_timer(&s->c, &now, &cmd);
            CHECK_INT_EQ(cmd.n_changes, 0); /* slewing never changes cooked time */
            sim_apply(s, &cmd);
        }
    }
}

static double sim_cooked_error(const struct sim *s)
{
    struct timespec now, cooked;

    raw_ts(s, &now);
    clock_cooked_time(&s->c, &now, &cooked, NULL);
    return ts_to_double(&cooked) - s->t;
}

static void sim_init(struct sim *s, double gain, double base, double offset)
{
    struct clock_config cfg;
    struct clock_cmd cmd;
    struct timespec now;

    memset(s, 0, sizeof(*s));
    s->t = 1000.0;
    s->raw = 1000.0 + offset;
    s->gain_ppm = gain;
    clock_config_default(&cfg);
    clock_cmd_init(&cmd);
    raw_ts(s, &now);
    clock_init(&s->c, &cfg, &now, base, &cmd);
    sim_apply(s, &cmd);
}

static void test_init_applies_frequency(void)
{
    struct sim s;
    struct timespec when;

    sim_init(&s, 0, 12.5, 0);
    CHECK_NEAR(s.drv_ppm, -12.5, 1e-12);
    CHECK_NEAR(clock_get_freq_ppm(&s.c), 12.5, 1e-12);
    CHECK(clock_next_timer(&s.c, &when));
    CHECK_NEAR(ts_to_double(&when), 1000.0 + 1e4, 1e-6);
    CHECK_NEAR(clock_freq_from_driver(3.0), -3.0, 0);
}

static void test_slew_removes_offset_in_planned_time(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now;

    /* 10 ms fast; correction rate chosen for a 100 s slew (100 ppm). */
    sim_init(&s, 5.0, 5.0, 0.0);
    sim_run(&s, 1010.0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    s.raw += 0.01; /* the clock is found 10 ms fast */
    raw_ts(&s, &now);
    CHECK(clock_accumulate_offset(&s.c, &now, 0.01, 0.01 * 100.0, &cmd));
    sim_apply(&s, &cmd);
    CHECK_NEAR(s.drv_ppm, -(5.0 + 1e-4 * (1e6 - 5.0)), 1e-6);
    CHECK_NEAR(clock_remaining_offset(&s.c, &now), 0.01, 1e-12);
    CHECK_NEAR(sim_cooked_error(&s), 0.0, 1e-9);

    sim_run(&s, 1060.0);
    CHECK_NEAR(s.raw - s.t, 0.005, 1e-5); /* half way */
    CHECK_NEAR(sim_cooked_error(&s), 0.0, 1e-9);
    sim_run(&s, 1111.0);
    CHECK_NEAR(s.raw - s.t, 0.0, 1e-8);
    CHECK_NEAR(sim_cooked_error(&s), 0.0, 1e-8);
    /* Correction done: back to the base frequency. */
    CHECK_NEAR(s.drv_ppm, -5.0, 1e-3);
}

static void test_slew_rate_limited(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now;

    /* 1 s slow with no rate suggestion: the fastest slew is maxslewrate,
     * 1/12, so the correction takes 12 s of true time. */
    sim_init(&s, 0.0, 0.0, -1.0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    clock_accumulate_offset(&s.c, &now, -1.0, 0.0, &cmd);
    sim_apply(&s, &cmd);
    CHECK_NEAR(s.drv_ppm, 1e6 / 12.0, 1e-3);
    sim_run(&s, 1011.5);
    CHECK(s.raw - s.t < -0.03);
    sim_run(&s, 1012.2);
    CHECK_NEAR(s.raw - s.t, 0.0, 1e-6);
    CHECK_NEAR(sim_cooked_error(&s), 0.0, 1e-6);
}

static void test_change_notifications(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now;

    sim_init(&s, 0, 0, 0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    clock_accumulate_freq_and_offset(&s.c, &now, 2e-6, 0.25, 10.0, &cmd);
    CHECK_INT_EQ(cmd.n_changes, 1);
    CHECK_NEAR(cmd.changes[0].dfreq, 2e-6, 1e-18);
    CHECK_NEAR(cmd.changes[0].doffset, 0.25, 0);
    CHECK_INT_EQ(cmd.changes[0].type, CLOCK_CHANGE_ADJUST);
    CHECK_NEAR(ts_to_double(&cmd.changes[0].cooked), 1000.0, 1e-9);
    CHECK_NEAR(clock_get_freq_ppm(&s.c), 2.0, 1e-9);

    clock_cmd_init(&cmd);
    clock_set_freq(&s.c, &now, 12.0, &cmd);
    CHECK_INT_EQ(cmd.n_changes, 1);
    CHECK_NEAR(cmd.changes[0].dfreq, 10.0 / (1e6 - 2.0), 1e-15);
    CHECK_NEAR(cmd.changes[0].doffset, 0.0, 0);

    clock_cmd_init(&cmd);
    clock_accumulate_freq(&s.c, &now, -12e-6 / (1.0 - 12e-6), &cmd);
    CHECK_NEAR(clock_get_freq_ppm(&s.c), 0.0, 1e-9);
}

static void test_step_keeps_slew(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now, when_before, when_after;

    sim_init(&s, 0, 0, 2.0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    clock_accumulate_offset(&s.c, &now, 0.5, 100.0, &cmd);
    sim_apply(&s, &cmd);
    clock_next_timer(&s.c, &when_before);
    clock_cmd_init(&cmd);
    CHECK(clock_step(&s.c, &now, 1.5, &cmd));
    CHECK_INT_EQ(cmd.step, 1);
    CHECK_NEAR(cmd.step_offset, 1.5, 0);
    CHECK_INT_EQ(cmd.n_changes, 1);
    CHECK_INT_EQ(cmd.changes[0].type, CLOCK_CHANGE_STEP);
    CHECK_NEAR(cmd.changes[0].doffset, 1.5, 0);
    sim_apply(&s, &cmd);
    raw_ts(&s, &now);
    clock_next_timer(&s.c, &when_after);
    CHECK_NEAR(ts_diff(&when_before, &when_after), 1.5, 1e-9);
    CHECK_NEAR(clock_remaining_offset(&s.c, &now), 0.5, 1e-9);
    CHECK_NEAR(sim_cooked_error(&s), 0.0, 1e-9);
}

static void test_undo_step(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now, when_before, when_after;

    sim_init(&s, 0, 0, 0.0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    clock_accumulate_offset(&s.c, &now, 0.5, 100.0, &cmd);
    clock_next_timer(&s.c, &when_before);
    clock_cmd_init(&cmd);
    clock_step(&s.c, &now, 2.0, &cmd);
    clock_undo_step(&s.c, 2.0); /* the driver could not step */
    clock_next_timer(&s.c, &when_after);
    CHECK_INT_EQ(ts_cmp(&when_before, &when_after), 0);
    CHECK_NEAR(clock_remaining_offset(&s.c, &now), 0.5, 1e-12);
}

static void test_make_step(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now;
    char buf[128];

    sim_init(&s, 0, 0, 0.75);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    clock_accumulate_offset(&s.c, &now, 0.75, 1000.0, &cmd);
    sim_apply(&s, &cmd);
    sim_run(&s, 1001.0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    CHECK(clock_make_step(&s.c, &now, &cmd));
    sim_apply(&s, &cmd);
    raw_ts(&s, &now);
    CHECK_NEAR(s.raw - s.t, 0.0, 1e-9);
    CHECK_NEAR(clock_remaining_offset(&s.c, &now), 0.0, 1e-12);
    CHECK_INT_EQ(cmd.n_events, 1);
    clock_event_format(&cmd.events[0], NULL, buf, sizeof(buf));
    CHECK(strncmp(buf, "System clock was stepped by -0.7", 32) == 0);
}

static void test_maxdrift_clamp(void)
{
    struct clock c;
    struct clock_config cfg;
    struct clock_cmd cmd;
    struct timespec now = {1000, 0};
    char buf[128];

    clock_config_default(&cfg);
    cfg.max_drift_ppm = 500.0;
    clock_cmd_init(&cmd);
    clock_init(&c, &cfg, &now, 0.0, &cmd);
    clock_cmd_init(&cmd);
    clock_set_freq(&c, &now, 1000.0, &cmd);
    CHECK_NEAR(clock_get_freq_ppm(&c), 500.0, 0);
    CHECK_NEAR(cmd.freq_ppm, -500.0, 1e-9);
    CHECK_INT_EQ(cmd.n_events, 1);
    CHECK_INT_EQ(clock_event_format(&cmd.events[0], NULL, buf, sizeof(buf)), CLOCK_EVL_WARN);
    CHECK_STR_EQ(buf, "Frequency 1000.0 ppm exceeds allowed maximum");
    clock_cmd_init(&cmd);
    clock_accumulate_freq(&c, &now, -2e-3, &cmd);
    CHECK_NEAR(clock_get_freq_ppm(&c), -500.0, 0);
}

static void test_invalid_offset(void)
{
    struct clock c;
    struct clock_config cfg;
    struct clock_cmd cmd;
    struct timespec now = {1000, 0};
    char buf[128];

    clock_config_default(&cfg);
    clock_cmd_init(&cmd);
    clock_init(&c, &cfg, &now, 0.0, &cmd);
    clock_cmd_init(&cmd);
    CHECK(!clock_accumulate_offset(&c, &now, 1e12, 0.0, &cmd));
    CHECK(!clock_step(&c, &now, NAN, &cmd));
    CHECK_INT_EQ(cmd.step, 0);
    CHECK_INT_EQ(cmd.n_events, 2);
    clock_event_format(&cmd.events[0], NULL, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "Adjustment of -1000000000000.0 seconds is invalid");
}

static void test_raw_cooked_inverse(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now, cooked, raw;

    sim_init(&s, 0, 0, 0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    clock_accumulate_offset(&s.c, &now, 0.3, 50.0, &cmd);
    sim_apply(&s, &cmd);
    sim_run(&s, 1003.0);
    raw_ts(&s, &now);
    clock_cooked_time(&s.c, &now, &cooked, NULL);
    clock_raw_time(&s.c, &cooked, &raw);
    CHECK_NEAR(ts_diff(&raw, &now), 0.0, 3e-9); /* ns rounding */
}

static void test_sync_status_includes_offset(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now;

    sim_init(&s, 0, 0, 0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    clock_accumulate_offset(&s.c, &now, -0.2, 1000.0, &cmd);
    clock_set_sync_status(&s.c, 1, 0.001, 0.01, &cmd);
    CHECK_INT_EQ(cmd.set_sync, 1);
    CHECK_NEAR(cmd.est_error, 0.2, 1e-12);
    CHECK_NEAR(cmd.max_error, 0.21, 1e-12);
}

static void test_unknown_step_drops_correction(void)
{
    struct sim s;
    struct clock_cmd cmd;
    struct timespec now;

    sim_init(&s, 0, 0, 0);
    raw_ts(&s, &now);
    clock_cmd_init(&cmd);
    clock_accumulate_offset(&s.c, &now, 0.4, 1000.0, &cmd);
    clock_cmd_init(&cmd);
    clock_notify_unknown_step(&s.c, &now, 3.0, 0.01, &cmd);
    CHECK_NEAR(clock_remaining_offset(&s.c, &now), 0.0, 0);
    CHECK_INT_EQ(cmd.changes[0].type, CLOCK_CHANGE_UNKNOWN_STEP);
    CHECK_NEAR(cmd.dispersion, 0.01, 0);
}

/* chronyd -x (null driver): the driver keeps frequencies without acting on them and refuses
 * steps, so the model corrects readings itself: an offset at once (it stays "remaining":
 * tracking shows the uncorrected offset), a frequency error by folding it in over time. */
static void test_null_driver(void)
{
    struct clock_config cfg;
    struct clock_cmd cmd;
    struct timespec now, cooked;
    struct clock c;
    const double gain = 50.0; /* ppm: the free-running clock gains 50 us a second */
    double t = 1000.0, raw = 1000.0 + 0.3;

    clock_config_default(&cfg);
    cfg.null_driver = 1;
    clock_cmd_init(&cmd);
    ts_from_double(&now, raw);
    clock_init(&c, &cfg, &now, 0.0, &cmd);
    /* The clock is 0.3 s fast and gains 50 ppm: tell the model both. */
    clock_cmd_init(&cmd);
    CHECK(clock_accumulate_freq_and_offset(&c, &now, gain * 1e-6, 0.3, 1.0, &cmd));
    CHECK(cmd.set_freq); /* given to the driver, which only keeps it */
    clock_cooked_time(&c, &now, &cooked, NULL);
    CHECK_NEAR(ts_to_double(&cooked), t, 1e-9);
    CHECK_NEAR(clock_remaining_offset(&c, &now), 0.3, 1e-9);
    /* An hour later (timers run, nothing slews), cooked time is still true time and the
     * whole uncorrected offset is remaining. */
    for (int i = 0; i < 3600; i++) {
        struct timespec when;
        t += 1.0;
        raw += 1.0 * (1.0 + gain * 1e-6);
        ts_from_double(&now, raw);
        clock_next_timer(&c, &when);
        if (ts_cmp(&now, &when) >= 0) {
            clock_cmd_init(&cmd);
            clock_on_timer(&c, &now, &cmd);
            CHECK_INT_EQ(cmd.n_changes, 0);
        }
    }
    clock_cooked_time(&c, &now, &cooked, NULL);
    CHECK_NEAR(ts_to_double(&cooked), t, 1e-6);
    CHECK_NEAR(clock_remaining_offset(&c, &now), 0.3 + 3600 * gain * 1e-6, 1e-6);
}

static void test_event_texts(void)
{
    struct clock_event ev = {DISC_EV_MAXCHANGE, -1000.0, 100.0, 0};
    char buf[160];

    clock_event_format(&ev, NULL, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "Adjustment of -1000.000 seconds exceeds the allowed maximum of 100.000 "
                      "seconds (ignored) ");
    ev = (struct clock_event){DISC_EV_DRIFT_READ, 1.5, 0.25, 0};
    clock_event_format(&ev, "/var/lib/chrony/drift", buf, sizeof(buf));
    CHECK_STR_EQ(buf, "Frequency 1.500 +/- 0.250 ppm read from /var/lib/chrony/drift");
    ev = (struct clock_event){DISC_EV_WRONG_ONCE, -0.5, 0, 1};
    clock_event_format(&ev, NULL, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "System clock wrong by -0.500000 seconds (step)");
    ev = (struct clock_event){CLOCK_EV_COUNT, 0, 0, 0};
    CHECK_INT_EQ(clock_event_format(&ev, NULL, buf, sizeof(buf)), CLOCK_EVL_DEBUG);
    CHECK_STR_EQ(buf, "");
}

int main(void)
{
    RUN(test_init_applies_frequency);
    RUN(test_slew_removes_offset_in_planned_time);
    RUN(test_slew_rate_limited);
    RUN(test_change_notifications);
    RUN(test_step_keeps_slew);
    RUN(test_undo_step);
    RUN(test_make_step);
    RUN(test_maxdrift_clamp);
    RUN(test_invalid_offset);
    RUN(test_raw_cooked_inverse);
    RUN(test_sync_status_includes_offset);
    RUN(test_unknown_step_drops_correction);
    RUN(test_event_texts);
    RUN(test_null_driver);
    return check_summary();
}
