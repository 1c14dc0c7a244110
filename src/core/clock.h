/* Clock model: raw versus cooked time and offset correction by slewing
 * (the roles of chrony's local.c and the generic system driver sys_generic.c).
 *
 * Raw time is what the system clock reads. Cooked time is our best estimate
 * of true time: raw time minus the part of accumulated offsets that the slew
 * has not removed yet. Nothing here touches a clock: every operation takes
 * the raw time of "now" and fills a struct clock_cmd that the daemon performs
 * through env_clock, then fans the change notifications out to every source's
 * statistics (sourcestats_slew_samples / sourcestats_add_dispersion).
 *
 * Sign conventions (the same as chrony's):
 *   freq_ppm (model, tracking, drift file): chrony's "absolute frequency",
 *       the rate at which the uncompensated clock gains on true time,
 *       positive = it runs fast. The clock is compensated by slowing it down
 *       by that amount, so the value handed to env_clock.set_freq (positive =
 *       run faster) is the negated total frequency: see clock_cmd.freq_ppm.
 *   offset: s, positive = local clock fast (it must go back).
 *   dfreq:  s/s relative to the previous frequency, positive = the local
 *       clock was running fast (it now runs slower by dfreq).
 *   correction: cooked - raw, s (negative while a fast offset is slewed). */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stddef.h>
#include <time.h>

/* Event codes for the daemon's log. All format strings live in
 * clock_event_format() (clock.c); discipline events share this table. */
enum clock_event_code {
    CLOCK_EV_FREQ_LIMIT = 0, /* warn "Frequency %.1f ppm exceeds allowed maximum" (v1 ppm) */
    CLOCK_EV_OFFSET_INVALID, /* warn "Adjustment of %.1f seconds is invalid" (v1 = -offset) */
    DISC_EV_CLOCK_WRONG,     /* warn "System clock wrong by %.6f seconds" (v1 = -offset) */
    DISC_EV_STEPPED,         /* warn "System clock was stepped by %.6f seconds" (v1) */
    DISC_EV_MAXCHANGE,       /* warn "Adjustment of %.3f seconds exceeds the allowed maximum
                                of %.3f seconds (%s) " (v1, v2, i1: 1 = exiting) */
    DISC_EV_LEAP_SLEW,       /* warn "Adjusting system clock for leap second" */
    DISC_EV_LEAP_STEP,       /* warn "System clock was stepped for leap second" */
    DISC_EV_LEAP_IGNORE,     /* warn "Ignoring leap second" */
    DISC_EV_DRIFT_READ,      /* info "Frequency %.3f +/- %.3f ppm read from %s" (v1, v2, path) */
    DISC_EV_DRIFT_BAD,       /* warn "Could not read valid frequency and skew from driftfile %s" */
    DISC_EV_INITIAL_FREQ,    /* info "Initial frequency %.3f ppm" (v1) */
    DISC_EV_BOGUS_SKEW,      /* warn "Bogus skew value encountered" */
    DISC_EV_WRONG_ONCE,      /* info "System clock wrong by %.6f seconds (%s)" (v1, i1: 1 =
                                step, 0 = ignored) for -q / -Q */
    DISC_EV_NO_SUITABLE,     /* warn "No suitable source for synchronisation" (-q / -Q) */
    DISC_EV_MAIL_CHANGE,     /* mailonchange: the change (v1 = -offset) exceeded the threshold
                                (v2); the daemon sends the mail (debug text only) */
    DISC_EV_INIT_OFFSET,     /* info "System's initial offset : %.6f seconds %s of true (%s)"
                                (v1 = offset, positive = fast; i1: 1 = step, 0 = slew) */
    DISC_EV_INIT_FAILED,     /* warn "No suitable source for initstepslew" */
    SMOOTH_EV_LOG_ACTIVATED, /* info "Activated time smoothing" (i1: 1 = leaponly, adds
                                " (leap seconds only)") */
    SMOOTH_EV_LOG_RESET,     /* info "Reset time smoothing" */
    CLOCK_EV_COUNT
};

enum clock_event_level { CLOCK_EVL_DEBUG = 0, CLOCK_EVL_INFO, CLOCK_EVL_WARN };

struct clock_event {
    enum clock_event_code code;
    double v1, v2;
    int i1;
};

