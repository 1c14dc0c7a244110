/* Clock discipline and reference state (the role of chrony's reference.c):
 * turns the combined estimate of the selected sources into frequency and
 * offset corrections of the clock model, decides steps (makestep), guards
 * (maxchange, maxupdateskew), handles leap seconds, fallback drifts and the
 * local reference, and provides the tracking report and the NTP server state.
 *
 * Nothing here logs, reads a clock or writes a file: every entry point takes
 * the raw time of "now" and fills a struct disc_outcome with clock commands
 * (struct clock_cmd, see core/clock.h), log events and a drift file request.
 *
 * IMPORTANT: every clock_change in every clock_cmd (from here or from the
 * clock model directly) must be passed to disc_on_clock_change() as well as
 * to each source's sourcestats_slew_samples(), so the reference time stays
 * on the cooked timescale.
 *
 * Signs: offset s, positive = local clock fast; frequency s/s, positive =
 * local clock gains relative to the sources; skew s/s. Times passed as
 * "raw" are system clock readings; reference times are cooked. Leap status
 * codes are NTP's: 0 normal, 1 insert, 2 delete, 3 unsynchronised. */
#ifndef CORE_DISCIPLINE_H
#define CORE_DISCIPLINE_H

#include "core/clock.h"

#include <stdint.h>
#include <time.h>

#define DISC_LEAP_NORMAL 0
#define DISC_LEAP_INSERT 1
#define DISC_LEAP_DELETE 2
#define DISC_LEAP_UNSYNC 3

#define DISC_MAX_STRATUM 16
#define DISC_REFID_UNSYNC 0x00000000u
#define DISC_REFID_LOCAL 0x7F7F0101u /* "127.127.1.1" */
/* Reference ID of the manual reference (chronyc settime), "MANU". */
#define DISC_REFID_MANUAL 0x4D414E55u
/* The smallest skew used (s/s): guards divisions. */
#define DISC_MIN_SKEW 1.0e-12
/* Fallback drift slots (log2 of the interval in s, 1..30). */
#define DISC_MAX_FB_DRIFTS 30

/* leapsecmode */
enum disc_leap_mode {
    DISC_LEAPMODE_SYSTEM = 0, /* kernel applies it (default if the driver can) */
    DISC_LEAPMODE_SLEW,
    DISC_LEAPMODE_STEP, /* default if the driver cannot */
    DISC_LEAPMODE_IGNORE,
};

/* chronyd -q (update once: step), -Q (print once), initstepslew (the first estimate is
 * stepped when at least init_step_threshold away, else slewed), and the state after. */
enum disc_mode {
    DISC_MODE_NORMAL = 0,
    DISC_MODE_UPDATE_ONCE,
    DISC_MODE_PRINT_ONCE,
    DISC_MODE_INIT_STEP_SLEW,
    DISC_MODE_IGNORE,
};

/* Directives, chrony's defaults in comments. */
struct disc_config {
    double corr_time_ratio;         /* corrtimeratio, 3 */
    int makestep_limit;             /* makestep limit: 0 = never step (default), < 0 = always */
    double makestep_threshold;      /* makestep threshold, s */
    int maxchange_delay;            /* maxchange start; < 0 = disabled (default) */
    int maxchange_ignore;           /* maxchange ignore; < 0 = ignore forever */
    double maxchange_offset;        /* maxchange offset, s */
    double max_update_skew_ppm;     /* maxupdateskew, 1000 */
    double log_change_threshold;    /* logchange, 1 s */
    int mail_change;                /* mailonchange present (0) */
    double mail_change_threshold;   /* its threshold, s */
    int fb_drift_min, fb_drift_max; /* fallbackdrift (log2 s), 0 0 = off */
    enum disc_leap_mode leap_mode;  /* leapsecmode */
    double drift_interval;          /* driftfile interval, 3600 s */
    int local_enabled;              /* local directive present */
    int local_stratum;              /* stratum, 10 */
    int local_orphan;               /* orphan */
    double local_distance;          /* distance, 1 s */
    double local_activate;          /* activate, 0 = no requirement */
    double local_wait_synced;       /* waitsynced, 0 s */
    double local_wait_unsynced;     /* waitunsynced, < 0 = default: 300 s with orphan, else 0 */
    double local_root_dispersion;   /* s, root dispersion served in local mode (0) */
    double init_step_threshold;     /* initstepslew threshold, s (DISC_MODE_INIT_STEP_SLEW) */
};
void disc_config_default(struct disc_config *cfg);

