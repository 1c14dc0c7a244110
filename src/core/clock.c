/* Clock model: raw vs cooked time, offset slewing, change notifications. */
#include "core/clock.h"

#include "lib/ts.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Below this the outstanding offset counts as corrected (s). */
#define MIN_OFFSET_CORRECTION 1.0e-9
/* Bounds of a single slew plan (s of raw time), as in chrony's generic driver. */
#define MIN_SLEW_TIMEOUT 1.0
#define MAX_SLEW_TIMEOUT 1.0e4
/* Offsets beyond this cannot be applied to a timespec sanely (s). */
#define MAX_SANE_OFFSET 1.0e10

struct event_text {
    enum clock_event_level level;
    const char *fmt;
};

/* chrony's user-visible texts (log strings are API), indexed by code. */
static const struct event_text event_texts[CLOCK_EV_COUNT] = {
    [CLOCK_EV_FREQ_LIMIT] = {CLOCK_EVL_WARN, "Frequency %.1f ppm exceeds allowed maximum"},
    [CLOCK_EV_OFFSET_INVALID] = {CLOCK_EVL_WARN, "Adjustment of %.1f seconds is invalid"},
    [DISC_EV_CLOCK_WRONG] = {CLOCK_EVL_WARN, "System clock wrong by %.6f seconds"},
    [DISC_EV_STEPPED] = {CLOCK_EVL_WARN, "System clock was stepped by %.6f seconds"},
    [DISC_EV_MAXCHANGE] = {CLOCK_EVL_WARN, "Adjustment of %.3f seconds exceeds the allowed "
                                           "maximum of %.3f seconds (%s) "},
    [DISC_EV_LEAP_SLEW] = {CLOCK_EVL_WARN, "Adjusting system clock for leap second"},
    [DISC_EV_LEAP_STEP] = {CLOCK_EVL_WARN, "System clock was stepped for leap second"},
    [DISC_EV_LEAP_IGNORE] = {CLOCK_EVL_WARN, "Ignoring leap second"},
    [DISC_EV_DRIFT_READ] = {CLOCK_EVL_INFO, "Frequency %.3f +/- %.3f ppm read from %s"},
    [DISC_EV_DRIFT_BAD] = {CLOCK_EVL_WARN,
                           "Could not read valid frequency and skew from driftfile %s"},
    [DISC_EV_INITIAL_FREQ] = {CLOCK_EVL_INFO, "Initial frequency %.3f ppm"},
    [DISC_EV_BOGUS_SKEW] = {CLOCK_EVL_WARN, "Bogus skew value encountered"},
    [DISC_EV_WRONG_ONCE] = {CLOCK_EVL_INFO, "System clock wrong by %.6f seconds (%s)"},
    [DISC_EV_NO_SUITABLE] = {CLOCK_EVL_WARN, "No suitable source for synchronisation"},
    [DISC_EV_MAIL_CHANGE] = {CLOCK_EVL_DEBUG, "Adjustment of %.3f seconds exceeds the "
                                              "mailonchange threshold of %.3f seconds"},
    [DISC_EV_INIT_OFFSET] = {CLOCK_EVL_INFO,
                             "System's initial offset : %.6f seconds %s of true (%s)"},
    [DISC_EV_INIT_FAILED] = {CLOCK_EVL_WARN, "No suitable source for initstepslew"},
};

