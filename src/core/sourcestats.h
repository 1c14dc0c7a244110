/* Per-source measurement history and its regression: estimated offset,
 * frequency, skew and jitter of the local clock relative to one source, the
 * root distance used by source selection, and the chronyc sourcestats/sources
 * report figures (the role of chrony's sourcestats.c).
 *
 * Conventions used throughout this module:
 *   offset    s, positive = local clock fast (ahead) relative to the source
 *   frequency dimensionless (s/s), positive = local clock gains on the source
 *             per second of local time (i.e. runs fast); ppm = 1e6 * frequency
 *   times     cooked local time (struct timespec), always passed in by caller
 *   skew      dimensionless bound on the error of frequency (99.9 % confidence)
 * Owner: whoever calls sourcestats_new() frees with sourcestats_free(). No
 * allocation after creation; sample storage is a fixed array. */
#ifndef CORE_SOURCESTATS_H
#define CORE_SOURCESTATS_H

#include <stdint.h>
#include <time.h>

/* Hard limit on samples kept for regression (chrony keeps 64). */
#define SOURCESTATS_MAX_SAMPLES 64
/* Skew and frequency error assumed with no usable regression (2000 ppm). */
#define SOURCESTATS_WORST_FREQ_BOUND 2000.0e-6
/* Offset sd and std dev without a regression (chrony's worst case, 4 s). */
#define SOURCESTATS_INITIAL_STDDEV 4.0

struct sourcestats;

struct sourcestats_params {
    int min_samples;  /* keep at least this many after the runs test (minsamples, chrony 6) */
    int max_samples;  /* keep at most this many; 0 = SOURCESTATS_MAX_SAMPLES (maxsamples) */
    double min_delay; /* s, mindelay option: fixed minimum round-trip delay; 0 = estimate */
    double asymmetry; /* asymmetry option: fixed jitter asymmetry in [-0.5, 0.5]; a
                         value outside that range (chrony default 1.0) = estimate it;
                         0.0 = no correction (chrony's default for refclocks) */
    double precision; /* s, precision quantum of the local clock, floor of sample noise */
};

/* chrony's defaults: min 6, max 0 (unlimited), no min delay, estimate
 * asymmetry, precision 1e-9 s (callers should pass the measured precision). */
void sourcestats_params_default(struct sourcestats_params *p);

struct sourcestats *sourcestats_new(const struct sourcestats_params *p);
void sourcestats_free(struct sourcestats *st);

/* Forget every sample and estimate (as after an unknown step). */
void sourcestats_reset(struct sourcestats *st);

enum sourcestats_add_result {
    SOURCESTATS_ADDED = 0,
    /* The sample was not newer than the last one: history was discarded first
     * and the sample is now the only one. The daemon logs chrony's
     * "Out of order sample detected, discarding history for %s". */
    SOURCESTATS_ADDED_OUT_OF_ORDER = 1,
    /* A value was not finite (NaN or infinite): nothing was stored. */
    SOURCESTATS_REJECTED = 2,
};

/* Store one measurement. sample_time: cooked local time the offset refers to.
 * offset: s, positive = local clock fast relative to the source (chrony's NTP
 * sample offset has the opposite sign). peer_delay/peer_dispersion: s, of this
 * measurement; root_delay/root_dispersion: s, accumulated to the primary
 * source including this hop. stratum and leap (0-3) of the source are kept
 * for reports. The oldest sample is discarded first if the history is full.
 * Call sourcestats_do_regression() afterwards. */
enum sourcestats_add_result sourcestats_add_sample(struct sourcestats *st,
                                                   const struct timespec *sample_time,
                                                   double offset, double peer_delay,
                                                   double peer_dispersion, double root_delay,
                                                   double root_dispersion, int stratum, int leap);

