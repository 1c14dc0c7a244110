/* Dump file parse/format (pure text); see sourcedump.h. */
#include "core/sourcedump.h"

#include "lib/clamp.h"
#include "lib/ts.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The first line (chrony sources.c DUMP_IDENTIFIER). */
#define IDENTIFIER "SRC0\n"
/* Strata 16 and up are unsynchronised (chrony NTP_MAX_STRATUM). */
#define MAX_STRATUM 16
/* Leap values 0-2 are loadable; 3 (unsynchronised) is refused. */
#define LEAP_UNSYNCHRONISED 3
/* chrony MAX_ASYMMETRY_RUN: the saved run count is clamped to it. */
#define MAX_ASYMMETRY_RUN 1000
/* Delays and dispersions must be below this in magnitude (chrony 4.x
 * SST_LoadFromFile; Debian's 4.3 refuses 1e7 and accepts 9e5). */
#define MAX_DELAY 1.0e6
/* Times are sane within [0, 2^32] s of Unix time, and offsets within
 * +-2^32 s (chrony UTI_IsTimeOffsetSane; Debian's 4.3 accepts a sample time
 * minus offset of 4.0e9 s and refuses 4.3e9 s, and refuses negative ones). */
#define TIME_LIMIT 4294967296.0

const char *sourcedump_verdict_str(enum sourcedump_verdict v)
{
    switch (v) {
    case SOURCEDUMP_OK:
        return "ok";
    case SOURCEDUMP_BAD_IDENTIFIER:
        return "not a source dump file";
    case SOURCEDUMP_BAD_NAME:
        return "invalid name line";
    case SOURCEDUMP_BAD_STATUS:
        return "invalid status line";
    case SOURCEDUMP_BAD_COUNT:
        return "invalid number of samples";
    case SOURCEDUMP_BAD_SAMPLE:
        return "invalid sample line";
    case SOURCEDUMP_BAD_VALUE:
        return "insane sample value";
    case SOURCEDUMP_FUTURE:
        return "sample in the future";
    case SOURCEDUMP_BAD_ORDER:
        return "samples out of order";
    case SOURCEDUMP_NAME_MISMATCH:
        return "different source name";
    case SOURCEDUMP_AUTH_MISMATCH:
        return "source not authenticated";
    }
    return "?";
}

/* The next line as fgets() with a SOURCEDUMP_LINE_MAX buffer reads it: up to
 * and including the newline, at most LINE_MAX - 1 bytes, then a NUL. Bytes
 * of line past that NUL keep what was there before, which chrony's status
 * line parsing can see (see parse_header). Returns 0 at the end of input. */
static int read_line(const char *text, size_t len, size_t *pos, char *line)
{
    size_t n = 0;

    if (*pos >= len)
        return 0;
    while (*pos < len && n < SOURCEDUMP_LINE_MAX - 1) {
        char c = text[(*pos)++];
        line[n++] = c;
        if (c == '\n')
            break;
    }
    line[n] = '\0';
    return 1;
}

/* chrony UTI_SplitString(): white space is overwritten with NULs in place;
 * returns the number of words and the first one in *first. */
static int split_words(char *s, char **first)
{
    int n = 0;

    *first = NULL;
    for (;;) {
        while (*s != '\0' && isspace((unsigned char)*s))
            *s++ = '\0';
        if (*s == '\0')
            return n;
        if (n++ == 0)
            *first = s;
        while (*s != '\0' && !isspace((unsigned char)*s))
            s++;
    }
}

/* Identifier, name and status lines (chrony sources.c load_source). */
static enum sourcedump_verdict parse_header(const char *text, size_t len, size_t *pos,
                                            struct sourcedump *d)
{
    char line[SOURCEDUMP_LINE_MAX], *word;
    size_t at;

