/* The synchronisation engine (see engine.h): the clock model and the discipline behind one
 * interface of events in and plain values out. */
#include "core/engine.h"

#include "lib/ts.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static void out_init(struct engine_out *out)
{
    memset(out, 0, sizeof(*out));
    clock_cmd_init(&out->cmd);
    out->verdict = DISC_NOTHING;
}

/* A discipline outcome as the engine's: the same command, log line and drift request. */
static void out_from_disc(struct engine_out *out, const struct disc_outcome *d)
{
    out->cmd = d->cmd;
    out->verdict = d->verdict;
    out->log = d->log;
    out->write_drift = d->write_drift;
    out->drift_freq_ppm = d->drift_freq_ppm;
    out->drift_skew_ppm = d->drift_skew_ppm;
}

void engine_init(struct engine *e, const struct engine_config *cfg, const struct timespec *raw_now)
{
    struct clock_cmd cmd;
    double freq = clock_freq_from_driver(cfg->driver_freq_ppm);

    assert(cfg->mode != DISC_MODE_IGNORE);
    memset(e, 0, sizeof(*e));
    e->cfg = *cfg;
    /* The driver's current frequency is the model's starting point; nothing needs to be
     * applied until the drift file is read in engine_start. */
    clock_cmd_init(&cmd);
    clock_init(&e->clock, &cfg->clock, raw_now, isfinite(freq) ? freq : 0.0, &cmd);
    disc_init(&e->disc, &cfg->disc, &e->clock, raw_now);
    if (cfg->mode != DISC_MODE_NORMAL)
        disc_set_mode(&e->disc, cfg->mode);
}

void engine_start(struct engine *e, const struct timespec *raw_now, int have_file, int file_ok,
                  double freq_ppm, double skew_ppm, struct engine_out *out)
{
    struct disc_outcome d;

    assert(!e->started);
    out_init(out);
    disc_init_frequency(&e->disc, raw_now, have_file, file_ok, freq_ppm, skew_ppm, &d);
    out->cmd = d.cmd;
    e->started = 1;
}

void engine_unsync_log(const struct engine *e, const struct timespec *raw_now,
                       struct disc_log_entry *log)
{
    disc_unsync_log(&e->disc, raw_now, log);
}

int clock_cmd_pending(const struct clock_cmd *cmd)
{
    return cmd->set_freq || cmd->step || cmd->set_leap || cmd->set_sync || cmd->n_events ||
           cmd->n_changes;
}

void engine_commit(struct engine *e, const struct timespec *raw_now, int driver_ok,
                   struct clock_cmd *cmd, struct engine_fanout *fo)
{
    struct clock_cmd extra;
    int step_ok = !cmd->step || (driver_ok & ENGINE_DRIVER_STEP_OK);

    (void)raw_now;
    assert(cmd->n_changes <= CLOCK_CMD_MAX_CHANGES && cmd->n_events <= CLOCK_CMD_MAX_EVENTS);
    memset(fo, 0, sizeof(*fo));
    if (cmd->step) {
        if (step_ok)
            e->n_steps++;
        else
            clock_undo_step(&e->clock, cmd->step_offset);
    }
    clock_cmd_init(&extra);
    for (int i = 0; i < cmd->n_changes; i++) {
        const struct clock_change *ch = &cmd->changes[i];
        if (ch->type == CLOCK_CHANGE_STEP && !step_ok)
            continue;
        /* Reference times stay on the cooked timescale; a step may reschedule a leap
         * second and an unknown step unsynchronises: their commands come next. */
        disc_on_clock_change(&e->disc, ch, &extra);
        fo->changes[fo->n_changes++] = *ch;
    }
    fo->dispersion = cmd->dispersion;
    fo->n_events = cmd->n_events;
    memcpy(fo->events, cmd->events, sizeof(fo->events[0]) * (size_t)cmd->n_events);
    *cmd = extra;
}

void engine_update(struct engine *e, const struct timespec *raw_now,
                   const struct select_reference *ref, double fuzz, int db_leap,
                   struct engine_out *out)
{
    struct disc_update u;
    struct disc_outcome d;

