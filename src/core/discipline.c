/* Clock discipline and reference state (chrony's reference.c role). */
#include "core/discipline.h"

#include "lib/ts.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* A leap second is "close" within this many seconds of its midnight. */
#define LEAP_SECOND_CLOSE 5
/* The leap second correction is over this long after it started (s). */
#define LEAP_END_DELAY 2.0
#define SECS_PER_DAY 86400
/* Default waitunsynced with orphan, as ntpd's orphanwait (s). */
#define ORPHAN_WAIT 300.0
/* The reference time served in local mode is refreshed this often (s). */
#define LOCAL_REF_UPDATE_INTERVAL 64.0

enum serve_kind { SERVE_SYNCED, SERVE_LOCAL, SERVE_UNSYNC };

void disc_config_default(struct disc_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->corr_time_ratio = 3.0;
    cfg->makestep_limit = 0;
    cfg->maxchange_delay = -1;
    cfg->max_update_skew_ppm = 1000.0;
    cfg->log_change_threshold = 1.0;
    cfg->leap_mode = DISC_LEAPMODE_SYSTEM;
    cfg->drift_interval = 3600.0;
    cfg->local_stratum = 10;
    cfg->local_distance = 1.0;
    cfg->local_wait_unsynced = -1.0;
}

void disc_outcome_init(struct disc_outcome *out)
{
    memset(out, 0, sizeof(*out));
    clock_cmd_init(&out->cmd);
    out->verdict = DISC_NOTHING;
}

static double sqr(double x)
{
    return x * x;
}

static void cooked_now(const struct discipline *d, const struct timespec *raw,
                       struct timespec *cooked)
{
    clock_cooked_time(d->clock, raw, cooked, NULL);
}

void disc_init(struct discipline *d, const struct disc_config *cfg, struct clock *clock,
               const struct timespec *raw_now)
{
    assert(d && cfg && clock && raw_now);
    memset(d, 0, sizeof(*d));
    d->cfg = *cfg;
    d->clock = clock;
    d->leap_status = DISC_LEAP_UNSYNC;
    d->stratum = DISC_MAX_STRATUM;
    d->skew = 1.0; /* nothing known yet */
    d->root_delay = 1.0;
    d->root_dispersion = 1.0;
    d->makestep_left = cfg->makestep_limit;
    d->maxchange_delay = cfg->maxchange_delay;
    d->maxchange_ignore = cfg->maxchange_ignore;
    if (d->cfg.local_wait_unsynced < 0.0)
        d->cfg.local_wait_unsynced = cfg->local_orphan ? ORPHAN_WAIT : 0.0;
    if (d->cfg.fb_drift_max > DISC_MAX_FB_DRIFTS)
        d->cfg.fb_drift_max = DISC_MAX_FB_DRIFTS;
    if (d->cfg.fb_drift_min <= 0 || d->cfg.fb_drift_max < d->cfg.fb_drift_min)
        d->cfg.fb_drift_min = d->cfg.fb_drift_max = 0;
    /* fb[] is indexed by i - fb_drift_min for i in [fb_drift_min, fb_drift_max]. */
    assert(d->cfg.fb_drift_max - d->cfg.fb_drift_min < DISC_MAX_FB_DRIFTS);
    cooked_now(d, raw_now, &d->start_time);
}

void disc_init_frequency(struct discipline *d, const struct timespec *raw_now, int have_file,
                         int file_ok, double freq_ppm, double skew_ppm, struct disc_outcome *out)
{
    double freq = 0.0;

    disc_outcome_init(out);
    out->verdict = DISC_APPLIED;
    if (have_file && file_ok) {
        freq = freq_ppm;
        d->skew = skew_ppm * 1e-6 < DISC_MIN_SKEW ? DISC_MIN_SKEW : skew_ppm * 1e-6;
        clock_cmd_add_event(&out->cmd, DISC_EV_DRIFT_READ, freq_ppm, skew_ppm, 0);
        clock_set_freq(d->clock, raw_now, freq, &out->cmd);
    } else if (have_file) {
        clock_cmd_add_event(&out->cmd, DISC_EV_DRIFT_BAD, 0.0, 0.0, 0);
    }
    if (freq == 0.0) {
        freq = clock_get_freq_ppm(d->clock);
        if (freq != 0.0)
            clock_cmd_add_event(&out->cmd, DISC_EV_INITIAL_FREQ, freq, 0.0, 0);
    }
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian calendar). */
static void civil_from_days(int64_t z, int *month, int *day)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
}

int disc_is_leap_second_day(int64_t unix_secs)
{
    int64_t days = unix_secs >= 0 ? unix_secs / SECS_PER_DAY
                                  : -((-unix_secs + SECS_PER_DAY - 1) / SECS_PER_DAY);
    int month, day;

    civil_from_days(days, &month, &day);
    return (month == 6 && day == 30) || (month == 12 && day == 31);
}

