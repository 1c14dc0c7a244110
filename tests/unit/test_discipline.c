/* Tests for the clock discipline (core/discipline) with a simulated clock. */
#include "check.h"
#include "core/discipline.h"
#include "lib/ts.h"

#include <math.h>
#include <string.h>

/* 2016-12-31 00:00:00 UTC: a leap second day. */
#define LEAP_DAY 1483142400.0

/* True time is base + el; the raw clock reads true time + off. Kept apart
 * so that double rounding at 1.5e9 s does not blur microseconds. */
struct world {
    double base, el, t, off, gain_ppm, drv_ppm;
    int leap_cmd, leap_set, stepped;
    int db_leap, db_tai, tai_cmd; /* leap table input, TAI offset given to the clock */
    struct clock c;
    struct discipline d;
    struct disc_outcome last;
};

static void raw_ts(const struct world *w, struct timespec *ts)
{
    struct timespec b;

    ts_from_double(&b, w->base);
    ts_add(ts, &b, w->el + w->off);
}

static void apply(struct world *w, const struct disc_outcome *o)
{
    int i;

    if (o->cmd.set_freq)
        w->drv_ppm = o->cmd.freq_ppm;
    if (o->cmd.step) {
        w->off -= o->cmd.step_offset;
        w->stepped++;
    }
    if (o->cmd.set_leap) {
        w->leap_set = 1;
        w->leap_cmd = o->cmd.leap;
        w->tai_cmd = o->cmd.tai_offset;
    }
    for (i = 0; i < o->cmd.n_changes; i++)
        disc_on_clock_change(&w->d, &o->cmd.changes[i], NULL);
    w->last = *o;
}

static void world_init(struct world *w, const struct disc_config *dc, double t0, double offset,
                       double gain)
{
    struct clock_config cc;
    struct clock_cmd cmd;
    struct timespec now;

    memset(w, 0, sizeof(*w));
    w->base = floor(t0);
    w->el = t0 - w->base;
    w->t = t0;
    w->off = offset;
    w->gain_ppm = gain;
    clock_config_default(&cc);
    cc.max_drift_ppm = 100.0;
    raw_ts(w, &now);
    clock_cmd_init(&cmd);
    clock_init(&w->c, &cc, &now, 0.0, &cmd);
    w->drv_ppm = cmd.freq_ppm;
    disc_init(&w->d, dc, &w->c, &now);
}

/* Advance true time, running the clock and discipline timers. */
static void world_run(struct world *w, double t_end)
{
    while (w->t < t_end - 1e-12) {
        struct timespec now, when, cooked;
        double step = t_end - w->t < 0.05 ? t_end - w->t : 0.05;

        w->off += step * ((1e6 + w->drv_ppm) / (1e6 - w->gain_ppm) - 1.0);
        w->el += step;
        w->t = w->base + w->el;
        raw_ts(w, &now);
        clock_next_timer(&w->c, &when);
        if (ts_cmp(&now, &when) >= 0) {
            struct disc_outcome o;
            memset(&o, 0, sizeof(o));
            clock_on_timer(&w->c, &now, &o.cmd);
            apply(w, &o);
        }
        clock_cooked_time(&w->c, &now, &cooked, NULL);
        if (disc_next_timer(&w->d, &when) && ts_cmp(&cooked, &when) >= 0) {
            struct disc_outcome o;
            disc_on_timer(&w->d, &now, &o);
            apply(w, &o);
        }
    }
}

/* What an ideal source would report now: offset of our cooked time. */
static void world_update(struct world *w, double freq, double skew, double sd, int leap)
{
    struct disc_update u;
    struct disc_outcome o;
    struct timespec now;

    memset(&u, 0, sizeof(u));
    raw_ts(w, &now);
    clock_cooked_time(&w->c, &now, &u.ref_time, NULL);
    u.offset = w->off + clock_cooked_offset(&w->c, &now);
    u.stratum = 2;
    u.leap = leap;
    u.db_leap = w->db_leap;
    u.db_tai_offset = w->db_tai;
    u.combined = 1;
    u.ref_id = 0xC0000201;
    u.offset_sd = sd;
    u.frequency = freq;
    u.skew = skew;
    u.root_delay = 0.02;
    u.root_dispersion = 0.001;
    disc_update(&w->d, &now, &u, &o);
    apply(w, &o);
}

static double world_offset(const struct world *w)
{
    return w->off;
}

static int has_event(const struct disc_outcome *o, enum clock_event_code code, char *buf)
{
    int i;

    for (i = 0; i < o->cmd.n_events; i++) {
        if (o->cmd.events[i].code == code) {
            if (buf)
                clock_event_format(&o->cmd.events[i], "drift", buf, 200);
            return 1;
        }
    }
    return 0;
}

static void test_constant_offset_converges(void)
{
    struct disc_config dc;
    struct world w;
    int i;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.05, 0.0);
    for (i = 0; i < 10; i++) {
        world_update(&w, 0.0, 1e-7, 1e-4, 0);
        CHECK_INT_EQ(w.last.verdict, DISC_APPLIED);
        world_run(&w, w.t + 64.0);
    }
    CHECK_NEAR(world_offset(&w), 0.0, 1e-6);
    CHECK_INT_EQ(w.stepped, 0);
    CHECK(w.d.synced);
}