/* One reference update (chrony's REF_SetReference arguments), e.g. built
 * from struct select_reference. */
struct disc_update {
    int stratum;              /* of the selected source; ours is one more */
    int leap;                 /* voted leap status 0-2, 3 = manual/unsynchronised */
    int combined;             /* number of combined sources */
    uint32_t ref_id;          /* of the selected source */
    struct timespec ref_time; /* cooked time the estimate refers to */
    double offset;            /* s at ref_time, positive = local fast */
    double offset_sd;         /* s */
    double frequency;         /* s/s, positive = local clock gains */
    double frequency_sd;      /* s/s */
    double skew;              /* s/s */
    double root_delay;        /* s, including the path to the source */
    double root_dispersion;   /* s */
    /* Leap status for today from leapsectz/leapseclist (0-2), used when the
     * sources announce none; 0 without a leap second database. */
    int db_leap;
    /* TAI - UTC (s) from the same table at the update, 0 = unknown or no table. */
    int db_tai_offset;
    /* Random number in [0, 1]: chrony moves the reference time back by up
     * to a second so clients cannot use it to guess receive timestamps in
     * the interleaved mode. 0 = no fuzz (tests). */
    double ref_time_fuzz;
};

enum disc_verdict {
    DISC_APPLIED = 0,       /* the clock was updated */
    DISC_IGNORED_MAXCHANGE, /* offset above maxchange: update ignored */
    DISC_EXIT_MAXCHANGE,    /* offset above maxchange too many times: chronyd exits */
    DISC_BOGUS_SKEW,        /* skew not a number: ignored */
    DISC_MODE_DONE,         /* a special mode (-q/-Q, initstepslew) ended (see mode_result) */
    DISC_NOTHING,           /* nothing to do (ignore mode, timers not due) */
};

/* A tracking.log line (chrony's `log tracking`) for an update or for the loss
 * of synchronisation; the daemon adds the date and the reference's name. */
struct disc_log_entry {
    int valid;
    int stratum;
    double freq_ppm, skew_ppm;          /* absolute frequency (positive = clock fast), skew */
    double offset;                      /* s, positive = clock fast */
    int leap;                           /* 0-3 */
    int combined;                       /* sources combined */
    double offset_sd;                   /* s */
    double remaining;                   /* s, correction left from before, positive = clock slow */
    double root_delay, root_dispersion; /* s, the new reference's */
    double max_error; /* s, bound of the clock's error since the previous update */
};

struct disc_outcome {
    enum disc_verdict verdict;
    struct disc_log_entry log;
    struct clock_cmd cmd; /* perform, fan out changes, log events */
    int write_drift;      /* replace the drift file with driftfile_format(freq, skew) */
    double drift_freq_ppm, drift_skew_ppm;
    int mode_result;           /* DISC_MODE_DONE: 1 = success, 0 = failure (exit status) */
    enum disc_mode ended_mode; /* DISC_MODE_DONE: the mode that ended */
};

/* Fill out with nothing to do (verdict DISC_NOTHING). */
void disc_outcome_init(struct disc_outcome *out);

/* chronyc tracking data (chrony's RPT_TrackingReport, without the address
 * of the reference, which the daemon knows from ref_id). */