int disc_leap_vote(const int *leaps, int n)
{
    int i, ins = 0, del = 0;

    assert(n >= 0 && (leaps || n == 0));
    for (i = 0; i < n; i++) {
        ins += leaps[i] == DISC_LEAP_INSERT;
        del += leaps[i] == DISC_LEAP_DELETE;
    }
    if (ins > n / 2)
        return DISC_LEAP_INSERT;
    if (del > n / 2)
        return DISC_LEAP_DELETE;
    return DISC_LEAP_NORMAL;
}

static int leap_close(const struct discipline *d, int64_t t)
{
    return d->leap_when != 0 && t >= d->leap_when - LEAP_SECOND_CLOSE &&
           t < d->leap_when + LEAP_SECOND_CLOSE;
}

int disc_leap_second_close(const struct discipline *d, const struct timespec *cooked_now,
                           const struct timespec *raw_now, const struct timespec *ts, double offset)
{
    if (leap_close(d, cooked_now->tv_sec) || leap_close(d, raw_now->tv_sec))
        return 1;
    return ts && (leap_close(d, ts->tv_sec) || leap_close(d, (int64_t)(ts->tv_sec + offset)));
}

/* Schedule the start of the leap second correction: insertion at 00:00:00,
 * deletion at 23:59:59; in system mode half a second before the kernel. */
static void set_leap_timer(struct discipline *d, int64_t now_secs)
{
    int64_t when;

    d->leap_timer_set = 0;
    d->leap_timer_end = 0;
    d->leap_in_progress = 0;
    if (!d->leap_sec)
        return;
    d->leap_when = (now_secs / SECS_PER_DAY + 1) * SECS_PER_DAY;
    when = d->leap_when - (d->leap_sec < 0);
    d->leap_timer.tv_sec = (time_t)when;
    d->leap_timer.tv_nsec = 0;
    if (d->cfg.leap_mode == DISC_LEAPMODE_SYSTEM)
        ts_add(&d->leap_timer, &d->leap_timer, -0.5);
    d->leap_timer_set = 1;
}

/* now_secs: raw unix time, 0 when going unsynchronised. */
static void update_leap_status(struct discipline *d, int leap, int64_t now_secs,
                               const struct timespec *cooked, const struct timespec *raw,
                               int db_leap, int tai_offset, int reset, struct clock_cmd *cmd)
{
    int leap_sec = 0;

    /* Two bits of an NTP header, or our own DISC_LEAP_* values. */
    assert(leap >= DISC_LEAP_NORMAL && leap <= DISC_LEAP_UNSYNC);
    assert(db_leap >= DISC_LEAP_NORMAL && db_leap <= DISC_LEAP_UNSYNC);
    if (now_secs && leap == DISC_LEAP_NORMAL)
        leap = db_leap;
    if (leap == DISC_LEAP_INSERT || leap == DISC_LEAP_DELETE) {
        if (disc_is_leap_second_day(now_secs))
            leap_sec = leap == DISC_LEAP_INSERT ? 1 : -1;
        else
            leap = DISC_LEAP_NORMAL;
    }
    if ((leap_sec != d->leap_sec || tai_offset != d->tai_offset) &&
        !disc_leap_second_close(d, cooked, raw, NULL, 0.0)) {
        d->leap_sec = leap_sec;
        d->tai_offset = tai_offset;
        if (d->cfg.leap_mode == DISC_LEAPMODE_SYSTEM) {
            cmd->set_leap = 1;
            cmd->leap = leap_sec;
            cmd->tai_offset = tai_offset;
        }
        set_leap_timer(d, now_secs);
    } else if (reset) {
        set_leap_timer(d, now_secs);
    }
    d->leap_status = leap;
}

static void leap_start(struct discipline *d, const struct timespec *raw, struct clock_cmd *cmd)
{
    /* The leap timer is armed only with a leap second pending. */
    assert(d->leap_sec == 1 || d->leap_sec == -1);
    d->leap_in_progress = 1;
    switch (d->cfg.leap_mode) {
    case DISC_LEAPMODE_SYSTEM:
        break;
    case DISC_LEAPMODE_SLEW:
        clock_accumulate_offset(d->clock, raw, d->leap_sec, 0.0, cmd);
        clock_cmd_add_event(cmd, DISC_EV_LEAP_SLEW, 0.0, 0.0, 0);
        break;
    case DISC_LEAPMODE_STEP:
        clock_step(d->clock, raw, d->leap_sec, cmd);
        clock_cmd_add_event(cmd, DISC_EV_LEAP_STEP, 0.0, 0.0, 0);
        break;
    case DISC_LEAPMODE_IGNORE:
        clock_cmd_add_event(cmd, DISC_EV_LEAP_IGNORE, 0.0, 0.0, 0);
        break;
    }
    /* Wait until the second is surely over. */
    ts_add(&d->leap_timer, &d->leap_timer, LEAP_END_DELAY);
    d->leap_timer_end = 1;
}