static void test_frequency_estimation(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_tracking tr;
    struct timespec now;
    int i;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 20.0);
    /* The regression sees the clock gaining 20 ppm. */
    world_update(&w, 20e-6, 1e-7, 1e-5, 0);
    CHECK_NEAR(clock_get_freq_ppm(&w.c), 20.0, 1e-3);
    for (i = 0; i < 5; i++) {
        world_run(&w, w.t + 64.0);
        world_update(&w, 0.0, 1e-7, 1e-5, 0);
    }
    CHECK_NEAR(clock_get_freq_ppm(&w.c), 20.0, 1e-3);
    raw_ts(&w, &now);
    disc_get_tracking(&w.d, &now, 0.0, &tr);
    CHECK_NEAR(tr.freq_ppm, 20.0, 1e-3);
    CHECK(tr.skew_ppm > 0.0 && tr.skew_ppm < 1.0);
    CHECK_NEAR(tr.last_update_interval, 64.0, 1e-3);
    world_run(&w, w.t + 640.0);
    CHECK_NEAR(world_offset(&w), 0.0, 1e-6);
}

static void test_maxupdateskew_ignores_frequency(void)
{
    struct disc_config dc;
    struct world w;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 50e-6, 2000e-6, 1e-3, 0);
    CHECK_NEAR(clock_get_freq_ppm(&w.c), 0.0, 0);
    CHECK_NEAR(w.d.residual_freq, 50e-6, 1e-15);
    world_update(&w, 50e-6, 500e-6, 1e-3, 0);
    CHECK(clock_get_freq_ppm(&w.c) > 40.0);
}

static void test_maxdrift_clamps_frequency(void)
{
    struct disc_config dc;
    struct world w;
    char buf[200];

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0); /* maxdrift 100 ppm */
    world_update(&w, 300e-6, 1e-7, 1e-5, 0);
    CHECK_NEAR(clock_get_freq_ppm(&w.c), 100.0, 0);
    CHECK(has_event(&w.last, CLOCK_EV_FREQ_LIMIT, buf));
    CHECK_STR_EQ(buf, "Frequency 300.0 ppm exceeds allowed maximum");
}

/* mailonchange: the mail event on updates whose offset exceeds the threshold. */
static void test_mail_change_event(void)
{
    struct disc_config dc;
    struct world w;
    char buf[200];

    disc_config_default(&dc);
    dc.mail_change = 1;
    dc.mail_change_threshold = 0.5;
    world_init(&w, &dc, 1000.0, 0.4, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK(!has_event(&w.last, DISC_EV_MAIL_CHANGE, NULL));
    world_run(&w, w.t + 16);
    w.off += 1.0;
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK(has_event(&w.last, DISC_EV_MAIL_CHANGE, buf));
    CHECK_INT_EQ(strncmp(buf, "Adjustment of -1.", 17), 0);
    CHECK(strstr(buf, "exceeds the mailonchange threshold of 0.500 seconds") != NULL);
    /* Without mailonchange: none. */
    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 3.0, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK(!has_event(&w.last, DISC_EV_MAIL_CHANGE, NULL));
}

static void test_makestep_within_limit(void)
{
    struct disc_config dc;
    struct world w;
    char buf[200];

    disc_config_default(&dc);
    dc.makestep_threshold = 0.1;
    dc.makestep_limit = 2;
    world_init(&w, &dc, 1000.0, 1.5, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.stepped, 1);
    CHECK_NEAR(w.last.cmd.step_offset, 1.5, 1e-9);
    CHECK(has_event(&w.last, DISC_EV_CLOCK_WRONG, buf));
    CHECK_STR_EQ(buf, "System clock wrong by -1.500000 seconds");
    CHECK(has_event(&w.last, DISC_EV_STEPPED, buf));
    CHECK_STR_EQ(buf, "System clock was stepped by -1.500000 seconds");
    CHECK_NEAR(world_offset(&w), 0.0, 1e-9);
    world_run(&w, w.t + 16);
    world_update(&w, 0, 1e-7, 1e-4, 0); /* second update, small offset */
    world_run(&w, w.t + 16);
    w.off += 1.0; /* the clock jumps: beyond the limit now */
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.stepped, 1);
    {
        struct timespec now;
        raw_ts(&w, &now);
        CHECK_NEAR(clock_remaining_offset(&w.c, &now), 1.0, 1e-3);
    }
}

static void test_makestep_always(void)
{
    struct disc_config dc;
    struct world w;
    int i;

    disc_config_default(&dc);
    dc.makestep_threshold = 0.5;
    dc.makestep_limit = -1;
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    for (i = 0; i < 5; i++) {
        w.off += 2.0;
        world_update(&w, 0, 1e-7, 1e-4, 0);
        world_run(&w, w.t + 16);
    }
    CHECK_INT_EQ(w.stepped, 5);
    w.off += 0.2; /* below the threshold: slewed */
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.stepped, 5);
}

