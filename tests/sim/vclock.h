/* The simulator's virtual clock: one node's local clock as an exact piecewise
 * function of the world's true time, with an initial offset, an intrinsic frequency
 * error, a random-walk frequency wander and the corrections the node applies. */
#ifndef SIM_VCLOCK_H
#define SIM_VCLOCK_H

#include "lib/rng.h"

#include <stdint.h>

/* True time t is in seconds since the start of the world. The local clock reads
 * L(t) = t + off(t), where 1 + off' = (1 + (freq_err + wander(t)) * 1e-6) *
 * (1 + freq_set * 1e-6) between events (the kernel scales the oscillator's ticks) and wander(t)
 * takes a new value at every whole second of true time: wander += wander_step * N(0, 1). Keeping
 * off (a small number) instead of L keeps the integration exact to ~1e-15 s per segment even after
 * 1e5 s. */
struct vclock {
    double t;               /* true time of the last integration point */
    double off;             /* local minus true time at t; positive = clock fast */
    double freq_err_ppm;    /* intrinsic error, positive = runs fast */
    double freq_set_ppm;    /* what the node set through env_clock.set_freq */
    double wander_ppm;      /* current random-walk term */
    double wander_step_ppm; /* deviation of the per-second wander step */
    double next_wander_t;   /* true time of the next wander step */
    struct rng rng;         /* own stream: wander does not depend on other events */
    /* counters for scenario checks */
    long n_set_freq, n_steps, n_ext_steps;
    double stepped; /* sum of offsets passed to step() (s, positive = was fast) */
    int leap;       /* last set_leap value */
    int synced;     /* last set_sync_status value */
};

void vclock_init(struct vclock *c, double offset, double freq_err_ppm, double wander_step_ppm,
                 uint64_t seed);
/* Integrate up to true time t (t earlier than the clock's time is ignored). */
void vclock_advance(struct vclock *c, double t);
/* Offset of local from true time at t (advances the clock). Positive = fast. */
double vclock_offset(struct vclock *c, double t);
/* Local time at t relative to the world's epoch: t + offset. */
double vclock_local(struct vclock *c, double t);
/* Total frequency error now (ppm, positive = fast): the oscillator's error
 * (err + wander) compounded with the correction the node set,
 * (1 + err + wander) * (1 + set) - 1. */
double vclock_freq_ppm(const struct vclock *c);
/* The frequency error the clock would have if the node set only -base_ppm, i.e.
 * compensated by its own estimate of the clock's error (chrony's absolute
 * frequency, positive = fast) without a slew: how wrong that estimate is (ppm). */
double vclock_estimate_error_ppm(const struct vclock *c, double base_ppm);
/* True time at which the local clock will read local_rel (seconds relative to the
 * epoch), assuming the current frequency holds; never earlier than the clock's t.
 * Wander may move the real crossing slightly; callers re-check after advancing. */
double vclock_true_at(const struct vclock *c, double local_rel);
/* The node's own corrections at true time t. */
void vclock_set_freq(struct vclock *c, double t, double freq_ppm);
/* Step back by offset (positive = clock was fast), as env_clock.step. */
void vclock_step(struct vclock *c, double t, double offset);
/* An external step (someone else setting the clock): local time jumps by +jump. */
void vclock_jump(struct vclock *c, double t, double jump);

#endif
