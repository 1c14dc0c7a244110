/* The node's reference: the daemon's side of the engine's clock (core/engine). It sets
 * the engine up from the configuration, performs the engine's clock commands through
 * env->clock, keeps the drift file, loads the leap second table, logs chrony's clock
 * messages and tracking.log, and provides the served NTP reference and the tracking
 * report.
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

struct cmdmon_reply;
struct cmdmon_request;
struct config;
struct env;
struct logfiles;
struct rng;
struct sched;

struct reference {
    /* What it uses of the others (not owned), set by node_new before reference_init. */
    const struct config *cfg;
    const struct env *env;
    struct sched *sched;    /* the drift timer */
    struct engine *engine;  /* configured, started and read here */
    struct logfiles *logs;  /* tracking.log */
    uint64_t drift_timer;   /* periodic drift file save */
    int freq_refused;       /* env->clock.set_freq failed (logged once) */
    int leap_in_use;        /* leap table read at start: 0 none, 1 leapseclist, 2 leapsectz */
    unsigned steps_refused; /* env->clock.step failed (each is logged) */
    int started;            /* reference_start ran */
};

/* The engine's configuration from cfg, chronyd -q/-Q (quit_mode 1/2, 0 without) and the
 * clock's precision (s, 0: assume 1e-9); engine_init with rng at raw_now (node_new). */
void reference_init(struct reference *r, struct rng *rng, int quit_mode, int noclock,
                    double precision, const struct timespec *raw_now);
/* Load the leap second table into the engine, read the drift file and start the engine
 * (its outcome in out, for the caller to perform); arm the drift timer (node_start). */
void reference_start(struct reference *r, const struct timespec *raw_now, struct engine_out *out);
/* Save the drift file (node_stop). */
void reference_stop(struct reference *r, const struct timespec *raw_now);
/* Cancel timers (node_free). */
void reference_fini(struct reference *r);

/* Load the leapseclist or leapsectz table into the engine, logging as chrony does
 * (reference_leap.c; called by reference_start). */
/* log2 of a clock resolution (s) as served in NTP packets: rounded to nearest. */
int reference_precision_log2(double precision);
void reference_leap_load(struct reference *r);
/* Read the table in use again (chrony re-reads it twice a day): a list that cannot be
 * read or parsed gives no leap seconds until the next reload, with chrony's error. */
void reference_leap_reload(struct reference *r);

/* mailonchange (reference_mail.c): mail the configured address that the clock is being
 * adjusted by change (s, positive = forward), above threshold (s), through the sendmail
 * program; a mail that cannot be handed over is logged. Called for DISC_EV_MAIL_CHANGE by
 * reference_log_event. */
void reference_mail_change(struct reference *r, double change, double threshold);

/* Perform the driver calls of an ENGINE_ACT_CLOCK, in order; a refused frequency or step
 * is logged once. Returns 1 if a step it asked for was made (or none was asked for). */
int reference_perform_clock(struct reference *r, const struct engine_clock_act *act);
/* Replace the drift file (an ENGINE_ACT_DRIFT). */
void reference_write_drift(struct reference *r, double freq_ppm, double skew_ppm);
/* "Leap second list %s needs update" (an ENGINE_ACT_LEAP_LIST_EXPIRED). */
void reference_leap_expired(struct reference *r);
/* Log a clock event of the engine (an ENGINE_ACT_EVENT); send the mail of a
 * DISC_EV_MAIL_CHANGE. */
void reference_log_event(struct reference *r, const struct clock_event *ev);
/* Write a tracking.log line for the reference named name. */
void reference_log_tracking(struct reference *r, const char *name, const struct engine_tracking *t);

/* The clock model's estimate of the clock's own frequency error (chrony's absolute
 * frequency, ppm, positive = the uncompensated clock runs fast): what the node
 * compensates for, without the temporary slew that corrects an offset. */
double reference_base_freq_ppm(const struct reference *r);
/* raw -> cooked time; err (may be NULL): uncertainty of the correction, s. */
void reference_cooked_time(const struct reference *r, const struct timespec *raw,
                           struct timespec *cooked, double *err);
/* What our NTP server advertises at raw time raw_now: the synchronised
 * state, the local reference, or unsynchronised. */
void reference_get_served(const struct reference *r, const struct timespec *raw_now,
                          struct ntp_server_ref *ref);
/* chronyc tracking figures at raw time raw_now. */
void reference_get_tracking(struct reference *r, const struct timespec *raw_now,
                            struct disc_tracking *out);

/* Time smoothing (reference_smooth.c). The offset (s) our NTP server adds to the cooked
 * time of raw_now (0 without smoothtime, or when not above the clock's precision); whether it
 * serves a pending leap second as none (smoothtime with leapsecmode slew: chrony's leap smear);
 * chronyc smoothing and smoothtime at raw time now. */
double reference_smooth_offset(const struct reference *r, const struct timespec *raw_now);
int reference_smooth_hides_leap(const struct reference *r);
void reference_h_smoothing(struct reference *r, const struct cmdmon_request *req,
                           const struct timespec *now, struct cmdmon_reply *rpy);

#endif
