/* The node's reference: the daemon's side of the engine (core/engine). It performs the
 * engine's clock commands through env->clock, tells the engine the result, fans every
 * clock change out to the sources' statistics and protocol state and to the scheduler,
 * keeps the drift file and the leap second table, logs chrony's messages and provides the
 * served NTP reference and the tracking report.
 *
 * Times: "raw" = what env->clock.read returns; "cooked" = raw corrected by
 * the clock model (our best estimate of true time). */
#ifndef DAEMON_REFERENCE_H
#define DAEMON_REFERENCE_H

#include "core/clock.h"
#include "core/discipline.h"
#include "core/engine.h"
#include "core/leapdb.h"
#include "core/ntp_server.h"
#include "core/select.h"

#include <stdint.h>
#include <time.h>

struct node;

struct reference {
    struct engine engine; /* clock model, discipline, their timers, jump detection */
    uint64_t timer;       /* sched id of the engine's timer */
    uint64_t drift_timer; /* periodic drift file save */
    int freq_refused;     /* env->clock.set_freq failed (logged once) */
    int step_refused;     /* env->clock.step failed (logged once) */
    /* Leap second table of leapseclist or leapsectz (reference_leap.c). */
    struct leapdb leapdb;
    enum { LEAPSRC_NONE = 0, LEAPSRC_LIST, LEAPSRC_TZ } leap_src;
    int leap_expiry_warned;
};

/* Step the clock by the whole remaining correction (chronyc makestep).
 * Returns 0, or -1 when the clock cannot be stepped. */
int reference_make_step(struct node *n, const struct timespec *raw_now);
/* Set up the clock model and discipline from n->cfg at raw_now (node_new). */
void reference_init(struct node *n, const struct timespec *raw_now);
/* Read the drift file, apply the initial frequency, arm the timers (node_start). */
void reference_start(struct node *n, const struct timespec *raw_now);
/* Save the drift file (node_stop). */
void reference_stop(struct node *n, const struct timespec *raw_now);
/* Cancel timers (node_free). */
void reference_fini(struct node *n);

/* Load the leapseclist or leapsectz table, logging as chrony does
 * (reference_leap.c; called by reference_start). */
void reference_leap_load(struct node *n);
/* The table's leap second at the end of the UTC day of cooked_now
 * (DISC_LEAP_NORMAL without a table); warns once when the list expired. */
int reference_leap_today(struct node *n, const struct timespec *cooked_now);
void reference_leap_free(struct node *n);

/* The loop will wake at raw time `when` at the latest (node_next_timeout). */
void reference_expect_wake(struct node *n, const struct timespec *when);
/* Start of a wake-up at raw time now (engine_on_wake): a jump of the clock is
 * logged as chrony does; the clock model, the reference and every source start
 * afresh. Returns 1 if a jump was detected. */
int reference_check_jump(struct node *n, const struct timespec *now);
/* The clock model's estimate of the clock's own frequency error (chrony's absolute
 * frequency, ppm, positive = the uncompensated clock runs fast): what the node
 * compensates for, without the temporary slew that corrects an offset. */
double reference_base_freq_ppm(const struct node *n);

/* raw -> cooked time; err (may be NULL): uncertainty of the correction, s. */
void reference_cooked_time(const struct node *n, const struct timespec *raw,
                           struct timespec *cooked, double *err);

/* Perform a clock command of the engine: driver calls, the result to the engine
 * (engine_commit), fan-out of the changes to every source and the scheduler, dispersion,
 * log events, then the command that follows, if any; timers. */
void reference_apply(struct node *n, const struct timespec *raw_now, struct clock_cmd *cmd);

/* A reference update from source selection (chrony's REF_SetReference). */
void reference_update(struct node *n, const struct timespec *raw_now,
                      const struct select_reference *ref);
/* Selection lost (chrony's REF_SetUnsynchronised). */
void reference_unsynchronise(struct node *n, const struct timespec *raw_now);
/* The sources changed their leap vote. */
void reference_update_leap(struct node *n, const struct timespec *raw_now, int leap);
/* chronyc dfreq (ppm) and doffset (s): 0, or -1 for an invalid offset. */
void reference_accumulate_freq(struct node *n, const struct timespec *raw_now, double dfreq_ppm);
int reference_accumulate_offset(struct node *n, const struct timespec *raw_now, double doffset);

/* What our NTP server advertises at raw time raw_now: the synchronised
 * state, the local reference, or unsynchronised. */
void reference_get_served(const struct node *n, const struct timespec *raw_now,
                          struct ntp_server_ref *ref);
/* Our current stratum (16 when unsynchronised), ref id and root delay, for
 * the client's loop test (RFC 5905 test D). */
void reference_get_self(const struct node *n, const struct timespec *raw_now, int *stratum,
                        uint32_t *ref_id, double *root_delay, struct timespec *ref_time);
/* chronyc tracking figures at raw time raw_now. */
void reference_get_tracking(struct node *n, const struct timespec *raw_now,
                            struct disc_tracking *out);

#endif