struct disc_tracking {
    uint32_t ref_id;           /* 0 when unsynchronised, DISC_REFID_LOCAL in local mode */
    int stratum;               /* 0 when unsynchronised */
    int leap_status;           /* 0-3 */
    int synchronised;          /* synchronised to a source (not local, not unsynchronised) */
    struct timespec ref_time;  /* zero when unsynchronised */
    double current_correction; /* s, cooked - raw ("System time", positive = slow of NTP) */
    double last_offset;        /* s */
    double rms_offset;         /* s */
    double freq_ppm;           /* absolute frequency, positive = clock fast */
    double resid_freq_ppm;
    double skew_ppm;
    double root_delay, root_dispersion; /* s */
    double last_update_interval;        /* s */
};

/* State served to NTP clients (chrony's REF_GetReferenceParams). */
struct disc_ntp_state {
    int synchronised; /* synchronised to a source (0 in local reference mode) */
    int local;        /* the local reference is active */
    int leap;         /* 0-3 */
    int stratum;
    uint32_t ref_id;
    struct timespec ref_time;
    double root_delay, root_dispersion; /* s, dispersion grown to `now` */
};

struct disc_fb_drift {
    double freq_ppm;
    double secs;
};

/* The reference state. Plain data, embed it; the clock model is owned by
 * the caller and must outlive it. */
struct discipline {
    struct disc_config cfg;
    struct clock *clock;
    enum disc_mode mode;
    int synced;
    int stratum;
    int leap_status;
    int leap_sec;         /* +1 insert, -1 delete, 0 none (scheduled for today) */
    int leap_in_progress; /* the leap second is being corrected */
    int tai_offset;       /* TAI - UTC (s) passed to the clock with the leap status, 0 = none */
    uint32_t ref_id;
    struct timespec ref_time;
    double skew, residual_freq, root_delay, root_dispersion, offset_sd, frequency_sd;
    double last_offset, avg2_offset;
    int avg2_moving;
    struct timespec last_ref_update; /* cooked, zero = none */
    double last_update_interval;
    double drift_age;
    int makestep_left, maxchange_delay, maxchange_ignore;
    struct disc_fb_drift fb[DISC_MAX_FB_DRIFTS];
    int next_fb;
    int fb_timer_set;
    struct timespec fb_timer; /* cooked */
    int leap_timer_set, leap_timer_end;
    struct timespec leap_timer;     /* cooked */
    int64_t leap_when;              /* unix midnight of the upcoming/last leap, 0 = none */
    struct timespec start_time;     /* cooked */
    struct timespec local_ref_time; /* served in local mode, refreshed every 64 s */
    int local_activate_ok;          /* root distance was below local_activate */
    /* Adjustments that follow a local refclock (disc_adjust_reference) since the last
     * reference update, and the cooked time of the last one (zero = none). */
    int n_adjustments;
    struct timespec last_adjustment;
};

/* Start unsynchronised at raw_now. */
void disc_init(struct discipline *d, const struct disc_config *cfg, struct clock *clock,
               const struct timespec *raw_now);

/* Initial frequency (chrony's REF_Initialise). have_file: a drift file was
 * read; file_ok: it parsed (driftfile_parse() == DRIFTFILE_OK) into
 * freq_ppm/skew_ppm. Without a usable file the current clock frequency is
 * kept. out->cmd gets the frequency and the events (path in their text). */
void disc_init_frequency(struct discipline *d, const struct timespec *raw_now, int have_file,
                         int file_ok, double freq_ppm, double skew_ppm, struct disc_outcome *out);

/* A new reference estimate (chrony's REF_SetReference). */
void disc_update(struct discipline *d, const struct timespec *raw_now, const struct disc_update *u,
                 struct disc_outcome *out);
/* Manual reference (chronyc settime / manual): leap unsynchronised, MANU. */
void disc_update_manual(struct discipline *d, const struct timespec *raw_now,
                        const struct timespec *ref_time, double offset, double frequency,
                        double skew, struct disc_outcome *out);