enum clock_event_level clock_event_format(const struct clock_event *ev, const char *path, char *buf,
                                          size_t len)
{
    const char *p = path ? path : "";
    const char *fmt;

    if (len == 0)
        return CLOCK_EVL_DEBUG;
    buf[0] = '\0';
    if ((int)ev->code < 0 || ev->code >= CLOCK_EV_COUNT)
        return CLOCK_EVL_DEBUG;
    fmt = event_texts[ev->code].fmt;
    switch (ev->code) {
    case DISC_EV_MAXCHANGE:
        snprintf(buf, len, fmt, ev->v1, ev->v2, ev->i1 ? "exiting" : "ignored");
        break;
    case DISC_EV_MAIL_CHANGE:
        snprintf(buf, len, fmt, ev->v1, ev->v2);
        break;
    case DISC_EV_DRIFT_READ:
        snprintf(buf, len, fmt, ev->v1, ev->v2, p);
        break;
    case DISC_EV_DRIFT_BAD:
        snprintf(buf, len, fmt, p);
        break;
    case DISC_EV_WRONG_ONCE:
        snprintf(buf, len, fmt, ev->v1, ev->i1 ? "step" : "ignored");
        break;
    case DISC_EV_INIT_OFFSET:
        snprintf(buf, len, fmt, fabs(ev->v1), ev->v1 >= 0.0 ? "fast" : "slow",
                 ev->i1 ? "step" : "slew");
        break;
    case DISC_EV_LEAP_SLEW:
    case DISC_EV_LEAP_STEP:
    case DISC_EV_LEAP_IGNORE:
    case DISC_EV_BOGUS_SKEW:
    case DISC_EV_NO_SUITABLE:
    case DISC_EV_INIT_FAILED:
        snprintf(buf, len, "%s", fmt);
        break;
    default:
        snprintf(buf, len, fmt, ev->v1);
        break;
    }
    return event_texts[ev->code].level;
}

void clock_cmd_init(struct clock_cmd *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
}

void clock_cmd_add_event(struct clock_cmd *cmd, enum clock_event_code code, double v1, double v2,
                         int i1)
{
    assert((int)code >= 0 && code < CLOCK_EV_COUNT);
    assert(cmd->n_events <= CLOCK_CMD_MAX_EVENTS);
    if (cmd->n_events >= CLOCK_CMD_MAX_EVENTS)
        return;
    cmd->events[cmd->n_events++] = (struct clock_event){code, v1, v2, i1};
}

void clock_config_default(struct clock_config *cfg)
{
    cfg->max_slew_rate_ppm = 1.0e6 / 12.0;
    cfg->max_drift_ppm = 500000.0;
    cfg->max_set_freq_ppm = 100000.0;
    cfg->freq_change_delay = 0.0;
    cfg->max_clock_error_ppm = 1.0;
    cfg->null_driver = 0;
}

double clock_freq_from_driver(double driver_ppm)
{
    return -driver_ppm;
}

double clock_freq_to_driver(double freq_ppm)
{
    return -freq_ppm;
}

static double clamp(double x, double lim)
{
    return x > lim ? lim : x < -lim ? -lim : x;
}

static void add_change(struct clock_cmd *cmd, const struct timespec *raw,
                       const struct timespec *cooked, double dfreq, double doffset,
                       enum clock_change_type type)
{
    struct clock_change *ch;

    assert(cmd->n_changes <= CLOCK_CMD_MAX_CHANGES);
    assert(isfinite(doffset));
    if (cmd->n_changes >= CLOCK_CMD_MAX_CHANGES)
        return;
    ch = &cmd->changes[cmd->n_changes++];
    ch->raw = *raw;
    ch->cooked = *cooked;
    ch->dfreq = dfreq;
    ch->doffset = doffset;
    ch->type = type;
}

/* Plan how long the outstanding offset should take: the correction rate
 * says offset x duration is constant, so large offsets go faster. */
static double plan_duration(const struct clock *c)
{
    double d;

    if (fabs(c->offset_register) < MIN_OFFSET_CORRECTION)
        return MAX_SLEW_TIMEOUT;
    d = c->corr_rate / fabs(c->offset_register);
    return d < MIN_SLEW_TIMEOUT ? MIN_SLEW_TIMEOUT : d;
}

/* When the current plan ends: the offset is gone, or retry later if the
 * slew cannot make progress (zero or wrong-signed slew frequency). */
static double slew_end(const struct clock *c)
{
    double d;

    if (fabs(c->offset_register) < MIN_OFFSET_CORRECTION ||
        c->offset_register * c->slew_freq <= 0.0)
        return MAX_SLEW_TIMEOUT;
    d = c->offset_register / c->slew_freq;
    if (d < MIN_SLEW_TIMEOUT)
        return MIN_SLEW_TIMEOUT;
    return d > MAX_SLEW_TIMEOUT ? MAX_SLEW_TIMEOUT : d;
}

