/* Drift file parse/format (pure text). */
#include "core/driftfile.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number we accept; chrony writes 20-character fields. */
#define MAX_FIELD 64

const char *driftfile_verdict_str(enum driftfile_verdict v)
{
    switch (v) {
    case DRIFTFILE_OK:
        return "ok";
    case DRIFTFILE_EMPTY:
        return "empty";
    case DRIFTFILE_BAD_FREQ:
        return "invalid frequency";
    case DRIFTFILE_BAD_SKEW:
        return "missing or invalid skew";
    case DRIFTFILE_NOT_FINITE:
        return "value not finite";
    }
    return "?";
}

/* Read one white-space separated number starting at *pos. Returns 1 and
 * advances *pos on success. The field is copied so that strtod never reads
 * past len (the input need not be terminated). */
static int parse_number(const char *text, size_t len, size_t *pos, double *out)
{
    char field[MAX_FIELD + 1], *end;
    size_t i = *pos, n = 0;

    while (i < len && isspace((unsigned char)text[i]))
        i++;
    while (i + n < len && !isspace((unsigned char)text[i + n]) && text[i + n] != '\0') {
        if (n == MAX_FIELD)
            return 0;
        field[n] = text[i + n];
        n++;
    }
    if (n == 0)
        return 0;
    field[n] = '\0';
    *out = strtod(field, &end);
    if (end == field)
        return 0;
    /* Like scanf, stop at the end of the number: "1.5x" reads 1.5. */
    *pos = i + (size_t)(end - field);
    return 1;
}

static int only_space(const char *text, size_t len)
{
    size_t i;

    for (i = 0; i < len && text[i] != '\0'; i++)
        if (!isspace((unsigned char)text[i]))
            return 0;
    return 1;
}

enum driftfile_verdict driftfile_parse(const char *text, size_t len, double *freq_ppm,
                                       double *skew_ppm)
{
    size_t pos = 0;
    double f, s;

    if (!text || only_space(text, len))
        return DRIFTFILE_EMPTY;
    if (!parse_number(text, len, &pos, &f))
        return DRIFTFILE_BAD_FREQ;
    if (!parse_number(text, len, &pos, &s))
        return DRIFTFILE_BAD_SKEW;
    if (!isfinite(f) || !isfinite(s))
        return DRIFTFILE_NOT_FINITE;
    *freq_ppm = f;
    *skew_ppm = s;
    return DRIFTFILE_OK;
}

int driftfile_format(char *buf, size_t len, double freq_ppm, double skew_ppm)
{
    if (!isfinite(freq_ppm) || !isfinite(skew_ppm)) {
        if (len > 0)
            buf[0] = '\0';
        return -1;
    }
    /* + 0.0: a frequency of -0.0 is written as chrony writes zero. */
    return snprintf(buf, len, "%20.6f %20.6f\n", freq_ppm + 0.0, skew_ppm + 0.0);
}
