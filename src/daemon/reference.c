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

static int precision_to_log2(double precision)
{
    /* RFC 5905 §7.3: precision as the log2 rounded up of the clock resolution. */
    if (!(precision > 0))
        precision = 1e-9;
    return (int)ceil(log2(precision));
}

void reference_init(struct node *n, const struct timespec *raw_now)
{
    struct reference *r = &n->ref;
    struct engine_config ec;

    memset(r, 0, sizeof(*r));
    memset(&ec, 0, sizeof(ec));
    config_to_clock(n->cfg, &ec.clock);
    config_to_disc(n->cfg, &ec.disc);
    ec.mode = !n->opts.quit_mode       ? DISC_MODE_NORMAL
              : n->opts.quit_mode == 1 ? DISC_MODE_UPDATE_ONCE
                                       : DISC_MODE_PRINT_ONCE;
    ec.precision_log2 = precision_to_log2(n->opts.precision);
    ec.driver_freq_ppm = n->env->clock.get_freq(n->env->clock.ctx);
    engine_init(&r->engine, &ec, raw_now);
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
    if (n->ref.engine.disc.synced) {
        disc_final_drift(&n->ref.engine.disc, &freq, &skew);
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
    struct engine_out out;
    struct disc_log_entry l;
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
    engine_start(&r->engine, raw_now, text != NULL, ok, freq, skew, &out);
    reference_apply(n, raw_now, &out.cmd);
    /* chrony's first tracking.log line: the unsynchronised start. */
    engine_unsync_log(&r->engine, raw_now, &l);
    log_tracking(n, raw_now, "0.0.0.0", &l);
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
    if (!n->ref.engine.started)
        return;
    disc_final_drift(&n->ref.engine.disc, &freq, &skew);
    write_drift(n, freq, skew);
}

void reference_fini(struct node *n)
{
    sched_cancel(&n->sched, n->ref.timer);
    sched_cancel(&n->sched, n->ref.drift_timer);
    n->ref.timer = n->ref.drift_timer = 0;
    reference_leap_free(n);
}

void reference_cooked_time(const struct node *n, const struct timespec *raw,
                           struct timespec *cooked, double *err)
{
    engine_cooked_time(&n->ref.engine, raw, cooked, err);
}

static void log_events(struct node *n, const struct clock_event *ev, int n_events)
{
    char buf[256];

    for (int i = 0; i < n_events; i++) {
        switch (clock_event_format(&ev[i], n->cfg->driftfile, buf, sizeof(buf))) {
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

static void rearm_timers(struct node *n);

static void on_engine_timer(void *arg, const struct timespec *now)
{
    struct node *n = arg;
    struct engine_out out;

    n->ref.timer = 0;
    while (engine_on_timer(&n->ref.engine, now, &out))
        reference_apply(n, now, &out.cmd);
    rearm_timers(n);
}

static void rearm_timers(struct node *n)
{
    struct reference *r = &n->ref;
    struct timespec when;

    sched_cancel(&n->sched, r->timer);
    r->timer = 0;
    if (engine_next_timer(&r->engine, &when))
        r->timer = sched_add(&n->sched, &when, on_engine_timer, n);
}

/* The driver calls, in the order clock_cmd prescribes. Returns the ENGINE_DRIVER_* bits
 * of what worked. */
static int perform_driver(struct node *n, const struct clock_cmd *cmd)
{
    const struct env_clock *ec = &n->env->clock;
    struct reference *r = &n->ref;
    int ok = ENGINE_DRIVER_FREQ_OK | ENGINE_DRIVER_STEP_OK;

    if (cmd->set_freq && ec->set_freq(ec->ctx, cmd->freq_ppm) != 0) {
        ok &= ~ENGINE_DRIVER_FREQ_OK;
        /* chrony keeps tracking when the driver cannot follow (e.g. no
         * CAP_SYS_TIME); say so once. */
        if (!r->freq_refused)
            LOG_WARN(n->env->log, "Could not set system clock frequency");
        r->freq_refused = 1;
    }
    if (cmd->step && ec->step(ec->ctx, cmd->step_offset) != 0) {
        ok &= ~ENGINE_DRIVER_STEP_OK;
        if (!r->step_refused)
            LOG_WARN(n->env->log, "Could not step system clock");
        r->step_refused = 1;
    }
    if (cmd->set_leap)
        ec->set_leap(ec->ctx, cmd->leap);
    if (cmd->set_sync)
        ec->set_sync_status(ec->ctx, cmd->synced, cmd->est_error, cmd->max_error);
    return ok;
}

static void fan_out(struct node *n, const struct timespec *raw_now, const struct engine_fanout *fo)
{
    for (int i = 0; i < fo->n_changes; i++) {
        const struct clock_change *ch = &fo->changes[i];
        sources_on_clock_change(n, ch);
        if (ch->type != CLOCK_CHANGE_ADJUST) {
            /* Raw readings moved by the step: so do the deadlines. */
            sched_shift(&n->sched, ch->doffset);
            sources_on_step(n, ch->doffset);
        }
        if (ch->type == CLOCK_CHANGE_UNKNOWN_STEP)
            sources_on_unknown_step(n, raw_now);
    }
    if (fo->dispersion > 0.0)
        sources_add_dispersion(n, fo->dispersion);
    log_events(n, fo->events, fo->n_events);
}

void reference_apply(struct node *n, const struct timespec *raw_now, struct clock_cmd *cmd)
{
    struct engine_fanout fo;

    do {
        int ok = perform_driver(n, cmd);
        engine_commit(&n->ref.engine, raw_now, ok, cmd, &fo);
        fan_out(n, raw_now, &fo);
    } while (clock_cmd_pending(cmd));
    rearm_timers(n);
}

void reference_expect_wake(struct node *n, const struct timespec *when)
{
    engine_expect_wake(&n->ref.engine, when);
}

int reference_check_jump(struct node *n, const struct timespec *now)
{
    struct engine_out out;
    int dir = engine_on_wake(&n->ref.engine, now, &out);

    if (dir < 0)
        LOG_WARN(n->env->log, "Backward time jump detected!");
    else if (dir > 0)
        LOG_WARN(n->env->log, "Forward time jump detected!");
    if (clock_cmd_pending(&out.cmd))
        reference_apply(n, now, &out.cmd);
    return dir != 0;
}

double reference_base_freq_ppm(const struct node *n)
{
    return engine_base_freq_ppm(&n->ref.engine);
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
    struct engine_out out;
    struct timespec cooked;
    double f = fuzz(n);

    reference_cooked_time(n, raw_now, &cooked, NULL);
    engine_update(&n->ref.engine, raw_now, ref, f, reference_leap_today(n, &cooked), &out);
    reference_apply(n, raw_now, &out.cmd);
    log_tracking(n, raw_now, n->log_ref_name, &out.log);
    if (out.write_drift)
        write_drift(n, out.drift_freq_ppm, out.drift_skew_ppm);
    if (out.quit)
        n->quit_requested = 1;
    if (out.mode_done) {
        n->quit_mode_done = 1;
        n->exit_status = out.exit_status;
    }
}

void reference_unsynchronise(struct node *n, const struct timespec *raw_now)
{
    struct engine_out out;

    engine_unsynchronise(&n->ref.engine, raw_now, &out);
    reference_apply(n, raw_now, &out.cmd);
    log_tracking(n, raw_now, "0.0.0.0", &out.log);
}

void reference_update_leap(struct node *n, const struct timespec *raw_now, int leap)
{
    struct engine_out out;

    engine_update_leap(&n->ref.engine, raw_now, leap, &out);
    reference_apply(n, raw_now, &out.cmd);
}

void reference_accumulate_freq(struct node *n, const struct timespec *raw_now, double dfreq_ppm)
{
    struct engine_out out;

    engine_accumulate_freq(&n->ref.engine, raw_now, dfreq_ppm, &out);
    reference_apply(n, raw_now, &out.cmd);
}

int reference_accumulate_offset(struct node *n, const struct timespec *raw_now, double doffset)
{
    struct engine_out out;

    if (!engine_accumulate_offset(&n->ref.engine, raw_now, doffset, &out))
        return -1;
    reference_apply(n, raw_now, &out.cmd);
    return 0;
}

void reference_get_served(const struct node *n, const struct timespec *raw_now,
                          struct ntp_server_ref *ref)
{
    /* The engine refreshes the local reference time, hence the cast: the served state is
     * logically read-only. */
    engine_get_served((struct engine *)&n->ref.engine, raw_now, ref);
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
    engine_get_tracking(&n->ref.engine, raw_now, fuzz(n), out);
}

int reference_make_step(struct node *n, const struct timespec *raw_now)
{
    struct engine_out out;
    const struct env_clock *ck = &n->env->clock;
    int refused_before = n->ref.step_refused;

    /* chronyc makestep: remove the whole remaining correction at once. A clock
     * that cannot be controlled answers "500 Failure", as chrony does. */
    if (!ck->can_control(ck->ctx))
        return -1;
    if (!engine_make_step(&n->ref.engine, raw_now, &out))
        return -1;
    reference_apply(n, raw_now, &out.cmd);
    return n->ref.step_refused && !refused_before ? -1 : 0;
}
