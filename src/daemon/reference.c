/* The node's reference: performs the commands of the clock model and the
 * discipline through env->clock and fans their changes out (see reference.h). */
#include "daemon/node_internal.h"

#include "core/driftfile.h"
#include "daemon/config.h"
#include "lib/ts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void config_to_disc(const struct config *cfg, struct disc_config *d)
{
    disc_config_default(d);
    d->corr_time_ratio = cfg->corrtimeratio;
    d->makestep_limit = cfg->makestep_limit;
    d->makestep_threshold = cfg->makestep_threshold;
    d->maxchange_delay = cfg->maxchange_delay;
    d->maxchange_ignore = cfg->maxchange_ignore;
    d->maxchange_offset = cfg->maxchange_offset;
    d->max_update_skew_ppm = cfg->maxupdateskew;
    d->log_change_threshold = cfg->logchange;
    d->fb_drift_min = cfg->fallbackdrift_min;
    d->fb_drift_max = cfg->fallbackdrift_max;
    d->leap_mode = (enum disc_leap_mode)cfg->leapsecmode;
    d->drift_interval = cfg->driftfile_interval;
    d->local_enabled = cfg->local.enabled;
    if (cfg->local.enabled) {
        d->local_stratum = cfg->local.stratum;
        d->local_orphan = cfg->local.orphan;
        d->local_distance = cfg->local.distance;
        d->local_activate = cfg->local.activate;
        d->local_wait_synced = cfg->local.wait_synced;
        d->local_wait_unsynced = cfg->local.wait_unsynced;
    }
}

static void config_to_clock(const struct config *cfg, struct clock_config *c)
{
    clock_config_default(c);
    c->max_slew_rate_ppm = cfg->maxslewrate;
    c->max_drift_ppm = cfg->maxdrift;
    c->max_clock_error_ppm = cfg->maxclockerror;
}

void reference_init(struct node *n, const struct timespec *raw_now)
{
    struct reference *r = &n->ref;
    struct clock_config cc;
    struct disc_config dc;
    struct clock_cmd cmd;
    double freq = clock_freq_from_driver(n->env->clock.get_freq(n->env->clock.ctx));

    memset(r, 0, sizeof(*r));
    config_to_clock(n->cfg, &cc);
    config_to_disc(n->cfg, &dc);
    /* The driver's current frequency is the model's starting point; nothing
     * needs to be applied until the drift file is read in reference_start. */
    clock_cmd_init(&cmd);
    clock_init(&r->clock, &cc, raw_now, isfinite(freq) ? freq : 0.0, &cmd);
    disc_init(&r->disc, &dc, &r->clock, raw_now);
    if (n->opts.quit_mode)
        disc_set_mode(&r->disc,
                      n->opts.quit_mode == 1 ? DISC_MODE_UPDATE_ONCE : DISC_MODE_PRINT_ONCE);
}

static void write_drift(struct node *n, double freq_ppm, double skew_ppm)
{
    char buf[128];
    int len;

    if (!n->cfg->driftfile)
        return;
    len = driftfile_format(buf, sizeof(buf), freq_ppm, skew_ppm);
    if (len < 0 || (size_t)len >= sizeof(buf))
        return;
    if (n->env->files.write_atomic(n->env->files.ctx, n->cfg->driftfile, buf, (size_t)len) != 0)
        LOG_WARN(n->env->log, "Could not replace %s", n->cfg->driftfile);
}

static void on_drift_timer(void *arg, const struct timespec *now)
{
    struct node *n = arg;
    double freq, skew;

    /* chrony rewrites the drift file on reference updates after driftfile
     * interval; this periodic save also covers long unsynchronised runs. */
    n->ref.drift_timer = 0;
    if (n->ref.disc.synced) {
        disc_final_drift(&n->ref.disc, &freq, &skew);
        write_drift(n, freq, skew);
    }
    n->ref.drift_timer = sched_add_after(
        &n->sched, now, n->cfg->driftfile_interval > 0 ? n->cfg->driftfile_interval : 3600.0,
        on_drift_timer, n);
}

static void log_tracking(struct node *n, const struct timespec *raw_now, const char *name,
                         const struct disc_log_entry *l);

