/* Time smoothing (chrony's `smoothtime`): an offset added to the time our NTP server
 * serves, so that clients see the corrections made to our clock spread out in time.
 *
 * Every offset and frequency correction of the clock (a clock change of type ADJUST) is
 * accumulated into the smoothing offset and frequency, so that the served time does not
 * move at the moment of the correction; the accumulated offset is then removed along a
 * curve whose frequency offset never exceeds max_freq and changes at most at max_wander
 * per second, in three stages: the frequency ramps towards the limit (stage 1), stays
 * (stage 2), ramps back to zero (stage 3). The curve is re-planned at every correction.
 * With leap_only, ordinary corrections are ignored and only leap seconds are smoothed.
 * Smoothing starts "locked": the first correction made when the clock's skew is below
 * SMOOTH_UNLOCK_RATIO x max_wander (any correction with leap_only), or chronyc
 * `smoothtime activate`, activates it. A step of the clock resets it.
 *
 * Pure: every function takes the cooked time of "now".
 * Signs: offset (s) = served time - cooked time; freq (s/s) = the rate at which offset
 * decreases (d offset / dt = -freq); wander (s/s^2) = d freq / dt. The report negates
 * freq and wander (chrony: positive = the served time runs faster). */
#ifndef CORE_SMOOTH_H
#define CORE_SMOOTH_H

#include <time.h>

/* chrony's UNLOCK_SKEW_WANDER_RATIO. */
#define SMOOTH_UNLOCK_RATIO 10000.0
#define SMOOTH_STAGES 3

struct smooth_config {
    double max_freq_ppm;   /* smoothtime MAX-FREQ; <= 0 disables smoothing */
    double max_wander_ppm; /* MAX-WANDER, ppm per second; <= 0 disables smoothing */
    int leap_only;         /* leaponly */
};

struct smooth_stage {
    double wander; /* s/s^2 */
    double length; /* s */
};

struct smooth {
    int enabled, leap_only;
    int locked;                  /* not activated yet */
    double max_freq;             /* s/s */
    double max_wander;           /* s/s^2 */
    double offset, freq;         /* at last_update (signs above) */
    struct timespec last_update; /* cooked; zero = never */
    struct smooth_stage stage[SMOOTH_STAGES];
};

/* What a call asks the daemon to log (chrony's info messages). */
enum smooth_event {
    SMOOTH_EV_NONE = 0,
    SMOOTH_EV_ACTIVATED, /* "Activated time smoothing" (+ " (leap seconds only)") */
    SMOOTH_EV_RESET,     /* "Reset time smoothing" */
};

/* chronyc smoothing (chrony's RPT_SmoothingReport). */
struct smooth_report {
    int active, leap_only;
    double offset;          /* s */
    double freq_ppm;        /* positive = served time runs faster */
    double wander_ppm;      /* ppm per second, positive = speeding up */
    double last_update_ago; /* s */
    double remaining_time;  /* s, until the offset is removed */
};

/* Disabled unless both limits are positive; starts locked with nothing accumulated. */
void smooth_init(struct smooth *s, const struct smooth_config *cfg);
int smooth_enabled(const struct smooth *s);

/* The offset (s) to add to the cooked time now. 0 when disabled. */
double smooth_get_offset(const struct smooth *s, const struct timespec *now);

/* The clock was corrected at cooked time now (before the change) by doffset (s, positive =
 * cooked time moved back) and dfreq (s/s, see core/clock.h struct clock_change); skew (s/s)
 * is the reference's estimate after the update. Accumulates the correction (nothing with
 * leap_only), or activates a locked smoothing when the skew allows it. */
enum smooth_event smooth_on_adjust(struct smooth *s, const struct timespec *now, double dfreq,
                                   double doffset, double skew);
/* Any clock change (after smooth_on_adjust for an adjustment): the time of the last update
 * follows the cooked timescale. */
void smooth_on_clock_change(struct smooth *s, const struct timespec *now, double dfreq,
                            double doffset);
/* A leap second is corrected at now (leap: +1 inserted, -1 deleted): with leap_only it is
 * accumulated like an offset (without it the clock's own correction is). */
enum smooth_event smooth_on_leap(struct smooth *s, const struct timespec *now, int leap);
/* chronyc smoothtime activate (no-op unless enabled and locked). */
enum smooth_event smooth_activate(struct smooth *s, const struct timespec *now);
/* chronyc smoothtime reset, and every step of the clock: nothing left to smooth. */
enum smooth_event smooth_reset(struct smooth *s, const struct timespec *now);

/* Fill the report at now; returns 0 (report untouched) when disabled. */
int smooth_get_report(const struct smooth *s, const struct timespec *now, struct smooth_report *r);

#endif