static void leap_end(struct discipline *d, struct clock_cmd *cmd)
{
    d->leap_timer_set = 0;
    d->leap_timer_end = 0;
    d->leap_in_progress = 0;
    /* The second is over: TAI - UTC moved by it (when known). */
    if (d->tai_offset)
        d->tai_offset += d->leap_sec;
    d->leap_sec = 0;
    if (d->cfg.leap_mode == DISC_LEAPMODE_SYSTEM) {
        cmd->set_leap = 1;
        cmd->leap = 0;
        cmd->tai_offset = d->tai_offset;
    }
    if (d->leap_status == DISC_LEAP_INSERT || d->leap_status == DISC_LEAP_DELETE)
        d->leap_status = DISC_LEAP_NORMAL;
}

/* makestep: step if the offset (relative to the cooked time) is above the
 * threshold while updates remain in the limit (negative = forever). */
static int step_limit_reached(struct discipline *d, double offset, double correction)
{
    if (d->makestep_left == 0)
        return 0;
    if (d->makestep_left > 0)
        d->makestep_left--;
    return fabs(offset - correction) > d->cfg.makestep_threshold;
}

/* maxchange: returns DISC_APPLIED if the offset may be applied. */
static enum disc_verdict check_maxchange(struct discipline *d, double offset, struct clock_cmd *cmd)
{
    int exiting;

    if (d->maxchange_delay < 0)
        return DISC_APPLIED;
    if (d->maxchange_delay > 0) {
        d->maxchange_delay--;
        return DISC_APPLIED;
    }
    if (fabs(offset) <= d->cfg.maxchange_offset)
        return DISC_APPLIED;
    exiting = d->maxchange_ignore == 0;
    clock_cmd_add_event(cmd, DISC_EV_MAXCHANGE, -offset, d->cfg.maxchange_offset, exiting);
    if (exiting)
        return DISC_EXIT_MAXCHANGE;
    if (d->maxchange_ignore > 0)
        d->maxchange_ignore--;
    return DISC_IGNORED_MAXCHANGE;
}

/* The end of a special mode (chrony's special_mode_sync): the one estimate (valid) is
 * printed (-Q), stepped (-q), or stepped or slewed by its size (initstepslew); without one
 * the mode fails. Nothing is done in the ignore mode that follows. */
static void special_mode_sync(struct discipline *d, const struct timespec *raw, int valid,
                              double offset, struct disc_outcome *out)
{
    int init = d->mode == DISC_MODE_INIT_STEP_SLEW, step;

    if (d->mode == DISC_MODE_IGNORE)
        return;
    out->verdict = DISC_MODE_DONE;
    out->ended_mode = d->mode;
    out->mode_result = valid;
    if (!valid) {
        clock_cmd_add_event(&out->cmd, init ? DISC_EV_INIT_FAILED : DISC_EV_NO_SUITABLE, 0.0, 0.0,
                            0);
    } else if (init) {
        step = fabs(offset) >= d->cfg.init_step_threshold;
        clock_cmd_add_event(&out->cmd, DISC_EV_INIT_OFFSET, offset, 0.0, step);
        if (step)
            clock_step(d->clock, raw, offset, &out->cmd);
        else
            clock_accumulate_offset(d->clock, raw, offset, 0.0, &out->cmd);
    } else {
        step = d->mode == DISC_MODE_UPDATE_ONCE;
        clock_cmd_add_event(&out->cmd, DISC_EV_WRONG_ONCE, -offset, 0.0, step);
        if (step)
            clock_step(d->clock, raw, offset, &out->cmd);
    }
    d->mode = DISC_MODE_IGNORE;
}

struct estimate {
    double freq, skew, residual;
};

/* Combine the measured frequency (a delta: our current frequency is 0 by
 * definition) with ours, weighted by the inverse squares of the skews with
 * the measurement counting three times. A manual reference replaces ours;
 * a skew above maxupdateskew has no weight. */
static void get_estimate(const struct discipline *d, int manual, double freq, double skew,
                         struct estimate *e)
{
    double gain;