static void test_maxchange(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_outcome o;
    struct timespec now;
    char buf[200];

    disc_config_default(&dc);
    dc.maxchange_offset = 100.0;
    dc.maxchange_delay = 1;
    dc.maxchange_ignore = 2;
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    w.off += 1000.0;
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_APPLIED); /* the first update is not checked */
    CHECK_INT_EQ(w.last.cmd.n_events, 1);       /* only "System clock wrong by" */
    raw_ts(&w, &now);
    memset(&o, 0, sizeof(o));
    clock_make_step(&w.c, &now, &o.cmd); /* get rid of it */
    apply(&w, &o);
    w.off += 1000.0;
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_IGNORED_MAXCHANGE);
    CHECK(has_event(&w.last, DISC_EV_MAXCHANGE, buf));
    CHECK_STR_EQ(buf, "Adjustment of -1000.000 seconds exceeds the allowed maximum of 100.000 "
                      "seconds (ignored) ");
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_IGNORED_MAXCHANGE);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_EXIT_MAXCHANGE);
    CHECK(has_event(&w.last, DISC_EV_MAXCHANGE, buf));
    CHECK(strstr(buf, "(exiting) ") != NULL);
}

static void test_leap_vote(void)
{
    int a[] = {1, 1, 0}, b[] = {1, 0, 0, 1}, c[] = {2, 2, 2, 0, 3};

    CHECK_INT_EQ(disc_leap_vote(a, 3), DISC_LEAP_INSERT);
    CHECK_INT_EQ(disc_leap_vote(b, 4), DISC_LEAP_NORMAL);
    CHECK_INT_EQ(disc_leap_vote(c, 5), DISC_LEAP_DELETE);
    CHECK_INT_EQ(disc_leap_vote(NULL, 0), DISC_LEAP_NORMAL);
    CHECK(disc_is_leap_second_day(1483185600));      /* 2016-12-31 12:00 */
    CHECK(disc_is_leap_second_day(1435665600));      /* 2015-06-30 12:00 */
    CHECK(!disc_is_leap_second_day(1483228800));     /* 2017-01-01 00:00 */
    CHECK(!disc_is_leap_second_day(1435622400 - 1)); /* 2015-06-29 23:59:59 */
}

static void test_leap_system_mode(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_ntp_state st;
    struct timespec now;

    disc_config_default(&dc);
    world_init(&w, &dc, LEAP_DAY + 43200.0, 0.0, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_INSERT);
    CHECK_INT_EQ(w.leap_set, 1);
    CHECK_INT_EQ(w.leap_cmd, 1);
    CHECK_INT_EQ(w.d.leap_status, DISC_LEAP_INSERT);
    world_run(&w, LEAP_DAY + 86400.0 - 0.4);
    CHECK_INT_EQ(w.d.leap_in_progress, 1);
    raw_ts(&w, &now);
    disc_get_ntp_state(&w.d, &now, 0.0, &st);
    CHECK_INT_EQ(st.leap, DISC_LEAP_UNSYNC);
    world_run(&w, LEAP_DAY + 86400.0 + 2.0);
    CHECK_INT_EQ(w.d.leap_in_progress, 0);
    CHECK_INT_EQ(w.leap_cmd, 0);
    CHECK_INT_EQ(w.d.leap_status, DISC_LEAP_NORMAL);
}

/* The leap table's TAI - UTC goes to the clock with the leap status (system mode) and
 * moves by the leap second when it is over, as chrony's reference.c. */
static void test_leap_tai_offset(void)
{
    struct disc_config dc;
    struct world w;

    disc_config_default(&dc);
    world_init(&w, &dc, LEAP_DAY - 86400.0 + 43200.0, 0.0, 0.0);
    w.db_tai = 36;
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_NORMAL);
    CHECK_INT_EQ(w.leap_set, 1);
    CHECK_INT_EQ(w.leap_cmd, 0);
    CHECK_INT_EQ(w.tai_cmd, 36);
    /* the leap day: the table announces the insertion, the offset is still 36 */
    world_run(&w, LEAP_DAY + 43200.0);
    w.leap_set = 0;
    w.db_leap = DISC_LEAP_INSERT;
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_NORMAL);
    CHECK_INT_EQ(w.leap_set, 1);
    CHECK_INT_EQ(w.leap_cmd, 1);
    CHECK_INT_EQ(w.tai_cmd, 36);
    world_run(&w, LEAP_DAY + 86400.0 + 2.0);
    CHECK_INT_EQ(w.leap_cmd, 0);
    CHECK_INT_EQ(w.tai_cmd, 37);
    CHECK_INT_EQ(w.d.tai_offset, 37);
    /* the next update with the table's 37: nothing to change */
    w.leap_set = 0;
    w.db_leap = DISC_LEAP_NORMAL;
    w.db_tai = 37;
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_NORMAL);
    CHECK_INT_EQ(w.leap_set, 0);
    /* slew mode: the kernel is not told anything */
    dc.leap_mode = DISC_LEAPMODE_SLEW;
    world_init(&w, &dc, LEAP_DAY + 43200.0, 0.0, 0.0);
    w.db_tai = 36;
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_NORMAL);
    CHECK_INT_EQ(w.leap_set, 0);
    CHECK_INT_EQ(w.d.tai_offset, 36);
}

static void test_step_keeps_leap_scheduled(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_outcome o;
    struct timespec now;

    disc_config_default(&dc);
    world_init(&w, &dc, LEAP_DAY + 3600.0, 10.0, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_INSERT);
    raw_ts(&w, &now);
    disc_outcome_init(&o);
    clock_step(&w.c, &now, 10.0, &o.cmd);
    apply(&w, &o); /* the change reaches the discipline with a NULL cmd */
    CHECK_INT_EQ(w.d.leap_sec, 1);
    CHECK(w.d.leap_timer_set);
    CHECK_NEAR(ts_to_double(&w.d.leap_timer), LEAP_DAY + 86400.0 - 0.5, 1e-9);
}

