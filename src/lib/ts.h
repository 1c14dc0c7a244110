/* Arithmetic on struct timespec and conversion to and from seconds as double.
 * All functions accept unnormalised input and return normalised output
 * (0 <= tv_nsec < 1e9). */
#ifndef LIB_TS_H
#define LIB_TS_H

#include <time.h>

/* a - b, in seconds. */
double ts_diff(const struct timespec *a, const struct timespec *b);
/* out = a + s (s in seconds, any sign). out may alias a. */
void ts_add(struct timespec *out, const struct timespec *a, double s);
int ts_cmp(const struct timespec *a, const struct timespec *b);
double ts_to_double(const struct timespec *a);
void ts_from_double(struct timespec *out, double s);
void ts_normalise(struct timespec *a);
int ts_is_zero(const struct timespec *a);

#endif