    if (manual)
        gain = 1.0;
    else if (fabs(skew) > d->cfg.max_update_skew_ppm * 1e-6)
        gain = 0.0;
    else
        gain = 3.0 * sqr(d->skew) / (3.0 * sqr(d->skew) + sqr(skew));
    gain = gain < 0.0 ? 0.0 : gain > 1.0 ? 1.0 : gain;
    e->freq = gain * freq;
    e->residual = freq - e->freq;
    e->skew = d->skew + gain * (skew - d->skew) +
              sqrt(sqr(e->freq) * (1.0 - gain) + sqr(freq - e->freq) * gain);
}

/* Exponential moving averages of the absolute frequency over 2^i s, used
 * when the updates stop (fallbackdrift). */
static void update_fb_drifts(struct discipline *d, double freq_ppm, double interval)
{
    int i, n = d->cfg.fb_drift_max - d->cfg.fb_drift_min + 1;
    double secs;

    assert(n >= 1 && n <= DISC_MAX_FB_DRIFTS);
    d->next_fb = 0;
    d->fb_timer_set = 0;
    /* chrony compares with the interval it has just stored, so only the
     * lower bound is effective; keep that behaviour. */
    if (interval < 1.0 || interval > d->last_update_interval * 4.0)
        return;
    for (i = 0; i < n; i++) {
        struct disc_fb_drift *fb = &d->fb[i];

        secs = ldexp(1.0, i + d->cfg.fb_drift_min);
        if (fb->secs < secs) {
            /* Plain average over the first 2 x 2^i s. */
            fb->freq_ppm =
                (fb->freq_ppm * fb->secs + interval * 0.5 * freq_ppm) / (interval * 0.5 + fb->secs);
            fb->secs += interval * 0.5;
        } else {
            fb->freq_ppm += (1.0 - 1.0 / exp(interval / secs)) * (freq_ppm - fb->freq_ppm);
        }
    }
}

/* Switch to the longest fallback drift whose interval has passed and arm a
 * timer for the next one. */
static void schedule_fb_drift(struct discipline *d, const struct timespec *raw,
                              const struct timespec *now, struct clock_cmd *cmd)
{
    int i, c = 0;
    double unsynced, secs = 0.0;

    if (!d->cfg.fb_drift_min || d->fb_timer_set)
        return;
    unsynced = ts_is_zero(&d->last_ref_update) ? ts_diff(now, &d->start_time)
                                               : ts_diff(now, &d->last_ref_update);
    for (i = d->cfg.fb_drift_min; i <= d->cfg.fb_drift_max; i++) {
        secs = ldexp(1.0, i);
        if (d->fb[i - d->cfg.fb_drift_min].secs < secs)
            continue;
        if (unsynced < secs && i > d->next_fb)
            break;
        c = i;
    }
    if (c > d->next_fb) {
        assert(c >= d->cfg.fb_drift_min && c <= d->cfg.fb_drift_max);
        clock_set_freq(d->clock, raw, d->fb[c - d->cfg.fb_drift_min].freq_ppm, cmd);
        d->next_fb = c;
    }
    if (i <= d->cfg.fb_drift_max) {
        d->next_fb = i;
        ts_add(&d->fb_timer, now, secs - unsynced);
        d->fb_timer_set = 1;
    }
}

/* Our root dispersion grows with the skew, the residual frequency and the
 * stability of the clock (maxclockerror) since the reference time. */
static double root_dispersion_at(const struct discipline *d, const struct timespec *now)
{
    if (ts_is_zero(&d->ref_time))
        return 1.0;
    return d->root_dispersion +
           fabs(ts_diff(now, &d->ref_time)) *
               (d->skew + fabs(d->residual_freq) + clock_max_clock_error(d->clock));
}

double disc_root_distance(const struct discipline *d, const struct timespec *cooked_now)
{
    return d->root_delay / 2.0 + root_dispersion_at(d, cooked_now);
}

static void update_sync_status(const struct discipline *d, const struct timespec *now,
                               struct clock_cmd *cmd)
{
    double elapsed = fabs(ts_diff(now, &d->ref_time));

    clock_set_sync_status(d->clock, d->synced, d->offset_sd + elapsed * d->frequency_sd,
                          disc_root_distance(d, now), cmd);
}

static void update_rms(struct discipline *d, double offset)
{
    if (d->avg2_moving) {
        d->avg2_offset += 0.1 * (offset * offset - d->avg2_offset);
    } else {
        if (d->avg2_offset > 0.0 && d->avg2_offset < offset * offset)
            d->avg2_moving = 1;
        d->avg2_offset = offset * offset;
    }
}

