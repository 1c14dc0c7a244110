/* Median sample filter for NTP measurements (chrony's `filter N` server option): collects
 * the samples of N polls and reduces them to one sample near the median offset. */
#ifndef CORE_NTP_FILTER_H
#define CORE_NTP_FILTER_H

#include <time.h>

/* chrony clamps the filter length to 1..256. */
#define NTP_FILTER_MAX_SAMPLES 256

/* One NTP measurement, as produced by the client protocol and consumed by source
 * statistics. Times are local times on the timescale of the timestamps given to
 * the client (the daemon passes cooked time, as chrony does). */
struct ntp_sample {
    struct timespec time;   /* midpoint between the local transmit and receive times */
    double offset;          /* s, positive = local clock fast of the source */
    double peer_delay;      /* s, round-trip delay to the source (>= precision) */
    double peer_dispersion; /* s */
    double root_delay;      /* s, source's root delay + peer_delay */
    double root_dispersion; /* s, source's root dispersion + peer_dispersion */
    int stratum;            /* stratum of the source (after minstratum) */
    int leap;               /* leap indicator of the response (0..2) */
};

struct ntp_filter {
    int min_samples, max_samples;
    int index; /* slot of the newest sample, -1 when empty */
    int used;  /* number of valid slots */
    int last;  /* slot of the last accumulated sample (kept after a drop), -1 if none */
    int avg_var_n;
    double avg_var; /* long-term average of the sample variance, s^2 */
    double max_var; /* s^2; a combined sample with a larger variance is dropped (0 = off) */
    double combine_ratio;
    /* max_samples slots, owned (allocated by ntp_filter_init, freed by ntp_filter_fini):
     * a client without `filter` carries none of them. */
    struct ntp_sample *samples;
};

/* min/max samples are clamped to 1..NTP_FILTER_MAX_SAMPLES (max >= min);
 * max_dispersion (s) bounds the combined dispersion (chrony uses 16 s for NTP);
 * combine_ratio in [0, 1] is the fraction of the sorted samples averaged (0 = median);
 * precision (s) seeds the variance estimate (chrony: the system clock precision). */
void ntp_filter_init(struct ntp_filter *f, int min_samples, int max_samples, double max_dispersion,
                     double combine_ratio, double precision);
/* Free the samples of an initialised filter (then it must be initialised again before use). */
void ntp_filter_fini(struct ntp_filter *f);
void ntp_filter_accumulate(struct ntp_filter *f, const struct ntp_sample *s);
/* Reduce the accumulated samples to one. Returns 1 and fills out (then empties the
 * filter), or 0 if there are too few samples or the spread of offsets is too large. */
int ntp_filter_get_sample(struct ntp_filter *f, struct ntp_sample *out);
/* Newest accumulated sample, even after the filter was emptied. Returns 0 if none. */
int ntp_filter_get_last(const struct ntp_filter *f, struct ntp_sample *out);
int ntp_filter_count(const struct ntp_filter *f);
int ntp_filter_max_samples(const struct ntp_filter *f);
void ntp_filter_drop(struct ntp_filter *f);
/* The local clock was adjusted at `when`: frequency by dfreq (s/s, positive = the clock
 * now runs slower) and offset by doffset (s, positive = clock was fast and moved back),
 * as in struct clock_change and chrony's clock change handlers. Sample times move to the
 * new timescale, delta = (when - t) * dfreq - doffset; offsets follow. */
void ntp_filter_slew(struct ntp_filter *f, const struct timespec *when, double dfreq,
                     double doffset);
/* Add doffset (s) to the offsets of the samples kept (and of the last one). */
void ntp_filter_correct_offset(struct ntp_filter *f, double doffset);

#endif
