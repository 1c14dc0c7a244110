/* The node's reference: the engine's configuration, its clock commands performed through
 * env->clock, the drift file and the clock's log messages (see reference.h). */
#include "daemon/reference.h"

#include "core/driftfile.h"
#include "daemon/config.h"
#include "daemon/env.h"
#include "daemon/logfiles.h"
#include "daemon/sched.h"
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
    d->mail_change = cfg->mailonchange_user != NULL;
    d->mail_change_threshold = cfg->mailonchange_threshold;
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

static void config_to_select(const struct config *cfg, struct select_config *s)
{
    select_config_default(s);
    s->min_sources = cfg->minsources;
    s->max_distance = cfg->maxdistance;
    s->max_jitter = cfg->maxjitter;
    s->reselect_distance = cfg->reselectdist;
    s->stratum_weight = cfg->stratumweight;
    s->combine_limit = cfg->combinelimit;
    s->max_clock_error = cfg->maxclockerror * 1e-6;
    s->auth_mode = (enum select_auth_mode)cfg->authselectmode;
}

/* The clock's precision (s): `clockprecision` if set, else the measured one, within
 * 1 ns..1 s (chrony's LCL_Initialise). */
static double clock_precision(const struct config *cfg, double measured)
{
    double p = cfg->clockprecision > 0.0 ? cfg->clockprecision : measured;

    if (!(p >= 1e-9))
        p = 1e-9;
    return p > 1.0 ? 1.0 : p;
}

/* The precision served in NTP packets: log2 of the clock resolution rounded to the
 * nearest integer, as chrony (1e-8 s -> -27, 1.5e-8 s -> -26); the resolution itself
 * is kept as measured for the error bounds. */
int reference_precision_log2(double precision)
{
    return (int)lround(log2(precision));
}

void reference_init(struct reference *r, struct rng *rng, int quit_mode, int noclock,
                    double precision, const struct timespec *raw_now)
{
    struct engine_config ec;

    memset(&ec, 0, sizeof(ec));
    config_to_clock(r->cfg, &ec.clock);
    /* -x, and -Q which corrects nothing: chrony's null driver. */
    ec.clock.null_driver = noclock || quit_mode == 2;
    config_to_disc(r->cfg, &ec.disc);
    config_to_select(r->cfg, &ec.select);
    ec.mode = quit_mode == 1   ? DISC_MODE_UPDATE_ONCE
              : quit_mode == 2 ? DISC_MODE_PRINT_ONCE
              /* initstepslew: chrony's mode while its hosts are polled (-q/-Q use them
               * for their own measurement instead) */
              : r->cfg->initstepslew_enabled && r->cfg->n_initstepslew_hosts > 0
                  ? DISC_MODE_INIT_STEP_SLEW
                  : DISC_MODE_NORMAL;
    ec.disc.init_step_threshold = r->cfg->initstepslew_threshold;
    precision = clock_precision(r->cfg, precision);
    ec.precision_log2 = reference_precision_log2(precision);
    ec.precision = precision;
    ec.driver_freq_ppm = r->env->clock.get_freq(r->env->clock.ctx);
    ec.smooth.max_freq_ppm = r->cfg->smooth_max_freq;
    ec.smooth.max_wander_ppm = r->cfg->smooth_max_wander;
    ec.smooth.leap_only = r->cfg->smooth_leap_only;
    engine_init(r->engine, &ec, rng, raw_now);
    engine_manual_enable(r->engine, r->cfg->manual);
}

void reference_write_drift(struct reference *r, double freq_ppm, double skew_ppm)
{
    char buf[128];
    int len;

    if (!r->cfg->driftfile)
        return;
    len = driftfile_format(buf, sizeof(buf), freq_ppm, skew_ppm);
    if (len < 0 || (size_t)len >= sizeof(buf))
        return;
    if (r->env->files.write_atomic(r->env->files.ctx, r->cfg->driftfile, buf, (size_t)len) != 0)
        LOG_WARN(r->env->log, "Could not replace %s", r->cfg->driftfile);
}

static double drift_interval(const struct reference *r)
{
    return r->cfg->driftfile_interval > 0 ? r->cfg->driftfile_interval : 3600.0;
}

static void on_drift_timer(void *arg, const struct timespec *now)
{
    struct reference *r = arg;
    const struct discipline *d = engine_discipline(r->engine);
    double freq, skew;

    /* chrony rewrites the drift file on reference updates after driftfile
     * interval; this periodic save also covers long unsynchronised runs. */
    r->drift_timer = 0;
    if (d->synced) {
        disc_final_drift(d, &freq, &skew);
        reference_write_drift(r, freq, skew);
    }
    r->drift_timer = sched_add_after(r->sched, now, drift_interval(r), on_drift_timer, r);
}