/* leapsecmode ignore: the kernel is not told, the clock is not stepped, the inserted
 * second is left for the sources to correct. */
static void test_leap_ignore_mode(void)
{
    struct disc_config dc;
    struct world w;
    char buf[200];

    disc_config_default(&dc);
    dc.leap_mode = DISC_LEAPMODE_IGNORE;
    world_init(&w, &dc, LEAP_DAY + 3600.0, 0.0, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_INSERT);
    CHECK_INT_EQ(w.leap_set, 0);
    CHECK_INT_EQ(w.d.leap_sec, 1);
    world_run(&w, LEAP_DAY + 86400.0 + 0.1);
    CHECK_INT_EQ(w.stepped, 0);
    CHECK(has_event(&w.last, DISC_EV_LEAP_IGNORE, buf));
    CHECK_NEAR(w.off, 0.0, 1e-3);
}

static void test_leap_step_mode_and_wrong_day(void)
{
    struct disc_config dc;
    struct world w;
    char buf[200];

    disc_config_default(&dc);
    dc.leap_mode = DISC_LEAPMODE_STEP;
    world_init(&w, &dc, LEAP_DAY - 43200.0, 0.0, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_INSERT); /* not the last day */
    CHECK_INT_EQ(w.d.leap_status, DISC_LEAP_NORMAL);
    CHECK_INT_EQ(w.d.leap_sec, 0);
    world_run(&w, LEAP_DAY + 3600.0);
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_INSERT);
    CHECK_INT_EQ(w.leap_set, 0); /* no kernel leap in step mode */
    CHECK_INT_EQ(w.d.leap_sec, 1);
    world_run(&w, LEAP_DAY + 86400.0 + 0.1);
    CHECK_INT_EQ(w.stepped, 1);
    CHECK(has_event(&w.last, DISC_EV_LEAP_STEP, buf));
    CHECK_STR_EQ(buf, "System clock was stepped for leap second");
    /* The clock went back by the inserted second; the simulated true time
     * is a continuous scale without leap seconds, so raw now trails it. */
    CHECK_NEAR(w.off, -1.0, 1e-6);
}

static void test_stratum_refid_and_tracking(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_ntp_state st;
    struct disc_tracking tr;
    struct timespec now, cooked;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.002, 0.0);
    raw_ts(&w, &now);
    disc_get_ntp_state(&w.d, &now, 0.0, &st);
    CHECK_INT_EQ(st.leap, DISC_LEAP_UNSYNC);
    CHECK_INT_EQ(st.stratum, 16);
    CHECK_INT_EQ(st.ref_id, 0);
    CHECK_NEAR(st.root_dispersion, 1.0, 0);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    raw_ts(&w, &now);
    clock_cooked_time(&w.c, &now, &cooked, NULL);
    disc_get_ntp_state(&w.d, &cooked, 0.0, &st);
    CHECK_INT_EQ(st.stratum, 3);
    CHECK_INT_EQ(st.ref_id, 0xC0000201);
    CHECK_INT_EQ(st.leap, DISC_LEAP_NORMAL);
    CHECK_NEAR(st.root_delay, 0.02, 0);
    disc_get_tracking(&w.d, &now, 0.0, &tr);
    CHECK_INT_EQ(tr.stratum, 3);
    CHECK_NEAR(tr.last_offset, 0.002, 1e-9);
    CHECK_NEAR(tr.rms_offset, 0.002, 1e-9);
    CHECK_NEAR(tr.current_correction, -0.002, 1e-9); /* all still to be slewed */
    CHECK_INT_EQ(disc_get_stratum(&w.d, &cooked), 3);
}

static void test_root_dispersion_growth(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_ntp_state st;
    struct disc_tracking tr;
    struct timespec now, later;
    double rate;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 1e-7, 1e-6, 1e-4, 0);
    raw_ts(&w, &now);
    disc_get_tracking(&w.d, &now, 0.0, &tr);
    rate = tr.skew_ppm * 1e-6 + fabs(tr.resid_freq_ppm) * 1e-6 + 1e-6; /* + maxclockerror */
    ts_add(&later, &w.d.ref_time, 1000.0);
    disc_get_ntp_state(&w.d, &later, 0.0, &st);
    CHECK_NEAR(st.root_dispersion, 0.001 + rate * 1000.0, 1e-12);
    CHECK(st.root_dispersion > 0.001 + 2e-3);
}