void reference_start(struct node *n, const struct timespec *raw_now)
{
    struct reference *r = &n->ref;
    struct disc_outcome out;
    char *text = NULL;
    size_t len = 0;
    double freq = 0.0, skew = 0.0;
    int ok = 0;

    reference_leap_load(n);
    if (n->cfg->driftfile)
        text = n->env->files.read_all(n->env->files.ctx, n->cfg->driftfile, &len);
    if (text)
        ok = driftfile_parse(text, len, &freq, &skew) == DRIFTFILE_OK;
    free(text);
    disc_init_frequency(&r->disc, raw_now, text != NULL, ok, freq, skew, &out);
    r->started = 1;
    reference_apply(n, raw_now, &out.cmd);
    {
        /* chrony's first tracking.log line: the unsynchronised start. */
        struct disc_log_entry l;
        disc_unsync_log(&r->disc, raw_now, &l);
        log_tracking(n, raw_now, "0.0.0.0", &l);
    }
    if (n->cfg->driftfile)
        r->drift_timer =
            sched_add_after(&n->sched, raw_now,
                            n->cfg->driftfile_interval > 0 ? n->cfg->driftfile_interval : 3600.0,
                            on_drift_timer, n);
}

void reference_stop(struct node *n, const struct timespec *raw_now)
{
    double freq, skew;

    (void)raw_now;
    if (!n->ref.started)
        return;
    disc_final_drift(&n->ref.disc, &freq, &skew);
    write_drift(n, freq, skew);
}

void reference_fini(struct node *n)
{
    sched_cancel(&n->sched, n->ref.clock_timer);
    sched_cancel(&n->sched, n->ref.disc_timer);
    sched_cancel(&n->sched, n->ref.drift_timer);
    n->ref.clock_timer = n->ref.disc_timer = n->ref.drift_timer = 0;
    reference_leap_free(n);
}

void reference_cooked_time(const struct node *n, const struct timespec *raw,
                           struct timespec *cooked, double *err)
{
    clock_cooked_time(&n->ref.clock, raw, cooked, err);
}

static void log_events(struct node *n, const struct clock_cmd *cmd)
{
    char buf[256];

    for (int i = 0; i < cmd->n_events; i++) {
        switch (clock_event_format(&cmd->events[i], n->cfg->driftfile, buf, sizeof(buf))) {
        case CLOCK_EVL_WARN:
            LOG_WARN(n->env->log, "%s", buf);
            break;
        case CLOCK_EVL_INFO:
            LOG_INFO(n->env->log, "%s", buf);
            break;
        default:
            LOG_DEBUG(n->env->log, "%s", buf);
            break;
        }
    }
}

static void on_clock_timer(void *arg, const struct timespec *now)
{
    struct node *n = arg;
    struct clock_cmd cmd;

    n->ref.clock_timer = 0;
    clock_cmd_init(&cmd);
    clock_on_timer(&n->ref.clock, now, &cmd);
    reference_apply(n, now, &cmd);
}

static void on_disc_timer(void *arg, const struct timespec *now)
{
    struct node *n = arg;
    struct disc_outcome out;

    n->ref.disc_timer = 0;
    disc_on_timer(&n->ref.disc, now, &out);
    reference_apply(n, now, &out.cmd);
}

static void rearm_timers(struct node *n)
{
    struct reference *r = &n->ref;
    struct timespec when, cooked;

    if (!r->started)
        return;
    sched_cancel(&n->sched, r->clock_timer);
    r->clock_timer = 0;
    if (clock_next_timer(&r->clock, &when))
        r->clock_timer = sched_add(&n->sched, &when, on_clock_timer, n);
    sched_cancel(&n->sched, r->disc_timer);
    r->disc_timer = 0;
    if (disc_next_timer(&r->disc, &cooked)) {
        clock_raw_time(&r->clock, &cooked, &when);
        r->disc_timer = sched_add(&n->sched, &when, on_disc_timer, n);
    }
}

/* The driver calls, in the order clock_cmd prescribes. A refused step puts
 * the model back and its change is not fanned out. Returns 0 if a requested
 * step failed. */
static int perform_driver(struct node *n, const struct clock_cmd *cmd)
{
    const struct env_clock *ec = &n->env->clock;
    struct reference *r = &n->ref;
    int step_ok = 1;

    if (cmd->set_freq && ec->set_freq(ec->ctx, cmd->freq_ppm) != 0 && !r->freq_refused) {
        /* chrony keeps tracking when the driver cannot follow (e.g. no
         * CAP_SYS_TIME); say so once. */
        r->freq_refused = 1;
        LOG_WARN(n->env->log, "Could not set system clock frequency");
    }
    if (cmd->step) {
        if (ec->step(ec->ctx, cmd->step_offset) != 0) {
            step_ok = 0;
            clock_undo_step(&r->clock, cmd->step_offset);
            if (!r->step_refused)
                LOG_WARN(n->env->log, "Could not step system clock");
            r->step_refused = 1;
        } else {
            r->n_steps++;
        }
    }
    if (cmd->set_leap)
        ec->set_leap(ec->ctx, cmd->leap);
    if (cmd->set_sync)
        ec->set_sync_status(ec->ctx, cmd->synced, cmd->est_error, cmd->max_error);
    return step_ok;
}