/* Result of the latest regression. */
struct sourcestats_estimate {
    int ok;                   /* regression succeeded (>= 3 samples); if not, offset
                                 is the newest sample's, frequency the previous
                                 estimate, the errors the worst case (chrony 4.8) */
    struct timespec ref_time; /* time of the newest sample; offset refers to it */
    double offset;            /* s, local fast positive, at ref_time */
    double offset_sd;         /* s, standard deviation of offset */
    double frequency;         /* local gain on the source, s/s (positive = fast) */
    double frequency_sd;      /* standard deviation of frequency */
    double skew;              /* bound on frequency error */
    double std_dev;           /* s, standard deviation (jitter) of the samples */
    int n_samples;            /* samples kept after the runs test */
    int n_runs;               /* runs of residuals with the same sign */
    int dropped;              /* oldest samples dropped by this regression */
    double asymmetry;         /* jitter asymmetry used to correct offsets (0 = none) */
    /* Beyond chrony: the tracking estimate, the samples kept above refitted
     * with variances grown exponentially with their age (on a scale of 0.15
     * of their span) so it follows a wandering frequency; equal to offset and
     * frequency with fewer than 5 samples kept. It is what
     * sourcestats_get_tracking() and sourcestats_predict_offset() give; the
     * figures above (chrony's) stay in the reports and source selection. */
    double tracking_offset;    /* s, local fast positive, at ref_time */
    double tracking_frequency; /* s/s, local fast positive */
};

/* Re-run the regression on the stored samples, drop the old ones the runs
 * test rejects (they remain only as extra runs-test points), and update the
 * estimates. Fills *out if out != NULL. Returns 1 if the regression succeeded. */
int sourcestats_do_regression(struct sourcestats *st, struct sourcestats_estimate *out);
/* The current estimates without recomputing. */
void sourcestats_get_estimate(const struct sourcestats *st, struct sourcestats_estimate *out);

/* Inputs of source selection for this source at time now. */
struct sourcestats_selection {
    int select_ok;           /* usable: regression ok, or the maxsamples<3 special case */
    double offset;           /* s, local fast positive, best sample extrapolated to now */
    double root_distance;    /* s, root_delay/2 + root_dispersion + skew * |now - sample| */
    double lo_limit;         /* s, offset - root_distance */
    double hi_limit;         /* s, offset + root_distance */
    double std_dev;          /* s, jitter (0 in the maxsamples<3 special case) */
    double first_sample_ago; /* s, now - oldest kept sample */
    double last_sample_ago;  /* s, now - newest sample */
    int stratum;             /* of the newest sample */
    int leap;                /* of the newest sample, 0-3 */
    int n_samples;
};

/* Returns 0 (and select_ok = 0) if there are no samples. The "best" sample is
 * the one with the smallest root distance grown by skew to the newest sample
 * time (chrony's best_single_sample). */
int sourcestats_get_selection(const struct sourcestats *st, const struct timespec *now,
                              struct sourcestats_selection *out);

/* Inputs of combining and of the reference update, chrony's tracking data. */
struct sourcestats_tracking {
    struct timespec ref_time; /* offset refers to this time (newest sample) */
    double offset;            /* s, local fast positive */
    double offset_sd;
    double frequency; /* s/s, local fast positive */
    double frequency_sd;
    double skew;
    double root_delay;      /* s, of the best sample */
    double root_dispersion; /* s, best sample's + skew * age at ref_time + offset_sd */
};

/* offset and frequency are the tracking estimate (see struct
 * sourcestats_estimate), the rest chrony's. Returns 0 if there are no samples. */
int sourcestats_get_tracking(const struct sourcestats *st, struct sourcestats_tracking *out);

/* Local clock changed (chrony's parameter-change notification). Every stored
 * sample time t and offset o are re-expressed on the new timescale:
 *     delta = (when - t) * dfreq - doffset;  t += delta;  o += delta
 * and the frequency estimate f becomes (f - dfreq) / (1 - dfreq).
 *   when:    cooked time of the change.
 *   dfreq:   frequency change, positive = the clock now runs SLOWER by dfreq
 *            (a fast frequency error of dfreq was removed).
 *   doffset: s, positive = the clock was moved BACK by doffset (a fast offset
 *            of doffset was removed, by step or by accounting for a slew).
 * These are the same numbers chrony passes to its parameter-change handlers. */
void sourcestats_slew_samples(struct sourcestats *st, const struct timespec *when, double dfreq,
                              double doffset);

/* Add an indeterminate error (s) to the dispersion of every sample. */
void sourcestats_add_dispersion(struct sourcestats *st, double dispersion);

/* Shift all offsets by doffset (s, positive = source appears further behind),
 * e.g. when the offset option of a source is modified. */
void sourcestats_correct_offset(struct sourcestats *st, double doffset);

/* Offset (s, local fast positive) predicted at time `when` by the tracking
 * estimate; the newest sample with fewer than 3 samples, 0 without samples. */