static void test_local_fallback(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_ntp_state st;
    struct disc_tracking tr;
    struct timespec now, later;

    disc_config_default(&dc);
    dc.local_enabled = 1;
    dc.local_stratum = 8;
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    raw_ts(&w, &now);
    disc_get_ntp_state(&w.d, &now, 0.0, &st);
    CHECK_INT_EQ(st.synchronised, 0);
    CHECK_INT_EQ(st.local, 1);
    CHECK_INT_EQ(st.stratum, 8);
    CHECK_INT_EQ(st.ref_id, 0x7F7F0101);
    CHECK_INT_EQ(st.leap, DISC_LEAP_NORMAL);
    CHECK_NEAR(ts_diff(&now, &st.ref_time), 1.0, 1e-9);
    CHECK_NEAR(st.root_delay, 0.0, 0);
    /* The reference time is kept, then refreshed (and fuzzed) after 64 s. */
    ts_add(&later, &now, 30.0);
    disc_get_ntp_state(&w.d, &later, 0.5, &st);
    CHECK_NEAR(ts_diff(&now, &st.ref_time), 1.0, 1e-9);
    ts_add(&later, &now, 70.0);
    disc_get_ntp_state(&w.d, &later, 0.5, &st);
    CHECK_NEAR(ts_diff(&later, &st.ref_time), 1.5, 1e-9);
    disc_get_tracking(&w.d, &now, 0.0, &tr);
    CHECK_INT_EQ(tr.ref_id, DISC_REFID_LOCAL);
    CHECK_INT_EQ(tr.stratum, 8);
    CHECK_INT_EQ(tr.leap_status, DISC_LEAP_NORMAL);
    CHECK_NEAR(tr.skew_ppm, 0.0, 0);
    CHECK(disc_local_active(&w.d, &now));
}

static void test_local_orphan_waits(void)
{
    struct disc_config dc;
    struct world w;
    struct timespec now;

    disc_config_default(&dc);
    dc.local_enabled = 1;
    dc.local_orphan = 1;
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    raw_ts(&w, &now);
    CHECK(!disc_local_active(&w.d, &now));
    CHECK_INT_EQ(disc_get_stratum(&w.d, &now), 16);
    world_run(&w, 1301.0);
    raw_ts(&w, &now);
    CHECK(disc_local_active(&w.d, &now));
    CHECK_INT_EQ(disc_get_stratum(&w.d, &now), 10);
}

static void test_local_activates_at_distance(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_ntp_state st;
    struct timespec now, later;
    double rate;

    disc_config_default(&dc);
    dc.local_enabled = 1;
    dc.local_distance = 0.02; /* root distance starts at 0.011 */
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 0, 1e-6, 1e-4, 0);
    raw_ts(&w, &now);
    disc_get_ntp_state(&w.d, &now, 0.0, &st);
    CHECK_INT_EQ(st.stratum, 3);
    CHECK_INT_EQ(st.local, 0);
    rate = w.d.skew + fabs(w.d.residual_freq) + 1e-6;
    ts_add(&later, &w.d.ref_time, 0.009 / rate - 1.0);
    CHECK_INT_EQ(disc_get_stratum(&w.d, &later), 3);
    ts_add(&later, &w.d.ref_time, 0.009 / rate + 1.0);
    disc_get_ntp_state(&w.d, &later, 0.0, &st);
    CHECK_INT_EQ(st.stratum, 10);
    CHECK_INT_EQ(st.ref_id, DISC_REFID_LOCAL);
    CHECK_INT_EQ(st.local, 1);
    CHECK_INT_EQ(st.synchronised, 0);
    CHECK_NEAR(st.root_dispersion, 0.0, 0);
}

static void test_local_wait_synced(void)
{
    struct disc_config dc;
    struct world w;
    struct timespec later;

    disc_config_default(&dc);
    dc.local_enabled = 1;
    dc.local_distance = 0.001; /* already exceeded */
    dc.local_wait_synced = 100.0;
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 0, 1e-6, 1e-4, 0);
    ts_add(&later, &w.d.last_ref_update, 99.0);
    CHECK(!disc_local_active(&w.d, &later));
    ts_add(&later, &w.d.last_ref_update, 101.0);
    CHECK(disc_local_active(&w.d, &later));
}

/* `waitunsynced 50`: without a synchronisation the local reference waits 50 s. */
static void test_local_wait_unsynced(void)
{
    struct disc_config dc;
    struct world w;
    struct timespec now, later;

    disc_config_default(&dc);
    dc.local_enabled = 1;
    dc.local_wait_unsynced = 50.0;
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    raw_ts(&w, &now);
    ts_add(&later, &now, 49.0);
    CHECK(!disc_local_active(&w.d, &later));
    ts_add(&later, &now, 51.0);
    CHECK(disc_local_active(&w.d, &later));
}

static void test_local_activate_requires_sync(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_outcome o;
    struct timespec now;

    disc_config_default(&dc);
    dc.local_enabled = 1;
    dc.local_activate = 0.005;
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    raw_ts(&w, &now);
    CHECK(!disc_local_active(&w.d, &now)); /* never synchronised below 5 ms */
    world_update(&w, 0, 1e-6, 1e-4, 0);    /* distance 11 ms: not enough */
    disc_set_unsynchronised(&w.d, &now, &o);
    CHECK(!disc_local_active(&w.d, &now));
    w.d.cfg.local_activate = 0.02;
    world_update(&w, 0, 1e-6, 1e-4, 0);
    disc_set_unsynchronised(&w.d, &now, &o);
    CHECK(disc_local_active(&w.d, &now));
}

static void test_unsynchronised(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_outcome o;
    struct disc_ntp_state st;
    struct timespec now;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 0, 1e-6, 1e-4, 0);
    raw_ts(&w, &now);
    disc_set_unsynchronised(&w.d, &now, &o);
    CHECK_INT_EQ(o.cmd.set_sync, 1);
    CHECK_INT_EQ(o.cmd.synced, 0);
    disc_get_ntp_state(&w.d, &now, 0.0, &st);
    CHECK_INT_EQ(st.leap, DISC_LEAP_UNSYNC);
    CHECK_INT_EQ(st.stratum, 16);
}