void reference_apply(struct node *n, const struct timespec *raw_now, struct clock_cmd *cmd)
{
    struct clock_cmd extra;
    int step_ok = perform_driver(n, cmd);

    clock_cmd_init(&extra);
    for (int i = 0; i < cmd->n_changes; i++) {
        const struct clock_change *ch = &cmd->changes[i];
        if (ch->type == CLOCK_CHANGE_STEP && !step_ok)
            continue;
        disc_on_clock_change(&n->ref.disc, ch, &extra);
        sources_on_clock_change(n, ch);
        if (ch->type != CLOCK_CHANGE_ADJUST) {
            /* Raw readings moved by the step: so do the deadlines. */
            sched_shift(&n->sched, ch->doffset);
            sources_on_step(n, ch->doffset);
        }
        if (ch->type == CLOCK_CHANGE_UNKNOWN_STEP)
            sources_on_unknown_step(n, raw_now);
    }
    if (cmd->dispersion > 0.0)
        sources_add_dispersion(n, cmd->dispersion);
    log_events(n, cmd);
    /* Commands appended by the fan-out (a rescheduled leap second, or an
     * unsynchronised state after an unknown step) have no further changes. */
    if (extra.set_freq || extra.step || extra.set_leap || extra.set_sync || extra.n_events ||
        extra.n_changes)
        reference_apply(n, raw_now, &extra);
    rearm_timers(n);
}

/* chrony's JUMP_DETECT_THRESHOLD (s). */
#define JUMP_THRESHOLD 10.0

void reference_expect_wake(struct node *n, const struct timespec *when)
{
    n->ref.expected_wake = *when;
    n->ref.have_expected_wake = 1;
}

int reference_check_jump(struct node *n, const struct timespec *now)
{
    struct reference *r = &n->ref;
    struct clock_cmd cmd;
    double jump = 0.0;

    if (r->have_last_wake && ts_diff(now, &r->last_wake) < -JUMP_THRESHOLD) {
        /* chrony measures the time spent in select() (the whole timeout when it
         * expired) and takes the jump as the difference from the expected reading.
         * The loop does not say why it woke up: assume the timeout expired, the
         * usual case for an idle daemon. If a datagram woke it earlier, this
         * overestimates the jump and moves the timers earlier, never later. */
        jump = r->have_expected_wake && ts_diff(&r->expected_wake, &r->last_wake) >= 0.0
                   ? ts_diff(now, &r->expected_wake)
                   : ts_diff(now, &r->last_wake);
        LOG_WARN(n->env->log, "Backward time jump detected!");
    } else if (r->have_expected_wake && ts_diff(now, &r->expected_wake) > JUMP_THRESHOLD) {
        jump = ts_diff(now, &r->expected_wake);
        LOG_WARN(n->env->log, "Forward time jump detected!");
    }
    r->last_wake = *now;
    r->have_last_wake = 1;
    r->have_expected_wake = 0;
    if (jump == 0.0 || !r->started)
        return jump != 0.0;
    /* The change's doffset is positive when time moved back: -jump. */
    clock_cmd_init(&cmd);
    clock_notify_unknown_step(&r->clock, now, -jump, fabs(jump), &cmd);
    reference_apply(n, now, &cmd);
    return 1;
}

double reference_base_freq_ppm(const struct node *n)
{
    return n->ref.clock.base_freq_ppm;
}

static double fuzz(struct node *n)
{
    return rng_uniform(&n->rng);
}