    assert(fuzz >= 0.0 && fuzz <= 1.0);
    out_init(out);
    memset(&u, 0, sizeof(u));
    u.stratum = ref->stratum;
    u.leap = ref->leap;
    u.combined = ref->combined;
    u.ref_id = ref->ref_id;
    u.ref_time = ref->ref_time;
    u.offset = ref->offset;
    u.offset_sd = ref->offset_sd;
    u.frequency = ref->frequency;
    u.frequency_sd = ref->frequency_sd;
    u.skew = ref->skew;
    u.root_delay = ref->root_delay;
    u.root_dispersion = ref->root_dispersion;
    u.ref_time_fuzz = fuzz;
    u.db_leap = db_leap;
    disc_update(&e->disc, raw_now, &u, &d);
    out_from_disc(out, &d);
    if (d.verdict == DISC_APPLIED)
        e->n_updates++;
    if (d.verdict == DISC_EXIT_MAXCHANGE)
        out->quit = 1;
    if (d.verdict == DISC_MODE_DONE) {
        /* -q/-Q: the one measurement is made (and logged): exit */
        out->mode_done = 1;
        out->exit_status = d.mode_result ? 0 : 1;
        out->quit = 1;
    }
}

void engine_unsynchronise(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    struct disc_outcome d;

    out_init(out);
    disc_set_unsynchronised(&e->disc, raw_now, &d);
    out_from_disc(out, &d);
}

void engine_update_leap(struct engine *e, const struct timespec *raw_now, int leap,
                        struct engine_out *out)
{
    struct disc_outcome d;

    out_init(out);
    disc_update_leap(&e->disc, raw_now, leap, &d);
    out->cmd = d.cmd;
}

int engine_make_step(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    out_init(out);
    return clock_make_step(&e->clock, raw_now, &out->cmd);
}

void engine_accumulate_freq(struct engine *e, const struct timespec *raw_now, double dfreq_ppm,
                            struct engine_out *out)
{
    out_init(out);
    clock_accumulate_freq(&e->clock, raw_now, dfreq_ppm * 1e-6, &out->cmd);
}

int engine_accumulate_offset(struct engine *e, const struct timespec *raw_now, double doffset,
                             struct engine_out *out)
{
    out_init(out);
    return clock_accumulate_offset(&e->clock, raw_now, doffset, 0.0, &out->cmd);
}

void engine_set_local(struct engine *e, int enabled, int stratum, int orphan, double distance,
                      double activate, double wait_synced, double wait_unsynced)
{
    disc_set_local(&e->disc, enabled, stratum, orphan, distance);
    if (enabled) {
        e->disc.cfg.local_activate = activate;
        e->disc.cfg.local_wait_synced = wait_synced;
        e->disc.cfg.local_wait_unsynced = wait_unsynced;
    }
}

void engine_set_max_update_skew(struct engine *e, double skew_ppm)
{
    disc_set_max_update_skew(&e->disc, skew_ppm);
}

int engine_leap_second_close(const struct engine *e, const struct timespec *raw_now,
                             const struct timespec *sample_time, double offset)
{
    struct timespec cooked_now;

    engine_cooked_time(e, raw_now, &cooked_now, NULL);
    return disc_leap_second_close(&e->disc, &cooked_now, raw_now, sample_time, offset);
}

int engine_orphan_stratum(const struct engine *e)
{
    return disc_get_orphan_stratum(&e->disc);
}

/* Raw deadline of the discipline's timer (kept in cooked time). */
static int disc_timer_raw(const struct engine *e, struct timespec *when)
{
    struct timespec cooked;

    if (!disc_next_timer(&e->disc, &cooked))
        return 0;
    clock_raw_time(&e->clock, &cooked, when);
    return 1;
}

int engine_next_timer(const struct engine *e, struct timespec *raw_when)
{
    struct timespec d;

    if (!e->started)
        return 0;
    clock_next_timer(&e->clock, raw_when);
    if (disc_timer_raw(e, &d) && ts_cmp(&d, raw_when) < 0)
        *raw_when = d;
    return 1;
}

