/* Timer scheduler: a binary heap of timeouts in raw clock time, owned by the
 * node. The platform loop asks for the earliest deadline and calls
 * sched_run_due() once per wake-up with the time it read. */
#ifndef DAEMON_SCHED_H
#define DAEMON_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef void (*sched_cb)(void *arg, const struct timespec *now);

struct sched_timer {
    struct timespec when;
    uint64_t id;  /* 0 = free slot */
    uint64_t seq; /* insertion order breaks ties */
    sched_cb cb;
    void *arg;
};

struct sched {
    struct sched_timer *heap;
    size_t n, cap;
    uint64_t next_id, next_seq;
    /* The time of the run in progress (sched_run_due), moved with the deadlines by a
     * step made during the run, so the timers still due are the same ones. */
    struct timespec run_now;
    int running;
    double shifted; /* s, the sum of the offsets given to sched_shift (clock steps) */
};

void sched_init(struct sched *s);
void sched_fini(struct sched *s);
/* Schedule cb at raw time `when`. Returns an id (never 0) for sched_cancel. */
uint64_t sched_add(struct sched *s, const struct timespec *when, sched_cb cb, void *arg);
/* Schedule cb `delay` seconds after `now`. */
uint64_t sched_add_after(struct sched *s, const struct timespec *now, double delay, sched_cb cb,
                         void *arg);
/* Cancel a pending timer; unknown or 0 ids are ignored. */
void sched_cancel(struct sched *s, uint64_t id);
/* Deadline of a pending timer; returns 0 (when untouched) if id is not pending. */
int sched_pending_when(const struct sched *s, uint64_t id, struct timespec *when);
/* Earliest deadline; returns 0 when nothing is scheduled. */
int sched_next(const struct sched *s, struct timespec *when);
/* Run every timer due at or before now (including ones added by callbacks
 * that are already due). The callbacks get the run's time, which a step made
 * by one of them (sched_shift) moves as it moves the deadlines. Returns the
 * number run. */
int sched_run_due(struct sched *s, const struct timespec *now);
/* Shift every deadline, and the time of a run in progress, by -offset seconds
 * (after a clock step of offset). */
void sched_shift(struct sched *s, double offset);

#endif