/* The null driver's interval between re-plans at a constant frequency (s), as chrony's. */
#define NULL_UPDATE_INTERVAL 1000.0

/* Null driver: the uncompensated clock gains base_freq on true time, so the correction
 * grows at that rate; offsets were added to the register at once. The driver only keeps
 * the frequency it is given. */
/* The frequency the driver runs at for an absolute frequency, the temperature
 * compensation included (chrony's LCL_SetAbsoluteFrequency). */
static double compensated(const struct clock *c, double freq_ppm)
{
    if (c->temp_comp_ppm == 0.0)
        return freq_ppm;
    return freq_ppm * (1.0 - 1.0e-6 * c->temp_comp_ppm) - c->temp_comp_ppm;
}

static void update_null(struct clock *c, const struct timespec *raw_now, struct clock_cmd *cmd)
{
    double total = compensated(c, c->base_freq_ppm);

    cmd->set_freq = 1;
    cmd->freq_ppm = clock_freq_to_driver(total);
    /* The free-running clock is corrected in the readings, compensation included. */
    c->slew_freq = -total / (1.0e6 + total);
    c->slew_error = 0.0;
    c->slew_start = *raw_now;
    assert(isfinite(c->offset_register));
    ts_add(&c->timer, raw_now, NULL_UPDATE_INTERVAL);
}

/* Account for the slew done since slew_start and start a new plan. */
static void update_slew(struct clock *c, const struct timespec *raw_now, struct clock_cmd *cmd)
{
    double corr_freq, total_ppm, old_slew, delay;

    c->offset_register -= c->slew_freq * ts_diff(raw_now, &c->slew_start);
    if (c->cfg.null_driver) {
        update_null(c, raw_now, cmd);
        return;
    }
    corr_freq = clamp(c->offset_register / plan_duration(c), c->cfg.max_slew_rate_ppm * 1e-6);
    total_ppm =
        clamp(c->base_freq_ppm + corr_freq * (1.0e6 - c->base_freq_ppm), c->cfg.max_set_freq_ppm);
    cmd->set_freq = 1;
    cmd->freq_ppm = clock_freq_to_driver(clamp(compensated(c, total_ppm), c->cfg.max_set_freq_ppm));

    /* The slew frequency is relative to raw time so that cooking is cheap. */
    old_slew = c->slew_freq;
    c->slew_freq = (total_ppm - c->base_freq_ppm) / (1.0e6 - total_ppm);

    /* A delayed frequency change leaves an unknown error in the offset. */
    delay = c->cfg.freq_change_delay * (1.0 + c->cfg.max_set_freq_ppm / 1.0e6);
    c->slew_error = fabs((old_slew - c->slew_freq) * delay);
    if (c->slew_error >= MIN_OFFSET_CORRECTION)
        cmd->dispersion += c->slew_error;

    c->slew_start = *raw_now;
    /* Offsets were checked (offset_ok): a NaN here is our bug. */
    assert(isfinite(c->offset_register));
    ts_add(&c->timer, raw_now, slew_end(c));
}

void clock_init(struct clock *c, const struct clock_config *cfg, const struct timespec *raw_now,
                double freq_ppm, struct clock_cmd *cmd)
{
    assert(c && cfg && raw_now && cmd);
    memset(c, 0, sizeof(*c));
    c->cfg = *cfg;
    c->base_freq_ppm = clamp(freq_ppm, cfg->max_drift_ppm);
    c->slew_start = *raw_now;
    update_slew(c, raw_now, cmd);
}

double clock_cooked_offset(const struct clock *c, const struct timespec *raw)
{
    return c->slew_freq * ts_diff(raw, &c->slew_start) - c->offset_register;
}

double clock_remaining_offset(const struct clock *c, const struct timespec *raw)
{
    return -clock_cooked_offset(c, raw);
}

