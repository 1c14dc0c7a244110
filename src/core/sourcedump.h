/* chrony's per-source measurement history files (dumpdir/ADDRESS.dat), as
 * text in and text out; the daemon reads, writes and removes the files.
 *
 * Format (chrony 4.x sources.c save_source and sourcestats.c SST_SaveToFile,
 * checked against files written by Debian's chronyd 4.3):
 *   SRC0
 *   NAME                              the source's name as configured
 *   AUTH REACH REACH_SIZE STRATUM LEAP    "%d %o %d %d %d"
 *   N ASYMMETRY_RUN                   "%d %d", 1 <= N <= 64
 *   N lines, oldest first:  "%ld.%09lu %.6e %.6e %.6e %.6e %.6e %.6e"
 *     sample time (cooked local time), offset (as slewed since), offset as
 *     measured, peer delay, peer dispersion, root delay, root dispersion
 * Offsets follow sourcestats: s, positive = local clock fast. */
#ifndef CORE_SOURCEDUMP_H
#define CORE_SOURCEDUMP_H

#include "core/sourcestats.h"

#include <stddef.h>
#include <time.h>

/* chrony reads the file with fgets() into 256-byte buffers: a longer line
 * is read as several lines. */
#define SOURCEDUMP_LINE_MAX 256
/* Bits of the reachability register kept (chrony SOURCE_REACH_BITS). */
#define SOURCEDUMP_REACH_BITS 8

struct sourcedump {
    char name[SOURCEDUMP_LINE_MAX]; /* NUL-terminated */
    int authenticated;              /* 0 or 1 as written; any int as read */
    unsigned reach;                 /* low SOURCEDUMP_REACH_BITS bits */
    int reach_size;                 /* 0 .. SOURCEDUMP_REACH_BITS */
    int stratum;                    /* 0 .. 15 */
    int leap;                       /* 0 .. 2 (3, unsynchronised, is refused) */
    int asymmetry_run;              /* -1000 .. 1000 */
    int n_samples;                  /* 1 .. SOURCESTATS_MAX_SAMPLES */
    struct sourcestats_sample samples[SOURCESTATS_MAX_SAMPLES];
};

enum sourcedump_verdict {
    SOURCEDUMP_OK = 0,
    SOURCEDUMP_BAD_IDENTIFIER, /* first line is not exactly "SRC0" */
    SOURCEDUMP_BAD_NAME,       /* name line missing or not exactly one word */
    SOURCEDUMP_BAD_STATUS,     /* status line missing, not 5 numbers, bad stratum/leap */
    SOURCEDUMP_BAD_COUNT,      /* sample count line missing or out of range */
    SOURCEDUMP_BAD_SAMPLE,     /* a sample line missing or not 7 numbers */
    SOURCEDUMP_BAD_VALUE,      /* a time, offset, delay or dispersion not sane */
    SOURCEDUMP_FUTURE,         /* a sample later than now */
    SOURCEDUMP_BAD_ORDER,      /* sample times not strictly increasing */
    SOURCEDUMP_NAME_MISMATCH,  /* written for a differently named source */
    SOURCEDUMP_AUTH_MISMATCH,  /* unauthenticated history for an authenticated source */
};

/* Short description of a verdict for debug logs. */
const char *sourcedump_verdict_str(enum sourcedump_verdict v);

/* Parse a dump file (len bytes, need not be NUL-terminated) the way chrony
 * 4.x loads one; anything after the last sample line is ignored. now: cooked
 * local time of loading (samples may not be later). Range fields are
 * limited as chrony does (reach masked, reach_size and asymmetry_run
 * clamped). *out is filled only on SOURCEDUMP_OK. */
enum sourcedump_verdict sourcedump_parse(const char *text, size_t len, const struct timespec *now,
                                         struct sourcedump *out);

/* Whether a parsed file may be loaded into a source with this name (as in
 * its directive) and authentication (a key or NTS). */
enum sourcedump_verdict sourcedump_check_source(const struct sourcedump *d, const char *name,
                                                int authenticated);

/* Format d into buf (NUL-terminated when len > 0; buf may be NULL when len
 * is 0). Returns the full length (excluding the NUL), which exceeds len - 1
 * when truncated, or -1 if d is not writable (no samples, too many). */
int sourcedump_format(const struct sourcedump *d, char *buf, size_t len);

/* The samples and asymmetry run of st into d (other fields untouched).
 * Returns the number of samples. */
int sourcedump_from_stats(struct sourcedump *d, const struct sourcestats *st);
/* Replace the history of st with d's samples and run the regression.
 * Returns 1 on success. */
int sourcedump_to_stats(const struct sourcedump *d, struct sourcestats *st);

/* Re-express every sample on a timescale shifted by delta (s): times and
 * offsets grow by delta. chrony writes its files on exit after the remaining
 * offset correction is cancelled, i.e. on the raw timescale: delta = raw -
 * cooked time. */
void sourcedump_shift(struct sourcedump *d, double delta);

#endif