static void set_reference_state(struct discipline *d, const struct disc_update *u,
                                const struct estimate *e, const struct timespec *now, double offset,
                                double interval)
{
    d->synced = u->leap != DISC_LEAP_UNSYNC;
    d->stratum = u->stratum + 1;
    d->ref_id = u->ref_id;
    d->ref_time = u->ref_time;
    d->skew = e->skew;
    d->residual_freq = e->residual;
    d->root_delay = u->root_delay;
    d->root_dispersion = u->root_dispersion;
    d->frequency_sd = u->frequency_sd;
    d->offset_sd = u->offset_sd;
    d->last_ref_update = *now;
    d->last_update_interval = interval;
    d->last_offset = offset;
    if (d->cfg.local_activate > 0.0 && d->synced &&
        u->root_delay / 2.0 + u->root_dispersion < d->cfg.local_activate)
        d->local_activate_ok = 1;
}

/* After the clock was corrected: leap status, sync status, reference time
 * fuzz, drift file, fallback drifts, statistics of the offsets. */
static void finish_update(struct discipline *d, const struct timespec *raw,
                          const struct timespec *now, const struct disc_update *u,
                          struct disc_outcome *out)
{
    double interval = d->last_update_interval;

    update_leap_status(d, u->leap, raw->tv_sec, now, raw, u->db_leap, u->db_tai_offset, 0,
                       &out->cmd);
    update_sync_status(d, now, &out->cmd);
    if (u->ref_time_fuzz > 0.0)
        ts_add(&d->ref_time, &d->ref_time, -(u->ref_time_fuzz > 1.0 ? 1.0 : u->ref_time_fuzz));
    d->drift_age += interval;
    if (d->drift_age >= d->cfg.drift_interval) {
        out->write_drift = 1;
        out->drift_freq_ppm = clock_get_freq_ppm(d->clock);
        out->drift_skew_ppm = d->skew * 1e6;
        d->drift_age = 0.0;
    }
    if (d->cfg.fb_drift_min && d->synced) {
        update_fb_drifts(d, clock_get_freq_ppm(d->clock), interval);
        schedule_fb_drift(d, raw, now, &out->cmd);
    }
    update_rms(d, d->last_offset);
}

static void fill_log(const struct discipline *d, struct disc_log_entry *l, int stratum,
                     double offset, int leap, int combined, double offset_sd, double remaining,
                     double root_delay, double root_dispersion, double max_error)
{
    l->valid = 1;
    l->stratum = stratum;
    l->freq_ppm = clock_get_freq_ppm(d->clock) + 0.0; /* no -0.000 */
    l->skew_ppm = d->skew * 1e6;
    l->offset = offset;
    l->leap = leap;
    l->combined = combined;
    l->offset_sd = offset_sd;
    l->remaining = remaining;
    l->root_delay = root_delay;
    l->root_dispersion = root_dispersion;
    l->max_error = max_error;
}

void disc_update(struct discipline *d, const struct timespec *raw_now, const struct disc_update *u,
                 struct disc_outcome *out)
{
    struct timespec now;
    struct estimate e;
    double skew = u->skew, correction, offset, interval, acc_offset, step = 0.0, prev_distance;

    assert(d && raw_now && out);
    disc_outcome_init(out);
    if (d->mode != DISC_MODE_NORMAL) {
        special_mode_sync(d, raw_now, 1, u->offset, out);
        return;
    }
    if (!isfinite(skew) || !isfinite(u->offset) || !isfinite(u->frequency)) {
        clock_cmd_add_event(&out->cmd, DISC_EV_BOGUS_SKEW, 0.0, 0.0, 0);
        out->verdict = DISC_BOGUS_SKEW;
        return;
    }
    skew = skew < DISC_MIN_SKEW ? DISC_MIN_SKEW : skew;
    cooked_now(d, raw_now, &now);
    correction = clock_cooked_offset(d->clock, raw_now);
    offset = u->offset + ts_diff(&now, &u->ref_time) * u->frequency;
    interval = ts_is_zero(&d->last_ref_update) ? 0.0 : ts_diff(&now, &d->last_ref_update);
    interval = interval < 0.0 ? 0.0 : interval;
    get_estimate(d, u->leap == DISC_LEAP_UNSYNC, u->frequency, skew, &e);
    out->verdict = check_maxchange(d, offset, &out->cmd);
    if (out->verdict != DISC_APPLIED)
        return;