/* tracking.log line for an update or the loss of synchronisation. */
static void log_tracking(struct node *n, const struct timespec *raw_now, const char *name,
                         const struct disc_log_entry *l)
{
    static const char leap_chars[4] = {'N', '+', '-', '?'};
    struct timespec now;
    /* chrony prints a remaining correction of zero as -0.000e+00. */
    double remaining = l->remaining == 0.0 ? -0.0 : l->remaining;

    if (!l->valid || !logfiles_enabled(&n->logs, LOGF_TRACKING))
        return;
    reference_cooked_time(n, raw_now, &now, NULL);
    logfiles_write(&n->logs, n->env, LOGF_TRACKING, &now,
                   "%-15s %2d %10.3f %10.3f %10.3e %c %2d %10.3e %10.3e %10.3e %10.3e %10.3e", name,
                   l->stratum, l->freq_ppm, l->skew_ppm, l->offset, leap_chars[l->leap & 3],
                   l->combined, l->offset_sd, remaining, l->root_delay, l->root_dispersion,
                   l->max_error);
}

void reference_update(struct node *n, const struct timespec *raw_now,
                      const struct select_reference *ref)
{
    struct disc_update u;
    struct disc_outcome out;

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
    u.ref_time_fuzz = fuzz(n);
    {
        struct timespec cooked;
        reference_cooked_time(n, raw_now, &cooked, NULL);
        u.db_leap = reference_leap_today(n, &cooked);
    }
    disc_update(&n->ref.disc, raw_now, &u, &out);
    if (out.verdict == DISC_APPLIED)
        n->ref.n_updates++;
    reference_apply(n, raw_now, &out.cmd);
    log_tracking(n, raw_now, n->log_ref_name, &out.log);
    if (out.write_drift)
        write_drift(n, out.drift_freq_ppm, out.drift_skew_ppm);
    if (out.verdict == DISC_EXIT_MAXCHANGE)
        n->quit_requested = 1;
    if (out.verdict == DISC_MODE_DONE) {
        /* -q/-Q: the one measurement is made (and logged): exit */
        n->quit_mode_done = 1;
        n->exit_status = out.mode_result ? 0 : 1;
        n->quit_requested = 1;
    }
}

void reference_unsynchronise(struct node *n, const struct timespec *raw_now)
{
    struct disc_outcome out;

    disc_set_unsynchronised(&n->ref.disc, raw_now, &out);
    reference_apply(n, raw_now, &out.cmd);
    log_tracking(n, raw_now, "0.0.0.0", &out.log);
}

void reference_get_served(const struct node *n, const struct timespec *raw_now,
                          struct ntp_server_ref *ref)
{
    /* disc_get_ntp_state refreshes the local reference time, hence the
     * cast: the served state is logically read-only. */
    struct discipline *d = (struct discipline *)&n->ref.disc;
    struct disc_ntp_state st;
    struct timespec now;
    double rate;

    reference_cooked_time(n, raw_now, &now, NULL);
    disc_get_ntp_state(d, &now, 0.0, &st);
    memset(ref, 0, sizeof(*ref));
    ref->precision_log2 = n->precision_log2;
    ref->min_poll_log2 = NTP_SERVER_MIN_POLL_DEFAULT;
    if (!st.synchronised && !st.local) {
        ntp_server_ref_unsynchronised(ref, n->precision_log2);
        return;
    }
    if (st.local) {
        ntp_server_ref_local(ref, st.stratum, &now, n->precision_log2);
        return;
    }
    rate = d->skew + fabs(d->residual_freq) + clock_max_clock_error(&n->ref.clock);
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

void reference_get_self(const struct node *n, const struct timespec *raw_now, int *stratum,
                        uint32_t *ref_id, double *root_delay, struct timespec *ref_time)
{
    struct ntp_server_ref ref;

    reference_get_served(n, raw_now, &ref);
    *stratum = ref.stratum;
    *ref_id = ref.ref_id;
    *root_delay = ref.root_delay;
    *ref_time = ref.ref_time;
}

void reference_get_tracking(struct node *n, const struct timespec *raw_now,
                            struct disc_tracking *out)
{
    disc_get_tracking(&n->ref.disc, raw_now, fuzz(n), out);
}

int reference_make_step(struct node *n, const struct timespec *raw_now)
{
    struct clock_cmd cmd;
    const struct env_clock *ck = &n->env->clock;
    int refused_before = n->ref.step_refused;

    /* chronyc makestep: remove the whole remaining correction at once. A clock
     * that cannot be controlled answers "500 Failure", as chrony does. */
    if (!ck->can_control(ck->ctx))
        return -1;
    clock_cmd_init(&cmd);
    if (!clock_make_step(&n->ref.clock, raw_now, &cmd))
        return -1;
    reference_apply(n, raw_now, &cmd);
    return n->ref.step_refused && !refused_before ? -1 : 0;
}