static void test_drift_file_requests(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_outcome o;
    struct timespec now;
    int writes = 0, i;
    double f, s;
    char buf[200];

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    raw_ts(&w, &now);
    disc_init_frequency(&w.d, &now, 1, 1, 3.5, 0.25, &o);
    apply(&w, &o);
    CHECK_NEAR(clock_get_freq_ppm(&w.c), 3.5, 0);
    CHECK_NEAR(w.d.skew, 0.25e-6, 1e-18);
    CHECK(has_event(&o, DISC_EV_DRIFT_READ, buf));
    CHECK_STR_EQ(buf, "Frequency 3.500 +/- 0.250 ppm read from drift");
    disc_init_frequency(&w.d, &now, 1, 0, 0, 0, &o);
    CHECK(has_event(&o, DISC_EV_DRIFT_BAD, buf));
    CHECK_STR_EQ(buf, "Could not read valid frequency and skew from driftfile drift");
    CHECK(has_event(&o, DISC_EV_INITIAL_FREQ, NULL));
    for (i = 0; i < 70; i++) {
        world_update(&w, 0, 1e-7, 1e-4, 0);
        writes += w.last.write_drift;
        world_run(&w, w.t + 64.0);
    }
    CHECK_INT_EQ(writes, 1); /* 69 x 64 s: one write after an hour */
    disc_final_drift(&w.d, &f, &s);
    CHECK_NEAR(f, clock_get_freq_ppm(&w.c), 0);
}

static void test_fallback_drift(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_outcome o;
    struct timespec now;
    int i;

    disc_config_default(&dc);
    dc.fb_drift_min = 4; /* 16 s */
    dc.fb_drift_max = 5; /* 32 s */
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 10e-6, 1e-7, 1e-6, 0);
    for (i = 0; i < 12; i++) {
        world_run(&w, w.t + 8.0);
        world_update(&w, 0, 1e-7, 1e-6, 0);
    }
    CHECK_NEAR(w.d.fb[0].freq_ppm, 10.0, 1e-3);
    /* Something else changed the frequency; updates stop. */
    raw_ts(&w, &now);
    clock_cmd_init(&o.cmd);
    clock_set_freq(&w.c, &now, 30.0, &o.cmd);
    world_run(&w, w.t + 17.0);
    CHECK_NEAR(clock_get_freq_ppm(&w.c), 10.0, 1e-3);
    CHECK_INT_EQ(w.d.synced, 0);
}

static void test_update_once_mode(void)
{
    struct disc_config dc;
    struct world w;
    char buf[200];

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.5, 0.0);
    disc_set_mode(&w.d, DISC_MODE_UPDATE_ONCE);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_MODE_DONE);
    CHECK_INT_EQ(w.last.mode_result, 1);
    CHECK_INT_EQ(w.stepped, 1);
    CHECK(has_event(&w.last, DISC_EV_WRONG_ONCE, buf));
    CHECK_STR_EQ(buf, "System clock wrong by -0.500000 seconds (step)");
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_NOTHING);
}

/* initstepslew: the first estimate is stepped when at least the threshold away. */
static void test_init_step_slew_step(void)
{
    struct disc_config dc;
    struct world w;
    char buf[200];

    disc_config_default(&dc);
    dc.init_step_threshold = 1.0;
    world_init(&w, &dc, 1000.0, -5.0, 0.0);
    disc_set_mode(&w.d, DISC_MODE_INIT_STEP_SLEW);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_MODE_DONE);
    CHECK_INT_EQ(w.last.ended_mode, DISC_MODE_INIT_STEP_SLEW);
    CHECK_INT_EQ(w.last.mode_result, 1);
    CHECK_INT_EQ(w.stepped, 1);
    CHECK_NEAR(world_offset(&w), 0.0, 1e-9);
    CHECK(has_event(&w.last, DISC_EV_INIT_OFFSET, buf));
    CHECK_STR_EQ(buf, "System's initial offset : 5.000000 seconds slow of true (step)");
    /* The reference was not updated; the ignore mode takes no more estimates. */
    CHECK(!w.d.synced);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_NOTHING);
    /* Normal operation afterwards (the daemon switches the mode back). */
    disc_set_mode(&w.d, DISC_MODE_NORMAL);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_APPLIED);
    CHECK(w.d.synced);
}

/* Below the threshold the offset is slewed: no step, the correction in progress. An offset
 * equal to the threshold is stepped (chrony compares with >=). */
static void test_init_step_slew_slew(void)
{
    struct disc_config dc;
    struct world w;
    struct timespec now;
    char buf[200];

    disc_config_default(&dc);
    dc.init_step_threshold = 10.0;
    world_init(&w, &dc, 1000.0, 0.25, 0.0);
    disc_set_mode(&w.d, DISC_MODE_INIT_STEP_SLEW);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_MODE_DONE);
    CHECK_INT_EQ(w.stepped, 0);
    CHECK(has_event(&w.last, DISC_EV_INIT_OFFSET, buf));
    CHECK_STR_EQ(buf, "System's initial offset : 0.250000 seconds fast of true (slew)");
    raw_ts(&w, &now);
    CHECK_NEAR(clock_cooked_offset(&w.c, &now), -0.25, 1e-6);
    world_run(&w, w.t + 60.0);
    CHECK_NEAR(world_offset(&w), 0.0, 1e-3);

    dc.init_step_threshold = 0.5;
    world_init(&w, &dc, 1000.0, 0.5, 0.0);
    disc_set_mode(&w.d, DISC_MODE_INIT_STEP_SLEW);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    CHECK_INT_EQ(w.stepped, 1);
}

