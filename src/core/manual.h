/* Manual time input (chronyc settime with the `manual` directive, chrony's manual.c): the
 * offsets between our cooked time and the times an administrator typed, the frequency a
 * robust line through them gives, and the samples' report. Pure: times come in. */
#ifndef CORE_MANUAL_H
#define CORE_MANUAL_H

#include <time.h>

#define MANUAL_MAX_SAMPLES 16
/* Samples closer than this (s) to the previous one are refused. */
#define MANUAL_MIN_SEPARATION 1.0

struct manual_sample {
    struct timespec when; /* cooked time it was entered */
    double offset;        /* s, positive = we were fast; moved with our clock changes */
    double orig_offset;   /* s, as entered */
    double residual;      /* s, measured - predicted by the last estimate */
};

/* What the samples say: the offset to slew (s, positive = fast) and, with two or more
 * samples, the frequency (s/s, positive = fast). */
struct manual_estimate {
    double offset;
    double fitted_offset; /* s, the line's value at the newest sample (the reply's offset) */
    double frequency;
    int have_frequency;
};

struct manual {
    int enabled;
    int n;
    struct manual_sample s[MANUAL_MAX_SAMPLES];
};

void manual_init(struct manual *m, int enabled);
/* A time typed at cooked time now. Returns 1 and the estimate, or 0 when disabled, when
 * the time is not sane or the previous sample is too close. */
int manual_accept(struct manual *m, const struct timespec *now, const struct timespec *ts,
                  struct manual_estimate *out);
/* Delete sample index and estimate again from the others (offset: the fitted one).
 * Returns 0 if there is no such sample. */
int manual_delete(struct manual *m, int index, struct manual_estimate *out);
void manual_reset(struct manual *m);
/* Our clock changed (see core/clock.h clock_change): the samples move with it; an
 * unknown step forgets them. */
void manual_slew(struct manual *m, const struct timespec *cooked, double dfreq, double doffset,
                 int unknown_step);

#endif