    memset(line, 0, sizeof(line));
    if (!read_line(text, len, pos, line) || strcmp(line, IDENTIFIER) != 0)
        return SOURCEDUMP_BAD_IDENTIFIER;
    if (!read_line(text, len, pos, line) || split_words(line, &word) != 1)
        return SOURCEDUMP_BAD_NAME;
    snprintf(d->name, sizeof(d->name), "%s", word);
    /* chrony scans the status line from where the name started in its
     * buffer, so leading white space before the name shifts the scan. */
    at = (size_t)(word - line);
    if (!read_line(text, len, pos, line) ||
        sscanf(line + at, "%d %o %d %d %d", &d->authenticated, &d->reach, &d->reach_size,
               &d->stratum, &d->leap) != 5)
        return SOURCEDUMP_BAD_STATUS;
    if (d->stratum < 0 || d->stratum >= MAX_STRATUM || d->leap < 0 ||
        d->leap >= LEAP_UNSYNCHRONISED)
        return SOURCEDUMP_BAD_STATUS;
    d->reach &= (1u << SOURCEDUMP_REACH_BITS) - 1;
    d->reach_size = clamp_int(d->reach_size, 0, SOURCEDUMP_REACH_BITS);
    return SOURCEDUMP_OK;
}

/* chrony UTI_IsTimeOffsetSane(base, offset). */
static int time_offset_sane(double base, double offset)
{
    double t;

    if (!(offset > -TIME_LIMIT && offset < TIME_LIMIT))
        return 0;
    t = base + offset;
    return t >= 0.0 && t <= TIME_LIMIT;
}

/* chrony UTI_DoubleToTimespec(); t is within [0, TIME_LIMIT]. */
static void time_from_double(double t, struct timespec *out)
{
    out->tv_sec = (time_t)t;
    out->tv_nsec = (long)(1.0e9 * (t - (double)out->tv_sec));
    ts_normalise(out);
}

static int delay_sane(double x)
{
    return fabs(x) < MAX_DELAY; /* false for NaN */
}

/* Sample line i (chrony 4.x SST_LoadFromFile). */
static enum sourcedump_verdict parse_sample(const char *line, int i, const struct timespec *now,
                                            struct sourcedump *d)
{
    struct sourcestats_sample *s;
    double t, now_d;

    assert(i >= 0 && i < SOURCESTATS_MAX_SAMPLES);
    s = &d->samples[i];
    now_d = ts_to_double(now);

    if (sscanf(line, "%lf %lf %lf %lf %lf %lf %lf", &t, &s->offset, &s->orig_offset, &s->peer_delay,
               &s->peer_dispersion, &s->root_delay, &s->root_dispersion) != 7)
        return SOURCEDUMP_BAD_SAMPLE;
    if (!time_offset_sane(now_d, t - now_d))
        return SOURCEDUMP_BAD_VALUE;
    /* The time goes through a double: what is beyond its precision is lost,
     * as in chrony. */
    time_from_double(t, &s->time);
    if (!time_offset_sane(ts_to_double(&s->time), -s->offset))
        return SOURCEDUMP_BAD_VALUE;
    if (ts_cmp(now, &s->time) < 0)
        return SOURCEDUMP_FUTURE;
    if (!delay_sane(s->peer_delay) || !delay_sane(s->peer_dispersion) ||
        !delay_sane(s->root_delay) || !delay_sane(s->root_dispersion))
        return SOURCEDUMP_BAD_VALUE;
    if (i > 0 && ts_cmp(&s->time, &d->samples[i - 1].time) <= 0)
        return SOURCEDUMP_BAD_ORDER;
    return SOURCEDUMP_OK;
}

/* Count line and samples (chrony 4.x SST_LoadFromFile). */
static enum sourcedump_verdict parse_samples(const char *text, size_t len, size_t *pos,
                                             const struct timespec *now, struct sourcedump *d)
{
    char line[SOURCEDUMP_LINE_MAX];
    enum sourcedump_verdict v;
    int i;

    if (!read_line(text, len, pos, line) ||
        sscanf(line, "%d %d", &d->n_samples, &d->asymmetry_run) != 2 || d->n_samples < 1 ||
        d->n_samples > SOURCESTATS_MAX_SAMPLES)
        return SOURCEDUMP_BAD_COUNT;
    d->asymmetry_run = clamp_int(d->asymmetry_run, -MAX_ASYMMETRY_RUN, MAX_ASYMMETRY_RUN);
    for (i = 0; i < d->n_samples; i++) {
        if (!read_line(text, len, pos, line))
            return SOURCEDUMP_BAD_SAMPLE;
        v = parse_sample(line, i, now, d);
        if (v != SOURCEDUMP_OK)
            return v;
    }
    return SOURCEDUMP_OK;
}