void clock_cooked_time(const struct clock *c, const struct timespec *raw, struct timespec *cooked,
                       double *err)
{
    double elapsed;

    assert(c && raw && cooked);
    elapsed = ts_diff(raw, &c->slew_start);

    ts_add(cooked, raw, clock_cooked_offset(c, raw));
    if (err) {
        double delay = c->cfg.freq_change_delay * (1.0 + c->cfg.max_set_freq_ppm / 1.0e6);
        *err = fabs(elapsed) <= delay ? c->slew_error : 0.0;
    }
}

void clock_raw_time(const struct clock *c, const struct timespec *cooked, struct timespec *raw)
{
    struct timespec r = *cooked;
    int i;

    /* The correction changes by at most slew_freq per second: two fixed-point
     * iterations are exact to far below a nanosecond. */
    for (i = 0; i < 3; i++)
        ts_add(&r, cooked, -clock_cooked_offset(c, &r));
    *raw = r;
}

double clock_get_freq_ppm(const struct clock *c)
{
    return c->base_freq_ppm;
}

double clock_max_clock_error(const struct clock *c)
{
    return c->cfg.max_clock_error_ppm * 1e-6;
}

static int offset_ok(double offset, struct clock_cmd *cmd)
{
    if (isfinite(offset) && fabs(offset) < MAX_SANE_OFFSET)
        return 1;
    clock_cmd_add_event(cmd, CLOCK_EV_OFFSET_INVALID, -offset, 0.0, 0);
    return 0;
}

/* Apply maxdrift to a new absolute frequency, warning as chrony does. */
static double limit_freq(const struct clock *c, double freq_ppm, struct clock_cmd *cmd)
{
    if (freq_ppm <= c->cfg.max_drift_ppm && freq_ppm >= -c->cfg.max_drift_ppm)
        return freq_ppm;
    clock_cmd_add_event(cmd, CLOCK_EV_FREQ_LIMIT, freq_ppm, 0.0, 0);
    return clamp(freq_ppm, c->cfg.max_drift_ppm);
}

/* Change the absolute frequency by dfreq (relative, see clock_accumulate_freq)
 * within maxdrift; returns the relative change really made. Where maxdrift
 * cut it, reporting the requested dfreq would slew samples and reference
 * times by a change that never happened (and, for absurd values, overflow
 * the time arithmetic), so the applied one is returned instead. */
static double change_freq(struct clock *c, double dfreq, struct clock_cmd *cmd)
{
    double want = c->base_freq_ppm + dfreq * (1.0e6 - c->base_freq_ppm);
    double got = limit_freq(c, want, cmd);

    if (got != want)
        dfreq = (got - c->base_freq_ppm) / (1.0e6 - c->base_freq_ppm);
    c->base_freq_ppm = got;
    return dfreq;
}

int clock_accumulate_freq_and_offset(struct clock *c, const struct timespec *raw_now, double dfreq,
                                     double offset, double corr_rate, struct clock_cmd *cmd)
{
    struct timespec cooked;

    assert(c && raw_now && cmd);
    if (!offset_ok(offset, cmd) || !isfinite(dfreq))
        return 0;
    clock_cooked_time(c, raw_now, &cooked, NULL);
    /* dfreq is relative to the previous frequency: rescaled to ppm there. */
    dfreq = change_freq(c, dfreq, cmd);
    c->offset_register += offset;
    c->corr_rate = corr_rate;
    update_slew(c, raw_now, cmd);
    add_change(cmd, raw_now, &cooked, dfreq, offset, CLOCK_CHANGE_ADJUST);
    return 1;
}

int clock_accumulate_offset(struct clock *c, const struct timespec *raw_now, double offset,
                            double corr_rate, struct clock_cmd *cmd)
{
    return clock_accumulate_freq_and_offset(c, raw_now, 0.0, offset, corr_rate, cmd);
}

void clock_accumulate_freq(struct clock *c, const struct timespec *raw_now, double dfreq,
                           struct clock_cmd *cmd)
{
    struct timespec cooked;