/* chrony's REF_AdjustReference: between reference updates the clock follows a refclock
 * with the `local` option by offset (s, positive = clock fast) and dfreq (s/s, positive =
 * clock fast), corrected at a rate set by this adjustment and by the last reference
 * update. cmd gets the clock model's command; its changes go only to the local refclock
 * (chrony applies it without its change handlers). Returns 0 if the offset is invalid. */
int disc_adjust_reference(struct discipline *d, const struct timespec *raw_now, double offset,
                          double dfreq, struct clock_cmd *cmd);
/* Selection lost (chrony's REF_SetUnsynchronised). */
/* The tracking.log entry of an unsynchronised reference at raw_now (chrony
 * writes one at start). */
void disc_unsync_log(const struct discipline *d, const struct timespec *raw_now,
                     struct disc_log_entry *l);

void disc_set_unsynchronised(struct discipline *d, const struct timespec *raw_now,
                             struct disc_outcome *out);

/* Keep reference times on the cooked timescale (see top). A step may
 * reschedule a pending leap second and an unknown step also makes us
 * unsynchronised: their commands are appended to cmd (perform them; NULL
 * discards them, for tests). */
void disc_on_clock_change(struct discipline *d, const struct clock_change *ch,
                          struct clock_cmd *cmd);

/* Sources changed their leap vote between reference updates (chrony's
 * REF_UpdateLeapStatus); ignored unless synchronised. */
void disc_update_leap(struct discipline *d, const struct timespec *raw_now, int leap,
                      struct disc_outcome *out);

/* Timers (leap second, fallback drift) in cooked time; the daemon converts
 * with clock_raw_time() for its raw-time scheduler and re-reads after every
 * outcome. */
int disc_next_timer(const struct discipline *d, struct timespec *cooked_when);
void disc_on_timer(struct discipline *d, const struct timespec *raw_now, struct disc_outcome *out);

/* Final drift file contents on exit (chrony writes it in REF_Finalise). */
void disc_final_drift(const struct discipline *d, double *freq_ppm, double *skew_ppm);

/* fuzz: random number in [0, 1] for the local reference time (see
 * disc_update.ref_time_fuzz); these refresh it, hence not const. */
void disc_get_tracking(struct discipline *d, const struct timespec *raw_now, double fuzz,
                       struct disc_tracking *out);
void disc_get_ntp_state(struct discipline *d, const struct timespec *cooked_now, double fuzz,
                        struct disc_ntp_state *out);
/* Our stratum as served (16 when unsynchronised). */
int disc_get_stratum(const struct discipline *d, const struct timespec *cooked_now);
/* Stratum of the orphan mode for source selection (16 if not orphan). */
int disc_get_orphan_stratum(const struct discipline *d);
/* The local reference is served instead of the synchronised state. */
int disc_local_active(const struct discipline *d, const struct timespec *cooked_now);
/* Root distance of our reference at cooked_now (s, 1.5 without a reference). */
double disc_root_distance(const struct discipline *d, const struct timespec *cooked_now);
/* Within 5 s of the upcoming or last leap second (cooked or raw now, or the
 * optional sample time ts and ts + offset): sources drop such samples. */
int disc_leap_second_close(const struct discipline *d, const struct timespec *cooked_now,
                           const struct timespec *raw_now, const struct timespec *ts,
                           double offset);

/* chronyc makestep/maxupdateskew/local commands. */
void disc_set_makestep(struct discipline *d, int limit, double threshold);
void disc_set_max_update_skew(struct discipline *d, double skew_ppm);
void disc_set_local(struct discipline *d, int enabled, int stratum, int orphan, double distance);
void disc_set_mode(struct discipline *d, enum disc_mode mode);

/* Majority vote among n selectable sources' leap statuses (0-3): insert
 * (1) or delete (2) if more than half announce it, else 0. */
int disc_leap_vote(const int *leaps, int n);
/* UTC day of unix time t is the last day of June or December. */
int disc_is_leap_second_day(int64_t unix_secs);

#endif