void reference_start(struct reference *r, const struct timespec *raw_now, struct engine_out *out)
{
    char *text = NULL;
    size_t len = 0;
    double freq = 0.0, skew = 0.0;
    int ok = 0;

    reference_leap_load(r);
    if (r->cfg->driftfile)
        text = r->env->files.read_all(r->env->files.ctx, r->cfg->driftfile, &len);
    if (text)
        ok = driftfile_parse(text, len, &freq, &skew) == DRIFTFILE_OK;
    free(text);
    engine_start(r->engine, raw_now, text != NULL, ok, freq, skew, out);
    r->started = 1;
    if (r->cfg->driftfile)
        r->drift_timer = sched_add_after(r->sched, raw_now, drift_interval(r), on_drift_timer, r);
}

void reference_stop(struct reference *r, const struct timespec *raw_now)
{
    double freq, skew;

    (void)raw_now;
    if (!r->started)
        return;
    disc_final_drift(engine_discipline(r->engine), &freq, &skew);
    reference_write_drift(r, freq, skew);
}

void reference_fini(struct reference *r)
{
    sched_cancel(r->sched, r->drift_timer);
    r->drift_timer = 0;
}

void reference_cooked_time(const struct reference *r, const struct timespec *raw,
                           struct timespec *cooked, double *err)
{
    engine_cooked_time(r->engine, raw, cooked, err);
}

void reference_log_event(struct reference *r, const struct clock_event *ev)
{
    char buf[256];

    switch (clock_event_format(ev, r->cfg->driftfile, buf, sizeof(buf))) {
    case CLOCK_EVL_WARN:
        LOG_WARN(r->env->log, "%s", buf);
        break;
    case CLOCK_EVL_INFO:
        LOG_INFO(r->env->log, "%s", buf);
        break;
    default:
        LOG_DEBUG(r->env->log, "%s", buf);
        break;
    }
    if (ev->code == DISC_EV_MAIL_CHANGE)
        reference_mail_change(r, ev->v1, ev->v2);
}

int reference_perform_clock(struct reference *r, const struct engine_clock_act *act)
{
    const struct env_clock *ec = &r->env->clock;
    const struct clock_cmd *cmd = &act->cmd;
    int step_ok = 1;

    if (cmd->set_freq && ec->set_freq(ec->ctx, cmd->freq_ppm) != 0) {
        /* chrony keeps tracking when the driver cannot follow (e.g. no
         * CAP_SYS_TIME); say so once. */
        if (!r->freq_refused)
            LOG_WARN(r->env->log, "Could not set system clock frequency");
        r->freq_refused = 1;
    }
    if (cmd->step && ec->step(ec->ctx, cmd->step_offset) != 0) {
        step_ok = 0;
        /* chrony logs every refused step (chronyd -x cannot step) */
        LOG_ERR(r->env->log, "Could not step system clock");
        r->steps_refused++;
    }
    if (cmd->set_leap)
        ec->set_leap(ec->ctx, cmd->leap, cmd->tai_offset);
    if (cmd->set_sync)
        ec->set_sync_status(ec->ctx, cmd->synced, cmd->est_error, cmd->max_error);
    return step_ok;
}

void reference_leap_expired(struct reference *r)
{
    LOG_WARN(r->env->log, "Leap second list %s needs update", r->cfg->leapseclist);
}

double reference_base_freq_ppm(const struct reference *r)
{
    return engine_base_freq_ppm(r->engine);
}

void reference_log_tracking(struct reference *r, const char *name, const struct engine_tracking *t)
{
    static const char leap_chars[4] = {'N', '+', '-', '?'};
    const struct disc_log_entry *l = &t->log;
    /* chrony prints a remaining correction of zero as -0.000e+00. */
    double remaining = l->remaining == 0.0 ? -0.0 : l->remaining;

    if (!logfiles_enabled(r->logs, LOGF_TRACKING))
        return;
    logfiles_write(r->logs, r->env, LOGF_TRACKING, &t->when,
                   "%-15s %2d %10.3f %10.3f %10.3e %c %2d %10.3e %10.3e %10.3e %10.3e %10.3e", name,
                   l->stratum, l->freq_ppm, l->skew_ppm, l->offset, leap_chars[l->leap & 3],
                   l->combined, l->offset_sd, remaining, l->root_delay, l->root_dispersion,
                   l->max_error);
}

void reference_get_served(const struct reference *r, const struct timespec *raw_now,
                          struct ntp_server_ref *ref)
{
    /* The engine refreshes the local reference time (hence the engine is not const): the
     * served state is logically read-only. */
    engine_get_served(r->engine, raw_now, ref);
}

void reference_get_tracking(struct reference *r, const struct timespec *raw_now,
                            struct disc_tracking *out)
{
    engine_get_tracking(r->engine, raw_now, out);
}