/* No source could give an estimate: chrony's warning, the mode fails, nothing is done. */
static void test_init_step_slew_no_source(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_outcome o;
    struct timespec now;
    char buf[200];

    disc_config_default(&dc);
    dc.init_step_threshold = 1.0;
    world_init(&w, &dc, 1000.0, 3.0, 0.0);
    disc_set_mode(&w.d, DISC_MODE_INIT_STEP_SLEW);
    raw_ts(&w, &now);
    disc_set_unsynchronised(&w.d, &now, &o);
    apply(&w, &o);
    CHECK_INT_EQ(o.verdict, DISC_MODE_DONE);
    CHECK_INT_EQ(o.ended_mode, DISC_MODE_INIT_STEP_SLEW);
    CHECK_INT_EQ(o.mode_result, 0);
    CHECK_INT_EQ(w.stepped, 0);
    CHECK(has_event(&o, DISC_EV_INIT_FAILED, buf));
    CHECK_STR_EQ(buf, "No suitable source for initstepslew");
    CHECK(!has_event(&o, DISC_EV_NO_SUITABLE, NULL));
    CHECK_NEAR(world_offset(&w), 3.0, 1e-9);
}

static void test_ref_time_follows_step(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_outcome o;
    struct timespec now, before;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, 0);
    before = w.d.ref_time;
    raw_ts(&w, &now);
    memset(&o, 0, sizeof(o));
    clock_step(&w.c, &now, 10.0, &o.cmd);
    apply(&w, &o);
    CHECK_NEAR(ts_diff(&before, &w.d.ref_time), 10.0, 1e-9);
}

static void test_bogus_skew(void)
{
    struct disc_config dc;
    struct world w;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 0, NAN, 1e-4, 0);
    CHECK_INT_EQ(w.last.verdict, DISC_BOGUS_SKEW);
    CHECK(!w.d.synced);
}

static void test_unsynchronised_tracking(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_tracking tr;
    struct timespec now;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    raw_ts(&w, &now);
    disc_get_tracking(&w.d, &now, 0.0, &tr);
    CHECK_INT_EQ(tr.ref_id, 0);
    CHECK_INT_EQ(tr.stratum, 0);
    CHECK_INT_EQ(tr.leap_status, DISC_LEAP_UNSYNC);
    CHECK_INT_EQ(tr.synchronised, 0);
    CHECK(ts_is_zero(&tr.ref_time));
    CHECK_NEAR(tr.root_delay, 1.0, 0);
    CHECK_NEAR(tr.root_dispersion, 1.0, 0);
}

static void test_unknown_step_unsynchronises(void)
{
    struct disc_config dc;
    struct world w;
    struct clock_cmd cmd;
    struct timespec now;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    world_update(&w, 0, 1e-6, 1e-4, 0);
    CHECK(w.d.synced);
    raw_ts(&w, &now);
    clock_cmd_init(&cmd);
    clock_notify_unknown_step(&w.c, &now, 5.0, 0.0, &cmd);
    disc_on_clock_change(&w.d, &cmd.changes[0], &cmd);
    CHECK(!w.d.synced);
    CHECK(ts_is_zero(&w.d.last_ref_update));
    CHECK_INT_EQ(cmd.set_sync, 1);
    CHECK_INT_EQ(cmd.synced, 0);
}

static void test_ref_time_fuzz_and_sync_status(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_update u;
    struct disc_outcome o;
    struct timespec now;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    raw_ts(&w, &now);
    memset(&u, 0, sizeof(u));
    u.stratum = 1;
    u.ref_id = 0x47505300; /* "GPS" */
    ts_add(&u.ref_time, &now, -10.0);
    u.offset_sd = 1e-5;
    u.frequency_sd = 1e-8;
    u.skew = 1e-7;
    u.root_dispersion = 1e-4;
    u.ref_time_fuzz = 0.25;
    disc_update(&w.d, &now, &u, &o);
    CHECK_NEAR(ts_diff(&now, &w.d.ref_time), 10.25, 1e-9);
    CHECK_INT_EQ(o.cmd.set_sync, 1);
    CHECK_INT_EQ(o.cmd.synced, 1);
    CHECK_NEAR(o.cmd.est_error, 1e-5 + 10.0 * 1e-8, 1e-12);
    CHECK(o.cmd.max_error > 1e-4);
}