enum sourcedump_verdict sourcedump_parse(const char *text, size_t len, const struct timespec *now,
                                         struct sourcedump *out)
{
    struct sourcedump d;
    enum sourcedump_verdict v;
    size_t pos = 0;

    assert(now && out);
    if (!text)
        return SOURCEDUMP_BAD_IDENTIFIER;
    memset(&d, 0, sizeof(d));
    v = parse_header(text, len, &pos, &d);
    if (v == SOURCEDUMP_OK)
        v = parse_samples(text, len, &pos, now, &d);
    if (v == SOURCEDUMP_OK) {
        assert(d.n_samples >= 1 && d.n_samples <= SOURCESTATS_MAX_SAMPLES);
        *out = d;
    }
    return v;
}

enum sourcedump_verdict sourcedump_check_source(const struct sourcedump *d, const char *name,
                                                int authenticated)
{
    if (!name || strcmp(d->name, name) != 0)
        return SOURCEDUMP_NAME_MISMATCH;
    /* chrony refuses only an unauthenticated history for an authenticated source. */
    if (!d->authenticated && authenticated)
        return SOURCEDUMP_AUTH_MISMATCH;
    return SOURCEDUMP_OK;
}

/* snprintf appending at *used into buf of len bytes; counts the full length. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsnprintf(*used < len ? buf + *used : NULL, *used < len ? len - *used : 0, fmt, ap);
    va_end(ap);
    if (r > 0)
        *used += (size_t)r;
}

int sourcedump_format(const struct sourcedump *d, char *buf, size_t len)
{
    size_t used = 0;
    int i;

    assert(d && (buf || len == 0));
    if (d->n_samples < 1 || d->n_samples > SOURCESTATS_MAX_SAMPLES)
        return -1;
    if (len > 0)
        buf[0] = '\0';
    append(buf, len, &used, "%s%s\n%d %o %d %d %d\n", IDENTIFIER, d->name, d->authenticated,
           d->reach, d->reach_size, d->stratum, d->leap);
    append(buf, len, &used, "%d %d\n", d->n_samples, d->asymmetry_run);
    for (i = 0; i < d->n_samples; i++) {
        const struct sourcestats_sample *s = &d->samples[i];
        append(buf, len, &used, "%ld.%09lu %.6e %.6e %.6e %.6e %.6e %.6e\n", (long)s->time.tv_sec,
               (unsigned long)s->time.tv_nsec, s->offset, s->orig_offset, s->peer_delay,
               s->peer_dispersion, s->root_delay, s->root_dispersion);
    }
    return used > (size_t)2147483647 ? -1 : (int)used;
}

int sourcedump_from_stats(struct sourcedump *d, const struct sourcestats *st)
{
    int i, n;

    assert(d && st);
    n = sourcestats_samples(st);
    if (n > SOURCESTATS_MAX_SAMPLES)
        n = SOURCESTATS_MAX_SAMPLES;
    for (i = 0; i < n; i++)
        if (!sourcestats_get_sample(st, i, &d->samples[i]))
            break;
    d->n_samples = i;
    d->asymmetry_run = sourcestats_get_asymmetry_run(st);
    return i;
}

int sourcedump_to_stats(const struct sourcedump *d, struct sourcestats *st)
{
    return sourcestats_load_samples(st, d->samples, d->n_samples, d->stratum, d->leap,
                                    d->asymmetry_run);
}

void sourcedump_shift(struct sourcedump *d, double delta)
{
    int i;

    for (i = 0; i < d->n_samples; i++) {
        ts_add(&d->samples[i].time, &d->samples[i].time, delta);
        d->samples[i].offset += delta;
    }
}