    if (!isfinite(dfreq))
        return;
    clock_cooked_time(c, raw_now, &cooked, NULL);
    dfreq = change_freq(c, dfreq, cmd);
    update_slew(c, raw_now, cmd);
    add_change(cmd, raw_now, &cooked, dfreq, 0.0, CLOCK_CHANGE_ADJUST);
}

void clock_set_freq(struct clock *c, const struct timespec *raw_now, double freq_ppm,
                    struct clock_cmd *cmd)
{
    struct timespec cooked;
    double dfreq;

    if (!isfinite(freq_ppm))
        return;
    clock_cooked_time(c, raw_now, &cooked, NULL);
    freq_ppm = limit_freq(c, freq_ppm, cmd);
    dfreq = (freq_ppm - c->base_freq_ppm) / (1.0e6 - c->base_freq_ppm);
    c->base_freq_ppm = freq_ppm;
    update_slew(c, raw_now, cmd);
    add_change(cmd, raw_now, &cooked, dfreq, 0.0, CLOCK_CHANGE_ADJUST);
}

void clock_set_temp_comp(struct clock *c, const struct timespec *raw_now, double comp_ppm,
                         struct clock_cmd *cmd)
{
    assert(c && raw_now && cmd && isfinite(comp_ppm));
    if (comp_ppm == c->temp_comp_ppm)
        return;
    c->temp_comp_ppm = comp_ppm;
    update_slew(c, raw_now, cmd);
}

int clock_step(struct clock *c, const struct timespec *raw_now, double offset,
               struct clock_cmd *cmd)
{
    struct timespec cooked;

    assert(c && raw_now && cmd);
    if (!offset_ok(offset, cmd))
        return 0;
    clock_cooked_time(c, raw_now, &cooked, NULL);
    cmd->step = 1;
    cmd->step_offset += offset;
    /* The raw timescale moves back by offset; the slew in progress keeps its
     * place on it. */
    ts_add(&c->slew_start, &c->slew_start, -offset);
    ts_add(&c->timer, &c->timer, -offset);
    add_change(cmd, raw_now, &cooked, 0.0, offset, CLOCK_CHANGE_STEP);
    return 1;
}

void clock_undo_step(struct clock *c, double offset)
{
    ts_add(&c->slew_start, &c->slew_start, offset);
    ts_add(&c->timer, &c->timer, offset);
}

int clock_make_step(struct clock *c, const struct timespec *raw_now, struct clock_cmd *cmd)
{
    double corr = clock_cooked_offset(c, raw_now);

    /* Cancel the slew, then step the whole correction at once. */
    if (!clock_accumulate_offset(c, raw_now, corr, 0.0, cmd))
        return 0;
    if (!clock_step(c, raw_now, -corr, cmd))
        return 0;
    clock_cmd_add_event(cmd, DISC_EV_STEPPED, corr, 0.0, 0);
    return 1;
}

void clock_notify_unknown_step(struct clock *c, const struct timespec *raw_now, double offset,
                               double dispersion, struct clock_cmd *cmd)
{
    struct timespec cooked;

    clock_cooked_time(c, raw_now, &cooked, NULL);
    c->offset_register = 0.0;
    c->slew_freq = 0.0;
    c->slew_start = *raw_now;
    update_slew(c, raw_now, cmd);
    add_change(cmd, raw_now, &cooked, 0.0, offset, CLOCK_CHANGE_UNKNOWN_STEP);
    if (dispersion > 0.0)
        cmd->dispersion += dispersion;
}

void clock_set_sync_status(const struct clock *c, int synced, double est_error, double max_error,
                           struct clock_cmd *cmd)
{
    double off = fabs(c->offset_register);

    assert(cmd);
    cmd->set_sync = 1;
    cmd->synced = synced;
    cmd->est_error = est_error < off ? off : est_error;
    cmd->max_error = max_error + off;
}

void clock_on_timer(struct clock *c, const struct timespec *raw_now, struct clock_cmd *cmd)
{
    update_slew(c, raw_now, cmd);
}

int clock_next_timer(const struct clock *c, struct timespec *when)
{
    *when = c->timer;
    return 1;
}
