/* The synchronisation engine: one component that owns the clock model (core/clock) and the
 * discipline (core/discipline), their timers and the detection of clock jumps. Events go in
 * (a reference update from selection, the loss of selection, a timer, a wake-up of the loop,
 * a command); what must happen comes out as plain values, never as a call back into the
 * daemon:
 *
 *   - a clock command (struct clock_cmd: frequency, step, leap, sync status) that the daemon
 *     performs through its clock driver. The daemon then tells the engine the result once,
 *     with engine_commit(), which updates the engine's own state and returns the changes the
 *     daemon fans out to what it keeps in cooked time (the sources' statistics and protocol
 *     state, its scheduler), the log events, and the next command, if the change asked for
 *     one (a rescheduled leap second, the unsynchronised state after an unknown step);
 *   - a tracking.log entry, a drift file to write, the end of a -q/-Q run (engine_out).
 *
 * Times: "raw" = what the daemon's clock driver reads; "cooked" = raw corrected by the clock
 * model (the best estimate of true time). Signs as in core/clock.h and core/discipline.h. */
#ifndef CORE_ENGINE_H
#define CORE_ENGINE_H

#include "core/clock.h"
#include "core/discipline.h"
#include "core/ntp_server.h"
#include "core/select.h"

#include <stdint.h>
#include <time.h>

/* chrony's JUMP_DETECT_THRESHOLD (s): a wake-up this far off was a jump of the clock. */
#define ENGINE_JUMP_THRESHOLD 10.0

struct engine_config {
    struct clock_config clock;
    struct disc_config disc;
    enum disc_mode mode;    /* DISC_MODE_NORMAL, or -q/-Q */
    int precision_log2;     /* of the local clock, served to NTP clients */
    double driver_freq_ppm; /* the driver's frequency at start (env_clock.get_freq) */
};

/* What an event asks the daemon to do besides the clock command. */
struct engine_out {
    struct clock_cmd cmd; /* perform, then engine_commit() (see top) */
    enum disc_verdict verdict;
    struct disc_log_entry log; /* a tracking.log line when log.valid */
    int write_drift;           /* replace the drift file with (drift_freq_ppm, drift_skew_ppm) */
    double drift_freq_ppm, drift_skew_ppm;
    int quit;        /* the daemon should exit (maxchange, or a finished -q/-Q run) */
    int mode_done;   /* -q/-Q: the one measurement was made */
    int exit_status; /* with quit: 0, or 1 after a failed -q/-Q run */
};

/* What engine_commit() hands the daemon to fan out, in this order: changes[] (to every
 * source's statistics and protocol state; a step also moves the raw-time deadlines of the
 * daemon's scheduler by -doffset), dispersion (added to every source's samples), events[]
 * (to the log). */
struct engine_fanout {
    int n_changes;
    struct clock_change changes[CLOCK_CMD_MAX_CHANGES];
    double dispersion;
    int n_events;
    struct clock_event events[CLOCK_CMD_MAX_EVENTS];
};

struct engine {
    struct engine_config cfg;
    struct clock clock;
    struct discipline disc;
    int started;        /* the initial frequency was set (engine_start) */
    uint64_t n_updates; /* reference updates applied */
    uint64_t n_steps;   /* steps performed */
    /* Jump detection (chrony's scheduler does this), raw times. */
    struct timespec last_wake, expected_wake;
    int have_last_wake, have_expected_wake;
};

/* Set up at raw_now; nothing is applied until engine_start. */
void engine_init(struct engine *e, const struct engine_config *cfg, const struct timespec *raw_now);

/* Initial frequency from the drift file (see disc_init_frequency). */
void engine_start(struct engine *e, const struct timespec *raw_now, int have_file, int file_ok,
                  double freq_ppm, double skew_ppm, struct engine_out *out);

/* The tracking.log entry of the unsynchronised state at raw_now (chrony writes one at
 * start, after the initial frequency was applied). */
void engine_unsync_log(const struct engine *e, const struct timespec *raw_now,
                       struct disc_log_entry *log);