    /* The bound of the clock's error until now comes from the previous
     * reference (an unsynchronised one counts as 1 s of delay and dispersion). */
    prev_distance = d->synced ? disc_root_distance(d, &now) : 1.5;
    set_reference_state(d, u, &e, &now, offset, interval);
    if (step_limit_reached(d, offset, correction)) {
        /* Cancel the slew in progress and step the whole offset. */
        acc_offset = correction;
        step = offset - correction;
    } else {
        acc_offset = offset;
    }
    /* corrtimeratio (chrony semantics): an offset equal to the offset SD is
     * corrected over corrtimeratio update intervals; offset x time is what
     * the clock model takes. */
    clock_accumulate_freq_and_offset(d->clock, raw_now, e.freq, acc_offset,
                                     d->cfg.corr_time_ratio * 0.5 * u->offset_sd * interval,
                                     &out->cmd);
    if (fabs(offset) > d->cfg.log_change_threshold)
        clock_cmd_add_event(&out->cmd, DISC_EV_CLOCK_WRONG, -offset, 0.0, 0);
    /* chrony's maybe_log_offset: the mail of mailonchange, on the same updates. */
    if (d->cfg.mail_change && fabs(offset) > d->cfg.mail_change_threshold)
        clock_cmd_add_event(&out->cmd, DISC_EV_MAIL_CHANGE, -offset, d->cfg.mail_change_threshold,
                            0);
    if (step != 0.0 && clock_step(d->clock, raw_now, step, &out->cmd))
        clock_cmd_add_event(&out->cmd, DISC_EV_STEPPED, -step, 0.0, 0);
    finish_update(d, raw_now, &now, u, out);
    d->n_adjustments = 0;
    fill_log(d, &out->log, d->stratum, offset, u->leap, u->combined, u->offset_sd, correction,
             u->root_delay, u->root_dispersion, fabs(offset) + fabs(correction) + prev_distance);
}

int disc_adjust_reference(struct discipline *d, const struct timespec *raw_now, double offset,
                          double dfreq, struct clock_cmd *cmd)
{
    struct timespec now;
    const struct timespec *since;
    double adj_rate, ref_rate;

    cooked_now(d, raw_now, &now);
    d->n_adjustments++;
    since = ts_is_zero(&d->last_adjustment) ? &d->start_time : &d->last_adjustment;
    /* The faster of two rates: this offset corrected over corrtimeratio intervals since the
     * last adjustment, and the reference's offset SD over its update interval shared by the
     * adjustments made since that update. */
    adj_rate = d->cfg.corr_time_ratio * 0.5 * fabs(offset) * ts_diff(&now, since);
    ref_rate =
        d->cfg.corr_time_ratio * 0.5 * d->offset_sd * d->last_update_interval / d->n_adjustments;
    d->last_adjustment = now;
    return clock_accumulate_freq_and_offset(d->clock, raw_now, dfreq, offset,
                                            adj_rate > ref_rate ? adj_rate : ref_rate, cmd);
}

void disc_update_manual(struct discipline *d, const struct timespec *raw_now,
                        const struct timespec *ref_time, double offset, double frequency,
                        double skew, struct disc_outcome *out)
{
    struct disc_update u;

    memset(&u, 0, sizeof(u));
    u.stratum = 0;
    u.leap = DISC_LEAP_UNSYNC;
    u.combined = 1;
    u.ref_id = DISC_REFID_MANUAL;
    u.ref_time = *ref_time;
    u.offset = offset;
    u.frequency = frequency;
    u.frequency_sd = skew;
    u.skew = skew;
    disc_update(d, raw_now, &u, out);
}

/* chrony's REF_SetUnsynchronised, appending to cmd. */
static void set_unsync(struct discipline *d, const struct timespec *raw_now, struct clock_cmd *cmd)
{
    struct timespec now;

    cooked_now(d, raw_now, &now);
    schedule_fb_drift(d, raw_now, &now, cmd);
    update_leap_status(d, DISC_LEAP_UNSYNC, 0, &now, raw_now, 0, 0, 0, cmd);
    d->synced = 0;
    clock_set_sync_status(d->clock, 0, 0.0, 0.0, cmd);
}

void disc_set_unsynchronised(struct discipline *d, const struct timespec *raw_now,
                             struct disc_outcome *out)
{
    disc_outcome_init(out);
    if (d->mode != DISC_MODE_NORMAL) {
        special_mode_sync(d, raw_now, 0, 0.0, out);
        return;
    }
    out->verdict = DISC_APPLIED;
    disc_unsync_log(d, raw_now, &out->log);
    set_unsync(d, raw_now, &out->cmd);
}

void disc_unsync_log(const struct discipline *d, const struct timespec *raw_now,
                     struct disc_log_entry *l)
{
    double correction = clock_cooked_offset(d->clock, raw_now);

    /* chrony's unsynchronised reference: 1 s of root delay and dispersion. */
    fill_log(d, l, 0, 0.0, DISC_LEAP_UNSYNC, 0, 0.0, correction, 1.0, 1.0, 1.5 + fabs(correction));
}

void disc_update_leap(struct discipline *d, const struct timespec *raw_now, int leap,
                      struct disc_outcome *out)
{
    struct timespec now;

