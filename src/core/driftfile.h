/* chrony's drift file format, as text in and text out: one line
 * "%20.6f %20.6f\n" with the absolute frequency and its skew in ppm.
 *
 * freq_ppm: positive = the uncompensated system clock gains (runs fast), the
 * same convention as clock_get_freq_ppm(). skew_ppm: estimated error bound of
 * the frequency. The daemon reads and atomically replaces the file through
 * env_files; nothing here does IO. */
#ifndef CORE_DRIFTFILE_H
#define CORE_DRIFTFILE_H

#include <stddef.h>

enum driftfile_verdict {
    DRIFTFILE_OK = 0,
    DRIFTFILE_EMPTY,      /* no number at all */
    DRIFTFILE_BAD_FREQ,   /* the first field is not a number */
    DRIFTFILE_BAD_SKEW,   /* the second field is missing or not a number */
    DRIFTFILE_NOT_FINITE, /* NaN or infinity */
};

/* Short description of a verdict for debug logs ("ok", "missing skew", ...). */
const char *driftfile_verdict_str(enum driftfile_verdict v);

/* Parse the drift file text (len bytes, need not be NUL-terminated). Like
 * chrony (fscanf "%lf%lf") it reads two numbers separated by white space and
 * ignores whatever follows them. Outputs are written only on DRIFTFILE_OK.
 * The caller clamps the skew to its minimum (chrony: 1e-6 ppm). */
enum driftfile_verdict driftfile_parse(const char *text, size_t len, double *freq_ppm,
                                       double *skew_ppm);

/* Format the file contents into buf (always terminated when len > 0).
 * Returns the length chrony's format produces (excluding the NUL), which
 * may exceed len - 1 if truncated, or -1 on error. */
int driftfile_format(char *buf, size_t len, double freq_ppm, double skew_ppm);

#endif