static void test_leap_db_and_update_leap(void)
{
    struct disc_config dc;
    struct world w;
    struct disc_update u;
    struct disc_outcome o;
    struct timespec now;

    disc_config_default(&dc);
    world_init(&w, &dc, LEAP_DAY + 3600.0, 0.0, 0.0);
    raw_ts(&w, &now);
    memset(&u, 0, sizeof(u));
    u.stratum = 1;
    u.ref_time = now;
    u.skew = 1e-7;
    u.db_leap = DISC_LEAP_INSERT; /* sources say normal, leapsectz says insert */
    disc_update(&w.d, &now, &u, &o);
    CHECK_INT_EQ(w.d.leap_status, DISC_LEAP_INSERT);
    CHECK_INT_EQ(o.cmd.set_leap, 1);
    CHECK_INT_EQ(o.cmd.leap, 1);
    disc_update_leap(&w.d, &now, DISC_LEAP_DELETE, &o);
    CHECK_INT_EQ(o.cmd.leap, -1);
    CHECK_INT_EQ(w.d.leap_status, DISC_LEAP_DELETE);
    CHECK_INT_EQ(w.d.leap_timer.tv_sec, (time_t)(LEAP_DAY + 86400.0 - 2.0));
    CHECK_NEAR(ts_to_double(&w.d.leap_timer), LEAP_DAY + 86400.0 - 1.5, 1e-9);
}

static void test_leap_second_close(void)
{
    struct disc_config dc;
    struct world w;
    struct timespec a = {(time_t)(LEAP_DAY + 86400.0 - 6.0), 0};
    struct timespec b = {(time_t)(LEAP_DAY + 86400.0 - 5.0), 0};
    struct timespec c = {(time_t)(LEAP_DAY + 86400.0 + 4.0), 0};
    struct timespec e = {(time_t)(LEAP_DAY + 86400.0 + 5.0), 0};

    disc_config_default(&dc);
    world_init(&w, &dc, LEAP_DAY + 3600.0, 0.0, 0.0);
    CHECK(!disc_leap_second_close(&w.d, &b, &b, NULL, 0.0)); /* no leap scheduled */
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_INSERT);
    CHECK(!disc_leap_second_close(&w.d, &a, &a, NULL, 0.0));
    CHECK(disc_leap_second_close(&w.d, &b, &a, NULL, 0.0));
    CHECK(disc_leap_second_close(&w.d, &a, &c, NULL, 0.0));
    CHECK(!disc_leap_second_close(&w.d, &e, &e, NULL, 0.0));
    CHECK(disc_leap_second_close(&w.d, &a, &a, &e, -2.0));
}

static void test_leap_slew_mode(void)
{
    struct disc_config dc;
    struct world w;
    char buf[200];

    disc_config_default(&dc);
    dc.leap_mode = DISC_LEAPMODE_SLEW;
    world_init(&w, &dc, LEAP_DAY + 3600.0, 0.0, 0.0);
    world_update(&w, 0, 1e-7, 1e-4, DISC_LEAP_INSERT);
    world_run(&w, LEAP_DAY + 86400.0 + 0.1);
    CHECK(has_event(&w.last, DISC_EV_LEAP_SLEW, buf));
    CHECK_STR_EQ(buf, "Adjusting system clock for leap second");
    CHECK_INT_EQ(w.stepped, 0);
    /* 1 s at maxslewrate (1/12) takes 12 s. */
    world_run(&w, LEAP_DAY + 86400.0 + 20.0);
    CHECK_NEAR(w.off, -1.0, 1e-6);
}

static void test_orphan_stratum(void)
{
    struct disc_config dc;
    struct world w;

    disc_config_default(&dc);
    world_init(&w, &dc, 1000.0, 0.0, 0.0);
    CHECK_INT_EQ(disc_get_orphan_stratum(&w.d), 16);
    disc_set_local(&w.d, 1, 99, 1, 1.0);
    CHECK_INT_EQ(disc_get_orphan_stratum(&w.d), 15);
    disc_set_local(&w.d, 1, 5, 0, 1.0);
    CHECK_INT_EQ(disc_get_orphan_stratum(&w.d), 16);
}

int main(void)
{
    RUN(test_constant_offset_converges);
    RUN(test_frequency_estimation);
    RUN(test_maxupdateskew_ignores_frequency);
    RUN(test_maxdrift_clamps_frequency);
    RUN(test_mail_change_event);
    RUN(test_makestep_within_limit);
    RUN(test_makestep_always);
    RUN(test_maxchange);
    RUN(test_leap_vote);
    RUN(test_leap_system_mode);
    RUN(test_leap_tai_offset);
    RUN(test_step_keeps_leap_scheduled);
    RUN(test_leap_step_mode_and_wrong_day);
    RUN(test_stratum_refid_and_tracking);
    RUN(test_root_dispersion_growth);
    RUN(test_local_fallback);
    RUN(test_local_orphan_waits);
    RUN(test_local_activates_at_distance);
    RUN(test_local_wait_synced);
    RUN(test_local_activate_requires_sync);
    RUN(test_local_wait_unsynced);
    RUN(test_leap_ignore_mode);
    RUN(test_unsynchronised);
    RUN(test_drift_file_requests);
    RUN(test_fallback_drift);
    RUN(test_update_once_mode);
    RUN(test_ref_time_follows_step);
    RUN(test_bogus_skew);
    RUN(test_unsynchronised_tracking);
    RUN(test_unknown_step_unsynchronises);
    RUN(test_ref_time_fuzz_and_sync_status);
    RUN(test_leap_db_and_update_leap);
    RUN(test_leap_second_close);
    RUN(test_leap_slew_mode);
    RUN(test_orphan_stratum);
    RUN(test_init_step_slew_step);
    RUN(test_init_step_slew_slew);
    RUN(test_init_step_slew_no_source);
    return check_summary();
}