/* The driver performed (or failed to perform) cmd: driver_ok bits say which parts worked
 * (ENGINE_DRIVER_*). Fills fo with what to fan out and replaces *cmd with the next command
 * (clock_cmd_pending() says whether there is one). A refused step puts the model back and
 * is not fanned out. */
#define ENGINE_DRIVER_FREQ_OK 0x1
#define ENGINE_DRIVER_STEP_OK 0x2
void engine_commit(struct engine *e, const struct timespec *raw_now, int driver_ok,
                   struct clock_cmd *cmd, struct engine_fanout *fo);
/* A command has something for the driver, the fan-out or the log. */
int clock_cmd_pending(const struct clock_cmd *cmd);

/* A reference update from selection (chrony's REF_SetReference). fuzz: random number in
 * [0, 1] for the reference time; db_leap: the leap second table's status for today. */
void engine_update(struct engine *e, const struct timespec *raw_now,
                   const struct select_reference *ref, double fuzz, int db_leap,
                   struct engine_out *out);
/* Selection lost (chrony's REF_SetUnsynchronised). */
void engine_unsynchronise(struct engine *e, const struct timespec *raw_now, struct engine_out *out);
/* The sources changed their leap vote (chrony's REF_UpdateLeapStatus). */
void engine_update_leap(struct engine *e, const struct timespec *raw_now, int leap,
                        struct engine_out *out);
/* Commands: step the remaining correction now (returns 0 if there is nothing valid to
 * step), change the frequency by dfreq_ppm, add doffset s to the correction (0 if invalid). */
int engine_make_step(struct engine *e, const struct timespec *raw_now, struct engine_out *out);
void engine_accumulate_freq(struct engine *e, const struct timespec *raw_now, double dfreq_ppm,
                            struct engine_out *out);
int engine_accumulate_offset(struct engine *e, const struct timespec *raw_now, double doffset,
                             struct engine_out *out);

/* chronyc local: enable or disable the local reference (activate, wait times: s, only
 * when enabled; zero is chrony's default then). maxupdateskew (ppm). */
void engine_set_local(struct engine *e, int enabled, int stratum, int orphan, double distance,
                      double activate, double wait_synced, double wait_unsynced);
void engine_set_max_update_skew(struct engine *e, double skew_ppm);

/* Samples within 5 s of a leap second are dropped (disc_leap_second_close). */
int engine_leap_second_close(const struct engine *e, const struct timespec *raw_now,
                             const struct timespec *sample_time, double offset);
/* Stratum of the orphan mode for selection (16 if not orphan). */
int engine_orphan_stratum(const struct engine *e);

/* Timers, in raw time: the earliest deadline of the clock model and of the discipline. */
int engine_next_timer(const struct engine *e, struct timespec *raw_when);
/* Run what is due at raw_now (clock model first, then the discipline); out->cmd may
 * hold a command for each, so the daemon calls this until it returns 0. */
int engine_on_timer(struct engine *e, const struct timespec *raw_now, struct engine_out *out);

/* The loop will wake at raw time `when` at the latest. */
void engine_expect_wake(struct engine *e, const struct timespec *when);
/* Start of a wake-up at raw time now: a clock that went back, or forward past the expected
 * wake-up, by more than ENGINE_JUMP_THRESHOLD was stepped by someone else. Returns -1
 * (backward) or 1 (forward) and the command dropping the correction (after engine_start),
 * or 0. */
int engine_on_wake(struct engine *e, const struct timespec *now, struct engine_out *out);

/* raw -> cooked; err (may be NULL): uncertainty of the correction, s. */
void engine_cooked_time(const struct engine *e, const struct timespec *raw, struct timespec *cooked,
                        double *err);
/* The clock model's estimate of the clock's own frequency error (ppm, positive = fast). */
double engine_base_freq_ppm(const struct engine *e);
/* What our NTP server advertises at raw_now: synchronised, local reference, or
 * unsynchronised. Refreshes the local reference time, hence not const. */
void engine_get_served(struct engine *e, const struct timespec *raw_now,
                       struct ntp_server_ref *ref);
/* chronyc tracking figures at raw_now. */
void engine_get_tracking(struct engine *e, const struct timespec *raw_now, double fuzz,
                         struct disc_tracking *out);

#endif