/* Format the event's chrony message into buf (always terminated); path is
 * used by the drift file messages (may be NULL otherwise). Returns the level. */
enum clock_event_level clock_event_format(const struct clock_event *ev, const char *path, char *buf,
                                          size_t len);

enum clock_change_type {
    CLOCK_CHANGE_ADJUST = 0,  /* frequency and/or slewed offset */
    CLOCK_CHANGE_STEP,        /* the clock was stepped by us */
    CLOCK_CHANGE_UNKNOWN_STEP /* the clock jumped by itself (detected by the daemon) */
};

/* A change notification for sourcestats_slew_samples(when = cooked, dfreq,
 * doffset) and everything else kept in cooked time (reference time, timers). */
struct clock_change {
    struct timespec raw;    /* raw time of the change (before a step) */
    struct timespec cooked; /* cooked time of the change, before it was applied */
    double dfreq;           /* s/s, positive = the clock now runs slower by dfreq */
    double doffset;         /* s, positive = cooked time moved back by doffset */
    enum clock_change_type type;
};

#define CLOCK_CMD_MAX_CHANGES 4
#define CLOCK_CMD_MAX_EVENTS 8

/* What the daemon must do, in this order: set_freq, step, set_leap,
 * set_sync; then fan out changes[] (in order), add dispersion to every
 * source, log events[], and (re)arm the clock timer (clock_next_timer). */
struct clock_cmd {
    int set_freq;
    double freq_ppm; /* value for env_clock.set_freq: positive = clock runs faster */
    int step;
    double step_offset; /* value for env_clock.step: s, positive = clock fast, goes back */
    int set_leap;
    int leap;       /* env_clock.set_leap: 0 none, 1 insert, -1 delete */
    int tai_offset; /* env_clock.set_leap: TAI - UTC in s from the leap table, 0 = unknown */
    int set_sync;
    int synced;
    double est_error, max_error; /* s, for env_clock.set_sync_status */
    int n_changes;
    struct clock_change changes[CLOCK_CMD_MAX_CHANGES];
    double dispersion; /* s, > 0: add to every source's samples */
    int n_events;
    struct clock_event events[CLOCK_CMD_MAX_EVENTS];
};

void clock_cmd_init(struct clock_cmd *cmd);
/* Append an event (dropped silently if full). */
void clock_cmd_add_event(struct clock_cmd *cmd, enum clock_event_code code, double v1, double v2,
                         int i1);

/* Configuration, chrony's defaults in comments. */
struct clock_config {
    double max_slew_rate_ppm;   /* maxslewrate, 83333.333 */
    double max_drift_ppm;       /* maxdrift, 500000 (limit of the absolute frequency) */
    double max_set_freq_ppm;    /* driver limit of the total frequency, 100000 (Linux) */
    double freq_change_delay;   /* s, max delay of a frequency change in the driver (0 = none) */
    double max_clock_error_ppm; /* maxclockerror, 1 */
    /* chronyd -x (chrony's null driver): the clock is not controlled. It runs free; the
     * model tracks its offset and frequency and corrects readings instantly (no slew: the
     * whole correction stays "remaining"), and every step is refused by the driver. */
    int null_driver;
};
void clock_config_default(struct clock_config *cfg);

/* The model. Plain data: embed it, no allocation. */
struct clock {
    struct clock_config cfg;
    double base_freq_ppm;       /* absolute frequency (see top) */
    double offset_register;     /* s, offset still to slew at slew_start, positive = fast */
    double slew_freq;           /* s/s of raw time, offset removed per raw second */
    double corr_rate;           /* s^2, suggested correction rate (offset x duration) */
    double slew_error;          /* s, error of the last frequency change */
    struct timespec slew_start; /* raw time of the last re-plan */
    struct timespec timer;      /* raw time at which clock_on_timer() is due */
    double temp_comp_ppm;       /* tempcomp: the oscillator's correction for temperature,
                                 * applied in the driver frequency only (positive = the
                                 * oscillator runs fast by that much) */
};

/* Start the model at raw_now with absolute frequency freq_ppm (e.g. from
 * clock_freq_from_driver(env get_freq) or the drift file); cmd gets the
 * frequency to apply. */