int engine_on_timer(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    struct timespec when;
    struct disc_outcome d;

    out_init(out);
    if (!e->started)
        return 0;
    clock_next_timer(&e->clock, &when);
    if (ts_cmp(&when, raw_now) <= 0) {
        clock_on_timer(&e->clock, raw_now, &out->cmd);
        return 1;
    }
    if (disc_timer_raw(e, &when) && ts_cmp(&when, raw_now) <= 0) {
        disc_on_timer(&e->disc, raw_now, &d);
        out->cmd = d.cmd;
        return 1;
    }
    return 0;
}

void engine_expect_wake(struct engine *e, const struct timespec *when)
{
    e->expected_wake = *when;
    e->have_expected_wake = 1;
}

int engine_on_wake(struct engine *e, const struct timespec *now, struct engine_out *out)
{
    double jump = 0.0;
    int dir = 0;

    out_init(out);
    if (e->have_last_wake && ts_diff(now, &e->last_wake) < -ENGINE_JUMP_THRESHOLD) {
        /* chrony measures the time spent in select() (the whole timeout when it expired)
         * and takes the jump as the difference from the expected reading. The loop does
         * not say why it woke up: assume the timeout expired, the usual case for an idle
         * daemon. If a datagram woke it earlier, this overestimates the jump and moves the
         * timers earlier, never later. */
        jump = e->have_expected_wake && ts_diff(&e->expected_wake, &e->last_wake) >= 0.0
                   ? ts_diff(now, &e->expected_wake)
                   : ts_diff(now, &e->last_wake);
        dir = -1;
    } else if (e->have_expected_wake && ts_diff(now, &e->expected_wake) > ENGINE_JUMP_THRESHOLD) {
        jump = ts_diff(now, &e->expected_wake);
        dir = 1;
    }
    e->last_wake = *now;
    e->have_last_wake = 1;
    e->have_expected_wake = 0;
    if (jump != 0.0 && e->started) {
        /* The change's doffset is positive when time moved back: -jump. */
        clock_notify_unknown_step(&e->clock, now, -jump, fabs(jump), &out->cmd);
    }
    return jump != 0.0 ? dir : 0;
}

void engine_cooked_time(const struct engine *e, const struct timespec *raw, struct timespec *cooked,
                        double *err)
{
    clock_cooked_time(&e->clock, raw, cooked, err);
}

double engine_base_freq_ppm(const struct engine *e)
{
    return e->clock.base_freq_ppm;
}

void engine_get_served(struct engine *e, const struct timespec *raw_now, struct ntp_server_ref *ref)
{
    const struct discipline *d = &e->disc;
    struct disc_ntp_state st;
    struct timespec now;
    double rate;
    int prec = e->cfg.precision_log2;

    engine_cooked_time(e, raw_now, &now, NULL);
    disc_get_ntp_state(&e->disc, &now, 0.0, &st);
    memset(ref, 0, sizeof(*ref));
    ref->precision_log2 = prec;
    ref->min_poll_log2 = NTP_SERVER_MIN_POLL_DEFAULT;
    if (!st.synchronised && !st.local) {
        ntp_server_ref_unsynchronised(ref, prec);
        return;
    }
    if (st.local) {
        ntp_server_ref_local(ref, st.stratum, &now, prec);
        return;
    }
    rate = d->skew + fabs(d->residual_freq) + clock_max_clock_error(&e->clock);
    ref->leap = st.leap;
    ref->stratum = st.stratum;
    ref->ref_id = st.ref_id;
    ref->ref_time = st.ref_time;
    ref->root_delay = st.root_delay;
    /* The responder grows the dispersion from ref_time itself. */
    ref->root_dispersion = st.root_dispersion - fabs(ts_diff(&now, &st.ref_time)) * rate;
    if (ref->root_dispersion < 0.0)
        ref->root_dispersion = 0.0;
    ref->root_dispersion_rate = rate;
}

void engine_get_tracking(struct engine *e, const struct timespec *raw_now, double fuzz,
                         struct disc_tracking *out)
{
    disc_get_tracking(&e->disc, raw_now, fuzz, out);
}