    disc_outcome_init(out);
    if (!d->synced)
        return;
    out->verdict = DISC_APPLIED;
    cooked_now(d, raw_now, &now);
    update_leap_status(d, leap, raw_now->tv_sec, &now, raw_now, 0, d->tai_offset, 0, &out->cmd);
    update_sync_status(d, &now, &out->cmd);
}

static void adjust_time(struct timespec *t, const struct clock_change *ch)
{
    double delta = ts_diff(&ch->cooked, t) * ch->dfreq - ch->doffset;

    ts_add(t, t, delta);
}

void disc_on_clock_change(struct discipline *d, const struct clock_change *ch,
                          struct clock_cmd *cmd)
{
    struct timespec raw, cooked;
    struct clock_cmd scratch;

    assert(d && ch);
    assert(ch->type == CLOCK_CHANGE_ADJUST || ch->type == CLOCK_CHANGE_STEP ||
           ch->type == CLOCK_CHANGE_UNKNOWN_STEP);
    if (!cmd) {
        clock_cmd_init(&scratch);
        cmd = &scratch;
    }
    if (!ts_is_zero(&d->ref_time))
        adjust_time(&d->ref_time, ch);
    if (!ts_is_zero(&d->last_ref_update))
        adjust_time(&d->last_ref_update, ch);
    if (d->fb_timer_set)
        adjust_time(&d->fb_timer, ch);
    if (ch->type == CLOCK_CHANGE_ADJUST)
        return;
    ts_add(&raw, &ch->raw, -ch->doffset);
    cooked_now(d, &raw, &cooked);
    if (ch->type == CLOCK_CHANGE_UNKNOWN_STEP) {
        memset(&d->last_ref_update, 0, sizeof(d->last_ref_update));
        set_unsync(d, &raw, cmd);
    }
    /* Midnight moved on the cooked timescale: re-check the leap second. */
    if (d->leap_sec && !d->leap_in_progress)
        update_leap_status(d, d->leap_status, raw.tv_sec, &cooked, &raw, 0, d->tai_offset, 1, cmd);
}

static void consider(int *have, struct timespec *best, int set, const struct timespec *t)
{
    if (set && (!*have || ts_cmp(t, best) < 0)) {
        *best = *t;
        *have = 1;
    }
}

int disc_next_timer(const struct discipline *d, struct timespec *cooked_when)
{
    int have = 0;

    consider(&have, cooked_when, d->leap_timer_set, &d->leap_timer);
    consider(&have, cooked_when, d->fb_timer_set, &d->fb_timer);
    return have;
}

void disc_on_timer(struct discipline *d, const struct timespec *raw_now, struct disc_outcome *out)
{
    struct timespec now;

    disc_outcome_init(out);
    cooked_now(d, raw_now, &now);
    if (d->leap_timer_set && ts_cmp(&now, &d->leap_timer) >= 0) {
        if (d->leap_timer_end)
            leap_end(d, &out->cmd);
        else
            leap_start(d, raw_now, &out->cmd);
        out->verdict = DISC_APPLIED;
    }
    if (d->fb_timer_set && ts_cmp(&now, &d->fb_timer) >= 0) {
        /* The next fallback drift is due: use it and stop claiming sync. */
        d->fb_timer_set = 0;
        assert(d->next_fb >= d->cfg.fb_drift_min && d->next_fb <= d->cfg.fb_drift_max);
        clock_set_freq(d->clock, raw_now, d->fb[d->next_fb - d->cfg.fb_drift_min].freq_ppm,
                       &out->cmd);
        set_unsync(d, raw_now, &out->cmd);
        out->verdict = DISC_APPLIED;
    }
}

void disc_final_drift(const struct discipline *d, double *freq_ppm, double *skew_ppm)
{
    *freq_ppm = clock_get_freq_ppm(d->clock);
    *skew_ppm = d->skew * 1e6;
}

int disc_local_active(const struct discipline *d, const struct timespec *cooked_now)
{
    const struct timespec *since;

    /* chrony serves the local reference whatever the mode; -q/-Q serve nothing. */
    if (!d->cfg.local_enabled || d->mode == DISC_MODE_UPDATE_ONCE ||
        d->mode == DISC_MODE_PRINT_ONCE)
        return 0;
    if (d->cfg.local_activate > 0.0 && !d->local_activate_ok)
        return 0;
    since = ts_is_zero(&d->last_ref_update) ? &d->start_time : &d->last_ref_update;
    if (d->synced)
        return disc_root_distance(d, cooked_now) > d->cfg.local_distance &&
               ts_diff(cooked_now, since) >= d->cfg.local_wait_synced;
    return ts_diff(cooked_now, since) >= d->cfg.local_wait_unsynced;
}

static enum serve_kind serve_kind(const struct discipline *d, const struct timespec *now)
{
    int local = disc_local_active(d, now);