void clock_init(struct clock *c, const struct clock_config *cfg, const struct timespec *raw_now,
                double freq_ppm, struct clock_cmd *cmd);

/* Driver frequency (env_clock.get_freq, positive = faster) to absolute
 * frequency, and back. */
double clock_freq_from_driver(double driver_ppm);
double clock_freq_to_driver(double freq_ppm);

/* Correction cooked - raw at raw time raw (s). */
double clock_cooked_offset(const struct clock *c, const struct timespec *raw);
/* Offset still to be corrected at raw (s, positive = fast) = -clock_cooked_offset. */
double clock_remaining_offset(const struct clock *c, const struct timespec *raw);
/* cooked = raw + correction; err (may be NULL) = uncertainty of the correction (s). */
void clock_cooked_time(const struct clock *c, const struct timespec *raw, struct timespec *cooked,
                       double *err);
/* Inverse of clock_cooked_time (raw time at which the clock reads cooked). */
void clock_raw_time(const struct clock *c, const struct timespec *cooked, struct timespec *raw);

/* Absolute frequency (ppm, positive = uncompensated clock fast). */
double clock_get_freq_ppm(const struct clock *c);
/* maxclockerror as s/s. */
double clock_max_clock_error(const struct clock *c);

/* Add offset (s, positive = clock fast) to the correction in progress.
 * corr_rate: s^2, offset x time suggested for its correction (0 = fastest).
 * Returns 0 (and an event) if the offset is invalid. */
int clock_accumulate_offset(struct clock *c, const struct timespec *raw_now, double offset,
                            double corr_rate, struct clock_cmd *cmd);
/* Change the frequency by dfreq (s/s, positive = clock was fast). */
void clock_accumulate_freq(struct clock *c, const struct timespec *raw_now, double dfreq,
                           struct clock_cmd *cmd);
/* Both at once, one notification (chrony's LCL_AccumulateFrequencyAndOffset). */
int clock_accumulate_freq_and_offset(struct clock *c, const struct timespec *raw_now, double dfreq,
                                     double offset, double corr_rate, struct clock_cmd *cmd);
/* Set the absolute frequency (drift file, fallback drift, manual). */
void clock_set_freq(struct clock *c, const struct timespec *raw_now, double freq_ppm,
                    struct clock_cmd *cmd);
/* Step the clock by offset (s, positive = fast: the clock goes back). The
 * slew in progress continues. Returns 0 (and an event) if invalid. */
int clock_step(struct clock *c, const struct timespec *raw_now, double offset,
               struct clock_cmd *cmd);
/* env_clock.step failed: put the model back on the unstepped timescale.
 * The daemon then drops the STEP change instead of fanning it out. */
void clock_undo_step(struct clock *c, double offset);
/* Convert all outstanding correction into a step (chronyc makestep). */
int clock_make_step(struct clock *c, const struct timespec *raw_now, struct clock_cmd *cmd);
/* The daemon saw the clock jump by offset (s, positive = it jumped ahead
 * relative to expectation) with uncertainty dispersion: drop the correction. */
void clock_notify_unknown_step(struct clock *c, const struct timespec *raw_now, double offset,
                               double dispersion, struct clock_cmd *cmd);
/* Synchronisation status for the kernel; the outstanding offset is added to
 * the errors as chrony's generic driver does. */
void clock_set_sync_status(const struct clock *c, int synced, double est_error, double max_error,
                           struct clock_cmd *cmd);

/* tempcomp (chrony's LCL_SetTempComp): the oscillator is corrected by comp_ppm for its
 * temperature in the frequency given to the driver; the absolute frequency the discipline
 * sees, the samples and cooked time do not change. */
void clock_set_temp_comp(struct clock *c, const struct timespec *raw_now, double comp_ppm,
                         struct clock_cmd *cmd);

/* Timers are in raw time: the daemon arms its scheduler with
 * clock_next_timer() after performing every clock_cmd. */
/* The slew timer expired: account for the offset removed and re-plan; when
 * the correction is done the frequency returns to the base frequency. */
void clock_on_timer(struct clock *c, const struct timespec *raw_now, struct clock_cmd *cmd);
/* Raw time at which clock_on_timer() should run. Always 1 (a timer is always set). */
int clock_next_timer(const struct clock *c, struct timespec *when);

#endif