double sourcestats_predict_offset(const struct sourcestats *st, const struct timespec *when);

/* Minimum round-trip delay among stored samples (or the mindelay option);
 * a huge value without samples. */
double sourcestats_min_round_trip_delay(const struct sourcestats *st);

/* Range [lo, hi] of local frequency relative to the source (s/s), limited to
 * +-2000 ppm when the skew is larger. */
void sourcestats_get_frequency_range(const struct sourcestats *st, double *lo, double *hi);

/* Data for the NTP delay test (chrony's SST_GetDelayTestData); returns 0 with
 * fewer than 6 samples. last_sample_ago is sample_time - estimate time. */
int sourcestats_get_delay_test_data(const struct sourcestats *st,
                                    const struct timespec *sample_time, double *last_sample_ago,
                                    double *predicted_offset, double *min_delay, double *skew,
                                    double *std_dev);

int sourcestats_samples(const struct sourcestats *st);
/* The minsamples setting. */
int sourcestats_min_samples(const struct sourcestats *st);
/* Jitter asymmetry currently applied (0 = none). */
double sourcestats_get_asymmetry(const struct sourcestats *st);

/* `chronyc sourcestats` figures (SOURCESTATS reply). */
struct sourcestats_report {
    uint32_t n_samples;    /* NP */
    uint32_t n_runs;       /* NR */
    uint32_t span_seconds; /* newest - oldest sample time, rounded */
    double resid_freq_ppm; /* Frequency column, 1e6 * frequency */
    double skew_ppm;       /* Freq Skew column */
    double est_offset;     /* s, Offset column: estimate extrapolated to now */
    double est_offset_err; /* s */
    double sd;             /* s, Std Dev column */
};
void sourcestats_get_report(const struct sourcestats *st, const struct timespec *now,
                            struct sourcestats_report *out);

/* A statistics.log line (chrony's `log statistics`): the last regression. */
struct sourcestats_log {
    double std_dev;       /* s */
    double est_offset;    /* s, local fast positive, at the newest sample */
    double est_offset_sd; /* s */
    double freq;          /* s/s, local gain on the source */
    double skew;          /* s/s */
    double stress;        /* |old freq - new freq| / old skew */
    int n_samples;        /* regression samples */
    int dropped;          /* new starting index: samples dropped by the runs test */
    int n_runs;           /* runs of residuals of the same sign */
    double asym;          /* jitter asymmetry used to correct the offsets */
};
/* Returns 0 (out unset) unless the last regression succeeded. */
int sourcestats_get_log(const struct sourcestats *st, struct sourcestats_log *out);

/* `chronyc sources` "Last sample" figures (SOURCE_DATA reply). */
struct sourcestats_source_report {
    int has_sample;           /* 0: no samples, other fields 0 and ago = 0xFFFFFFFF */
    uint32_t latest_meas_ago; /* s, now - newest sample time truncated to whole seconds */
    double orig_latest_meas;  /* s, newest offset as measured */
    double latest_meas;       /* s, same sample adjusted by later slews */
    double latest_meas_err;   /* s, root_delay/2 + root_dispersion of that sample */
    int stratum;
};
void sourcestats_get_source_report(const struct sourcestats *st, const struct timespec *now,
                                   struct sourcestats_source_report *out);

/* One stored sample, oldest first (index 0 .. sourcestats_samples()-1), for
 * dump files and debugging. Returns 0 if i is out of range. */
struct sourcestats_sample {
    struct timespec time;
    double offset;      /* adjusted by slews */
    double orig_offset; /* as measured */
    double peer_delay;
    double peer_dispersion;
    double root_delay;
    double root_dispersion;
};
int sourcestats_get_sample(const struct sourcestats *st, int i, struct sourcestats_sample *out);

/* Replace the history with n samples (oldest first, strictly increasing
 * times), e.g. loaded from a dump file, with the saved asymmetry run count,
 * and run the regression. Returns 0 and leaves the history empty if n is out
 * of range or the times do not increase. */
int sourcestats_load_samples(struct sourcestats *st, const struct sourcestats_sample *s, int n,
                             int stratum, int leap, int asymmetry_run);
/* Signed count of consecutive same-sign asymmetry estimates (saved in dump
 * files by chrony after the samples). */
int sourcestats_get_asymmetry_run(const struct sourcestats *st);

#endif