    if (d->synced && !local)
        return SERVE_SYNCED;
    return local ? SERVE_LOCAL : SERVE_UNSYNC;
}

void disc_get_ntp_state(struct discipline *d, const struct timespec *cooked_now, double fuzz,
                        struct disc_ntp_state *out)
{
    double delta;

    memset(out, 0, sizeof(*out));
    switch (serve_kind(d, cooked_now)) {
    case SERVE_SYNCED:
        out->synchronised = 1;
        out->stratum = d->stratum;
        out->leap = d->leap_in_progress ? DISC_LEAP_UNSYNC : d->leap_status;
        out->ref_id = d->ref_id;
        out->ref_time = d->ref_time;
        out->root_delay = d->root_delay;
        out->root_dispersion = root_dispersion_at(d, cooked_now);
        break;
    case SERVE_LOCAL:
        out->local = 1;
        out->stratum = d->cfg.local_stratum;
        out->leap = DISC_LEAP_NORMAL;
        out->ref_id = DISC_REFID_LOCAL;
        /* Keep it over a second back so that no transmit timestamp can
         * precede it, and fuzzed like the synchronised reference time. */
        delta = ts_diff(cooked_now, &d->local_ref_time);
        if (delta > LOCAL_REF_UPDATE_INTERVAL || delta < 1.0)
            ts_add(&d->local_ref_time, cooked_now, -1.0 - (fuzz > 1.0 ? 1.0 : fuzz));
        out->ref_time = d->local_ref_time;
        out->root_delay = 0.0;
        out->root_dispersion = d->cfg.local_root_dispersion;
        break;
    case SERVE_UNSYNC:
        out->leap = DISC_LEAP_UNSYNC;
        out->stratum = DISC_MAX_STRATUM;
        out->ref_id = DISC_REFID_UNSYNC;
        out->root_delay = 1.0;
        out->root_dispersion = 1.0;
        break;
    }
}

int disc_get_stratum(const struct discipline *d, const struct timespec *cooked_now)
{
    switch (serve_kind(d, cooked_now)) {
    case SERVE_SYNCED:
        return d->stratum;
    case SERVE_LOCAL:
        return d->cfg.local_stratum;
    default:
        return DISC_MAX_STRATUM;
    }
}

int disc_get_orphan_stratum(const struct discipline *d)
{
    if (!d->cfg.local_enabled || !d->cfg.local_orphan || d->mode != DISC_MODE_NORMAL)
        return DISC_MAX_STRATUM;
    return d->cfg.local_stratum;
}

void disc_get_tracking(struct discipline *d, const struct timespec *raw_now, double fuzz,
                       struct disc_tracking *out)
{
    struct timespec now;
    struct disc_ntp_state st;

    memset(out, 0, sizeof(*out));
    cooked_now(d, raw_now, &now);
    disc_get_ntp_state(d, &now, fuzz, &st);
    out->ref_id = st.ref_id;
    out->stratum = st.stratum == DISC_MAX_STRATUM && !st.synchronised ? 0 : st.stratum;
    out->leap_status = st.leap;
    out->synchronised = st.synchronised;
    out->ref_time = st.ref_time;
    out->root_delay = st.root_delay;
    out->root_dispersion = st.root_dispersion;
    out->current_correction = clock_cooked_offset(d->clock, raw_now);
    out->freq_ppm = clock_get_freq_ppm(d->clock);
    out->last_update_interval = d->last_update_interval;
    out->last_offset = d->last_offset;
    out->rms_offset = sqrt(d->avg2_offset);
    if (st.synchronised) {
        out->resid_freq_ppm = d->residual_freq * 1e6;
        out->skew_ppm = d->skew * 1e6;
    }
}

void disc_set_makestep(struct discipline *d, int limit, double threshold)
{
    d->makestep_left = limit;
    d->cfg.makestep_threshold = threshold;
}

void disc_set_max_update_skew(struct discipline *d, double skew_ppm)
{
    d->cfg.max_update_skew_ppm = skew_ppm;
}

void disc_set_local(struct discipline *d, int enabled, int stratum, int orphan, double distance)
{
    d->cfg.local_enabled = enabled;
    if (enabled) {
        d->cfg.local_stratum = stratum < 1                      ? 1
                               : stratum > DISC_MAX_STRATUM - 1 ? DISC_MAX_STRATUM - 1
                                                                : stratum;
        d->cfg.local_orphan = !!orphan;
        d->cfg.local_distance = distance;
    }
}

void disc_set_mode(struct discipline *d, enum disc_mode mode)
{
    assert(mode >= DISC_MODE_NORMAL && mode <= DISC_MODE_IGNORE);
    d->mode = mode;
}
