#include "lib/ts.h"

#include <assert.h>
#include <math.h>

#define NSEC_PER_SEC 1000000000L

void ts_normalise(struct timespec *a)
{
    if (a->tv_nsec >= NSEC_PER_SEC || a->tv_nsec < 0) {
        long q = a->tv_nsec / NSEC_PER_SEC;
        a->tv_sec += q;
        a->tv_nsec -= q * NSEC_PER_SEC;
        if (a->tv_nsec < 0) {
            a->tv_sec--;
            a->tv_nsec += NSEC_PER_SEC;
        }
    }
}

double ts_diff(const struct timespec *a, const struct timespec *b)
{
    /* The seconds subtracted as doubles: the same exact result for any two times within
     * 2^53 s, and no overflow when one comes from outside (the extreme seconds of a
     * chronyc `settime`, found by fuzzing). */
    return ((double)a->tv_sec - (double)b->tv_sec) + (a->tv_nsec - b->tv_nsec) * 1e-9;
}

void ts_add(struct timespec *out, const struct timespec *a, double s)
{
    double whole, nsec_d;
    long nsec;

    /* A NaN or infinite interval is our arithmetic's bug, never a clock's. */
    assert(isfinite(s));
    whole = floor(s);
    nsec_d = (s - whole) * 1e9 + 0.5;
    assert(nsec_d >= 0.0 && nsec_d <= 1e9 + 1.0);
    nsec = (long)nsec_d;
    out->tv_sec = a->tv_sec + (time_t)whole;
    out->tv_nsec = a->tv_nsec + nsec;
    ts_normalise(out);
}

int ts_cmp(const struct timespec *a, const struct timespec *b)
{
    if (a->tv_sec != b->tv_sec)
        return a->tv_sec < b->tv_sec ? -1 : 1;
    if (a->tv_nsec != b->tv_nsec)
        return a->tv_nsec < b->tv_nsec ? -1 : 1;
    return 0;
}

double ts_to_double(const struct timespec *a)
{
    return (double)a->tv_sec + a->tv_nsec * 1e-9;
}

void ts_from_double(struct timespec *out, double s)
{
    struct timespec zero = {0, 0};
    ts_add(out, &zero, s);
}

int ts_is_zero(const struct timespec *a)
{
    return a->tv_sec == 0 && a->tv_nsec == 0;
}
